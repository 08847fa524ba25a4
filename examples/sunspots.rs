//! One-step-ahead forecasts of the yearly sunspot numbers (1700–2008, `data/sunspots.csv`)
//! from the previous 12 years: persistence, a linear AR(12) fitted in closed form, and
//! recurrent networks (Elman RNN, GRU, LSTM) trained with Adam, early stopping and
//! gradient clipping, each over 5 seeds. A last row trains a stateful GRU on the whole
//! training series by truncated backpropagation through time (the state carried from
//! chunk to chunk, detached). Prints the test RMSE in sunspot units and writes an SVG of
//! the test period.
//!
//! ```text
//! cargo run --release --example sunspots [-- OUT.svg]
//! ```
//! Without an argument the plot goes to `target/examples/sunspots.svg`.
//!
//! Split, chronological: the first 247 years (1700–1946) for training, the last 10% of
//! the training examples for early stopping, 1947–2008 (62 years) for the test.
//! Everything is standardised with the training years' mean and standard deviation.

use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tapegrad::nn::data::{batchify, bptt_chunks, read_csv, windows, Dataset};
use tapegrad::nn::loss::mse_loss;
use tapegrad::nn::recurrent::{Gru, Lstm, Rnn};
use tapegrad::prelude::*;
use tapegrad::rand::{rngs::StdRng, SeedableRng};

