//! Algebraic simplification of what the backward sweep emits: multiplications by one,
//! additions of zero, reshapes and broadcasts to the shape a value already has, a
//! broadcast summed straight back, double negations and chains of permutations.
//!
//! # The rules
//! Only built-in ops are rewritten (recognised by their Rust type, not their name), and
//! only where the result is the same value of the same shape:
//!
//! | pattern | becomes |
//! |---|---|
//! | `x · 1`, `1 · x`, `x / 1`, `x + 0`, `0 + x`, `x − 0` (the constant's shape broadcasts into `x`'s) | `x` |
//! | `mul_scalar(1)`, `x_over_scalar(1)`, `add_scalar(±0)` | `x` |
//! | `reshape`, `broadcast_to`, `sum_to` to `x`'s own shape | `x` |
//! | `reshape(reshape(x))` | one `reshape` |
//! | `sum_to(broadcast_to(x, s), shape(x))` | `x · (numel(s) / numel(x))` |
//! | `neg(neg(x))` | `x` |
//! | `permute(permute(x, p), q)` | `permute(x, p∘q)`, or `x` when that is the identity |
//!
//! `x + 0` turns `−0` into `+0` in the eager engine; the plan keeps `−0`. The summed
//! broadcast rounds as one multiplication instead of a sum of equal terms (within a few
//! ulps).

use super::identity;
use crate::ops::binary::MulScalar;
use crate::ops::shape::{Permute, Reshape};
use crate::plan::graph::{Graph, Node, Source};
use crate::stored_op::StoredOp;
use crate::tensor::{numel, shape_of};
use crate::Float;

/// What to do with one node.
enum Rewrite<T: Float> {
    /// Replace it by an earlier node.
    Alias(u32),
    /// Replace its op and inputs.
    Op(StoredOp<T>, u32),
}

/// Applies the rules once, in topological order (so chains collapse from their start).
/// Returns the number of nodes rewritten.
pub(crate) fn run<T: Float>(graph: &mut Graph<T>) -> usize {
    let mut alias = identity(graph.nodes.len());
    let mut rewritten = 0;
    for id in 0..graph.nodes.len() {
        for x in &mut graph.nodes[id].inputs {
            *x = alias[*x as usize];
        }
        let Some(rewrite) = rule(&graph.nodes, id) else {
            continue;
        };
        rewritten += 1;
        match rewrite {
            Rewrite::Alias(x) => alias[id] = x,
            Rewrite::Op(op, x) => {
                let node = &mut graph.nodes[id];
                node.source = Source::Op(op);
                node.inputs.clear();
                node.inputs.push(x);
            }
        }
    }
    graph.redirect(&alias);
    rewritten
}

/// The rule that applies to node `id`, if any.
fn rule<T: Float>(nodes: &[Node<T>], id: usize) -> Option<Rewrite<T>> {
    let node = &nodes[id];
    let name = node.builtin()?;
    let input = |k: usize| &nodes[node.inputs[k] as usize];
    // `x` unchanged, when it already has the output's shape
    let same = |k: usize| (input(k).shape == node.shape).then_some(Rewrite::Alias(node.inputs[k]));
    let is_const = |k: usize, v: T| {
        input(k)
            .constant()
            .is_some_and(|c| c.as_slice().iter().all(|&e| e == v) && !c.is_empty())
    };
    match name {
        "mul" if is_const(1, T::ONE) => same(0),
        "mul" if is_const(0, T::ONE) => same(1),
        "div" if is_const(1, T::ONE) => same(0),
        "add" if is_const(1, T::ZERO) => same(0),
        "add" if is_const(0, T::ZERO) => same(1),
        "sub" if is_const(1, T::ZERO) => same(0),
        "mul_scalar" | "x_over_scalar" | "add_scalar" => {
            let label = node.op()?.label();
            let neutral = matches!(
                label.as_str(),
                "mul_scalar(1)" | "x_over_scalar(1)" | "add_scalar(0)" | "add_scalar(-0)"
            );
            if neutral {
                same(0)
            } else {
                None
            }
        }
        "reshape" | "broadcast_to" | "sum_to" if input(0).shape == node.shape => same(0),
        "reshape" if input(0).builtin() == Some("reshape") => {
            let x = input(0).inputs[0];
            if nodes[x as usize].shape == node.shape {
                return Some(Rewrite::Alias(x));
            }
            let op = Reshape {
                shape: shape_of(&node.shape),
            };
            Some(Rewrite::Op(StoredOp::new(op), input(0).inputs[0]))
        }
        "sum_to" if input(0).builtin() == Some("broadcast_to") => {
            let x = input(0).inputs[0];
            let source = &nodes[x as usize];
            if source.shape != node.shape {
                return None;
            }
            let k = numel(&input(0).shape) / numel(&node.shape).max(1);
            if k == 1 {
                return Some(Rewrite::Alias(x));
            }
            let op = MulScalar(T::from_f64(k as f64));
            Some(Rewrite::Op(StoredOp::new(op), x))
        }
        "neg" if input(0).builtin() == Some("neg") => Some(Rewrite::Alias(input(0).inputs[0])),
        "permute" => {
            let q = permutation(node)?;
            let (x, axes) = match input(0).builtin() {
                Some("permute") => {
                    let p = permutation(input(0))?;
                    let composed: Vec<usize> = q.iter().map(|&i| p[i]).collect();
                    (input(0).inputs[0], composed)
                }
                _ => (node.inputs[0], q),
            };
            if axes.iter().enumerate().all(|(i, &a)| i == a) {
                Some(Rewrite::Alias(x))
            } else if x != node.inputs[0] {
                let op = Permute {
                    axes: shape_of(&axes),
                };
                Some(Rewrite::Op(StoredOp::new(op), x))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The axes of a built-in `permute`, read back from its label (`permute([1, 0])`).
fn permutation<T: Float>(node: &Node<T>) -> Option<Vec<usize>> {
    let label = node.op()?.label();
    let inner = label.strip_prefix("permute([")?.strip_suffix("])")?;
    if inner.is_empty() {
        return Some(Vec::new());
    }
    inner.split(", ").map(|a| a.parse().ok()).collect()
}
