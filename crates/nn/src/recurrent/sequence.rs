//! The engine of the sequence layers ([`Rnn`](super::Rnn), [`Gru`](super::Gru),
//! [`Lstm`](super::Lstm), one file each): [`RecurrentConfig`], and [`Stack`], which unrolls
//! a cell over time, several layers deep and optionally in both directions, with
//! PyTorch's shapes and parameter names. The cells' formulas are in their own files.

use super::gru_cell::gru_gates;
use super::lstm_cell::lstm_gates;
use super::rnn_cell::rnn_gates;
use super::{CellVars, GruCell, LstmCell, RnnCell, Weights};
use crate::caller::{error_at, fail};
use crate::{Dropout, Module, Params, Pass};
use std::panic::Location;
use tapegrad_core::{Error, ErrorKind, Float, Tensor, Var};

/// The shape of a sequence layer (PyTorch's constructor arguments of `nn.RNN`, `nn.GRU`,
/// `nn.LSTM`): stacked layers, directions, the input's axis order and biases.
///
/// ```
/// use tapegrad_nn::recurrent::RecurrentConfig;
/// let config = RecurrentConfig::new().layers(2).bidirectional(true).batch_first(true);
/// assert_eq!(config.directions(), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RecurrentConfig {
    /// Stacked layers (`num_layers`): layer `k + 1` reads layer `k`'s outputs. At least 1.
    pub layers: usize,
    /// A second direction per layer, reading the sequence backwards; the outputs of both
    /// are concatenated on the feature axis.
    pub bidirectional: bool,
    /// Inputs and outputs `[batch, seq, features]` instead of `[seq, batch, features]`.
    /// The states are `[directions·layers, batch, hidden]` either way, as in PyTorch.
    ///
    /// A layer cannot tell `[seq, batch]` from `[batch, seq]` by the input alone. An
    /// initial state, whose batch axis is fixed, exposes a disagreement, and the error
    /// then says so.
    pub batch_first: bool,
    /// Biases `bias_ih` and `bias_hh` in every cell.
    pub bias: bool,
    /// Dropout on the outputs of every layer but the last, in training passes (PyTorch's
    /// `dropout`): `(probability, seed)`, the masks drawn from a generator seeded once
    /// when the layer is built. `None` (the default): no dropout.
    pub dropout: Option<(f64, u64)>,
}

impl Default for RecurrentConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl RecurrentConfig {
    /// One layer, one direction, `[seq, batch, features]`, with biases (PyTorch's
    /// defaults).
    pub fn new() -> Self {
        RecurrentConfig {
            layers: 1,
            bidirectional: false,
            batch_first: false,
            bias: true,
            dropout: None,
        }
    }

    /// Sets [`layers`](Self::layers).
    pub fn layers(mut self, layers: usize) -> Self {
        self.layers = layers;
        self
    }

    /// Sets [`bidirectional`](Self::bidirectional).
    pub fn bidirectional(mut self, bidirectional: bool) -> Self {
        self.bidirectional = bidirectional;
        self
    }

    /// Sets [`batch_first`](Self::batch_first).
    pub fn batch_first(mut self, batch_first: bool) -> Self {
        self.batch_first = batch_first;
        self
    }

    /// Sets [`bias`](Self::bias).
    pub fn bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    /// Sets [`dropout`](Self::dropout): probability `p` in `[0, 1]`, masks seeded with
    /// `seed`.
    pub fn dropout(mut self, p: f64, seed: u64) -> Self {
        self.dropout = Some((p, seed));
        self
    }

    /// 2 when bidirectional, else 1.
    pub fn directions(&self) -> usize {
        if self.bidirectional {
            2
        } else {
            1
        }
    }
}

/// What the engine needs of a cell: its weights and how one step moves the state.
pub(super) trait Unroll<T: Float> {
    /// 1 (`h`) or 2 (`h, c`).
    const STATES: usize;
    fn weights(&self) -> Weights<T>;
    /// One step from the input's contribution `gi = x·W_ihᵀ + b_ih`.
    fn advance<'t>(&self, gi: Var<'t, T>, state: &mut [Var<'t, T>], w: &CellVars<'t, T>);
}

impl<T: Float> Unroll<T> for RnnCell<T> {
    const STATES: usize = 1;
    fn weights(&self) -> Weights<T> {
        RnnCell::weights(self)
    }
    fn advance<'t>(&self, gi: Var<'t, T>, state: &mut [Var<'t, T>], w: &CellVars<'t, T>) {
        state[0] = rnn_gates(gi, state[0], w, self.nonlinearity);
    }
}

