//! The recorded sweep's runner (`Tape::grad`): gradients are variables, each VJP is
//! recorded on the tape, so the result can be differentiated again.

use super::sweep::{with_node_vjp, PerInput, VjpRunner};
use crate::tape::NodeId;
use crate::{Float, Tape, Tensor, Var};

/// The recorded sweep's runner: gradients are variables, VJPs are recorded on the same tape.
pub(super) struct Recorded<'t, T: Float> {
    pub(super) tape: &'t Tape<T>,
}

impl<'t, T: Float> VjpRunner<T> for Recorded<'t, T> {
    type Grad = Var<'t, T>;

    fn vjp(&mut self, id: NodeId, dy: Var<'t, T>) -> PerInput<Var<'t, T>> {
        with_node_vjp(self.tape, id, dy, |name, xs, grads| {
            grads
                .into_iter()
                .zip(xs)
                .map(|(g, x)| {
                    g.map(|g| {
                        let shape = x.shape();
                        if crate::tensor::same_shape(&g.shape(), &shape) {
                            g
                        } else {
                            g.try_sum_to(&shape)
                                .unwrap_or_else(|e| panic!("vjp of `{name}`: {}", e.message))
                        }
                    })
                })
                .collect()
        })
    }

    fn accumulate(&mut self, acc: &mut Var<'t, T>, g: Var<'t, T>) {
        *acc = *acc + g;
    }

    fn value(&self, g: &Var<'t, T>) -> Tensor<T> {
        g.value()
    }
}
