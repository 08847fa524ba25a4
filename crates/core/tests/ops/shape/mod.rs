//! Tests of `src/ops/shape/`, one file per op file.

mod broadcast;
mod concat;
mod gather;
mod index_select;
mod narrow;
mod permute;
mod reshape;
