//! `pow`: element-wise `a^b` of two variables with broadcasting, with the guards of
//! CONVENTIONS.md at a zero base. Constant exponents (`powf`, `powi`) are unary ops.

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
        let da = guarded(&base_live, a, |a| dy * b * a.pow(b - T::ONE));
        let db = guarded(&exponent_live, a, |a| dy * y * a.log());
        [Some(da), Some(db)].into()
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

#[cfg(test)]
mod tests {
    use crate::testing::{assert_gradients, broadcast_pair, tensor_in};
    use crate::{Tape, Tensor};
    use proptest::prelude::*;

    #[test]
    fn pow_matches_literal() {
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::vector(vec![2.0, 9.0]));
        let b = tape.leaf(Tensor::vector(vec![3.0, 0.5]));
        let y = a.pow(b);
        assert_eq!(y.value().as_slice(), &[8.0, 3.0]);
        let g = y.sum().backward();
        // da = b·a^(b-1): 3·2² = 12, 0.5·9^-0.5 = 1/6
        assert_eq!(g.wrt(a).as_slice(), &[12.0, 0.5 / 3.0]);
        // db = y·ln a: 8·ln 2, 3·ln 9
        assert_eq!(g.wrt(b).as_slice(), &[8.0 * 2f64.ln(), 3.0 * 9f64.ln()]);
    }

    #[test]
    fn pow_negative_base_integer_exponent() {
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::scalar(-2.0));
        let b = tape.leaf(Tensor::scalar(3.0));
        let y = a.pow(b);
        assert_eq!(y.item(), -8.0);
        let g = y.backward();
        assert_eq!(g.wrt(a).item(), 12.0); // 3·(-2)²
        assert!(g.wrt(b).item().is_nan()); // ln(-2) is undefined
    }

    #[test]
    fn pow_zero_exponent_gives_base_gradient_zero() {
        // x^0 = 1 for every x, 0 included; d/dx = 0, not 0·0^-1 = NaN
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![0.0, 3.0, -2.0]));
        let e = tape.leaf(Tensor::scalar(0.0));
        let y = x.pow(e);
        assert_eq!(y.value().as_slice(), &[1.0, 1.0, 1.0]);
        let g = y.sum().backward();
        assert_eq!(g.wrt(x).as_slice(), &[0.0, 0.0, 0.0]);
        // db = Σ ln x over the positions with x ≠ 0 (0 at x = 0 by the zero-base rule)
        assert!(g.wrt(e).item().is_nan()); // ln(-2) makes the total NaN…
        let x = tape.leaf(Tensor::vector(vec![0.0, 3.0]));
        let g = x.pow(e).sum().backward();
        assert_eq!(g.wrt(x).as_slice(), &[0.0, 0.0]);
        assert_eq!(g.wrt(e).item(), 3f64.ln()); // …and without it, ln 3 + 0
                                                // the same through the recorded door
        let dx = tape.grad(x.pow(e).sum(), &[x])[0];
        assert_eq!(dx.value().as_slice(), &[0.0, 0.0]);
    }

    #[test]
    fn pow_zero_base_nonnegative_exponent_gives_exponent_gradient_zero() {
        // d/db 0^b = 0 for b ≥ 0, not 0·ln 0 = NaN (b > 0) or 1·ln 0 = -inf (b = 0)
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::scalar(0.0));
        let b = tape.leaf(Tensor::vector(vec![0.0, 0.5, 2.0]));
        let y = a.pow(b);
        assert_eq!(y.value().as_slice(), &[1.0, 0.0, 0.0]);
        let g = y.sum().backward();
        assert_eq!(g.wrt(b).as_slice(), &[0.0, 0.0, 0.0]);
        // da: 0 (exponent 0), 0.5·0^-0.5 = +inf, 2·0 = 0
        assert_eq!(g.wrt(a).item(), f64::INFINITY);
    }

    #[test]
    fn pow_zero_base_exponent_minus_one_gives_minus_infinity() {
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::scalar(0.0));
        let b = tape.leaf(Tensor::scalar(-1.0));
        let y = a.pow(b);
        assert_eq!(y.item(), f64::INFINITY);
        let g = y.backward();
        assert_eq!(g.wrt(b).item(), f64::NEG_INFINITY); // inf · ln 0
        assert_eq!(g.wrt(a).item(), f64::NEG_INFINITY); // -1 · 0^-2
    }

    #[test]
    fn pow_guards_stay_differentiable() {
        // At the guarded point (0, 0) the second derivatives are finite (0): the guards
        // sanitise what they discard.
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::scalar(0.0));
        let b = tape.leaf(Tensor::scalar(0.0));
        let g = tape.grad(a.pow(b), &[a, b]);
        for gi in &g {
            for h in tape.grad(*gi, &[a, b]) {
                assert_eq!(h.item(), 0.0);
            }
        }
        // At b = 0, a ≠ 0 nothing is guarded and the mixed derivative is exact:
        // ∂²(a^b)/∂a∂b = a^(b-1)(1 + b ln a) = 1/a = 0.5 at a = 2.
        let a = tape.leaf(Tensor::scalar(2.0));
        let da = tape.grad(a.pow(b), &[a])[0];
        assert_eq!(da.item(), 0.0);
        assert_eq!(tape.grad(da, &[b])[0].item(), 0.5);
    }

    #[test]
    fn pow_rejects_incompatible_shapes() {
        let tape = Tape::<f64>::new();
        let e = tape
            .leaf(Tensor::zeros(&[2, 3]))
            .try_pow(tape.leaf(Tensor::zeros(&[4])))
            .unwrap_err();
        assert_eq!(e.op, "pow");
        assert!(e.message.contains("[2, 3] and [4]"), "{e}");
        assert!(e.location.file().ends_with("pow.rs"), "{e}");
    }

    #[test]
    fn pow_gradcheck_order2() {
        let a = Tensor::from_vec(vec![0.6, 1.4, 0.9, 1.3, 2.0, 0.5], &[2, 3]);
        let b = Tensor::vector(vec![0.3, -1.7, 2.5]);
        assert_gradients(|x| x[0].pow(x[1]), &[a.clone(), b], 2);
        assert_gradients(|x| x[0].pow(x[0]), &[a], 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn pow_gradients_match_finite_differences(
            (a, b) in broadcast_pair(4).prop_flat_map(|(sa, sb)| {
                (tensor_in(sa, 0.5, 2.0), tensor_in(sb, -2.0, 2.0))
            })
        ) {
            assert_gradients(|x| x[0].pow(x[1]) * x[1], &[a.clone(), b], 2);
            assert_gradients(|x| x[0].pow(x[0]), &[a], 2);
        }
    }
}
