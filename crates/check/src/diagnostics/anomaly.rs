//! Anomaly mode: the first NaN or infinity produced in the forward or the backward pass,
//! reported with the op, the line that created it and summaries of its inputs.
//!
//! # Design
//! The report is made while the program runs, from what the tape already holds, so there
//! is nothing to re-run. Anomaly mode is an [`Observer`] of the tape: off (the default),
//! the cost is the tape's one flag read per op applied and per node visited by the
//! backward sweep. On, every op's output and every gradient is scanned once; only the
//! first anomaly is kept, since later ones are usually its consequences.

use super::{NodeInfo, Summary};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use tapegrad_core::{Float, NodeKind, Observer, Op, Tape, Tensor, Var};

/// Which phase (forward or backward pass) produced an anomaly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// An op's output.
    Forward,
    /// A gradient computed by an op's VJP.
    Backward,
}

/// The first NaN or infinity seen in anomaly mode (see
/// [`Diagnostics::detect_anomalies`](super::Diagnostics::detect_anomalies)).
#[derive(Clone, Debug)]
pub struct Anomaly {
    /// Forward (an op's output) or backward (a gradient).
    pub phase: Phase,
    /// Forward: the node whose value is not finite. Backward: the node whose VJP produced
    /// the non-finite gradient.
    pub node: NodeInfo,
    /// The inputs of that node, each with a summary of its value.
    pub inputs: Vec<(NodeInfo, Summary)>,
    /// Forward: the node's value. Backward: the non-finite gradient (or intermediate).
    pub value: Summary,
    /// Backward: the cotangent `dy` the VJP received.
    pub cotangent: Option<Summary>,
    /// Backward: the input whose gradient is not finite, when the VJP returned it.
    pub gradient_of: Option<usize>,
    /// Backward through the recorded sweep ([`Tape::grad`]): the op recorded by the VJP
    /// that first produced the non-finite value (its site is in the op's VJP code).
    pub inside: Option<NodeInfo>,
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = non_finite_words(&self.value);
        match self.phase {
            Phase::Forward => writeln!(
                f,
                "anomaly in the forward pass: {} produced {what}",
                self.node
            )?,
            Phase::Backward => {
                write!(
                    f,
                    "anomaly in the backward pass: the VJP of {} produced {what}",
                    self.node
                )?;
                match self.gradient_of {
                    Some(i) => writeln!(f, " in the gradient of input {i}")?,
                    None => writeln!(f)?,
                }
                if let Some(inner) = &self.inside {
                    writeln!(f, "  inside that VJP: {inner}")?;
                }
                if let Some(dy) = &self.cotangent {
                    writeln!(f, "  cotangent dy: {dy}")?;
                }
            }
        }
        writeln!(f, "  value: {}", self.value)?;
        for (i, (node, summary)) in self.inputs.iter().enumerate() {
            writeln!(f, "  input {i}: {node}: {summary}")?;
        }
        Ok(())
    }
}

fn non_finite_words(s: &Summary) -> String {
    let mut words = Vec::new();
    for (n, what) in [(s.nan, "NaN"), (s.pos_inf, "+inf"), (s.neg_inf, "-inf")] {
        if n > 0 {
            words.push(what);
        }
    }
    words.join(" and ")
}

/// Anomaly mode's observer: what it keeps while it watches a tape. Installed by
/// [`Diagnostics::detect_anomalies`](super::Diagnostics::detect_anomalies).
#[derive(Default)]
pub struct AnomalyWatch {
    /// The nodes whose VJPs are running (innermost last) with their cotangents, so that a
    /// non-finite value produced by an op a VJP records is attributed to its node.
    in_vjp: RefCell<Vec<(NodeInfo, Summary)>>,
    first: RefCell<Option<Box<Anomaly>>>,
}

/// Turns anomaly mode on (a fresh watch, unless one is installed) or off on `tape`.
pub(crate) fn detect<T: Float>(tape: &Tape<T>, on: bool) {
    let watching = tape.observer::<AnomalyWatch>().is_some();
    if on && !watching {
        tape.set_observer(Rc::new(AnomalyWatch::default()));
    } else if !on && watching {
        tape.remove_observer();
    }
}

