//! Seeing what the tape holds: graph export (DOT, text) and memory statistics, anomaly mode
//! (the first NaN or infinity, forward or backward), and "why is this gradient zero?";
//! for a plan (`replay.rs`), anomaly mode in its replays and a DOT export.
//! The gradient checker is [`crate::gradcheck`]; it names nodes with [`NodeInfo`] too.

pub mod anomaly;
pub mod graph;
pub mod replay;
pub mod why_zero;

pub use anomaly::{Anomaly, AnomalyWatch, Phase};
pub use graph::{Graph, TapeStats};
pub use replay::{PlanDiagnostics, ReplayAnomaly};
pub use why_zero::{BlockReason, Blocker, WhyZero};

use std::fmt;
use std::panic::Location;
use tapegrad_core::{Float, NodeKind, NodeView, Tape, Tensor, Var};

/// The diagnostics as methods of a tape: `tape.graph()`, `tape.why_zero(y, x)`, … (bring
/// this trait into scope, or use the prelude).
///
/// # Design
/// The diagnostics are tools written on the tape's public view and observer hook, so
/// they are not inherent methods of [`Tape`]: this trait keeps their call syntax.
pub trait Diagnostics<T: Float> {
    /// A dumpable view of this tape (see [`Graph`]).
    fn graph(&self) -> Graph<'_, T>;

    /// Node counts and the memory the tape holds (see [`TapeStats`]).
    ///
    /// ```
    /// use tapegrad_check::diagnostics::Diagnostics;
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::zeros(&[100]));
    /// let _y = x.exp();
    /// let s = tape.stats();
    /// assert_eq!((s.nodes, s.leaves, s.ops), (2, 1, 1));
    /// assert_eq!(s.value_bytes, 2 * 100 * 8);
    /// ```
    fn stats(&self) -> TapeStats;

    /// Turns anomaly mode on or off (see the [`anomaly`] module). On, the first NaN or
    /// infinity produced by an op (forward) or by a VJP (backward, either sweep) is kept
    /// with the op's name, the line that created it and summaries of its inputs; read it
    /// with [`anomaly`](Self::anomaly). Anomaly mode is an [`Observer`](tapegrad_core::Observer):
    /// off (the default) it costs one flag read per op and per backward step, and turning
    /// it off forgets what it saw.
    ///
    /// ```
    /// use tapegrad_check::diagnostics::{Diagnostics, Phase};
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// tape.detect_anomalies(true);
    /// let x = tape.leaf(Tensor::vector(vec![1.0, 0.0]));
    /// let y = (x / x).sum(); // 0/0 = NaN
    /// let a = tape.anomaly().expect("NaN seen");
    /// assert_eq!((a.phase, a.node.op.as_str()), (Phase::Forward, "div"));
    /// assert_eq!(a.node.site.line(), line!() - 3);
    /// assert_eq!(a.value.nan, 1);
    /// # let _ = y;
    /// ```
    fn detect_anomalies(&self, on: bool);

    /// True in anomaly mode.
    fn is_detecting_anomalies(&self) -> bool;

    /// The first anomaly seen since anomaly mode was turned on (or since
    /// [`take_anomaly`](Self::take_anomaly)).
    fn anomaly(&self) -> Option<Anomaly>;

    /// Returns the first anomaly and forgets it, so the next one can be caught.
    fn take_anomaly(&self) -> Option<Anomaly>;

    /// Explains why the gradient of `y` (summed, if it has several elements) with respect
    /// to `x` is zero or absent; answers [`WhyZero::NotZero`] if it is not. Panics (naming
    /// the caller's line) if `y` or `x` belongs to another tape.
    ///
    /// ```
    /// use tapegrad_check::diagnostics::{Diagnostics, WhyZero};
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::scalar(2.0));
    /// let y = x.detach() * x.detach();
    /// assert_eq!(tape.grad(y, &[x])[0].item(), 0.0);
    /// assert!(matches!(tape.why_zero(y, x), WhyZero::Detached { .. }));
    /// println!("{}", tape.why_zero(y, x));
    /// ```
    #[track_caller]
    fn why_zero(&self, y: Var<'_, T>, x: Var<'_, T>) -> WhyZero;
}

impl<T: Float> Diagnostics<T> for Tape<T> {
    fn graph(&self) -> Graph<'_, T> {
        Graph::new(self)
    }

    fn stats(&self) -> TapeStats {
        TapeStats::of(self)
    }

    fn detect_anomalies(&self, on: bool) {
        anomaly::detect(self, on);
    }

    fn is_detecting_anomalies(&self) -> bool {
        self.observer::<AnomalyWatch>().is_some()
    }

    fn anomaly(&self) -> Option<Anomaly> {
        self.observer::<AnomalyWatch>()?.first()
    }

    fn take_anomaly(&self) -> Option<Anomaly> {
        self.observer::<AnomalyWatch>()?.take()
    }

    #[track_caller]
    fn why_zero(&self, y: Var<'_, T>, x: Var<'_, T>) -> WhyZero {
        why_zero::why_zero(self, y, x)
    }
}

/// A node of a tape, named the way a user can find it: its position, what made it (the
/// op's label, or `leaf`/`constant`), and the line of the user's code that created it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeInfo {
    /// Position on the tape (creation order).
    pub id: usize,
    /// Leaf, constant or op output.
    pub kind: NodeKind,
    /// The op's [`label`](tapegrad_core::Op::label) for op nodes; `leaf` or `constant` otherwise.
    pub op: String,
    /// Where the node was created.
    pub site: &'static Location<'static>,
}

impl NodeInfo {
    /// Describes a node. The op of a node whose VJP is running is out of its node, so
    /// such a node is labelled `op`; callers that need the label take it beforehand.
    pub fn of<T: Float>(node: &NodeView<'_, T>) -> Self {
        NodeInfo {
            id: node.id(),
            kind: node.kind(),
            op: node.label(),
            site: node.site(),
        }
    }

    /// Describes node `id` of `tape` (which must exist).
    pub(crate) fn at<T: Float>(tape: &Tape<T>, id: usize) -> Self {
        Self::of(&tape.node(id).expect("a node of this tape"))
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
