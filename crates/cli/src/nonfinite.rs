//! When the value, the gradient or the Hessian holds a NaN or an infinity, finds the
//! sub-expression that produced it first and says why.
//!
//! # Design
//! Values: from the root, step into the first operand that is not finite until every
//! operand is; that node made a non-finite number out of finite ones. Derivatives: the same
//! walk over each node's derivative with respect to the variable(s) in question, propagated
//! forward from the operations' own derivatives, which each operation gets from the engine on
//! a tape of its own. So no derivative is written here, and an infinite derivative of one
//! operation (`sqrt` at 0) is told apart from a chain whose product overflows.
//!
//! The engine's anomaly mode (`Tape::detect_anomalies`) answers another question: the
//! first NaN or infinity the tape made, in creation order forward and in reverse order
//! backward, whether or not it reaches the number printed. So it would name `1/x` in
//! `1/(1/x) + log(x)` at 0 (whose -inf is log's), `sqrt(y)` for d/dx of
//! `sqrt(x) + sqrt(y)`, and the inner `exp` in `exp(exp(x))` where each own derivative is
//! finite; `tests/cli/errors.rs` holds these cases.

use crate::ast::{Ast, BinOp, Id, Kind};
use crate::diagnostic::Problem;
use crate::eval::{local, Derivatives};
use crate::output::number;
use crate::point::Point;

/// The explanation of the first non-finite number of the result (value, then gradient in
/// `--at` order, then Hessian), or `None` when everything is finite.
pub fn explain(
    ast: &Ast,
    src: &str,
    point: &Point,
    binding: &[usize],
    d: &Derivatives,
) -> Option<Problem> {
    let value = d.value();
    if !value.is_finite() {
        let id = walk(ast, |n| !d.nodes[n].is_finite(), |_| true);
        return Some(Problem::at(
            format!(
                "the value is {}; it first appears in `{}`, which is {} = {}",
                number(value),
                quote(ast, id, src),
                with_values(ast, id, &d.nodes),
                number(d.nodes[id])
            ),
            ast.nodes[id].span,
        ));
    }
    if let Some(k) = d.grad.iter().position(|g| !g.is_finite()) {
        let what = format!("d/d{} is {}", point.names[k], number(d.grad[k]));
        return Some(first_order(ast, src, &d.nodes, binding, k, what));
    }
    let h = d.hessian.as_ref()?;
    let (k, l) = (0..h.len())
        .flat_map(|k| (0..h.len()).map(move |l| (k, l)))
        .find(|&(k, l)| !h[k][l].is_finite())?;
    let what = format!(
        "d2/d{} d{} is {}",
        point.names[k],
        point.names[l],
        number(h[k][l])
    );
    Some(second_order(ast, src, &d.nodes, binding, (k, l), what))
}

/// Descends from the root into the first `relevant` operand that is `bad`, while there is
/// one; returns where it stops.
fn walk(ast: &Ast, bad: impl Fn(Id) -> bool, relevant: impl Fn(Id) -> bool) -> Id {
    let mut id = ast.root();
    while let Some(&a) = ast.nodes[id].args.iter().find(|&&a| relevant(a) && bad(a)) {
        id = a;
    }
    id
}

/// Whether each node depends on point variable `k`.
fn depends(ast: &Ast, binding: &[usize], k: usize) -> Vec<bool> {
    match binding.iter().position(|&b| b == k) {
        Some(v) => ast.depends_on(v),
        None => vec![false; ast.nodes.len()],
    }
}

/// Each node's derivative with respect to point variable `k`, with the operations' own
/// Jacobians.
fn tangents(ast: &Ast, nodes: &[f64], binding: &[usize], dep: &[bool], k: usize) -> Vec<f64> {
    let mut t = vec![0.0; ast.nodes.len()];
    for (id, node) in ast.nodes.iter().enumerate() {
        t[id] = match node.kind {
            Kind::Var(v) => f64::from(u8::from(binding[v] == k)),
            Kind::Number { .. } => 0.0,
            _ if !dep[id] => 0.0,
            _ => {
                let j = local(ast, id, &operands(ast, id, nodes), false).jacobian;
                sum_over(ast, id, dep, |i, a| j[i] * t[a])
            }
        };
    }
    t
}

fn first_order(
    ast: &Ast,
    src: &str,
    nodes: &[f64],
    binding: &[usize],
    k: usize,
    what: String,
) -> Problem {
    let dep = depends(ast, binding, k);
    let t = tangents(ast, nodes, binding, &dep, k);
    if t[ast.root()].is_finite() {
        return untraced(what);
    }
    let id = walk(ast, |n| !t[n].is_finite(), |n| dep[n]);
    let args = operands(ast, id, nodes);
    let j = local(ast, id, &args, false).jacobian;
    let own = ast.nodes[id]
        .args
        .iter()
        .enumerate()
        .find(|&(i, &a)| dep[a] && !j[i].is_finite());
    let why = match own {
        Some((i, _)) => format!(
            "where d/d{} {} = {} at {}",
            param(ast, id, i),
            generic(ast, id),
            number(j[i]),
            at_values(ast, id, &args)
        ),
        None => "whose derivative overflows: each operation's own derivative is finite, their product is not".into(),
    };
    located(ast, src, id, what, why)
}

