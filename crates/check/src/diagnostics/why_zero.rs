//! "Why is this gradient zero?": for an output `y` and a variable `x`, says whether `x` is
//! a constant, disconnected from `y`, reaches it only through a detached copy, or has
//! every path blocked by ops that pass no gradient back (or a zero one) at this point.

use super::NodeInfo;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use tapegrad_core::{Float, NodeKind, Observer, Tape, Tensor, Var};

/// The answer of [`Diagnostics::why_zero`](super::Diagnostics::why_zero).
#[derive(Clone, Debug, PartialEq)]
pub enum WhyZero {
    /// The gradient is not zero after all.
    NotZero {
        /// Its largest magnitude (NaN if it holds a NaN).
        max_abs: f64,
    },
    /// `x` is a constant: no gradient is ever computed for it.
    Constant {
        /// The variable.
        x: NodeInfo,
    },
    /// No recorded path leads from `x` to `y`.
    Disconnected {
        /// The variable.
        x: NodeInfo,
        /// The output.
        y: NodeInfo,
    },
    /// `y` uses a constant holding exactly the value of a node that depends on `x`: a
    /// detached copy (`detach()`, or a value taken out of the tape and put back).
    Detached {
        /// The constant `y` depends on.
        copy: NodeInfo,
        /// The node (depending on `x`) whose value it holds.
        original: NodeInfo,
    },
    /// Paths from `x` to `y` exist, and on every one an op passes back no gradient or a
    /// zero one: these are the ops where the gradient stops.
    Blocked {
        /// Where the gradient stops, in creation order.
        blockers: Vec<Blocker>,
    },
    /// Gradient flows along the paths from `x` to `y`, but the contributions cancel
    /// exactly (as in `x - x`).
    Cancelled,
}

/// An op at which the gradient towards `x` stops.
#[derive(Clone, Debug, PartialEq)]
pub struct Blocker {
    /// The op's node.
    pub node: NodeInfo,
    /// Which of its inputs (on a path from `x`) gets nothing.
    pub input: usize,
    /// No gradient at all, or a zero one.
    pub reason: BlockReason,
}

/// How an op blocks the gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockReason {
    /// Its VJP returns no gradient for that input: the op is not differentiable in it
    /// (an index, a comparison, a rounding).
    NoGradient,
    /// Its VJP returns zeros for that input at this point (`relu` of negative values, a
    /// saturated clamp, a step).
    ZeroGradient,
}

impl fmt::Display for WhyZero {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WhyZero::NotZero { max_abs } => {
                write!(f, "the gradient is not zero (largest magnitude {max_abs})")
            }
            WhyZero::Constant { x } => write!(
                f,
                "{x} is a constant, so it gets no gradient: constants come from `tape.constant`, \
                 float operands, `detach()`, `no_grad`, or ops whose inputs are all constants; \
                 use `tape.leaf` for a value you want the gradient of"
            ),
            WhyZero::Disconnected { x, y } => write!(
                f,
                "{y} does not depend on {x}: no recorded path leads from one to the other \
                 (if it uses x's value, it got it outside the tape: `no_grad`, or a tensor taken \
                 out with `value()` and put back as a constant)"
            ),
            WhyZero::Detached { copy, original } => write!(
                f,
                "the output depends on x only through {copy}, a constant holding exactly the \
                 value of {original}, which depends on x: a detached copy; gradients stop there"
            ),
            WhyZero::Blocked { blockers } => {
                write!(f, "every path from x to the output is blocked:")?;
                for b in blockers {
                    let why = match b.reason {
                        BlockReason::NoGradient => "returns no gradient (not differentiable)",
                        BlockReason::ZeroGradient => "returns a zero gradient at this point",
                    };
                    write!(f, "\n  {} {why} for input {}", b.node, b.input)?;
                }
                Ok(())
            }
            WhyZero::Cancelled => write!(
                f,
                "gradient flows from the output to x, but the contributions of the paths cancel \
                 exactly"
            ),
        }
    }
}

fn is_zero<T: Float>(t: &Tensor<T>) -> bool {
    t.as_slice().iter().all(|&v| v == T::ZERO)
}

/// True when two values are the same tensor: one shared buffer, or one identical element.
fn same_value<T: Float>(a: &Tensor<T>, b: &Tensor<T>) -> bool {
    if a.shape() != b.shape() {
        return false;
    }
    match a.len() {
        1 => a.as_slice()[0].to_f64().to_bits() == b.as_slice()[0].to_f64().to_bits(),
        _ => std::ptr::eq(a.as_slice(), b.as_slice()),
    }
}

