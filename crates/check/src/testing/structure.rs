//! The kit's check of an op's stated [`Structure`](tapegrad_core::Structure): the
//! sparsity it implies must contain every nonzero derivative the op really has.

use tapegrad_core::func::{self, Sparsity};
use tapegrad_core::{Op, Tensor, Var};

/// Inputs with more elements than this are not checked: the dense derivatives the stated
/// structure is compared with cost one sweep per element.
pub(crate) const MAX_ELEMENTS: usize = 64;

/// The first nonzero entry of the op's Jacobian, or of the Hessian of `Σ wᵢ·opᵢ(xs)` (fixed
/// weights `w`), that the detected pattern leaves out, described; `None` when the pattern
/// covers both.
pub(crate) fn uncovered<O: Op<f64>>(make: &dyn Fn() -> O, xs: &[Tensor<f64>]) -> Option<String> {
    let op = func::function(|vs: &[Var<'_, f64>]| vs[0].tape().apply(make(), vs));
    let weighted = func::function(|vs: &[Var<'_, f64>]| {
        let y = op(vs);
        let w = Tensor::from_fn(&y.shape(), |i| 1.0 + 0.25 * ((i * 7) % 5) as f64);
        (y * vs[0].constant(w)).sum()
    });
    let widths: Vec<usize> = xs.iter().map(|x| x.as_slice().len()).collect();
    let failed = |what: &str, e: &dyn std::fmt::Display| Some(format!("{what}: {e}"));

    let jacobian = match func::jacrev(op, xs) {
        Ok(j) => j,
        Err(e) => return failed("the dense Jacobian failed", &e),
    };
    let pattern = match func::jacobian_sparsity(op, xs) {
        Ok(p) => p,
        Err(e) => return failed("the Jacobian's sparsity failed", &e),
    };
    if let Some((i, j, v)) = first_outside(&jacobian, &widths, &pattern) {
        return Some(format!(
            "its structure leaves out a nonzero Jacobian entry: output element {i}, {} = {v}",
            column_name(j, &widths)
        ));
    }

    let hessian = match func::hessian(weighted, xs) {
        Ok(h) => h.into_iter().flatten().collect::<Vec<_>>(),
        Err(e) => return failed("the dense Hessian failed", &e),
    };
    let pattern = match func::hessian_sparsity(weighted, xs) {
        Ok(p) => p,
        Err(e) => return failed("the Hessian's sparsity failed", &e),
    };
    // The blocks of the dense Hessian, row block by row block, as Jacobian blocks of
    // the flat gradient: each row of inputs i in turn.
    let mut rows_first = Vec::new();
    for (i, &wi) in widths.iter().enumerate() {
        for r in 0..wi {
            for (j, &wj) in widths.iter().enumerate() {
                let block = &hessian[i * widths.len() + j];
                rows_first.extend_from_slice(&block.as_slice()[r * wj..(r + 1) * wj]);
            }
        }
    }
    let n: usize = widths.iter().sum();
    let dense = Tensor::from_vec(rows_first, &[n, n]);
    if let Some((i, j, v)) = first_outside(&[dense], &[n], &pattern) {
        return Some(format!(
            "its structure leaves out a nonzero second derivative: {} and {} = {v}",
            column_name(i, &widths),
            column_name(j, &widths)
        ));
    }
    None
}

/// The first entry (row, column, value) of the Jacobian blocks (one per input, each
/// `[rows, width]` when flattened) that is nonzero and not in `pattern`.
fn first_outside(
    blocks: &[Tensor<f64>],
    widths: &[usize],
    pattern: &Sparsity,
) -> Option<(usize, usize, f64)> {
    let entries: Vec<(usize, usize)> = pattern
        .rows
        .iter()
        .copied()
        .zip(pattern.cols.iter().copied())
        .collect();
    let mut offset = 0;
    for (block, &width) in blocks.iter().zip(widths) {
        for (k, &v) in block.as_slice().iter().enumerate() {
            let (i, j) = (k / width.max(1), offset + k % width.max(1));
            // `abs() > 0` is false for NaN: a NaN is the gradient check's business.
            if v.abs() > 0.0 && entries.binary_search(&(i, j)).is_err() {
                return Some((i, j, v));
            }
        }
        offset += width;
    }
    None
}

/// "input k element e" for flat column `j`.
fn column_name(j: usize, widths: &[usize]) -> String {
    let mut start = 0;
    for (k, &w) in widths.iter().enumerate() {
        if j < start + w {
            return format!("input {k} element {}", j - start);
        }
        start += w;
    }
    format!("column {j}")
}
