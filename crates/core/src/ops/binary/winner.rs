//! `winner`: which side of a two-way pick won, as a weight with no gradient (the masks
//! `maximum` and `minimum` differentiate with, recomputed by a plan at every replay).

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = 1` where `a` wins (`a > b` when `larger`, `a < b` otherwise), `½` at a tie
/// `a == b`, `0` where `b` wins, NaN where either is NaN (broadcasting). `da = db = 0`:
/// the VJP returns no gradient.
///
/// # Design
/// `maximum`'s VJP is `da = dy · winner(a, b)`, `db = dy · winner(b, a)`: the weights are
/// ops of the recording, not constants made from values, so a [`Plan`](crate::Plan)
/// recomputes them from the new inputs. The ½ at a tie is the rule of `CONVENTIONS.md`.
pub struct Winner {
    /// `true`: the larger side wins (`maximum`); `false`: the smaller (`minimum`).
    pub larger: bool,
}

impl<T: Float> Op<T> for Winner {
    fn name(&self) -> &str {
        "winner"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let half = T::from_f64(0.5);
        let larger = self.larger;
        xs[0].zip_map(xs[1], |a, b| {
            if a == b {
                half
            } else if a.is_nan() || b.is_nan() {
                T::NAN
            } else if (a > b) == larger {
                T::ONE
            } else {
                T::ZERO
            }
        })
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, _dy: Var<'t, T>) -> InputGrads<'t, T> {
        [None, None].into()
    }
    fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
        super::maximum::any_tie(xs[0], xs[1])
    }
    fn label(&self) -> String {
        format!("winner(larger={})", self.larger)
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Linear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// The weight of `self` in `maximum(self, rhs)` (`larger`) or `minimum`: 1 where it
    /// wins, ½ at a tie, 0 where `rhs` wins, NaN where either is NaN; no gradient.
    /// Panics (naming the shapes and the line) if the shapes do not broadcast.
    #[track_caller]
    pub fn winner(self, rhs: Self, larger: bool) -> Self {
        self.tape.apply(Winner { larger }, &[self, rhs])
    }
}
