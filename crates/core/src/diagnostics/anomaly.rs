//! Anomaly mode: the first NaN or infinity produced in the forward or the backward pass,
//! reported with the op, the line that created it and summaries of its inputs.
//!
//! # Design
//! The report is made while the program runs, from what the tape already holds, so there
//! is nothing to re-run. Off (the default), the cost is one `Cell<bool>` read per op
//! applied and one per node visited by the backward sweep. On, every op's output and every
//! gradient is scanned once; only the first anomaly is kept, since later ones are usually
//! its consequences.

use super::{NodeInfo, Summary};
use crate::tape::{Node, NodeId};
use crate::{Float, Op, Tape, Tensor, Var};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::Location;

/// Which pass produced an anomaly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// An op's output.
    Forward,
    /// A gradient computed by an op's VJP.
    Backward,
}

/// The first NaN or infinity seen in anomaly mode (see [`Tape::detect_anomalies`]).
#[derive(Clone, Debug)]
pub struct Anomaly {
    /// Forward (an op's output) or backward (a gradient).
    pub pass: Pass,
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
    /// Backward through the recorded door ([`Tape::grad`]): the op recorded by the VJP
    /// that first produced the non-finite value (its site is in the op's VJP code).
    pub inside: Option<NodeInfo>,
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = non_finite_words(&self.value);
        match self.pass {
            Pass::Forward => writeln!(
                f,
                "anomaly in the forward pass: {} produced {what}",
                self.node
            )?,
            Pass::Backward => {
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

/// The tape's anomaly-mode state.
#[derive(Default)]
pub(crate) struct AnomalyWatch {
    on: Cell<bool>,
    /// The node whose VJP is running (recorded door) and its cotangent, so that a non-finite
    /// value produced by an op the VJP records is attributed to that node.
    in_vjp: RefCell<Option<(NodeInfo, Summary)>>,
    first: RefCell<Option<Box<Anomaly>>>,
}

fn all_finite<T: Float>(t: &Tensor<T>) -> bool {
    t.as_slice().iter().all(|x| x.is_finite())
}

fn inputs_of<T: Float>(
    nodes: &[Node<T>],
    values: &[Tensor<T>],
    ids: impl Iterator<Item = NodeId>,
) -> Vec<(NodeInfo, Summary)> {
    ids.map(|i| (NodeInfo::of(nodes, i), Summary::of(&values[i as usize])))
        .collect()
}

impl AnomalyWatch {
    /// True in anomaly mode. The only cost of the hooks when off.
    #[inline]
    pub(crate) fn is_on(&self) -> bool {
        self.on.get()
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

    /// Hook in `Tape::try_apply_at`: `value` is the output `op` computed from `xs`, about to
    /// become node `values.len()`.
    pub(crate) fn forward<T: Float>(
        &self,
        nodes: &[Node<T>],
        values: &[Tensor<T>],
        op: &dyn Op<T>,
        xs: &[Var<'_, T>],
        value: &Tensor<T>,
        site: &'static Location<'static>,
    ) {
        if self.has_first() || all_finite(value) {
            return;
        }
        let this = NodeInfo {
            id: values.len(),
            kind: crate::NodeKind::Op,
            op: op.label(),
            site,
        };
        let anomaly = match &*self.in_vjp.borrow() {
            None => Anomaly {
                pass: Pass::Forward,
                node: this,
                inputs: inputs_of(nodes, values, xs.iter().map(|x| x.id)),
                value: Summary::of(value),
                cotangent: None,
                gradient_of: None,
                inside: None,
            },
            Some((owner, dy)) => Anomaly {
                pass: Pass::Backward,
                inputs: inputs_of(nodes, values, owner_inputs(nodes, owner.id)),
                node: owner.clone(),
                value: Summary::of(value),
                cotangent: Some(dy.clone()),
                gradient_of: None,
                inside: Some(this),
            },
        };
        self.record(anomaly);
    }

    /// Hook in the backward sweep before node `id`'s VJP runs with cotangent `dy`; returns
    /// what [`leave_vjp`](Self::leave_vjp) restores.
    pub(crate) fn enter_vjp<T: Float>(
        &self,
        tape: &Tape<T>,
        id: NodeId,
        dy: &Tensor<T>,
    ) -> Option<(NodeInfo, Summary)> {
        let owner = NodeInfo::of(&tape.nodes.borrow(), id);
        self.in_vjp.replace(Some((owner, Summary::of(dy))))
    }

    /// Hook in the backward sweep after a VJP returned.
    pub(crate) fn leave_vjp(&self, outer: Option<(NodeInfo, Summary)>) {
        self.in_vjp.replace(outer);
    }

    /// Hook in the backward sweep: `dx` is the gradient node `id`'s VJP returned for its
    /// input `input`, given cotangent `dy`.
    pub(crate) fn gradient<T: Float>(
        &self,
        tape: &Tape<T>,
        id: NodeId,
        input: usize,
        dy: &Tensor<T>,
        dx: &Tensor<T>,
    ) {
        if self.has_first() || all_finite(dx) {
            return;
        }
        let nodes = tape.nodes.borrow();
        let values = tape.values.borrow();
        self.record(Anomaly {
            pass: Pass::Backward,
            node: NodeInfo::of(&nodes, id),
            inputs: inputs_of(&nodes, &values, owner_inputs(&nodes, id as usize)),
            value: Summary::of(dx),
            cotangent: Some(Summary::of(dy)),
            gradient_of: Some(input),
            inside: None,
        });
    }
}

fn owner_inputs<T: Float>(nodes: &[Node<T>], id: usize) -> impl Iterator<Item = NodeId> + '_ {
    nodes[id].inputs.iter().copied()
}

impl<T: Float> Tape<T> {
    /// Turns anomaly mode on or off. On, the first NaN or infinity produced by an op
    /// (forward) or by a VJP (backward, either door) is kept with the op's name, the line
    /// that created it and summaries of its inputs; read it with [`anomaly`](Self::anomaly).
    /// Off (the default) it costs one flag read per op and per backward step.
    ///
    /// ```
    /// use tapegrad_core::{diagnostics::Pass, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// tape.detect_anomalies(true);
    /// let x = tape.leaf(Tensor::vector(vec![1.0, 0.0]));
    /// let y = (x / x).sum(); // 0/0 = NaN
    /// let a = tape.anomaly().expect("NaN seen");
    /// assert_eq!((a.pass, a.node.op.as_str()), (Pass::Forward, "div"));
    /// assert_eq!(a.node.site.line(), line!() - 3);
    /// assert_eq!(a.value.nan, 1);
    /// # let _ = y;
    /// ```
    pub fn detect_anomalies(&self, on: bool) {
        self.anomaly.on.set(on);
    }

    /// True in anomaly mode.
    pub fn is_detecting_anomalies(&self) -> bool {
        self.anomaly.is_on()
    }

    /// The first anomaly seen since anomaly mode was turned on (or since
    /// [`take_anomaly`](Self::take_anomaly)).
    pub fn anomaly(&self) -> Option<Anomaly> {
        self.anomaly.first.borrow().as_deref().cloned()
    }

    /// Returns the first anomaly and forgets it, so the next one can be caught.
    pub fn take_anomaly(&self) -> Option<Anomaly> {
        self.anomaly.first.take().map(|a| *a)
    }
}

#[cfg(test)]
mod tests {
    use super::Pass;
    use crate::{Tape, Tensor, Var};

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
        assert_eq!(a.pass, Pass::Forward);
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
    fn backward_infinity_is_attributed_to_the_vjp_through_both_doors() {
        let tape = Tape::<f64>::new();
        tape.detect_anomalies(true);
        let x = tape.leaf(Tensor::vector(vec![0.0, 4.0]));
        let line = line!() + 1;
        let y = (x.sqrt() * 3.0).sum();
        assert!(tape.anomaly().is_none(), "the forward pass is finite");
        // tensor door: the VJP's returned gradient is checked
        let _ = y.backward();
        let a = tape.take_anomaly().expect("d sqrt(0) = inf");
        assert_eq!(
            (a.pass, a.node.op.as_str(), a.node.site.line()),
            (Pass::Backward, "sqrt", line)
        );
        assert_eq!((a.gradient_of, a.value.pos_inf), (Some(0), 1));
        assert_eq!(a.cotangent.as_ref().unwrap().values, Some(vec![3.0, 3.0]));
        assert_eq!(a.inputs[0].1.values, Some(vec![0.0, 4.0]));
        assert!(a.inside.is_none());
        // recorded door: the op inside the VJP that produced the infinity is named too
        let _ = tape.grad(y, &[x]);
        let a = tape.take_anomaly().expect("d sqrt(0) = inf");
        assert_eq!(
            (a.pass, a.node.op.as_str(), a.node.site.line()),
            (Pass::Backward, "sqrt", line)
        );
        let inside = a.inside.as_ref().expect("recorded door");
        // the division inside sqrt's VJP, created in that op's file
        assert_eq!(inside.op.as_str(), "div");
        assert!(inside.site.file().ends_with("sqrt.rs"), "{}", inside.site);
        assert!(a.to_string().contains("the VJP of #1 `sqrt`"), "{a}");
    }
}
