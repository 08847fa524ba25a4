//! The functional transforms (`tapegrad_core::func`): closed forms, central differences,
//! the relations between them (`jvp` is `jacobian · v`, the Hessian is symmetric), a
//! proptest over shapes, composition, and the error paths.

mod batched;
mod closed_forms;
mod composition;
mod differences;
mod errors;
mod proptests;
mod sparse;
mod support;
