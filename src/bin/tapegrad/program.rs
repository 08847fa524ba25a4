//! The expression as a flat list of f64 instructions: its value and gradient at a point
//! without building a tape, for `--points` (many points, one expression) and for the
//! stencil points `--check` inspects. No Hessian here: that stays with the engine.
//!
//! # Design
//! The engine is the source of truth. Each reverse rule below is the engine op's VJP
//! (`crates/core/src/ops/`) written out on f64 with the same operations in the same order,
//! and the sweep accumulates into each variable in the engine's order (reverse creation
//! order, operands in order), so the results are the engine's bit for bit, edge
//! conventions included; `tests/cli/points.rs` compares the two on many random points.
//! The AST is a tree: every node but the root has exactly one consumer, so only the
//! variables need accumulating.

use crate::ast::{Ast, BinOp, Kind};
use crate::functions::Func;

/// One instruction: what node `i` computes from earlier nodes (by index).
#[derive(Clone, Copy, Debug)]
enum Instr {
    Const(f64),
    Var(usize),
    Neg(usize),
    Add(usize, usize),
    Sub(usize, usize),
    Mul(usize, usize),
    Div(usize, usize),
    Powi(usize, i32),
    Pow(usize, usize),
    Max(usize, usize),
    Min(usize, usize),
    Call(Func, usize),
}

/// A compiled expression and its scratch space.
#[derive(Clone, Debug)]
pub struct Program {
    instrs: Vec<Instr>,
    values: Vec<f64>,
    adjoints: Vec<f64>,
}

impl Program {
    /// Compiles `ast`; `Var(i)` instructions read slot `i` of the point given to
    /// [`eval`](Self::eval), so variables are numbered as in `ast.vars`.
    pub fn new(ast: &Ast) -> Program {
        let instrs: Vec<Instr> = ast
            .nodes
            .iter()
            .map(|node| {
                let a = node.args.first().copied().unwrap_or(0);
                let b = node.args.get(1).copied().unwrap_or(0);
                match node.kind {
                    Kind::Number { value, .. } => Instr::Const(value),
                    Kind::Var(v) => Instr::Var(v),
                    Kind::Neg => Instr::Neg(a),
                    Kind::Binary(BinOp::Add) => Instr::Add(a, b),
                    Kind::Binary(BinOp::Sub) => Instr::Sub(a, b),
                    Kind::Binary(BinOp::Mul) => Instr::Mul(a, b),
                    Kind::Binary(BinOp::Div) => Instr::Div(a, b),
                    Kind::Binary(BinOp::Pow) | Kind::Call(Func::Pow) => {
                        match ast.integer_exponent(b) {
                            Some(n) => Instr::Powi(a, n),
                            None => Instr::Pow(a, b),
                        }
                    }
                    Kind::Call(Func::Max) => Instr::Max(a, b),
                    Kind::Call(Func::Min) => Instr::Min(a, b),
                    Kind::Call(f) => Instr::Call(f, a),
                }
            })
            .collect();
        let n = instrs.len();
        Program {
            instrs,
            values: vec![0.0; n],
            adjoints: vec![0.0; n],
        }
    }

    /// The value of every node at `vars` (one value per `ast.vars`), root last.
    pub fn values(&mut self, vars: &[f64]) -> &[f64] {
        let v = &mut self.values;
        for (i, instr) in self.instrs.iter().enumerate() {
            v[i] = match *instr {
                Instr::Const(c) => c,
                Instr::Var(k) => vars[k],
                Instr::Neg(a) => -v[a],
                Instr::Add(a, b) => v[a] + v[b],
                Instr::Sub(a, b) => v[a] - v[b],
                Instr::Mul(a, b) => v[a] * v[b],
                Instr::Div(a, b) => v[a] / v[b],
                Instr::Powi(a, n) => v[a].powi(n),
                Instr::Pow(a, b) => v[a].powf(v[b]),
                Instr::Max(a, b) => pick(v[a], v[b], v[a] > v[b]),
                Instr::Min(a, b) => pick(v[a], v[b], v[a] < v[b]),
                Instr::Call(f, a) => call(f, v[a]),
            };
        }
        &self.values
    }

