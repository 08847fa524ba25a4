//! Checking a [`Plan`]: its gradient outputs against central differences of its value
//! output, both computed by replaying the plan (no tape involved).

use super::probe::normal;
use super::Config;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::fmt;
use tapegrad_core::{Error, ErrorKind, Plan, Tensor};

/// One comparison: an input element (full check) or a random direction.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanEntry {
    /// Which input (`None` for a random direction over all inputs).
    pub input: Option<usize>,
    /// The element of that input (the direction's index for a directional check).
    pub element: usize,
    /// From the plan's gradient outputs.
    pub analytic: f64,
    /// From central differences of the plan's value output.
    pub numeric: f64,
}

impl PlanEntry {
    /// `|analytic − numeric|`.
    pub fn abs_err(&self) -> f64 {
        (self.analytic - self.numeric).abs()
    }
}

/// What [`check_plan`] compared and what failed.
#[derive(Clone, Debug)]
pub struct PlanReport {
    /// Comparisons made.
    pub checked: usize,
    /// The largest `|analytic − numeric|`.
    pub max_abs_err: f64,
    /// The comparisons outside `atol + rtol·|numeric|`.
    pub failures: Vec<PlanEntry>,
}

impl PlanReport {
    /// True when every comparison is within tolerance.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

impl fmt::Display for PlanReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed() { "passed" } else { "FAILED" };
        write!(
            f,
            "plan gradient check {verdict}: {} comparisons, max abs error {:.3e}",
            self.checked, self.max_abs_err
        )?;
        for e in self.failures.iter().take(8) {
            let at = match e.input {
                Some(i) => format!("input {i}, element {}", e.element),
                None => format!("direction {}", e.element),
            };
            write!(
                f,
                "\n  {at}: plan {}, differences {}",
                e.analytic, e.numeric
            )?;
        }
        Ok(())
    }
}

