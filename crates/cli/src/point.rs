//! The point of evaluation: `--at x=1.5,y=-0.5` parsed into names and values, and the
//! binding of the expression's variables to them.

use crate::ast::Ast;
use crate::diagnostic::{Problem, Span};

/// Variables and their values, in the order `--at` gives them (the output's order).
#[derive(Clone, Debug, Default)]
pub struct Point {
    pub names: Vec<String>,
    pub values: Vec<f64>,
}

const FORMAT: &str = "--at takes name=value pairs separated by commas, e.g. --at x=1.5,y=-0.5";

impl Point {
    /// Adds the `name=value` pairs of one `--at` argument; errors point into `raw`.
    pub fn add(&mut self, raw: &str) -> Result<(), Problem> {
        if raw.trim().is_empty() {
            return Err(Problem::at("--at is empty", Span::new(0, 1)).hint(FORMAT));
        }
        let mut col = 0;
        for item in raw.split(',') {
            let len = item.chars().count();
            let lead = item.chars().take_while(|c| c.is_whitespace()).count();
            let trimmed = item.trim();
            let span = Span::new(col + lead, col + lead + trimmed.chars().count().max(1));
            self.add_item(trimmed, span)?;
            col += len + 1;
        }
        Ok(())
    }

    fn add_item(&mut self, item: &str, span: Span) -> Result<(), Problem> {
        if item.is_empty() {
            return Err(Problem::at("empty entry in --at", span).hint(FORMAT));
        }
        let Some((name, value)) = item.split_once('=') else {
            return Err(
                Problem::at(format!("`{item}` has no value"), span).hint(format!(
                    "write {}=NUMBER ({FORMAT})",
                    if is_name(item) { item } else { "name" }
                )),
            );
        };
        let (name, value) = (name.trim(), value.trim());
        let name_span = Span::new(span.start, span.start + name.chars().count().max(1));
        let value_span = match value.chars().count() {
            0 => Span::new(span.end, span.end + 1),
            n => Span::new(span.end - n, span.end),
        };
        if name.is_empty() {
            return Err(Problem::at("a value without a variable name", name_span).hint(FORMAT));
        }
        if !is_name(name) {
            return Err(
                Problem::at(format!("`{name}` is not a variable name"), name_span).hint(
                    "names start with a letter or `_` and go on with letters, digits and `_`",
                ),
            );
        }
        if value.is_empty() {
            return Err(Problem::at(format!("`{name}` has no value"), value_span).hint(FORMAT));
        }
        let parsed = number(name, value).map_err(|p| Problem {
            spans: vec![value_span],
            ..p
        })?;
        if self.names.iter().any(|n| n == name) {
            return Err(Problem::at(format!("`{name}` is given twice"), name_span));
        }
        self.names.push(name.to_string());
        self.values.push(parsed);
        Ok(())
    }
}

/// The value `text` given to `name`: a finite number that does not round to 0 unless it is
/// 0 (`1e-400` is refused as `1e400` is, rather than silently becoming 0).
pub fn number(name: &str, text: &str) -> Result<f64, Problem> {
    let parsed: f64 = text.parse().map_err(|_| {
        Problem::plain(format!("`{text}` is not a number"))
            .hint("numbers look like 2, -0.5, 1e-3 or 2.5e-2")
    })?;
    if !parsed.is_finite() {
        return Err(Problem::plain(format!(
            "the value of `{name}` must be a finite number, not `{text}`"
        )));
    }
    if underflows(text, parsed) {
        return Err(Problem::plain(format!(
            "the value of `{name}`, {text}, is too small for a 64-bit float: it would be 0"
        ))
        .hint("the smallest positive f64 is about 4.9e-324; write 0 for zero"));
    }
    Ok(parsed)
}

/// Whether the number written `text` was read as `value` = 0 though its digits are not all
/// zero.
pub fn underflows(text: &str, value: f64) -> bool {
    value == 0.0
        && text
            .split(['e', 'E'])
            .next()
            .is_some_and(|mantissa| mantissa.chars().any(|c| ('1'..='9').contains(&c)))
}

/// A name of the language: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// For each variable of `ast`, its index in `point`; or the error naming every variable
/// without a value, with carets under their first occurrences.
pub fn bind(ast: &Ast, point: &Point) -> Result<Vec<usize>, Problem> {
    let mut binding = Vec::with_capacity(ast.vars.len());
    let mut missing = Vec::new();
    let first = ast.first_occurrences();
    for (i, name) in ast.vars.iter().enumerate() {
        match point.names.iter().position(|n| n == name) {
            Some(k) => binding.push(k),
            None => missing.push(i),
        }
    }
    if missing.is_empty() {
        return Ok(binding);
    }
    let names: Vec<String> = missing
        .iter()
        .map(|&i| format!("`{}`", ast.vars[i]))
        .collect();
    let example: Vec<String> = ast.vars.iter().map(|v| format!("{v}=1")).collect();
    let message = match names.as_slice() {
        [one] => format!("no value for the variable {one}"),
        [init @ .., last] => format!("no values for the variables {} and {last}", init.join(", ")),
        [] => unreachable!(),
    };
    // `X^2 --at x=1`: the names differ only in case.
    let case = missing.iter().find_map(|&i| {
        let name = &ast.vars[i];
        let given = point.names.iter().find(|n| n.eq_ignore_ascii_case(name))?;
        Some(format!(
            "names are case-sensitive: `{name}` is not `{given}`"
        ))
    });
    Err(Problem {
        message,
        spans: missing.iter().map(|&i| first[i]).collect(),
        hint: Some(
            case.unwrap_or_else(|| {
                format!("give every variable a value: --at {}", example.join(","))
            }),
        ),
    })
}

/// The point's variables that do not occur in `ast` (their derivatives are 0).
pub fn unused<'p>(ast: &Ast, point: &'p Point) -> Vec<&'p str> {
    point
        .names
        .iter()
        .filter(|n| !ast.vars.contains(n))
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_reads_pairs_in_order() {
        let mut p = Point::default();
        p.add("y=-0.5, x = 1e-3").unwrap();
        p.add("z=2").unwrap();
        assert_eq!(p.names, ["y", "x", "z"]);
        assert_eq!(p.values, [-0.5, 1e-3, 2.0]);
    }

    #[test]
    fn point_errors_point_at_the_entry() {
        let err = |s: &str| Point::default().add(s).unwrap_err();
        assert_eq!(err("x=1,y").spans, vec![Span::new(4, 5)]);
        assert_eq!(err("x=1,,y=2").spans, vec![Span::new(4, 5)]);
        assert_eq!(err("x=abc").spans, vec![Span::new(2, 5)]);
        assert_eq!(err("2x=1").spans, vec![Span::new(0, 2)]);
        assert_eq!(err("x=1, x=2").spans, vec![Span::new(5, 6)]);
        assert!(err("x=inf").message.contains("finite"));
    }
}
