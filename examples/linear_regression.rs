//! The classic: fit `y = w·x + b` to `Y = 2X + noise` by gradient descent on a
//! mean-squared-error loss built as a graph, and compare with the closed-form least-squares
//! answer. Writes an SVG of the data, the fitted line and the loss curve.
//! Exits with an error if the two answers differ by more than 1e-6.
//!
//! The same training runs twice: eagerly (a tape per step), and with a [`Plan`]: the loss
//! and its gradients traced once, replayed at every step. Both must land on the same
//! answer, to rounding; their times are printed side by side.
//!
//! ```text
//! cargo run --release --example linear_regression [-- OUT.svg]
//! ```
//! Without an argument the plot goes to `target/examples/linear_regression.svg`.

use plotters::prelude::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tapegrad::nn::loss::mse_loss;
use tapegrad::prelude::*;

const N: usize = 100;
const NOISE_STD: f64 = 0.33;
const SEED: u64 = 42;
const LR: f64 = 0.5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| default_output("linear_regression.svg"));

    // the data: X = linspace(-1, 1, 100), Y = 2X + N(0, 0.33²), seeded
    let x = Tensor::<f64>::linspace(-1.0, 1.0, N);
    let noise = Tensor::rand_normal(&[N], 0.0, NOISE_STD, SEED);
    let y = x.zip_map(&noise, |x, e| 2.0 * x + e)?;

    // the model: two scalar parameters
    let w = Param::new(Tensor::scalar(0.0));
    let b = Param::new(Tensor::scalar(0.0));
    let params = Params::new().with("w", &w).with("b", &b);
    let mut opt = Sgd::new(LR);

    // plain gradient descent until the gradient vanishes (to rounding)
    let mut losses = Vec::new();
    let start = Instant::now();
    for _ in 0..10_000 {
        let tape = Tape::new();
        let pass = Pass::train(&tape);
        let pred = pass.bind(&w) * pass.input(x.clone()) + pass.bind(&b);
        let loss = mse_loss(pred, pass.input(y.clone()), Reduction::Mean);
        losses.push(loss.item());
        let grads = pass.backward(loss);
        if grads.global_norm() < 1e-13 {
            break;
        }
        opt.step(&params, &grads);
    }
    let eager_time = start.elapsed();
    let plan = train_with_plan(&x, &y)?;

    // closed-form least squares: w = cov(x, y) / var(x), b = ȳ - w·x̄
    let (xs, ys) = (x.as_slice(), y.as_slice());
    let (mx, my) = (mean(xs), mean(ys));
    let sxy: f64 = xs.iter().zip(ys).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = xs.iter().map(|a| (a - mx) * (a - mx)).sum();
    let w_ls = sxy / sxx;
    let b_ls = my - w_ls * mx;

    let (w_gd, b_gd) = (w.value().item(), b.value().item());
    println!("linear regression: {N} points, Y = 2X + N(0, {NOISE_STD}²) noise (seed {SEED})");
    println!(
        "gradient descent: {} steps at lr {LR}, final MSE {:.6}",
        losses.len() - 1,
        losses.last().unwrap()
    );
    println!();
    println!("     gradient descent        least squares           |difference|");
    println!(
        "w    {w_gd:<22.15} {w_ls:<22.15} {:.1e}",
        (w_gd - w_ls).abs()
    );
    println!(
        "b    {b_gd:<22.15} {b_ls:<22.15} {:.1e}",
        (b_gd - b_ls).abs()
    );

    println!();
    println!("the same training with a plan (loss and gradients traced once, replayed per step):");
    println!(
        "  trace + optimise {:.3} ms ({} traced ops → {} instructions); {} steps in {:.3} ms \
         (eager: {:.3} ms, {:.1}x)",
        ms(plan.trace_time),
        plan.traced_ops,
        plan.instructions,
        plan.losses.len() - 1,
        ms(plan.train_time),
        ms(eager_time),
        eager_time.as_secs_f64() / plan.train_time.as_secs_f64()
    );
    println!(
        "  w {:<22.15} b {:<22.15} |plan − eager| {:.1e}, {:.1e}",
        plan.w,
        plan.b,
        (plan.w - w_gd).abs(),
        (plan.b - b_gd).abs()
    );

    plot(&out, xs, ys, (w_gd, b_gd), &losses)?;
    println!();
    println!("plot: {}", out.display());

    let worst = (w_gd - w_ls).abs().max((b_gd - b_ls).abs());
    if worst > 1e-6 {
        return Err(format!("gradient descent is {worst:.1e} away from least squares").into());
    }
    let apart = (plan.w - w_gd).abs().max((plan.b - b_gd).abs());
    if plan.losses.len() != losses.len() || apart > 1e-12 {
        return Err(format!(
            "the plan's training ({} steps) is {apart:.1e} away from the eager one ({} steps)",
            plan.losses.len() - 1,
            losses.len() - 1
        )
        .into());
    }
    Ok(())
}

