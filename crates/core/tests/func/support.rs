//! Helpers: test functions, central differences, tolerant comparison.

use tapegrad_core::{func, Float, Tensor, Var};

/// A smooth function of two inputs of any shapes with a non-scalar output, `y =
/// tanh(x0) · exp(sum(x1) / 4) + sin(x0)²`, shaped like `x0`.
pub fn smooth<'t, T: Float>(xs: &[Var<'t, T>]) -> Var<'t, T> {
    let s = xs[0].tanh() * (xs[1].sum() * T::from_f64(0.25)).exp();
    let sin = xs[0].sin();
    s + sin * sin
}

/// A smooth scalar of two inputs: `Σ smooth(x0, x1) · cos(x0)` plus `Σ x1³ / 3`.
pub fn smooth_scalar<'t, T: Float>(xs: &[Var<'t, T>]) -> Var<'t, T> {
    let cube = xs[1] * xs[1] * xs[1];
    (smooth(xs) * xs[0].cos()).sum() + cube.sum() * T::from_f64(1.0 / 3.0)
}

/// The Jacobians of `f` at `xs` by central differences with step `h`, shaped like
/// `func::jacobian`'s.
pub fn central_jacobian(
    f: impl for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
    xs: &[Tensor<f64>],
    h: f64,
) -> Vec<Tensor<f64>> {
    let eval = |xs: &[Tensor<f64>]| func::linearize(&f, xs).unwrap().value();
    let out = eval(xs).shape().to_vec();
    (0..xs.len())
        .map(|i| {
            let n = xs[i].len();
            let mut data = vec![0.0; out.iter().product::<usize>() * n];
            for j in 0..n {
                let at = |step: f64| {
                    let mut moved = xs.to_vec();
                    moved[i].as_mut_slice()[j] += step;
                    eval(&moved)
                };
                let (plus, minus) = (at(h), at(-h));
                for (k, (p, m)) in plus.as_slice().iter().zip(minus.as_slice()).enumerate() {
                    data[k * n + j] = (p - m) / (2.0 * h);
                }
            }
            let shape: Vec<usize> = out.iter().chain(xs[i].shape()).copied().collect();
            Tensor::from_vec(data, &shape)
        })
        .collect()
}

/// Panics unless `got` and `want` have one shape and agree to `tol` (relative above 1).
#[track_caller]
pub fn assert_close<T: Float>(got: &Tensor<T>, want: &Tensor<T>, tol: f64) {
    assert_eq!(got.shape(), want.shape(), "shapes");
    for (k, (&g, &w)) in got.as_slice().iter().zip(want.as_slice()).enumerate() {
        let (g, w) = (g.to_f64(), w.to_f64());
        assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "element {k}: got {g}, want {w}\n got {got}\nwant {want}"
        );
    }
}

/// A deterministic tensor of `shape` with values in about [-1, 1].
pub fn wavy<T: Float>(shape: &[usize], phase: f64) -> Tensor<T> {
    Tensor::from_fn(shape, |i| T::from_f64((1.7 * i as f64 + phase).sin()))
}

/// `a · b` for `a` of shape `[m..., n...]` read as an `m × n` matrix and `b` of `n`
/// elements (at least one): the contraction `jacobian · v`.
pub fn contract(a: &Tensor<f64>, b: &Tensor<f64>) -> Vec<f64> {
    a.as_slice()
        .chunks(b.len())
        .map(|row| row.iter().zip(b.as_slice()).map(|(x, y)| x * y).sum())
        .collect()
}
