// The front page of the API docs is the README (its tour, "Use tapegrad in your crate",
// adding an op, training), so its Rust blocks are doctests and cannot drift from the API.
#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

/// The `rand` that `Linear::new`, `Mlp::build`, `Init` and `Batches::shuffled` take generators
/// from: `use tapegrad::rand::{rngs::StdRng, SeedableRng};` matches it whatever version of
/// `rand` your own crate depends on.
pub use rand;
pub use tapegrad_core as core;
pub use tapegrad_nn as nn;

/// The names most programs need.
pub mod prelude {
    pub use tapegrad_core::{Error, Float, Grads, InputGrads, Op, Tape, Tensor, TensorError, Var};
    pub use tapegrad_nn::loss::Reduction;
    pub use tapegrad_nn::optim::{Adam, AdamW, Optimizer, Schedule, Sgd};
    pub use tapegrad_nn::{
        Dropout, Gradients, Init, Linear, Mlp, Module, Param, Params, Pass, Sequential,
    };
}
