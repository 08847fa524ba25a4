// The front page of the API docs is the README (its tour, "Use tapegrad in your crate",
// adding an op, training), so its Rust blocks are doctests and cannot drift from the API.
#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![forbid(unsafe_code)]

/// The `rand` that `Linear::new`, `Mlp::build`, `Init` and `Batches::shuffled` take generators
/// from: `use tapegrad::rand::{rngs::StdRng, SeedableRng};` matches it whatever version of
/// `rand` your own crate depends on.
pub use rand;
pub use tapegrad_check as check;
pub use tapegrad_core as core;
pub use tapegrad_nn as nn;

/// The names most programs need.
pub mod prelude {
    pub use tapegrad_check::diagnostics::{Diagnostics, PlanDiagnostics};
    pub use tapegrad_core::ops::conv::{ConvOptions, Padding};
    pub use tapegrad_core::ops::pool::{Pool1d, Pool2d};
    pub use tapegrad_core::{
        Error, ErrorKind, Float, Grads, InputGrads, Op, Plan, Tape, Tensor, TensorError, Var,
    };
    pub use tapegrad_nn::loss::Reduction;
    pub use tapegrad_nn::optim::{Adam, AdamW, Optimizer, Schedule, Sgd};
    pub use tapegrad_nn::{
        AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, ConvTranspose2d,
        Dropout, Flatten, Init, LayerNorm, Linear, MaxPool2d, Mlp, Module, Param, ParamGrads,
        Params, Pass, Sequential,
    };
}

#[cfg(test)]
mod tests {
    /// A crate that depends on `tapegrad` reaches the op-author's kit only through this
    /// crate's `testing` feature. This workspace's own tests get the kit another way (a
    /// dev-dependency on tapegrad-check with the feature), so they would not notice the
    /// forward missing: the manifest is checked instead.
    #[test]
    fn testing_feature_forwards_the_kit_of_the_check_crate() {
        let manifest = include_str!("../Cargo.toml");
        let features = manifest
            .split("\n[")
            .find(|section| section.starts_with("features]"))
            .expect("tapegrad's Cargo.toml has a [features] section");
        let testing = features
            .lines()
            .find(|line| line.starts_with("testing ="))
            .expect("tapegrad has a `testing` feature");
        assert!(testing.contains("\"tapegrad-check/testing\""), "{testing}");
    }
}
