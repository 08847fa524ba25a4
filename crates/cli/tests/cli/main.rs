//! The `tapegrad` command's tests, one module per concern. They form one test binary:
//! each file directly under `tests/` is a binary of its own, and eight of them cost more
//! to link than to run.

mod cli_support;

mod check;
mod deep;
mod errors;
mod grammar;
mod input;
mod options;
mod points;
mod values;
