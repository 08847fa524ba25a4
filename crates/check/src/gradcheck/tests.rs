//! Tests of the checker itself, with deliberately wrong ops defined here.

use super::*;
use std::cell::Cell;
use tapegrad_core::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// Test ops, shared with the diagnostics tests.
pub(crate) mod ops {
    use super::*;

    /// `y = x²` with a wrong VJP: `dx = dy · x` (should be `2x`).
    pub(crate) struct BadSquare;

    impl<T: Float> Op<T> for BadSquare {
        fn name(&self) -> &str {
            "bad_square"
        }
        fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
            Ok(xs[0].map(|x| x * x))
        }
        fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
            [Some(dy * xs[0])].into()
        }
    }

    #[track_caller]
    pub(crate) fn bad_square<T: Float>(x: Var<'_, T>) -> Var<'_, T> {
        x.tape().apply(BadSquare, &[x])
    }

    /// `y = max(x, 0)`, `dx = dy · [x > 0]`, at a kink when any element is 0.
    pub(crate) struct Relu;

    impl<T: Float> Op<T> for Relu {
        fn name(&self) -> &str {
            "relu"
        }
        fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
            Ok(xs[0].map(|x| if x > T::ZERO { x } else { T::ZERO }))
        }
        fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
            let mask = xs[0]
                .value()
                .map(|x| if x > T::ZERO { T::ONE } else { T::ZERO });
            [Some(dy * xs[0].constant(mask))].into()
        }
        fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
            xs[0].as_slice().contains(&T::ZERO)
        }
    }

    #[track_caller]
    pub(crate) fn relu<T: Float>(x: Var<'_, T>) -> Var<'_, T> {
        x.tape().apply(Relu, &[x])
    }

    /// `y = x³` whose VJP is right to first order but built from a raw tensor, so it
    /// has no second derivative: `dx = dy · constant(3x²)`.
    pub(crate) struct CubeOffTape;

    impl<T: Float> Op<T> for CubeOffTape {
        fn name(&self) -> &str {
            "cube_off_tape"
        }
        fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
            Ok(xs[0].map(|x| x * x * x))
        }
        fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
            let d = xs[0].value().map(|x| T::from_f64(3.0) * x * x);
            [Some(dy * xs[0].constant(d))].into()
        }
    }
}

use ops::{bad_square, relu, CubeOffTape};

#[test]
fn accepts_correct_composite_at_order_two() {
    let x = Tensor::from_vec(vec![0.5, -0.7], &[2]);
    let y = Tensor::from_vec(vec![1.5, 0.2], &[2]);
    let report =
        check_gradients(|xs| (xs[0] * xs[1]).exp().sum() * xs[0].sum(), &[x, y], 2).unwrap();
    assert_eq!(report.verdict, Verdict::Pass);
    assert!(report.max_abs_err < 1e-7, "{report}");
}

#[test]
fn full_jacobian_compares_every_entry_of_each_order_by_both_routes() {
    // f(x) = Σ x³ on 3 elements: order 1 has a 1×3 Jacobian, order 2 the 3×3 Hessian
    // (times the random cotangent c₁), each compared through grad and backward.
    let x = Tensor::from_vec(vec![0.5, -1.0, 2.0], &[3]);
    let report = check(|xs| (xs[0] * xs[0] * xs[0]).sum(), &[x], 2, &Config::f64());
    assert_eq!(report.strategy, "full Jacobian");
    assert_eq!(report.compared, 2 * (3 + 9), "{report}");
    assert!(report.passed() && report.problems.is_empty(), "{report}");
}

