//! Functional transforms in the manner of `torch.func` and `jax`: a function of tensors in,
//! its gradient, Jacobian, Hessian or products with them out, each in one call.
//! They are compositions of the engine's public API (`Tape::grad`, `Var::backward`): no
//! per-op code lives here, except that sparse Jacobians and Hessians read each op's
//! [`Structure`](crate::Structure) to find their pattern.
//!
//! Every transform takes `f: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>`, calls it once on
//! leaves holding the given tensors on a fresh tape, and returns tensors. A Jacobian's
//! shape is the output's shape followed by the input's, one Jacobian per input. `f` is a
//! closure written in the call, an `fn` item, or a closure named through [`function`]
//! (Rust infers a closure's signature from the call it is written in; a closure bound to
//! a variable first would not accept leaves of every tape).
//!
//! Transforms compose through the tape: inside `f`, `Tape::grad` records a gradient that
//! a transform differentiates again (the [`hessian`] is the Jacobian of the gradient).
//!
//! | transform | sweeps (after recording `f` once) | memory |
//! |---|---|---|
//! | [`value_and_grad`], [`grad`], [`vjp`] | 1 reverse | the recorded graph |
//! | [`jvp`] | 1 recorded reverse + 1 reverse (about 2) | the graph, about twice |
//! | [`jacrev`] | 1 reverse per output element, in batches ¹ | the graph + a batch's gradients + the result |
//! | [`jacfwd`] | 1 recorded reverse + 1 reverse per input element, in batches ¹ | twice the graph + a batch's gradients + the result |
//! | [`hessian`] | 1 recorded reverse + 1 reverse per input element, in batches ¹ | twice the graph + a batch's gradients + the result |
//! | [`hvp`] | 1 recorded reverse + 1 reverse | the graph, about twice |
//! | [`sparse_jacobian`] | 1 reverse per row colour (or 1 recorded reverse + 1 per column colour) | the graph + the dependency sets + the triplets |
//! | [`sparse_hessian`] | 1 recorded reverse + 1 reverse per colour | the graph about twice + the sets + the triplets |
//!
//! ¹ A batched sweep pushes many seeds at once (see [`Linearization::vjp_batch`]): as
//! many as keep a node's gradient within 64 KiB. Through element-wise ops and `matmul`
//! the whole batch goes through one VJP; that saves the sweep's per-node cost for all but
//! one seed, so on small and medium graphs a row costs a fraction of a gradient (the
//! Rosenbrock Hessian of 30 variables: about 3 gradients in all, `examples/hessian_cost.rs`).
//!
//! The sparse forms first find the pattern in one pass over the recording, from each
//! op's [`Structure`](crate::Structure), then colour it: a band of width `w` takes `w`
//! sweeps whatever the size (see [`sparse_hessian`]).
//!
//! [`linearize`] keeps the recorded graph to push many seeds through it without
//! recording `f` again, one at a time or in batches ([`Linearization::vjp_batch`],
//! [`Linearization::jvp_batch`]): what the transforms above are built on.
//!
//! ```
//! use tapegrad_core::{func, Tensor, Var};
//! // f(x) = x0² x1, at (1, 2)
//! let x = Tensor::vector(vec![1.0, 2.0]);
//! let f = func::function(|xs: &[Var<'_, f64>]| {
//!     let x0 = xs[0].narrow(0, 0, 1);
//!     let x1 = xs[0].narrow(0, 1, 1);
//!     (x0 * x0 * x1).sum()
//! });
//! let (value, grad) = func::value_and_grad(f, &[x.clone()]).unwrap();
//! assert_eq!((value.item(), grad[0].as_slice()), (2.0, &[4.0, 1.0][..])); // (2 x0 x1, x0²)
//! let h = func::hessian(f, &[x]).unwrap();
//! assert_eq!(h[0][0].shape(), &[2, 2]);
//! assert_eq!(h[0][0].as_slice(), &[4.0, 2.0, 2.0, 0.0]); // [[2 x1, 2 x0], [2 x0, 0]]
//! ```

mod grad;
mod hessian;
mod inputs;
mod jacobian;
mod linearization;
mod sparse;

use crate::{Float, Var};

pub use grad::{grad, jvp, value_and_grad, vjp};
pub use hessian::{hessian, hvp};
pub use jacobian::{jacfwd, jacobian, jacrev};
pub use linearization::{linearize, Linearization};
pub use sparse::{
    hessian_sparsity, jacobian_sparsity, sparse_hessian, sparse_jacobian, Colouring, SparseMatrix,
    Sparsity,
};

/// Returns `f` unchanged, its signature fixed to the one every transform takes, so a
/// closure can be named once and passed to several transforms (by reference, `&f`, or by
/// copy).
///
/// ```
/// use tapegrad_core::{func, Tensor, Var};
/// let f = func::function(|xs: &[Var<'_, f64>]| (xs[0] * xs[0]).sum());
/// let x = [Tensor::vector(vec![1.0, 2.0])];
/// assert_eq!(func::grad(&f, &x).unwrap()[0].as_slice(), &[2.0, 4.0]);
/// assert_eq!(func::hessian(&f, &x).unwrap()[0][0].as_slice(), &[2.0, 0.0, 0.0, 2.0]);
/// ```
pub fn function<T, F>(f: F) -> F
where
    T: Float,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    f
}
