//! Gradient checking: the engine's gradients against central finite differences, in f64,
//! at any order, through both doors (`Tape::grad` and `Var::backward`).
//!
//! # How orders work
//! Order 1 checks the gradient of `L₁(x) = Σ v ⊙ f(x)` for a random cotangent `v`.
//! Order `k + 1` checks the gradient of `Lₖ₊₁(x) = Σᵢ Σ wᵢ ⊙ ∂Lₖ/∂xᵢ`, where `∂Lₖ/∂xᵢ` is
//! the engine's own *recorded* gradient: finite differences of the engine's gradient are
//! compared with the engine's gradient of its gradient (a Hessian-vector product at
//! order 2). The random directions come from a seeded generator, so a failure reproduces.

use crate::{Tape, Tensor, Var};
use std::fmt;

/// Step and tolerances of a check.
///
/// The defaults are PyTorch's `gradcheck` defaults for f64: central differences with
/// `eps = 1e-6` have truncation error ~`eps²·f'''` and rounding error ~`1e-16/eps`, both
/// far below `atol = 1e-5` and `rtol = 1e-3` for well-scaled functions.
#[derive(Clone, Debug)]
pub struct GradcheckConfig {
    /// Finite-difference step.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance (relative to the numeric value).
    pub rtol: f64,
    /// Seed of the random cotangents and directions.
    pub seed: u64,
}

impl Default for GradcheckConfig {
    fn default() -> Self {
        GradcheckConfig {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
            seed: 0,
        }
    }
}

/// One element whose analytic and numeric derivatives disagree.
#[derive(Clone, Debug)]
pub struct Mismatch {
    /// Which door produced the analytic value: `"grad"` or `"backward"`.
    pub door: &'static str,
    /// Derivative order being checked.
    pub order: usize,
    /// Input position.
    pub input: usize,
    /// Element (row-major) within that input.
    pub element: usize,
    /// The engine's value.
    pub analytic: f64,
    /// The finite-difference value.
    pub numeric: f64,
}

/// Why a gradient check failed.
#[derive(Clone, Debug)]
pub enum GradcheckError {
    /// Some elements disagree (the worst first, at most 10).
    Mismatch(Vec<Mismatch>),
    /// A structural problem: wrong gradient shape, backward not repeatable.
    Invalid(String),
}

