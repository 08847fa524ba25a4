//! Reductions over chosen axes (with keep-dim) and over everything.

mod sum;

pub use sum::SumAxes;
