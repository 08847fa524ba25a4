//! A user-defined op in one file: a numerically careful softplus, `log1p_exp(x) =
//! ln(1 + eˣ)`, checked with the op-author's kit and used in a second-order computation
//! (Newton's method for a logistic regression, whose Hessian comes from the tape).
//!
//! Run with `cargo run --release --example custom_op`.

use tapegrad::prelude::*;
use tapegrad_check::gradcheck::{check, Config};
use tapegrad_check::testing::check_op;

/// `y = ln(1 + eˣ)`, computed as `max(x, 0) + ln(1 + e^-|x|)` so that it neither
/// overflows for large `x` nor loses digits for very negative `x`.
///
/// `dx = dy · σ(x)` with the logistic `σ(x) = e^(x − y)`: exact and stable for every `x`,
/// and written with `Var` operations, so the second derivative `σ(x)(1 − σ(x))` comes from
/// the tape for free.
struct Log1pExp;

impl<T: Float> Op<T> for Log1pExp {
    fn name(&self) -> &str {
        "log1p_exp"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(|x| x.max(T::ZERO) + (-x.abs()).exp().ln_1p()))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy * (xs[0] - y).exp())].into()
    }
}

/// The method users call: `x.log1p_exp()`. An extension trait, since `Var` is not ours.
trait Log1pExpExt {
    fn log1p_exp(self) -> Self;
}

impl<T: Float> Log1pExpExt for Var<'_, T> {
    #[track_caller]
    fn log1p_exp(self) -> Self {
        self.tape().apply(Log1pExp, &[self])
    }
}

fn main() {
    // 1. Hand-checkable values: softplus(0) = ln 2, softplus'(0) = σ(0) = 1/2,
    //    softplus''(0) = σ(0)(1 − σ(0)) = 1/4.
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(0.0));
    let y = x.log1p_exp();
    let dy = tape.grad(y, &[x])[0];
    let d2y = tape.grad(dy, &[x])[0];
    println!("log1p_exp(0) = {} (ln 2 = {})", y.item(), 2f64.ln());
    println!(
        "first and second derivatives at 0: {} {}",
        dy.item(),
        d2y.item()
    );
    assert!((y.item() - 2f64.ln()).abs() < 1e-15 && dy.item() == 0.5 && d2y.item() == 0.25);

    // 2. Stability: the naive ln(1 + eˣ) overflows at x = 1000.
    let big = tape.leaf(Tensor::vector(vec![-1000.0, 1000.0]));
    let s = big.log1p_exp();
    let g = s.sum().backward();
    println!("log1p_exp([-1000, 1000]) = {}, gradient {}", s, g.wrt(big));
    assert_eq!(s.value().as_slice(), &[0.0, 1000.0]);
    assert_eq!(g.wrt(big).as_slice(), &[0.0, 1.0]);

    // 3. The op-author's kit: generated shapes (rank 0–4), f64 and f32, the same variable
    //    twice, orders 1 and 2 through both sweeps. One call.
    let summary = check_op(1, || Log1pExp).values(-6.0, 6.0).assert();
    println!("{summary}");

    // 4. One gradient check with its report (the table lists the worst elements).
    let xs = Tensor::from_vec(vec![-3.0, -0.5, 0.0, 0.7, 4.0, 12.0], &[2, 3]);
    let report = check(
        |v| (v[0].log1p_exp() * v[0]).sum(),
        &[xs],
        2,
        &Config::f64(),
    );
    print!("{report}");
    assert!(report.passed());

    // 5. Second order in use: logistic regression by Newton's method. The loss
    //    Σ log1p_exp(−t·(w·u + b)) / n is built on a tape; its gradient is recorded, and
    //    differentiating that gradient gives the Hessian.
    let u = [-2.0, -1.2, -0.4, 0.3, 0.9, 1.7, -0.2, 0.6];
    let t = [-1.0, -1.0, 1.0, -1.0, 1.0, 1.0, -1.0, 1.0];
    let (mut w, mut b) = (0.0f64, 0.0f64);
    for step in 0..8 {
        let tape = Tape::<f64>::new();
        let (wv, bv) = (tape.leaf(Tensor::scalar(w)), tape.leaf(Tensor::scalar(b)));
        let uv = tape.constant(Tensor::vector(u.to_vec()));
        let tv = tape.constant(Tensor::vector(t.to_vec()));
        let margin = tv * (uv * wv + bv);
        let loss = (-margin).log1p_exp().mean() + 0.05 * wv * wv; // a little L2 keeps it finite
        let g = tape.grad(loss, &[wv, bv]);
        let hw = tape.grad(g[0], &[wv, bv]);
        let hb = tape.grad(g[1], &[wv, bv]);
        let (gw, gb) = (g[0].item(), g[1].item());
        let (a, c, d) = (hw[0].item(), hw[1].item(), hb[1].item());
        // Newton step: solve [[a, c], [c, d]] · δ = g
        let det = a * d - c * c;
        w -= (d * gw - c * gb) / det;
        b -= (a * gb - c * gw) / det;
        println!(
            "newton step {step}: loss {:.12}, |gradient| {:.3e}",
            loss.item(),
            gw.hypot(gb)
        );
        if gw.hypot(gb) < 1e-12 {
            break;
        }
    }
    println!("fitted w = {w:.6}, b = {b:.6}");
}