#[test]
fn report_names_worst_elements_with_analytic_and_numeric_values() {
    // bad_square(x) = x² with dx = x: the diagonal is x instead of 2x, the worst entry
    // is element 1 (analytic -2, numeric -4).
    let x = Tensor::from_vec(vec![1.5, -2.0], &[2]);
    let report = check(|xs| bad_square(xs[0]), &[x], 1, &Config::f64());
    assert_eq!(report.verdict, Verdict::Fail);
    assert_eq!(report.failures, 4, "{report}"); // two diagonal entries, two routes
    assert!((report.max_abs_err - 2.0).abs() < 1e-6 && (report.max_rel_err - 0.5).abs() < 1e-6);
    let worst = &report.worst[0];
    assert_eq!(
        worst.at,
        Position::Jacobian {
            output: 0,
            out_element: 1,
            out_index: vec![1],
            input: 0,
            element: 1,
            in_index: vec![1]
        }
    );
    assert!((worst.analytic + 2.0).abs() < 1e-12 && (worst.numeric + 4.0).abs() < 1e-6);
    let table = report.to_string();
    assert!(
        table.starts_with("gradient check FAILED (f64, full Jacobian"),
        "{table}"
    );
    assert!(
        table.contains("d y0[1] / d x0[1]  <- outside tolerance"),
        "{table}"
    );
    assert!(
        table.contains("first wrong node: #1 `bad_square`"),
        "{table}"
    );
}

thread_local! {
    static BAD_LINE: Cell<u32> = const { Cell::new(0) };
}

/// About 60 nodes of add/mul/exp/div/matmul with one `bad_square` in the middle.
fn long_expression<'t>(xs: &[Var<'t, f64>], with_bad: bool) -> Var<'t, f64> {
    let (a, b) = (xs[0], xs[1]); // [2, 3] and [3]
    let mut h = a;
    for i in 0..8 {
        h = if with_bad && i == 4 {
            let (y, line) = (bad_square(h * 0.5), line!());
            BAD_LINE.with(|l| l.set(line));
            y
        } else {
            (h * 0.3 + b).exp() * 0.2 - h * 0.5
        };
    }
    let w = b.reshape(&[3, 1]);
    (h.matmul(w) / (b.sum() * b.sum() + 1.0)).mean()
}

#[test]
fn localises_a_wrong_op_in_a_fifty_node_expression() {
    let a = Tensor::from_vec(vec![0.1, -0.4, 0.9, 0.3, -0.8, 0.5], &[2, 3]);
    let b = Tensor::vector(vec![0.3, -0.6, 0.2]);
    let tape = Tape::<f64>::new();
    let xs = [tape.leaf(a.clone()), tape.leaf(b.clone())];
    long_expression(&xs, true);
    assert!(tape.len() >= 50, "only {} nodes", tape.len());
    check_gradients(|xs| long_expression(xs, false), &[a.clone(), b.clone()], 2).unwrap();
    let err = check_gradients(|xs| long_expression(xs, true), &[a, b], 2).unwrap_err();
    let culprit = err.report.culprit.as_ref().expect("localised");
    assert_eq!(culprit.node.op, "bad_square", "{err}");
    assert_eq!(culprit.node.site.file(), file!());
    assert_eq!(culprit.node.site.line(), BAD_LINE.with(Cell::get), "{err}");
    assert_eq!(err.report.first_failing_order, Some(1));
    assert!(err.to_string().contains("first wrong node: #"), "{err}");
}

#[test]
fn localises_a_vjp_computed_off_the_tape_at_order_two() {
    let x = Tensor::vector(vec![0.4, -1.3]);
    fn f<'t>(xs: &[Var<'t, f64>]) -> Var<'t, f64> {
        let y = xs[0].tape().apply(CubeOffTape, &[xs[0].exp()]);
        (y * xs[0]).sum()
    }
    assert!(check(f, std::slice::from_ref(&x), 1, &Config::f64()).passed());
    let report = check(f, &[x], 2, &Config::f64());
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    assert_eq!(report.first_failing_order, Some(2));
    let culprit = report.culprit.as_ref().expect("localised");
    assert_eq!(culprit.node.op, "cube_off_tape", "{report}");
    assert_eq!(culprit.report.first_failing_order, Some(2));
}

