//! `Lstm`: a multi-layer LSTM over a sequence (PyTorch's `nn.LSTM`), run by the engine
//! in `sequence.rs`.

use super::sequence::{RecurrentConfig, Stack};
use super::{LstmCell, Weights};
use crate::caller::or_panic;
use crate::{Module, Params, Pass};
use rand::Rng;
use std::panic::Location;
use tapegrad_core::{Error, Float, Var};

/// A multi-layer LSTM (PyTorch's `nn.LSTM`, without projections): [`LstmCell`]'s step at
/// every step of every layer and direction; the state is the pair `(h, c)`.
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// use tapegrad_core::{Tape, Tensor};
/// use tapegrad_nn::recurrent::{Lstm, RecurrentConfig};
/// use tapegrad_nn::Pass;
/// let lstm = Lstm::<f64>::with_config(2, 3, RecurrentConfig::new().layers(2), &mut StdRng::seed_from_u64(0));
/// let tape = Tape::new();
/// let pass = Pass::train(&tape);
/// let x = pass.input(Tensor::ones(&[4, 1, 2]));
/// let h0 = pass.input(Tensor::zeros(&[2, 1, 3]));
/// let (out, (h_n, c_n)) = lstm.run(&pass, x, Some((h0, h0)));
/// assert_eq!(out.shape().as_slice(), &[4, 1, 3]);
/// assert_eq!(c_n.shape().as_slice(), &[2, 1, 3]);
/// ```
pub struct Lstm<T: Float> {
    stack: Stack<LstmCell<T>>,
}

impl<T: Float> Lstm<T> {
    /// One layer, one direction, `[seq, batch, input]`, PyTorch's initialisation.
    pub fn new<R: Rng + ?Sized>(input: usize, hidden: usize, rng: &mut R) -> Self {
        Self::with_config(input, hidden, RecurrentConfig::new(), rng)
    }

    /// An LSTM of the given shape; panics when `config.layers` is 0.
    #[track_caller]
    pub fn with_config<R: Rng + ?Sized>(
        input: usize,
        hidden: usize,
        config: RecurrentConfig,
        rng: &mut R,
    ) -> Self {
        let stack = Stack::new("Lstm", input, hidden, config, |i| {
            LstmCell::from_weights(Weights::init(4, i, hidden, config.bias, rng))
        });
        Lstm { stack }
    }

    #[doc = concat!("Unrolls the network over `x` from `(h0, c0)` (zeros when `None`); returns every step's output and the final states `(h_n, c_n)`. ", shapes_doc!())]
    #[track_caller]
    #[allow(clippy::type_complexity)]
    pub fn run<'t>(
        &self,
        pass: &Pass<'t, T>,
        x: Var<'t, T>,
        state: Option<(Var<'t, T>, Var<'t, T>)>,
    ) -> (Var<'t, T>, (Var<'t, T>, Var<'t, T>)) {
        or_panic(self.try_run(pass, x, state))
    }

    /// [`run`](Self::run), or the error.
    #[track_caller]
    #[allow(clippy::type_complexity)]
    pub fn try_run<'t>(
        &self,
        pass: &Pass<'t, T>,
        x: Var<'t, T>,
        state: Option<(Var<'t, T>, Var<'t, T>)>,
    ) -> Result<(Var<'t, T>, (Var<'t, T>, Var<'t, T>)), Error> {
        let init: Vec<_> = state.map(|(h, c)| vec![h, c]).unwrap_or_default();
        let (out, finals) = self.stack.try_run(pass, x, &init, Location::caller())?;
        Ok((out, (finals[0], finals[1])))
    }
}

sequence_layer!(Lstm, LstmCell);
