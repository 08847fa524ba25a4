//! Parses the language into an [`Ast`], with an explicit stack instead of recursion so that
//! no nesting depth can overflow the call stack. The grammar (from the issue, pinned by
//! `tests/cli/grammar.rs`):
//!
//! ```text
//! expr    := term (('+' | '-') term)*          left-associative
//! term    := unary (('*' | '/') unary)*        left-associative
//! unary   := '-' unary | power
//! power   := primary ('^' unary)?              right-associative
//! primary := NUMBER | IDENT | FUNC '(' expr (',' expr)* ')' | '(' expr ')'
//! ```
//!
//! # Design
//! Operator precedence parsing accepts exactly this grammar with binding powers
//! `+ -` 1 (left), `* /` 2 (left), prefix `-` 3, `^` 4 (right): a prefix minus waits on the
//! stack while a `^` binds its operand (`-x^2 = -(x^2)`), and an exponent may itself start
//! with a minus (`2^-x^2 = 2^(-(x^2))`), as the grammar's `'^' unary` says.

use crate::ast::{Ast, BinOp, Id, Kind};
use crate::diagnostic::{did_you_mean, Problem, Span};
use crate::functions::Func;
use crate::lexer::{tokenize, Tok, Token};

/// An operator or bracket waiting on the stack for its right-hand side.
#[derive(Clone, Copy, Debug)]
enum Pending {
    Neg(Span),
    Binary(BinOp),
    Paren(Span),
    /// `name(`; `args` counts the arguments already closed by a comma.
    Call {
        func: Func,
        name: Span,
        args: usize,
    },
}

impl Pending {
    /// Binding power, for operators (brackets are never popped by an operator).
    fn power(self) -> Option<u8> {
        match self {
            Pending::Neg(_) => Some(3),
            Pending::Binary(op) => Some(binding_power(op)),
            Pending::Paren(_) | Pending::Call { .. } => None,
        }
    }
}

fn binding_power(op: BinOp) -> u8 {
    match op {
        BinOp::Add | BinOp::Sub => 1,
        BinOp::Mul | BinOp::Div => 2,
        BinOp::Pow => 4,
    }
}

/// The parser's state: the tree so far, finished operands, and what waits for operands.
struct Parser<'a> {
    src: &'a str,
    tokens: &'a [Token],
    ast: Ast,
    operands: Vec<Id>,
    stack: Vec<Pending>,
}

