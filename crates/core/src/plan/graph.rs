//! The frozen graph a plan is optimised on: nodes in topological order, each an input, a
//! constant or an op with its inputs. Built from a tape here; the passes are in `passes/`,
//! the instruction list in `program.rs`.

use super::fused::Kernel;
use crate::stored_op::StoredOp;
use crate::tape::NodeKind;
use crate::{Float, Tape, Tensor};
use smallvec::SmallVec;
use std::panic::Location;

/// What a node is.
pub(crate) enum Source<T: Float> {
    /// The plan's input `i`.
    Input(usize),
    /// A value known at trace time.
    Const(Tensor<T>),
    /// An op applied to the node's inputs.
    Op(StoredOp<T>),
    /// A fused chain of element-wise ops on the node's inputs (the fusion pass's); its
    /// values are the `Part` nodes that follow it.
    Fused(Box<Kernel<T>>),
    /// The next value of the `Fused` node that is this node's one input (its values
    /// follow it in order).
    Part,
}

/// One node of the frozen graph.
pub(crate) struct Node<T: Float> {
    pub(crate) source: Source<T>,
    /// Ids of earlier nodes.
    pub(crate) inputs: SmallVec<[u32; 2]>,
    /// The value's shape at trace time (the same at every replay).
    pub(crate) shape: Vec<usize>,
    /// Where the user's code created it.
    pub(crate) site: &'static Location<'static>,
}

impl<T: Float> Node<T> {
    pub(crate) fn op(&self) -> Option<&dyn crate::Op<T>> {
        match &self.source {
            Source::Op(op) => Some(op.get()),
            _ => None,
        }
    }

    pub(crate) fn constant(&self) -> Option<&Tensor<T>> {
        match &self.source {
            Source::Const(c) => Some(c),
            _ => None,
        }
    }

    /// The op's name for built-in ops (recognised by their Rust type), else `None`: the
    /// simplification rules apply to these only, never to a user op of the same name.
    pub(crate) fn builtin(&self) -> Option<&str> {
        let op = self.op()?;
        op.type_name()
            .starts_with("tapegrad_core::ops::")
            .then(|| op.name())
    }
}

/// Nodes in topological order and the ids of the outputs.
pub(crate) struct Graph<T: Float> {
    pub(crate) nodes: Vec<Node<T>>,
    pub(crate) outputs: Vec<u32>,
    pub(crate) input_count: usize,
}

impl<T: Float> Graph<T> {
    /// Takes the recording of `tape` apart: the first `input_count` nodes are the plan's
    /// inputs; every other leaf and constant is a constant captured by value; the ops move
    /// out of their nodes into the graph.
    pub(crate) fn from_tape(tape: &Tape<T>, input_count: usize, outputs: Vec<u32>) -> Self {
        let mut records = tape.nodes.borrow_mut();
        let values = tape.values.borrow();
        let nodes = records
            .iter_mut()
            .enumerate()
            .map(|(id, node)| {
                let source = if id < input_count {
                    Source::Input(id)
                } else {
                    match (node.kind, node.op.take()) {
                        (NodeKind::Op, Some(op)) => Source::Op(op),
                        _ => Source::Const(values[id].clone()),
                    }
                };
                let inputs = match source {
                    Source::Op(_) => node.inputs.clone(),
                    _ => SmallVec::new(),
                };
                Node {
                    source,
                    inputs,
                    shape: values[id].shape().to_vec(),
                    site: node.site,
                }
            })
            .collect();
        Graph {
            nodes,
            outputs,
            input_count,
        }
    }

    /// Points every input and output through `alias` (a node replaced by an earlier one).
    pub(crate) fn redirect(&mut self, alias: &[u32]) {
        for node in &mut self.nodes {
            for x in &mut node.inputs {
                *x = alias[*x as usize];
            }
        }
        for y in &mut self.outputs {
            *y = alias[*y as usize];
        }
    }

    /// Number of op nodes.
    pub(crate) fn op_count(&self) -> usize {
        self.nodes.iter().filter(|n| n.op().is_some()).count()
    }
}
