//! The op-author's kit: [`check_op`] checks an op over generated cases in one call, and
//! [`assert_gradients`] checks one function at one point. The strategies are in
//! `strategies.rs`.

use super::strategies::{broadcast_pair, broadcast_shapes, shape};
use super::{batches, partials, structure};
use crate::gradcheck::{self, Config, Function, Report};
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::cell::Cell;
use std::fmt;
use tapegrad_core::tensor::numel;
use tapegrad_core::{Float, Op, Tape, Tensor, Var};

/// Runs the gradient check of orders `1..=order` (both sweeps, default f64 config) and
/// panics with its report table, the first wrong node and the inputs on failure.
#[track_caller]
pub fn assert_gradients(f: impl crate::gradcheck::TestFn, inputs: &[Tensor<f64>], order: usize) {
    if let Err(e) = crate::gradcheck::check_gradients(f, inputs, order) {
        let shapes: Vec<_> = inputs.iter().map(|x| x.shape().to_vec()).collect();
        panic!("{e}inputs of shapes {shapes:?}: {inputs:?}");
    }
}

/// How [`check_op`] draws the shapes of an op's inputs.
pub enum Shapes {
    /// All inputs of one random shape (rank 0 to 4).
    Same,
    /// Inputs that broadcast together (NumPy rules), size-1 axes included; the op must
    /// also refuse shapes that do not broadcast (`[2, 3]` with `[4]`).
    Broadcast,
    /// One shape per input from a strategy of your own (matmul-like ops).
    Custom(BoxedStrategy<Vec<Vec<usize>>>),
}

/// The op-author's kit: checks an op over generated cases in one call. See [`check_op`].
pub struct OpCheck<F> {
    make: F,
    arity: usize,
    shapes: Shapes,
    low: f64,
    high: f64,
    margin: f64,
    cases: u32,
    order: usize,
    seed: u64,
    rejects: Vec<Vec<Vec<usize>>>,
    twice: bool,
}

/// Starts a check of the op made by `make`, which takes `arity` inputs.
///
/// [`run`](OpCheck::run) (or [`assert`](OpCheck::assert)) then draws `cases` sets of
/// inputs (shapes of rank 0 to 4 with size-1 axes, broadcasting pairs for ops with
/// several inputs, values in `[-2, 2)` unless told otherwise) and for each checks, with
/// [`gradcheck`], derivatives of orders 1 and 2 through both sweeps:
/// - in f64;
/// - in f32, against finite differences in f64 (promotion);
/// - with the same variable passed as every input (`op(x, x)`; `Σop(x)·Σx` for one input).
///
/// and that the op's [`structure`](Op::structure) is true: the sparsity it implies holds
/// every nonzero entry of the op's Jacobian and of its second derivatives; and that batched
/// sweeps through it (several cotangents at once, see [`vjp_batches`](Op::vjp_batches))
/// give what one sweep per cotangent gives, first order and in a Hessian (both for cases of
/// at most 64 input elements); that its [`scalar_forward`](Op::scalar_forward), if it gives
/// one, is `forward`'s value; that its [`forward_into_then`](Op::forward_into_then) (what a
/// plan runs when a `relu` follows the op) gives `forward`'s values, relu'd where it says
/// it applied the relu; and, where the op gives [`scalar_partials`](Op::scalar_partials),
/// that `backward()` through them gives the VJP's numbers at the first elements of the
/// inputs, bit for bit.
///
/// It also checks the error path: inputs of incompatible shapes (for [`Shapes::Broadcast`],
/// `[2, 3]` with `[4]`, plus any given to [`rejects`](OpCheck::rejects)) must be refused
/// with an error naming the op and every shape. A failure is shrunk (by proptest) to a
/// small case and reported with the checker's table and the first wrong node.
///
/// ```
/// use tapegrad_check::testing::check_op;
/// use tapegrad_core::{Float, InputGrads, Op, Tensor, TensorError, Var};
///
/// /// `y = x³`, `dx = 3x²·dy`.
/// struct Cube;
/// impl<T: Float> Op<T> for Cube {
///     fn name(&self) -> &str { "cube" }
///     fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
///         Ok(xs[0].map(|x| x * x * x))
///     }
///     fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
///         [Some(dy * xs[0] * xs[0] * T::from_f64(3.0))].into()
///     }
/// }
///
/// let summary = check_op(1, || Cube).cases(8).assert();
/// assert_eq!(summary.cases, 8);
/// ```
pub fn check_op<O, F>(arity: usize, make: F) -> OpCheck<F>
where
    O: Op<f32> + Op<f64>,
    F: Fn() -> O,
{
    assert!(arity >= 1, "check_op: an op takes at least one input");
    OpCheck {
        make,
        arity,
        shapes: Shapes::Broadcast,
        low: -2.0,
        high: 2.0,
        margin: 0.0,
        cases: 32,
        order: 2,
        seed: 0,
        rejects: Vec::new(),
        twice: true,
    }
}

