//! Recurrent networks: the cells ([`RnnCell`], [`GruCell`], [`LstmCell`]), one time step
//! each, and the sequence layers ([`Rnn`], [`Gru`], [`Lstm`]) that unroll them over time,
//! several layers deep and optionally in both directions.
//!
//! Everything follows PyTorch's `nn.RNN`/`nn.GRU`/`nn.LSTM`: the gate order (GRU `r, z, n`;
//! LSTM `i, f, g, o`), the two biases, the parameter names (`weight_ih_l0`,
//! `bias_hh_l1_reverse`, …) and layouts, the initialisation (uniform in `±1/√hidden`), and
//! the shapes of inputs, outputs and states. A PyTorch `state_dict` saved as safetensors
//! therefore loads by name (`Params::load_safetensors`) and gives the same outputs.
//!
//! The cells are also plain functions of variables ([`rnn_step`], [`gru_step`],
//! [`lstm_step`] on [`CellVars`]): the layers bind their parameters and call them, and a
//! test or a custom model can call them on any variables. Like every layer here they are
//! compositions of core ops: the gradients (of any order) come from the tape.

// `sequence` first: its macros (`sequence_layer!`, `single_state_run!`, `shapes_doc!`) serve
// the layer files.
#[macro_use]
mod sequence;
mod gru;
mod gru_cell;
mod lstm;
mod lstm_cell;
mod rnn;
mod rnn_cell;

pub use gru::Gru;
pub use gru_cell::{gru_step, try_gru_step, GruCell};
pub use lstm::Lstm;
pub use lstm_cell::{lstm_step, try_lstm_step, LstmCell};
pub use rnn::Rnn;
pub use rnn_cell::{rnn_step, try_rnn_step, Nonlinearity, RnnCell};
pub use sequence::RecurrentConfig;

use crate::caller::error_at;
use crate::{Init, Param, Params, Pass};
use rand::Rng;
use std::panic::Location;
use tapegrad_core::{Error, ErrorKind, Float, Var};

/// A cell's weights as variables on one tape: what the step functions take.
///
/// `weight_ih` is `[gates·hidden, input]`, `weight_hh` `[gates·hidden, hidden]`, the biases
/// `[gates·hidden]`, with `gates` = 1 (RNN), 3 (GRU) or 4 (LSTM), blocks in PyTorch's gate
/// order.
#[derive(Clone, Copy, Debug)]
pub struct CellVars<'t, T: Float> {
    /// Input-to-hidden weight, `[gates·hidden, input]`.
    pub weight_ih: Var<'t, T>,
    /// Hidden-to-hidden weight, `[gates·hidden, hidden]`.
    pub weight_hh: Var<'t, T>,
    /// Input-side bias, `[gates·hidden]`, if any.
    pub bias_ih: Option<Var<'t, T>>,
    /// Hidden-side bias, `[gates·hidden]`, if any.
    pub bias_hh: Option<Var<'t, T>>,
}

impl<'t, T: Float> CellVars<'t, T> {
    /// `hidden`, from `weight_hh`'s second axis.
    fn hidden(&self) -> usize {
        self.weight_hh.shape().get(1).copied().unwrap_or(0)
    }