const WINDOW: usize = 12;
const TRAIN_YEARS: usize = 247;
const VALID_FRACTION: f64 = 0.1;
const HIDDEN: usize = 32;
const LR: f64 = 0.01;
const BATCH: usize = 32;
const MAX_EPOCHS: usize = 300;
const PATIENCE: usize = 30;
const CLIP: f64 = 1.0;
const SEEDS: [u64; 5] = [0, 1, 2, 3, 4];
/// Steps per chunk of truncated backpropagation through time (the stateful GRU).
const TBPTT_K: usize = 24;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| default_output("sunspots.svg"));
    let started = Instant::now();

    let table = read_csv::<f64>(concat!(env!("CARGO_MANIFEST_DIR"), "/data/sunspots.csv"))?;
    let years: Vec<f64> = table.select(&["year"])?.as_slice().to_vec();
    let spots: Vec<f64> = table.select(&["sunspots"])?.as_slice().to_vec();
    let first_year = years[0] as usize;

    // standardise with the training years' statistics only
    let (mean, std) = mean_std(&spots[..TRAIN_YEARS]);
    let z: Vec<f64> = spots.iter().map(|s| (s - mean) / std).collect();
    let unz = |v: f64| v * std + mean;

    // (12 years → the next) pairs; pair i predicts year first_year + WINDOW + i
    let pairs = windows(&Tensor::vector(z.clone()), WINDOW);
    let n_train = TRAIN_YEARS - WINDOW; // targets inside the training years
    let n_valid = (n_train as f64 * VALID_FRACTION).round() as usize;
    let n_fit = n_train - n_valid;
    let fit = pairs.select(&(0..n_fit).collect::<Vec<_>>());
    let valid = pairs.select(&(n_fit..n_train).collect::<Vec<_>>());
    let test = pairs.select(&(n_train..pairs.len()).collect::<Vec<_>>());
    let test_years: Vec<f64> = years[TRAIN_YEARS..].to_vec();
    let observed: Vec<f64> = spots[TRAIN_YEARS..].to_vec();
    let year = |i: usize| first_year + WINDOW + i;
    println!(
        "sunspots {}–{}, split by the year predicted: training {}–{} ({n_fit} windows), \
         early stopping {}–{} ({n_valid}), test {}–{} ({})",
        years[0],
        years[years.len() - 1],
        year(0),
        year(n_fit - 1),
        year(n_fit),
        year(n_train - 1),
        year(n_train),
        year(pairs.len() - 1),
        test.len()
    );
    println!(
        "inputs: the previous {WINDOW} years, standardised with the training years' mean \
         {mean:.2} and sd {std:.2}"
    );
    println!(
        "networks: hidden {HIDDEN}, one layer, linear head on the last state; Adam lr {LR}, \
         batch {BATCH} (shuffled), gradient norm clipped at {CLIP}, MSE loss, at most \
         {MAX_EPOCHS} epochs, early stopping with patience {PATIENCE} (best epoch restored), \
         seeds {SEEDS:?}, f64"
    );
    println!(
        "AR(12): intercept and 12 coefficients by least squares on all {n_train} training \
         windows ({}–{})",
        year(0),
        year(n_train - 1)
    );
    println!(
        "stateful GRU: reads {}–{} as one sequence, predicting every next year; truncated \
         BPTT in chunks of {TBPTT_K} steps, the state carried over detached; same optimiser, \
         clipping and early stopping",
        years[0],
        year(n_fit - 1)
    );
    println!();

    let rmse = |pred: &[f64]| {
        let se: f64 = pred
            .iter()
            .zip(&observed)
            .map(|(p, o)| (p - o).powi(2))
            .sum();
        (se / observed.len() as f64).sqrt()
    };
    let mut rows: Vec<(String, f64, Vec<f64>, Vec<f64>)> = Vec::new(); // name, mean, per seed, forecast

    // persistence: next year = this year
    let persistence: Vec<f64> = spots[TRAIN_YEARS - 1..spots.len() - 1].to_vec();
    rows.push((
        "persistence".into(),
        rmse(&persistence),
        vec![],
        persistence,
    ));

    // AR(12) with intercept, least squares on all training windows (closed form)
    let coef = least_squares(&pairs.select(&(0..n_train).collect::<Vec<_>>()));
    let ar: Vec<f64> = (0..test.len())
        .map(|i| {
            let x = &test.x().as_slice()[i * WINDOW..(i + 1) * WINDOW];
            unz(coef[0] + x.iter().zip(&coef[1..]).map(|(a, b)| a * b).sum::<f64>())
        })
        .collect();
    rows.push(("AR(12), least squares".into(), rmse(&ar), vec![], ar));

    for kind in [Kind::Rnn, Kind::Gru, Kind::Lstm] {
        let mut scores = Vec::new();
        let mut first = Vec::new();
        for &seed in &SEEDS {
            let model = Forecaster::new(kind, seed);
            let epochs = train(&model, &fit, &valid, seed);
            let pred: Vec<f64> = model
                .predict(test.x())
                .as_slice()
                .iter()
                .map(|&v| unz(v))
                .collect();
            scores.push(rmse(&pred));
            if first.is_empty() {
                first = pred;
            }
            eprintln!("{} seed {seed}: best epoch {epochs}", kind.name());
        }
        let mean = scores.iter().sum::<f64>() / scores.len() as f64;
        rows.push((kind.name().into(), mean, scores, first));
    }

    // a stateful GRU over the whole training series, trained by truncated BPTT
    let mut scores = Vec::new();
    let mut first = Vec::new();
    for &seed in &SEEDS {
        let pred: Vec<f64> = stateful_gru(&z, n_fit + WINDOW, seed)
            .into_iter()
            .map(unz)
            .collect();
        scores.push(rmse(&pred));
        if first.is_empty() {
            first = pred;
        }
    }
    let mean_tbptt = scores.iter().sum::<f64>() / scores.len() as f64;
    rows.push((
        format!("GRU, stateful (TBPTT k={TBPTT_K})"),
        mean_tbptt,
        scores,
        first,
    ));

    println!("test RMSE 1947–2008, sunspot units (networks: mean over seeds, then each seed)");
    for (name, mean, seeds, _) in &rows {
        let each: Vec<String> = seeds.iter().map(|s| format!("{s:.2}")).collect();
        println!("  {name:<32} {mean:>6.2}   {}", each.join("  "));
    }
    let ar_rmse = rows[1].1;
    let gru_rmse = rows[3].1;
    println!();
    println!(
        "GRU vs AR(12): {gru_rmse:.2} vs {ar_rmse:.2} ({})",
        if gru_rmse < ar_rmse {
            "the GRU is better"
        } else {
            "the GRU is NOT better"
        }
    );

    plot(&out, &test_years, &observed, &rows)?;
    println!("plot: {}", out.display());
    println!("time: {:.1} s", started.elapsed().as_secs_f64());
    if gru_rmse >= ar_rmse {
        return Err("the GRU did not beat AR(12) on the test period".into());
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Kind {
    Rnn,
    Gru,
    Lstm,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Rnn => "RNN (tanh)",
            Kind::Gru => "GRU",
            Kind::Lstm => "LSTM",
        }
    }
}

enum Recurrent {
    Rnn(Rnn<f64>),
    Gru(Gru<f64>),
    Lstm(Lstm<f64>),
}

/// A recurrent layer over the window (batch first, one feature) and a linear head on
/// its last state.
struct Forecaster {
    rec: Recurrent,
    head: Linear<f64>,
}

impl Forecaster {
    fn new(kind: Kind, seed: u64) -> Self {
        let rng = &mut StdRng::seed_from_u64(seed);
        let config = tapegrad::nn::recurrent::RecurrentConfig::new().batch_first(true);
        let rec = match kind {
            Kind::Rnn => Recurrent::Rnn(Rnn::with_config(1, HIDDEN, config, rng)),
            Kind::Gru => Recurrent::Gru(Gru::with_config(1, HIDDEN, config, rng)),
            Kind::Lstm => Recurrent::Lstm(Lstm::with_config(1, HIDDEN, config, rng)),
        };
        Forecaster {
            rec,
            head: Linear::new(HIDDEN, 1, rng),
        }
    }
}

