//! `Rnn`: a multi-layer Elman RNN over a sequence (PyTorch's `nn.RNN`), run by the
//! engine in `sequence.rs`.

use super::sequence::{RecurrentConfig, Stack};
use super::{Nonlinearity, RnnCell, Weights};
use crate::caller::or_panic;
use crate::{Module, Params, Pass};
use rand::Rng;
use std::panic::Location;
use tapegrad_core::{Error, Float, Var};

/// A multi-layer Elman RNN (PyTorch's `nn.RNN`): at every step of every layer and
/// direction, `h_t = act(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh)` (see [`RnnCell`]).
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// use tapegrad_core::{Tape, Tensor};
/// use tapegrad_nn::recurrent::{RecurrentConfig, Rnn};
/// use tapegrad_nn::{Module, Pass};
/// let config = RecurrentConfig::new().layers(2).bidirectional(true).batch_first(true);
/// let rnn = Rnn::<f64>::with_config(3, 4, config, &mut StdRng::seed_from_u64(0));
/// assert_eq!(rnn.parameters().names().take(5).collect::<Vec<_>>(),
///            ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse"]);
/// let tape = Tape::new();
/// let pass = Pass::train(&tape);
/// let x = pass.input(Tensor::ones(&[5, 7, 3])); // [batch, seq, input]
/// let (out, h_n) = rnn.run(&pass, x, None);
/// assert_eq!(out.shape().as_slice(), &[5, 7, 8]); // [batch, seq, 2·hidden]
/// assert_eq!(h_n.shape().as_slice(), &[4, 5, 4]); // [2·layers, batch, hidden]
/// ```
pub struct Rnn<T: Float> {
    stack: Stack<RnnCell<T>>,
}

impl<T: Float> Rnn<T> {
    /// One tanh layer, one direction, `[seq, batch, input]`, PyTorch's initialisation.
    pub fn new<R: Rng + ?Sized>(input: usize, hidden: usize, rng: &mut R) -> Self {
        Self::with_config(input, hidden, RecurrentConfig::new(), rng)
    }

    /// A tanh RNN of the given shape; panics when `config.layers` is 0.
    #[track_caller]
    pub fn with_config<R: Rng + ?Sized>(
        input: usize,
        hidden: usize,
        config: RecurrentConfig,
        rng: &mut R,
    ) -> Self {
        let stack = Stack::new("Rnn", input, hidden, config, |i| {
            let w = Weights::init(1, i, hidden, config.bias, rng);
            RnnCell::from_weights(w, Nonlinearity::Tanh)
        });
        Rnn { stack }
    }

    /// The same network with activation `act` in every cell (PyTorch's `nonlinearity`).
    pub fn nonlinearity(mut self, act: Nonlinearity) -> Self {
        for cell in &mut self.stack.cells {
            cell.nonlinearity = act;
        }
        self
    }
}

sequence_layer!(Rnn, RnnCell);
single_state_run!(Rnn);