/// `depends[n]`: node `n` depends on `x` through recorded edges.
fn depends_on<T: Float>(tape: &Tape<T>, x: usize, upto: usize) -> Vec<bool> {
    let mut depends = vec![false; upto + 1];
    depends[x] = true;
    for id in x + 1..=upto {
        depends[id] = tape
            .node(id)
            .is_some_and(|n| n.inputs().any(|i| depends[i]));
    }
    depends
}

/// One VJP as a sweep ran it: the node, the cotangent it received, the gradients it gave.
type Step<T> = (usize, Tensor<T>, Vec<Option<Tensor<T>>>);

/// What one backward sweep passed through each op node it reached.
#[derive(Default)]
struct Flow<T: Float>(RefCell<Vec<Step<T>>>);

impl<T: Float> Observer<T> for Flow<T> {
    fn vjp_finished(
        &self,
        _tape: &Tape<T>,
        node: usize,
        dy: &Tensor<T>,
        dxs: &[Option<Tensor<T>>],
    ) {
        self.0.borrow_mut().push((node, dy.clone(), dxs.to_vec()));
    }
}

/// See [`Diagnostics::why_zero`](super::Diagnostics::why_zero).
#[track_caller]
pub(crate) fn why_zero<T: Float>(tape: &Tape<T>, y: Var<'_, T>, x: Var<'_, T>) -> WhyZero {
    for v in [y, x] {
        if let Err(e) = tape.check_var("why_zero", v) {
            panic!("{e}");
        }
    }
    let (xi, yi) = (x.id(), y.id());
    if x.kind() == NodeKind::Constant {
        return WhyZero::Constant {
            x: NodeInfo::at(tape, xi),
        };
    }
    if yi < xi || !depends_on(tape, xi, yi)[yi] {
        return detached_or_disconnected(tape, xi, yi);
    }
    // One recorded sweep from y under an observer that notes what each VJP got and gave;
    // its nodes are forgotten afterwards.
    let flow = Rc::new(Flow::default());
    let dx = {
        let _watching = tape.observe(flow.clone());
        tape.scratch(|| {
            let seed = y.constant(Tensor::ones(&y.shape()));
            tape.grad_with(y, seed, &[x])[0].value()
        })
    };
    if !is_zero(&dx) {
        let max_abs = dx.as_slice().iter().fold(0.0f64, |m, v| {
            let a = v.to_f64().abs();
            if a.is_nan() || m.is_nan() {
                f64::NAN
            } else {
                m.max(a)
            }
        });
        return WhyZero::NotZero { max_abs };
    }
    // The ops that received a non-zero cotangent but pass nothing (or zeros) on to an
    // input that depends on x: the frontier where the gradient dies.
    let depends = depends_on(tape, xi, yi);
    let mut flow = flow.0.take();
    flow.retain(|(id, dy, _)| *id > xi && *id <= yi && depends[*id] && !is_zero(dy));
    flow.sort_by_key(|(id, _, _)| *id);
    let mut blockers = Vec::new();
    for (id, _, dxs) in flow {
        let inputs: Vec<usize> = tape.node(id).expect("a node").inputs().collect();
        for (pos, (input, dx)) in inputs.into_iter().zip(dxs).enumerate() {
            if !depends[input] {
                continue;
            }
            let reason = match dx {
                None => BlockReason::NoGradient,
                Some(dx) if is_zero(&dx) => BlockReason::ZeroGradient,
                Some(_) => continue,
            };
            blockers.push(Blocker {
                node: NodeInfo::at(tape, id),
                input: pos,
                reason,
            });
        }
    }
    if blockers.is_empty() {
        WhyZero::Cancelled
    } else {
        WhyZero::Blocked { blockers }
    }
}