    /// `x·W_ihᵀ + b_ih`: the input's contribution to every gate.
    fn input_gates(&self, x: Var<'t, T>) -> Var<'t, T> {
        x.linear(self.weight_ih, self.bias_ih)
    }

    /// `h·W_hhᵀ + b_hh`: the state's contribution to every gate.
    fn hidden_gates(&self, h: Var<'t, T>) -> Var<'t, T> {
        h.linear(self.weight_hh, self.bias_hh)
    }
}

/// The four parameters every cell holds, with PyTorch's names and initialisation.
#[derive(Clone, Debug)]
pub(crate) struct Weights<T: Float> {
    pub(crate) weight_ih: Param<T>,
    pub(crate) weight_hh: Param<T>,
    pub(crate) bias_ih: Option<Param<T>>,
    pub(crate) bias_hh: Option<Param<T>>,
}

impl<T: Float> Weights<T> {
    /// Uniform in `±1/√hidden` for every parameter (PyTorch's `reset_parameters`), drawn
    /// in the order of the names.
    pub(crate) fn init<R: Rng + ?Sized>(
        gates: usize,
        input: usize,
        hidden: usize,
        bias: bool,
        rng: &mut R,
    ) -> Self {
        let bound = 1.0 / (hidden.max(1) as f64).sqrt();
        let init = Init::Uniform {
            low: -bound,
            high: bound,
        };
        let rows = gates * hidden;
        let weight_ih = Param::new(init.tensor(&[rows, input], rng));
        let weight_hh = Param::new(init.tensor(&[rows, hidden], rng));
        let (bias_ih, bias_hh) = if bias {
            let b_ih = Param::new(init.tensor(&[rows], rng));
            (Some(b_ih), Some(Param::new(init.tensor(&[rows], rng))))
        } else {
            (None, None)
        };
        Weights {
            weight_ih,
            weight_hh,
            bias_ih,
            bias_hh,
        }
    }

    /// The parameters bound onto `pass`'s tape.
    pub(crate) fn bind<'t>(&self, pass: &Pass<'t, T>) -> CellVars<'t, T> {
        CellVars {
            weight_ih: pass.bind(&self.weight_ih),
            weight_hh: pass.bind(&self.weight_hh),
            bias_ih: self.bias_ih.as_ref().map(|b| pass.bind(b)),
            bias_hh: self.bias_hh.as_ref().map(|b| pass.bind(b)),
        }
    }

    /// `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh` with `suffix` appended
    /// (`"_l0_reverse"` in a sequence layer, nothing in a cell).
    pub(crate) fn params(&self, suffix: &str) -> Params<T> {
        let mut ps = Params::new()
            .with(format!("weight_ih{suffix}"), &self.weight_ih)
            .with(format!("weight_hh{suffix}"), &self.weight_hh);
        if let (Some(b_ih), Some(b_hh)) = (&self.bias_ih, &self.bias_hh) {
            ps.insert(format!("bias_ih{suffix}"), b_ih);
            ps.insert(format!("bias_hh{suffix}"), b_hh);
        }
        ps
    }
}

/// Checks one step's shapes: `x` `[batch, input]`, every state `[batch, hidden]`, the
/// weights `[gates·hidden, input]` and `[gates·hidden, hidden]`, the biases
/// `[gates·hidden]`.
pub(crate) fn check_step<T: Float>(
    op: &str,
    gates: usize,
    x: Var<'_, T>,
    states: &[Var<'_, T>],
    w: &CellVars<'_, T>,
    at: &'static Location<'static>,
) -> Result<(), Error> {
    let mismatch = |what: String, shapes: Vec<Vec<usize>>| {
        Err(error_at(ErrorKind::ShapeMismatch { shapes }, op, what, at))
    };
    let (w_ih, w_hh) = (w.weight_ih.shape(), w.weight_hh.shape());
    let rows = w_hh.first().copied().unwrap_or(0);
    if w_hh.len() != 2 || w_ih.len() != 2 || rows != gates * w_hh[1] || w_ih[0] != rows {
        return mismatch(
            format!(
                "weights of shapes {:?} (ih) and {:?} (hh) are not [{gates}·hidden, input] and \
                 [{gates}·hidden, hidden]",
                w_ih.as_slice(),
                w_hh.as_slice()
            ),
            vec![w_ih.to_vec(), w_hh.to_vec()],
        );
    }
    let (input, hidden) = (w_ih[1], w_hh[1]);
    for b in [w.bias_ih, w.bias_hh].into_iter().flatten() {
        if b.shape().as_slice() != [rows] {
            return mismatch(
                format!(
                    "bias of shape {:?}, expected [{rows}]",
                    b.shape().as_slice()
                ),
                vec![b.shape().to_vec(), vec![rows]],
            );
        }
    }
    let xs = x.shape();
    if xs.len() != 2 || xs[1] != input {
        return mismatch(
            format!(
                "input of shape {:?}, expected [batch, {input}]",
                xs.as_slice()
            ),
            vec![xs.to_vec(), vec![input]],
        );
    }
    for s in states {
        if s.shape().as_slice() != [xs[0], hidden] {
            return mismatch(
                format!(
                    "state of shape {:?} for input {:?}, expected [{}, {hidden}]",
                    s.shape().as_slice(),
                    xs.as_slice(),
                    xs[0]
                ),
                vec![s.shape().to_vec(), vec![xs[0], hidden]],
            );
        }
    }
    Ok(())
}
