//! `--dot FILE`: the expression graph in Graphviz DOT, one node per operation and literal,
//! one per variable (shared by its occurrences), labelled with values and, for variables,
//! the derivative.

use crate::ast::{Ast, BinOp, Kind};
use crate::eval::Derivatives;
use crate::functions::Func;
use crate::output::number;
use crate::point::Point;
use std::fmt::Write;

/// The DOT text of `ast` evaluated at `point`.
pub fn graph(ast: &Ast, point: &Point, binding: &[usize], d: &Derivatives) -> String {
    let mut out = String::from(
        "digraph tapegrad {\n  rankdir=BT;\n  node [fontname=\"Helvetica\", fontsize=11];\n",
    );
    for (v, name) in ast.vars.iter().enumerate() {
        let k = binding[v];
        let _ = writeln!(
            out,
            "  v{v} [shape=ellipse, style=filled, fillcolor=\"#cfe2ff\", label=\"{}\"];",
            escape(&format!(
                "{name} = {}\nd/d{name} = {}",
                number(point.values[k]),
                number(d.grad[k])
            ))
        );
    }
    let id_of = |i: usize| match ast.nodes[i].kind {
        Kind::Var(v) => format!("v{v}"),
        _ => format!("n{i}"),
    };
    for (i, node) in ast.nodes.iter().enumerate() {
        let (label, style) = match &node.kind {
            Kind::Var(_) => continue,
            Kind::Number { value, .. } => (number(*value), "shape=plaintext"),
            Kind::Neg => (format!("neg\n= {}", number(d.nodes[i])), "shape=box"),
            Kind::Binary(BinOp::Pow) | Kind::Call(Func::Pow) => {
                // Which engine power this is: the integer one only for literal exponents.
                let name = match ast.integer_exponent(node.args[1]) {
                    Some(n) => format!("powi({n})"),
                    None => "pow".into(),
                };
                (format!("{name}\n= {}", number(d.nodes[i])), "shape=box")
            }
            Kind::Binary(op) => (
                format!("{}\n= {}", op.symbol(), number(d.nodes[i])),
                "shape=box",
            ),
            Kind::Call(f) => (
                format!("{}\n= {}", f.name(), number(d.nodes[i])),
                "shape=box",
            ),
        };
        let root = if i == ast.root() { ", penwidth=2" } else { "" };
        let _ = writeln!(out, "  n{i} [{style}{root}, label=\"{}\"];", escape(&label));
        let ordered = matches!(
            node.kind,
            Kind::Binary(BinOp::Sub | BinOp::Div | BinOp::Pow) | Kind::Call(Func::Pow)
        );
        for (k, &a) in node.args.iter().enumerate() {
            let label = if ordered {
                format!(" [label=\"{}\"]", k + 1)
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {} -> n{i}{label};", id_of(a));
        }
    }
    out.push_str("}\n");
    out
}

/// Escapes a label for a DOT double-quoted string (newlines become `\n`).
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
