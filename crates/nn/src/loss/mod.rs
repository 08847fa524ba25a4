//! Losses as graphs: each is a composition of differentiable ops, so its gradient (of any
//! order) comes from the tape. Regression losses in `regression.rs`, classification
//! losses in `classification.rs`.

mod classification;
mod regression;

pub use classification::{bce_with_logits, cross_entropy, nll_loss};
pub use regression::{huber_loss, l1_loss, mse_loss};

use crate::caller::fail;
use std::panic::Location;
use tapegrad_core::{Float, Var};

/// How per-element losses are combined (PyTorch's `reduction=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// The average over all elements (the default).
    #[default]
    Mean,
    /// The sum over all elements.
    Sum,
    /// No reduction: the per-element losses, shaped like the input.
    None,
}

impl Reduction {
    /// Applies the reduction to per-element losses.
    pub fn apply<'t, T: Float>(self, losses: Var<'t, T>) -> Var<'t, T> {
        match self {
            Reduction::Mean => losses.mean(),
            Reduction::Sum => losses.sum(),
            Reduction::None => losses,
        }
    }
}

/// Panics unless `pred` and `target` have the same shape: a silent broadcast of `[n]`
/// against `[n, 1]` is the classic regression bug, so losses refuse it.
#[track_caller]
fn same_shape<T: Float>(loss: &str, pred: Var<'_, T>, target: Var<'_, T>) {
    let (p, t) = (pred.shape(), target.shape());
    if p != t {
        fail(
            loss,
            format!(
                "prediction of shape {:?} and target of shape {:?} differ",
                p.as_slice(),
                t.as_slice()
            ),
            Location::caller(),
        );
    }
}
