//! # tapegrad-core
//!
//! Reverse-mode automatic differentiation on n-d tensors, to any order.
//!
//! - [`Tensor`]: plain numbers (f32 or f64), row-major, cheap to clone.
//! - [`Tape`] and [`Var`]: record a computation; `Var` is a `Copy` handle with operators.
//! - [`Op`]: the one trait every op implements, built-in or yours.
//! - [`Tape::grad`] (recorded, differentiable again) and [`Var::backward`] (tensors, fast).
//! - [`gradcheck`]: the engine's derivatives against finite differences, with a report
//!   that names the worst elements and the first wrong node.
//! - [`diagnostics`]: the tape as DOT or text, memory statistics, anomaly mode (the first
//!   NaN or infinity), and "why is this gradient zero?".
//! - `testing` (feature `testing`): proptest strategies and the op-author's kit.
//!
//! ```
//! use tapegrad_core::{Tape, Tensor};
//! let tape = Tape::<f64>::new();
//! let w = tape.leaf(Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.0, 1.0, 3.0], &[2, 3]));
//! let x = tape.constant(Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3, 1]));
//! let b = tape.leaf(Tensor::vector(vec![0.1, 0.2]));
//! let y = w.matmul(x).reshape(&[2]) + b;           // [4.6, 11.2]
//! let loss = (y * y).mean();
//! let grads = loss.backward();
//! assert_eq!(grads.wrt(b).as_slice(), &[4.6, 11.2]); // d mean(y²)/dy = y
//! ```
#![warn(missing_docs)]

mod backward;
pub mod diagnostics;
mod error;
mod float;
pub mod gradcheck;
mod op;
pub mod ops;
mod stored_op;
mod tape;
pub mod tensor;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod var;

pub use backward::Grads;
pub use error::Error;
pub use float::Float;
pub use op::{InputGrads, Op};
pub use ops::shape::IndexTensor;
pub use tape::{NodeKind, NodeView, Observer, Observing, PausedRecording, Tape};
pub use tensor::{Shape, Tensor, TensorError};
pub use var::Var;
