//! A read-only view of a tape's nodes, for tools (graph export, checkers, diagnostics).
//! What the nodes are and how they are stored is in `mod.rs`.

use super::{Node, NodeId, NodeKind};
use crate::{Float, Op, Tape, Tensor};
use smallvec::SmallVec;
use std::cell::Ref;
use std::panic::Location;

/// One node of a tape, read-only: what made it, from which nodes, its value and where it
/// was created. Made by [`Tape::node`] and [`Tape::nodes`].
///
/// It holds a shared borrow of the tape's records: drop it before applying ops on that
/// tape (applying one while a view is alive panics).
///
/// ```
/// use tapegrad_core::{NodeKind, Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.leaf(Tensor::scalar(2.0));
/// let y = x.exp();
/// let node = tape.node(y.id()).unwrap();
/// assert_eq!((node.kind(), node.name()), (NodeKind::Op, "exp"));
/// assert_eq!(node.inputs().collect::<Vec<_>>(), vec![x.id()]);
/// assert_eq!(node.site().line(), line!() - 4);
/// let names: Vec<String> = tape.nodes().map(|n| n.label()).collect();
/// assert_eq!(names, ["leaf", "exp"]);
/// ```
pub struct NodeView<'a, T: Float> {
    tape: &'a Tape<T>,
    id: NodeId,
    node: Ref<'a, Node<T>>,
}

impl<T: Float> Tape<T> {
    /// Node `id` (its position, as [`Var::id`](crate::Var::id)), or `None` past the end.
    pub fn node(&self, id: usize) -> Option<NodeView<'_, T>> {
        let node = Ref::filter_map(self.nodes.borrow(), |nodes| nodes.get(id)).ok()?;
        Some(NodeView {
            tape: self,
            id: id as NodeId,
            node,
        })
    }

    /// Every node, in creation order (a topological order: inputs come first).
    pub fn nodes(
        &self,
    ) -> impl DoubleEndedIterator<Item = NodeView<'_, T>> + ExactSizeIterator + '_ {
        (0..self.nodes.borrow().len()).map(|id| self.node(id).expect("id below len"))
    }

    /// Bytes of the node records themselves (allocated capacity, one-element values
    /// included, long input lists too): what the tape costs beyond values and ops. A tape
    /// made after a larger one was dropped on its thread starts with that tape's arrays
    /// (see `Tape::with_capacity`), so this counts their capacity from the start.
    pub fn record_bytes(&self) -> usize {
        let nodes = self.nodes.borrow();
        let spilled: usize = nodes
            .iter()
            .filter(|n| n.inputs.spilled())
            .map(|n| n.inputs.capacity() * std::mem::size_of::<NodeId>())
            .sum();
        nodes.capacity() * std::mem::size_of::<Node<T>>()
            + self.values.borrow().capacity() * std::mem::size_of::<Tensor<T>>()
            + spilled
    }
}

impl<'a, T: Float> NodeView<'a, T> {
    /// Position on the tape (creation order).
    pub fn id(&self) -> usize {
        self.id as usize
    }

    /// Leaf, constant or op output.
    pub fn kind(&self) -> NodeKind {
        self.node.kind
    }

    /// The op that made this node; `None` for leaves and constants (and for an op node
    /// whose VJP is running, since the sweep holds its op meanwhile).
    pub fn op(&self) -> Option<&dyn Op<T>> {
        self.node.op.as_ref().map(|op| op.get())
    }

    /// The op's [`name`](Op::name); `leaf` or `constant` otherwise (`op` for an op node
    /// whose VJP is running).
    pub fn name(&self) -> &str {
        match (self.op(), self.node.kind) {
            (Some(op), _) => op.name(),
            (None, NodeKind::Leaf) => "leaf",
            (None, NodeKind::Constant) => "constant",
            (None, NodeKind::Op) => "op",
        }
    }

    /// The op's [`label`](Op::label) (its parameters included); else as [`name`](Self::name).
    pub fn label(&self) -> String {
        match self.op() {
            Some(op) => op.label(),
            None => self.name().to_string(),
        }
    }

    /// The ids of the op's inputs, in order (none for leaves and constants).
    pub fn inputs(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.node.inputs.iter().map(|&i| i as usize)
    }

    /// The node's value (shared access, nothing copied).
    pub fn value(&self) -> Ref<'a, Tensor<T>> {
        self.tape.value_ref(self.id)
    }

    /// Where in the user's code the node was created.
    pub fn site(&self) -> &'static Location<'static> {
        self.node.site
    }

    /// Bytes the node's op holds on the heap (0 for the small ops stored in the node).
    pub fn op_bytes(&self) -> usize {
        self.node.op.as_ref().map_or(0, |op| op.heap_bytes())
    }

    /// True when the op says its inputs' values sit at a kink (see [`Op::is_at_kink`]).
    pub fn is_at_kink(&self) -> bool {
        let Some(op) = self.op() else {
            return false;
        };
        let values = self.tape.values.borrow();
        let xs: SmallVec<[&Tensor<T>; 4]> = self
            .node
            .inputs
            .iter()
            .map(|&i| &values[i as usize])
            .collect();
        op.is_at_kink(&xs)
    }
}
