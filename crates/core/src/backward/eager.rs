//! The tensor sweep's runner (`Var::backward`): gradients are tensors, each VJP is
//! evaluated in values-only mode and forgotten after its node.

use super::sweep::{gradient_values, with_node_vjp, PerInput, VjpRunner};
use crate::tape::NodeId;
use crate::{Float, Tape, Tensor, Var};
use smallvec::SmallVec;

/// The tensor sweep's runner: gradients are tensors. Each VJP is evaluated with the tape in
/// values-only mode: the op's inputs and output are the recorded variables themselves
/// (nothing is copied), the cotangent and the VJP's intermediates are pushed as bare
/// values past the recorded nodes, and dropped again after the node.
///
/// # Design
/// A VJP that differentiates something itself (it calls [`Tape::grad`] or
/// [`Var::backward`]: an op defined implicitly, say) needs its own computation recorded,
/// which values-only mode does not do. Such a nested call sets the tape's
/// `nested_request` and answers zeros; the runner then throws that result away, evaluates
/// the VJP once more with recording on, and forgets what it recorded. Ops that do not
/// differentiate inside their VJP, which is nearly all, pay one flag read.
pub(super) struct Eager<'t, T: Float> {
    pub(super) tape: &'t Tape<T>,
    /// Number of values (and nodes) before the sweep began.
    pub(super) base: usize,
    /// Whether the tape was already in values-only mode (a nested `backward`).
    was_values_only: bool,
}

impl<'t, T: Float> Eager<'t, T> {
    /// The tensor sweep's runner on `tape`.
    pub(super) fn new(tape: &'t Tape<T>) -> Self {
        Eager {
            tape,
            base: tape.len(),
            was_values_only: tape.values_only.replace(true),
        }
    }

    /// The values of a VJP's gradients, each summed down to its input's shape.
    fn collect(
        &self,
        name: &str,
        xs: &[Var<'t, T>],
        grads: SmallVec<[Option<Var<'t, T>>; 2]>,
    ) -> PerInput<Tensor<T>> {
        gradient_values(self.tape, xs, grads, |shape, g| {
            if crate::tensor::same_shape(g.shape(), shape) {
                g.clone()
            } else {
                g.sum_to(shape)
                    .unwrap_or_else(|e| panic!("vjp of `{name}`: {e}"))
            }
        })
    }
}

impl<T: Float> Drop for Eager<'_, T> {
    /// Restores the tape even if a VJP panicked.
    fn drop(&mut self) {
        self.tape.truncate(self.base);
        self.tape.values_only.set(self.was_values_only);
    }
}

impl<T: Float> VjpRunner<T> for Eager<'_, T> {
    type Grad = Tensor<T>;

    fn vjp(&mut self, id: NodeId, dy: Tensor<T>) -> PerInput<Tensor<T>> {
        let tape = self.tape;
        if let Some(out) = scalar_partials(tape, id, &dy) {
            return out;
        }
        tape.truncate_values(self.base);
        tape.nested_request.set(false);
        let dy_var = tape.constant(dy.clone());
        let out = with_node_vjp(tape, id, dy_var, |name, xs, grads| {
            self.collect(name, xs, grads)
        });
        if !tape.nested_request.replace(false) {
            return out;
        }
        // The VJP differentiated inside: evaluate it again, recorded (see `Eager`).
        drop(out);
        tape.truncate_values(self.base);
        tape.values_only.set(false);
        let recording = tape.recording.replace(true);
        let dy_var = tape.constant(dy);
        let out = with_node_vjp(tape, id, dy_var, |name, xs, grads| {
            self.collect(name, xs, grads)
        });
        tape.truncate(self.base);
        tape.recording.set(recording);
        tape.values_only.set(true);
        out
    }

    fn accumulate(&mut self, acc: &mut Tensor<T>, g: Tensor<T>) {
        acc.add_assign_owned(g);
    }

    fn value(&self, g: &Tensor<T>) -> Tensor<T> {
        g.clone()
    }
}

/// Node `id`'s gradients `dy · pᵢ` from the partials it kept when it was recorded (its
/// op's [`scalar_partials`](crate::Op::scalar_partials), on single numbers), when `dy` is
/// rank 0 too; `None` otherwise, and the VJP runs.
///
/// # Design
/// On scalar code this is most of a first-order sweep: no cotangent pushed on the tape, no
/// op taken out of its node, no VJP ops applied and collected, one product per input. The
/// numbers are the VJP's (an op gives partials only where its VJP is that one product).
/// `backward()` runs whole stretches of such nodes in the scalar loop (`scalar.rs`); this
/// serves the ones the generic sweep meets after it.
fn scalar_partials<T: Float>(
    tape: &Tape<T>,
    id: NodeId,
    dy: &Tensor<T>,
) -> Option<PerInput<Tensor<T>>> {
    if dy.ndim() != 0 {
        return None;
    }
    let nodes = tape.nodes.borrow();
    let node = &nodes[id as usize];
    let partials = node.partials?;
    let d = dy.item();
    // pushed, not collected: SmallVec's generic `extend` is measurably slower
    let mut out = PerInput::new();
    for &p in &partials[..node.inputs.len()] {
        out.push(Some(Tensor::scalar(d * p)));
    }
    Some(out)
}
