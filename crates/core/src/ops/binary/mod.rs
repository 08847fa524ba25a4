//! Element-wise binary ops with NumPy broadcasting. Each VJP returns gradients of the
//! broadcast shape; the backward sweep sums them back to each input's shape.

mod add;
mod div;
mod mul;
mod scalar;
mod sub;

pub use add::Add;
pub use div::Div;
pub use mul::Mul;
pub use scalar::{AddScalar, DivScalar, MulScalar, ScalarDiv};
pub use sub::Sub;
