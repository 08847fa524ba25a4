//! Tests of `src/ops/conv/conv1d.rs`.
