//! `--check`: the engine's derivatives against central finite differences, with the core's
//! gradient checker, reporting the worst disagreement.

use crate::ast::Ast;
use crate::eval::evaluate;
use crate::point::Point;
use tapegrad::core::gradcheck::{check, Config, Position, Verdict};
use tapegrad::prelude::Tensor;

/// What the checker found.
#[derive(Clone, Debug)]
pub struct Report {
    /// The highest order checked (1, or 2 with `--hessian`).
    pub order: usize,
    /// Step and tolerances used.
    pub config: Config,
    pub outcome: Outcome,
}

/// Whether the check ran and how it went.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// It ran.
    Ran {
        /// Pass, a disagreement explained by a kink, or a failure.
        verdict: Verdict,
        /// The comparison with the largest absolute error (`None` if nothing was compared).
        worst: Option<Worst>,
        /// The ops evaluated at a non-differentiable point, as `label (column)`.
        kinks: Vec<String>,
        /// Structural problems the checker found (malformed derivatives).
        problems: Vec<String>,
    },
    /// Nothing was checked, for this reason.
    Skipped(String),
}

/// One comparison of an engine derivative with its finite difference.
#[derive(Clone, Debug)]
pub struct Worst {
    /// `|engine − finite difference|`.
    pub error: f64,
    /// Derivative order.
    pub order: usize,
    /// `grad`, `backward` or `jvp`.
    pub door: String,
    /// The variable differentiated by (an index into the point's names).
    pub variable: Option<usize>,
    /// The engine's value.
    pub engine: f64,
    /// The central difference.
    pub finite_difference: f64,
}

impl Report {
    /// A check that did not run.
    pub fn skipped(order: usize, why: &str) -> Self {
        Report {
            order,
            config: Config::f64(),
            outcome: Outcome::Skipped(why.into()),
        }
    }

    /// True unless the check ran and failed.
    pub fn ok(&self) -> bool {
        match &self.outcome {
            Outcome::Ran { verdict, .. } => *verdict != Verdict::Fail,
            Outcome::Skipped(_) => true,
        }
    }
}

/// Checks orders `1..=order` of `ast` at `point` (the checker's default step and
/// tolerances, full Jacobian), through both of the engine's doors.
pub fn run(ast: &Ast, point: &Point, binding: &[usize], order: usize) -> Report {
    if point.values.is_empty() {
        return Report::skipped(order, "there are no variables");
    }
    let inputs: Vec<Tensor<f64>> = point.values.iter().map(|&x| Tensor::scalar(x)).collect();
    let config = Config::f64();
    let report = check(
        |xs| {
            let vars: Vec<_> = binding.iter().map(|&k| xs[k]).collect();
            evaluate(ast, xs[0].tape(), &vars)[ast.root()]
        },
        &inputs,
        order,
        &config,
    );
    // The report keeps the comparisons nearest to failing; the largest absolute error
    // among them is the worst error (the checker's `max_abs_err`).
    let worst = report
        .worst
        .iter()
        .max_by(|a, b| a.abs_err().total_cmp(&b.abs_err()))
        .map(|e| Worst {
            error: e.abs_err(),
            order: e.order,
            door: e.door.to_string(),
            variable: match e.at {
                Position::Jacobian { input, .. } => Some(input),
                Position::Direction { .. } => None,
            },
            engine: e.analytic,
            finite_difference: e.numeric,
        });
    let kinks = report.kinks.iter().map(|k| format!("`{}`", k.op)).collect();
    Report {
        order,
        config,
        outcome: Outcome::Ran {
            verdict: report.verdict,
            worst,
            kinks,
            problems: report.problems.clone(),
        },
    }
}
