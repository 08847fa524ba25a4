//! The built-in ops' tests, one file per op file of `src/ops/`: a literal value, gradient
//! checks of orders 1 and 2, a proptest and the error path. They live outside the library
//! because they use the op-author's kit (`tapegrad_check::testing`) and the checker.

mod binary;
mod conv;
mod linalg;
mod pool;
mod reduce;
mod shape;
mod support;
mod unary;
