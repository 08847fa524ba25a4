//! The checker's result: every comparison folded into a few numbers, the worst elements,
//! nodes at kinks, the first wrong node, and a readable table.

use crate::diagnostics::NodeInfo;
use std::fmt;

/// Which of the engine's backward computations gave the derivative of one comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GradientRoute {
    /// [`Tape::grad`](tapegrad_core::Tape::grad): the recorded sweep.
    TapeGrad,
    /// [`Var::backward`](tapegrad_core::Var::backward): the tensor sweep.
    Backward,
    /// A Jacobian-vector product, by differentiating the recorded VJP with respect to its
    /// cotangent (the "double VJP" trick).
    Jvp,
}

impl fmt::Display for GradientRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GradientRoute::TapeGrad => "grad",
            GradientRoute::Backward => "backward",
            GradientRoute::Jvp => "jvp",
        })
    }
}

/// Which number was compared.
///
/// At order `k` the checked function is `F₁ = f` (one output) or, for `k ≥ 2`, the
/// engine's recorded gradient `Fₖ = ∇ Lₖ₋₁` (one output per input); see the module doc.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Position {
    /// One Jacobian entry `∂ outputs[output][out_element] / ∂ inputs[input][element]`
    /// (elements row-major, also given as multi-indices).
    Jacobian {
        /// Which output of `Fₖ`.
        output: usize,
        /// Row-major element of that output.
        out_element: usize,
        /// Multi-index of that element.
        out_index: Vec<usize>,
        /// Which input.
        input: usize,
        /// Row-major element of that input.
        element: usize,
        /// Multi-index of that element.
        in_index: Vec<usize>,
    },
    /// A random direction `u` of the inputs and cotangent `v` of the outputs: the number
    /// `⟨v, J u⟩` (`output: None`), or one element of `J u` (route [`GradientRoute::Jvp`]).
    Direction {
        /// Which direction (0-based; the directions come from the seeded generator).
        direction: usize,
        /// `(output, element)` of `J u`, or `None` for `⟨v, J u⟩`.
        output: Option<(usize, usize)>,
    },
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Jacobian {
                output,
                out_index,
                input,
                in_index,
                ..
            } => write!(f, "d y{output}{out_index:?} / d x{input}{in_index:?}"),
            Position::Direction {
                direction,
                output: None,
            } => write!(f, "dir {direction}: <v, J u>"),
            Position::Direction {
                direction,
                output: Some((o, e)),
            } => write!(f, "dir {direction}: (J u) y{o}[{e}]"),
        }
    }
}

/// One comparison of the engine's derivative (`analytic`) with finite differences.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Derivative order.
    pub order: usize,
    /// Which backward computation produced `analytic`.
    pub route: GradientRoute,
    /// Which number.
    pub at: Position,
    /// The engine's value.
    pub analytic: f64,
    /// The central-difference value.
    pub numeric: f64,
    /// `|analytic − numeric| / (atol + rtol·|numeric|)`: above 1 is outside tolerance.
    pub badness: f64,
}

impl Entry {
    /// `|analytic − numeric|` (0 when both are the same infinity or both NaN).
    pub fn abs_err(&self) -> f64 {
        if agree_exactly(self.analytic, self.numeric) {
            0.0
        } else {
            (self.analytic - self.numeric).abs()
        }
    }

    /// `|analytic − numeric| / max(|analytic|, |numeric|)` (0 when both are 0).
    pub fn rel_err(&self) -> f64 {
        let d = self.abs_err();
        if d == 0.0 {
            0.0
        } else {
            d / self.analytic.abs().max(self.numeric.abs())
        }
    }

    /// True when outside tolerance.
    pub fn failed(&self) -> bool {
        // NaN badness cannot happen (see `badness`), but would count as a failure.
        self.badness > 1.0 || self.badness.is_nan()
    }
}

fn agree_exactly(a: f64, n: f64) -> bool {
    a == n || (a.is_nan() && n.is_nan())
}

/// The badness of a comparison: 0 for exact agreement (same infinity, both NaN), infinity
/// when exactly one side is NaN.
pub(crate) fn badness(analytic: f64, numeric: f64, atol: f64, rtol: f64) -> f64 {
    if agree_exactly(analytic, numeric) {
        return 0.0;
    }
    let d = (analytic - numeric).abs();
    if d.is_nan() {
        return f64::INFINITY;
    }
    d / (atol + rtol * numeric.abs())
}

