//! Two interleaving half-moons (scikit-learn's `make_moons` recipe, seeded): a small tanh
//! MLP trained with Adam on binary cross-entropy with logits. Prints train and test
//! accuracy and writes an SVG of the decision boundary with the training points.
//!
//! ```text
//! cargo run --release --example moons [-- OUT.svg]
//! ```
//! Without an argument the plot goes to `target/examples/moons.svg`.

use plotters::prelude::*;
use rand::{rngs::StdRng, SeedableRng};
use std::path::{Path, PathBuf};
use tapegrad::nn::data::Dataset;
use tapegrad::nn::loss::bce_with_logits;
use tapegrad::nn::train::Trainer;
use tapegrad::nn::{Mlp, Tanh};
use tapegrad::prelude::*;

const NOISE: f64 = 0.2;
const EPOCHS: usize = 200;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| default_output("moons.svg"));

    let train = moons(300, NOISE, 1);
    let test = moons(1000, NOISE, 2);
    println!(
        "moons: {} training and {} test points, noise {NOISE} (seeds 1 and 2)",
        train.len(),
        test.len()
    );

    let mlp = Mlp::new(&[2, 16, 16, 1])
        .activation(Tanh)
        .build::<f64, _>(&mut StdRng::seed_from_u64(0));
    let history = Trainer::new(EPOCHS).batch_size(32).fit(
        &mlp.parameters(),
        &mut Adam::new(0.01),
        &train,
        |pass, x, y| bce_with_logits(mlp.forward(pass, x), y, Reduction::Mean),
    );

    let acc = |d: &Dataset<f64>| {
        let logits = mlp.predict(d.x());
        let hits = logits
            .as_slice()
            .iter()
            .zip(d.y().as_slice())
            .filter(|(z, y)| (**z > 0.0) == (**y == 1.0))
            .count();
        hits as f64 / d.len() as f64
    };
    println!(
        "MLP [2, 16, 16, 1] (tanh), Adam, {EPOCHS} epochs: final loss {:.4}, train accuracy {:.1}%, test accuracy {:.1}%",
        history.last_loss(),
        100.0 * acc(&train),
        100.0 * acc(&test)
    );

    plot(&out, &mlp, &train)?;
    println!("decision boundary: {}", out.display());
    Ok(())
}

/// `n` points on two noisy interleaving half circles, labels 0 (upper) and 1 (lower),
/// as scikit-learn's `make_moons`: `x` is `[n, 2]`, `y` is `[n, 1]`.
fn moons(n: usize, noise: f64, seed: u64) -> Dataset<f64> {
    let outer = n / 2;
    let inner = n - outer;
    let mut xy = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    let angle = |i: usize, m: usize| std::f64::consts::PI * i as f64 / (m.max(2) - 1) as f64;
    for i in 0..outer {
        xy.extend([angle(i, outer).cos(), angle(i, outer).sin()]);
        labels.push(0.0);
    }
    for i in 0..inner {
        xy.extend([1.0 - angle(i, inner).cos(), 0.5 - angle(i, inner).sin()]);
        labels.push(1.0);
    }
    let jitter = Tensor::rand_normal(&[n, 2], 0.0, noise, seed);
    let x = Tensor::from_vec(xy, &[n, 2])
        .zip_map(&jitter, |a, b| a + b)
        .unwrap();
    Dataset::new(x, Tensor::from_vec(labels, &[n, 1]))
}

/// `target/examples/NAME` next to the workspace, created if needed: the examples never
/// write into the source tree by default.
fn default_output(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/examples");
    std::fs::create_dir_all(&dir).ok();
    dir.join(name)
}

/// The model's probability of class 1 on a grid as coloured cells, the 0.5 level as dark
/// cells, and the training points on top.
fn plot(
    path: &Path,
    model: &impl Module<f64>,
    data: &Dataset<f64>,
) -> Result<(), Box<dyn std::error::Error>> {
    let (x0, x1, y0, y1) = (-1.6, 2.6, -1.2, 1.7);
    let cells = 90;
    let (dx, dy) = ((x1 - x0) / cells as f64, (y1 - y0) / cells as f64);
    let grid = Tensor::from_fn(&[cells * cells, 2], |k| {
        let (cell, axis) = (k / 2, k % 2);
        if axis == 0 {
            x0 + (cell % cells) as f64 * dx + dx / 2.0
        } else {
            y0 + (cell / cells) as f64 * dy + dy / 2.0
        }
    });
    let logits = model.predict(&grid);

    let root = SVGBackend::new(path, (700, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "two moons: decision boundary of a tanh MLP",
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart.configure_mesh().disable_mesh().draw()?;

    let blue = RGBColor(52, 101, 164);
    let red = RGBColor(204, 0, 0);
    chart.draw_series(logits.as_slice().iter().enumerate().map(|(k, &z)| {
        let p = 1.0 / (1.0 + (-z).exp());
        let (cx, cy) = (x0 + (k % cells) as f64 * dx, y0 + (k / cells) as f64 * dy);
        // the boundary itself darker, elsewhere the class colour fading with confidence
        let fill = if (p - 0.5).abs() < 0.04 {
            RGBColor(60, 60, 60).mix(0.8)
        } else if p > 0.5 {
            red.mix(0.1 + 0.3 * (p - 0.5) * 2.0)
        } else {
            blue.mix(0.1 + 0.3 * (0.5 - p) * 2.0)
        };
        Rectangle::new([(cx, cy), (cx + dx, cy + dy)], fill.filled())
    }))?;
    let points = data.x().as_slice().chunks(2).zip(data.y().as_slice());
    chart.draw_series(points.map(|(xy, &label)| {
        let colour = if label == 1.0 { red } else { blue };
        Circle::new((xy[0], xy[1]), 3, colour.filled())
    }))?;
    root.present()?;
    Ok(())
}
