//! Seeing what the tape holds: graph export (DOT, text) and memory statistics, anomaly mode
//! (the first NaN or infinity, forward or backward), and "why is this gradient zero?".
//! The gradient checker is [`crate::gradcheck`]; it names nodes with [`NodeInfo`] too.

pub mod anomaly;
pub mod graph;
pub mod why_zero;

pub use anomaly::{Anomaly, Pass};
pub use graph::{Graph, TapeStats};
pub use why_zero::{BlockReason, Blocker, WhyZero};

use crate::tape::{Node, NodeId, NodeKind};
use crate::{Float, Tensor};
use std::fmt;
use std::panic::Location;

/// A node of a tape, named the way a user can find it: its position, what made it (the
/// op's label, or `leaf`/`constant`), and the line of the user's code that created it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeInfo {
    /// Position on the tape (creation order).
    pub id: usize,
    /// Leaf, constant or op output.
    pub kind: NodeKind,
    /// The op's [`label`](crate::Op::label) for op nodes; `leaf` or `constant` otherwise.
    pub op: String,
    /// Where the node was created.
    pub site: &'static Location<'static>,
}

impl NodeInfo {
    /// Describes node `id`. The op of a node whose VJP is running is out of its node, so
    /// such a node is labelled `op`; callers that need the label take it beforehand.
    pub(crate) fn of<T: Float>(nodes: &[Node<T>], id: NodeId) -> Self {
        let node = &nodes[id as usize];
        let op = match (&node.op, node.kind) {
            (Some(op), _) => op.get().label(),
            (None, NodeKind::Leaf) => "leaf".into(),
            (None, NodeKind::Constant) => "constant".into(),
            (None, NodeKind::Op) => "op".into(),
        };
        NodeInfo {
            id: id as usize,
            kind: node.kind,
            op,
            site: node.site,
        }
    }
}

impl fmt::Display for NodeInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let site = self.site;
        match self.kind {
            NodeKind::Op => write!(f, "#{} `{}`", self.id, self.op)?,
            _ => write!(f, "#{} {}", self.id, self.op)?,
        }
        write!(f, " at {}:{}:{}", site.file(), site.line(), site.column())
    }
}

/// What a tensor holds, in a few numbers: shape, the range of its finite elements, how
/// many NaNs and infinities, and the values themselves when there are at most eight.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The shape.
    pub shape: Vec<usize>,
    /// Number of NaN elements.
    pub nan: usize,
    /// Number of `+inf` elements.
    pub pos_inf: usize,
    /// Number of `-inf` elements.
    pub neg_inf: usize,
    /// The smallest finite element (`None` when no element is finite).
    pub min: Option<f64>,
    /// The largest finite element.
    pub max: Option<f64>,
    /// All elements, for tensors of at most eight.
    pub values: Option<Vec<f64>>,
}

impl Summary {
    /// Summarises `t`.
    pub fn of<T: Float>(t: &Tensor<T>) -> Self {
        let mut s = Summary {
            shape: t.shape().to_vec(),
            nan: 0,
            pos_inf: 0,
            neg_inf: 0,
            min: None,
            max: None,
            values: (t.len() <= 8).then(|| t.as_slice().iter().map(|x| x.to_f64()).collect()),
        };
        for x in t.as_slice().iter().map(|x| x.to_f64()) {
            if x.is_nan() {
                s.nan += 1;
            } else if x == f64::INFINITY {
                s.pos_inf += 1;
            } else if x == f64::NEG_INFINITY {
                s.neg_inf += 1;
            } else {
                s.min = Some(s.min.map_or(x, |m| m.min(x)));
                s.max = Some(s.max.map_or(x, |m| m.max(x)));
            }
        }
        s
    }

    /// True when every element is finite.
    pub fn is_finite(&self) -> bool {
        self.nan + self.pos_inf + self.neg_inf == 0
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.shape)?;
        match &self.values {
            Some(v) if self.shape.is_empty() => write!(f, " = {}", v[0])?,
            Some(v) => write!(f, " = {v:?}")?,
            None => {
                if let (Some(lo), Some(hi)) = (self.min, self.max) {
                    write!(f, ", finite values in [{lo}, {hi}]")?;
                }
            }
        }
        for (n, what) in [
            (self.nan, "NaN"),
            (self.pos_inf, "+inf"),
            (self.neg_inf, "-inf"),
        ] {
            if n > 0 {
                write!(f, ", {n} {what}")?;
            }
        }
        Ok(())
    }
}
