//! The first-order sweep's scalar loop: where the cotangents are single numbers and each
//! op node holds its local partials (taken from
//! [`scalar_partials`](crate::Op::scalar_partials) when it was recorded), `backward()`
//! runs this loop over plain numbers (Jacobian taping: `x̄ᵢ += ȳ · ∂y/∂xᵢ`) and hands
//! whatever is left to the generic sweep at the first node it cannot take.
//!
//! # Design
//! The loop is the generic sweep (`sweep.rs`) specialised: the same nodes in the same
//! order, the same products and the same sums in the same order, so the gradients are the
//! generic sweep's bit for bit. What it saves is the generic sweep's per-node work: a
//! tensor per cotangent, a borrow of the tape per access, a call into the runner. Here the
//! tape is borrowed once for the whole loop, which is sound because nothing in the loop
//! records; and it reads only the node records, never the values, whose partials and
//! inputs' needs were noted when the node was recorded.

use super::sweep::Resume;
use crate::tape::{NodeId, NodeKind};
use crate::{Float, Tape, Tensor};

/// The sweep from `root` (cotangent `seed`) down to `lowest` over numbers, as far as
/// every reached op node gives its partials, pushing `(id, gradient)` to `kept` for the
/// nodes `keep` asks for (by descending id, as the generic sweep does). `None` when it
/// reached `lowest`; otherwise where the generic sweep goes on, at the node it could not
/// take (not yet offered to `keep`).
pub(super) fn scalar_sweep<T: Float>(
    tape: &Tape<T>,
    root: NodeId,
    seed: T,
    lowest: NodeId,
    keep: impl Fn(NodeId, NodeKind) -> bool,
    kept: &mut Vec<(NodeId, T)>,
) -> Option<Resume<Tensor<T>>> {
    let nodes = tape.nodes.borrow();
    // The cotangents, and whether each was reached. Not one `Option<T>` per node: a
    // cotangent is written as a flag and a number and read back whole by the next node,
    // and the processor cannot forward two narrow stores to one wider load (it waits).
    let mut adjoint: Vec<T> = vec![T::ZERO; root as usize + 1];
    let mut reached: Vec<bool> = vec![false; root as usize + 1];
    adjoint[root as usize] = seed;
    reached[root as usize] = true;
    for id in (lowest..=root).rev() {
        if !reached[id as usize] {
            continue;
        }
        let d = adjoint[id as usize];
        let node = &nodes[id as usize];
        let partials = match node.kind {
            NodeKind::Op => match node.partials {
                Some(p) => Some(p),
                None => {
                    let pending = adjoint[..=id as usize]
                        .iter()
                        .zip(&reached)
                        .map(|(&a, &r)| r.then(|| Tensor::scalar(a)))
                        .collect();
                    return Some(Resume { pending, top: id });
                }
            },
            _ => None,
        };
        if keep(id, node.kind) {
            kept.push((id, d));
        }
        let Some(p) = partials else {
            continue;
        };
        for (i, (&input, &p)) in node.inputs.iter().zip(&p).enumerate() {
            if node.grad_inputs & (1 << i) == 0 {
                continue;
            }
            let g = d * p;
            let (acc, seen) = (&mut adjoint[input as usize], &mut reached[input as usize]);
            *acc = if *seen { *acc + g } else { g };
            *seen = true;
        }
    }
    None
}
