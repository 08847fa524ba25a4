//! Built-in ops, one primitive per file: the op struct (its doc gives the formula and the
//! derivative), its [`Op`](crate::Op) impl, the `Var` method that applies it, and its tests.
//! Functions that compose existing ops are plain methods next to the op they build on.

pub mod binary;
pub mod conv;
pub mod linalg;
pub mod pool;
pub mod reduce;
pub mod shape;
pub mod unary;

use crate::tensor::resolve_axis;
use crate::Error;
use std::panic::Location;

/// [`resolve_axis`] for a `Var` method that takes an axis before it applies its op: the
/// error names the op `op` and the caller's line.
#[track_caller]
pub(crate) fn resolve_axis_for(op: &str, axis: isize, shape: &[usize]) -> Result<usize, Error> {
    let site = Location::caller();
    resolve_axis(axis, shape).map_err(|e| Error::from_tensor(op, e, site))
}

/// The axes `dy` has in front of `y`'s: none in a plain sweep, the batch axis in a
/// batched one (see [`Op::vjp_batches`](crate::Op::vjp_batches)). A VJP that reshapes,
/// reduces or moves axes of `dy` puts these in front of every shape it names (and counts
/// its axes past them), so that it batches; in a plain sweep that changes nothing.
pub(crate) fn batch_axes<T: crate::Float>(
    dy: crate::Var<'_, T>,
    y: crate::Var<'_, T>,
) -> smallvec::SmallVec<[usize; 1]> {
    let (dy, y) = (dy.shape(), y.shape());
    dy[..dy.len() - y.len()].iter().copied().collect()
}

#[cfg(test)]
mod scalar_forward_tests {
    use crate::{Float, Tape, Tensor, Var};

    type Unary<T> = for<'t> fn(Var<'t, T>) -> Var<'t, T>;
    type Binary<T> = for<'t> fn(Var<'t, T>, Var<'t, T>) -> Var<'t, T>;

    /// Every op with a `scalar_forward`, on rank 0 (where the tape takes it) against the
    /// same op on one-element vectors (where it runs `forward`), bit for bit, at ordinary
    /// and edge points.
    fn check<T: Float>() {
        let unary: [(&str, Unary<T>); 23] = [
            ("abs", |x| x.abs()),
            ("cos", |x| x.cos()),
            ("exp", |x| x.exp()),
            ("expm1", |x| x.expm1()),
            ("log", |x| x.log()),
            ("log1p", |x| x.log1p()),
            ("neg", |x| -x),
            ("powf", |x| x.powf(T::from_f64(1.5))),
            ("powi", |x| x.powi(3)),
            ("recip", |x| x.recip()),
            ("relu", |x| x.relu()),
            ("sigmoid", |x| x.sigmoid()),
            ("sign", |x| x.sign()),
            ("sin", |x| x.sin()),
            ("softplus", |x| x.softplus()),
            ("sqrt", |x| x.sqrt()),
            ("tan", |x| x.tan()),
            ("tanh", |x| x.tanh()),
            ("gelu", |x| x.gelu()),
            ("add_scalar", |x| x + T::from_f64(0.3)),
            ("mul_scalar", |x| x * T::from_f64(-1.7)),
            ("x_over_scalar", |x| x / T::from_f64(3.0)),
            ("scalar_over_x", |x| {
                x.tape()
                    .apply(super::binary::ScalarOverX(T::from_f64(3.0)), &[x])
            }),
        ];
        let binary: [(&str, Binary<T>); 9] = [
            ("add", |a, b| a + b),
            ("sub", |a, b| a - b),
            ("mul", |a, b| a * b),
            ("div", |a, b| a / b),
            ("maximum", |a, b| a.maximum(b)),
            ("minimum", |a, b| a.minimum(b)),
            ("pow", |a, b| a.pow(b)),
            ("tanh_grad", |a, b| {
                a.tape().apply(super::unary::TanhGrad, &[a, b])
            }),
            ("gelu_grad", |a, b| {
                a.tape().apply(super::unary::GeluGrad, &[a, b])
            }),
        ];
        let points = [
            0.7,
            -1.3,
            0.0,
            -0.0,
            1e-30,
            2.5,
            40.0,
            -90.0,
            1e30,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let same =
            |a: T, b: T| a.to_f64().to_bits() == b.to_f64().to_bits() || (a.is_nan() && b.is_nan());
        let rank0 = |v: f64| Tensor::scalar(T::from_f64(v));
        let rank1 = |v: f64| Tensor::vector(vec![T::from_f64(v)]);
        for &x in &points {
            for (name, f) in unary {
                let tape = Tape::<T>::new();
                let fast = f(tape.leaf(rank0(x))).item();
                let full = f(tape.leaf(rank1(x))).value().as_slice()[0];
                assert!(same(fast, full), "{name} at {x}: {fast:?} against {full:?}");
            }
            for &y in &points {
                for (name, f) in binary {
                    let tape = Tape::<T>::new();
                    let fast = f(tape.leaf(rank0(x)), tape.leaf(rank0(y))).item();
                    let full = f(tape.leaf(rank1(x)), tape.leaf(rank1(y)))
                        .value()
                        .as_slice()[0];
                    assert!(
                        same(fast, full),
                        "{name} at ({x}, {y}): {fast:?} against {full:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn scalar_forward_is_forward_to_the_bit_f64() {
        check::<f64>();
    }

    #[test]
    fn scalar_forward_is_forward_to_the_bit_f32() {
        check::<f32>();
    }
}
