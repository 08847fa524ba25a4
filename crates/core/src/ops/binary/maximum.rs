//! `maximum`: element-wise `max(a, b)` with broadcasting. The tie rule it shares with
//! `minimum` (half the cotangent to each side) lives here too.

use crate::structure::{Curvature, Structure};
use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = max(a, b)` (broadcasting; NaN if either is NaN).
/// `da = dy · [a > b]`, `db = dy · [b > a]`, and at a tie `a == b` half of `dy` to each side.
///
/// The tie rule is PyTorch's (CONVENTIONS.md): it makes `x.maximum(x)` have gradient 1 and
/// gives `max(x, 0)` the slope 0.5 at 0, where `relu'(0)` is 0. The weights are the op
/// [`Winner`](super::Winner), which has no gradient, so the VJP is linear in `dy` and its
/// own derivative with respect to `a`, `b` is 0, as it is almost everywhere.
pub struct Maximum;

impl<T: Float> Op<T> for Maximum {
    fn name(&self) -> &str {
        "maximum"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(pick(xs[0], xs[1], xs[0] > xs[1]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].zip_map(xs[1], |a, b| pick(a, b, a > b))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        winner_vjp(xs, dy, true)
    }
    fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
        any_tie(xs[0], xs[1])
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Linear)
    }
}

/// `a` if `a_wins`, `b` if `b` wins, either at a tie, NaN if either is NaN.
pub(super) fn pick<T: Float>(a: T, b: T, a_wins: bool) -> T {
    if a.is_nan() || b.is_nan() {
        T::NAN
    } else if a_wins {
        a
    } else {
        b
    }
}

/// True when some broadcast pair of elements is equal.
pub(super) fn any_tie<T: Float>(a: &Tensor<T>, b: &Tensor<T>) -> bool {
    a.zip_map(b, |a, b| if a == b { T::ONE } else { T::ZERO })
        .is_ok_and(|t| t.as_slice().iter().any(|&t| t != T::ZERO))
}

/// The VJP of a two-way pick: `a`'s weight is 1 where it wins (`larger`: the larger side
/// wins), ½ at a tie, 0 where `b` wins and NaN where either is NaN; `b`'s weight is the
/// same with the sides swapped (see [`Winner`](super::Winner)).
pub(super) fn winner_vjp<'t, T: Float>(
    xs: &[Var<'t, T>],
    dy: Var<'t, T>,
    larger: bool,
) -> InputGrads<'t, T> {
    let (a, b) = (xs[0], xs[1]);
    [
        Some(dy * a.winner(b, larger)),
        Some(dy * b.winner(a, larger)),
    ]
    .into()
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise `max(self, rhs)` with broadcasting, or the error when the shapes do
    /// not broadcast.
    #[track_caller]
    pub fn try_maximum(self, rhs: Self) -> Result<Self, Error> {
        self.tape.try_apply(Maximum, &[self, rhs])
    }

    /// Element-wise `max(self, rhs)` with broadcasting; at a tie each side gets half the
    /// gradient. NaN in either operand gives NaN.
    #[track_caller]
    pub fn maximum(self, rhs: Self) -> Self {
        self.try_maximum(rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