/// The overall outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every comparison within tolerance, no structural problem.
    Pass,
    /// Some comparisons are outside tolerance, but the function is evaluated at a kink
    /// (see [`Report::kinks`]) and no node is wrong on its own: finite differences straddle
    /// the kink, so the disagreement is expected.
    Kink,
    /// Wrong.
    Fail,
}

/// The node a failing check was traced to: its own VJP disagrees with finite differences
/// of that node alone (see [`Report::culprit`]).
#[derive(Clone, Debug)]
pub struct Culprit {
    /// The node: op label, position, creation site.
    pub node: NodeInfo,
    /// The check of that node alone (its inputs fixed at their values in the expression).
    pub report: Box<Report>,
}

/// The result of a gradient check.
///
/// `Display` prints a summary and the worst elements as a table:
///
/// ```text
/// gradient check FAILED (f64, full Jacobian, orders 1..=2, eps 1e-6, atol 1e-5, rtol 1e-3, seed 0)
///   182 comparisons, 3 outside tolerance; max abs error 2.000e0, max rel error 5.000e-1
///   order route     analytic       numeric      abs err  where
///       1 grad    1.000000e0    2.000000e0    1.000e0  d y0[1] / d x0[1]
///   ...
///   first wrong node: #7 `bad_square` at tests/custom_op.rs:40:17 (its own VJP is off by up to 2.000e0 at order 1)
/// ```
#[derive(Clone, Debug)]
pub struct Report {
    /// What was checked: element type and where the finite differences were taken.
    pub dtype: &'static str,
    /// `"full Jacobian"` or `"N random directions"`.
    pub strategy: String,
    /// Highest order checked (all orders `1..=order` are).
    pub order: usize,
    /// Finite-difference step.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance.
    pub rtol: f64,
    /// Seed of the random cotangents and directions.
    pub seed: u64,
    /// Number of comparisons made.
    pub compared: usize,
    /// Number outside tolerance.
    pub failures: usize,
    /// The lowest order with a failure.
    pub first_failing_order: Option<usize>,
    /// Largest `|analytic − numeric|`.
    pub max_abs_err: f64,
    /// Largest `|analytic − numeric| / max(|analytic|, |numeric|)`.
    pub max_rel_err: f64,
    /// The comparisons closest to (or furthest past) tolerance, worst first.
    pub worst: Vec<Entry>,
    /// Nodes evaluated at a non-differentiable point ([`Op::is_at_kink`](tapegrad_core::Op::is_at_kink)).
    pub kinks: Vec<NodeInfo>,
    /// For a failing check: the first node (in creation order) whose own VJP disagrees
    /// with finite differences of that node alone.
    pub culprit: Option<Culprit>,
    /// Structural problems: gradient shapes, backward not repeatable, a zero cotangent
    /// giving non-zero gradients.
    pub problems: Vec<String>,
    /// The outcome.
    pub verdict: Verdict,
    keep: usize,
}

impl Report {
    pub(crate) fn new(dtype: &'static str, order: usize, cfg: &super::Config) -> Self {
        Report {
            dtype,
            strategy: String::new(),
            order,
            eps: cfg.eps,
            atol: cfg.atol,
            rtol: cfg.rtol,
            seed: cfg.seed,
            compared: 0,
            failures: 0,
            first_failing_order: None,
            max_abs_err: 0.0,
            max_rel_err: 0.0,
            worst: Vec::new(),
            kinks: Vec::new(),
            culprit: None,
            problems: Vec::new(),
            verdict: Verdict::Pass,
            keep: cfg.worst,
        }
    }

    /// True unless the verdict is [`Verdict::Fail`].
    pub fn passed(&self) -> bool {
        self.verdict != Verdict::Fail
    }