impl Module<f64> for Forecaster {
    /// `x` `[batch, 12, 1]` → the next value `[batch, 1]`.
    fn forward<'t>(&self, pass: &Pass<'t, f64>, x: Var<'t, f64>) -> Var<'t, f64> {
        let h_n = match &self.rec {
            Recurrent::Rnn(m) => m.run(pass, x, None).1,
            Recurrent::Gru(m) => m.run(pass, x, None).1,
            Recurrent::Lstm(m) => m.run(pass, x, None).1 .0,
        };
        let batch = x.shape()[0];
        self.head.forward(pass, h_n.reshape(&[batch, HIDDEN]))
    }

    fn parameters(&self) -> Params<f64> {
        let rec = match &self.rec {
            Recurrent::Rnn(m) => m.parameters(),
            Recurrent::Gru(m) => m.parameters(),
            Recurrent::Lstm(m) => m.parameters(),
        };
        Params::new()
            .nested("rnn", &rec)
            .nested("head", &self.head.parameters())
    }
}

/// Adam on shuffled mini-batches with gradient clipping; stops when the validation MSE
/// has not improved for `PATIENCE` epochs and restores the best epoch's weights, which it
/// returns.
fn train(model: &Forecaster, fit: &Dataset<f64>, valid: &Dataset<f64>, seed: u64) -> usize {
    let params = model.parameters();
    let mut opt = Adam::new(LR);
    let mut rng = StdRng::seed_from_u64(seed + 1000);
    let mut best = (f64::INFINITY, 0, params.snapshot());
    for epoch in 1..=MAX_EPOCHS {
        for (x, y) in fit.batches(BATCH).shuffled(&mut rng) {
            let tape = Tape::new();
            let pass = Pass::train(&tape);
            let loss = mse_loss(
                model.forward(&pass, pass.input(x)),
                pass.input(y),
                Reduction::Mean,
            );
            let mut grads = pass.backward(loss);
            grads.clip_global_norm(CLIP);
            opt.step(&params, &grads);
        }
        let err = mse(&model.predict(valid.x()), valid.y());
        if err < best.0 {
            best = (err, epoch, params.snapshot());
        } else if epoch - best.1 >= PATIENCE {
            break;
        }
    }
    params.restore(&best.2);
    best.1
}

/// A GRU that reads the series one year at a time and predicts the next year at every
/// step, trained on the first `fit_years` years by truncated backpropagation through
/// time: chunks of `TBPTT_K` steps, the state carried over detached, so gradients reach
/// back at most `TBPTT_K` years. Early stopping on the next years up to the test period.
/// Returns the standardised one-step forecasts of the test years (the state warmed up on
/// every earlier year).
fn stateful_gru(z: &[f64], fit_years: usize, seed: u64) -> Vec<f64> {
    let rng = &mut StdRng::seed_from_u64(seed);
    let gru = Gru::<f64>::new(1, HIDDEN, rng);
    let head = Linear::<f64>::new(HIDDEN, 1, rng);
    let params = Params::new()
        .nested("gru", &gru.parameters())
        .nested("head", &head.parameters());
    let mut opt = Adam::new(LR);
    let streams = batchify(&Tensor::vector(z[..fit_years].to_vec()), 1); // [years, 1, 1]
    let chunks = bptt_chunks(&streams, TBPTT_K);
    // one-step forecasts of every year after the first, the state running from 1700
    let forecast = |upto: usize| -> Vec<f64> {
        let x = Tensor::from_vec(z[..upto - 1].to_vec(), &[upto - 1, 1, 1]);
        let tape = Tape::new();
        let pass = Pass::eval(&tape);
        let _paused = tape.pause_recording();
        let (out, _) = gru.run(&pass, pass.input(x), None);
        head.forward(&pass, out.reshape(&[upto - 1, HIDDEN]))
            .value()
            .as_slice()
            .to_vec()
    };
    let mut best = (f64::INFINITY, 0, params.snapshot());
    for epoch in 1..=MAX_EPOCHS {
        let mut h: Option<Tensor<f64>> = None;
        for (x, y) in &chunks {
            let tape = Tape::new();
            let pass = Pass::train(&tape);
            // the previous chunk's last state, no gradient path behind it
            let h0 = h.as_ref().map(|h| pass.input(h.clone()));
            let (out, h_n) = gru.run(&pass, pass.input(x.clone()), h0);
            let steps = x.shape()[0];
            let pred = head.forward(&pass, out.reshape(&[steps, HIDDEN]));
            let loss = mse_loss(
                pred,
                pass.input(y.reshape(&[steps, 1]).unwrap()),
                Reduction::Mean,
            );
            let mut grads = pass.backward(loss);
            grads.clip_global_norm(CLIP);
            opt.step(&params, &grads);
            // a plain tensor: on the next chunk's tape it is a constant (the detach), and
            // this chunk's tape, with everything it recorded, is freed
            h = Some(h_n.value());
        }
        let pred = forecast(TRAIN_YEARS);
        let valid = &pred[fit_years - 1..];
        let err = valid
            .iter()
            .zip(&z[fit_years..TRAIN_YEARS])
            .map(|(p, o)| (p - o).powi(2))
            .sum::<f64>()
            / valid.len() as f64;
        if err < best.0 {
            best = (err, epoch, params.snapshot());
        } else if epoch - best.1 >= PATIENCE {
            break;
        }
    }
    params.restore(&best.2);
    eprintln!("GRU, stateful seed {seed}: best epoch {}", best.1);
    forecast(z.len())[TRAIN_YEARS - 1..].to_vec()
}

