//! The batched tensor sweep's runner: `k` cotangents pushed through one recording at
//! once, each gradient a tensor with a leading axis of length `k` (what Jacobians by rows,
//! Hessians and batched VJPs of `func` run on).

use super::eager::Eager;
use super::sweep::{gradient_values, with_node_vjp, PerInput, VjpRunner};
use crate::tape::NodeId;
use crate::tensor::{joined, numel};
use crate::{Float, Tape, Tensor, Var};
use smallvec::SmallVec;

/// The batched runner: a gradient of node `v` is a tensor of shape `[k] ++ v`'s shape,
/// row `j` the gradient for cotangent `j`.
///
/// # Design
/// Through a node whose op says its VJP batches ([`Op::vjp_batches`](crate::Op::vjp_batches):
/// element-wise ops and `matmul`, written with broadcasting operations of `dy`), the VJP
/// runs once on the whole batch, in values-only mode as the tensor sweep's does, and each
/// result is summed down to `[k] ++` its input's shape. Through any other node (reshapes,
/// reductions, user ops) it runs once per cotangent, by the tensor sweep's own runner, and
/// the results are stacked. The answers are the same either way; the batched path saves
/// the per-node cost `k − 1` times, which is what makes a Hessian of `n` variables cost
/// less than `n` gradients.
pub(super) struct Batched<'t, T: Float> {
    eager: Eager<'t, T>,
    k: usize,
}

impl<'t, T: Float> Batched<'t, T> {
    /// The runner for batches of `k` cotangents on `tape` (values-only until dropped).
    pub(super) fn new(tape: &'t Tape<T>, k: usize) -> Self {
        Batched {
            eager: Eager::new(tape),
            k,
        }
    }

    /// The whole batch through node `id`'s VJP at once; `None` when the VJP differentiated
    /// something inside (the one-by-one path evaluates it again, recorded).
    fn all_at_once(&mut self, id: NodeId, dy: Tensor<T>) -> Option<PerInput<Tensor<T>>> {
        let tape = self.eager.tape;
        tape.truncate_values(self.eager.base);
        tape.nested_request.set(false);
        let dy_var = tape.constant(dy);
        let k = self.k;
        let out = with_node_vjp(tape, id, dy_var, |name, xs, grads| {
            collect(tape, name, xs, grads, k)
        });
        (!tape.nested_request.replace(false)).then_some(out)
    }

    /// Node `id`'s VJP once per cotangent of the batch, the results stacked.
    fn one_by_one(&mut self, id: NodeId, dy: Tensor<T>) -> PerInput<Tensor<T>> {
        let k = self.k;
        let row_shape = &dy.shape()[1..];
        let m = numel(row_shape);
        // per input, once any row had a gradient: the rows so far and one row's shape (a
        // row without a gradient, where others have one, is zeros)
        let mut stacked: PerInput<(Vec<T>, Vec<usize>)> = SmallVec::new();
        for j in 0..k {
            let row = Tensor::from_slice(&dy.as_slice()[j * m..(j + 1) * m], row_shape);
            let grads = self.eager.vjp(id, row);
            stacked.resize(grads.len(), None);
            for (slot, g) in stacked.iter_mut().zip(grads) {
                match (slot, g) {
                    (Some((data, shape)), g) => match g {
                        Some(g) => data.extend_from_slice(g.as_slice()),
                        None => data.resize(data.len() + numel(shape), T::ZERO),
                    },
                    (slot @ None, Some(g)) => {
                        let mut data = crate::tensor::alloc_buffer(k * g.len())
                            .unwrap_or_else(|e| panic!("{e}"));
                        data.resize(j * g.len(), T::ZERO);
                        data.extend_from_slice(g.as_slice());
                        *slot = Some((data, g.shape().to_vec()));
                    }
                    (None, None) => {}
                }
            }
        }
        stacked
            .into_iter()
            .map(|slot| slot.map(|(data, shape)| Tensor::from_vec(data, &joined(&[k], &shape))))
            .collect()
    }
}

impl<T: Float> VjpRunner<T> for Batched<'_, T> {
    type Grad = Tensor<T>;

    fn vjp(&mut self, id: NodeId, dy: Tensor<T>) -> PerInput<Tensor<T>> {
        let batches = {
            let nodes = self.eager.tape.nodes.borrow();
            (nodes[id as usize].op.as_ref()).is_some_and(|op| op.get().vjp_batches())
        };
        if batches {
            if let Some(out) = self.all_at_once(id, dy.clone()) {
                return out;
            }
        }
        self.one_by_one(id, dy)
    }

    fn accumulate(&mut self, acc: &mut Tensor<T>, g: Tensor<T>) {
        acc.add_assign_owned(g);
    }

    fn value(&self, g: &Tensor<T>) -> Tensor<T> {
        g.clone()
    }
}

/// The values of a batched VJP's gradients, each summed down to `[k] ++` its input's
/// shape. A gradient that involved `dy` has more axes than its input, the batch axis in
/// front (broadcasting against `dy` puts it there); one of the input's shape did not
/// involve `dy`, so by linearity it is zero, and it is spread over the batch. Anything
/// else is an op whose `vjp_batches` is wrong: a panic naming it.
fn collect<'t, T: Float>(
    tape: &'t Tape<T>,
    name: &str,
    xs: &[Var<'t, T>],
    grads: SmallVec<[Option<Var<'t, T>>; 2]>,
    k: usize,
) -> PerInput<Tensor<T>> {
    let wrong = |why: &str| -> ! {
        panic!("vjp of `{name}` declares `vjp_batches` but {why}: its VJP does not batch")
    };
    gradient_values(tape, xs, grads, |shape, g| {
        let full = joined(&[k], shape);
        if g.ndim() <= shape.len() {
            if g.as_slice().iter().any(|&v| v != T::ZERO) {
                wrong("a gradient without the batch axis is not zero")
            }
            return Tensor::zeros(&full);
        }
        if g.shape()[0] != k {
            wrong("a gradient does not have the batch axis in front")
        }
        if crate::tensor::same_shape(g.shape(), &full) {
            return g.clone();
        }
        // [k, m, n] for an input [n]: summed to [k, 1, n], then [k, n]
        let mut kept = vec![k];
        kept.extend(std::iter::repeat_n(1, g.ndim() - 1 - shape.len()));
        kept.extend_from_slice(shape);
        let summed = g.sum_to(&kept).unwrap_or_else(|e| wrong(e.message()));
        summed.reshape(&full).unwrap_or_else(|e| wrong(e.message()))
    })
}
