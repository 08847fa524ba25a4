//! Evaluates an [`Ast`] onto a tape (one loop over the arena, operands first) and takes the
//! value, the gradient and the Hessian from the engine's recorded gradients, at one point
//! or at many points at once (leaves that are vectors, one element per point).

use crate::ast::{Ast, BinOp, Id, Kind};
use crate::functions::{power, Func, V};
use crate::point::Point;
use tapegrad_core::{Tape, Tensor};

/// The variable of every node of `ast` on `tape`; `vars[i]` stands for `ast.vars[i]`.
///
/// The leaves may have any shape (one shape for all): numbers are scalar constants that
/// broadcast, so a point and a batch of points go through this same code.
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

/// `ast` on `tape` at `point`, where `binding[i]` is the point index of `ast.vars[i]`:
/// one leaf per point variable (in `--at` order), and the variable of every node.
pub fn at_point<'t>(
    ast: &Ast,
    tape: &'t Tape<f64>,
    point: &Point,
    binding: &[usize],
) -> (Vec<V<'t>>, Vec<V<'t>>) {
    let leaves: Vec<V> = point
        .values
        .iter()
        .map(|&x| tape.leaf(Tensor::scalar(x)))
        .collect();
    let vars: Vec<V> = binding.iter().map(|&k| leaves[k]).collect();
    let nodes = evaluate(ast, tape, &vars);
    (leaves, nodes)
}

/// `ast` at `point`, where `binding[i]` is the point index of `ast.vars[i]`.
///
/// The gradient is the recorded one (`tape.grad`), so each component is differentiated
/// again for the Hessian row: second derivatives come from the engine, never from
/// differences.
pub fn differentiate(ast: &Ast, point: &Point, binding: &[usize], hessian: bool) -> Derivatives {
    let tape = Tape::<f64>::with_capacity(4 * ast.nodes.len());
    let (leaves, nodes) = at_point(ast, &tape, point, binding);
    let f = nodes[ast.root()];
    let grad = tape.grad(f, &leaves);
    let hessian = hessian.then(|| hessian_rows(&grad, &leaves));
    Derivatives {
        nodes: nodes.iter().map(|v| v.item()).collect(),
        grad: grad.iter().map(|g| g.item()).collect(),
        hessian,
    }
}

/// Rows of the Hessian at a time, in one batched values-only sweep (`try_backward_batched`).
const ROWS_PER_SWEEP: usize = 256;

/// The Hessian's rows, `grad` being the recorded gradient: `ROWS_PER_SWEEP` rows per
/// sweep over the stacked gradient, seeded with rows of the identity.
///
/// # Design
/// A batched sweep seeds every gradient component at once, the ones a row does not want
/// with 0. Where another component's derivative is infinite (`log x` at 0), `0 · ∞` makes
/// that row NaN although the row itself is finite; such a row is computed again on its
/// own, by [`hessian_row`]. Elsewhere the numbers are those of one sweep per row (a zero
/// contribution added changes no sum, though a −0 could come out +0):
/// `hessian_rows_by_backward_equal_recorded_rows_bit_for_bit` checks them bit for bit.
/// For the 2,500-variable product (`benches/hessian_product.sh`) the whole command took
/// 2.8–3.2 s with one sweep per row, 0.9 s with these batches (on a busy machine).
fn hessian_rows<'t>(grad: &[V<'t>], leaves: &[V<'t>]) -> Vec<Vec<f64>> {
    let n = grad.len();
    if n == 0 {
        return Vec::new();
    }
    let flat = V::stack(grad, 0);
    let mut rows = Vec::with_capacity(n);
    for first in (0..n).step_by(ROWS_PER_SWEEP) {
        let k = ROWS_PER_SWEEP.min(n - first);
        let mut seeds = vec![0.0; k * n];
        for j in 0..k {
            seeds[j * n + first + j] = 1.0;
        }
        let columns = match flat.try_backward_batched(Tensor::from_vec(seeds, &[k, n]), leaves) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        for j in 0..k {
            let row: Vec<f64> = columns.iter().map(|c| c.as_slice()[j]).collect();
            if row.iter().any(|v| v.is_nan()) {
                rows.push(hessian_row(grad[first + j], leaves));
            } else {
                rows.push(row);
            }
        }
    }
    rows
}

