//! A user-defined op written outside the crate, as a user would: checked with the
//! op-author's kit and with the gradient checker, and differentiated twice.

use tapegrad::prelude::*;
use tapegrad_check::gradcheck::{check, check_gradients, Config, Verdict};
use tapegrad_check::testing::check_op;

/// `y = √(a² + b²)` with broadcasting. `da = dy · a / y`, `db = dy · b / y`.
///
/// At `a = b = 0` the function has a cone point (not differentiable); the VJP then gives
/// NaN (0/0), and `is_at_kink` says so.
struct Hypot;

impl<T: Float> Op<T> for Hypot {
    fn name(&self) -> &str {
        "hypot"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].zip_map(xs[1], |a, b| (a * a + b * b).sqrt())
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let dy_y = dy / y;
        [Some(dy_y * xs[0]), Some(dy_y * xs[1])].into()
    }
    fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
        xs[0]
            .zip_map(xs[1], |a, b| {
                if a == T::ZERO && b == T::ZERO {
                    T::ONE
                } else {
                    T::ZERO
                }
            })
            .is_ok_and(|both| both.as_slice().contains(&T::ONE))
    }
}

trait HypotExt: Sized {
    fn try_hypot(self, other: Self) -> Result<Self, Error>;
    fn hypot(self, other: Self) -> Self;
}

impl<T: Float> HypotExt for Var<'_, T> {
    #[track_caller]
    fn try_hypot(self, other: Self) -> Result<Self, Error> {
        self.tape().try_apply(Hypot, &[self, other])
    }
    #[track_caller]
    fn hypot(self, other: Self) -> Self {
        self.tape().apply(Hypot, &[self, other])
    }
}

#[test]
fn hypot_matches_literal_and_differentiates_twice() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::scalar(3.0));
    let b = tape.leaf(Tensor::scalar(4.0));
    let y = a.hypot(b);
    assert_eq!(y.item(), 5.0);
    // ∂y/∂a = a/y = 0.6, ∂y/∂b = b/y = 0.8
    let g = tape.grad(y, &[a, b]);
    assert!((g[0].item() - 0.6).abs() < 1e-15 && (g[1].item() - 0.8).abs() < 1e-15);
    // ∂²y/∂a² = b²/y³ = 16/125, ∂²y/∂a∂b = −ab/y³ = −12/125
    let h = tape.grad(g[0], &[a, b]);
    assert!((h[0].item() - 16.0 / 125.0).abs() < 1e-15);
    assert!((h[1].item() + 12.0 / 125.0).abs() < 1e-15);
}

#[test]
fn hypot_passes_the_kit() {
    let summary = check_op(2, || Hypot).away_from_zero(0.1).assert();
    assert_eq!(summary.op, "hypot");
    assert!(summary.checks >= 3 * summary.cases as usize, "{summary}");
}

#[test]
fn hypot_gradcheck_order2() {
    let a = Tensor::from_vec(vec![0.5, -1.2, 2.0, 0.3, -0.7, 1.1], &[2, 3]);
    let b = Tensor::vector(vec![0.4, 0.9, -1.5]);
    let report = check_gradients(|x| x[0].hypot(x[1]) * x[0], &[a, b], 2).unwrap();
    assert_eq!(report.strategy, "full Jacobian");
}

#[test]
fn hypot_at_the_cone_point_is_flagged_as_a_kink() {
    let line = line!() + 2;
    fn f<'t>(x: &[Var<'t, f64>]) -> Var<'t, f64> {
        (x[0].hypot(x[1]) + x[0]).sum()
    }
    let a = Tensor::vector(vec![0.0, 1.0]);
    let b = Tensor::vector(vec![0.0, 2.0]);
    let report = check(f, &[a, b], 1, &Config::f64());
    assert_eq!(report.verdict, Verdict::Kink, "{report}");
    assert_eq!(
        (report.kinks[0].op.as_str(), report.kinks[0].site.line()),
        ("hypot", line)
    );
}

#[test]
fn hypot_rejects_incompatible_shapes() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::zeros(&[2, 3]));
    let b = tape.leaf(Tensor::zeros(&[4]));
    let e = a.try_hypot(b).unwrap_err();
    assert_eq!(e.op, "hypot");
    assert!(e.message.contains("[2, 3] and [4]"), "{e}");
    assert!(e.location.file().ends_with("custom_op.rs"), "{e}");
}
