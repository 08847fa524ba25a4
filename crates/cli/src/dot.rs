//! `--dot FILE`: the engine's graph of the expression at the point, in Graphviz DOT, drawn
//! by the check crate's export (`Diagnostics::graph`): one node per engine op and
//! constant, one per variable (shared by its occurrences, named as in `--at`), with values
//! and each variable's derivative.

use crate::ast::Ast;
use crate::eval::at_point;
use crate::point::Point;
use tapegrad_check::diagnostics::Diagnostics;
use tapegrad_core::Tape;

/// The DOT text of `ast` evaluated at `point`.
pub fn graph(ast: &Ast, point: &Point, binding: &[usize]) -> String {
    let tape = Tape::<f64>::with_capacity(2 * ast.nodes.len());
    let (leaves, nodes) = at_point(ast, &tape, point, binding);
    let y = nodes[ast.root()];
    // `backward()` runs the same VJPs as the `tape.grad` of the printed gradient. The one
    // refusal possible for this scalar root: an expression of constants only, which has
    // no derivative to show.
    let grads = y.try_backward(None).ok();
    // The creation sites would be this command's source lines, which mean nothing to its
    // user.
    let mut graph = tape.graph().of(&[y]).without_sites();
    for (&x, name) in leaves.iter().zip(&point.names) {
        graph = graph.name(x, name.as_str());
    }
    if let Some(grads) = &grads {
        graph = graph.with_grads(grads);
    }
    graph.to_dot()
}
