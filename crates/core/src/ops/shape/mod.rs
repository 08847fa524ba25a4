//! Ops that move or repeat elements without arithmetic on them (except the sums that are
//! the adjoints of repeats).

mod broadcast;
mod reshape;

pub use broadcast::{BroadcastTo, SumTo};
pub use reshape::Reshape;
