//! The parsed expression: an arena of nodes in which every node comes after its operands,
//! so one forward loop evaluates it and nothing recurses (deep expressions are safe).

use crate::diagnostic::Span;
use crate::functions::Func;

/// Index of a node in [`Ast::nodes`].
pub type Id = usize;

/// A binary operator written between its operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
        }
    }
}

/// What a node computes from its operands ([`Node::args`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A literal; `integer` when written with digits only.
    Number { value: f64, integer: bool },
    /// A variable, by index into [`Ast::vars`].
    Var(usize),
    /// Unary minus.
    Neg,
    /// `a op b`.
    Binary(BinOp),
    /// `f(args)`.
    Call(Func),
}

/// One node: what it computes, its operands, and the columns it was written in.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub args: Vec<Id>,
    pub span: Span,
}

/// An expression: nodes with operands before the nodes that use them; the last is the root.
#[derive(Clone, Debug, Default)]
pub struct Ast {
    pub nodes: Vec<Node>,
    /// Variable names in order of first appearance.
    pub vars: Vec<String>,
}

impl Ast {
    /// The node of the whole expression.
    pub fn root(&self) -> Id {
        self.nodes.len() - 1
    }

    /// Appends a node; its operands must already be in the arena.
    pub fn push(&mut self, kind: Kind, args: Vec<Id>, span: Span) -> Id {
        debug_assert!(args.iter().all(|&a| a < self.nodes.len()));
        self.nodes.push(Node { kind, args, span });
        self.nodes.len() - 1
    }

    /// The index of variable `name`, adding it on first sight.
    pub fn var_index(&mut self, name: &str) -> usize {
        match self.vars.iter().position(|v| v == name) {
            Some(i) => i,
            None => {
                self.vars.push(name.to_string());
                self.vars.len() - 1
            }
        }
    }

    /// `Some(n)` when node `id` is an integer literal, possibly negated: the exponents that
    /// make an integer power (`x^2`, `x^(-1)`, `pow(x, 3)`). Parentheses leave no node, so
    /// `(-1)` and `-1` look the same here.
    pub fn integer_literal(&self, mut id: Id) -> Option<f64> {
        let mut sign = 1.0;
        loop {
            let node = &self.nodes[id];
            match node.kind {
                Kind::Neg => {
                    sign = -sign;
                    id = node.args[0];
                }
                Kind::Number {
                    value,
                    integer: true,
                } => return Some(sign * value),
                _ => return None,
            }
        }
    }

    /// [`integer_literal`](Self::integer_literal) as the engine's `powi` exponent, when it
    /// fits (the parser rejects integer literal exponents that do not).
    pub fn integer_exponent(&self, id: Id) -> Option<i32> {
        self.integer_literal(id)
            .filter(|n| n.abs() <= f64::from(i32::MAX))
            .map(|n| n as i32)
    }

    /// Turns the variables `pi` and `e` into the constants π and e, unless `given` (the
    /// names the point gives values to) names them: a value given for `e` makes it a
    /// variable again.
    pub fn bind_constants(&mut self, given: &[String]) {
        let constant = |name: &str| match name {
            "pi" => Some(std::f64::consts::PI),
            "e" => Some(std::f64::consts::E),
            _ => None,
        };
        let mut renumber = Vec::with_capacity(self.vars.len());
        let mut kept = Vec::new();
        for name in &self.vars {
            match constant(name).filter(|_| !given.contains(name)) {
                Some(c) => renumber.push(Err(c)),
                None => {
                    renumber.push(Ok(kept.len()));
                    kept.push(name.clone());
                }
            }
        }
        for node in &mut self.nodes {
            if let Kind::Var(v) = node.kind {
                node.kind = match renumber[v] {
                    Ok(w) => Kind::Var(w),
                    Err(value) => Kind::Number {
                        value,
                        integer: false,
                    },
                };
            }
        }
        self.vars = kept;
    }

    /// The span of the first occurrence of each variable.
    pub fn first_occurrences(&self) -> Vec<Span> {
        let mut spans: Vec<Option<Span>> = vec![None; self.vars.len()];
        for node in &self.nodes {
            if let Kind::Var(v) = node.kind {
                spans[v].get_or_insert(node.span);
            }
        }
        spans
            .into_iter()
            .map(|s| s.expect("every variable occurs"))
            .collect()
    }

    /// For each node, whether variable `var` occurs in it.
    pub fn depends_on(&self, var: usize) -> Vec<bool> {
        let mut dep = vec![false; self.nodes.len()];
        for (id, node) in self.nodes.iter().enumerate() {
            dep[id] = node.kind == Kind::Var(var) || node.args.iter().any(|&a| dep[a]);
        }
        dep
    }
}
