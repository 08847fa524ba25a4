//! Gradient checking: the engine's derivatives against central finite differences, at any
//! order, through both sweeps ([`Tape::grad`] and [`Var::backward`]), with a structured
//! [`Report`] that names the worst elements, the first wrong node and any kinks.
//!
//! # What is checked at each order
//! Order 1 checks the Jacobian of `F₁ = f`. Order `k + 1` checks the Jacobian of
//! `Fₖ₊₁ = ∇ₓ Lₖ`, the engine's own *recorded* gradient of `Lₖ = ⟨cₖ, Fₖ⟩` for a random
//! cotangent `cₖ`: finite differences of the engine's gradient against the engine's
//! gradient of its gradient (at order 2, rows of the Hessian of `⟨c₁, f⟩`). An error in a
//! first derivative shows at order 1; a VJP that is right but not differentiable (computed
//! outside the tape, say) shows at order 2.
//!
//! # Two strategies
//! - **Full Jacobian** (inputs of at most [`Config::full_limit`] elements): one row per
//!   output element by one-hot cotangents through both sweeps, one column per input
//!   element by central differences; every entry is compared, so a failure points at an element.
//! - **Random directions** (larger inputs): for a direction `u` of the inputs and `v` of
//!   the outputs (unit norm, from a generator seeded with [`Config::seed`]),
//!   `⟨v, J u⟩` by central differences along `u` is compared with `⟨Jᵀv, u⟩` from each
//!   sweep, and every element of `J u` with the engine's Jacobian-vector product, obtained
//!   by differentiating the recorded VJP with respect to its cotangent.
//!
//! # Plans
//! [`check_plan`] checks a [`Plan`](tapegrad_core::Plan)'s gradient outputs against
//! central differences of its value output, both by replaying the plan.
//!
//! # Element types
//! f64 is checked directly. f32 is best checked by *promotion*: [`check_promoted`] takes a
//! function generic over the element type ([`Function`] for `f32` and `f64`), computes
//! the engine's derivatives in f32 and the finite differences in f64. A function that
//! exists only in f32 is checked with [`check`] and finite differences in f32, with the
//! looser [`Config::f32`] defaults.
//!
//! ```
//! use tapegrad_check::gradcheck::{check, Config};
//! use tapegrad_core::Tensor;
//! let x = Tensor::from_vec(vec![0.3, -1.2, 2.0], &[3]);
//! let report = check(|xs| (xs[0] * xs[0]).exp().sum(), &[x], 2, &Config::f64());
//! assert!(report.passed(), "{report}");
//! assert!(report.max_abs_err < 1e-6);
//! ```

mod localise;
mod plan;
mod probe;
mod report;

pub use plan::{check_plan, PlanEntry, PlanReport};
pub use report::{Culprit, Entry, GradientRoute, Position, Report, Verdict};

use rand::rngs::StdRng;
use rand::SeedableRng;
use std::fmt;
use tapegrad_core::{Float, Tape, Tensor, Var};

/// How the checker samples the Jacobian.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Full Jacobian when the inputs have at most [`Config::full_limit`] elements and the
    /// output at most four times that; random directions otherwise.
    Auto,
    /// Every Jacobian entry (cost: two evaluations per input element plus one VJP per
    /// output element, per order).
    Full,
    /// [`Config::directions`] random directions (cost: a few evaluations per direction).
    Directional,
}

