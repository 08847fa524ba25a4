//! # tapegrad-core
//!
//! Reverse-mode automatic differentiation on n-d tensors, to any order.
//!
//! - [`Tensor`]: plain numbers (f32 or f64), row-major, cheap to clone.
//! - [`Tape`] and [`Var`]: record a computation; `Var` is a `Copy` handle with operators.
//! - [`Op`]: the one trait every op implements, built-in or yours.
//! - [`Error`]: which op refused, where in your code, and its [`ErrorKind`] to match on
//!   (the tensor layer's [`TensorError`] carries the same kinds).
//! - [`Tape::grad`] (recorded, differentiable again) and [`Var::backward`] (tensors, fast).
//! - [`Plan`]: trace a computation (a loss and its gradients, say) once, replay it fast.
//! - [`func`]: gradients, Jacobians, Hessians and JVPs of a function in one call, in the
//!   manner of `torch.func` and `jax`.
//! - [`Tape::nodes`] and [`Observer`]: a read-only view of a tape and a hook on ops and
//!   VJPs, on which the tools (the `tapegrad-check` crate: gradient checker, diagnostics,
//!   the op-author's kit) are written.
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
// The one crate with `unsafe`: the GEMM call (`float.rs`) and inline op storage
// (`stored_op.rs`). Every block says why it is sound.
#![deny(clippy::undocumented_unsafe_blocks, unsafe_op_in_unsafe_fn)]

mod backward;
mod error;
mod float;
pub mod func;
mod op;
pub mod ops;
mod plan;
mod stored_op;
pub mod structure;
mod tape;
pub mod tensor;
mod var;

pub use backward::Grads;
pub use error::{Error, ErrorKind};
pub use float::{Activation, Float};
pub use op::{InputGrads, Op};
pub use ops::shape::IndexTensor;
pub use plan::{Passes, Plan, PlanInstruction, PlanStats, ReplayStep};
pub use structure::{Curvature, Structure};
pub use tape::{NodeKind, NodeView, Observer, Observing, PausedRecording, Tape};
pub use tensor::{Shape, Tensor, TensorError};
pub use var::Var;