    /// Folds one comparison in.
    pub(crate) fn compare(
        &mut self,
        order: usize,
        route: GradientRoute,
        at: Position,
        analytic: f64,
        numeric: f64,
    ) {
        let entry = Entry {
            order,
            route,
            at,
            analytic,
            numeric,
            badness: badness(analytic, numeric, self.atol, self.rtol),
        };
        self.compared += 1;
        let (abs, rel) = (entry.abs_err(), entry.rel_err());
        self.max_abs_err = if abs.is_nan() {
            f64::NAN
        } else {
            self.max_abs_err.max(abs)
        };
        self.max_rel_err = if rel.is_nan() {
            f64::NAN
        } else {
            self.max_rel_err.max(rel)
        };
        if entry.failed() {
            self.failures += 1;
            self.first_failing_order =
                Some(self.first_failing_order.map_or(order, |o| o.min(order)));
        }
        // Keep the `keep` worst, sorted worst first; equal badness keeps the earlier.
        let pos = self.worst.partition_point(|e| e.badness >= entry.badness);
        if pos < self.keep {
            self.worst.insert(pos, entry);
            self.worst.truncate(self.keep);
        }
    }

    /// Records a structural problem (fails the check).
    pub(crate) fn problem(&mut self, p: String) {
        if !self.problems.contains(&p) {
            self.problems.push(p);
        }
    }

    /// Notes nodes at a kink, once each.
    pub(crate) fn add_kinks(&mut self, kinks: Vec<NodeInfo>) {
        for k in kinks {
            if !self.kinks.iter().any(|o| o.op == k.op && o.site == k.site) {
                self.kinks.push(k);
            }
        }
    }

    /// Decides the verdict once everything is compared; `localise` is called only for a
    /// failing comparison (it is the expensive part).
    pub(crate) fn finish(&mut self, localise: impl FnOnce(usize) -> Option<Culprit>) {
        self.verdict = if !self.problems.is_empty() {
            Verdict::Fail
        } else if self.failures == 0 {
            Verdict::Pass
        } else {
            self.culprit = localise(self.first_failing_order.unwrap_or(1));
            if self.culprit.is_none() && !self.kinks.is_empty() {
                Verdict::Kink
            } else {
                Verdict::Fail
            }
        };
    }
}

fn sci(x: f64) -> String {
    format!("{x:.6e}")
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = match self.verdict {
            Verdict::Pass => "passed",
            Verdict::Kink => "passed at a kink",
            Verdict::Fail => "FAILED",
        };
        writeln!(
            f,
            "gradient check {verdict} ({}, {}, orders 1..={}, eps {:e}, atol {:e}, rtol {:e}, seed {})",
            self.dtype, self.strategy, self.order, self.eps, self.atol, self.rtol, self.seed
        )?;
        writeln!(
            f,
            "  {} comparisons, {} outside tolerance; max abs error {:.3e}, max rel error {:.3e}",
            self.compared, self.failures, self.max_abs_err, self.max_rel_err
        )?;
        if !self.worst.is_empty() {
            writeln!(
                f,
                "  {:>5} {:<8} {:>14} {:>14} {:>10}  where",
                "order", "route", "analytic", "numeric", "abs err"
            )?;
            for e in &self.worst {
                writeln!(
                    f,
                    "  {:>5} {:<8} {:>14} {:>14} {:>10.3e}  {}{}",
                    e.order,
                    e.route.to_string(),
                    sci(e.analytic),
                    sci(e.numeric),
                    e.abs_err(),
                    e.at,
                    if e.failed() {
                        "  <- outside tolerance"
                    } else {
                        ""
                    }
                )?;
            }
        }
        for p in &self.problems {
            writeln!(f, "  problem: {p}")?;
        }
        if let Some(c) = &self.culprit {
            writeln!(
                f,
                "  first wrong node: {} (its own VJP is off by up to {:.3e} at order {})",
                c.node,
                c.report.max_abs_err,
                c.report.first_failing_order.unwrap_or(1)
            )?;
        } else if self.verdict == Verdict::Fail && self.failures > 0 {
            writeln!(
                f,
                "  no single node is wrong on its own (a VJP computed outside the tape, or an \
                 op whose result depends on more than its inputs?)"
            )?;
        }
        if !self.kinks.is_empty() {
            writeln!(
                f,
                "  at a kink (finite differences straddle it; not counted as wrong):"
            )?;
            for k in &self.kinks {
                writeln!(f, "    {k}")?;
            }
        }
        Ok(())
    }
}
