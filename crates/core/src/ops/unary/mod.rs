//! Element-wise unary ops: `y = f(x)` element by element, shape kept, no error path.
//! Each VJP is `dy` times `f'` written with `Var` ops of `x` or `y`, so it differentiates
//! again; kinks and domain edges follow `CONVENTIONS.md`.

mod abs;
mod cos;
mod exp;
mod log;
mod neg;
mod powf;
mod powi;
mod recip;
mod relu;
mod sigmoid;
mod sin;
mod softplus;
mod sqrt;
mod tan;
mod tanh;

pub use abs::Abs;
pub use cos::Cos;
pub use exp::Exp;
pub use log::Log;
pub use neg::Neg;
pub use powf::Powf;
pub use powi::Powi;
pub use recip::Recip;
pub use relu::Relu;
pub use sigmoid::Sigmoid;
pub use sin::Sin;
pub use softplus::Softplus;
pub use sqrt::Sqrt;
pub use tan::Tan;
pub use tanh::Tanh;

/// Helpers for the tests of this family.
#[cfg(test)]
pub(crate) mod support {
    use crate::{Tape, Tensor, Var};

    /// `[f(x), f'(x), f''(x)]` at each of `xs`, both derivatives taken with `tape.grad`, so
    /// the second one differentiates the recorded VJP. `f` is element-wise, so the gradient
    /// of `Σ f(x)` is `f'` element by element, and the gradient of `Σ f'(x)` is `f''`.
    pub fn derivatives(
        f: impl for<'t> Fn(Var<'t, f64>) -> Var<'t, f64>,
        xs: &[f64],
    ) -> [Vec<f64>; 3] {
        let tape = Tape::new();
        let x = tape.leaf(Tensor::vector(xs.to_vec()));
        let y = f(x);
        let d1 = tape.grad(y.sum(), &[x])[0];
        let d2 = tape.grad(d1.sum(), &[x])[0];
        [y, d1, d2].map(|v| v.value().to_vec())
    }

    /// True when `|got - want| <= tol · max(1, |want|)` element by element; infinities
    /// must match exactly and NaN matches only NaN.
    pub fn close(got: &[f64], want: &[f64], tol: f64) -> bool {
        got.len() == want.len()
            && got.iter().zip(want).all(|(&g, &w)| {
                (g.is_nan() && w.is_nan()) || g == w || (g - w).abs() <= tol * w.abs().max(1.0)
            })
    }

    /// Panics unless [`close`].
    #[track_caller]
    pub fn assert_close(got: &[f64], want: &[f64], tol: f64) {
        assert!(close(got, want, tol), "got {got:?}, want {want:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::support::close;
    use crate::{Float, Tape, Tensor, Var};

    /// Value and gradient of every op of the family at `xs`, computed in `T`, as f64.
    fn values_and_gradients<T: Float>(xs: &[f64]) -> Vec<(&'static str, Vec<f64>, Vec<f64>)> {
        type F<T> = for<'t> fn(Var<'t, T>) -> Var<'t, T>;
        let ops: [(&str, F<T>); 15] = [
            ("recip", |x| x.recip()),
            ("log", |x| x.log()),
            ("sqrt", |x| x.sqrt()),
            ("sin", |x| x.sin()),
            ("cos", |x| x.cos()),
            ("tan", |x| x.tan()),
            ("tanh", |x| x.tanh()),
            ("sigmoid", |x| x.sigmoid()),
            ("relu", |x| x.relu()),
            ("abs", |x| x.abs()),
            ("softplus", |x| x.softplus()),
            ("powf", |x| x.powf(T::from_f64(2.5))),
            ("powf_neg", |x| x.powf(T::from_f64(-1.5))),
            ("powi", |x| x.powi(3)),
            ("powi_neg", |x| x.powi(-2)),
        ];
        let to_f64 = |t: Tensor<T>| t.as_slice().iter().map(|v| v.to_f64()).collect();
        ops.iter()
            .map(|(name, f)| {
                let tape = Tape::<T>::new();
                let x = tape.leaf(Tensor::vector(xs.to_vec()).cast());
                let y = f(x);
                let dx = y.sum().backward().wrt(x);
                (*name, to_f64(y.value()), to_f64(dx))
            })
            .collect()
    }

    #[test]
    fn unary_ops_agree_in_f32_and_f64() {
        // negative points give NaN for log, sqrt and powf in both types alike
        let xs = [-1.3, -0.4, 0.3, 1.1, 2.7];
        let single = values_and_gradients::<f32>(&xs);
        let double = values_and_gradients::<f64>(&xs);
        for ((name, y32, dx32), (_, y64, dx64)) in single.into_iter().zip(double) {
            assert!(close(&y32, &y64, 1e-5), "{name}: {y32:?} vs {y64:?}");
            assert!(close(&dx32, &dx64, 1e-5), "{name}': {dx32:?} vs {dx64:?}");
        }
    }
}
