//! The op-author's kit: [`check_op`] checks a new op over generated cases in one call,
//! and the proptest strategies behind it (random shapes of rank 0 to 4 with size-1 axes,
//! broadcasting pairs, tensors with values kept away from kinks and domain edges) are here
//! for your own property tests. Compiled for this crate's tests and, for users, behind the
//! `testing` feature.

mod batches;
mod kit;
mod partials;
mod strategies;
mod structure;
#[cfg(test)]
mod tests;

pub use kit::{assert_gradients, check_op, KitFailure, KitSummary, OpCheck, Shapes};
pub use strategies::{
    any_tensor, broadcast_pair, broadcast_shapes, broadcast_tensors, shape, tensor_away_from_zero,
    tensor_in,
};