/// What a passing [`OpCheck`] did.
#[derive(Clone, Debug)]
pub struct KitSummary {
    /// The op's name.
    pub op: String,
    /// Generated input sets.
    pub cases: u32,
    /// Checks run (several per case: gradients in f64 and f32, the same variable twice,
    /// the op's structure, batched sweeps).
    pub checks: usize,
    /// Incompatible-shape cases refused as they should be.
    pub rejected: usize,
}

impl fmt::Display for KitSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "op `{}`: {} generated cases, {} checks (gradients in f64 and f32, the same variable \
             twice, the structure, batched sweeps), {} incompatible-shape cases refused",
            self.op, self.cases, self.checks, self.rejected
        )
    }
}

/// Why an [`OpCheck`] failed, on the smallest case proptest found.
#[derive(Clone, Debug)]
pub struct KitFailure {
    /// The op's name.
    pub op: String,
    /// Which check failed.
    pub what: String,
    /// The inputs of the failing case.
    pub inputs: Vec<Tensor<f64>>,
    /// The gradient check's report, when a gradient check failed.
    pub report: Option<Box<Report>>,
}

impl fmt::Display for KitFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "op `{}`: {}", self.op, self.what)?;
        if !self.inputs.is_empty() {
            let shapes: Vec<_> = self.inputs.iter().map(|x| x.shape().to_vec()).collect();
            writeln!(f, "inputs of shapes {shapes:?}: {:?}", self.inputs)?;
        }
        if let Some(r) = &self.report {
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

impl std::error::Error for KitFailure {}

/// The op applied to all its inputs.
struct Apply<'a, F>(&'a F);

impl<T: Float, O: Op<T>, F: Fn() -> O> Function<T> for Apply<'_, F> {
    fn eval<'t>(&self, xs: &[Var<'t, T>]) -> Var<'t, T> {
        xs[0].tape().apply((self.0)(), xs)
    }
}

/// The op with one variable in every input slot (`Σop(x)·Σx` for a one-input op).
struct Twice<'a, F>(&'a F, usize);

impl<T: Float, O: Op<T>, F: Fn() -> O> Function<T> for Twice<'_, F> {
    fn eval<'t>(&self, xs: &[Var<'t, T>]) -> Var<'t, T> {
        let x = xs[0];
        let y = x.tape().apply((self.0)(), &vec![x; self.1]);
        if self.1 == 1 {
            y.sum() * x.sum()
        } else {
            y
        }
    }
}

/// Values in `[low, high)` with `|v| ≥ margin`, rounded to f32 so the f64 and f32
/// checks see the same points.
fn values(
    shape: Vec<usize>,
    low: f64,
    high: f64,
    margin: f64,
) -> impl Strategy<Value = Tensor<f64>> {
    let n = numel(&shape);
    proptest::collection::vec(low..high, n).prop_map(move |v| {
        let data = v
            .into_iter()
            .map(|x| {
                let x = if x.abs() < margin {
                    margin.copysign(x)
                } else {
                    x
                };
                x as f32 as f64
            })
            .collect();
        Tensor::from_vec(data, &shape)
    })
}

