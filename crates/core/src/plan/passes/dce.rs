//! Dead-node elimination: only the nodes the outputs need are kept.

use crate::plan::graph::Graph;
use crate::Float;

/// Drops every node no output depends on (inputs included: an unused input is never
/// read) and renumbers the rest, keeping their order. Returns the number dropped.
pub(crate) fn run<T: Float>(graph: &mut Graph<T>) -> usize {
    let n = graph.nodes.len();
    let mut live = vec![false; n];
    for &y in &graph.outputs {
        live[y as usize] = true;
    }
    for id in (0..n).rev() {
        if live[id] {
            for &x in &graph.nodes[id].inputs {
                live[x as usize] = true;
            }
        }
    }
    let mut new_id = vec![u32::MAX; n];
    let mut kept = Vec::with_capacity(n);
    for (id, node) in std::mem::take(&mut graph.nodes).into_iter().enumerate() {
        if live[id] {
            new_id[id] = kept.len() as u32;
            kept.push(node);
        }
    }
    let dropped = n - kept.len();
    graph.nodes = kept;
    graph.redirect(&new_id);
    dropped
}