#[test]
fn kink_is_flagged_not_reported_wrong() {
    let x = Tensor::vector(vec![0.0, 1.5, -0.5]);
    let line = line!() + 2;
    fn f<'t>(xs: &[Var<'t, f64>]) -> Var<'t, f64> {
        (relu(xs[0]) * xs[0].exp()).sum()
    }
    let report = check(f, std::slice::from_ref(&x), 2, &Config::f64());
    assert_eq!(report.verdict, Verdict::Kink, "{report}");
    assert!(report.passed() && report.failures > 0 && report.culprit.is_none());
    assert_eq!(report.kinks.len(), 1, "{report}");
    assert_eq!(
        (report.kinks[0].op.as_str(), report.kinks[0].site.line()),
        ("relu", line)
    );
    assert!(report.to_string().contains("passed at a kink"), "{report}");
    // away from the kink: a plain pass, no kink noted
    let away = check(
        f,
        &[Tensor::vector(vec![0.1, 1.5, -0.5])],
        2,
        &Config::f64(),
    );
    assert_eq!(
        (away.verdict, away.kinks.len()),
        (Verdict::Pass, 0),
        "{away}"
    );
}

#[test]
fn kink_does_not_hide_a_wrong_op() {
    let x = Tensor::vector(vec![0.0, 1.5, -0.5]);
    let report = check(
        |xs| (relu(xs[0]) + bad_square(xs[0])).sum(),
        &[x],
        1,
        &Config::f64(),
    );
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    assert_eq!(report.culprit.as_ref().unwrap().node.op, "bad_square");
    assert_eq!(report.kinks.len(), 1);
}

#[test]
fn directional_strategy_for_large_inputs_catches_a_wrong_op_reproducibly() {
    let x = Tensor::rand_uniform(&[20, 20], -1.0, 1.0, 5);
    let good = check(
        |xs| (xs[0] * xs[0]).exp().mean(),
        std::slice::from_ref(&x),
        2,
        &Config::f64(),
    );
    assert_eq!(good.strategy, "3 random directions");
    assert!(good.passed(), "{good}");
    // per direction: <v, J u> through grad and backward, and every element of J u (one
    // at order 1, where F₁ is the scalar mean; 400 at order 2, where F₂ is a gradient)
    assert_eq!(good.compared, 3 * (2 + 1) + 3 * (2 + 400), "{good}");
    assert!(good.worst.iter().any(|e| e.route == GradientRoute::Jvp));
    fn f<'t>(xs: &[Var<'t, f64>]) -> Var<'t, f64> {
        bad_square(xs[0]).exp().mean()
    }
    let bad = check(f, std::slice::from_ref(&x), 1, &Config::f64());
    assert_eq!(bad.verdict, Verdict::Fail, "{bad}");
    assert_eq!(bad.culprit.as_ref().unwrap().node.op, "bad_square");
    let again = check(f, std::slice::from_ref(&x), 1, &Config::f64());
    assert_eq!(
        (again.max_abs_err, again.worst[0].numeric),
        (bad.max_abs_err, bad.worst[0].numeric)
    );
    let other = check(f, &[x], 1, &Config::f64().with_seed(9));
    assert_ne!(other.worst[0].numeric, bad.worst[0].numeric);
}

#[test]
fn jvp_route_checks_every_element_of_j_u() {
    // F = x ⊙ b (300 elements): J u = b ⊙ u is compared element by element.
    let x = Tensor::rand_uniform(&[300], -1.0, 1.0, 1);
    let b = Tensor::rand_uniform(&[300], -1.0, 1.0, 2);
    let cfg = Config::f64().with_strategy(Strategy::Directional);
    let report = check(
        |xs| xs[0] * xs[1],
        &[x, b],
        1,
        &Config {
            directions: 2,
            ..cfg
        },
    );
    assert!(report.passed(), "{report}");
    assert_eq!(report.compared, 2 * (2 + 300), "{report}");
}

/// `Σ x³ / (x² + 1)`, generic so f32 can be checked by promotion.
struct SoftCube;

impl<T: Float> Function<T> for SoftCube {
    fn eval<'t>(&self, xs: &[Var<'t, T>]) -> Var<'t, T> {
        let x = xs[0];
        (x * x * x / (x * x + T::ONE)).sum()
    }
}

/// `Σ bad_square(x)`: wrong in every element type.
struct SumBadSquare;

impl<T: Float> Function<T> for SumBadSquare {
    fn eval<'t>(&self, xs: &[Var<'t, T>]) -> Var<'t, T> {
        bad_square(xs[0]).sum()
    }
}

