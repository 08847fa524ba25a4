//! The kit's check of the batched sweeps through an op: a batch of cotangents pushed
//! through it at once must give what one VJP per cotangent gives (this is what an op's
//! [`vjp_batches`](tapegrad_core::Op::vjp_batches) promises when it says `true`), and the
//! Hessian, whose rows are pushed in batches, must have the rows that one Hessian-vector
//! product per row gives.

use std::panic::{catch_unwind, AssertUnwindSafe};
use tapegrad_core::func;
use tapegrad_core::tensor::numel;
use tapegrad_core::{Op, Tensor, Var};

/// Cotangents per batch: more than one, and not a length any test shape has.
const K: usize = 3;

/// What differs between the batched and the one-at-a-time derivatives of the op at `xs`,
/// described; `None` when they agree (to 1e-12, relative to the larger of 1 and the value).
pub(crate) fn mismatch<O: Op<f64>>(make: &dyn Fn() -> O, xs: &[Tensor<f64>]) -> Option<String> {
    let attempt = catch_unwind(AssertUnwindSafe(|| first_difference(make, xs)));
    attempt.unwrap_or_else(|panic| {
        let message = (panic.downcast_ref::<String>().cloned())
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Some(format!("a batched sweep through it panicked: {message}"))
    })
}

fn first_difference<O: Op<f64>>(make: &dyn Fn() -> O, xs: &[Tensor<f64>]) -> Option<String> {
    let op = func::function(|vs: &[Var<'_, f64>]| vs[0].tape().apply(make(), vs));
    let lin = func::linearize(op, xs).ok()?;
    let out = lin.output_shape();
    let m = numel(&out);
    let shape: Vec<usize> = [K].iter().chain(&out).copied().collect();
    let seeds = Tensor::from_fn(&shape, |i| ((i * 7919) % 23) as f64 / 11.0 - 1.0);
    let batched = match lin.vjp_batch(&seeds) {
        Ok(b) => b,
        Err(e) => return Some(format!("a batch of VJPs failed: {e}")),
    };
    for j in 0..K {
        let seed = Tensor::from_slice(&seeds.as_slice()[j * m..(j + 1) * m], &out);
        let single = lin.vjp(&seed).ok()?;
        for (i, (one, all)) in single.iter().zip(&batched).enumerate() {
            let w = one.len();
            let row = &all.as_slice()[j * w..(j + 1) * w];
            if let Some(at) = differs(one.as_slice(), row) {
                return Some(format!(
                    "cotangent {j} of a batch of {K}: input {i}'s gradient element {at} is {} \
                     in the batch, {} alone",
                    row[at],
                    one.as_slice()[at]
                ));
            }
        }
    }
    // second order: the Hessian of a weighted sum, its rows in batches, against one
    // Hessian-vector product per row
    let weighted = func::function(|vs: &[Var<'_, f64>]| {
        let y = op(vs);
        let w = Tensor::from_fn(&y.shape(), |i| 1.0 + 0.25 * ((i * 7) % 5) as f64);
        (y * vs[0].constant(w)).sum()
    });
    let hessian = func::hessian(weighted, xs).ok()?;
    let widths: Vec<usize> = xs.iter().map(|x| x.len()).collect();
    for (a, x) in xs.iter().enumerate() {
        for r in 0..x.len() {
            let units: Vec<Tensor<f64>> = (xs.iter().enumerate())
                .map(|(b, x)| Tensor::from_fn(x.shape(), |i| f64::from(a == b && i == r)))
                .collect();
            let hv = func::hvp(weighted, xs, &units).ok()?;
            for (b, column) in hv.iter().enumerate() {
                let row = &hessian[a][b].as_slice()[r * widths[b]..(r + 1) * widths[b]];
                if let Some(at) = differs(column.as_slice(), row) {
                    return Some(format!(
                        "the Hessian of Σ w·op(xs), block ({a}, {b}), row {r}, element {at}: \
                         {} by batched rows, {} by a Hessian-vector product",
                        row[at],
                        column.as_slice()[at]
                    ));
                }
            }
        }
    }
    None
}

/// The first position where `a` and `b` differ by more than rounding (NaN matches NaN).
fn differs(a: &[f64], b: &[f64]) -> Option<usize> {
    a.iter().zip(b).position(|(&x, &y)| {
        let close = (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0);
        let same = x == y || (x.is_nan() && y.is_nan()) || close;
        !same
    })
}
