//! Where an operation is not smooth (a kink, a pole, the edge of its domain), and whether
//! the points a central difference evaluates lie on both sides of one. `--check` asks this
//! before it blames a derivative; it does not decide what the derivative is there.

use crate::ast::{Ast, BinOp, Id, Kind};
use crate::eval;
use crate::functions::Func;
use crate::nonfinite::quote;
use std::f64::consts::{FRAC_PI_2, PI};

/// Where operands stand relative to an operation's singular set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    /// On it (or undefined: a NaN operand).
    On,
    /// In one of the regions it separates, numbered.
    Region(i64),
}

fn sign(u: f64) -> Side {
    if u > 0.0 {
        Side::Region(1)
    } else if u < 0.0 {
        Side::Region(-1)
    } else {
        Side::On
    }
}

/// The side of node `id`'s singular set its operand values `args` are on; `None` for an
/// operation that is smooth everywhere.
fn side(ast: &Ast, id: Id, args: &[f64]) -> Option<Side> {
    let node = &ast.nodes[id];
    match node.kind {
        Kind::Call(Func::Relu | Func::Abs | Func::Sqrt | Func::Log) => Some(sign(args[0])),
        Kind::Call(Func::Max | Func::Min) => Some(sign(args[0] - args[1])),
        Kind::Call(Func::Tan) => {
            // Poles at π/2 + kπ: region k lies between the poles k and k + 1.
            let turns = (args[0] - FRAC_PI_2) / PI;
            Some(if turns.is_nan() || turns.fract() == 0.0 {
                Side::On
            } else {
                Side::Region(turns.floor() as i64)
            })
        }
        Kind::Binary(BinOp::Div) => Some(sign(args[1])),
        Kind::Binary(BinOp::Pow) | Kind::Call(Func::Pow) => {
            match ast.integer_exponent(node.args[1]) {
                Some(n) if n >= 0 => None,
                _ => Some(sign(args[0])),
            }
        }
        _ => None,
    }
}

/// How a message names node `id`'s singular set: `relu's kink at x - 1 = 0`.
fn describe(ast: &Ast, src: &str, id: Id, args: &[f64]) -> String {
    let node = &ast.nodes[id];
    let arg = |i: usize| quote(ast, node.args[i], src);
    match node.kind {
        Kind::Call(f @ (Func::Relu | Func::Abs)) => {
            format!("{}'s kink at {} = 0", f.name(), arg(0))
        }
        Kind::Call(f @ (Func::Sqrt | Func::Log)) => {
            format!("{}'s domain edge at {} = 0", f.name(), arg(0))
        }
        Kind::Call(f @ (Func::Max | Func::Min)) => {
            format!("{}'s kink at {} = {}", f.name(), arg(0), arg(1))
        }
        Kind::Call(Func::Tan) => {
            let k = ((args[0] - FRAC_PI_2) / PI).round() as i64;
            let pole = match k {
                0 => "π/2".to_string(),
                1 => "π/2 + π".to_string(),
                -1 => "π/2 - π".to_string(),
                k if k > 0 => format!("π/2 + {k}π"),
                k => format!("π/2 - {}π", -k),
            };
            format!("tan's pole at {} = {pole}", arg(0))
        }
        Kind::Binary(BinOp::Div) => format!("the pole of `/` at {} = 0", arg(1)),
        _ => {
            let owner = match node.kind {
                Kind::Call(f) => format!("{}'s", f.name()),
                _ => "`^`'s".to_string(),
            };
            match ast.integer_exponent(node.args[1]) {
                Some(_) => format!("{owner} pole at {} = 0", arg(0)),
                None => format!("{owner} domain edge at {} = 0", arg(0)),
            }
        }
    }
}

/// The singular sets the point `vars` (one value per `ast.vars`) lies on, described.
pub fn at(ast: &Ast, src: &str, vars: &[f64]) -> Vec<String> {
    let values = eval::values(ast, vars);
    let args = |id: Id| -> Vec<f64> { ast.nodes[id].args.iter().map(|&a| values[a]).collect() };
    (0..ast.nodes.len())
        .filter(|&id| side(ast, id, &args(id)) == Some(Side::On))
        .map(|id| describe(ast, src, id, &args(id)))
        .collect()
}

/// The singular sets that a central difference of step `h` around `vars` crosses or
/// touches: each variable is moved by `±h` in turn, as the gradient checker does, and
/// every operation's operands are compared with theirs at `vars`.
pub fn crossed(ast: &Ast, src: &str, vars: &[f64], h: f64) -> Vec<String> {
    let center = eval::values(ast, vars);
    let args = |values: &[f64], id: Id| -> Vec<f64> {
        ast.nodes[id].args.iter().map(|&a| values[a]).collect()
    };
    let mut crossed = vec![false; ast.nodes.len()];
    for k in 0..vars.len() {
        for delta in [h, -h] {
            let mut moved = vars.to_vec();
            moved[k] += delta;
            let values = eval::values(ast, &moved);
            for (id, c) in crossed.iter_mut().enumerate() {
                let here = side(ast, id, &args(&values, id));
                *c |= here.is_some()
                    && (here == Some(Side::On) || here != side(ast, id, &args(&center, id)));
            }
        }
    }
    (0..ast.nodes.len())
        .filter(|&id| crossed[id])
        .map(|id| describe(ast, src, id, &args(&center, id)))
        .collect()
}
