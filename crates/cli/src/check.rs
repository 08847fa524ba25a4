//! `--check`: the engine's derivatives against central finite differences, with the core's
//! gradient checker, reporting the worst disagreement.
//!
//! # Design
//! A central difference whose stencil crosses a kink, a pole or a domain edge measures the
//! jump, not the derivative (`relu` at 1e-9 with step 1e-6 sees 0.5). So a failure is
//! believed only when no operation's singular point lies between the stencil points; when
//! one does, the check is run again with smaller steps that stay on one side, and if none
//! does the verdict is "inconclusive", naming the point: never a blame on a derivative
//! that finite differences could not see.

use crate::ast::Ast;
use crate::eval::evaluate;
use crate::point::Point;
use crate::singular;
use tapegrad_check::gradcheck::{check, Config, Position, Verdict};
use tapegrad_core::Tensor;

/// What the checker found.
#[derive(Clone, Debug)]
pub struct Report {
    /// The highest order checked (1, or 2 with `--hessian`).
    pub order: usize,
    /// Step and tolerances used.
    pub config: Config,
    pub outcome: Outcome,
    /// Why the step is smaller than the checker's default, when it is.
    pub smaller_step: Option<String>,
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
    /// Every stencil crossed a singular point; says which.
    Inconclusive(String),
}

/// One comparison of an engine derivative with its finite difference.
#[derive(Clone, Debug)]
pub struct Worst {
    /// `|engine − finite difference|`.
    pub error: f64,
    /// Derivative order.
    pub order: usize,
    /// `grad`, `backward` or `jvp`.
    pub route: String,
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
            smaller_step: None,
        }
    }

    /// True unless the check ran and failed.
    pub fn ok(&self) -> bool {
        match &self.outcome {
            Outcome::Ran { verdict, .. } => *verdict != Verdict::Fail,
            Outcome::Skipped(_) | Outcome::Inconclusive(_) => true,
        }
    }
}

/// Steps tried, after the checker's default, when its stencil crosses a singular point.
const SMALLER_STEPS: [f64; 6] = [1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12];

/// Checks orders `1..=order` of `ast` (written as `src`) at `point`: the checker's default
/// step and tolerances, full Jacobian, both ways the engine differentiates (`backward()`
/// and the recorded `tape.grad`); smaller steps when the default one crosses a singular
/// point (see the module's design note).
pub fn run(ast: &Ast, src: &str, point: &Point, binding: &[usize], order: usize) -> Report {
    if point.values.is_empty() {
        return Report::skipped(order, "there are no variables");
    }
    let config = Config::f64();
    let first = once(ast, src, point, binding, order, config.clone());
    if first.ok() {
        return first;
    }
    let vars: Vec<f64> = binding.iter().map(|&k| point.values[k]).collect();
    let crossed = singular::crossed(ast, src, &vars, config.eps);
    if crossed.is_empty() {
        return first;
    }
    let crossing = format!(
        "the step {:e} crosses {}",
        config.eps,
        crossed.join(" and ")
    );
    let mut last = None;
    for eps in SMALLER_STEPS {
        if !singular::crossed(ast, src, &vars, eps).is_empty() {
            continue;
        }
        let mut report = once(
            ast,
            src,
            point,
            binding,
            order,
            Config {
                eps,
                ..config.clone()
            },
        );
        report.smaller_step = Some(crossing.clone());
        if report.ok() {
            return report;
        }
        last = Some(report);
    }
    last.unwrap_or_else(|| Report {
        outcome: Outcome::Inconclusive(format!(
            "the stencil crosses {} (steps {:e} to {:e} all do)",
            crossed.join(" and "),
            config.eps,
            SMALLER_STEPS[SMALLER_STEPS.len() - 1]
        )),
        ..first
    })
}

/// One run of the checker with `config`.
fn once(
    ast: &Ast,
    src: &str,
    point: &Point,
    binding: &[usize],
    order: usize,
    config: Config,
) -> Report {
    let inputs: Vec<Tensor<f64>> = point.values.iter().map(|&x| Tensor::scalar(x)).collect();
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
            route: e.route.to_string(),
            variable: match e.at {
                Position::Jacobian { input, .. } => Some(input),
                Position::Direction { .. } => None,
            },
            engine: e.analytic,
            finite_difference: e.numeric,
        });
    let kinks = if report.kinks.is_empty() {
        Vec::new()
    } else {
        // The engine names its ops (`maximum`); the user wrote `max(x, y)`.
        let vars: Vec<f64> = binding.iter().map(|&k| point.values[k]).collect();
        let ours = singular::at(ast, src, &vars);
        if ours.is_empty() {
            report.kinks.iter().map(|k| format!("`{}`", k.op)).collect()
        } else {
            ours
        }
    };
    Report {
        order,
        config,
        outcome: Outcome::Ran {
            verdict: report.verdict,
            worst,
            kinks,
            problems: report.problems.clone(),
        },
        smaller_step: None,
    }
}
