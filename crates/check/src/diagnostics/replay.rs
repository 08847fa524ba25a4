//! Diagnostics of a [`Plan`]: anomaly mode for its replays (the first NaN or infinity,
//! named with the op and the line that traced it) and a DOT export of the optimised
//! instruction list. Tapes' diagnostics are in the sibling modules.

use super::Summary;
use std::fmt;
use std::fmt::Write;
use std::panic::Location;
use tapegrad_core::{Error, Float, Plan, Tensor};

/// The first NaN or infinity an op made during a plan's replay
/// ([`PlanDiagnostics::run_detecting_anomalies`]).
#[derive(Clone, Debug)]
pub struct ReplayAnomaly {
    /// The instruction's index in the plan's listing (a fused chain's ops share one).
    pub instruction: usize,
    /// The op's label (an op inside a fused chain is named on its own).
    pub op: String,
    /// The line that applied the op when the plan was traced (a line in an op's VJP for
    /// an op of the backward pass).
    pub site: &'static Location<'static>,
    /// Summaries of the values the op read.
    pub inputs: Vec<Summary>,
    /// A summary of the value it made.
    pub value: Summary,
}

impl fmt::Display for ReplayAnomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut what = Vec::new();
        for (n, word) in [
            (self.value.nan, "NaN"),
            (self.value.pos_inf, "+inf"),
            (self.value.neg_inf, "-inf"),
        ] {
            if n > 0 {
                what.push(word);
            }
        }
        writeln!(
            f,
            "anomaly in a plan replay: {} (instruction {}) traced at {}:{} produced {}",
            self.op,
            self.instruction,
            self.site.file(),
            self.site.line(),
            what.join(" and ")
        )?;
        writeln!(f, "  value: {}", self.value)?;
        for (i, x) in self.inputs.iter().enumerate() {
            writeln!(f, "  input {i}: {x}")?;
        }
        Ok(())
    }
}

/// Diagnostics as methods of a plan (bring this trait into scope, or use the prelude).
pub trait PlanDiagnostics<T: Float> {
    /// [`Plan::run`] in anomaly mode: the outputs, and the first op whose value is not
    /// finite, with the line that traced it and summaries of what it read. The replay
    /// goes through [`Plan::run_observed`]: every op is scanned, the ops of a fused chain
    /// one by one, so it costs more than a plain replay; run it to find a NaN, not to
    /// train.
    ///
    /// ```
    /// use tapegrad_check::diagnostics::PlanDiagnostics;
    /// use tapegrad_core::{Plan, Tensor};
    /// let mut plan = Plan::trace(&[Tensor::<f64>::vector(vec![1.0, 2.0])], |_, x| {
    ///     let y = x[0] * 2.0 - 2.0;
    ///     vec![(y / y).sum()] // NaN where x = 1
    /// })
    /// .unwrap();
    /// let (_, anomaly) = plan.run_detecting_anomalies(&[Tensor::vector(vec![3.0, 4.0])]).unwrap();
    /// assert!(anomaly.is_none());
    /// let (_, anomaly) = plan.run_detecting_anomalies(&[Tensor::vector(vec![1.0, 4.0])]).unwrap();
    /// let a = anomaly.expect("0/0");
    /// assert_eq!((a.op.as_str(), a.site.line(), a.value.nan), ("div", line!() - 7, 1));
    /// ```
    #[allow(clippy::type_complexity)]
    fn run_detecting_anomalies(
        &mut self,
        inputs: &[Tensor<T>],
    ) -> Result<(Vec<Tensor<T>>, Option<ReplayAnomaly>), Error>;

    /// The optimised plan as a Graphviz DOT graph: inputs and constants as boxes, one
    /// node per instruction (a fused chain as one, labelled with its ops) with its shape
    /// and traced line, an edge per value read, the outputs marked.
    fn to_dot(&self) -> String;
}

impl<T: Float> PlanDiagnostics<T> for Plan<T> {
    #[track_caller]
    fn run_detecting_anomalies(
        &mut self,
        inputs: &[Tensor<T>],
    ) -> Result<(Vec<Tensor<T>>, Option<ReplayAnomaly>), Error> {
        let mut first = None;
        let outputs = self.run_observed(inputs, |step| {
            let finite = step.output.as_slice().iter().all(|x| x.is_finite());
            if first.is_none() && !finite {
                first = Some(ReplayAnomaly {
                    instruction: step.instruction,
                    op: step.op.clone(),
                    site: step.site,
                    inputs: step.inputs.iter().map(|x| Summary::of(x)).collect(),
                    value: Summary::of(step.output),
                });
            }
        })?;
        Ok((outputs, first))
    }

