//! Localisation: when a composite fails, check each node's op alone, at the values its
//! inputs had in the expression, and name the first one whose own VJP is wrong.
//!
//! # Design
//! The op of a recorded node is owned by the tape (`StoredOp`). To check it alone it
//! must be applied again on fresh tapes, so it is moved out of (a private copy of) the
//! expression's tape into an `Rc` and lent to those tapes through [`Lent`]. Nothing is
//! cloned and ops need no `Clone` bound; the lending tape is thrown away afterwards.

use super::report::{Culprit, Verdict};
use super::{run, Config, Function};
use crate::diagnostics::NodeInfo;
use crate::stored_op::StoredOp;
use crate::tape::{NodeId, NodeKind};
use crate::{Float, InputGrads, Op, Tape, Tensor, TensorError, Var};
use smallvec::SmallVec;
use std::rc::Rc;

/// An op borrowed from another tape's node.
struct Lent<T: Float>(Rc<StoredOp<T>>);

impl<T: Float> Op<T> for Lent<T> {
    fn name(&self) -> &str {
        self.0.get().name()
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        self.0.get().forward(xs)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        self.0.get().vjp(xs, y, dy)
    }
    fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
        self.0.get().is_at_kink(xs)
    }
    fn label(&self) -> String {
        self.0.get().label()
    }
}

/// One node's op as a function of its differentiable inputs; its constant inputs stay
/// fixed at their values.
struct Alone<T: Float> {
    op: Rc<StoredOp<T>>,
    /// Per op input: `Some(value)` for a constant input, `None` for a checked one.
    fixed: Vec<Option<Tensor<T>>>,
}

impl<T: Float> Function<T> for Alone<T> {
    fn eval<'t>(&self, xs: &[Var<'t, T>]) -> Var<'t, T> {
        let tape = xs[0].tape();
        let mut free = xs.iter();
        let args: SmallVec<[Var<'t, T>; 4]> = self
            .fixed
            .iter()
            .map(|c| match c {
                Some(value) => tape.constant(value.clone()),
                None => *free.next().expect("one variable per checked input"),
            })
            .collect();
        tape.apply(Lent(self.op.clone()), &args)
    }
}

/// Re-evaluates `f` at `inputs` and checks every op node alone at orders `1..=order`, in
/// creation order; returns the first that fails (nodes at a kink are skipped: they are
/// reported as kinks).
pub(crate) fn localise<T: Float>(
    f: &dyn Function<T>,
    inputs: &[Tensor<T>],
    order: usize,
    cfg: &Config,
    dtype: &'static str,
) -> Option<Culprit> {
    let tape = Tape::<T>::new();
    let xs: Vec<_> = inputs.iter().map(|x| tape.leaf(x.clone())).collect();
    let _ = f.eval(&xs);
    let sub = Config {
        localise: false,
        ..cfg.clone()
    };
    for id in 0..tape.len() {
        let (op, fixed, free, info) = {
            let mut nodes = tape.nodes.borrow_mut();
            let values = tape.values.borrow();
            if nodes[id].kind != NodeKind::Op {
                continue;
            }
            let info = NodeInfo::of(&nodes, id as NodeId);
            let inputs = nodes[id].inputs.clone();
            let at_kink = {
                let values: SmallVec<[&Tensor<T>; 4]> =
                    inputs.iter().map(|&i| &values[i as usize]).collect();
                nodes[id]
                    .op
                    .as_ref()
                    .is_some_and(|op| op.get().is_at_kink(&values))
            };
            if at_kink {
                continue;
            }
            let mut fixed = Vec::new();
            let mut free = Vec::new();
            for &i in &inputs {
                let value = values[i as usize].clone();
                if nodes[i as usize].requires_grad() {
                    fixed.push(None);
                    free.push(value);
                } else {
                    fixed.push(Some(value));
                }
            }
            let op = nodes[id].op.take().expect("op node without op");
            (op, fixed, free, info)
        };
        let alone = Alone {
            op: Rc::new(op),
            fixed,
        };
        let report = run(&alone, &alone, &free, order, &sub, dtype);
        if report.verdict == Verdict::Fail {
            return Some(Culprit {
                node: info,
                report: Box::new(report),
            });
        }
    }
    None
}
