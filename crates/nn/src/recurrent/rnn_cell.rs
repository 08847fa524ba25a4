//! `RnnCell`: one step of an Elman network, `h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)`,
//! and its functional form [`rnn_step`]. The sequence layer is in `sequence.rs`.

use super::{check_step, CellVars, Weights};
use crate::caller::or_panic;
use crate::{Module, Params, Pass};
use rand::Rng;
use std::panic::Location;
use tapegrad_core::{Error, Float, Tensor, Var};

/// The activation of an Elman cell (PyTorch's `nonlinearity` argument).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Nonlinearity {
    /// `tanh` (the default).
    #[default]
    Tanh,
    /// `relu`.
    Relu,
}

/// One Elman step on variables: `h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)`, `x`
/// `[batch, input]`, `h` `[batch, hidden]`. Panics with the shapes and the caller's line
/// where [`try_rnn_step`] returns the error.
#[track_caller]
pub fn rnn_step<'t, T: Float>(
    x: Var<'t, T>,
    h: Var<'t, T>,
    w: &CellVars<'t, T>,
    act: Nonlinearity,
) -> Var<'t, T> {
    or_panic(try_rnn_step(x, h, w, act))
}

/// [`rnn_step`], or the error naming the shapes when they do not fit together.
#[track_caller]
pub fn try_rnn_step<'t, T: Float>(
    x: Var<'t, T>,
    h: Var<'t, T>,
    w: &CellVars<'t, T>,
    act: Nonlinearity,
) -> Result<Var<'t, T>, Error> {
    check_step("rnn_step", 1, x, &[h], w, Location::caller())?;
    Ok(rnn_gates(w.input_gates(x), h, w, act))
}

/// The step from the input's contribution `gi = x·W_ihᵀ + b_ih`, already computed.
pub(crate) fn rnn_gates<'t, T: Float>(
    gi: Var<'t, T>,
    h: Var<'t, T>,
    w: &CellVars<'t, T>,
    act: Nonlinearity,
) -> Var<'t, T> {
    let a = gi + w.hidden_gates(h);
    match act {
        Nonlinearity::Tanh => a.tanh(),
        Nonlinearity::Relu => a.relu(),
    }
}

/// An Elman RNN cell (PyTorch's `nn.RNNCell`): `h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)`
/// with `act` tanh (default) or ReLU. Parameters `weight_ih` `[hidden, input]`,
/// `weight_hh` `[hidden, hidden]`, `bias_ih`, `bias_hh` `[hidden]`.
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// use tapegrad_core::{Tape, Tensor};
/// use tapegrad_nn::recurrent::RnnCell;
/// use tapegrad_nn::Pass;
/// let cell = RnnCell::<f64>::new(3, 4, &mut StdRng::seed_from_u64(0));
/// let tape = Tape::new();
/// let pass = Pass::train(&tape);
/// let mut h = pass.input(Tensor::zeros(&[2, 4])); // [batch, hidden]
/// for t in 0..5 {
///     let x = pass.input(Tensor::full(&[2, 3], t as f64 / 5.0)); // [batch, input]
///     h = cell.step(&pass, x, h);
/// }
/// let grads = pass.backward(h.sum());
/// assert_eq!(grads.wrt(&cell.weight_hh).shape(), &[4, 4]);
/// ```
pub struct RnnCell<T: Float> {
    /// `[hidden, input]`.
    pub weight_ih: crate::Param<T>,
    /// `[hidden, hidden]`.
    pub weight_hh: crate::Param<T>,
    /// `[hidden]`, or `None` without biases.
    pub bias_ih: Option<crate::Param<T>>,
    /// `[hidden]`, or `None` without biases.
    pub bias_hh: Option<crate::Param<T>>,
    /// The activation.
    pub nonlinearity: Nonlinearity,
}

impl<T: Float> RnnCell<T> {
    /// A tanh cell with biases, initialised as PyTorch does (uniform in `±1/√hidden`).
    pub fn new<R: Rng + ?Sized>(input: usize, hidden: usize, rng: &mut R) -> Self {
        Self::with_options(input, hidden, Nonlinearity::Tanh, true, rng)
    }

    /// A cell with the given activation, with or without biases.
    pub fn with_options<R: Rng + ?Sized>(
        input: usize,
        hidden: usize,
        nonlinearity: Nonlinearity,
        bias: bool,
        rng: &mut R,
    ) -> Self {
        Self::from_weights(Weights::init(1, input, hidden, bias, rng), nonlinearity)
    }

    pub(crate) fn from_weights(w: Weights<T>, nonlinearity: Nonlinearity) -> Self {
        RnnCell {
            weight_ih: w.weight_ih,
            weight_hh: w.weight_hh,
            bias_ih: w.bias_ih,
            bias_hh: w.bias_hh,
            nonlinearity,
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
            "RnnCell(input={}, hidden={})",
            self.input_size(),
            self.hidden_size()
        )
    }

    /// One step: `x` `[batch, input]`, `h` `[batch, hidden]` → `h'` `[batch, hidden]`.
    /// Panics with the layer, the shapes and the caller's line on a shape error.
    #[track_caller]
    pub fn step<'t>(&self, pass: &Pass<'t, T>, x: Var<'t, T>, h: Var<'t, T>) -> Var<'t, T> {
        or_panic(self.try_step(pass, x, h))
    }

    /// [`step`](Self::step), or the error.
    #[track_caller]
    pub fn try_step<'t>(
        &self,
        pass: &Pass<'t, T>,
        x: Var<'t, T>,
        h: Var<'t, T>,
    ) -> Result<Var<'t, T>, Error> {
        let w = self.weights().bind(pass);
        check_step(&self.label(), 1, x, &[h], &w, Location::caller())?;
        Ok(rnn_gates(w.input_gates(x), h, &w, self.nonlinearity))
    }
}

impl<T: Float> Module<T> for RnnCell<T> {
    /// One step from a zero state (PyTorch's `hx=None`).
    #[track_caller]
    fn forward<'t>(&self, pass: &Pass<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        let batch = x.shape().first().copied().unwrap_or(0);
        let h = pass.input(Tensor::zeros(&[batch, self.hidden_size()]));
        self.step(pass, x, h)
    }

    fn parameters(&self) -> Params<T> {
        self.weights().params("")
    }
}