/// Checks that the plan's outputs `grads` (one per input, shaped like it) are the
/// gradient of its one-element output `value`, by central differences of `value` with
/// `cfg`'s step and tolerances: element by element when the inputs have at most
/// `cfg.full_limit` elements, along `cfg.directions` random unit directions otherwise.
///
/// A second derivative is checked the same way: trace `value = ⟨c, ∇f⟩` and its gradient.
///
/// ```
/// use tapegrad_check::gradcheck::{check_plan, Config};
/// use tapegrad_core::{Plan, Tensor};
/// let x = Tensor::vector(vec![0.5, -1.0, 2.0]);
/// let mut plan = Plan::trace(&[x.clone()], |tape, v| {
///     let f = (v[0].sin() * v[0]).sum();
///     vec![f, tape.grad(f, v)[0]]
/// })
/// .unwrap();
/// let report = check_plan(&mut plan, &[x], 0, &[1], &Config::f64()).unwrap();
/// assert!(report.passed(), "{report}");
/// ```
#[track_caller]
pub fn check_plan(
    plan: &mut Plan<f64>,
    inputs: &[Tensor<f64>],
    value: usize,
    grads: &[usize],
    cfg: &Config,
) -> Result<PlanReport, Error> {
    let outputs = plan.output_shapes().len();
    if value >= outputs || grads.len() != inputs.len() || grads.iter().any(|&g| g >= outputs) {
        return Err(Error::new(
            "check_plan",
            format!(
                "value output {value} and gradient outputs {grads:?} (one per input, {} inputs) \
                 must name outputs of the plan (it has {outputs})",
                inputs.len()
            ),
        ));
    }
    let at = plan.run(inputs)?;
    if at[value].len() != 1 {
        return Err(Error::of_kind(
            ErrorKind::NonScalarRoot {
                shape: at[value].shape().to_vec(),
            },
            "check_plan",
            "the value output must have one element",
        ));
    }
    let analytic: Vec<Tensor<f64>> = grads.iter().map(|&g| at[g].clone()).collect();
    for (i, (g, x)) in analytic.iter().zip(inputs).enumerate() {
        if g.shape() != x.shape() {
            return Err(Error::of_kind(
                ErrorKind::ShapeMismatch {
                    shapes: vec![x.shape().to_vec(), g.shape().to_vec()],
                },
                "check_plan",
                format!("gradient output {} is not shaped like input {i}", grads[i]),
            ));
        }
    }
    let mut f = |xs: &[Tensor<f64>]| -> Result<f64, Error> { Ok(plan.run(xs)?[value].item()) };
    let total: usize = inputs.iter().map(Tensor::len).sum();
    let mut entries = Vec::new();
    if total <= cfg.full_limit {
        for (i, x) in inputs.iter().enumerate() {
            for k in 0..x.len() {
                let shifted = |d: f64| {
                    let mut xs = inputs.to_vec();
                    let mut v = x.to_vec();
                    v[k] += d;
                    xs[i] = Tensor::from_vec(v, x.shape());
                    xs
                };
                let numeric = (f(&shifted(cfg.eps))? - f(&shifted(-cfg.eps))?) / (2.0 * cfg.eps);
                let analytic = analytic[i].as_slice()[k];
                entries.push(PlanEntry {
                    input: Some(i),
                    element: k,
                    analytic,
                    numeric,
                });
            }
        }
    } else {
        let mut rng = StdRng::seed_from_u64(cfg.seed);
        for d in 0..cfg.directions {
            let u: Vec<Tensor<f64>> = inputs.iter().map(|x| normal(x.shape(), &mut rng)).collect();
            let norm = u
                .iter()
                .flat_map(|t| t.as_slice().iter())
                .map(|v| v * v)
                .sum::<f64>()
                .sqrt()
                .max(f64::MIN_POSITIVE);
            let moved = |s: f64| -> Vec<Tensor<f64>> {
                inputs
                    .iter()
                    .zip(&u)
                    .map(|(x, u)| {
                        let v = x.as_slice().iter().zip(u.as_slice());
                        Tensor::from_vec(v.map(|(x, u)| x + s * u / norm).collect(), x.shape())
                    })
                    .collect()
            };
            let numeric = (f(&moved(cfg.eps))? - f(&moved(-cfg.eps))?) / (2.0 * cfg.eps);
            let analytic = analytic
                .iter()
                .zip(&u)
                .flat_map(|(g, u)| g.as_slice().iter().zip(u.as_slice()))
                .map(|(g, u)| g * u / norm)
                .sum();
            entries.push(PlanEntry {
                input: None,
                element: d,
                analytic,
                numeric,
            });
        }
    }
    let max_abs_err = entries.iter().map(PlanEntry::abs_err).fold(0.0, f64::max);
    let failures = entries
        .iter()
        .filter(|e| {
            // NaN on either side fails
            let within = e.abs_err() <= cfg.atol + cfg.rtol * e.numeric.abs();
            !within
        })
        .cloned()
        .collect();
    Ok(PlanReport {
        checked: entries.len(),
        max_abs_err,
        failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loss_and_grads(scale: f64) -> (Plan<f64>, Vec<Tensor<f64>>) {
        let xs = vec![
            Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.25], &[2, 2]),
            Tensor::vector(vec![0.3, -0.7]),
        ];
        let plan = Plan::trace(&xs, |tape, v| {
            let f = (v[0].matmul(v[1]).tanh() * v[1]).sum() + v[0].exp().sum();
            let g = tape.grad(f, v);
            vec![g[1] * scale, f, g[0] * scale]
        })
        .unwrap();
        (plan, xs)
    }

    #[test]
    fn check_plan_accepts_true_gradients_full_and_directional() {
        let (mut plan, xs) = loss_and_grads(1.0);
        let report = check_plan(&mut plan, &xs, 1, &[2, 0], &Config::f64()).unwrap();
        assert!(report.passed(), "{report}");
        assert_eq!(report.checked, 6);
        let cfg = Config {
            full_limit: 2,
            ..Config::f64()
        };
        let report = check_plan(&mut plan, &xs, 1, &[2, 0], &cfg).unwrap();
        assert!(report.passed(), "{report}");
        assert_eq!(report.checked, cfg.directions);
    }

    #[test]
    fn check_plan_rejects_wrong_gradients() {
        let (mut plan, xs) = loss_and_grads(1.01);
        let report = check_plan(&mut plan, &xs, 1, &[2, 0], &Config::f64()).unwrap();
        assert!(!report.passed());
        assert!(report.to_string().contains("FAILED"), "{report}");
        // outputs swapped: shaped unlike the inputs
        let err = check_plan(&mut plan, &xs, 1, &[0, 2], &Config::f64()).unwrap_err();
        assert!(err.to_string().contains("not shaped like input 0"), "{err}");
    }

    #[test]
    fn check_plan_checks_second_derivatives() {
        // value ⟨c, ∇f⟩ and its gradient: rows of the Hessian, replayed
        let x = Tensor::vector(vec![0.4, -0.9, 1.3]);
        let mut plan = Plan::trace(std::slice::from_ref(&x), |tape, v| {
            let f = (v[0].sin() * v[0].powi(2)).sum();
            let g = tape.grad(f, v)[0];
            let c = tape.constant(Tensor::vector(vec![1.0, -2.0, 0.5]));
            let l = (g * c).sum();
            vec![l, tape.grad(l, v)[0]]
        })
        .unwrap();
        let report = check_plan(&mut plan, &[x], 0, &[1], &Config::f64()).unwrap();
        assert!(report.passed(), "{report}");
    }
}