#[test]
fn f32_is_checked_by_promotion_to_f64() {
    let x = Tensor::<f32>::from_vec(vec![0.5, -1.5, 2.0, 0.25], &[2, 2]);
    let report = check_promoted(
        &SoftCube,
        std::slice::from_ref(&x),
        2,
        &Config::promoted_f32(),
    );
    assert!(report.passed(), "{report}");
    assert_eq!(report.dtype, "f32 against f64 differences");
    // f32 rounding is visible but small
    assert!(
        report.max_abs_err > 0.0 && report.max_abs_err < 1e-5,
        "{report}"
    );
    let bad = check_promoted(&SumBadSquare, &[x], 1, &Config::promoted_f32());
    assert_eq!(bad.verdict, Verdict::Fail);
    assert_eq!(bad.culprit.unwrap().node.op, "bad_square");
}

#[test]
fn f32_only_functions_use_f32_differences_and_looser_tolerances() {
    let x = Tensor::<f32>::from_vec(vec![0.5, -1.5, 2.0], &[3]);
    let report = check(
        |xs| (xs[0] * xs[0]).exp().sum(),
        std::slice::from_ref(&x),
        2,
        &Config::f32(),
    );
    assert!(report.passed(), "{report}");
    assert_eq!(report.dtype, "f32, differences in f32");
    let bad = check(
        |xs| bad_square(xs[0]).sum(),
        &[x],
        1,
        &Config::for_type::<f32>(),
    );
    assert_eq!(bad.verdict, Verdict::Fail, "{bad}");
}

/// `y = x`, whose VJP adds 1: a zero cotangent gives a non-zero gradient.
struct LeakyIdentity;

impl<T: Float> Op<T> for LeakyIdentity {
    fn name(&self) -> &str {
        "leaky_identity"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].clone())
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy + T::ONE)].into()
    }
}

/// `y = x`, whose VJP drifts on every call.
struct Drifting(Cell<f64>);

impl<T: Float> Op<T> for Drifting {
    fn name(&self) -> &str {
        "drifting"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].clone())
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        self.0.set(self.0.get() + 1e-3);
        [Some(dy * T::from_f64(1.0 + self.0.get()))].into()
    }
}

#[test]
fn structural_problems_fail_the_check() {
    let x = Tensor::vector(vec![0.5, 1.0]);
    let leaky = check(
        |xs| xs[0].tape().apply(LeakyIdentity, &[xs[0]]),
        std::slice::from_ref(&x),
        1,
        &Config::f64(),
    );
    assert_eq!(leaky.verdict, Verdict::Fail);
    assert!(
        leaky
            .problems
            .iter()
            .any(|p| p.contains("zero cotangent gives input 0 a non-zero")),
        "{leaky}"
    );
    let drifting = check(
        |xs| xs[0].tape().apply(Drifting(Cell::new(0.0)), &[xs[0]]),
        &[x],
        1,
        &Config::f64(),
    );
    assert!(
        drifting
            .problems
            .iter()
            .any(|p| p.contains("backward twice gave different")),
        "{drifting}"
    );
}

/// Cost of a check on a 1,000-element input at order 2, both strategies. Timing is printed,
/// not asserted; run with
/// `cargo test --release -p tapegrad-core --lib gradcheck_cost -- --ignored --nocapture`.
#[test]
#[ignore = "timing; run on demand in release mode"]
fn gradcheck_cost_of_a_thousand_elements_at_order_two() {
    fn f<'t>(xs: &[Var<'t, f64>]) -> Var<'t, f64> {
        let x = xs[0];
        let m = x.reshape(&[10, 100]).matmul(x.reshape(&[100, 10]));
        (x.exp() * x).mean() + (m * m).mean() / 100.0
    }
    let x = Tensor::rand_uniform(&[1000], -1.0, 1.0, 3);
    for strategy in [Strategy::Auto, Strategy::Full] {
        let cfg = Config::f64().with_strategy(strategy);
        let start = std::time::Instant::now();
        let report = check(f, std::slice::from_ref(&x), 2, &cfg);
        let seconds = start.elapsed().as_secs_f64();
        assert!(report.passed(), "{report}");
        println!(
            "{strategy:?} ({}): {} comparisons in {seconds:.3} s",
            report.strategy, report.compared
        );
    }
}
