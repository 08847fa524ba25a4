//! Splits an expression into tokens, each with the columns it covers. The grammar lives in
//! `parser.rs`; this file only knows what a number, a name and a symbol look like.

use crate::diagnostic::{Problem, Span};

/// One lexical unit of the language.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A literal. `integer` is true when it is written with digits only (`3`, not `3.0`
    /// or `3e0`): only such literals make `x^3` an integer power.
    Number {
        value: f64,
        integer: bool,
    },
    /// A variable, or a function when followed by `(`.
    Ident(String),
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    LParen,
    RParen,
    Comma,
    /// After the last character; its span is the empty column just past the end.
    End,
}

impl Tok {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Tok::Number { .. } => "a number".into(),
            Tok::Ident(name) => format!("`{name}`"),
            Tok::Plus => "`+`".into(),
            Tok::Minus => "`-`".into(),
            Tok::Star => "`*`".into(),
            Tok::Slash => "`/`".into(),
            Tok::Caret => "`^`".into(),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::Comma => "`,`".into(),
            Tok::End => "the end of the expression".into(),
        }
    }
}

/// A token and where it stands in the expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// The tokens of `src`, ending with [`Tok::End`], or the first character that fits no token.
///
/// Numbers are `digits ('.' digits)? ([eE] [+-]? digits)?`; a sign is never part of a number
/// (a leading `-` is unary minus). Names are `[A-Za-z_][A-Za-z0-9_]*`.
pub fn tokenize(src: &str) -> Result<Vec<Token>, Problem> {
    let chars: Vec<char> = src.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let tok = if c.is_ascii_digit() {
            let (tok, end) = number(&chars, start)?;
            i = end;
            tok
        } else if c.is_ascii_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            Tok::Ident(chars[start..i].iter().collect())
        } else {
            i += 1;
            match c {
                '+' => Tok::Plus,
                '-' => Tok::Minus,
                '*' => Tok::Star,
                '/' => Tok::Slash,
                '^' => Tok::Caret,
                '(' => Tok::LParen,
                ')' => Tok::RParen,
                ',' => Tok::Comma,
                '.' => {
                    return Err(
                        Problem::at("a number cannot start with `.`", Span::new(start, i))
                            .hint("write 0.5, not .5"),
                    )
                }
                _ => {
                    return Err(Problem::at(
                        format!("unexpected character `{c}`"),
                        Span::new(start, i),
                    )
                    .hint("the operators are + - * / ^, with parentheses and commas"))
                }
            }
        };
        tokens.push(Token {
            tok,
            span: Span::new(start, i),
        });
    }
    tokens.push(Token {
        tok: Tok::End,
        span: Span::new(chars.len(), chars.len() + 1),
    });
    Ok(tokens)
}

/// Lexes the number starting at `start`; returns it and the index just past it.
fn number(chars: &[char], start: usize) -> Result<(Tok, usize), Problem> {
    let digits = |mut i: usize| {
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = digits(start);
    let mut integer = true;
    if chars.get(i) == Some(&'.') {
        integer = false;
        let after = digits(i + 1);
        if after == i + 1 {
            return Err(Problem::at(
                "expected a digit after the decimal point",
                Span::new(i + 1, i + 2),
            )
            .hint("write 2.0 or 2, not 2."));
        }
        i = after;
    }
    if matches!(chars.get(i), Some('e' | 'E')) {
        integer = false;
        let mut j = i + 1;
        if matches!(chars.get(j), Some('+' | '-')) {
            j += 1;
        }
        let after = digits(j);
        if after == j {
            return Err(Problem::at(
                "expected the exponent's digits after `e`",
                Span::new(j, j + 1),
            )
            .hint("write 1e-3 or 2.5e2; to multiply by a variable named e, write 2*e"));
        }
        i = after;
    }
    let text: String = chars[start..i].iter().collect();
    let value: f64 = text
        .parse()
        .expect("the lexer only accepts Rust float syntax");
    if !value.is_finite() {
        return Err(Problem::at(
            format!("the number {text} is too large for a 64-bit float"),
            Span::new(start, i),
        ));
    }
    if crate::point::underflows(&text, value) {
        return Err(Problem::at(
            format!("the number {text} is too small for a 64-bit float: it would be 0"),
            Span::new(start, i),
        )
        .hint("the smallest positive f64 is about 4.9e-324; write 0 for zero"));
    }
    Ok((Tok::Number { value, integer }, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        tokenize(src).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn lexer_reads_numbers_names_and_symbols() {
        assert_eq!(
            toks("2.5e-2*x_1^3"),
            vec![
                Tok::Number {
                    value: 0.025,
                    integer: false
                },
                Tok::Star,
                Tok::Ident("x_1".into()),
                Tok::Caret,
                Tok::Number {
                    value: 3.0,
                    integer: true
                },
                Tok::End
            ]
        );
    }

    #[test]
    fn lexer_spans_count_characters() {
        let t = tokenize("π").unwrap_err();
        assert_eq!(t.spans, vec![Span::new(0, 1)]);
        let t = tokenize(" ab + 1").unwrap();
        assert_eq!(t[0].span, Span::new(1, 3));
        assert_eq!(t[3].span, Span::new(7, 8));
    }

    #[test]
    fn lexer_rejects_malformed_numbers() {
        assert_eq!(tokenize("2.").unwrap_err().spans, vec![Span::new(2, 3)]);
        assert_eq!(tokenize("1e+").unwrap_err().spans, vec![Span::new(3, 4)]);
        assert!(tokenize("1e999").unwrap_err().message.contains("too large"));
        assert!(tokenize("1e-400")
            .unwrap_err()
            .message
            .contains("too small"));
        assert!(tokenize("0e-400 + 1e-320").is_ok());
        assert!(tokenize(".5").is_err());
    }
}