fn all_finite<T: Float>(t: &Tensor<T>) -> bool {
    t.as_slice().iter().all(|x| x.is_finite())
}

/// Each of `ids` described, with a summary of its value.
fn inputs_of<T: Float>(
    tape: &Tape<T>,
    ids: impl Iterator<Item = usize>,
) -> Vec<(NodeInfo, Summary)> {
    ids.map(|i| {
        let node = tape.node(i).expect("an input of a node");
        let summary = Summary::of(&node.value());
        (NodeInfo::of(&node), summary)
    })
    .collect()
}

/// The input ids of node `id`.
fn input_ids<T: Float>(tape: &Tape<T>, id: usize) -> Vec<usize> {
    tape.node(id).map_or(Vec::new(), |n| n.inputs().collect())
}

impl AnomalyWatch {
    /// The first anomaly seen, if any.
    pub fn first(&self) -> Option<Anomaly> {
        self.first.borrow().as_deref().cloned()
    }

    /// The first anomaly seen, forgotten here so the next one can be caught.
    pub fn take(&self) -> Option<Anomaly> {
        self.first.take().map(|a| *a)
    }

    fn has_first(&self) -> bool {
        self.first.borrow().is_some()
    }

    fn record(&self, a: Anomaly) {
        let mut first = self.first.borrow_mut();
        if first.is_none() {
            *first = Some(Box::new(a));
        }
    }
}

