//! `pow`: element-wise `a^b` of two variables with broadcasting, with the guards of
//! CONVENTIONS.md at a zero base. Constant exponents (`powf`, `powi`) are unary ops.

use crate::structure::{Curvature, Structure};
use crate::tensor::accepted;
use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = a^b` (broadcasting). `da = dy · b · a^(b-1)`, `db = dy · y · ln a`.
///
/// Edge conventions (CONVENTIONS.md):
/// - `x^0 = 1` for every `x`, with base gradient 0, also at `x = 0` where the formula
///   would give `0 · 0^-1 = NaN`;
/// - at `a = 0, b ≥ 0`, `db = 0` (not `0 · ln 0 = NaN`, nor `1 · ln 0 = -inf` at `b = 0`);
/// - at `a = 0, b < 0`, the formulas' infinities stand: at `(0, -1)`, `da = db = -inf`;
/// - a negative base gives `db = NaN` (`ln a` is undefined), and a non-integer exponent of
///   a negative base gives NaN everywhere.
///
/// # Design
/// The guards are `select`s on constant masks computed from the inputs, so the VJP stays a
/// differentiable expression: away from the guarded points it is the plain formula, and
/// its derivatives are exact there. Each guard sanitises the input of the expression it
/// discards ("double where", see [`Select`](super::Select)), so that second derivatives at
/// the guarded points are finite too. The base guard covers only the points where the
/// formula breaks (`b = 0` and `a^-1` not finite) rather than all of `b = 0` as PyTorch
/// does: at `b = 0, a ≠ 0` the formula already gives 0, and keeping it keeps the mixed
/// derivative `∂²y/∂a∂b = a^(b-1)(1 + b ln a)` exact there (`1/a` at `b = 0`).
pub struct Pow;

impl<T: Float> Op<T> for Pow {
    fn name(&self) -> &str {
        "pow"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(T::powf(xs[0], xs[1]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].zip_map(xs[1], T::powf)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let (a, b) = (xs[0], xs[1]);
        let (av, bv) = (a.value(), b.value());
        let flag = |c: bool| if c { T::ONE } else { T::ZERO };
        // Where these masks are 1 the formula is used; elsewhere the gradient is 0.
        // Base: guarded where b = 0 and a^(b-1) is infinite or NaN (0·inf, 0·NaN).
        let base_live = accepted(av.zip_map(&bv, |a, b| {
            flag(b != T::ZERO || a.powf(b - T::ONE).is_finite())
        }));
        // Exponent: guarded where a = 0 and b ≥ 0 (a NaN b is not guarded: NaN stays).
        let exponent_live =
            accepted(av.zip_map(&bv, |a, b| flag(a != T::ZERO || b < T::ZERO || b.is_nan())));
        // A constant operand's gradient would be dropped by the sweep: not computed.
        let da = (a.needs_grad()).then(|| guarded(&base_live, a, |a| dy * b * a.pow(b - T::ONE)));
        let db = (b.needs_grad()).then(|| guarded(&exponent_live, a, |a| dy * y * a.log()));
        [da, db].into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

/// `f(a)` where `live` is nonzero and 0 elsewhere, with `f` evaluated at `a = 1` in the
/// discarded positions so that its derivatives there are finite (the "double where").
/// Without a discarded position it is just `f(a)`.
fn guarded<'t, T: Float>(
    live: &Tensor<T>,
    a: Var<'t, T>,
    f: impl Fn(Var<'t, T>) -> Var<'t, T>,
) -> Var<'t, T> {
    if live.as_slice().iter().all(|&l| l != T::ZERO) {
        return f(a);
    }
    let one = a.scalar(T::ONE);
    let zero = a.scalar(T::ZERO);
    Var::select(live, f(Var::select(live, a, one)), zero)
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise `self^e` with broadcasting, or the error when the shapes do not
    /// broadcast.
    #[track_caller]
    pub fn try_pow(self, e: Self) -> Result<Self, Error> {
        self.tape.try_apply(Pow, &[self, e])
    }

    /// Element-wise `self^e` with broadcasting, differentiable in both; see [`Pow`] for
    /// the conventions at a zero base.
    #[track_caller]
    pub fn pow(self, e: Self) -> Self {
        self.try_pow(e).unwrap_or_else(|e| panic!("{e}"))
    }
}
