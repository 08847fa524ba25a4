//! Matrix products.

mod linear;
mod matmul;

pub use linear::Linear;
pub use matmul::MatMul;
