//! The recurrent cells and sequence layers: values against hand formulas and against an
//! independent plain-f64 implementation (every layout: layers, directions, batch-first,
//! initial states), finite-difference checks of orders 1 and 2 through unrolled GRU and
//! LSTM steps, a 1,000-step backward on the test's own thread, and the errors' texts.
//! The PyTorch fixture is `recurrent_fixture.rs`.

use proptest::prelude::*;
use rand::{rngs::StdRng, SeedableRng};
use std::panic::{catch_unwind, AssertUnwindSafe};
use tapegrad_check::diagnostics::Diagnostics;
use tapegrad_check::gradcheck::check_gradients;
use tapegrad_core::{ErrorKind, Tape, Tensor, Var};
use tapegrad_nn::recurrent::{
    gru_step, lstm_step, rnn_step, CellVars, Gru, GruCell, Lstm, LstmCell, Nonlinearity,
    RecurrentConfig, Rnn, RnnCell,
};
use tapegrad_nn::{Module, Param, Pass};

fn sigmoid(a: f64) -> f64 {
    1.0 / (1.0 + (-a).exp())
}

// ---------------------------------------------------------------------------------------
// An independent reference: plain loops over f64 slices, one batch row at a time.

#[derive(Clone, Copy, Debug)]
enum Kind {
    Rnn(Nonlinearity),
    Gru,
    Lstm,
}

struct RefCell {
    w_ih: Tensor<f64>,
    w_hh: Tensor<f64>,
    b_ih: Option<Tensor<f64>>,
    b_hh: Option<Tensor<f64>>,
}

impl RefCell {
    fn of(
        w_ih: &Param<f64>,
        w_hh: &Param<f64>,
        b_ih: &Option<Param<f64>>,
        b_hh: &Option<Param<f64>>,
    ) -> Self {
        RefCell {
            w_ih: w_ih.value(),
            w_hh: w_hh.value(),
            b_ih: b_ih.as_ref().map(Param::value),
            b_hh: b_hh.as_ref().map(Param::value),
        }
    }
}

/// `W·v + b` for `W` `[rows, cols]`.
fn affine(w: &Tensor<f64>, v: &[f64], b: &Option<Tensor<f64>>) -> Vec<f64> {
    let (rows, cols) = (w.shape()[0], w.shape()[1]);
    (0..rows)
        .map(|r| {
            let dot: f64 = (0..cols).map(|c| w.at(&[r, c]) * v[c]).sum();
            dot + b.as_ref().map_or(0.0, |b| b.at(&[r]))
        })
        .collect()
}

/// One step for one batch row: `(h', c')` (`c` unused but by the LSTM).
fn ref_step(kind: Kind, cell: &RefCell, x: &[f64], h: &[f64], c: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = h.len();
    let gi = affine(&cell.w_ih, x, &cell.b_ih);
    let gh = affine(&cell.w_hh, h, &cell.b_hh);
    match kind {
        Kind::Rnn(act) => {
            let h = (0..n)
                .map(|j| {
                    let a = gi[j] + gh[j];
                    match act {
                        Nonlinearity::Tanh => a.tanh(),
                        Nonlinearity::Relu => a.max(0.0),
                    }
                })
                .collect();
            (h, c.to_vec())
        }
        Kind::Gru => {
            let h = (0..n)
                .map(|j| {
                    let r = sigmoid(gi[j] + gh[j]);
                    let z = sigmoid(gi[n + j] + gh[n + j]);
                    let cand = (gi[2 * n + j] + r * gh[2 * n + j]).tanh();
                    (1.0 - z) * cand + z * h[j]
                })
                .collect();
            (h, c.to_vec())
        }
        Kind::Lstm => {
            let a: Vec<f64> = gi.iter().zip(&gh).map(|(a, b)| a + b).collect();
            let c2: Vec<f64> = (0..n)
                .map(|j| sigmoid(a[n + j]) * c[j] + sigmoid(a[j]) * a[2 * n + j].tanh())
                .collect();
            let h2 = (0..n)
                .map(|j| sigmoid(a[3 * n + j]) * c2[j].tanh())
                .collect();
            (h2, c2)
        }
    }
}

