//! `LstmCell`: one step of a long short-term memory with PyTorch's gates `i, f, g, o`, and
//! its functional form [`lstm_step`]. The sequence layer is in `sequence.rs`.

use super::{check_step, CellVars, Weights};
use crate::caller::or_panic;
use crate::{Module, Param, Params, Pass};
use rand::Rng;
use std::panic::Location;
use tapegrad_core::{Error, Float, Tensor, Var};

/// One LSTM step on variables, PyTorch's formula (gate blocks `i, f, g, o` in the
/// weights), with `a = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh` split into four blocks:
///
/// ```text
/// i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
/// c' = f ⊙ c + i ⊙ g
/// h' = o ⊙ tanh(c')
/// ```
///
/// `x` `[batch, input]`, `h` and `c` `[batch, hidden]`; returns `(h', c')`. Panics with
/// the shapes and the caller's line where [`try_lstm_step`] returns the error.
#[track_caller]
pub fn lstm_step<'t, T: Float>(
    x: Var<'t, T>,
    state: (Var<'t, T>, Var<'t, T>),
    w: &CellVars<'t, T>,
) -> (Var<'t, T>, Var<'t, T>) {
    or_panic(try_lstm_step(x, state, w))
}

/// [`lstm_step`], or the error naming the shapes when they do not fit together.
#[track_caller]
pub fn try_lstm_step<'t, T: Float>(
    x: Var<'t, T>,
    (h, c): (Var<'t, T>, Var<'t, T>),
    w: &CellVars<'t, T>,
) -> Result<(Var<'t, T>, Var<'t, T>), Error> {
    check_step("lstm_step", 4, x, &[h, c], w, Location::caller())?;
    Ok(lstm_gates(w.input_gates(x), (h, c), w))
}

/// The step from the input's contribution `gi = x·W_ihᵀ + b_ih`, already computed.
pub(crate) fn lstm_gates<'t, T: Float>(
    gi: Var<'t, T>,
    (h, c): (Var<'t, T>, Var<'t, T>),
    w: &CellVars<'t, T>,
) -> (Var<'t, T>, Var<'t, T>) {
    let n = w.hidden();
    let a = gi + w.hidden_gates(h);
    // i and f are adjacent: one sigmoid for both
    let if_ = a.narrow(1, 0, 2 * n).sigmoid();
    let (i, f) = (if_.narrow(1, 0, n), if_.narrow(1, n, n));
    let g = a.narrow(1, 2 * n, n).tanh();
    let o = a.narrow(1, 3 * n, n).sigmoid();
    let c = f * c + i * g;
    (o * c.tanh(), c)
}

/// An LSTM cell (PyTorch's `nn.LSTMCell`); see [`lstm_step`] for the formula. Parameters
/// `weight_ih` `[4·hidden, input]`, `weight_hh` `[4·hidden, hidden]`, `bias_ih`,
/// `bias_hh` `[4·hidden]`, gate blocks in the order `i, f, g, o`.
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// use tapegrad_core::{Tape, Tensor};
/// use tapegrad_nn::recurrent::LstmCell;
/// use tapegrad_nn::Pass;
/// let cell = LstmCell::<f64>::new(3, 4, &mut StdRng::seed_from_u64(0));
/// let tape = Tape::new();
/// let pass = Pass::train(&tape);
/// let zeros = pass.input(Tensor::zeros(&[2, 4]));
/// let (h, c) = cell.step(&pass, pass.input(Tensor::ones(&[2, 3])), (zeros, zeros));
/// assert_eq!((h.shape().as_slice(), c.shape().as_slice()), (&[2, 4][..], &[2, 4][..]));
/// ```
pub struct LstmCell<T: Float> {
    /// `[4·hidden, input]`, blocks `i, f, g, o`.
    pub weight_ih: Param<T>,
    /// `[4·hidden, hidden]`, blocks `i, f, g, o`.
    pub weight_hh: Param<T>,
    /// `[4·hidden]`, or `None` without biases.
    pub bias_ih: Option<Param<T>>,
    /// `[4·hidden]`, or `None` without biases.
    pub bias_hh: Option<Param<T>>,
}

impl<T: Float> LstmCell<T> {
    /// A cell with biases, initialised as PyTorch does (uniform in `±1/√hidden`).
    pub fn new<R: Rng + ?Sized>(input: usize, hidden: usize, rng: &mut R) -> Self {
        Self::with_bias(input, hidden, true, rng)
    }

    /// A cell with or without biases.
    pub fn with_bias<R: Rng + ?Sized>(
        input: usize,
        hidden: usize,
        bias: bool,
        rng: &mut R,
    ) -> Self {
        Self::from_weights(Weights::init(4, input, hidden, bias, rng))
    }

    pub(crate) fn from_weights(w: Weights<T>) -> Self {
        LstmCell {
            weight_ih: w.weight_ih,
            weight_hh: w.weight_hh,
            bias_ih: w.bias_ih,
            bias_hh: w.bias_hh,
        }
    }

    pub(crate) fn weights(&self) -> Weights<T> {
        Weights {
            weight_ih: self.weight_ih.clone(),
            weight_hh: self.weight_hh.clone(),
            bias_ih: self.bias_ih.clone(),
            bias_hh: self.bias_hh.clone(),
        }
    }

    /// Input features.
    pub fn input_size(&self) -> usize {
        self.weight_ih.shape()[1]
    }

    /// State features.
    pub fn hidden_size(&self) -> usize {
        self.weight_hh.shape()[1]
    }

    fn label(&self) -> String {
        format!(
            "LstmCell(input={}, hidden={})",
            self.input_size(),
            self.hidden_size()
        )
    }

    /// One step: `x` `[batch, input]`, `(h, c)` `[batch, hidden]` each → `(h', c')`.
    /// Panics with the layer, the shapes and the caller's line on a shape error.
    #[track_caller]
    pub fn step<'t>(
        &self,
        pass: &Pass<'t, T>,
        x: Var<'t, T>,
        state: (Var<'t, T>, Var<'t, T>),
    ) -> (Var<'t, T>, Var<'t, T>) {
        or_panic(self.try_step(pass, x, state))
    }

    /// [`step`](Self::step), or the error.
    #[track_caller]
    pub fn try_step<'t>(
        &self,
        pass: &Pass<'t, T>,
        x: Var<'t, T>,
        (h, c): (Var<'t, T>, Var<'t, T>),
    ) -> Result<(Var<'t, T>, Var<'t, T>), Error> {
        let w = self.weights().bind(pass);
        check_step(&self.label(), 4, x, &[h, c], &w, Location::caller())?;
        Ok(lstm_gates(w.input_gates(x), (h, c), &w))
    }
}

impl<T: Float> Module<T> for LstmCell<T> {
    /// One step from zero states (PyTorch's `hx=None`); returns `h'`.
    #[track_caller]
    fn forward<'t>(&self, pass: &Pass<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        let batch = x.shape().first().copied().unwrap_or(0);
        let zeros = pass.input(Tensor::zeros(&[batch, self.hidden_size()]));
        self.step(pass, x, (zeros, zeros)).0
    }

    fn parameters(&self) -> Params<T> {
        self.weights().params("")
    }
}