impl<T: Float> Unroll<T> for GruCell<T> {
    const STATES: usize = 1;
    fn weights(&self) -> Weights<T> {
        GruCell::weights(self)
    }
    fn advance<'t>(&self, gi: Var<'t, T>, state: &mut [Var<'t, T>], w: &CellVars<'t, T>) {
        state[0] = gru_gates(gi, state[0], w);
    }
}

impl<T: Float> Unroll<T> for LstmCell<T> {
    const STATES: usize = 2;
    fn weights(&self) -> Weights<T> {
        LstmCell::weights(self)
    }
    fn advance<'t>(&self, gi: Var<'t, T>, state: &mut [Var<'t, T>], w: &CellVars<'t, T>) {
        let (h, c) = lstm_gates(gi, (state[0], state[1]), w);
        state[0] = h;
        state[1] = c;
    }
}

/// The input's length and batch; an unbatched input (`[seq, input]`) is a batch of one.
struct Layout {
    steps: usize,
    batch: usize,
    unbatched: bool,
}

/// The engine of the three layers: cells by layer, then direction (PyTorch's order).
pub(super) struct Stack<C> {
    kind: &'static str,
    pub(super) cells: Vec<C>,
    dropout: Option<Dropout>,
    pub(super) config: RecurrentConfig,
    pub(super) input: usize,
    pub(super) hidden: usize,
}

impl<C> Stack<C> {
    #[track_caller]
    pub(super) fn new(
        kind: &'static str,
        input: usize,
        hidden: usize,
        config: RecurrentConfig,
        mut cell: impl FnMut(usize) -> C,
    ) -> Self {
        if config.layers == 0 {
            fail(kind, "needs at least one layer, got 0", Location::caller());
        }
        // not `Option::map`: a closure would lose the caller's line in Dropout's refusal
        let mut dropout = None;
        if let Some((p, seed)) = config.dropout {
            dropout = Some(Dropout::new(p, seed));
        }
        let d = config.directions();
        let cells = (0..config.layers * d)
            .map(|k| cell(if k < d { input } else { d * hidden }))
            .collect();
        Stack {
            kind,
            cells,
            dropout,
            config,
            input,
            hidden,
        }
    }

    /// `Gru(input=3, hidden=4, layers=2, bidirectional, batch_first)`: names the layer in
    /// errors.
    fn label(&self) -> String {
        let c = &self.config;
        let mut s = format!("{}(input={}, hidden={}", self.kind, self.input, self.hidden);
        if c.layers != 1 {
            s += &format!(", layers={}", c.layers);
        }
        if c.bidirectional {
            s += ", bidirectional";
        }
        if c.batch_first {
            s += ", batch_first";
        }
        if let Some((p, _)) = c.dropout {
            s += &format!(", dropout={p}");
        }
        s + ")"
    }

    #[track_caller]
    pub(super) fn cell(&self, layer: usize, direction: usize) -> &C {
        let d = self.config.directions();
        assert!(
            layer < self.config.layers && direction < d,
            "{}: no cell at layer {layer}, direction {direction} ({} layers, {d} directions)",
            self.label(),
            self.config.layers
        );
        &self.cells[layer * d + direction]
    }
}

