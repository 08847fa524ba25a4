//! Two interleaving half-moons (scikit-learn's `make_moons` recipe, seeded): a small tanh
//! MLP trained with Adam on binary cross-entropy with logits. Prints train and test
//! accuracy and writes an SVG of the decision boundary with the training points.
//!
//! ```text
//! cargo run --release --example moons [-- OUT.svg]
//! ```
//! Without an argument the plot goes to `target/examples/moons.svg`.

use plotters::prelude::*;
use std::path::{Path, PathBuf};
use tapegrad::nn::data::Dataset;
use tapegrad::nn::loss::bce_with_logits;
use tapegrad::nn::train::Trainer;
use tapegrad::nn::{Mlp, Tanh};
use tapegrad::prelude::*;
use tapegrad::rand::{rngs::StdRng, SeedableRng};

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

/// The training points coloured by class and the model's decision boundary (probability
/// 0.5) as a line, with labelled axes and a legend.
///
/// # Design
/// The boundary is the 0.5 contour of the predicted probability on a grid, traced by
/// marching squares ([`contour`]) and drawn as a few polylines: the plot stays a few tens of
/// KB, where filling the grid's cells took 8,100 rectangles (866 KB).
fn plot(
    path: &Path,
    model: &impl Module<f64>,
    data: &Dataset<f64>,
) -> Result<(), Box<dyn std::error::Error>> {
    let (x0, x1, y0, y1) = (-1.6, 2.6, -1.2, 1.7);
    let n = 120;
    let (dx, dy) = ((x1 - x0) / n as f64, (y1 - y0) / n as f64);
    let nodes = n + 1;
    let grid = Tensor::from_fn(&[nodes * nodes, 2], |k| {
        let (node, axis) = (k / 2, k % 2);
        if axis == 0 {
            x0 + (node % nodes) as f64 * dx
        } else {
            y0 + (node / nodes) as f64 * dy
        }
    });
    // The logit is 0 where the probability is 0.5: contour the logits at 0.
    let logits = model.predict(&grid);
    let boundary = contour(logits.as_slice(), n, (x0, y0), (dx, dy));

    let root = SVGBackend::new(path, (700, 540)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "two moons: decision boundary of a tanh MLP",
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("feature x1")
        .y_desc("feature x2")
        .draw()?;

    let blue = RGBColor(52, 101, 164);
    let red = RGBColor(204, 0, 0);
    let points = || data.x().as_slice().chunks(2).zip(data.y().as_slice());
    for (class, colour, name) in [
        (0.0, blue, "class 0 (upper moon)"),
        (1.0, red, "class 1 (lower moon)"),
    ] {
        chart
            .draw_series(
                points()
                    .filter(|(_, &label)| label == class)
                    .map(|(xy, _)| Circle::new((xy[0], xy[1]), 3, colour.filled())),
            )?
            .label(name)
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, colour.filled()));
    }
    let line = BLACK.stroke_width(2);
    for (k, polyline) in boundary.into_iter().enumerate() {
        let series = chart.draw_series(LineSeries::new(polyline, line))?;
        if k == 0 {
            series
                .label("decision boundary (p = 0.5)")
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], line));
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// An edge of the grid by its first node and direction: `(i, j, horizontal)`.
type Edge = (usize, usize, bool);

/// The lines where `f` is 0, by marching squares: `f[j * (n + 1) + i]` is the value at
/// node `(x0 + i·dx, y0 + j·dy)` of an `(n + 1) × (n + 1)` grid. Each square whose corners
/// change sign gets a segment between the crossings on its edges (placed by linear
/// interpolation); segments sharing an edge are joined into polylines.
fn contour(
    f: &[f64],
    n: usize,
    (x0, y0): (f64, f64),
    (dx, dy): (f64, f64),
) -> Vec<Vec<(f64, f64)>> {
    let at = |i: usize, j: usize| f[j * (n + 1) + i];
    let ends = |(i, j, h): Edge| {
        if h {
            (at(i, j), at(i + 1, j))
        } else {
            (at(i, j), at(i, j + 1))
        }
    };
    let crosses = |e: Edge| {
        let (a, b) = ends(e);
        (a > 0.0) != (b > 0.0)
    };
    let point = |e @ (i, j, h): Edge| {
        let (a, b) = ends(e);
        let t = a / (a - b);
        if h {
            (x0 + (i as f64 + t) * dx, y0 + j as f64 * dy)
        } else {
            (x0 + i as f64 * dx, y0 + (j as f64 + t) * dy)
        }
    };
    let mut segments: Vec<(Edge, Edge)> = Vec::new();
    for j in 0..n {
        for i in 0..n {
            let (bottom, right, top, left) = (
                (i, j, true),
                (i + 1, j, false),
                (i, j + 1, true),
                (i, j, false),
            );
            let hit: Vec<Edge> = [bottom, right, top, left]
                .into_iter()
                .filter(|&e| crosses(e))
                .collect();
            match hit.len() {
                2 => segments.push((hit[0], hit[1])),
                4 => {
                    // A saddle: the centre's sign says which diagonal corners are joined.
                    let centre = (at(i, j) + at(i + 1, j) + at(i, j + 1) + at(i + 1, j + 1)) / 4.0;
                    if (centre > 0.0) == (at(i, j) > 0.0) {
                        segments.extend([(bottom, right), (top, left)]);
                    } else {
                        segments.extend([(left, bottom), (right, top)]);
                    }
                }
                _ => {}
            }
        }
    }
    let mut by_edge: std::collections::HashMap<Edge, Vec<usize>> = Default::default();
    for (k, &(a, b)) in segments.iter().enumerate() {
        by_edge.entry(a).or_default().push(k);
        by_edge.entry(b).or_default().push(k);
    }
    let mut used = vec![false; segments.len()];
    let mut lines = Vec::new();
    for start in 0..segments.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let mut line = std::collections::VecDeque::from([segments[start].0, segments[start].1]);
        for back in [true, false] {
            loop {
                let end = if back { line[line.len() - 1] } else { line[0] };
                let Some(&next) = by_edge[&end].iter().find(|&&k| !used[k]) else {
                    break;
                };
                used[next] = true;
                let (p, q) = segments[next];
                let other = if p == end { q } else { p };
                if back {
                    line.push_back(other);
                } else {
                    line.push_front(other);
                }
            }
        }
        lines.push(line.into_iter().map(point).collect());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::contour;

    #[test]
    fn contour_of_a_circle_is_one_closed_line_on_the_circle() {
        // f = x² + y² - 1 on [-2, 2]²: the zero line is the unit circle.
        let n = 40;
        let (x0, y0, d) = (-2.0, -2.0, 4.0 / n as f64);
        let f: Vec<f64> = (0..(n + 1) * (n + 1))
            .map(|k| {
                let (x, y) = (x0 + (k % (n + 1)) as f64 * d, y0 + (k / (n + 1)) as f64 * d);
                x * x + y * y - 1.0
            })
            .collect();
        let lines = contour(&f, n, (x0, y0), (d, d));
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line.first(), line.last(), "closed");
        for &(x, y) in line {
            // Linear interpolation of a quadratic: off by at most about d²/4.
            assert!(((x * x + y * y).sqrt() - 1.0).abs() < d * d, "({x}, {y})");
        }
    }
}
