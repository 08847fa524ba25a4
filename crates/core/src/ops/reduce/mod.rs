//! Reductions over chosen axes (with keep-dim) and over everything, and the softmax family
//! built on `logsumexp`.

mod logsumexp;
mod max;
mod min;
mod softmax;
mod sum;

pub use logsumexp::LogSumExp;
pub use max::MaxAxes;
pub use min::MinAxes;
pub use sum::SumAxes;
