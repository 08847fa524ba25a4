//! The errors: what went wrong (an [`ErrorKind`] to match on), for the tensor layer
//! ([`TensorError`]: kind and message) and the engine ([`Error`]: plus the op and the
//! caller's line). Nothing here knows tapes or ops, so every layer, and nn, can use it.

use std::fmt;
use std::panic::Location;

/// What went wrong, for code that reacts to it; the error's message says it for people.
///
/// Shared by [`Error`], [`TensorError`] and the errors of
/// `tapegrad-nn`. New kinds may be added, so a `match` needs a `_` arm.
///
/// ```
/// use tapegrad_core::{ErrorKind, Tape, Tensor};
/// let tape = Tape::<f32>::new();
/// let x = tape.leaf(Tensor::zeros(&[2, 3]));
/// let err = x.try_sum_axes(&[2], false).unwrap_err();
/// assert_eq!(err.kind(), &ErrorKind::AxisOutOfRange { axis: 2, rank: 2 });
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Shapes that do not fit the op or each other (broadcasting, a matrix product, a
    /// reshape, a concatenation, a seed, a rank the op does not take): every shape
    /// involved, in argument order.
    ShapeMismatch {
        /// The shapes involved.
        shapes: Vec<Vec<usize>>,
    },
    /// An axis outside `-rank..rank`.
    AxisOutOfRange {
        /// The axis as given (negative counts from the end).
        axis: isize,
        /// The rank it was resolved against.
        rank: usize,
    },
    /// The same axis listed twice (in a reduction or a permutation).
    DuplicateAxis {
        /// The repeated axis, resolved.
        axis: usize,
    },
    /// An index beyond an axis; for a range `start..end`, `index` is its `end`
    /// (`usize::MAX` when `start + len` overflows).
    IndexOutOfRange {
        /// The offending index.
        index: usize,
        /// The length of the axis.
        size: usize,
    },
    /// More elements than `usize` counts, or memory the allocator refuses.
    TooLarge,
    /// A variable used with a tape (or gradients) it does not belong to.
    ForeignTape,
    /// Gradients asked about a tape that was cleared and recorded again since.
    ClearedTape,
    /// `backward()` without a seed on an output of more than one element.
    NonScalarRoot {
        /// The output's shape.
        shape: Vec<usize>,
    },
    /// `backward()` on a variable that depends on no leaf, so has no gradient.
    ConstantRoot,
    /// A gradient asked of `backward()` for an intermediate value (it keeps leaves only).
    Intermediate,
    /// Reading or writing a file failed; the error's `source()` has the details when kept.
    Io(std::io::ErrorKind),
    /// Bytes or text that are not in the expected format (a safetensors file, a CSV cell).
    Format,
    /// Any other refused argument (an empty list, a value out of its domain, a mismatch
    /// between data and model); the message says which.
    InvalidArgument,
}

/// Why a tensor operation refused its arguments (shapes, axes, indices, sizes): a kind and
/// a message naming the shapes involved. The tape turns it into an [`Error`] by adding the
/// op name and the caller's line.
///
/// ```
/// use tapegrad_core::{ErrorKind, Tensor};
/// let err = Tensor::<f32>::zeros(&[2, 3]).reshape(&[4]).unwrap_err();
/// assert_eq!(err.kind(), &ErrorKind::ShapeMismatch { shapes: vec![vec![2, 3], vec![4]] });
/// assert_eq!(err.to_string(), "cannot reshape [2, 3] (6 elements) to [4] (4 elements)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorError {
    kind: ErrorKind,
    message: String,
}

impl TensorError {
    /// An error of `kind` with a message naming the shapes involved (a user op's
    /// `forward` builds its refusals with this).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        TensorError {
            kind,
            message: message.into(),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The message, as displayed.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same kind with the message prefixed by `context` (a caller that knows more,
    /// such as the shape being built).
    pub(crate) fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

impl fmt::Display for TensorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TensorError {}

/// Builds a [`TensorError`] of a kind from a format string.
macro_rules! tensor_error {
    ($kind:expr, $($arg:tt)*) => { $crate::error::TensorError::new($kind, format!($($arg)*)) };
}
pub(crate) use tensor_error;

/// An op (or the backward sweep) refused its arguments.
///
/// Displays as `op: message (at file:line:column)`, the location being the user's call
/// that created the node (captured with `#[track_caller]`); [`kind`](Self::kind) says what
/// went wrong in a form to match on:
///
/// ```
/// use tapegrad_core::{ErrorKind, Tape, Tensor};
/// let tape = Tape::<f32>::new();
/// let a = tape.leaf(Tensor::zeros(&[2, 3]));
/// let b = tape.leaf(Tensor::zeros(&[4, 5]));
/// let err = a.try_matmul(b).unwrap_err();
/// assert!(err.to_string().starts_with("matmul: inner dimensions differ: [2, 3] x [4, 5] (at "));
/// assert_eq!(err.kind(), &ErrorKind::ShapeMismatch { shapes: vec![vec![2, 3], vec![4, 5]] });
/// ```
#[derive(Clone, Debug)]
pub struct Error {
    /// What went wrong; read it with [`kind`](Self::kind).
    kind: ErrorKind,
    /// The op's name (`"matmul"`, `"add"`, `"backward"`).
    pub op: String,
    /// What was wrong, naming the shapes involved.
    pub message: String,
    /// The caller's source location.
    pub location: &'static Location<'static>,
}

impl Error {
    /// An [`ErrorKind::InvalidArgument`] error attributed to the caller of the function
    /// this is called from.
    #[track_caller]
    pub fn new(op: impl Into<String>, message: impl Into<String>) -> Self {
        Self::of_kind(ErrorKind::InvalidArgument, op, message)
    }

    /// An error of the given kind attributed to the caller of the function this is called
    /// from.
    #[track_caller]
    pub fn of_kind(kind: ErrorKind, op: impl Into<String>, message: impl Into<String>) -> Self {
        Self::at(kind, op, message, Location::caller())
    }

    /// An error of the given kind attributed to `location` (a site captured earlier, e.g.
    /// before a closure, which would lose `#[track_caller]`).
    pub fn at(
        kind: ErrorKind,
        op: impl Into<String>,
        message: impl Into<String>,
        location: &'static Location<'static>,
    ) -> Self {
        Error {
            kind,
            op: op.into(),
            message: message.into(),
            location,
        }
    }

    /// A tensor kernel's refusal, attributed to the op `op` and the caller's `location`;
    /// kind and message are kept as they are.
    pub fn from_tensor(
        op: impl Into<String>,
        e: TensorError,
        location: &'static Location<'static>,
    ) -> Self {
        Self::at(e.kind, op, e.message, location)
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The same error with another kind (an op that re-reports a kernel's error in its
    /// caller's terms).
    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
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
