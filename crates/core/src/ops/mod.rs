//! Built-in ops, one primitive per file: the op struct (its doc gives the formula and the
//! derivative), its [`Op`](crate::Op) impl, the `Var` method that applies it, and its tests.
//! Functions that compose existing ops are plain methods next to the op they build on.

pub mod binary;
pub mod linalg;
pub mod reduce;
pub mod shape;
pub mod unary;