/// A sequence layer by the book: `x` `[seq, batch, in]` (or batch-first), states
/// `[d·layers, batch, hidden]`; returns (output, h_n, c_n) as flat row-major vectors.
#[allow(clippy::type_complexity)]
fn ref_sequence(
    kind: Kind,
    cells: &[RefCell],
    config: RecurrentConfig,
    hidden: usize,
    x: &Tensor<f64>,
    h0: Option<&Tensor<f64>>,
    c0: Option<&Tensor<f64>>,
) -> (Tensor<f64>, Tensor<f64>, Tensor<f64>) {
    let bf = config.batch_first;
    let (steps, batch) = if bf {
        (x.shape()[1], x.shape()[0])
    } else {
        (x.shape()[0], x.shape()[1])
    };
    let d = config.directions();
    let input = x.shape()[2];
    // seq[t][b] = feature vector
    let mut seq: Vec<Vec<Vec<f64>>> = (0..steps)
        .map(|t| {
            (0..batch)
                .map(|b| {
                    (0..input)
                        .map(|i| {
                            if bf {
                                x.at(&[b, t, i])
                            } else {
                                x.at(&[t, b, i])
                            }
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let rows = config.layers * d;
    let state0 = |s: Option<&Tensor<f64>>, k: usize, b: usize| -> Vec<f64> {
        (0..hidden)
            .map(|j| s.map_or(0.0, |s| s.at(&[k, b, j])))
            .collect()
    };
    let mut h_n = vec![0.0; rows * batch * hidden];
    let mut c_n = vec![0.0; rows * batch * hidden];
    for layer in 0..config.layers {
        let mut next = vec![vec![Vec::new(); batch]; steps];
        for dir in 0..d {
            let k = layer * d + dir;
            for b in 0..batch {
                let (mut h, mut c) = (state0(h0, k, b), state0(c0, k, b));
                for i in 0..steps {
                    let t = if dir == 0 { i } else { steps - 1 - i };
                    (h, c) = ref_step(kind, &cells[k], &seq[t][b], &h, &c);
                    next[t][b].extend_from_slice(&h);
                }
                let at = (k * batch + b) * hidden;
                h_n[at..at + hidden].copy_from_slice(&h);
                c_n[at..at + hidden].copy_from_slice(&c);
            }
        }
        seq = next;
    }
    let out_shape = if bf {
        [batch, steps, d * hidden]
    } else {
        [steps, batch, d * hidden]
    };
    let out = Tensor::from_fn(&out_shape, |k| {
        let f = k % (d * hidden);
        let (p, q) = (
            k / (d * hidden) / out_shape[1],
            k / (d * hidden) % out_shape[1],
        );
        let (t, b) = if bf { (q, p) } else { (p, q) };
        seq[t][b][f]
    });
    let states = [rows, batch, hidden];
    (
        out,
        Tensor::from_vec(h_n, &states),
        Tensor::from_vec(c_n, &states),
    )
}

/// One of our three layers, run on tensors.
enum Layer {
    Rnn(Rnn<f64>),
    Gru(Gru<f64>),
    Lstm(Lstm<f64>),
}

impl Layer {
    fn new(kind: Kind, input: usize, hidden: usize, config: RecurrentConfig, seed: u64) -> Self {
        let rng = &mut StdRng::seed_from_u64(seed);
        match kind {
            Kind::Rnn(act) => {
                Layer::Rnn(Rnn::with_config(input, hidden, config, rng).nonlinearity(act))
            }
            Kind::Gru => Layer::Gru(Gru::with_config(input, hidden, config, rng)),
            Kind::Lstm => Layer::Lstm(Lstm::with_config(input, hidden, config, rng)),
        }
    }

    fn ref_cells(&self, config: RecurrentConfig) -> Vec<RefCell> {
        let mut cells = Vec::new();
        for l in 0..config.layers {
            for d in 0..config.directions() {
                cells.push(match self {
                    Layer::Rnn(m) => {
                        let c = m.cell(l, d);
                        RefCell::of(&c.weight_ih, &c.weight_hh, &c.bias_ih, &c.bias_hh)
                    }
                    Layer::Gru(m) => {
                        let c = m.cell(l, d);
                        RefCell::of(&c.weight_ih, &c.weight_hh, &c.bias_ih, &c.bias_hh)
                    }
                    Layer::Lstm(m) => {
                        let c = m.cell(l, d);
                        RefCell::of(&c.weight_ih, &c.weight_hh, &c.bias_ih, &c.bias_hh)
                    }
                });
            }
        }
        cells
    }

    /// (output, h_n, c_n); c_n is `h_n` for the layers without a cell state.
    fn run<'t>(
        &self,
        pass: &Pass<'t, f64>,
        x: Var<'t, f64>,
        h0: Option<Var<'t, f64>>,
        c0: Option<Var<'t, f64>>,
    ) -> (Var<'t, f64>, Var<'t, f64>, Var<'t, f64>) {
        match self {
            Layer::Rnn(m) => {
                let (o, h) = m.run(pass, x, h0);
                (o, h, h)
            }
            Layer::Gru(m) => {
                let (o, h) = m.run(pass, x, h0);
                (o, h, h)
            }
            Layer::Lstm(m) => {
                let (o, (h, c)) = m.run(pass, x, h0.zip(c0));
                (o, h, c)
            }
        }
    }
}

fn close(a: &Tensor<f64>, b: &Tensor<f64>, tol: f64) -> Result<(), String> {
    if a.shape() != b.shape() {
        return Err(format!("shapes {:?} and {:?}", a.shape(), b.shape()));
    }
    for (k, (x, y)) in a.as_slice().iter().zip(b.as_slice()).enumerate() {
        if (x - y).abs() > tol {
            return Err(format!("element {k}: {x} vs {y}"));
        }
    }
    Ok(())
}

/// Our layer against the reference on random data, with and without initial states.
fn matches_reference(
    kind: Kind,
    (steps, batch, input, hidden): (usize, usize, usize, usize),
    config: RecurrentConfig,
    seed: u64,
) -> Result<(), String> {
    let layer = Layer::new(kind, input, hidden, config, seed);
    let cells = layer.ref_cells(config);
    let xshape = if config.batch_first {
        [batch, steps, input]
    } else {
        [steps, batch, input]
    };
    let x = Tensor::rand_normal(&xshape, 0.0, 1.0, seed + 1);
    let sshape = [config.layers * config.directions(), batch, hidden];
    let h0 = Tensor::rand_normal(&sshape, 0.0, 0.5, seed + 2);
    let c0 = Tensor::rand_normal(&sshape, 0.0, 0.5, seed + 3);
    for with_state in [false, true] {
        let tape = Tape::new();
        let pass = Pass::eval(&tape);
        let (hv, cv) = (pass.input(h0.clone()), pass.input(c0.clone()));
        let (o, h, c) = if with_state {
            layer.run(&pass, pass.input(x.clone()), Some(hv), Some(cv))
        } else {
            layer.run(&pass, pass.input(x.clone()), None, None)
        };
        let (ro, rh, rc) = if with_state {
            ref_sequence(kind, &cells, config, hidden, &x, Some(&h0), Some(&c0))
        } else {
            ref_sequence(kind, &cells, config, hidden, &x, None, None)
        };
        close(&o.value(), &ro, 1e-12).map_err(|e| format!("output: {e}"))?;
        close(&h.value(), &rh, 1e-12).map_err(|e| format!("h_n: {e}"))?;
        if matches!(kind, Kind::Lstm) {
            close(&c.value(), &rc, 1e-12).map_err(|e| format!("c_n: {e}"))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Literal values

#[test]
fn rnn_cell_matches_literal_tanh_and_relu() {
    // hidden 1, input 2: a = 1·1 + 2·1 + 0.1 + 0.5·2 − 0.1 = 4
    let mut cell = RnnCell::<f64>::new(2, 1, &mut StdRng::seed_from_u64(0));
    cell.weight_ih
        .set(Tensor::from_vec(vec![1.0, 2.0], &[1, 2]));
    cell.weight_hh.set(Tensor::from_vec(vec![0.5], &[1, 1]));
    cell.bias_ih
        .as_ref()
        .unwrap()
        .set(Tensor::vector(vec![0.1]));
    cell.bias_hh
        .as_ref()
        .unwrap()
        .set(Tensor::vector(vec![-0.1]));
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let (x, h) = (
        pass.input(Tensor::from_vec(vec![1.0, 1.0], &[1, 2])),
        pass.input(Tensor::from_vec(vec![2.0], &[1, 1])),
    );
    let y = cell.step(&pass, x, h);
    assert!((y.item() - 4f64.tanh()).abs() < 1e-15);
    // d tanh(a)/d W_hh = (1 − tanh²a)·h
    let g = pass.backward(y);
    let expect = (1.0 - 4f64.tanh().powi(2)) * 2.0;
    assert!((g.wrt(&cell.weight_hh).item() - expect).abs() < 1e-15);
    cell.nonlinearity = Nonlinearity::Relu;
    assert_eq!(cell.step(&pass, x, h).item(), 4.0);
}

#[test]
fn gru_cell_matches_literal() {
    // hidden 1, input 1: gate rows r, z, n
    let cell = GruCell::<f64>::new(1, 1, &mut StdRng::seed_from_u64(0));
    cell.weight_ih
        .set(Tensor::from_vec(vec![1.0, -1.0, 2.0], &[3, 1]));
    cell.weight_hh
        .set(Tensor::from_vec(vec![0.5, 0.5, -1.0], &[3, 1]));
    cell.bias_ih
        .as_ref()
        .unwrap()
        .set(Tensor::vector(vec![0.0, 0.0, 0.0]));
    cell.bias_hh
        .as_ref()
        .unwrap()
        .set(Tensor::vector(vec![0.0, 0.0, 1.0]));
    let tape = Tape::new();
    let pass = Pass::eval(&tape);
    let (x, h) = (1.0, 0.5);
    let y = cell.step(
        &pass,
        pass.input(Tensor::from_vec(vec![x], &[1, 1])),
        pass.input(Tensor::from_vec(vec![h], &[1, 1])),
    );
    // r = σ(1 + 0.25), z = σ(−1 + 0.25), n = tanh(2 + r·(−0.5 + 1)), h' = (1 − z)n + z·h
    let r = sigmoid(1.25);
    let z = sigmoid(-0.75);
    let n = (2.0 + r * 0.5).tanh();
    assert!((y.item() - ((1.0 - z) * n + z * h)).abs() < 1e-15);
}

#[test]
fn lstm_cell_matches_literal() {
    // hidden 1, input 1: gate rows i, f, g, o
    let cell = LstmCell::<f64>::with_bias(1, 1, false, &mut StdRng::seed_from_u64(0));
    cell.weight_ih
        .set(Tensor::from_vec(vec![1.0, 2.0, -1.0, 0.5], &[4, 1]));
    cell.weight_hh
        .set(Tensor::from_vec(vec![0.0, 1.0, 1.0, -2.0], &[4, 1]));
    let tape = Tape::new();
    let pass = Pass::eval(&tape);
    let v = |a: f64| pass.input(Tensor::from_vec(vec![a], &[1, 1]));
    let (h, c) = cell.step(&pass, v(1.0), (v(0.5), v(-1.0)));
    // a = [1, 2.5, −0.5, −0.5]; c' = σ(2.5)·(−1) + σ(1)·tanh(−0.5); h' = σ(−0.5)·tanh(c')
    let c2 = -sigmoid(2.5) + sigmoid(1.0) * (-0.5f64).tanh();
    assert!((c.item() - c2).abs() < 1e-15);
    assert!((h.item() - sigmoid(-0.5) * c2.tanh()).abs() < 1e-15);
}

#[test]
fn cells_as_modules_start_from_zero_states_and_name_parameters_like_pytorch() {
    let rng = &mut StdRng::seed_from_u64(3);
    let cell = LstmCell::<f64>::new(2, 3, rng);
    let names: Vec<_> = cell.parameters().names().map(String::from).collect();
    assert_eq!(names, ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]);
    assert_eq!(cell.weight_ih.shape(), [12, 2]);
    let x = Tensor::rand_normal(&[4, 2], 0.0, 1.0, 9);
    let tape = Tape::new();
    let pass = Pass::eval(&tape);
    let zeros = pass.input(Tensor::zeros(&[4, 3]));
    let (h, _) = cell.step(&pass, pass.input(x.clone()), (zeros, zeros));
    assert_eq!(cell.predict(&x), h.value());
    let no_bias = GruCell::<f64>::with_bias(2, 3, false, rng);
    assert_eq!(
        no_bias.parameters().names().collect::<Vec<_>>(),
        ["weight_ih", "weight_hh"]
    );
}

#[test]
fn init_is_uniform_within_one_over_sqrt_hidden() {
    let gru = Gru::<f64>::with_config(
        5,
        16,
        RecurrentConfig::new().layers(2),
        &mut StdRng::seed_from_u64(1),
    );
    let ps = gru.parameters();
    let all: Vec<f64> = ps
        .params()
        .flat_map(|p| p.value().as_slice().to_vec())
        .collect();
    assert!(all.iter().all(|w| w.abs() <= 0.25), "bound 1/√16");
    // spread over the interval, not a constant
    let max = all.iter().cloned().fold(f64::MIN, f64::max);
    assert!(max > 0.24, "{max}");
    assert_eq!(ps.get("weight_ih_l1").unwrap().shape(), [48, 16]);
}

#[test]
fn sequence_parameters_follow_pytorch_names_and_order() {
    let config = RecurrentConfig::new().layers(2).bidirectional(true);
    let lstm = Lstm::<f32>::with_config(3, 4, config, &mut StdRng::seed_from_u64(0));
    let names: Vec<_> = lstm.parameters().names().map(String::from).collect();
    let mut want = Vec::new();
    for l in 0..2 {
        for sfx in ["", "_reverse"] {
            for p in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"] {
                want.push(format!("{p}_l{l}{sfx}"));
            }
        }
    }
    assert_eq!(names, want);
    // layer 1 reads both directions of layer 0
    assert_eq!(lstm.cell(1, 1).weight_ih.shape(), [16, 8]);
    let plain = Rnn::<f32>::with_config(
        3,
        4,
        RecurrentConfig::new().bias(false),
        &mut StdRng::seed_from_u64(0),
    );
    assert_eq!(
        plain.parameters().names().collect::<Vec<_>>(),
        ["weight_ih_l0", "weight_hh_l0"]
    );
}

#[test]
fn every_layout_matches_the_reference() {
    let base = RecurrentConfig::new();
    let configs = [
        base,
        base.batch_first(true),
        base.layers(2),
        base.bidirectional(true),
        base.layers(2).bidirectional(true).batch_first(true),
        base.layers(3).bias(false),
    ];
    let kinds = [
        Kind::Rnn(Nonlinearity::Tanh),
        Kind::Rnn(Nonlinearity::Relu),
        Kind::Gru,
        Kind::Lstm,
    ];
    for (i, config) in configs.iter().enumerate() {
        for kind in kinds {
            matches_reference(kind, (5, 3, 2, 4), *config, i as u64)
                .unwrap_or_else(|e| panic!("{kind:?} {config:?}: {e}"));
        }
    }
}

#[test]
fn module_forward_is_run_from_zero_states() {
    let gru = Gru::<f64>::new(2, 3, &mut StdRng::seed_from_u64(5));
    let x = Tensor::rand_normal(&[4, 2, 2], 0.0, 1.0, 6);
    let tape = Tape::new();
    let pass = Pass::eval(&tape);
    let (out, _) = gru.run(
        &pass,
        pass.input(x.clone()),
        Some(pass.input(Tensor::zeros(&[1, 2, 3]))),
    );
    assert_eq!(gru.predict(&x), out.value());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn random_layouts_match_the_reference(
        kind in prop_oneof![
            Just(Kind::Rnn(Nonlinearity::Tanh)),
            Just(Kind::Rnn(Nonlinearity::Relu)),
            Just(Kind::Gru),
            Just(Kind::Lstm),
        ],
        steps in 1usize..6, batch in 1usize..4, input in 1usize..4, hidden in 1usize..5,
        layers in 1usize..4, bidirectional: bool, batch_first: bool, bias: bool,
        seed in 0u64..1000,
    ) {
        let config = RecurrentConfig::new()
            .layers(layers)
            .bidirectional(bidirectional)
            .batch_first(batch_first)
            .bias(bias);
        let r = matches_reference(kind, (steps, batch, input, hidden), config, seed);
        prop_assert!(r.is_ok(), "{:?}", r);
    }
}

// ---------------------------------------------------------------------------------------
// Gradients

/// The weights as the first four inputs of a checked function.
fn cell_vars<'t>(xs: &[Var<'t, f64>]) -> CellVars<'t, f64> {
    CellVars {
        weight_ih: xs[0],
        weight_hh: xs[1],
        bias_ih: Some(xs[2]),
        bias_hh: Some(xs[3]),
    }
}

fn weights(gates: usize, input: usize, hidden: usize, seed: u64) -> Vec<Tensor<f64>> {
    let g = gates * hidden;
    vec![
        Tensor::rand_normal(&[g, input], 0.0, 0.6, seed),
        Tensor::rand_normal(&[g, hidden], 0.0, 0.6, seed + 1),
        Tensor::rand_normal(&[g], 0.0, 0.3, seed + 2),
        Tensor::rand_normal(&[g], 0.0, 0.3, seed + 3),
    ]
}

const STEPS: usize = 3;

#[test]
fn unrolled_gru_gradcheck_order2() {
    // weights, h0, then one input per step: every input of every step is checked
    let (batch, input, hidden) = (2, 2, 2);
    let mut inputs = weights(3, input, hidden, 10);
    inputs.push(Tensor::rand_normal(&[batch, hidden], 0.0, 0.5, 20));
    for t in 0..STEPS {
        inputs.push(Tensor::rand_normal(
            &[batch, input],
            0.0,
            1.0,
            30 + t as u64,
        ));
    }
    check_gradients(
        |xs| {
            let w = cell_vars(xs);
            let mut h = xs[4];
            for x in &xs[5..] {
                h = gru_step(*x, h, &w);
            }
            h
        },
        &inputs,
        2,
    )
    .unwrap();
}

#[test]
fn unrolled_lstm_gradcheck_order2() {
    let (batch, input, hidden) = (2, 2, 2);
    let mut inputs = weights(4, input, hidden, 40);
    inputs.push(Tensor::rand_normal(&[batch, hidden], 0.0, 0.5, 50));
    inputs.push(Tensor::rand_normal(&[batch, hidden], 0.0, 0.5, 51));
    for t in 0..STEPS {
        inputs.push(Tensor::rand_normal(
            &[batch, input],
            0.0,
            1.0,
            60 + t as u64,
        ));
    }
    check_gradients(
        |xs| {
            let w = cell_vars(xs);
            let (mut h, mut c) = (xs[4], xs[5]);
            for x in &xs[6..] {
                (h, c) = lstm_step(*x, (h, c), &w);
            }
            // both states reach the output
            Var::concat(&[h, c], 1)
        },
        &inputs,
        2,
    )
    .unwrap();
}

#[test]
fn unrolled_rnn_gradcheck_order2() {
    let mut inputs = weights(1, 2, 3, 70);
    inputs.push(Tensor::rand_normal(&[2, 3], 0.0, 0.5, 80));
    for t in 0..STEPS {
        inputs.push(Tensor::rand_normal(&[2, 2], 0.0, 1.0, 90 + t as u64));
    }
    check_gradients(
        |xs| {
            let w = cell_vars(xs);
            let mut h = xs[4];
            for x in &xs[5..] {
                h = rnn_step(*x, h, &w, Nonlinearity::Tanh);
            }
            h
        },
        &inputs,
        2,
    )
    .unwrap();
}

#[test]
fn sequence_layers_gradcheck_order2_through_input_and_states() {
    // two layers, both directions, batch first: the input and the initial states checked
    let config = RecurrentConfig::new()
        .layers(2)
        .bidirectional(true)
        .batch_first(true);
    let rng = &mut StdRng::seed_from_u64(7);
    let gru = Gru::<f64>::with_config(2, 2, config, rng);
    let lstm = Lstm::<f64>::with_config(2, 2, config, rng);
    let x = Tensor::rand_normal(&[2, 3, 2], 0.0, 1.0, 1);
    let s = Tensor::rand_normal(&[4, 2, 2], 0.0, 0.5, 2);
    check_gradients(
        |xs| {
            let pass = Pass::train(xs[0].tape());
            let (out, h_n) = gru.run(&pass, xs[0], Some(xs[1]));
            Var::concat(&[out.flatten(), h_n.flatten()], 0)
        },
        &[x.clone(), s.clone()],
        2,
    )
    .unwrap();
    check_gradients(
        |xs| {
            let pass = Pass::train(xs[0].tape());
            let (out, (h_n, c_n)) = lstm.run(&pass, xs[0], Some((xs[1], xs[2])));
            Var::concat(&[out.flatten(), h_n.flatten(), c_n.flatten()], 0)
        },
        &[x, s.clone(), s],
        2,
    )
    .unwrap();
}

#[test]
fn a_thousand_step_rnn_backward_runs_on_the_test_thread() {
    // The sweep is a loop over the tape, not a recursion: 1,000 steps (about 10,000 nodes)
    // on the test's default 2 MiB thread.
    let (steps, batch, input, hidden) = (1000, 4, 8, 32);
    let rnn = Rnn::<f32>::new(input, hidden, &mut StdRng::seed_from_u64(0));
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let x = pass.input(Tensor::rand_normal(&[steps, batch, input], 0.0, 1.0, 1));
    let (out, h_n) = rnn.run(&pass, x, None);
    let loss = (out * out).mean() + h_n.sum();
    let stats = tape.stats();
    let grads = pass.backward(loss);
    let g = grads.wrt(&rnn.cell(0, 0).weight_hh);
    assert!(g.as_slice().iter().all(|v| v.is_finite()));
    assert!(g.as_slice().iter().any(|v| *v != 0.0));
    // the memory the recording holds (values, node records, ops), printed for the record
    println!(
        "1000-step RNN (batch {batch}, input {input}, hidden {hidden}, f32): {} nodes, \
         {:.2} MiB of values, {:.2} MiB in all",
        stats.nodes,
        stats.value_bytes as f64 / (1 << 20) as f64,
        stats.bytes() as f64 / (1 << 20) as f64
    );
    assert!(stats.nodes >= steps * 5, "{}", stats.nodes);
}

#[test]
fn truncated_bptt_detach_cuts_the_gradient_path() {
    // Two chunks of steps; the state is detached between them, so the first chunk's
    // inputs get no gradient from the second chunk's loss.
    let rnn = Rnn::<f64>::new(1, 3, &mut StdRng::seed_from_u64(2));
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let x1 = tape.leaf(Tensor::rand_normal(&[4, 1, 1], 0.0, 1.0, 3));
    let x2 = pass.input(Tensor::rand_normal(&[4, 1, 1], 0.0, 1.0, 4));
    let (_, h) = rnn.run(&pass, x1, None);
    let (out, _) = rnn.run(&pass, x2, Some(h.detach()));
    let g = out.sum().backward();
    assert!(g.wrt(x1).as_slice().iter().all(|v| *v == 0.0));
    let (out, _) = rnn.run(&pass, x2, Some(h));
    let g = out.sum().backward();
    assert!(g.wrt(x1).as_slice().iter().any(|v| *v != 0.0));
}

// ---------------------------------------------------------------------------------------
// Bad input

/// The panic message of `f`, and the `(at this_file:line:` it must contain.
fn panic_at(line: u32, f: impl FnOnce()) -> (String, String) {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("no panic");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    (message, format!("(at {}:{line}:", file!()))
}

#[track_caller]
fn assert_names_caller((message, at): (String, String), starts: &str) {
    assert!(message.starts_with(starts), "{message}");
    assert!(message.contains(&at), "wanted {at} in: {message}");
}

#[test]
fn sequence_layers_refuse_bad_input_naming_layer_shapes_and_line() {
    let config = RecurrentConfig::new().layers(2).batch_first(true);
    let rng = &mut StdRng::seed_from_u64(0);
    let gru = Gru::<f32>::with_config(3, 4, config, rng);
    let lstm = Lstm::<f32>::new(3, 4, rng);
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let label = "Gru(input=3, hidden=4, layers=2, batch_first): ";

    // wrong input width
    let x = pass.input(Tensor::zeros(&[2, 5, 7]));
    let line = line!() + 1;
    let r = panic_at(line, || _ = gru.run(&pass, x, None));
    assert_names_caller(
        r,
        &format!("{label}input of shape [2, 5, 7] has 7 features, expected 3"),
    );
    // through `Module::forward` too
    let line = line!() + 1;
    let r = panic_at(line, || _ = gru.forward(&pass, x));
    assert_names_caller(
        r,
        &format!("{label}input of shape [2, 5, 7] has 7 features"),
    );

    // batch_first disagreeing with the data: [seq 5, batch 2, 3] given to a batch-first
    // layer with a state for batch 2
    let x = pass.input(Tensor::zeros(&[5, 2, 3]));
    let h0 = pass.input(Tensor::zeros(&[2, 2, 4]));
    let line = line!() + 1;
    let r = panic_at(line, || _ = gru.run(&pass, x, Some(h0)));
    assert_names_caller(
        r,
        &format!(
            "{label}initial state of shape [2, 2, 4] has batch 2, the input [5, 2, 3] read as \
             [batch, seq, input] (batch_first) has batch 5: is batch_first = true wrong"
        ),
    );

    // wrong initial state
    let x = pass.input(Tensor::zeros(&[2, 5, 3]));
    let h0 = pass.input(Tensor::zeros(&[1, 2, 4]));
    let line = line!() + 1;
    let r = panic_at(line, || _ = gru.run(&pass, x, Some(h0)));
    assert_names_caller(
        r,
        &format!(
            "{label}initial state of shape [1, 2, 4], expected [directions·layers, batch, \
             hidden] = [2, 2, 4] for input [2, 5, 3]"
        ),
    );
    let (h0, c0) = (
        pass.input(Tensor::zeros(&[1, 5, 4])),
        pass.input(Tensor::zeros(&[1, 5, 5])),
    );
    let x = pass.input(Tensor::zeros(&[2, 5, 3]));
    let line = line!() + 1;
    let r = panic_at(line, || _ = lstm.run(&pass, x, Some((h0, c0))));
    assert_names_caller(
        r,
        "Lstm(input=3, hidden=4): initial state of shape [1, 5, 5], expected",
    );

    // empty sequence, and a try_ twin's error kind and line
    let x = pass.input(Tensor::zeros(&[2, 0, 3]));
    let line = line!() + 1;
    let r = panic_at(line, || _ = gru.run(&pass, x, None));
    assert_names_caller(
        r,
        &format!("{label}empty sequence: input of shape [2, 0, 3] has no time steps"),
    );
    let (err, line) = (gru.try_run(&pass, x, None).unwrap_err(), line!());
    assert_eq!(err.kind(), &ErrorKind::InvalidArgument);
    assert_eq!((err.location.file(), err.location.line()), (file!(), line));
    let x = pass.input(Tensor::zeros(&[3]));
    let (err, line) = (lstm.try_run(&pass, x, None).unwrap_err(), line!());
    let shapes = vec![vec![3]];
    assert_eq!(err.kind(), &ErrorKind::ShapeMismatch { shapes });
    assert_eq!(err.location.line(), line);
    let want = "input of shape [3]: expected [seq, batch, input] or unbatched [seq, input]";
    assert!(err.to_string().contains(want), "{err}");
    // unbatched input with a batched state
    let (x, h0) = (
        pass.input(Tensor::zeros(&[5, 3])),
        pass.input(Tensor::zeros(&[1, 1, 4])),
    );
    let line = line!() + 1;
    let r = panic_at(line, || _ = lstm.run(&pass, x, Some((h0, h0))));
    assert_names_caller(
        r,
        "Lstm(input=3, hidden=4): initial state of shape [1, 1, 4], expected \
         [directions·layers, hidden] = [1, 4] for unbatched input [5, 3]",
    );

    // no layers at all
    let none = RecurrentConfig::new().layers(0);
    let line = line!() + 1;
    let r = panic_at(line, || drop(Rnn::<f32>::with_config(3, 4, none, rng)));
    assert_names_caller(r, "Rnn: needs at least one layer, got 0");
}

#[test]
fn cells_refuse_bad_input_naming_cell_shapes_and_line() {
    let rng = &mut StdRng::seed_from_u64(0);
    let cell = GruCell::<f64>::new(3, 4, rng);
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let (x, h) = (
        pass.input(Tensor::zeros(&[2, 5])),
        pass.input(Tensor::zeros(&[2, 4])),
    );
    let line = line!() + 1;
    let r = panic_at(line, || _ = cell.step(&pass, x, h));
    assert_names_caller(
        r,
        "GruCell(input=3, hidden=4): input of shape [2, 5], expected [batch, 3]",
    );
    let x = pass.input(Tensor::zeros(&[2, 3]));
    let h = pass.input(Tensor::zeros(&[3, 4]));
    let line = line!() + 1;
    let r = panic_at(line, || _ = cell.step(&pass, x, h));
    assert_names_caller(
        r,
        "GruCell(input=3, hidden=4): state of shape [3, 4] for input [2, 3], expected [2, 4]",
    );
    // the functional form with mismatched weights
    let w = CellVars {
        weight_ih: tape.leaf(Tensor::zeros(&[8, 3])),
        weight_hh: tape.leaf(Tensor::zeros(&[8, 4])),
        bias_ih: None,
        bias_hh: None,
    };
    let h = pass.input(Tensor::zeros(&[2, 4]));
    let line = line!() + 1;
    let r = panic_at(line, || _ = gru_step(x, h, &w));
    assert_names_caller(
        r,
        "gru_step: weights of shapes [8, 3] (ih) and [8, 4] (hh) are not [3·hidden, input]",
    );
    let line = line!() + 1;
    let r = panic_at(line, || _ = lstm_step(x, (h, h), &w));
    assert_names_caller(
        r,
        "lstm_step: weights of shapes [8, 3] (ih) and [8, 4] (hh)",
    );
}

#[test]
fn an_empty_batch_gives_empty_outputs_and_zero_gradients() {
    let lstm = Lstm::<f64>::with_config(
        2,
        3,
        RecurrentConfig::new().bidirectional(true),
        &mut StdRng::seed_from_u64(0),
    );
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let (out, (h_n, c_n)) = lstm.run(&pass, pass.input(Tensor::zeros(&[4, 0, 2])), None);
    assert_eq!(out.shape().as_slice(), &[4, 0, 6]);
    assert_eq!(h_n.shape().as_slice(), &[2, 0, 3]);
    assert_eq!(c_n.shape().as_slice(), &[2, 0, 3]);
    let g = pass.backward(out.sum() + h_n.sum());
    let w = &lstm.cell(0, 1).weight_hh;
    assert_eq!(g.wrt(w), Tensor::zeros(&[12, 3]));
}

#[test]
fn dropout_acts_between_layers_in_training_only() {
    let rng = |s| StdRng::seed_from_u64(s);
    let plain = RecurrentConfig::new().layers(2);
    let x = Tensor::rand_normal(&[6, 3, 2], 0.0, 1.0, 4);
    let reference = Gru::<f64>::with_config(2, 5, plain, &mut rng(1));
    let dropped = Gru::<f64>::with_config(2, 5, plain.dropout(0.5, 9), &mut rng(1));
    // same weights (same generator), so evaluation gives the same outputs
    assert_eq!(reference.predict(&x), dropped.predict(&x));
    let train = |gru: &Gru<f64>| {
        let tape = Tape::new();
        let pass = Pass::train(&tape);
        gru.forward(&pass, pass.input(x.clone())).value()
    };
    assert_eq!(train(&reference), reference.predict(&x));
    assert_ne!(train(&dropped), dropped.predict(&x));
    // p = 1: the second layer sees zeros, so the first layer's weights get no gradient
    // from the last layer's outputs, while the second layer's do
    let all = Gru::<f64>::with_config(2, 5, plain.dropout(1.0, 0), &mut rng(2));
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let g = pass.backward(all.forward(&pass, pass.input(x.clone())).sum());
    assert!(g
        .wrt(&all.cell(0, 0).weight_ih)
        .as_slice()
        .iter()
        .all(|v| *v == 0.0));
    assert!(g
        .wrt(&all.cell(1, 0).weight_hh)
        .as_slice()
        .iter()
        .any(|v| *v != 0.0));
    let label = format!(
        "{}",
        Gru::<f64>::with_config(2, 5, plain.dropout(0.25, 0), &mut rng(3))
            .try_run(&pass, pass.input(Tensor::zeros(&[1, 1, 9])), None)
            .unwrap_err()
    );
    assert!(
        label.starts_with("Gru(input=2, hidden=5, layers=2, dropout=0.25): "),
        "{label}"
    );
}

#[test]
fn unbatched_input_is_a_batch_of_one() {
    // as PyTorch: x [seq, input], states [d·layers, hidden], batch_first ignored
    let config = RecurrentConfig::new()
        .layers(2)
        .bidirectional(true)
        .batch_first(true);
    let lstm = Lstm::<f64>::with_config(2, 3, config, &mut StdRng::seed_from_u64(8));
    let x = Tensor::rand_normal(&[5, 2], 0.0, 1.0, 1);
    let h0 = Tensor::rand_normal(&[4, 3], 0.0, 0.5, 2);
    let c0 = Tensor::rand_normal(&[4, 3], 0.0, 0.5, 3);
    let tape = Tape::new();
    let pass = Pass::eval(&tape);
    let v = |t: &Tensor<f64>| pass.input(t.clone());
    let (out, (h, c)) = lstm.run(&pass, v(&x), Some((v(&h0), v(&c0))));
    assert_eq!(out.shape().as_slice(), &[5, 6]);
    assert_eq!(
        (h.shape().to_vec(), c.shape().to_vec()),
        (vec![4, 3], vec![4, 3])
    );
    let batched = |t: &Tensor<f64>, s: &[usize]| v(&t.reshape(s).unwrap());
    let (out1, (h1, c1)) = lstm.run(
        &pass,
        batched(&x, &[1, 5, 2]),
        Some((batched(&h0, &[4, 1, 3]), batched(&c0, &[4, 1, 3]))),
    );
    assert_eq!(out.value().as_slice(), out1.value().as_slice());
    assert_eq!(h.value().as_slice(), h1.value().as_slice());
    assert_eq!(c.value().as_slice(), c1.value().as_slice());
}