/// Parses `src`, or explains the first thing that does not fit the grammar.
pub fn parse(src: &str) -> Result<Ast, Problem> {
    let tokens = tokenize(src)?;
    let mut p = Parser {
        src,
        tokens: &tokens,
        ast: Ast::default(),
        operands: Vec::new(),
        stack: Vec::new(),
    };
    let mut expect_operand = true;
    let mut i = 0;
    loop {
        let Token { tok, span } = &tokens[i];
        let span = *span;
        i += 1;
        if expect_operand {
            match tok {
                &Tok::Number { value, integer } => {
                    let id = p.ast.push(Kind::Number { value, integer }, vec![], span);
                    p.operands.push(id);
                    expect_operand = false;
                }
                Tok::Ident(name) if tokens[i].tok == Tok::LParen => {
                    let func = Func::from_name(name).ok_or_else(|| unknown_function(name, span))?;
                    p.stack.push(Pending::Call {
                        func,
                        name: span,
                        args: 0,
                    });
                    i += 1;
                }
                Tok::Ident(name) => {
                    let v = p.ast.var_index(name);
                    p.operands.push(p.ast.push(Kind::Var(v), vec![], span));
                    expect_operand = false;
                }
                Tok::Minus => p.stack.push(Pending::Neg(span)),
                Tok::LParen => p.stack.push(Pending::Paren(span)),
                _ => return Err(p.missing_operand(i - 1)),
            }
            continue;
        }
        let op = match tok {
            Tok::Plus => BinOp::Add,
            Tok::Minus => BinOp::Sub,
            Tok::Star => BinOp::Mul,
            Tok::Slash => BinOp::Div,
            Tok::Caret => BinOp::Pow,
            Tok::RParen => {
                p.reduce_to_bracket()?;
                match p.stack.pop() {
                    Some(Pending::Paren(open)) => {
                        // The node now covers its parentheses, so messages quote `(a+b)`.
                        let top = *p.operands.last().expect("a bracket holds an operand");
                        p.ast.nodes[top].span = open.to(span);
                    }
                    Some(Pending::Call { func, name, args }) => {
                        p.finish_call(func, name, args + 1, span)?
                    }
                    _ => {
                        return Err(Problem::at("unmatched `)`: no `(` is open here", span)
                            .hint("remove it, or add the `(` it should close"))
                    }
                }
                continue;
            }
            Tok::Comma => {
                p.reduce_to_bracket()?;
                match p.stack.last_mut() {
                    Some(Pending::Call { args, .. }) => *args += 1,
                    _ => {
                        return Err(Problem::at(
                            "`,` outside the arguments of a function call",
                            span,
                        )
                        .hint("commas separate arguments, as in pow(x, 2) or max(a, b)"))
                    }
                }
                expect_operand = true;
                continue;
            }
            Tok::End => {
                p.reduce_to_bracket()?;
                if let Some(open) = p.stack.last() {
                    return Err(unclosed(*open, src));
                }
                break;
            }
            Tok::Number { .. } | Tok::Ident(_) | Tok::LParen => {
                return Err(p.missing_operator(i - 1))
            }
        };
        let right = op == BinOp::Pow;
        let bp = binding_power(op);
        while let Some(top) = p.stack.last().and_then(|t| t.power()) {
            if top > bp || (top == bp && !right) {
                p.reduce_one()?;
            } else {
                break;
            }
        }
        p.stack.push(Pending::Binary(op));
        expect_operand = true;
    }
    debug_assert_eq!(p.operands, vec![p.ast.root()]);
    Ok(p.ast)
}

