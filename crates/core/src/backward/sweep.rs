//! The one reverse sweep, generic over how a node's VJP is run (`VjpRunner`), and the
//! step both runners share: running an op's VJP with the op out of its node.

use crate::stored_op::StoredOp;
use crate::tape::{NodeId, NodeKind};
use crate::{Float, Observer, Tape, Tensor, Var};
use smallvec::SmallVec;

/// One optional gradient per input of a node.
pub(super) type PerInput<G> = SmallVec<[Option<G>; 2]>;

/// What distinguishes the two sweeps: what a gradient is, how an op's VJP is evaluated,
/// and how two contributions to one node are added.
pub(super) trait VjpRunner<T: Float> {
    type Grad: Clone;

    /// The gradients of node `id`'s inputs given the node's cotangent `dy`, each already
    /// summed down to its input's shape.
    fn vjp(&mut self, id: NodeId, dy: Self::Grad) -> PerInput<Self::Grad>;

    /// `acc += g`.
    fn accumulate(&mut self, acc: &mut Self::Grad, g: Self::Grad);

    /// The value of a gradient (for observers).
    fn value(&self, g: &Self::Grad) -> Tensor<T>;
}

/// `runner.vjp` under an observer, which sees the cotangent and the gradients as tensors.
fn vjp_observed<T: Float, R: VjpRunner<T>>(
    tape: &Tape<T>,
    runner: &mut R,
    observer: &dyn Observer<T>,
    id: NodeId,
    dy: R::Grad,
) -> PerInput<R::Grad> {
    let dy_value = runner.value(&dy);
    observer.vjp_started(tape, id as usize, &dy_value);
    let dxs = runner.vjp(id, dy);
    let values: PerInput<Tensor<T>> = dxs
        .iter()
        .map(|dx| dx.as_ref().map(|g| runner.value(g)))
        .collect();
    observer.vjp_finished(tape, id as usize, &dy_value, &values);
    dxs
}

/// The reverse sweep: visits nodes from `root` down to `lowest` in reverse creation order,
/// hands each reached op node's cotangent to its VJP and adds the results into its inputs.
/// Returns `(id, cotangent)` for every reached node for which `keep` is true, by
/// descending id.
///
/// # Design
/// Creation order is a topological order, so there is no sort and no visited set: one
/// loop, one vector of pending cotangents that is emptied as the loop passes, so the
/// tensor sweep holds at most the gradients of the live frontier.
pub(super) fn sweep<T: Float, R: VjpRunner<T>>(
    tape: &Tape<T>,
    root: NodeId,
    seed: R::Grad,
    lowest: NodeId,
    keep: impl Fn(NodeId, NodeKind) -> bool,
    runner: &mut R,
) -> Vec<(NodeId, R::Grad)> {
    let mut kept = Vec::new();
    let start = Resume::seeded(root, seed);
    sweep_from(tape, start, lowest, keep, runner, &mut kept);
    kept
}

/// Where a sweep goes on from: the cotangents reached so far (`pending[id]`, for ids up to
/// `top`) and the highest node not yet visited.
pub(super) struct Resume<G> {
    pub(super) pending: Vec<Option<G>>,
    pub(super) top: NodeId,
}

impl<G: Clone> Resume<G> {
    /// The start of a sweep: only `root` reached, with cotangent `seed`.
    pub(super) fn seeded(root: NodeId, seed: G) -> Self {
        let mut pending = vec![None; root as usize + 1];
        pending[root as usize] = Some(seed);
        Resume { pending, top: root }
    }
}

