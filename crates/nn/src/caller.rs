//! The caller's source line in nn errors and panics. Public entry points are
//! `#[track_caller]` and take `Location::caller()` before any closure (a closure loses
//! it), then pass it down to these two.

use std::fmt::Display;
use std::panic::Location;
use tapegrad_core::{Error, ErrorKind};

/// An error of `kind` from `op`, attributed to `location` (the user's call): displays as
/// the core's errors do, `op: message (at file:line:column)`.
pub(crate) fn error_at(
    kind: ErrorKind,
    op: &str,
    message: impl Into<String>,
    location: &'static Location<'static>,
) -> Error {
    Error::at(kind, op, message, location)
}

/// Panics with [`error_at`]'s message, which names the user's line.
#[cold]
#[track_caller]
pub(crate) fn fail(op: &str, message: impl Display, location: &'static Location<'static>) -> ! {
    panic!(
        "{}",
        error_at(
            ErrorKind::InvalidArgument,
            op,
            message.to_string(),
            location
        )
    )
}

/// The value, or a panic with the error's message. Unlike `unwrap_or_else(|e| panic!(..))`
/// (a closure loses `#[track_caller]`), the panic itself is reported at the user's line.
#[track_caller]
pub(crate) fn or_panic<V>(result: Result<V, Error>) -> V {
    match result {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

/// The message of the panic `f` must raise (tests of the panicking forms).
#[cfg(test)]
pub(crate) fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let payload = std::panic::catch_unwind(f).expect_err("expected a panic");
    payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default()
}
