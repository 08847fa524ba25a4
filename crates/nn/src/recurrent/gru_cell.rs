//! `GruCell`: one step of a gated recurrent unit with PyTorch's gates `r, z, n`, and its
//! functional form [`gru_step`]. The sequence layer is in `sequence.rs`.

use super::{check_step, CellVars, Weights};
use crate::caller::or_panic;
use crate::{Module, Param, Params, Pass};
use rand::Rng;
use std::panic::Location;
use tapegrad_core::{Error, Float, Tensor, Var};

/// One GRU step on variables, PyTorch's formula (gate blocks `r, z, n` in the weights):
///
/// ```text
/// r  = σ(x·W_irᵀ + b_ir + h·W_hrᵀ + b_hr)
/// z  = σ(x·W_izᵀ + b_iz + h·W_hzᵀ + b_hz)
/// n  = tanh(x·W_inᵀ + b_in + r ⊙ (h·W_hnᵀ + b_hn))
/// h' = (1 − z) ⊙ n + z ⊙ h
/// ```
///
/// `x` `[batch, input]`, `h` `[batch, hidden]`. Panics with the shapes and the caller's
/// line where [`try_gru_step`] returns the error.
#[track_caller]
pub fn gru_step<'t, T: Float>(x: Var<'t, T>, h: Var<'t, T>, w: &CellVars<'t, T>) -> Var<'t, T> {
    or_panic(try_gru_step(x, h, w))
}

/// [`gru_step`], or the error naming the shapes when they do not fit together.
#[track_caller]
pub fn try_gru_step<'t, T: Float>(
    x: Var<'t, T>,
    h: Var<'t, T>,
    w: &CellVars<'t, T>,
) -> Result<Var<'t, T>, Error> {
    check_step("gru_step", 3, x, &[h], w, Location::caller())?;
    Ok(gru_gates(w.input_gates(x), h, w))
}

/// The step from the input's contribution `gi = x·W_ihᵀ + b_ih`, already computed.
pub(crate) fn gru_gates<'t, T: Float>(
    gi: Var<'t, T>,
    h: Var<'t, T>,
    w: &CellVars<'t, T>,
) -> Var<'t, T> {
    let n = w.hidden();
    let gh = w.hidden_gates(h);
    // r and z take the sum of both sides; n keeps the hidden side apart, to be gated by r
    let rz = (gi.narrow(1, 0, 2 * n) + gh.narrow(1, 0, 2 * n)).sigmoid();
    let (r, z) = (rz.narrow(1, 0, n), rz.narrow(1, n, n));
    let cand = (gi.narrow(1, 2 * n, n) + r * gh.narrow(1, 2 * n, n)).tanh();
    // (1 − z)·n + z·h, written with one product fewer
    cand + z * (h - cand)
}

/// A GRU cell (PyTorch's `nn.GRUCell`); see [`gru_step`] for the formula. Parameters
/// `weight_ih` `[3·hidden, input]`, `weight_hh` `[3·hidden, hidden]`, `bias_ih`,
/// `bias_hh` `[3·hidden]`, gate blocks in the order `r, z, n`.
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// use tapegrad_core::{Tape, Tensor};
/// use tapegrad_nn::recurrent::GruCell;
/// use tapegrad_nn::{Module, Pass};
/// let cell = GruCell::<f64>::new(3, 4, &mut StdRng::seed_from_u64(0));
/// assert_eq!(cell.parameters().names().collect::<Vec<_>>(),
///            ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]);
/// let tape = Tape::new();
/// let pass = Pass::train(&tape);
/// let h = pass.input(Tensor::zeros(&[2, 4]));
/// let h = cell.step(&pass, pass.input(Tensor::ones(&[2, 3])), h);
/// assert_eq!(h.shape().as_slice(), &[2, 4]);
/// ```
pub struct GruCell<T: Float> {
    /// `[3·hidden, input]`, blocks `r, z, n`.
    pub weight_ih: Param<T>,
    /// `[3·hidden, hidden]`, blocks `r, z, n`.
    pub weight_hh: Param<T>,
    /// `[3·hidden]`, or `None` without biases.
    pub bias_ih: Option<Param<T>>,
    /// `[3·hidden]`, or `None` without biases.
    pub bias_hh: Option<Param<T>>,
}

impl<T: Float> GruCell<T> {
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
        Self::from_weights(Weights::init(3, input, hidden, bias, rng))
    }

    pub(crate) fn from_weights(w: Weights<T>) -> Self {
        GruCell {
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
            "GruCell(input={}, hidden={})",
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
        check_step(&self.label(), 3, x, &[h], &w, Location::caller())?;
        Ok(gru_gates(w.input_gates(x), h, &w))
    }
}

impl<T: Float> Module<T> for GruCell<T> {
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