impl fmt::Display for GradcheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GradcheckError::Invalid(s) => write!(f, "gradient check: {s}"),
            GradcheckError::Mismatch(ms) => {
                writeln!(f, "gradient check failed:")?;
                writeln!(
                    f,
                    "  door      order input element      analytic       numeric"
                )?;
                for m in ms {
                    writeln!(
                        f,
                        "  {:<9} {:>5} {:>5} {:>7} {:>13.6e} {:>13.6e}",
                        m.door, m.order, m.input, m.element, m.analytic, m.numeric
                    )?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for GradcheckError {}

/// A function under test: builds its output from input variables on a fresh tape.
pub trait TestFn: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64> {}
impl<F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>> TestFn for F {}

/// Checks `f`'s derivatives of orders `1..=order` at `inputs` with the default config.
///
/// ```
/// use tapegrad_core::{gradcheck::check_gradients, Tensor};
/// let x = Tensor::from_vec(vec![0.3, -1.2, 2.0], &[3]);
/// check_gradients(|xs| (xs[0] * xs[0]).sin().sum(), &[x], 2).unwrap();
/// ```
pub fn check_gradients(
    f: impl TestFn,
    inputs: &[Tensor<f64>],
    order: usize,
) -> Result<(), GradcheckError> {
    check_gradients_with(f, inputs, order, &GradcheckConfig::default())
}

/// [`check_gradients`] with explicit step, tolerances and seed.
pub fn check_gradients_with(
    f: impl TestFn,
    inputs: &[Tensor<f64>],
    order: usize,
    cfg: &GradcheckConfig,
) -> Result<(), GradcheckError> {
    let dirs = Directions::new(&f, inputs, order, cfg.seed);
    for k in 1..=order {
        check_order(&f, inputs, k, &dirs, cfg)?;
    }
    Ok(())
}

/// The random cotangent of `f`'s output and one direction per input per extra order.
struct Directions {
    v: Tensor<f64>,
    w: Vec<Vec<Tensor<f64>>>,
}

impl Directions {
    fn new(f: &impl TestFn, inputs: &[Tensor<f64>], order: usize, seed: u64) -> Self {
        let tape = Tape::new();
        let xs: Vec<_> = inputs.iter().map(|x| tape.leaf(x.clone())).collect();
        let shape = f(&xs).shape();
        let mut s = seed;
        let mut next = |shape: &[usize]| {
            s = s.wrapping_add(1);
            Tensor::rand_normal(shape, 0.0, 1.0, s)
        };
        let v = next(&shape);
        let w = (1..order)
            .map(|_| inputs.iter().map(|x| next(x.shape())).collect())
            .collect();
        Directions { v, w }
    }
}

/// `Lₖ` on `tape` (see the module doc).
fn scalarised<'t>(
    tape: &'t Tape<f64>,
    f: &impl TestFn,
    xs: &[Var<'t, f64>],
    order: usize,
    dirs: &Directions,
) -> Var<'t, f64> {
    let mut l = (f(xs) * tape.constant(dirs.v.clone())).sum();
    for w in &dirs.w[..order - 1] {
        let g = tape.grad(l, xs);
        let mut next = tape.constant(Tensor::scalar(0.0));
        for (gi, wi) in g.iter().zip(w) {
            next = next + (*gi * tape.constant(wi.clone())).sum();
        }
        l = next;
    }
    l
}

fn value_at(f: &impl TestFn, inputs: &[Tensor<f64>], order: usize, dirs: &Directions) -> f64 {
    let tape = Tape::new();
    let xs: Vec<_> = inputs.iter().map(|x| tape.leaf(x.clone())).collect();
    scalarised(&tape, f, &xs, order, dirs).item()
}

fn check_order(
    f: &impl TestFn,
    inputs: &[Tensor<f64>],
    order: usize,
    dirs: &Directions,
    cfg: &GradcheckConfig,
) -> Result<(), GradcheckError> {
    let tape = Tape::new();
    let xs: Vec<_> = inputs.iter().map(|x| tape.leaf(x.clone())).collect();
    let l = scalarised(&tape, f, &xs, order, dirs);
    let recorded: Vec<Tensor<f64>> = tape.grad(l, &xs).iter().map(|g| g.value()).collect();
    let first = l.backward();
    let eager: Vec<Tensor<f64>> = xs.iter().map(|&x| first.wrt(x)).collect();
    let again = l.backward();
    for (i, (&x, g)) in xs.iter().zip(&eager).enumerate() {
        if g.shape() != inputs[i].shape() || recorded[i].shape() != inputs[i].shape() {
            return Err(GradcheckError::Invalid(format!(
                "order {order}: gradient of input {i} has shape {:?} (grad) / {:?} (backward), input has {:?}",
                recorded[i].shape(),
                g.shape(),
                inputs[i].shape()
            )));
        }
        if again.wrt(x).to_vec() != g.to_vec() && !g.as_slice().iter().any(|v| v.is_nan()) {
            return Err(GradcheckError::Invalid(format!(
                "order {order}: backward twice gave different gradients for input {i}"
            )));
        }
    }
    let mut mismatches = Vec::new();
    for (i, x) in inputs.iter().enumerate() {
        for e in 0..x.len() {
            let nudged = |delta: f64| {
                let mut moved = inputs.to_vec();
                moved[i].as_mut_slice()[e] += delta;
                value_at(f, &moved, order, dirs)
            };
            let numeric = (nudged(cfg.eps) - nudged(-cfg.eps)) / (2.0 * cfg.eps);
            for (door, grads) in [("grad", &recorded), ("backward", &eager)] {
                let analytic = grads[i].as_slice()[e];
                let close = (analytic - numeric).abs() <= cfg.atol + cfg.rtol * numeric.abs();
                if !close {
                    mismatches.push(Mismatch {
                        door,
                        order,
                        input: i,
                        element: e,
                        analytic,
                        numeric,
                    });
                }
            }
        }
    }
    if mismatches.is_empty() {
        return Ok(());
    }
    mismatches.sort_by(|a, b| {
        let ea = (a.analytic - a.numeric).abs();
        let eb = (b.analytic - b.numeric).abs();
        eb.partial_cmp(&ea).unwrap_or(std::cmp::Ordering::Equal)
    });
    mismatches.truncate(10);
    Err(GradcheckError::Mismatch(mismatches))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_correct_composite_at_order_two() {
        let x = Tensor::from_vec(vec![0.5, -0.7], &[2]);
        let y = Tensor::from_vec(vec![1.5, 0.2], &[2]);
        check_gradients(|xs| (xs[0] * xs[1]).exp().sum() * xs[0].sum(), &[x, y], 2).unwrap();
    }
}