/// `y` does not depend on `x`: is it using a detached copy of something that does?
fn detached_or_disconnected<T: Float>(tape: &Tape<T>, x: usize, y: usize) -> WhyZero {
    let last = tape.len() - 1;
    let depends = depends_on(tape, x, last.max(x));
    let mut ancestor = vec![false; y + 1];
    ancestor[y] = true;
    for id in (0..=y).rev() {
        if ancestor[id] {
            for i in tape.node(id).expect("a node").inputs() {
                ancestor[i] = true;
            }
        }
    }
    let is_constant = |id: usize| tape.node(id).expect("a node").kind() == NodeKind::Constant;
    // A constant output was computed from constants only, and such nodes keep no inputs:
    // then any constant made between x and y may be where the link was cut.
    let y_constant = is_constant(y);
    let candidate = |c: usize| ancestor[c] || (y_constant && c > x);
    for c in (0..=y).filter(|&c| candidate(c) && is_constant(c)) {
        let copy = tape.node(c).expect("a node").value().clone();
        let original = (x..c.min(depends.len()))
            .find(|&d| depends[d] && same_value(&tape.node(d).expect("a node").value(), &copy));
        if let Some(d) = original {
            return WhyZero::Detached {
                copy: NodeInfo::at(tape, c),
                original: NodeInfo::at(tape, d),
            };
        }
    }
    WhyZero::Disconnected {
        x: NodeInfo::at(tape, x),
        y: NodeInfo::at(tape, y),
    }
}

#[cfg(test)]
mod tests {
    use super::{BlockReason, WhyZero};
    use crate::diagnostics::Diagnostics;
    use crate::gradcheck::tests::ops::relu;
    use tapegrad_core::{Float, InputGrads, Op, Tape, Tensor, TensorError, Var};

    /// `y = sign(x)`: no gradient (piecewise constant).
    struct Sign;

    impl<T: Float> Op<T> for Sign {
        fn name(&self) -> &str {
            "sign"
        }
        fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
            Ok(xs[0].map(T::signum))
        }
        fn vjp<'t>(
            &self,
            _xs: &[Var<'t, T>],
            _y: Var<'t, T>,
            _dy: Var<'t, T>,
        ) -> InputGrads<'t, T> {
            [None].into()
        }
    }

    #[test]
    fn explains_constants_and_disconnected_variables() {
        let tape = Tape::<f64>::new();
        let c = tape.constant(Tensor::vector(vec![1.0, 2.0]));
        let x = tape.leaf(Tensor::vector(vec![3.0, 4.0]));
        let z = tape.leaf(Tensor::scalar(5.0));
        let y = (c * x).sum();
        assert!(matches!(tape.why_zero(y, c), WhyZero::Constant { x } if x.id == c.id()));
        let w = tape.why_zero(y, z);
        assert!(
            matches!(&w, WhyZero::Disconnected { x, .. } if x.id == z.id()),
            "{w}"
        );
        assert!(w.to_string().contains("does not depend on #2 leaf"), "{w}");
        assert_eq!(tape.why_zero(y, x), WhyZero::NotZero { max_abs: 2.0 });
    }

    #[test]
    fn finds_the_detached_copy() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![0.5, 1.5]));
        let h = x.exp();
        let copy = h.detach();
        // a loss that also depends on a parameter: the copy is one of its recorded inputs
        let w = tape.leaf(Tensor::vector(vec![2.0, 3.0]));
        let y = (copy * w).sum();
        match tape.why_zero(y, x) {
            WhyZero::Detached { copy: c, original } => {
                assert_eq!((c.id, original.id), (copy.id(), h.id()));
                assert_eq!(original.op, "exp");
            }
            other => panic!("{other}"),
        }
        // an output computed from constants only is a constant with no recorded inputs;
        // the copy made between x and it is still found
        let y = (copy * copy).sum();
        assert!(
            matches!(tape.why_zero(y, x), WhyZero::Detached { copy: c, .. } if c.id == copy.id())
        );
    }

    #[test]
    fn names_every_op_that_blocks_the_gradient() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![-1.0, -2.0]));
        let r = relu(x * 2.0); // all inputs negative: zero gradient
        let s = tape.apply(Sign, &[x]); // no gradient at all
        let y = (r + s * 3.0).sum();
        assert!(y.backward().wrt(x).as_slice().iter().all(|&g| g == 0.0));
        let WhyZero::Blocked { blockers } = tape.why_zero(y, x) else {
            panic!("{}", tape.why_zero(y, x));
        };
        let found: Vec<_> = blockers
            .iter()
            .map(|b| (b.node.id, b.node.op.as_str(), b.input, b.reason))
            .collect();
        assert_eq!(
            found,
            [
                (r.id(), "relu", 0, BlockReason::ZeroGradient),
                (s.id(), "sign", 0, BlockReason::NoGradient)
            ]
        );
        let text = tape.why_zero(y, x).to_string();
        assert!(
            text.contains("`sign` at") && text.contains("returns no gradient"),
            "{text}"
        );
    }

    #[test]
    fn recognises_cancellation() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::scalar(2.0));
        let y = x * 3.0 - x * 3.0;
        assert_eq!(tape.why_zero(y, x), WhyZero::Cancelled);
    }
}
