//! An independent reference: plain loops over f64 slices, one batch row at a time, and
//! our layers run through one interface to compare with it.

use rand::{rngs::StdRng, SeedableRng};
use tapegrad_core::{Tape, Tensor, Var};
use tapegrad_nn::recurrent::{Gru, Lstm, Nonlinearity, RecurrentConfig, Rnn};
use tapegrad_nn::{Param, Pass};

pub fn sigmoid(a: f64) -> f64 {
    1.0 / (1.0 + (-a).exp())
}

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Rnn(Nonlinearity),
    Gru,
    Lstm,
}

pub struct RefCell {
    pub w_ih: Tensor<f64>,
    pub w_hh: Tensor<f64>,
    pub b_ih: Option<Tensor<f64>>,
    pub b_hh: Option<Tensor<f64>>,
}

impl RefCell {
    pub fn of(
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
pub fn affine(w: &Tensor<f64>, v: &[f64], b: &Option<Tensor<f64>>) -> Vec<f64> {
    let (rows, cols) = (w.shape()[0], w.shape()[1]);
    (0..rows)
        .map(|r| {
            let dot: f64 = (0..cols).map(|c| w.at(&[r, c]) * v[c]).sum();
            dot + b.as_ref().map_or(0.0, |b| b.at(&[r]))
        })
        .collect()
}

/// One step for one batch row: `(h', c')` (`c` unused but by the LSTM).
pub fn ref_step(
    kind: Kind,
    cell: &RefCell,
    x: &[f64],
    h: &[f64],
    c: &[f64],
) -> (Vec<f64>, Vec<f64>) {
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
pub fn ref_sequence(
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
pub enum Layer {
    Rnn(Rnn<f64>),
    Gru(Gru<f64>),
    Lstm(Lstm<f64>),
}

impl Layer {
    pub fn new(
        kind: Kind,
        input: usize,
        hidden: usize,
        config: RecurrentConfig,
        seed: u64,
    ) -> Self {
        let rng = &mut StdRng::seed_from_u64(seed);
        match kind {
            Kind::Rnn(act) => {
                Layer::Rnn(Rnn::with_config(input, hidden, config, rng).nonlinearity(act))
            }
            Kind::Gru => Layer::Gru(Gru::with_config(input, hidden, config, rng)),
            Kind::Lstm => Layer::Lstm(Lstm::with_config(input, hidden, config, rng)),
        }
    }

    pub fn ref_cells(&self, config: RecurrentConfig) -> Vec<RefCell> {
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
    pub fn run<'t>(
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

pub fn close(a: &Tensor<f64>, b: &Tensor<f64>, tol: f64) -> Result<(), String> {
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
pub fn matches_reference(
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
