//! Optimizers (SGD with momentum/Nesterov/weight decay, Adam, AdamW) following PyTorch's
//! update rules and defaults, and learning-rate schedules. Gradient clipping by global
//! norm is [`ParamGrads::clip_global_norm`](crate::ParamGrads::clip_global_norm).
//!
//! An optimizer step is arithmetic on tensors, not a derivative: the gradients it consumes
//! come from the tape.

mod adam;
mod schedule;
mod sgd;

pub use adam::{Adam, AdamW};
pub use schedule::{Constant, Cosine, Schedule, StepDecay};
pub use sgd::Sgd;

use crate::{ParamGrads, Params};
use tapegrad_core::Float;

/// Updates parameters from their gradients, keeping per-parameter state (by
/// [`ParamId`](crate::ParamId)).
///
/// Parameters without a gradient are left alone, state included.
pub trait Optimizer<T: Float> {
    /// One update of every parameter in `params` that has a gradient in `grads`.
    fn step(&mut self, params: &Params<T>, grads: &ParamGrads<T>);
    /// The current learning rate.
    fn lr(&self) -> f64;
    /// Sets the learning rate (what a [`Schedule`] drives).
    fn set_lr(&mut self, lr: f64);
}
