//! Tests of `src/ops/conv/conv_transpose1d.rs`.
