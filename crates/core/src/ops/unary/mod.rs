//! Element-wise unary ops: `y = f(x)` element by element, shape kept, no error path.
//! Each VJP is `dy` times `f'` written with `Var` ops of `x` or `y`, so it differentiates
//! again; kinks and domain edges follow `CONVENTIONS.md`.

mod abs;
mod cos;
mod exp;
mod expm1;
mod gelu;
mod log;
mod log1p;
mod neg;
mod powf;
mod powi;
mod recip;
mod relu;
mod sigmoid;
mod sign;
mod sin;
mod softplus;
mod sqrt;
mod tan;
mod tanh;

pub use abs::Abs;
pub use cos::Cos;
pub use exp::Exp;
pub use expm1::Expm1;
pub use gelu::{Gelu, GeluGrad};
pub use log::Log;
pub use log1p::Log1p;
pub use neg::Neg;
pub use powf::Powf;
pub use powi::Powi;
pub use recip::Recip;
pub use relu::Relu;
pub use sigmoid::Sigmoid;
pub use sign::Sign;
pub use sin::Sin;
pub use softplus::Softplus;
pub use sqrt::Sqrt;
pub use tan::Tan;
pub use tanh::{Tanh, TanhGrad};

use crate::float::at_one;
