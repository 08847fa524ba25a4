//! The engine's error: which op refused, why, and where in the caller's code.

use std::fmt;
use std::panic::Location;

/// An op (or the backward sweep) refused its arguments.
///
/// Displays as `op: message (at file:line:column)`, the location being the user's call
/// that created the node (captured with `#[track_caller]`):
///
/// ```
/// use tapegrad_core::{Tape, Tensor};
/// let tape = Tape::<f32>::new();
/// let a = tape.leaf(Tensor::zeros(&[2, 3]));
/// let b = tape.leaf(Tensor::zeros(&[4, 5]));
/// let err = a.try_matmul(b).unwrap_err();
/// assert!(err.to_string().starts_with("matmul: inner dimensions differ: [2, 3] x [4, 5] (at "));
/// ```
#[derive(Clone, Debug)]
pub struct Error {
    /// The op's name (`"matmul"`, `"add"`, `"backward"`).
    pub op: String,
    /// What was wrong, naming the shapes involved.
    pub message: String,
    /// The caller's source location.
    pub location: &'static Location<'static>,
}

impl Error {
    /// An error attributed to the caller of the function this is called from.
    #[track_caller]
    pub fn new(op: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            op: op.into(),
            message: message.into(),
            location: Location::caller(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} (at {}:{}:{})",
            self.op,
            self.message,
            self.location.file(),
            self.location.line(),
            self.location.column()
        )
    }
}

impl std::error::Error for Error {}
