//! Localisation: when a composite fails, check each node's op alone, at the values its
//! inputs had in the expression, and name the first one whose own VJP is wrong.
//!
//! # Design
//! The op of a recorded node is owned by the tape. To check it alone it must be applied
//! again on fresh tapes, so (a private copy of) the expression's tape is shared behind an
//! `Rc` and the op is lent to those tapes through [`Lent`], which reaches it through the
//! tape's public view. Nothing is cloned and ops need no `Clone` bound; the lending tape
//! is thrown away afterwards.

use super::report::{Culprit, Verdict};
use super::{run, Config, Function};
use crate::diagnostics::NodeInfo;
use smallvec::SmallVec;
use std::rc::Rc;
use tapegrad_core::{Float, InputGrads, NodeKind, Op, Tape, Tensor, TensorError, Var};

/// The op of node `id` of another tape, lent. Its calls borrow that tape only: the VJP
/// records on the tape it is applied to, never on the lending one.
struct Lent<T: Float> {
    tape: Rc<Tape<T>>,
    id: usize,
    /// The op's name, kept here because [`Op::name`] returns a borrow.
    name: String,
}

impl<T: Float> Lent<T> {
    fn with<R>(&self, f: impl FnOnce(&dyn Op<T>) -> R) -> R {
        let node = self.tape.node(self.id).expect("a node of the lending tape");
        f(node.op().expect("an op node"))
    }
}

impl<T: Float> Op<T> for Lent<T> {
    fn name(&self) -> &str {
        &self.name
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        self.with(|op| op.forward(xs))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        self.with(|op| op.vjp(xs, y, dy))
    }
    fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
        self.with(|op| op.is_at_kink(xs))
    }
    fn label(&self) -> String {
        self.with(|op| op.label())
    }
}

/// One node's op as a function of its differentiable inputs; its constant inputs stay
/// fixed at their values.
struct Alone<T: Float> {
    tape: Rc<Tape<T>>,
    id: usize,
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
        let lent = Lent {
            tape: self.tape.clone(),
            id: self.id,
            name: self.tape.node(self.id).expect("a node").name().to_string(),
        };
        tape.apply(lent, &args)
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
    let tape = Rc::new(Tape::<T>::new());
    let xs: Vec<_> = inputs.iter().map(|x| tape.leaf(x.clone())).collect();
    let _ = f.eval(&xs);
    let sub = Config {
        localise: false,
        ..cfg.clone()
    };
    for id in 0..tape.len() {
        let (fixed, free, info) = {
            let node = tape.node(id).expect("id below len");
            if node.kind() != NodeKind::Op || node.is_at_kink() {
                continue;
            }
            let mut fixed = Vec::new();
            let mut free = Vec::new();
            for input in node.inputs() {
                let input = tape.node(input).expect("an input");
                let value = input.value().clone();
                if input.kind() == NodeKind::Constant {
                    fixed.push(Some(value));
                } else {
                    fixed.push(None);
                    free.push(value);
                }
            }
            (fixed, free, NodeInfo::of(&node))
        };
        let alone = Alone {
            tape: tape.clone(),
            id,
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
