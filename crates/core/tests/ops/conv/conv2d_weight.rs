//! Tests of `src/ops/conv/conv2d_weight.rs`.