impl<T: Float> Observer<T> for AnomalyWatch {
    fn applied(&self, op: &dyn Op<T>, xs: &[Var<'_, T>], y: Var<'_, T>) {
        if self.has_first() || all_finite(&y.value()) {
            return;
        }
        let Some(site) = y.site() else {
            return;
        };
        let tape = y.tape();
        let this = NodeInfo {
            id: y.id(),
            kind: NodeKind::Op,
            op: op.label(),
            site,
        };
        let anomaly = match self.in_vjp.borrow().last() {
            None => Anomaly {
                phase: Phase::Forward,
                node: this,
                inputs: inputs_of(tape, xs.iter().map(|x| x.id())),
                value: Summary::of(&y.value()),
                cotangent: None,
                gradient_of: None,
                inside: None,
            },
            Some((owner, dy)) => Anomaly {
                phase: Phase::Backward,
                inputs: inputs_of(tape, input_ids(tape, owner.id).into_iter()),
                node: owner.clone(),
                value: Summary::of(&y.value()),
                cotangent: Some(dy.clone()),
                gradient_of: None,
                inside: Some(this),
            },
        };
        self.record(anomaly);
    }

    fn vjp_started(&self, tape: &Tape<T>, node: usize, dy: &Tensor<T>) {
        // Described now: the recorded sweep holds the op out of its node while it runs.
        let owner = NodeInfo::at(tape, node);
        self.in_vjp.borrow_mut().push((owner, Summary::of(dy)));
    }

    fn vjp_finished(&self, tape: &Tape<T>, node: usize, dy: &Tensor<T>, dxs: &[Option<Tensor<T>>]) {
        self.in_vjp.borrow_mut().pop();
        if self.has_first() {
            return;
        }
        let bad = dxs.iter().enumerate().find_map(|(input, dx)| {
            dx.as_ref()
                .filter(|dx| !all_finite(dx))
                .map(|dx| (input, dx))
        });
        if let Some((input, dx)) = bad {
            self.record(Anomaly {
                phase: Phase::Backward,
                node: NodeInfo::at(tape, node),
                inputs: inputs_of(tape, input_ids(tape, node).into_iter()),
                value: Summary::of(dx),
                cotangent: Some(Summary::of(dy)),
                gradient_of: Some(input),
                inside: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Phase;
    use crate::diagnostics::Diagnostics;
    use tapegrad_core::{Tape, Tensor, Var};

    /// Forty ops around `log(0 · x)`; returns the output and the line of the `log`.
    fn deep_graph<'t>(x: Var<'t, f64>) -> (Var<'t, f64>, u32) {
        let mut h = x;
        for _ in 0..20 {
            h = (h * 0.5).exp() * 0.1 - h / 4.0;
        }
        let (bad, line) = ((h * 0.0).log(), line!());
        let mut y = bad + h;
        for _ in 0..20 {
            y = y * 0.9 + h;
        }
        (y.sum(), line)
    }

    #[test]
    fn forward_nan_reports_op_line_and_inputs() {
        let tape = Tape::<f64>::new();
        tape.detect_anomalies(true);
        let x = tape.leaf(Tensor::vector(vec![0.5, -1.0, 2.0]));
        let (y, line) = deep_graph(x);
        let _ = y.backward(); // later NaNs (inf - inf, 0 · inf) do not replace the first
        let a = tape.anomaly().expect("the -inf of log(0) is caught");
        assert_eq!(a.phase, Phase::Forward);
        assert_eq!(a.node.op, "log");
        assert_eq!((a.node.site.file(), a.node.site.line()), (file!(), line));
        assert_eq!((a.value.neg_inf, a.value.nan), (3, 0));
        assert_eq!(a.inputs.len(), 1);
        assert_eq!(a.inputs[0].0.op, "mul_scalar(0)");
        assert_eq!(a.inputs[0].1.values, Some(vec![0.0; 3]));
        let text = a.to_string();
        assert!(
            text.starts_with(&format!(
                "anomaly in the forward pass: #{} `log` at {}:{line}:",
                a.node.id,
                file!()
            )),
            "{text}"
        );
        assert!(
            text.contains("produced -inf") && text.contains("input 0: #"),
            "{text}"
        );
        assert_eq!(tape.take_anomaly().map(|a| a.node.id), Some(a.node.id));
        assert!(tape.anomaly().is_none());
    }

    #[test]
    fn anomaly_mode_is_off_by_default() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![0.5, -1.0, 2.0]));
        let (y, _) = deep_graph(x);
        let _ = y.backward();
        assert!(!tape.is_detecting_anomalies() && tape.anomaly().is_none());
    }

    #[test]
    fn backward_infinity_is_attributed_to_the_vjp_through_both_sweeps() {
        let tape = Tape::<f64>::new();
        tape.detect_anomalies(true);
        let x = tape.leaf(Tensor::vector(vec![0.0, 4.0]));
        let line = line!() + 1;
        let y = (x.sqrt() * 3.0).sum();
        assert!(tape.anomaly().is_none(), "the forward pass is finite");
        // tensor sweep: the VJP's returned gradient is checked
        let _ = y.backward();
        let a = tape.take_anomaly().expect("d sqrt(0) = inf");
        assert_eq!(
            (a.phase, a.node.op.as_str(), a.node.site.line()),
            (Phase::Backward, "sqrt", line)
        );
        assert_eq!((a.gradient_of, a.value.pos_inf), (Some(0), 1));
        assert_eq!(a.cotangent.as_ref().unwrap().values, Some(vec![3.0, 3.0]));
        assert_eq!(a.inputs[0].1.values, Some(vec![0.0, 4.0]));
        assert!(a.inside.is_none());
        // recorded sweep: the op inside the VJP that produced the infinity is named too
        let _ = tape.grad(y, &[x]);
        let a = tape.take_anomaly().expect("d sqrt(0) = inf");
        assert_eq!(
            (a.phase, a.node.op.as_str(), a.node.site.line()),
            (Phase::Backward, "sqrt", line)
        );
        let inside = a.inside.as_ref().expect("recorded sweep");
        // the division inside sqrt's VJP, created in that op's file
        assert_eq!(inside.op.as_str(), "div");
        assert!(inside.site.file().ends_with("sqrt.rs"), "{}", inside.site);
        assert!(a.to_string().contains("the VJP of #1 `sqrt`"), "{a}");
    }
}