/// `∂g/∂xₖ` for every leaf: one row of the Hessian, `g` being a recorded gradient
/// component.
///
/// # Design
/// A values-only sweep (`backward`), not `tape.grad`: it records nothing, so each row costs
/// one sweep over the gradient's graph and memory stays that of the graph. Recording every
/// row kept n copies of that graph: 1.6 GB for the 2,500-variable product
/// `v0*v1*…*v2499`, whose Hessian is 50 MB. Both sweeps evaluate the same VJPs, so the
/// numbers are the same.
/// A component that depends on no variable (`x + y`'s gradient is 1, 1) has a zero row.
fn hessian_row<'t>(g: V<'t>, leaves: &[V<'t>]) -> Vec<f64> {
    match g.try_backward_wrt(None, leaves) {
        Ok(row) => row.iter().map(|d| d.item()).collect(),
        Err(e) => panic!("{e}"),
    }
}

/// The value of every node of `ast` at `vars` (one value per `ast.vars`), root last,
/// without derivatives: what `--check` inspects around the point it checks.
pub fn values(ast: &Ast, vars: &[f64]) -> Vec<f64> {
    let tape = Tape::<f64>::with_capacity(ast.nodes.len());
    let leaves: Vec<V> = vars
        .iter()
        .map(|&x| tape.constant(Tensor::scalar(x)))
        .collect();
    evaluate(ast, &tape, &leaves)
        .iter()
        .map(|v| v.item())
        .collect()
}

