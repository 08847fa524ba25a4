//! Element-wise binary ops with NumPy broadcasting. Each VJP returns gradients of the
//! broadcast shape; the backward sweep sums them back to each input's shape.

mod add;
mod div;
mod equal;
mod maximum;
mod minimum;
mod mul;
mod pow;
mod scalar;
mod select;
mod sub;
mod winner;

pub use add::Add;
pub use div::Div;
pub use equal::Equal;
pub use maximum::Maximum;
pub use minimum::Minimum;
pub use mul::Mul;
pub use pow::Pow;
pub use scalar::{AddScalar, MulScalar, ScalarOverX, XOverScalar};
pub use select::Select;
pub use sub::Sub;
pub use winner::Winner;