impl<O, F> OpCheck<F>
where
    O: Op<f32> + Op<f64>,
    F: Fn() -> O,
{
    /// How input shapes are drawn (default [`Shapes::Broadcast`]).
    pub fn shapes(mut self, shapes: Shapes) -> Self {
        self.shapes = shapes;
        self
    }

    /// Draws values uniformly in `[low, high)` (default `[-2, 2)`): keep them inside the
    /// op's domain.
    pub fn values(mut self, low: f64, high: f64) -> Self {
        self.low = low;
        self.high = high;
        self
    }

    /// Moves values closer to 0 than `margin` out to `±margin`: for ops with a kink or
    /// a pole at 0.
    pub fn away_from_zero(mut self, margin: f64) -> Self {
        self.margin = margin;
        self
    }

    /// Number of generated input sets (default 32).
    pub fn cases(mut self, cases: u32) -> Self {
        self.cases = cases;
        self
    }

    /// Highest derivative order checked (default 2).
    pub fn order(mut self, order: usize) -> Self {
        self.order = order;
        self
    }

    /// Seed of the case generator (default 0): the same seed, the same cases.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Adds a set of input shapes the op must refuse.
    pub fn rejects(mut self, shapes: &[&[usize]]) -> Self {
        self.rejects
            .push(shapes.iter().map(|s| s.to_vec()).collect());
        self
    }

    /// Whether to check the op with one variable in every input (default on).
    pub fn same_variable_twice(mut self, on: bool) -> Self {
        self.twice = on;
        self
    }

    fn name(&self) -> String {
        Op::<f64>::name(&(self.make)()).to_string()
    }

    /// Runs every check; the first failure (shrunk to a small case) is returned.
    pub fn run(&self) -> Result<KitSummary, KitFailure> {
        let rejected = self.check_error_path()?;
        let strategy: BoxedStrategy<Vec<Vec<usize>>> = match &self.shapes {
            Shapes::Same => {
                let n = self.arity;
                shape(4).prop_map(move |s| vec![s; n]).boxed()
            }
            Shapes::Broadcast if self.arity == 2 => {
                broadcast_pair(4).prop_map(|(a, b)| vec![a, b]).boxed()
            }
            Shapes::Broadcast => broadcast_shapes(self.arity, 4).boxed(),
            Shapes::Custom(s) => s.clone(),
        };
        let (low, high, margin) = (self.low, self.high, self.margin);
        let inputs = strategy.prop_flat_map(move |shapes| {
            shapes
                .into_iter()
                .map(|s| values(s, low, high, margin))
                .collect::<Vec<_>>()
        });
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&self.seed.to_le_bytes());
        let config = ProptestConfig {
            cases: self.cases,
            failure_persistence: None,
            ..ProptestConfig::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
        let checks = Cell::new(0);
        let outcome = runner.run(&inputs, |xs| {
            let n = self
                .check_case(&xs)
                .map_err(|e| TestCaseError::fail(e.what))?;
            checks.set(checks.get() + n);
            Ok(())
        });
        match outcome {
            Ok(()) => Ok(KitSummary {
                op: self.name(),
                cases: self.cases,
                checks: checks.get(),
                rejected,
            }),
            Err(TestError::Fail(reason, xs)) => {
                Err(self.check_case(&xs).err().unwrap_or(KitFailure {
                    op: self.name(),
                    what: reason.to_string(),
                    inputs: xs,
                    report: None,
                }))
            }
            Err(TestError::Abort(reason)) => Err(KitFailure {
                op: self.name(),
                what: format!("case generation aborted: {reason}"),
                inputs: Vec::new(),
                report: None,
            }),
        }
    }

    /// [`run`](Self::run), panicking with the failure's table.
    #[track_caller]
    pub fn assert(&self) -> KitSummary {
        match self.run() {
            Ok(summary) => summary,
            Err(failure) => panic!("{failure}"),
        }
    }

    /// The gradient checks of one input set; returns how many ran.
    fn check_case(&self, xs: &[Tensor<f64>]) -> Result<usize, KitFailure> {
        let fail = |what: String, report: Report| KitFailure {
            op: self.name(),
            what,
            inputs: xs.to_vec(),
            report: Some(Box::new(report)),
        };
        // a failure of a check that has no gradient-check table
        let found = |what: String| KitFailure {
            op: self.name(),
            what,
            inputs: xs.to_vec(),
            report: None,
        };
        // first: on single numbers the tape computes with `scalar_forward`, and a wrong one
        // would show as a wrong gradient below, blamed on the VJP
        if let Some(what) = partials::forward_mismatch::<O>(&self.make, xs) {
            return Err(found(what));
        }
        // and what a plan runs when a relu follows the op
        if let Some(what) = partials::then_mismatch::<O>(&self.make, xs) {
            return Err(found(what));
        }
        let apply = Apply(&self.make);
        let order = self.order;
        let r = gradcheck::run::<f64, f64>(&apply, &apply, xs, order, &Config::f64(), "f64");
        if !r.passed() {
            return Err(fail(
                format!("gradient check in f64 failed (orders 1..={order})"),
                r,
            ));
        }
        let xs32: Vec<Tensor<f32>> = xs.iter().map(|x| x.cast()).collect();
        let cfg = Config::promoted_f32();
        let r = gradcheck::run::<f32, f64>(
            &apply,
            &apply,
            &xs32,
            order,
            &cfg,
            "f32 against f64 differences",
        );
        if !r.passed() {
            return Err(fail(
                format!("gradient check in f32 failed (orders 1..={order})"),
                r,
            ));
        }
        let mut n = 2;
        if self.twice && self.accepts(&vec![xs[0].shape().to_vec(); self.arity]) {
            let twice = Twice(&self.make, self.arity);
            let x = std::slice::from_ref(&xs[0]);
            let r = gradcheck::run::<f64, f64>(&twice, &twice, x, order, &Config::f64(), "f64");
            if !r.passed() {
                return Err(fail(
                    "gradient check with the same variable as every input failed".into(),
                    r,
                ));
            }
            n += 1;
        }
        let elements: usize = xs.iter().map(|x| x.as_slice().len()).sum();
        if elements <= structure::MAX_ELEMENTS {
            if let Some(what) = partials::mismatch::<O>(&self.make, xs) {
                return Err(found(what));
            }
            // first: the structure's check pushes batches through the op too
            if let Some(what) = batches::mismatch::<O>(&self.make, xs) {
                return Err(found(what));
            }
            n += 1;
            if let Some(what) = structure::uncovered::<O>(&self.make, xs) {
                return Err(found(what));
            }
            n += 1;
        }
        Ok(n)
    }

    /// True when the op's forward accepts inputs of these shapes.
    fn accepts(&self, shapes: &[Vec<usize>]) -> bool {
        let tape = Tape::<f64>::new();
        let xs: Vec<_> = shapes.iter().map(|s| tape.leaf(Tensor::ones(s))).collect();
        tape.try_apply((self.make)(), &xs).is_ok()
    }

    /// The op must refuse each incompatible set of shapes, in f64 and f32, with an error
    /// naming the op and every shape. Returns the number of cases.
    fn check_error_path(&self) -> Result<usize, KitFailure> {
        let mut cases = self.rejects.clone();
        if matches!(self.shapes, Shapes::Broadcast) && self.arity >= 2 {
            let mut shapes = vec![vec![4]; self.arity];
            shapes[0] = vec![2, 3];
            cases.push(shapes);
        }
        for shapes in &cases {
            let problem = self
                .refusal::<f64>(shapes)
                .or_else(|| self.refusal::<f32>(shapes));
            if let Some(what) = problem {
                return Err(KitFailure {
                    op: self.name(),
                    what,
                    inputs: Vec::new(),
                    report: None,
                });
            }
        }
        Ok(cases.len())
    }

    /// What is wrong with how the op refuses `shapes` in `T`, if anything.
    fn refusal<T: Float>(&self, shapes: &[Vec<usize>]) -> Option<String>
    where
        O: Op<T>,
    {
        let tape = Tape::<T>::new();
        let xs: Vec<_> = shapes.iter().map(|s| tape.leaf(Tensor::ones(s))).collect();
        let name = self.name();
        match tape.try_apply((self.make)(), &xs) {
            Ok(y) => Some(format!(
                "accepted incompatible shapes {shapes:?} in {} (gave shape {:?})",
                T::NAME,
                y.shape()
            )),
            Err(e) if e.op != name => Some(format!(
                "error for shapes {shapes:?} names `{}`, not `{name}`",
                e.op
            )),
            Err(e) => shapes
                .iter()
                .find(|s| !e.message.contains(&format!("{s:?}")))
                .map(|s| format!("error for shapes {shapes:?} does not name {s:?}: {e}")),
        }
    }
}