/// The value and gradient of `ast` at `n` points at once: `columns[i]` holds
/// `ast.vars[i]`'s value at every point (`n` values each). Returns the `n` values and, for
/// each of `ast.vars`, its `n` derivatives.
///
/// # Design
/// One graph whose leaves are vectors `[n]`, and one reverse sweep from `y.sum()`: point
/// i's output depends only on point i's inputs, so `∂(Σ y)/∂xᵢ` is point i's gradient. The
/// engine's element-wise ops apply the same formula to every element whatever the shape,
/// so each number is the one [`differentiate`] gives at that point alone, bit for bit
/// (`tests::batch_agrees_with_one_point_at_a_time_bit_for_bit`). Only the sweep differs:
/// `backward()` (values only) here, the recorded `tape.grad` there; both evaluate the
/// same VJPs.
pub fn batch(ast: &Ast, n: usize, columns: Vec<Vec<f64>>) -> (Vec<f64>, Vec<Vec<f64>>) {
    let tape = Tape::<f64>::with_capacity(4 * ast.nodes.len());
    let leaves: Vec<V> = columns
        .into_iter()
        .map(|c| tape.leaf(Tensor::vector(c)))
        .collect();
    let y = evaluate(ast, &tape, &leaves)[ast.root()];
    if leaves.is_empty() {
        // A constant expression: nothing to differentiate (the engine refuses a leafless
        // root), one value for every point.
        return (vec![y.item(); n], Vec::new());
    }
    let grads = y.sum().backward();
    let grads = leaves.iter().map(|&x| grads.wrt(x).into_vec()).collect();
    (y.value().into_vec(), grads)
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
        g.iter().map(|&gi| hessian_row(gi, &xs)).collect()
    } else {
        Vec::new()
    };
    Local {
        jacobian: g.iter().map(|v| v.item()).collect(),
        hessian,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse;

    /// Equal bits, or both NaN (the payload of a NaN is not part of the semantics).
    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn hessian_rows_by_backward_equal_recorded_rows_bit_for_bit() {
        // The rows come from values-only sweeps; recording each row with `tape.grad` (the
        // old way) must give the same numbers, constant components and edges included.
        let exprs = [
            "sin(x*y) + cos(x)/(1 + y^2) - tan(x/4)*exp(-y)",
            "log(x) + sqrt(y) + x/y + relu(x - y)*x + abs(y)*y",
            "max(x*x, y) - min(x, 2*y) + pow(x, y) + x^3",
            "x + 2*y",
            "x*y",
        ];
        let points = [[0.7, -1.3], [0.0, 0.0], [1.0, 1.0], [-0.0, 2.5], [2.0, 2.0]];
        for src in exprs {
            let ast = parse(src).unwrap();
            for p in points {
                let point = Point {
                    names: ast.vars.clone(),
                    values: p.to_vec(),
                };
                let binding: Vec<usize> = (0..ast.vars.len()).collect();
                let h = differentiate(&ast, &point, &binding, true).hessian.unwrap();
                let tape = Tape::<f64>::new();
                let (leaves, nodes) = at_point(&ast, &tape, &point, &binding);
                let grad = tape.grad(nodes[ast.root()], &leaves);
                for (i, &g) in grad.iter().enumerate() {
                    let recorded = tape.grad(g, &leaves);
                    for (j, r) in recorded.iter().enumerate() {
                        assert!(same(h[i][j], r.item()), "{src} at {p:?}: [{i}][{j}]");
                    }
                }
            }
        }
    }

    #[test]
    fn a_row_is_not_spoiled_by_another_components_infinite_derivative() {
        // ∂f/∂z = 1/z is infinite at z = 0; in a batched sweep the rows for x and y meet
        // it with a zero seed (0 · ∞ = NaN) and are computed again on their own
        let ast = parse("x*y + log(z)").unwrap();
        let point = Point {
            names: ast.vars.clone(),
            values: vec![1.0, 2.0, 0.0],
        };
        let h = differentiate(&ast, &point, &[0, 1, 2], true)
            .hessian
            .unwrap();
        assert_eq!(h[0], [0.0, 1.0, 0.0]);
        assert_eq!(h[1], [1.0, 0.0, 0.0]);
        assert_eq!(h[2][2], f64::NEG_INFINITY);
        // and many rows (more than one batch) of a product agree with one sweep per row
        let src: Vec<String> = (0..300).map(|i| format!("v{i}")).collect();
        let ast = parse(&src.join("*")).unwrap();
        let values: Vec<f64> = (0..300).map(|i| 1.0 + 0.001 * i as f64).collect();
        let point = Point {
            names: ast.vars.clone(),
            values,
        };
        let binding: Vec<usize> = (0..300).collect();
        let h = differentiate(&ast, &point, &binding, true).hessian.unwrap();
        let tape = Tape::<f64>::new();
        let (leaves, nodes) = at_point(&ast, &tape, &point, &binding);
        let grad = tape.grad(nodes[ast.root()], &leaves);
        for i in [0, 1, 255, 256, 299] {
            let row = hessian_row(grad[i], &leaves);
            assert!(row.iter().zip(&h[i]).all(|(&a, &b)| same(a, b)), "row {i}");
        }
    }

    #[test]
    fn batch_agrees_with_one_point_at_a_time_bit_for_bit() {
        let exprs = [
            "sin(x*y) + cos(x)/(1 + y^2) - tan(x/4)*exp(-y)",
            "log(x) + sqrt(y) + log(abs(x) + 1)*x^-2 + x/y",
            "tanh(x - y)*sigmoid(y) + sigmoid(-x) + relu(x) + abs(y) + relu(x - y)",
            "max(x, y) - min(x, 2*y) + max(x*x, y) + min(y, y) + max(x, 0) + min(1, y)",
            "pow(x, y) + x^y + x^0 + x^1 + y^3 + pow(y, -3) + x^2.5 + pow(x, 0.5) + y^x",
            "x*x*x - x/x + y/(x*y) - -x + (x - y)*(x + y)",
            "x",
            "2 + 3*4",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for src in exprs {
            let ast = parse(src).unwrap();
            let k = ast.vars.len();
            // Mostly ordinary values; every fifth point has zeros (±0) and ones, and every
            // seventh a tie x = y: the edges where the engine's conventions decide (kinks,
            // max/min ties, x/0, 0/0, 0^y, log 0).
            let points: Vec<Vec<f64>> = (0..400)
                .map(|i| {
                    let mut p: Vec<f64> = (0..k)
                        .map(|_| match (i % 5, next() % 4) {
                            (0, 0) => 0.0,
                            (0, 1) => 1.0,
                            (0, 2) => -0.0,
                            _ => (next() >> 11) as f64 / (1u64 << 53) as f64 * 8.0 - 4.0,
                        })
                        .collect();
                    if i % 7 == 3 && k == 2 {
                        p[1] = p[0];
                    }
                    p
                })
                .collect();
            let columns = (0..k)
                .map(|v| points.iter().map(|p| p[v]).collect())
                .collect();
            let (values, grads) = batch(&ast, points.len(), columns);
            assert_eq!(values.len(), points.len(), "{src}");
            for (i, p) in points.iter().enumerate() {
                let point = Point {
                    names: ast.vars.clone(),
                    values: p.clone(),
                };
                let binding: Vec<usize> = (0..k).collect();
                let want = differentiate(&ast, &point, &binding, false);
                let value = values[i];
                assert!(same(value, want.value()), "{src} at {p:?}: value {value}");
                for (v, name) in ast.vars.iter().enumerate() {
                    let (g, w) = (grads[v][i], want.grad[v]);
                    assert!(same(g, w), "{src} at {p:?}: d/d{name} {g} (one point: {w})");
                }
            }
        }
    }

    #[test]
    fn values_are_the_nodes_of_the_engines_evaluation() {
        let ast = parse("relu(x) * 2 + max(x, y)").unwrap();
        let point = Point {
            names: ast.vars.clone(),
            values: vec![-1.5, 3.0],
        };
        let want = differentiate(&ast, &point, &[0, 1], false).nodes;
        assert_eq!(values(&ast, &[-1.5, 3.0]), want);
        assert_eq!(want.last(), Some(&3.0));
    }
}
