//! Tests of `src/ops/linalg/`, one file per op file.

mod linear;
mod matmul;
