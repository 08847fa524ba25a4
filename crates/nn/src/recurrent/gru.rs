//! `Gru`: a multi-layer GRU over a sequence (PyTorch's `nn.GRU`), run by the engine in
//! `sequence.rs`.

use super::sequence::{RecurrentConfig, Stack};
use super::{GruCell, Weights};
use crate::caller::or_panic;
use crate::{Module, Params, Pass};
use rand::Rng;
use std::panic::Location;
use tapegrad_core::{Error, Float, Var};

/// A multi-layer GRU (PyTorch's `nn.GRU`): [`GruCell`]'s step at every step of every
/// layer and direction.
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// use tapegrad_core::{Tape, Tensor};
/// use tapegrad_nn::recurrent::Gru;
/// use tapegrad_nn::Pass;
/// let gru = Gru::<f64>::new(1, 8, &mut StdRng::seed_from_u64(0));
/// let tape = Tape::new();
/// let pass = Pass::train(&tape);
/// let x = pass.input(Tensor::linspace(0.0, 1.0, 12).reshape(&[12, 1, 1]).unwrap()); // [seq, batch, input]
/// let (out, h_n) = gru.run(&pass, x, None);
/// assert_eq!(out.shape().as_slice(), &[12, 1, 8]);
/// // the last step's output is the final state
/// assert_eq!(out.value().as_slice()[11 * 8..], h_n.value().as_slice()[..]);
/// ```
pub struct Gru<T: Float> {
    stack: Stack<GruCell<T>>,
}

impl<T: Float> Gru<T> {
    /// One layer, one direction, `[seq, batch, input]`, PyTorch's initialisation.
    pub fn new<R: Rng + ?Sized>(input: usize, hidden: usize, rng: &mut R) -> Self {
        Self::with_config(input, hidden, RecurrentConfig::new(), rng)
    }

    /// A GRU of the given shape; panics when `config.layers` is 0.
    #[track_caller]
    pub fn with_config<R: Rng + ?Sized>(
        input: usize,
        hidden: usize,
        config: RecurrentConfig,
        rng: &mut R,
    ) -> Self {
        let stack = Stack::new("Gru", input, hidden, config, |i| {
            GruCell::from_weights(Weights::init(3, i, hidden, config.bias, rng))
        });
        Gru { stack }
    }
}

sequence_layer!(Gru, GruCell);
single_state_run!(Gru);
