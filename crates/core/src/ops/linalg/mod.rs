//! Matrix products.

mod matmul;

pub use matmul::MatMul;