/// Step, tolerances, seed and strategy of a check.
///
/// An entry passes when `|analytic − numeric| ≤ atol + rtol·|numeric|`.
///
/// | constructor | eps | atol | rtol | why |
/// |---|---|---|---|---|
/// | [`f64`](Self::f64) (the default) | 1e-6 | 1e-5 | 1e-3 | PyTorch's `gradcheck`: truncation error ~`eps²·f'''` ≈ 1e-12 and rounding ~`1e-16·|f|/eps` ≈ 1e-10, far below atol |
/// | [`promoted_f32`](Self::promoted_f32) | 1e-6 | 1e-4 | 2e-3 | differences in f64; the engine's f32 derivatives carry f32 rounding (~1e-7 per op), so JAX's f32 tolerance 2e-3 |
/// | [`f32`](Self::f32) | 1e-3 | 1e-2 | 1e-2 | differences in f32: rounding ~`6e-8·|f|/eps` ≈ 6e-5·|f| needs a large step, whose truncation error (~1e-6·f''') is the price |
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Finite-difference step.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance (relative to the numeric value).
    pub rtol: f64,
    /// Seed of the random cotangents and directions: the same seed, the same check.
    pub seed: u64,
    /// Full Jacobian or random directions.
    pub strategy: Strategy,
    /// Largest number of input elements for which [`Strategy::Auto`] uses the full Jacobian.
    pub full_limit: usize,
    /// Number of random directions per order for [`Strategy::Directional`].
    pub directions: usize,
    /// How many of the worst comparisons the report keeps.
    pub worst: usize,
    /// Whether a failing check looks for the first wrong node (costs one small check per
    /// node of the expression, only when the check fails).
    pub localise: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config::f64()
    }
}

impl Config {
    /// Defaults for f64 (PyTorch's `gradcheck`).
    pub fn f64() -> Self {
        Config {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
            seed: 0,
            strategy: Strategy::Auto,
            full_limit: 256,
            directions: 3,
            worst: 8,
            localise: true,
        }
    }

    /// Defaults for f32 derivatives against f64 finite differences ([`check_promoted`]).
    pub fn promoted_f32() -> Self {
        Config {
            atol: 1e-4,
            rtol: 2e-3,
            ..Config::f64()
        }
    }

    /// Defaults for finite differences taken in f32 ([`check`] on an f32 function).
    pub fn f32() -> Self {
        Config {
            eps: 1e-3,
            atol: 1e-2,
            rtol: 1e-2,
            ..Config::f64()
        }
    }

    /// [`f64`](Self::f64) or [`f32`](Self::f32) by element type.
    pub fn for_type<T: Float>() -> Self {
        if T::NAME == "f32" {
            Config::f32()
        } else {
            Config::f64()
        }
    }

    /// The same config with another seed.
    pub fn with_seed(self, seed: u64) -> Self {
        Config { seed, ..self }
    }

    /// The same config with another strategy.
    pub fn with_strategy(self, strategy: Strategy) -> Self {
        Config { strategy, ..self }
    }
}

/// A closure under test: builds its output from input variables on a fresh tape.
pub trait TestFn<T: Float = f64>: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T> {}
impl<T: Float, F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>> TestFn<T> for F {}

/// A function the checker can evaluate with element type `T`.
///
/// Closures ([`TestFn`]) implement it for their one type. Implement it generically,
/// `impl<T: Float> Function<T> for MyFn`, to have f32 checked by promotion
/// ([`check_promoted`]).
///
/// ```
/// use tapegrad_check::gradcheck::{check_promoted, Config, Function};
/// use tapegrad_core::{Float, Tensor, Var};
/// struct SoftCube;
/// impl<T: Float> Function<T> for SoftCube {
///     fn eval<'t>(&self, xs: &[Var<'t, T>]) -> Var<'t, T> {
///         let x = xs[0];
///         (x * x * x / (x * x + T::ONE)).sum()
///     }
/// }
/// let x = Tensor::<f32>::from_vec(vec![0.5, -1.5, 2.0], &[3]);
/// let report = check_promoted(&SoftCube, &[x], 2, &Config::promoted_f32());
/// assert!(report.passed(), "{report}");
/// ```
pub trait Function<T: Float> {
    /// The output at `xs`.
    fn eval<'t>(&self, xs: &[Var<'t, T>]) -> Var<'t, T>;
}

impl<T: Float, F: TestFn<T>> Function<T> for F {
    fn eval<'t>(&self, xs: &[Var<'t, T>]) -> Var<'t, T> {
        self(xs)
    }
}

/// A failed check: the report says why.
#[derive(Clone, Debug)]
pub struct GradcheckError {
    /// The full report.
    pub report: Box<Report>,
}

impl fmt::Display for GradcheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.report, f)
    }
}

impl std::error::Error for GradcheckError {}

