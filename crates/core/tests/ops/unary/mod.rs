//! Tests of `src/ops/unary/`, one file per op file, and the family in f32 against f64.

mod abs;
mod cos;
mod exp;
mod expm1;
mod gelu;
mod log;
mod log1p;
mod neg;
mod powf;
mod powi;
mod recip;
mod relu;
mod sigmoid;
mod sign;
mod sin;
mod softplus;
mod sqrt;
mod tan;
mod tanh;

use crate::support::close;
use tapegrad_core::{Float, Tape, Tensor, Var};

/// Value and gradient of every op of the family at `xs`, computed in `T`, as f64.
fn values_and_gradients<T: Float>(xs: &[f64]) -> Vec<(&'static str, Vec<f64>, Vec<f64>)> {
    type F<T> = for<'t> fn(Var<'t, T>) -> Var<'t, T>;
    let ops: [(&str, F<T>); 19] = [
        ("recip", |x| x.recip()),
        ("log", |x| x.log()),
        ("log1p", |x| x.log1p()),
        ("exp", |x| x.exp()),
        ("expm1", |x| x.expm1()),
        ("sqrt", |x| x.sqrt()),
        ("sin", |x| x.sin()),
        ("cos", |x| x.cos()),
        ("tan", |x| x.tan()),
        ("tanh", |x| x.tanh()),
        ("gelu", |x| x.gelu()),
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
    // negative points give NaN for log, sqrt and powf (and below −1 for log1p) in both
    // types alike
    let xs = [-1.3, -0.4, 0.3, 1.1, 2.7];
    let single = values_and_gradients::<f32>(&xs);
    let double = values_and_gradients::<f64>(&xs);
    for ((name, y32, dx32), (_, y64, dx64)) in single.into_iter().zip(double) {
        assert!(close(&y32, &y64, 1e-5), "{name}: {y32:?} vs {y64:?}");
        assert!(close(&dx32, &dx64, 1e-5), "{name}': {dx32:?} vs {dx64:?}");
    }
}