impl<C> Stack<C> {
    /// Every step's output of the last layer and the final states
    /// (`[directions·layers, batch, hidden]` each), from initial states `init` (none:
    /// zeros).
    pub(super) fn try_run<'t, T: Float>(
        &self,
        pass: &Pass<'t, T>,
        x: Var<'t, T>,
        init: &[Var<'t, T>],
        at: &'static Location<'static>,
    ) -> Result<(Var<'t, T>, Vec<Var<'t, T>>), Error>
    where
        C: Unroll<T>,
    {
        let Layout {
            steps,
            batch,
            unbatched,
        } = self.check(x, init, at)?;
        let (d, hidden) = (self.config.directions(), self.hidden);
        // unbatched: a batch of one, time first whatever `batch_first` says (as PyTorch)
        let time = usize::from(self.config.batch_first && !unbatched);
        let (x, init) = if unbatched {
            let rows = init.first().map_or(0, |h| h.shape()[0]);
            let init: Vec<_> = init.iter().map(|h| h.reshape(&[rows, 1, hidden])).collect();
            (x.reshape(&[steps, 1, self.input]), init)
        } else {
            (x, init.to_vec())
        };
        // The steps' inputs as separate `[batch, features]` variables. Layers pass their
        // outputs on as this list, never as one stacked tensor cut up again: the adjoint of
        // a cut is a full-size tensor of zeros, so cutting `steps` slices out of a tensor
        // that needs a gradient would cost `steps²` in the backward sweep.
        let mut inputs: Vec<Var<'t, T>> = (0..steps)
            .map(|t| x.narrow(time as isize, t, 1).reshape(&[batch, self.input]))
            .collect();
        let zeros = pass.input(Tensor::zeros(&[batch, hidden]));
        let mut finals: Vec<Vec<Var<'t, T>>> = vec![Vec::new(); C::STATES];
        for layer in 0..self.config.layers {
            let mut outputs: Vec<Vec<Var<'t, T>>> = Vec::with_capacity(d);
            for dir in 0..d {
                let k = layer * d + dir;
                let cell = &self.cells[k];
                let w = cell.weights().bind(pass);
                let mut state: Vec<Var<'t, T>> = (0..C::STATES)
                    .map(|s| match init.get(s) {
                        Some(h0) => h0.narrow(0, k, 1).reshape(&[batch, hidden]),
                        None => zeros,
                    })
                    .collect();
                let mut out = vec![zeros; steps];
                for i in 0..steps {
                    let t = if dir == 0 { i } else { steps - 1 - i };
                    cell.advance(w.input_gates(inputs[t]), &mut state, &w);
                    out[t] = state[0];
                }
                for (s, v) in state.into_iter().enumerate() {
                    finals[s].push(v);
                }
                outputs.push(out);
            }
            inputs = if d == 1 {
                outputs.pop().unwrap_or_default()
            } else {
                (0..steps)
                    .map(|t| Var::concat(&[outputs[0][t], outputs[1][t]], 1))
                    .collect()
            };
            if let Some(dropout) = self
                .dropout
                .as_ref()
                .filter(|_| layer + 1 < self.config.layers)
            {
                // the identity in an evaluation pass
                for v in &mut inputs {
                    *v = dropout.forward(pass, *v);
                }
            }
        }
        let output = Var::stack(&inputs, time as isize);
        let finals = finals.iter().map(|v| Var::stack(v, 0));
        Ok(if unbatched {
            let rows = self.cells.len();
            (
                output.reshape(&[steps, d * hidden]),
                finals.map(|h| h.reshape(&[rows, hidden])).collect(),
            )
        } else {
            (output, finals.collect())
        })
    }