impl Parser<'_> {
    /// Builds the nodes of every operator above the nearest bracket.
    fn reduce_to_bracket(&mut self) -> Result<(), Problem> {
        while self.stack.last().is_some_and(|t| t.power().is_some()) {
            self.reduce_one()?;
        }
        Ok(())
    }

    /// Pops the operator on top of the stack and builds its node.
    fn reduce_one(&mut self) -> Result<(), Problem> {
        let node = match self.stack.pop().expect("an operator to reduce") {
            Pending::Neg(minus) => {
                let x = self.operands.pop().expect("an operand for `-`");
                let span = minus.to(self.ast.nodes[x].span);
                self.ast.push(Kind::Neg, vec![x], span)
            }
            Pending::Binary(op) => {
                let b = self.operands.pop().expect("a right operand");
                let a = self.operands.pop().expect("a left operand");
                if op == BinOp::Pow {
                    self.check_exponent(b)?;
                }
                let span = self.ast.nodes[a].span.to(self.ast.nodes[b].span);
                self.ast.push(Kind::Binary(op), vec![a, b], span)
            }
            Pending::Paren(_) | Pending::Call { .. } => unreachable!("brackets are not reduced"),
        };
        self.operands.push(node);
        Ok(())
    }

    /// Closes `name(...)` with `count` arguments, checking the count.
    fn finish_call(
        &mut self,
        func: Func,
        name: Span,
        count: usize,
        close: Span,
    ) -> Result<(), Problem> {
        let span = name.to(close);
        if count != func.arity() {
            let want = match func.arity() {
                1 => "1 argument".to_string(),
                n => format!("{n} arguments"),
            };
            let example = if func.arity() == 1 {
                format!("{}(x)", func.name())
            } else {
                format!("{}(x, y)", func.name())
            };
            return Err(Problem::at(
                format!(
                    "`{}` takes {want}, but {count} {} given",
                    func.name(),
                    if count == 1 { "was" } else { "were" }
                ),
                span,
            )
            .hint(format!("write {example}")));
        }
        let args = self.operands.split_off(self.operands.len() - count);
        if func == Func::Pow {
            self.check_exponent(args[1])?;
        }
        let id = self.ast.push(Kind::Call(func), args, span);
        self.operands.push(id);
        Ok(())
    }

    /// An integer-literal exponent must fit the engine's `powi(i32)`.
    fn check_exponent(&self, exponent: Id) -> Result<(), Problem> {
        match self.ast.integer_literal(exponent) {
            Some(n) if self.ast.integer_exponent(exponent).is_none() => Err(Problem::at(
                format!(
                    "the integer exponent {n} is out of range: integer powers take exponents up to {} in size",
                    i32::MAX
                ),
                self.ast.nodes[exponent].span,
            )
            .hint("write it with a decimal point (e.g. 3000000000.0) for a real power")),
            _ => Ok(()),
        }
    }

    /// The error for token `at` standing where an operand should be.
    fn missing_operand(&self, at: usize) -> Problem {
        let Token { tok, span } = &self.tokens[at];
        if at == 0 && *tok == Tok::End {
            return Problem::at("the expression is empty", *span)
                .hint("give an expression such as 'x^2 + 1'");
        }
        let after = if at == 0 {
            String::new()
        } else {
            format!(" after {}", self.tokens[at - 1].tok.describe())
        };
        let problem = Problem::at(
            format!(
                "expected a number, a variable, a function call or `(`{after}, found {}",
                tok.describe()
            ),
            *span,
        );
        let prev = (at > 0).then(|| &self.tokens[at - 1].tok);
        match (tok, self.stack.last()) {
            (Tok::Plus, _) => problem.hint("there is no unary plus: write x, not +x"),
            (Tok::Star, _) if prev == Some(&Tok::Star) => {
                problem.hint("powers are written with `^`: x^2, not x**2")
            }
            (Tok::RParen | Tok::Comma, Some(Pending::Call { func, args, .. })) => {
                problem.hint(format!(
                    "`{}` takes {} argument{} (this is argument {})",
                    func.name(),
                    func.arity(),
                    if func.arity() == 1 { "" } else { "s" },
                    args + 1
                ))
            }
            (Tok::RParen, Some(Pending::Paren(_))) => problem.hint("`()` is empty"),
            _ => problem,
        }
    }

    /// The error for token `at` following a complete operand without an operator.
    fn missing_operator(&self, at: usize) -> Problem {
        let Token { tok, span } = &self.tokens[at];
        let problem = Problem::at(
            format!(
                "expected an operator, `)`, `,` or the end, found {}",
                tok.describe()
            ),
            *span,
        );
        let prev = &self.tokens[at - 1];
        let touching = prev.span.end == span.start;
        match (&prev.tok, tok) {
            // `0x10`: the lexer read 0 and then a name `x10`.
            (Tok::Number { value, .. }, Tok::Ident(name))
                if touching
                    && *value == 0.0
                    && prev.span.end - prev.span.start == 1
                    && name.len() > 1
                    && matches!(&name[..1], "x" | "X" | "b" | "B" | "o" | "O") =>
            {
                let radix = match &name[..1] {
                    "x" | "X" => 16,
                    "b" | "B" => 2,
                    _ => 8,
                };
                let hint = match u64::from_str_radix(&name[1..], radix) {
                    Ok(n) => format!("numbers are decimal: write {n} for 0{name}"),
                    Err(_) => "numbers are decimal, there are no 0x, 0b or 0o prefixes".into(),
                };
                problem.hint(hint)
            }
            // `1_000`: the lexer read 1 and then a name `_000`.
            (Tok::Number { .. }, Tok::Ident(name))
                if touching
                    && name.starts_with('_')
                    && name[1..].chars().all(|c| c.is_ascii_digit() || c == '_') =>
            {
                let digits: String = format!("{}{name}", prev.span.text(self.src))
                    .chars()
                    .filter(|&c| c != '_')
                    .collect();
                problem.hint(format!("digits cannot be grouped with `_`: write {digits}"))
            }
            (Tok::Ident(name), _) if Func::from_name(name).is_some() => problem.hint(format!(
                "functions need parentheses: {name}({})",
                span.text(self.src)
            )),
            (Tok::Number { .. }, Tok::Ident(_) | Tok::LParen) => problem.hint(format!(
                "multiplication is written with `*`: {}*{}",
                prev.span.text(self.src),
                span.text(self.src),
            )),
            _ => problem.hint("operators go between operands: + - * / ^"),
        }
    }
}

