//! Constant folding: an op whose inputs are all constants is evaluated once, at
//! optimisation time, and becomes a constant.

use crate::plan::graph::{Graph, Source};
use crate::{Error, Float, Tensor};

/// Evaluates every op node that depends on no input. Returns the number folded, or the
/// op's error (which the trace already met, so it does not happen for a traced graph).
pub(crate) fn run<T: Float>(graph: &mut Graph<T>) -> Result<usize, Error> {
    let mut folded = 0;
    for id in 0..graph.nodes.len() {
        let (before, rest) = graph.nodes.split_at_mut(id);
        let node = &mut rest[0];
        let Some(op) = node.op() else { continue };
        let xs: Option<Vec<&Tensor<T>>> = node
            .inputs
            .iter()
            .map(|&x| before[x as usize].constant())
            .collect();
        let Some(xs) = xs else { continue };
        let value = op
            .forward(&xs)
            .map_err(|e| Error::from_tensor(op.name(), e, node.site))?;
        node.source = Source::Const(value);
        node.inputs.clear();
        folded += 1;
    }
    Ok(folded)
}
