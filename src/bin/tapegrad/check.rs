//! `--check`: the engine's derivatives against central finite differences, with the core's
//! gradient checker, reporting the worst disagreement.

use crate::ast::Ast;
use crate::eval::evaluate;
use crate::point::Point;
use tapegrad::core::gradcheck::{check_gradients_with, GradcheckConfig, GradcheckError, Mismatch};
use tapegrad::prelude::Tensor;

/// What the checker found.
#[derive(Clone, Debug)]
pub struct Report {
    /// The highest order checked (1, or 2 with `--hessian`).
    pub order: usize,
    /// Step and tolerances used.
    pub config: GradcheckConfig,
    pub outcome: Outcome,
}

/// Whether the check ran and how it went.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// It ran: `passed` within the tolerances; `worst` is the largest disagreement (`None`
    /// when every derivative matched its finite difference exactly).
    Ran {
        passed: bool,
        worst: Option<Mismatch>,
    },
    /// The checker found the derivatives malformed (not a numeric disagreement).
    Invalid(String),
    /// Nothing was checked, for this reason.
    Skipped(String),
}

impl Report {
    /// A check that did not run.
    pub fn skipped(order: usize, why: &str) -> Self {
        Report {
            order,
            config: GradcheckConfig::default(),
            outcome: Outcome::Skipped(why.into()),
        }
    }

    /// True unless the check ran and failed.
    pub fn ok(&self) -> bool {
        match &self.outcome {
            Outcome::Ran { passed, .. } => *passed,
            Outcome::Invalid(_) => false,
            Outcome::Skipped(_) => true,
        }
    }
}

/// Checks orders `1..=order` of `ast` at `point` (the checker's default step and
/// tolerances), through both of the engine's doors.
pub fn run(ast: &Ast, point: &Point, binding: &[usize], order: usize) -> Report {
    if point.values.is_empty() {
        return Report::skipped(order, "there are no variables");
    }
    let inputs: Vec<Tensor<f64>> = point.values.iter().map(|&x| Tensor::scalar(x)).collect();
    let check = |cfg: &GradcheckConfig| {
        check_gradients_with(
            |xs| {
                let vars: Vec<_> = binding.iter().map(|&k| xs[k]).collect();
                evaluate(ast, xs[0].tape(), &vars)[ast.root()]
            },
            &inputs,
            order,
            cfg,
        )
    };
    let config = GradcheckConfig::default();
    // # Design
    // The checker lists only elements outside its tolerances; with zero tolerances every
    // element that differs at all is listed, worst first, which gives the worst error even
    // when the check passes.
    let exact = GradcheckConfig {
        atol: 0.0,
        rtol: 0.0,
        ..config.clone()
    };
    let outcome = match (check(&config), check(&exact)) {
        (Err(GradcheckError::Invalid(why)), _) | (_, Err(GradcheckError::Invalid(why))) => {
            Outcome::Invalid(why)
        }
        (within, all) => Outcome::Ran {
            passed: within.is_ok(),
            worst: match all {
                Ok(()) => None,
                Err(GradcheckError::Mismatch(ms)) => worst(ms),
                Err(GradcheckError::Invalid(_)) => unreachable!("handled above"),
            },
        },
    };
    Report {
        order,
        config,
        outcome,
    }
}

/// The mismatch with the largest error, a NaN error counting as the largest.
fn worst(ms: Vec<Mismatch>) -> Option<Mismatch> {
    let err = |m: &Mismatch| {
        let e = (m.analytic - m.numeric).abs();
        if e.is_nan() {
            f64::INFINITY
        } else {
            e
        }
    };
    ms.into_iter().max_by(|a, b| err(a).total_cmp(&err(b)))
}