/// [`sweep`] from a point another loop stopped at (the scalar loop, `scalar.rs`): visits
/// nodes `top` down to `lowest`, adding to `kept` what `keep` asks for.
pub(super) fn sweep_from<T: Float, R: VjpRunner<T>>(
    tape: &Tape<T>,
    Resume { mut pending, top }: Resume<R::Grad>,
    lowest: NodeId,
    keep: impl Fn(NodeId, NodeKind) -> bool,
    runner: &mut R,
    kept: &mut Vec<(NodeId, R::Grad)>,
) {
    for id in (lowest..=top).rev() {
        let Some(dy) = pending[id as usize].take() else {
            continue;
        };
        let kind = tape.nodes.borrow()[id as usize].kind;
        if keep(id, kind) {
            kept.push((id, dy.clone()));
        }
        if kind != NodeKind::Op {
            continue;
        }
        // With no observer installed, this flag read is the whole cost.
        let dxs = match tape.watcher() {
            None => runner.vjp(id, dy),
            Some(observer) => vjp_observed(tape, runner, &*observer, id, dy),
        };
        for (k, dx) in dxs.into_iter().enumerate() {
            let Some(dx) = dx else {
                continue;
            };
            // A short borrow per input: the recorded runner's `accumulate` records on the tape.
            let (input, requires_grad) = {
                let nodes = tape.nodes.borrow();
                let input = nodes[id as usize].inputs[k];
                (input, nodes[input as usize].requires_grad())
            };
            if !requires_grad {
                continue;
            }
            match &mut pending[input as usize] {
                Some(acc) => runner.accumulate(acc, dx),
                slot @ None => *slot = Some(dx),
            }
        }
    }
}

/// Evaluates node `id`'s VJP for cotangent `dy` and hands `finish` the op's name, the
/// node's inputs and the gradients the VJP returned (one per input).
///
/// The op is taken out of its node while its VJP runs, so no borrow of the tape is held:
/// the VJP may record new nodes, or differentiate something itself (nested
/// differentiation). The op goes back into its node afterwards, also if the VJP panics.
pub(super) fn with_node_vjp<'t, T: Float, R>(
    tape: &'t Tape<T>,
    id: NodeId,
    dy: Var<'t, T>,
    finish: impl FnOnce(&str, &[Var<'t, T>], SmallVec<[Option<Var<'t, T>>; 2]>) -> R,
) -> R {
    struct PutBack<'a, T: Float> {
        tape: &'a Tape<T>,
        id: NodeId,
        op: Option<StoredOp<T>>,
    }
    impl<T: Float> Drop for PutBack<'_, T> {
        fn drop(&mut self) {
            self.tape.nodes.borrow_mut()[self.id as usize].op = self.op.take();
        }
    }
    let (op, xs) = {
        let mut nodes = tape.nodes.borrow_mut();
        let node = &mut nodes[id as usize];
        let xs: SmallVec<[Var<'t, T>; 2]> =
            node.inputs.iter().map(|&i| Var { tape, id: i }).collect();
        (node.op.take().expect("op node without op"), xs)
    };
    let op = PutBack {
        tape,
        id,
        op: Some(op),
    };
    let op = op.op.as_ref().map(StoredOp::get).expect("just put there");
    let grads = op.vjp(&xs, Var { tape, id }, dy).0;
    check_arity(op.name(), grads.len(), xs.len());
    finish(op.name(), &xs, grads)
}

/// The values of a VJP's gradients `grads` for the inputs `xs` (evaluated in values-only
/// mode, so on the tape as values), each made its input's gradient by `fit(the input's
/// shape, the gradient's value)`: what both tensor runners do after a VJP.
pub(super) fn gradient_values<'t, T: Float>(
    tape: &'t Tape<T>,
    xs: &[Var<'t, T>],
    grads: SmallVec<[Option<Var<'t, T>>; 2]>,
    mut fit: impl FnMut(&[usize], &Tensor<T>) -> Tensor<T>,
) -> PerInput<Tensor<T>> {
    let values = tape.values.borrow();
    grads
        .into_iter()
        .zip(xs)
        .map(|(g, x)| g.map(|g| fit(values[x.id as usize].shape(), &values[g.id as usize])))
        .collect()
}

#[track_caller]
pub(super) fn check_arity(op: &str, got: usize, want: usize) {
    assert!(
        got == want,
        "vjp of `{op}` returned {got} gradients for {want} inputs"
    );
}
