//! Tests of `src/ops/conv/conv_transpose2d.rs`.
