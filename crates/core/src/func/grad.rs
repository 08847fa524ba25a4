//! One sweep each: [`value_and_grad`], [`grad`], [`vjp`], and [`jvp`] (forward mode by
//! transposing the recorded backward).

use super::inputs::check_scalar;
use super::linearization::Linearization;
use crate::{Error, Float, Tensor, Var};
use std::panic::Location;

/// `f(xs)` and its gradient `∂f/∂xᵢ` for each input (shaped like it), for an `f` with
/// one element ([`ErrorKind::NonScalarRoot`](crate::ErrorKind::NonScalarRoot) otherwise).
///
/// Cost: recording `f`, then one reverse sweep; memory: the recorded graph.
///
/// ```
/// use tapegrad_core::{func, Tensor, Var};
/// let (y, g) = func::value_and_grad(|xs: &[Var<'_, f64>]| (xs[0] * xs[0]).sum(),
///     &[Tensor::vector(vec![1.0, -2.0])]).unwrap();
/// assert_eq!((y.item(), g[0].as_slice()), (5.0, &[2.0, -4.0][..])); // Σx², 2x
/// ```
#[track_caller]
pub fn value_and_grad<T, F>(f: F, xs: &[Tensor<T>]) -> Result<(Tensor<T>, Vec<Tensor<T>>), Error>
where
    T: Float,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let site = Location::caller();
    let lin = Linearization::record("value_and_grad", site, xs, |leaves| Ok(f(leaves)))?;
    let shape = lin.output_shape();
    check_scalar("value_and_grad", &shape, site)?;
    let grads = lin.vjp(&Tensor::ones(&shape))?;
    Ok((lin.value(), grads))
}

/// The gradient `∂f/∂xᵢ` of a one-element `f`, for each input: [`value_and_grad`]
/// without the value. Same cost.
///
/// ```
/// use tapegrad_core::{func, Tensor, Var};
/// let g = func::grad(|xs: &[Var<'_, f32>]| (xs[0] * xs[1]).sum(),
///     &[Tensor::scalar(3.0), Tensor::scalar(4.0)]).unwrap();
/// assert_eq!((g[0].item(), g[1].item()), (4.0, 3.0));
/// ```
#[track_caller]
pub fn grad<T, F>(f: F, xs: &[Tensor<T>]) -> Result<Vec<Tensor<T>>, Error>
where
    T: Float,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let site = Location::caller();
    let lin = Linearization::record("grad", site, xs, |leaves| Ok(f(leaves)))?;
    let shape = lin.output_shape();
    check_scalar("grad", &shape, site)?;
    lin.vjp(&Tensor::ones(&shape))
}

/// `f(xs)` and the vector-Jacobian product `cotangentᵀ·∂f/∂xᵢ` for each input; the
/// cotangent has the output's shape
/// ([`ErrorKind::ShapeMismatch`](crate::ErrorKind::ShapeMismatch) otherwise).
///
/// Cost: recording `f`, then one reverse sweep. For many cotangents, [`linearize`]
/// records once.
///
/// [`linearize`]: super::linearize
///
/// ```
/// use tapegrad_core::{func, Tensor, Var};
/// // y = 2x: the VJP doubles the cotangent
/// let (y, v) = func::vjp(|xs: &[Var<'_, f64>]| xs[0] * 2.0, &[Tensor::vector(vec![1.0, 5.0])],
///     &Tensor::vector(vec![1.0, -1.0])).unwrap();
/// assert_eq!((y.as_slice(), v[0].as_slice()), (&[2.0, 10.0][..], &[2.0, -2.0][..]));
/// ```
#[track_caller]
pub fn vjp<T, F>(
    f: F,
    xs: &[Tensor<T>],
    cotangent: &Tensor<T>,
) -> Result<(Tensor<T>, Vec<Tensor<T>>), Error>
where
    T: Float,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let site = Location::caller();
    let lin = Linearization::record("vjp", site, xs, |leaves| Ok(f(leaves)))?;
    let vjps = lin.vjp(cotangent)?;
    Ok((lin.value(), vjps))
}

/// `f(xs)` and the Jacobian-vector product `Σᵢ ∂f/∂xᵢ·tangentᵢ` (shaped like the output);
/// one tangent per input, of its shape.
///
/// Forward mode by the double-VJP trick: with `u` a fresh cotangent, `g(u) = Jᵀu` is
/// recorded (one recorded reverse sweep), and since it is linear in `u`,
/// `∂⟨g(u), v⟩/∂u = J v` (one more reverse sweep). No op needs a forward rule.
///
/// Cost: recording `f`, then about 2 reverse sweeps; memory: the graph, about twice.
///
/// ```
/// use tapegrad_core::{func, Tensor, Var};
/// // y = x0·x1 elementwise: J v = x1·v0 + x0·v1
/// let x = [Tensor::vector(vec![1.0, 2.0]), Tensor::vector(vec![3.0, 4.0])];
/// let v = [Tensor::vector(vec![1.0, 0.0]), Tensor::vector(vec![0.0, 1.0])];
/// let (y, t) = func::jvp(|xs: &[Var<'_, f64>]| xs[0] * xs[1], &x, &v).unwrap();
/// assert_eq!((y.as_slice(), t.as_slice()), (&[3.0, 8.0][..], &[3.0, 2.0][..]));
/// ```
#[track_caller]
pub fn jvp<T, F>(
    f: F,
    xs: &[Tensor<T>],
    tangents: &[Tensor<T>],
) -> Result<(Tensor<T>, Tensor<T>), Error>
where
    T: Float,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let site = Location::caller();
    let lin = Linearization::record("jvp", site, xs, |leaves| Ok(f(leaves)))?;
    let jvp = lin.jvp(tangents)?;
    Ok((lin.value(), jvp))
}
