//! Ops that move or repeat elements without arithmetic on them (except the sums that are
//! the adjoints of repeats).

mod broadcast;
mod concat;
mod gather;
mod index_select;
mod narrow;
mod permute;
mod reshape;

pub use crate::tensor::gather::IndexTensor;
pub use broadcast::{BroadcastTo, SumTo};
pub use concat::Concat;
pub use gather::{Gather, ScatterAdd};
pub use index_select::{IndexAdd, IndexSelect};
pub use narrow::{Narrow, PadNarrow};
pub use permute::Permute;
pub use reshape::Reshape;