fn mse(pred: &Tensor<f64>, target: &Tensor<f64>) -> f64 {
    let se: f64 = pred
        .as_slice()
        .iter()
        .zip(target.as_slice())
        .map(|(p, t)| (p - t).powi(2))
        .sum();
    se / pred.len() as f64
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// `[intercept, a_1 … a_12]` minimising the squared error of `y ≈ c + a·x` over the
/// windows: the normal equations `(XᵀX) β = Xᵀy` with a leading column of ones, solved by
/// Gaussian elimination with partial pivoting (13 unknowns).
fn least_squares(data: &Dataset<f64>) -> Vec<f64> {
    let p = WINDOW + 1;
    let mut a = vec![vec![0.0; p + 1]; p]; // [XᵀX | Xᵀy]
    for (x, y) in data.x().as_slice().chunks(WINDOW).zip(data.y().as_slice()) {
        let row: Vec<f64> = std::iter::once(1.0).chain(x.iter().copied()).collect();
        for i in 0..p {
            for j in 0..p {
                a[i][j] += row[i] * row[j];
            }
            a[i][p] += row[i] * y;
        }
    }
    for col in 0..p {
        let pivot = (col..p)
            .max_by(|&r, &s| a[r][col].abs().total_cmp(&a[s][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        let (upper, lower) = a.split_at_mut(col + 1);
        let pivot_row = &upper[col];
        for row in lower {
            let f = row[col] / pivot_row[col];
            for (v, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *v -= f * p;
            }
        }
    }
    let mut beta = vec![0.0; p];
    for r in (0..p).rev() {
        let s: f64 = (r + 1..p).map(|c| a[r][c] * beta[c]).sum();
        beta[r] = (a[r][p] - s) / a[r][r];
    }
    beta
}

/// `target/examples/NAME` next to the workspace, created if needed: the examples never
/// write into the source tree by default.
fn default_output(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/examples");
    std::fs::create_dir_all(&dir).ok();
    dir.join(name)
}

/// The observed test years and every model's forecasts (the networks' first seed), with
/// axes, a title and a legend.
fn plot(
    path: &Path,
    years: &[f64],
    observed: &[f64],
    rows: &[(String, f64, Vec<f64>, Vec<f64>)],
) -> Result<(), Box<dyn std::error::Error>> {
    let top = rows
        .iter()
        .flat_map(|r| r.3.iter())
        .chain(observed)
        .fold(0.0f64, |m, &v| m.max(v));
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Yearly sunspot numbers 1947–2008: one-step-ahead test forecasts",
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(55)
        // headroom above the data for the legend
        .build_cartesian_2d(years[0] - 1.0..years[years.len() - 1] + 1.0, 0.0..top * 1.5)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("year")
        .y_desc("sunspot number (yearly mean)")
        .x_label_formatter(&|y| format!("{y:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    let series = |v: &[f64]| {
        years
            .iter()
            .copied()
            .zip(v.iter().copied())
            .collect::<Vec<_>>()
    };
    chart
        .draw_series(LineSeries::new(series(observed), BLACK.stroke_width(3)))?
        .label("observed")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.stroke_width(3)));
    let colours = [
        RGBColor(150, 150, 150),
        RGBColor(52, 101, 164),
        RGBColor(245, 121, 0),
        RGBColor(204, 0, 0),
        RGBColor(78, 154, 6),
        RGBColor(117, 80, 123),
    ];
    for ((name, rmse, seeds, forecast), colour) in rows.iter().zip(colours) {
        let label = if seeds.is_empty() {
            format!("{name} (RMSE {rmse:.1})")
        } else {
            format!(
                "{name}, seed 0 (RMSE {:.1}; 5-seed mean {rmse:.1})",
                seeds[0]
            )
        };
        let style = colour.stroke_width(2);
        chart
            .draw_series(LineSeries::new(series(forecast), style))?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
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