/// What the plan's training found and what it cost.
struct PlanRun {
    w: f64,
    b: f64,
    losses: Vec<f64>,
    trace_time: Duration,
    train_time: Duration,
    traced_ops: usize,
    instructions: usize,
}

/// The eager loop's training with the loss and its gradients traced once as a [`Plan`]
/// and replayed per step; the update (`p ← p − lr·g`, as `Sgd`) and the stopping rule
/// (gradient norm below 1e-13) are the eager loop's.
fn train_with_plan(x: &Tensor<f64>, y: &Tensor<f64>) -> Result<PlanRun, Error> {
    let start = Instant::now();
    let mut plan = Plan::trace(&[Tensor::scalar(0.0), Tensor::scalar(0.0)], |tape, p| {
        let pred = p[0] * tape.constant(x.clone()) + p[1];
        let loss = mse_loss(pred, tape.constant(y.clone()), Reduction::Mean);
        let g = tape.grad(loss, p);
        vec![loss, g[0], g[1]]
    })?;
    let trace_time = start.elapsed();
    let (mut w, mut b) = (0.0f64, 0.0f64);
    let mut losses = Vec::new();
    let start = Instant::now();
    for _ in 0..10_000 {
        let out = plan.run(&[Tensor::scalar(w), Tensor::scalar(b)])?;
        let (loss, gw, gb) = (out[0].item(), out[1].item(), out[2].item());
        losses.push(loss);
        if (gw * gw + gb * gb).sqrt() < 1e-13 {
            break;
        }
        w -= LR * gw;
        b -= LR * gb;
    }
    Ok(PlanRun {
        w,
        b,
        losses,
        trace_time,
        train_time: start.elapsed(),
        traced_ops: plan.stats().traced_ops,
        instructions: plan.stats().instructions,
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// An axis tick: at most two decimals, no trailing zeros, and never `-0` (a tick a rounding
/// error below zero would otherwise read "-0.0").
fn tick(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    match s {
        "-0" | "" => "0".to_string(),
        s => s.to_string(),
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// `target/examples/NAME` next to the workspace, created if needed: the examples never
/// write into the source tree by default.
fn default_output(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/examples");
    std::fs::create_dir_all(&dir).ok();
    dir.join(name)
}

/// Left: the points and the fitted line. Right: the loss per step, log scale.
fn plot(
    path: &PathBuf,
    xs: &[f64],
    ys: &[f64],
    (w, b): (f64, f64),
    losses: &[f64],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (1000, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(500);

    let (lo, hi) = ys
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &y| {
            (l.min(y), h.max(y))
        });
    let mut chart = ChartBuilder::on(&left)
        .caption(
            format!(
                "fit: y = {w:.3}·x {} {:.3}",
                if b < 0.0 { '-' } else { '+' },
                b.abs()
            ),
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(-1.1..1.1, (lo - 0.2)..(hi + 0.2))?;
    chart
        .configure_mesh()
        .x_desc("x")
        .y_desc("y")
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .draw()?;
    chart
        .draw_series(
            xs.iter()
                .zip(ys)
                .map(|(&x, &y)| Circle::new((x, y), 3, BLUE.mix(0.6).filled())),
        )?
        .label("data")
        .legend(|(x, y)| Circle::new((x + 10, y), 3, BLUE.filled()));
    chart
        .draw_series(LineSeries::new(
            [(-1.1, b - 1.1 * w), (1.1, b + 1.1 * w)],
            RED.stroke_width(2),
        ))?
        .label("gradient descent fit")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED.stroke_width(2)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;

    // Log scale: the loss falls by orders of magnitude towards the noise floor (about
    // 0.33² ≈ 0.11), which a linear axis squeezes into one flat line.
    let top = losses.iter().cloned().fold(0.0, f64::max) * 1.2;
    let bottom = losses.iter().cloned().fold(f64::INFINITY, f64::min) * 0.8;
    let mut chart = ChartBuilder::on(&right)
        .caption("training loss (MSE, log scale)", ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .build_cartesian_2d(0..losses.len(), (bottom..top).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc("loss")
        .y_label_formatter(&|v| tick(*v))
        // the light lines of a log axis crowd into a grey band near each decade
        .light_line_style(TRANSPARENT)
        .draw()?;
    chart.draw_series(LineSeries::new(
        losses.iter().cloned().enumerate(),
        BLUE.stroke_width(2),
    ))?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::tick;

    #[test]
    fn ticks_are_short_and_never_negative_zero() {
        assert_eq!(tick(-1e-17), "0");
        assert_eq!(tick(-0.0), "0");
        assert_eq!(tick(0.0), "0");
        assert_eq!(tick(0.5), "0.5");
        assert_eq!(tick(2.0), "2");
        assert_eq!(tick(-1.25), "-1.25");
        assert_eq!(tick(0.15), "0.15");
    }
}