fn unclosed(open: Pending, src: &str) -> Problem {
    let (span, what) = match open {
        Pending::Paren(span) => (span, "`(`".to_string()),
        Pending::Call { name, .. } => (name, format!("`{}(`", name.text(src))),
        _ => unreachable!("only brackets stay open"),
    };
    Problem::at(format!("{what} is never closed"), span).hint("add the missing `)`")
}

/// Other languages' names for the functions, and what they are called here.
const ALIASES: [(&str, &str); 4] = [
    ("ln", "log"),
    ("logistic", "sigmoid"),
    ("fabs", "abs"),
    ("power", "pow"),
];

fn unknown_function(name: &str, span: Span) -> Problem {
    let problem = Problem::at(format!("unknown function `{name}`"), span);
    let names: Vec<&str> = Func::ALL.iter().map(|f| f.name()).collect();
    if let Some((_, ours)) = ALIASES.iter().find(|(alias, _)| *alias == name) {
        return problem.hint(format!(
            "did you mean `{ours}`? here `{name}` is called `{ours}`"
        ));
    }
    match did_you_mean(name, &names) {
        Some(f) => problem.hint(format!("did you mean `{f}`?")),
        None => problem.hint(format!(
            "the functions are {}; a name followed by `(` is a call, so write {name}*(...) to multiply",
            names.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree written back with every operation parenthesised.
    fn shape(src: &str) -> String {
        let ast = parse(src).unwrap();
        let mut text: Vec<String> = Vec::new();
        for node in &ast.nodes {
            let arg = |i: usize| text[node.args[i]].clone();
            let s = match &node.kind {
                Kind::Number { value, .. } => value.to_string(),
                Kind::Var(v) => ast.vars[*v].clone(),
                Kind::Neg => format!("(-{})", arg(0)),
                Kind::Binary(op) => format!("({} {} {})", arg(0), op.symbol(), arg(1)),
                Kind::Call(f) => {
                    let args: Vec<String> = (0..node.args.len()).map(arg).collect();
                    format!("{}({})", f.name(), args.join(", "))
                }
            };
            text.push(s);
        }
        text.pop().unwrap()
    }

    #[test]
    fn parser_follows_precedence_and_associativity() {
        assert_eq!(shape("-x^2"), "(-(x ^ 2))");
        assert_eq!(shape("2^x^2"), "(2 ^ (x ^ 2))");
        assert_eq!(shape("2^-x^2"), "(2 ^ (-(x ^ 2)))");
        assert_eq!(shape("2^-x*3"), "((2 ^ (-x)) * 3)");
        assert_eq!(shape("-x*y"), "((-x) * y)");
        assert_eq!(shape("a-b-c"), "((a - b) - c)");
        assert_eq!(shape("a/b/c"), "((a / b) / c)");
        assert_eq!(shape("a - -b*c"), "(a - ((-b) * c))");
        assert_eq!(shape("max(a, b+1)*2"), "(max(a, (b + 1)) * 2)");
    }

    #[test]
    fn parser_gives_parenthesised_nodes_their_parentheses() {
        let ast = parse("(a+b)*c").unwrap();
        assert_eq!(ast.nodes[ast.root()].span, Span::new(0, 7));
        assert_eq!(ast.nodes[2].span, Span::new(0, 5));
    }

    #[test]
    fn parser_suggests_near_function_names() {
        let e = parse("sinn(x)").unwrap_err();
        assert_eq!(e.hint.as_deref(), Some("did you mean `sin`?"));
    }
}
