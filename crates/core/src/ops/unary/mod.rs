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