/// Checks `f`'s derivatives of orders `1..=order` at `inputs` in f64 with the default
/// config: `Ok` with the report if they agree with finite differences (or disagree only at
/// a kink), `Err` with it otherwise.
///
/// ```
/// use tapegrad_check::gradcheck::check_gradients;
/// use tapegrad_core::Tensor;
/// let x = Tensor::from_vec(vec![0.3, -1.2, 2.0], &[3]);
/// check_gradients(|xs| (xs[0] * xs[0]).exp().sum(), &[x], 2).unwrap();
/// ```
pub fn check_gradients(
    f: impl TestFn,
    inputs: &[Tensor<f64>],
    order: usize,
) -> Result<Report, GradcheckError> {
    check_gradients_with(f, inputs, order, &Config::f64())
}

/// [`check_gradients`] with an explicit config.
pub fn check_gradients_with(
    f: impl TestFn,
    inputs: &[Tensor<f64>],
    order: usize,
    cfg: &Config,
) -> Result<Report, GradcheckError> {
    let report = check(f, inputs, order, cfg);
    if report.passed() {
        Ok(report)
    } else {
        Err(GradcheckError {
            report: Box::new(report),
        })
    }
}

/// Checks `f`'s derivatives of orders `1..=order` at `inputs`, with finite differences in
/// `T` itself (for f32, prefer [`check_promoted`]).
pub fn check<T: Float>(
    f: impl TestFn<T>,
    inputs: &[Tensor<T>],
    order: usize,
    cfg: &Config,
) -> Report {
    let dtype = if T::NAME == "f32" {
        "f32, differences in f32"
    } else {
        "f64"
    };
    run(&f, &f, inputs, order, cfg, dtype)
}

/// Checks a function generic over the element type with f32 inputs: the engine's
/// derivatives in f32 against finite differences of the same function in f64, at the same
/// (exactly representable) points and directions. Use [`Config::promoted_f32`].
pub fn check_promoted<F: Function<f32> + Function<f64>>(
    f: &F,
    inputs: &[Tensor<f32>],
    order: usize,
    cfg: &Config,
) -> Report {
    run::<f32, f64>(f, f, inputs, order, cfg, "f32 against f64 differences")
}

/// The checker: analytic derivatives from `analytic` in `A`, finite differences of
/// `numeric` (the same function) in `N`.
pub(crate) fn run<A: Float, N: Float>(
    analytic: &dyn Function<A>,
    numeric: &dyn Function<N>,
    inputs: &[Tensor<A>],
    order: usize,
    cfg: &Config,
    dtype: &'static str,
) -> Report {
    let inputs_n: Vec<Tensor<N>> = inputs.iter().map(|x| x.cast()).collect();
    let mut report = Report::new(dtype, order, cfg);
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let n_in: usize = inputs.iter().map(|x| x.len()).sum();
    let y_shape = {
        let tape = Tape::<N>::new();
        let xs: Vec<_> = inputs_n.iter().map(|x| tape.leaf(x.clone())).collect();
        numeric.eval(&xs).shape().to_vec()
    };
    let full = match cfg.strategy {
        Strategy::Full => true,
        Strategy::Directional => false,
        Strategy::Auto => {
            n_in <= cfg.full_limit && tapegrad_core::tensor::numel(&y_shape) <= 4 * cfg.full_limit
        }
    };
    report.strategy = if full {
        "full Jacobian".into()
    } else {
        format!("{} random directions", cfg.directions)
    };
    // The cotangents c₁ … c_{order−1} that define L₁ … L_{order−1}.
    let mut cots: probe::Cotangents = Vec::new();
    for j in 1..order {
        cots.push(if j == 1 {
            vec![probe::normal(&y_shape, &mut rng)]
        } else {
            inputs
                .iter()
                .map(|x| probe::normal(x.shape(), &mut rng))
                .collect()
        });
    }
    let probe = probe::Probe {
        analytic,
        numeric,
        inputs,
        inputs_n: &inputs_n,
        cots: &cots,
        eps: cfg.eps,
    };
    for k in 1..=order {
        if full {
            probe::full(&probe, &mut report, k);
        } else {
            probe::directional(&probe, &mut report, k, cfg.directions, &mut rng);
        }
    }
    report.finish(|k| {
        if cfg.localise {
            localise::localise(numeric, &inputs_n, k, cfg, dtype)
        } else {
            None
        }
    });
    report
}

#[cfg(test)]
pub(crate) mod tests;