    /// The value at `vars`, and `∂f/∂vars[k]` written into `grad` (same length as `vars`).
    pub fn eval(&mut self, vars: &[f64], grad: &mut [f64]) -> f64 {
        self.values(vars);
        let (v, adj) = (&self.values, &mut self.adjoints);
        // -0 is the identity of +, so "first contribution sets, later ones add" (the
        // engine's accumulation) is a plain `+=` from -0.
        grad.fill(-0.0);
        let root = self.instrs.len() - 1;
        adj[root] = 1.0;
        if let Instr::Var(k) = self.instrs[root] {
            grad[k] += 1.0;
        }
        for i in (0..self.instrs.len()).rev() {
            let dy = adj[i];
            let y = v[i];
            let mut send = |to: usize, g: f64| match self.instrs[to] {
                Instr::Var(k) => grad[k] += g,
                _ => adj[to] = g,
            };
            match self.instrs[i] {
                Instr::Const(_) | Instr::Var(_) => {}
                Instr::Neg(a) => send(a, -dy),
                Instr::Add(a, b) => {
                    send(a, dy);
                    send(b, dy);
                }
                Instr::Sub(a, b) => {
                    send(a, dy);
                    send(b, -dy);
                }
                Instr::Mul(a, b) => {
                    send(a, dy * v[b]);
                    send(b, dy * v[a]);
                }
                Instr::Div(a, b) => {
                    let da = dy / v[b];
                    send(a, da);
                    send(b, -(da * y));
                }
                Instr::Powi(a, n) => {
                    let x = v[a];
                    let g = match n {
                        0 => 0.0,
                        i32::MIN => dy * (y / x) * f64::from(n),
                        _ => dy * x.powi(n - 1) * f64::from(n),
                    };
                    send(a, g);
                }
                Instr::Pow(a, b) => {
                    let (x, e) = (v[a], v[b]);
                    // The engine's guards: 0 where the formula would make 0·inf or 0·NaN.
                    let base_live = e != 0.0 || x.powf(e - 1.0).is_finite();
                    let exponent_live = x != 0.0 || e < 0.0 || e.is_nan();
                    send(
                        a,
                        if base_live {
                            dy * e * x.powf(e - 1.0)
                        } else {
                            0.0
                        },
                    );
                    send(b, if exponent_live { dy * y * x.ln() } else { 0.0 });
                }
                Instr::Max(a, b) | Instr::Min(a, b) => {
                    let (p, q) = (v[a], v[b]);
                    let wins = |p: f64, q: f64| match self.instrs[i] {
                        Instr::Max(..) => p > q,
                        _ => p < q,
                    };
                    let wa = if p == q {
                        0.5
                    } else if wins(p, q) {
                        1.0
                    } else if wins(q, p) {
                        0.0
                    } else {
                        f64::NAN
                    };
                    send(a, dy * wa);
                    send(b, dy * (1.0 - wa));
                }
                Instr::Call(f, a) => send(a, call_vjp(f, v[a], y, dy)),
            }
        }
        y_root(v)
    }
}

fn y_root(v: &[f64]) -> f64 {
    *v.last().expect("an expression has a node")
}

/// `max`/`min`'s forward: NaN wins.
fn pick(a: f64, b: f64, a_wins: bool) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a_wins {
        a
    } else {
        b
    }
}

/// A one-argument function's forward, as the engine computes it.
fn call(f: Func, x: f64) -> f64 {
    match f {
        Func::Sin => x.sin(),
        Func::Cos => x.cos(),
        Func::Tan => x.tan(),
        Func::Exp => x.exp(),
        Func::Log => x.ln(),
        Func::Sqrt => x.sqrt(),
        Func::Tanh => x.tanh(),
        Func::Sigmoid if x >= 0.0 => 1.0 / (1.0 + (-x).exp()),
        Func::Sigmoid => {
            let e = x.exp();
            e / (1.0 + e)
        }
        Func::Relu if x > 0.0 || x.is_nan() => x,
        Func::Relu => 0.0,
        Func::Abs => x.abs(),
        Func::Pow | Func::Max | Func::Min => unreachable!("two-argument functions"),
    }
}

/// A one-argument function's VJP at `x` (output `y`, cotangent `dy`), as the engine's.
fn call_vjp(f: Func, x: f64, y: f64, dy: f64) -> f64 {
    match f {
        Func::Sin => dy * x.cos(),
        Func::Cos => -(dy * x.sin()),
        Func::Tan => dy * (y * y + 1.0),
        Func::Exp => dy * y,
        Func::Log if x < 0.0 => dy / x * f64::NAN,
        Func::Log => dy / x,
        Func::Sqrt => dy / (y * 2.0),
        Func::Tanh => dy * (1.0 - y * y),
        Func::Sigmoid => dy * y * (1.0 - y),
        Func::Relu => {
            let mask = if x > 0.0 {
                1.0
            } else if x.is_nan() {
                f64::NAN
            } else {
                0.0
            };
            dy * mask
        }
        Func::Abs => dy * if x == 0.0 { 0.0 } else { x.signum() },
        Func::Pow | Func::Max | Func::Min => unreachable!("two-argument functions"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::differentiate;
    use crate::parser::parse;
    use crate::point::Point;

    /// Equal bits, or both NaN (the payload of a NaN is not part of the semantics).
    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn program_agrees_with_the_engine_bit_for_bit_on_random_points() {
        let exprs = [
            "sin(x*y) + cos(x)/(1 + y^2) - tan(x/4)*exp(-y)",
            "log(x) + sqrt(y) + log(abs(x) + 1)*x^-2",
            "tanh(x - y)*sigmoid(y) + sigmoid(-x) + relu(x) + abs(y)",
            "max(x, y) - min(x, 2*y) + max(x*x, y) + min(y, y)",
            "pow(x, y) + x^y + x^0 + x^1 + y^3 + pow(y, -3) + x^2.5",
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
            let mut program = Program::new(&ast);
            let n = ast.vars.len();
            let mut grad = vec![0.0; n];
            for i in 0..400 {
                // Mostly ordinary values; every fifth point has zeros and ties, the edges
                // where the engine's conventions decide.
                let vars: Vec<f64> = (0..n)
                    .map(|_| match (i % 5, next() % 3) {
                        (0, 0) => 0.0,
                        (0, 1) => 1.0,
                        _ => (next() >> 11) as f64 / (1u64 << 53) as f64 * 8.0 - 4.0,
                    })
                    .collect();
                let point = Point {
                    names: ast.vars.clone(),
                    values: vars.clone(),
                };
                let binding: Vec<usize> = (0..n).collect();
                let want = differentiate(&ast, &point, &binding, false);
                let value = program.eval(&vars, &mut grad);
                assert!(same(value, want.value()), "{src} at {vars:?}: value");
                for ((name, &g), &w) in ast.vars.iter().zip(&grad).zip(&want.grad) {
                    assert!(same(g, w), "{src} at {vars:?}: d/d{name} {g} (engine {w})");
                }
            }
        }
    }
}
