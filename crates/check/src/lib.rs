//! # tapegrad-check
//!
//! Tools for the tapegrad engine, written on its public API only (the tape's read-only
//! view [`NodeView`](tapegrad_core::NodeView) and its [`Observer`](tapegrad_core::Observer)
//! hook):
//!
//! - [`gradcheck`]: the engine's derivatives against finite differences, with a report
//!   that names the worst elements and the first wrong node.
//! - [`diagnostics`]: the tape as DOT or text, memory statistics, anomaly mode (the first
//!   NaN or infinity), and "why is this gradient zero?", as methods of a tape through the
//!   [`Diagnostics`](diagnostics::Diagnostics) trait; for a
//!   [`Plan`](tapegrad_core::Plan), anomaly mode in its replays and its optimised
//!   instructions as DOT ([`PlanDiagnostics`](diagnostics::PlanDiagnostics)).
//! - `testing` (feature `testing`): proptest strategies and the op-author's kit.
//!
//! ```
//! use tapegrad_check::diagnostics::Diagnostics;
//! use tapegrad_check::gradcheck::check_gradients;
//! use tapegrad_core::{Tape, Tensor};
//! let x = Tensor::vector(vec![0.5, -1.0]);
//! check_gradients(|xs| (xs[0] * xs[0]).exp().sum(), &[x], 2).unwrap();
//! let tape = Tape::<f64>::new();
//! let y = tape.leaf(Tensor::scalar(2.0)).exp();
//! assert!(tape.graph().of(&[y]).to_dot().contains("exp"));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod diagnostics;
pub mod gradcheck;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