    fn to_dot(&self) -> String {
        let mut out = String::from("digraph plan {\n  rankdir=TB;\n");
        // which node last wrote each slot
        let mut writer: Vec<Option<String>> = Vec::new();
        let set = |writer: &mut Vec<Option<String>>, slot: usize, name: String| {
            if writer.len() <= slot {
                writer.resize(slot + 1, None);
            }
            writer[slot] = Some(name);
        };
        for c in 0..self.stats().constants {
            let _ = writeln!(
                out,
                "  c{c} [shape=box, style=dashed, label=\"constant %{c}\"];"
            );
            set(&mut writer, c, format!("c{c}"));
        }
        for (i, slot) in self.input_slots().into_iter().enumerate() {
            let shape = &self.input_shapes()[i];
            let _ = writeln!(
                out,
                "  x{i} [shape=box, style=filled, fillcolor=lightblue, label=\"input {i}\\n{shape:?}\"];"
            );
            if let Some(s) = slot {
                set(&mut writer, s, format!("x{i}"));
            }
        }
        for (k, ins) in self.instructions().iter().enumerate() {
            let fused = ins.op.starts_with("fused(");
            let _ = writeln!(
                out,
                "  i{k} [shape={}, label=\"{}\\n{:?}\\n{}:{}\"];",
                if fused { "box3d" } else { "ellipse" },
                escape(&ins.op),
                ins.shape,
                escape(ins.site.file()),
                ins.site.line()
            );
            for &s in &ins.inputs {
                if let Some(Some(from)) = writer.get(s) {
                    let _ = writeln!(out, "  {from} -> i{k};");
                }
            }
            for &s in &ins.outputs {
                set(&mut writer, s, format!("i{k}"));
            }
        }
        for (j, s) in self.output_slots().into_iter().enumerate() {
            let _ = writeln!(out, "  y{j} [shape=plaintext, label=\"output {j}\"];");
            if let Some(Some(from)) = writer.get(s) {
                let _ = writeln!(out, "  {from} -> y{j};");
            }
        }
        out.push_str("}\n");
        out
    }
}

/// `s` with quotes and backslashes escaped for a DOT label.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_anomaly_names_an_op_inside_a_fused_chain_and_its_traced_line() {
        // (x - 1)/(x - 1) is never materialised (one fused loop with its sum); at x = 1
        // it is 0/0, and anomaly mode names the `div` and its line
        let mut plan = Plan::trace(&[Tensor::<f64>::vector(vec![2.0, 3.0, 4.0])], |_, x| {
            let d = x[0] - 1.0;
            vec![(d / d).sum()]
        })
        .unwrap();
        let div_line = line!() - 3;
        assert_eq!(plan.stats().instructions, 1, "{plan}");
        let at = [Tensor::vector(vec![2.0, 1.0, 4.0])];
        let (out, anomaly) = plan.run_detecting_anomalies(&at).unwrap();
        let a = anomaly.expect("0/0 at x = 1");
        assert_eq!((a.instruction, a.op.as_str()), (0, "div"));
        assert_eq!((a.site.file(), a.site.line()), (file!(), div_line));
        assert_eq!((a.value.nan, a.inputs.len()), (1, 2));
        assert!(a.to_string().contains("produced NaN"), "{a}");
        // the outputs are the plain replay's
        let plain = plan.run(&at).unwrap();
        assert!(out[0].item().is_nan() && plain[0].item().is_nan());
    }

    #[test]
    fn replay_anomaly_names_a_backward_op_at_its_vjp_and_none_when_finite() {
        let mut plan = Plan::trace(&[Tensor::<f64>::vector(vec![1.0, 4.0])], |tape, x| {
            let y = x[0].sqrt().sum();
            tape.grad(y, x)
        })
        .unwrap();
        let (out, anomaly) = plan
            .run_detecting_anomalies(&[Tensor::vector(vec![1.0, 4.0])])
            .unwrap();
        assert!(anomaly.is_none());
        assert_eq!(out[0].as_slice(), &[0.5, 0.25]);
        // at 0, sqrt is finite but its gradient 1/(2√0) is not: an op of sqrt's VJP
        let (_, anomaly) = plan
            .run_detecting_anomalies(&[Tensor::vector(vec![0.0, 4.0])])
            .unwrap();
        let a = anomaly.expect("an infinite gradient");
        assert!(a.site.file().contains("sqrt"), "{a}");
        assert_eq!(a.value.pos_inf, 1, "{a}");
    }

    #[test]
    fn plan_dot_shows_inputs_fused_chains_and_outputs() {
        let plan = Plan::trace(
            &[Tensor::<f64>::vector(vec![1.0, 2.0]), Tensor::scalar(3.0)],
            |tape, v| {
                let loss = ((v[0] * v[1]).exp() + 1.0).sum();
                let mut out = vec![loss];
                out.extend(tape.grad(loss, v));
                out
            },
        )
        .unwrap();
        let dot = plan.to_dot();
        assert!(dot.starts_with("digraph plan {"), "{dot}");
        assert!(dot.contains("x0 [") && dot.contains("x1 ["), "{dot}");
        assert!(dot.contains("fused("), "{dot}");
        assert!(dot.contains("\"exp"), "{dot}");
        for j in 0..3 {
            assert!(dot.contains(&format!("-> y{j};")), "output {j}: {dot}");
        }
        assert_eq!(dot.matches("-> i").count() + 3, dot.matches("->").count());
    }
}
