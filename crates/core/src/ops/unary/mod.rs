//! Element-wise unary ops.

mod exp;
mod neg;

pub use exp::Exp;
pub use neg::Neg;
