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
use smallvec::SmallVec;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

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
    let n = graph.nodes.len();
    let mut alias = identity(n);
    let mut seen: HashMap<(String, SmallVec<[u32; 2]>), u32, Fast> =
        HashMap::with_capacity_and_hasher(n, Fast::default());
    let mut scalars: HashMap<u64, u32, Fast> = HashMap::default();
    let mut merged = 0;
    for id in 0..n {
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
                        .entry((label, SmallVec::from_slice(&node.inputs)))
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

/// The pass's hasher: its keys are labels and node ids of the caller's own graph, which
/// nobody chooses to collide, so SipHash's defence is not needed (it was 18% of a
/// 200,000-instruction plan's build, and growing the table 12%).
type Fast = BuildHasherDefault<Mix>;

/// A multiply-rotate hash of 8 bytes at a time (the scheme of rustc's `FxHasher`).
#[derive(Default)]
struct Mix(u64);

impl Mix {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for Mix {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u32(&mut self, x: u32) {
        self.add(u64::from(x));
    }

    fn write_u64(&mut self, x: u64) {
        self.add(x);
    }

    fn write_usize(&mut self, x: usize) {
        self.add(x as u64);
    }
}
