//! Tests of `src/ops/reduce/`, one file per op file.

mod logsumexp;
mod max;
mod min;
mod softmax;
mod sum;
