//! # tapegrad
//!
//! Reverse-mode automatic differentiation for Rust: define expressions on scalars or n-d
//! tensors with ordinary operators and get exact gradients, and gradients of gradients.
//!
//! This umbrella crate re-exports the workspace's crates; most users need only the prelude:
//!
//! ```
//! use tapegrad::prelude::*;
//! let tape = Tape::<f64>::new();
//! let x = tape.leaf(Tensor::scalar(2.0));
//! let y = x * x * x;
//! let dy = tape.grad(y, &[x])[0];       // 3x² = 12
//! let d2y = tape.grad(dy, &[x])[0];     // 6x = 12
//! assert_eq!((dy.item(), d2y.item()), (12.0, 12.0));
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

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

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
