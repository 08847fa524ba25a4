//! Evaluates an [`Ast`] onto a tape (one loop over the arena, operands first) and takes the
//! value, the gradient and the Hessian from the engine's recorded gradients.

use crate::ast::{Ast, BinOp, Id, Kind};
use crate::functions::{power, Func, V};
use crate::point::Point;
use tapegrad::prelude::{Tape, Tensor};

/// The variable of every node of `ast` on `tape`; `vars[i]` stands for `ast.vars[i]`.
pub fn evaluate<'t>(ast: &Ast, tape: &'t Tape<f64>, vars: &[V<'t>]) -> Vec<V<'t>> {
    let mut out: Vec<V<'t>> = Vec::with_capacity(ast.nodes.len());
    let mut args = Vec::with_capacity(2);
    for (id, node) in ast.nodes.iter().enumerate() {
        let v = match node.kind {
            Kind::Number { value, .. } => tape.constant(Tensor::scalar(value)),
            Kind::Var(i) => vars[i],
            _ => {
                args.clear();
                args.extend(node.args.iter().map(|&a| out[a]));
                apply(ast, id, &args)
            }
        };
        out.push(v);
    }
    out
}

/// The operation of node `id` (not a number or a variable) applied to `args`, which stand
/// for its operands in order.
pub fn apply<'t>(ast: &Ast, id: Id, args: &[V<'t>]) -> V<'t> {
    let node = &ast.nodes[id];
    match node.kind {
        Kind::Neg => -args[0],
        Kind::Binary(BinOp::Add) => args[0] + args[1],
        Kind::Binary(BinOp::Sub) => args[0] - args[1],
        Kind::Binary(BinOp::Mul) => args[0] * args[1],
        Kind::Binary(BinOp::Div) => args[0] / args[1],
        Kind::Binary(BinOp::Pow) => power(args[0], args[1], ast.integer_exponent(node.args[1])),
        Kind::Call(f) => {
            let exponent = (f == Func::Pow).then(|| ast.integer_exponent(node.args[1]));
            f.apply(args, exponent.flatten())
        }
        Kind::Number { .. } | Kind::Var(_) => unreachable!("leaves have no operation"),
    }
}

/// Everything the engine says about the expression at a point.
#[derive(Clone, Debug)]
pub struct Derivatives {
    /// The value of every node, root last.
    pub nodes: Vec<f64>,
    /// `∂f/∂xₖ` for the point's variables, in `--at` order.
    pub grad: Vec<f64>,
    /// `∂²f/∂xₖ∂xₗ`, when asked for.
    pub hessian: Option<Vec<Vec<f64>>>,
}

impl Derivatives {
    /// The value of the expression.
    pub fn value(&self) -> f64 {
        *self.nodes.last().expect("an expression has a node")
    }
}

/// `ast` at `point`, where `binding[i]` is the point index of `ast.vars[i]`.
///
/// The gradient is the recorded one (`tape.grad`), so each component is differentiated
/// again for the Hessian row: second derivatives come from the engine, never from
/// differences.
pub fn differentiate(ast: &Ast, point: &Point, binding: &[usize], hessian: bool) -> Derivatives {
    let tape = Tape::<f64>::with_capacity(4 * ast.nodes.len());
    let leaves: Vec<V> = point
        .values
        .iter()
        .map(|&x| tape.leaf(Tensor::scalar(x)))
        .collect();
    let vars: Vec<V> = binding.iter().map(|&k| leaves[k]).collect();
    let nodes = evaluate(ast, &tape, &vars);
    let f = nodes[ast.root()];
    let grad = tape.grad(f, &leaves);
    let hessian = hessian.then(|| {
        grad.iter()
            .map(|&g| tape.grad(g, &leaves).iter().map(|h| h.item()).collect())
            .collect()
    });
    Derivatives {
        nodes: nodes.iter().map(|v| v.item()).collect(),
        grad: grad.iter().map(|g| g.item()).collect(),
        hessian,
    }
}

/// One operation on its own: its first (and optionally second) derivatives
/// with respect to its operands at `args`, from a tape of its own.
pub struct Local {
    pub jacobian: Vec<f64>,
    pub hessian: Vec<Vec<f64>>,
}

/// The [`Local`] derivatives of node `id` at operand values `args`.
pub fn local(ast: &Ast, id: Id, args: &[f64], second: bool) -> Local {
    let tape = Tape::<f64>::new();
    let xs: Vec<V> = args.iter().map(|&a| tape.leaf(Tensor::scalar(a))).collect();
    let y = apply(ast, id, &xs);
    let g = tape.grad(y, &xs);
    let hessian = if second {
        g.iter()
            .map(|&gi| tape.grad(gi, &xs).iter().map(|h| h.item()).collect())
            .collect()
    } else {
        Vec::new()
    };
    Local {
        jacobian: g.iter().map(|v| v.item()).collect(),
        hessian,
    }
}