    /// The input's `(batch, steps)`, or the error naming the layer and the shapes.
    fn check<T: Float>(
        &self,
        x: Var<'_, T>,
        init: &[Var<'_, T>],
        at: &'static Location<'static>,
    ) -> Result<Layout, Error> {
        let xs = x.shape().to_vec();
        let unbatched = xs.len() == 2;
        let layout = if unbatched {
            "unbatched [seq, input]"
        } else if self.config.batch_first {
            "[batch, seq, input] (batch_first)"
        } else {
            "[seq, batch, input]"
        };
        let err = |kind, message: String| Err(error_at(kind, &self.label(), message, at));
        let mismatch = |shapes| ErrorKind::ShapeMismatch { shapes };
        if xs.len() != 3 && !unbatched {
            return err(
                mismatch(vec![xs.clone()]),
                format!("input of shape {xs:?}: expected {layout} or unbatched [seq, input]"),
            );
        }
        if xs[xs.len() - 1] != self.input {
            return err(
                mismatch(vec![xs.clone(), vec![self.input]]),
                format!(
                    "input of shape {xs:?} has {} features, expected {} ({layout})",
                    xs[xs.len() - 1],
                    self.input
                ),
            );
        }
        let (steps, batch) = if unbatched {
            (xs[0], 1)
        } else if self.config.batch_first {
            (xs[1], xs[0])
        } else {
            (xs[0], xs[1])
        };
        if steps == 0 {
            return err(
                ErrorKind::InvalidArgument,
                format!("empty sequence: input of shape {xs:?} has no time steps ({layout})"),
            );
        }
        let rows = self.config.layers * self.config.directions();
        let want = if unbatched {
            vec![rows, self.hidden]
        } else {
            vec![rows, batch, self.hidden]
        };
        for h0 in init {
            let hs = h0.shape().to_vec();
            if hs == want {
                continue;
            }
            let message = if unbatched {
                format!(
                    "initial state of shape {hs:?}, expected [directions·layers, hidden] = \
                     {want:?} for unbatched input {xs:?}"
                )
            } else if hs == [rows, steps, self.hidden] {
                // the state's batch is the input's other axis: the flag disagrees with the data
                format!(
                    "initial state of shape {hs:?} has batch {steps}, the input {xs:?} read as \
                     {layout} has batch {batch}: is batch_first = {} wrong for this data?",
                    self.config.batch_first
                )
            } else {
                format!(
                    "initial state of shape {hs:?}, expected [directions·layers, batch, hidden] \
                     = {want:?} for input {xs:?} ({layout})"
                )
            };
            return err(mismatch(vec![hs, want]), message);
        }
        Ok(Layout {
            steps,
            batch,
            unbatched,
        })
    }

    pub(super) fn parameters<T: Float>(&self) -> Params<T>
    where
        C: Unroll<T>,
    {
        let d = self.config.directions();
        let mut ps = Params::new();
        for (k, cell) in self.cells.iter().enumerate() {
            let suffix = if k % d == 1 { "_reverse" } else { "" };
            let named = cell.weights().params(&format!("_l{}{suffix}", k / d));
            for (name, p) in named.iter() {
                ps.insert(name, p);
            }
        }
        ps
    }
}

/// The layer type's common methods: constructor checks, accessors and the unrolled run.
macro_rules! sequence_layer {
    ($layer:ident, $cell:ident) => {
        impl<T: Float> $layer<T> {
            /// The configuration.
            pub fn config(&self) -> RecurrentConfig {
                self.stack.config
            }

            /// Input features.
            pub fn input_size(&self) -> usize {
                self.stack.input
            }

            /// State features per direction.
            pub fn hidden_size(&self) -> usize {
                self.stack.hidden
            }

            /// The cell of `layer` (from 0) and `direction` (0 forward, 1 backward): its
            /// parameters are this layer's `*_l{layer}` (`*_l{layer}_reverse`).
            /// Panics when there is no such cell.
            #[track_caller]
            pub fn cell(&self, layer: usize, direction: usize) -> &$cell<T> {
                self.stack.cell(layer, direction)
            }
        }

        impl<T: Float> Module<T> for $layer<T> {
            /// Every step's output from zero initial states: see `run`.
            #[track_caller]
            fn forward<'t>(&self, pass: &Pass<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
                or_panic(self.stack.try_run(pass, x, &[], Location::caller())).0
            }

            fn parameters(&self) -> Params<T> {
                self.stack.parameters()
            }
        }
    };
}

/// `run` and `try_run` of a layer whose state is one tensor (`Rnn`, `Gru`; `Lstm` has two).
macro_rules! single_state_run {
    ($layer:ident) => {
        impl<T: Float> $layer<T> {
            #[doc = concat!("Unrolls the network over `x` from `h0` (zeros when `None`); returns every step's output and the final state `h_n`. ", shapes_doc!())]
            #[track_caller]
            pub fn run<'t>(
                &self,
                pass: &Pass<'t, T>,
                x: Var<'t, T>,
                h0: Option<Var<'t, T>>,
            ) -> (Var<'t, T>, Var<'t, T>) {
                or_panic(self.try_run(pass, x, h0))
            }

            /// [`run`](Self::run), or the error.
            #[track_caller]
            pub fn try_run<'t>(
                &self,
                pass: &Pass<'t, T>,
                x: Var<'t, T>,
                h0: Option<Var<'t, T>>,
            ) -> Result<(Var<'t, T>, Var<'t, T>), Error> {
                let init: Vec<_> = h0.into_iter().collect();
                let (out, finals) = self.stack.try_run(pass, x, &init, Location::caller())?;
                Ok((out, finals[0]))
            }
        }
    };
}

/// Shared text of the three layers' `run` docs.
macro_rules! shapes_doc {
    () => {
        "`x` is `[seq, batch, input]` (`[batch, seq, input]` with `batch_first`). The output \
         holds the last layer's state at every step, `[seq, batch, directions·hidden]` \
         (`[batch, seq, …]` with `batch_first`), the backward direction's in the second half \
         of the features; states are `[directions·layers, batch, hidden]`, rows ordered layer \
         by layer, forward before backward. An unbatched `x` `[seq, input]` (as in PyTorch) \
         gives `[seq, directions·hidden]` and takes and gives states \
         `[directions·layers, hidden]`. Panics with the layer, the shapes and the \
         caller's line on a wrong input width, an empty sequence or a wrong initial state \
         (including one that shows `batch_first` disagreeing with the data)."
    };
}
