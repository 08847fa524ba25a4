//! # tapegrad-nn
//!
//! Neural networks on [`tapegrad_core`], using nothing but its public API and containing no
//! derivative: every layer and loss is a composition of differentiable ops, and training
//! gets its gradients from the tape (`loss.backward()`).
//!
//! - [`Param`] / [`Params`]: shareable parameters with stable ids, registered under
//!   hierarchical names (`"0.weight"`).
//! - [`Pass`]: one forward pass: binds parameters onto a tape (each once), knows the
//!   train/eval mode, and turns `loss.backward()` into [`ParamGrads`] by parameter.
//! - [`Module`], the trait of layers ([`Linear`], [`Conv1d`], [`Conv2d`],
//!   [`ConvTranspose2d`], [`Sequential`], [`Mlp`], activations,
//!   [`Dropout`], [`MaxPool2d`], [`AvgPool2d`], [`AdaptiveAvgPool2d`], [`Flatten`],
//!   [`BatchNorm1d`], [`BatchNorm2d`], [`LayerNorm`]) and plain closures; a module's
//!   [`state`](Module::state) (parameters and buffers such as running statistics) is what
//!   weight files hold.
//! - [`recurrent`]: RNN, GRU and LSTM cells and sequence layers, PyTorch-compatible.
//! - [`loss`], [`optim`], [`data`], [`init`], [`train`], [`metrics`], and safetensors
//!   files through `Params::save_safetensors` / `Params::load_safetensors`.
//!
//! Features (all on by default): `csv` (`data::read_csv`), `safetensors` (weight files),
//! `progress-bar` (the trainer's bar on a terminal). With `default-features = false` the
//! crate is the model code alone: no file formats and no terminal dependencies.
//!
//! Gradient descent on `y = w·x + b`:
//!
//! ```
//! use tapegrad_core::{Tape, Tensor};
//! use tapegrad_nn::{loss::{mse_loss, Reduction}, optim::{Optimizer, Sgd}, Linear, Module, Pass};
//! use rand::{rngs::StdRng, SeedableRng};
//!
//! let model = Linear::<f64>::new(1, 1, &mut StdRng::seed_from_u64(0));
//! let params = model.parameters();
//! let mut opt = Sgd::new(0.1);
//! let x = Tensor::from_vec(vec![0.0, 1.0, 2.0], &[3, 1]);
//! let y = Tensor::from_vec(vec![1.0, 3.0, 5.0], &[3, 1]);
//! let mut losses = Vec::new();
//! for _ in 0..100 {
//!     let tape = Tape::new();
//!     let pass = Pass::train(&tape);
//!     let loss = mse_loss(model.forward(&pass, pass.input(x.clone())), pass.input(y.clone()), Reduction::Mean);
//!     losses.push(loss.item());
//!     opt.step(&params, &pass.backward(loss));
//! }
//! assert!(losses[99] < 1e-3 * losses[0]);
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]
// Docs link to the I/O items; without their features those links have no target.
#![cfg_attr(
    not(all(feature = "csv", feature = "safetensors")),
    allow(rustdoc::broken_intra_doc_links)
)]

mod activation;
mod batch_norm;
mod caller;
mod conv;
mod conv_transpose;
pub mod data;
mod dropout;
pub mod init;
mod layer_norm;
mod linear;
pub mod loss;
pub mod metrics;
mod mlp;
mod module;
pub mod optim;
mod param;
mod pass;
mod pool;
pub mod recurrent;
pub mod train;
#[cfg(feature = "safetensors")]
mod weights;

pub use activation::{gelu, Gelu, Relu, Sigmoid, Softplus, Tanh};
pub use batch_norm::{BatchNorm, BatchNorm1d, BatchNorm2d};
pub use conv::{Conv1d, Conv2d};
pub use conv_transpose::ConvTranspose2d;
pub use dropout::Dropout;
pub use init::Init;
pub use layer_norm::LayerNorm;
pub use linear::Linear;
pub use mlp::Mlp;
pub use module::{func, Module, Sequential};
pub use param::{Param, ParamId, Params};
pub use pass::{ParamGrads, Pass};
pub use pool::{AdaptiveAvgPool2d, AvgPool2d, Flatten, MaxPool2d};
#[cfg(feature = "safetensors")]
pub use weights::{BadValue, LoadOptions, Mismatch, ShapeMismatch, WeightsError, WeightsProblem};
