//! Common-subexpression elimination: two nodes computing the same thing from the same
//! inputs become one.
//!
//! # The rule
//! Two op nodes are merged when their ops are the same built-in op with the same
//! [`label`](crate::Op::label) and their inputs are the same nodes. The built-in ops
//! listed in [`MERGEABLE`] show every parameter in their label (`mul_scalar(0.5)`,
//! `permute([1, 0])`, `sum_axes([0], keepdim)`), so equal labels mean equal ops. Ops that
//! hold tensors (`gather`, `index_select`, `select`, …) do not, and a user op's label is
//! whatever its author wrote: those are never merged. Constants are merged when they
//! have one element and the same bits.

use super::identity;
use crate::plan::graph::Graph;
use crate::Float;
use std::collections::HashMap;

/// Built-in ops whose label names them completely (see the module's rule).
pub(crate) const MERGEABLE: &[&str] = &[
    "add",
    "sub",
    "mul",
    "div",
    "neg",
    "exp",
    "expm1",
    "log",
    "log1p",
    "sin",
    "cos",
    "tan",
    "tanh",
    "tanh_grad",
    "gelu",
    "gelu_grad",
    "sigmoid",
    "softplus",
    "sqrt",
    "recip",
    "relu",
    "abs",
    "powi",
    "powf",
    "pow",
    "maximum",
    "minimum",
    "add_scalar",
    "mul_scalar",
    "x_over_scalar",
    "scalar_over_x",
    "sum",
    "sum_axes",
    "max",
    "max_axes",
    "min",
    "min_axes",
    "logsumexp",
    "logsumexp_axes",
    "matmul",
    "linear",
    "permute",
    "reshape",
    "broadcast_to",
    "sum_to",
    "narrow",
    "pad_narrow",
    "concat",
];

/// Merges repeated computations. Returns the number of nodes replaced by an earlier one.
pub(crate) fn run<T: Float>(graph: &mut Graph<T>) -> usize {
    let mut alias = identity(graph.nodes.len());
    let mut seen: HashMap<(String, Vec<u32>), u32> = HashMap::new();
    let mut scalars: HashMap<u64, u32> = HashMap::new();
    let mut merged = 0;
    for id in 0..graph.nodes.len() {
        let node = &mut graph.nodes[id];
        for x in &mut node.inputs {
            *x = alias[*x as usize];
        }
        let key = if let Some(c) = node.constant() {
            if c.len() != 1 || !c.shape().is_empty() {
                continue;
            }
            let bits = c.item().to_f64().to_bits();
            *scalars.entry(bits).or_insert(id as u32)
        } else {
            match node.builtin() {
                Some(name) if MERGEABLE.contains(&name) => {
                    let label = node.op().expect("an op").label();
                    *seen
                        .entry((label, node.inputs.to_vec()))
                        .or_insert(id as u32)
                }
                _ => continue,
            }
        };
        if key != id as u32 {
            alias[id] = key;
            merged += 1;
        }
    }
    graph.redirect(&alias);
    merged
}