fn second_order(
    ast: &Ast,
    src: &str,
    nodes: &[f64],
    binding: &[usize],
    (k, l): (usize, usize),
    what: String,
) -> Problem {
    let (dk, dl) = (depends(ast, binding, k), depends(ast, binding, l));
    let (tk, tl) = (
        tangents(ast, nodes, binding, &dk, k),
        tangents(ast, nodes, binding, &dl, l),
    );
    let dep: Vec<bool> = dk.iter().zip(&dl).map(|(a, b)| *a && *b).collect();
    let mut tt = vec![0.0; ast.nodes.len()];
    for (id, node) in ast.nodes.iter().enumerate() {
        if node.args.is_empty() || !dep[id] {
            continue;
        }
        let loc = local(ast, id, &operands(ast, id, nodes), true);
        let first = sum_over(ast, id, &dep, |i, a| loc.jacobian[i] * tt[a]);
        let mut second = 0.0;
        for (i, &a) in node.args.iter().enumerate() {
            for (j, &b) in node.args.iter().enumerate() {
                if dk[a] && dl[b] {
                    second += loc.hessian[i][j] * tk[a] * tl[b];
                }
            }
        }
        tt[id] = first + second;
    }
    if tt[ast.root()].is_finite() {
        return untraced(what);
    }
    let id = walk(ast, |n| !tt[n].is_finite(), |n| dep[n]);
    let args = operands(ast, id, nodes);
    let loc = local(ast, id, &args, true);
    let node = &ast.nodes[id];
    let mut why = "whose second derivative overflows: each operation's own derivatives are finite, the products along the chain are not".to_string();
    'search: for (i, &a) in node.args.iter().enumerate() {
        if (dk[a] || dl[a]) && !loc.jacobian[i].is_finite() {
            why = format!(
                "where d/d{} {} = {} at {}",
                param(ast, id, i),
                generic(ast, id),
                number(loc.jacobian[i]),
                at_values(ast, id, &args)
            );
            break;
        }
        for (j, &b) in node.args.iter().enumerate() {
            if dk[a] && dl[b] && !loc.hessian[i][j].is_finite() {
                let (p, q) = (param(ast, id, i), param(ast, id, j));
                let wrt = if i == j {
                    format!("d2/d{p}2")
                } else {
                    format!("d2/d{p} d{q}")
                };
                why = format!(
                    "where {wrt} {} = {} at {}",
                    generic(ast, id),
                    number(loc.hessian[i][j]),
                    at_values(ast, id, &args)
                );
                break 'search;
            }
        }
    }
    located(ast, src, id, what, why)
}

/// `Σᵢ term(i, operandᵢ)` over the operands that depend on the variable.
fn sum_over(ast: &Ast, id: Id, dep: &[bool], term: impl Fn(usize, Id) -> f64) -> f64 {
    ast.nodes[id]
        .args
        .iter()
        .enumerate()
        .filter(|&(_, &a)| dep[a])
        .map(|(i, &a)| term(i, a))
        .sum()
}

/// When the forward propagation here stays finite but the engine's reverse sweep did not:
/// the same finite factors, multiplied in another order, overflowed.
fn untraced(what: String) -> Problem {
    Problem::plain(format!(
        "{what}; every sub-expression's own derivative is finite, so no single one produced it: the engine's reverse sweep overflowed multiplying them"
    ))
}

fn located(ast: &Ast, src: &str, id: Id, what: String, why: String) -> Problem {
    Problem::at(
        format!(
            "{what}; it first appears in `{}`, {why}",
            quote(ast, id, src)
        ),
        ast.nodes[id].span,
    )
}

fn operands(ast: &Ast, id: Id, nodes: &[f64]) -> Vec<f64> {
    ast.nodes[id].args.iter().map(|&a| nodes[a]).collect()
}

/// The sub-expression's text on one line (a file's line breaks become spaces), shortened
/// when long.
pub fn quote(ast: &Ast, id: Id, src: &str) -> String {
    let text: String = ast.nodes[id]
        .span
        .text(src)
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 60 {
        text
    } else {
        let head: String = chars[..28].iter().collect();
        let tail: String = chars[chars.len() - 28..].iter().collect();
        format!("{head} ... {tail}")
    }
}

/// The name of operand `i` in [`generic`]: `u` for one operand, `a`, `b` for two.
fn param(ast: &Ast, id: Id, i: usize) -> &'static str {
    match (ast.nodes[id].args.len(), i) {
        (1, _) => "u",
        (_, 0) => "a",
        _ => "b",
    }
}

/// The node's operation on named operands: `sqrt(u)`, `a / b`.
fn generic(ast: &Ast, id: Id) -> String {
    let names: Vec<String> = (0..ast.nodes[id].args.len())
        .map(|i| param(ast, id, i).to_string())
        .collect();
    form(ast, id, &names)
}

/// The node's operation on its operands' values: `log(-1)`, `1 / 0`, `(-8)^0.5`.
fn with_values(ast: &Ast, id: Id, nodes: &[f64]) -> String {
    let call = matches!(ast.nodes[id].kind, Kind::Call(_));
    let vals: Vec<String> = operands(ast, id, nodes)
        .into_iter()
        .map(|v| {
            if v < 0.0 && !call {
                format!("({})", number(v))
            } else {
                number(v)
            }
        })
        .collect();
    form(ast, id, &vals)
}

/// `u = 0` or `a = 1, b = 0`.
fn at_values(ast: &Ast, id: Id, args: &[f64]) -> String {
    let parts: Vec<String> = args
        .iter()
        .enumerate()
        .map(|(i, &v)| format!("{} = {}", param(ast, id, i), number(v)))
        .collect();
    parts.join(", ")
}

fn form(ast: &Ast, id: Id, args: &[String]) -> String {
    match &ast.nodes[id].kind {
        Kind::Neg => format!("-{}", args[0]),
        Kind::Binary(BinOp::Pow) => format!("{}^{}", args[0], args[1]),
        Kind::Binary(op) => format!("{} {} {}", args[0], op.symbol(), args[1]),
        Kind::Call(f) => format!("{}({})", f.name(), args.join(", ")),
        Kind::Number { value, .. } => number(*value),
        Kind::Var(v) => ast.vars[*v].clone(),
    }
}
