//! `--points FILE|-`: the value and gradient at many points, one per line, as CSV or JSON
//! lines. The expression is parsed once; every point is read before the first is
//! evaluated, so a malformed line leaves stdout empty, as for a single point. The engine
//! evaluates the points a chunk at a time, as vectors (see [`batch`]).
//!
//! The input is either lines of `name=value` pairs (`x=1,y=2`, every line naming the same
//! variables) or CSV whose first line names the variables (`x,y` then `1,2`). Empty lines
//! and lines starting with `#` are skipped.

use crate::ast::Ast;
use crate::diagnostic::{Problem, Span};
use crate::eval::{batch, differentiate};
use crate::nonfinite;
use crate::output::{json_string, push_json_number, push_number};
use crate::point::{self, is_name, Point};
use std::fmt::Write as _;
use std::io::Write;

/// The points read from the input: names, and one row of values per point.
pub struct Points<'a> {
    pub names: Vec<String>,
    /// Row after row, `names.len()` values each.
    pub values: Vec<f64>,
    /// Each value as written, when it is already a JSON number (`-1.25`, `3e-2`, not
    /// `+1` or `.5`): printed back as is, which saves formatting it (the output's largest
    /// cost); `None` when it must be formatted.
    pub texts: Vec<Option<&'a str>>,
    /// The input line of each row (1-based), for messages.
    pub lines: Vec<usize>,
}

/// A problem on line `line` (1-based) of the points, with the line's text.
pub type LineProblem = (Problem, String);

/// Reads the points from `text` (`what` names the input in messages).
pub fn read<'a>(text: &'a str, what: &str) -> Result<Points<'a>, LineProblem> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((first_no, first)) = lines.next() else {
        return Err((
            Problem::plain(format!("{what} holds no points"))
                .hint("one point per line: x=1,y=2 (or CSV with a header line: x,y)"),
            String::new(),
        ));
    };
    let at = |no: usize, line: &str, p: Problem| {
        let p = Problem {
            message: format!("line {no} of {what}: {}", p.message),
            ..p
        };
        (p, line.to_string())
    };
    let pairs = first.contains('=');
    let mut names = Vec::new();
    for (item, span) in fields(first) {
        let name = if pairs {
            item.split_once('=').map_or(item, |(n, _)| n).trim()
        } else {
            item
        };
        if !is_name(name) {
            let hint = if pairs {
                "each line gives name=value pairs: x=1,y=2"
            } else {
                "the first line names the variables (x,y), the others give values (1,2); or write x=1,y=2 on each line"
            };
            let message = format!("`{name}` is not a variable name");
            return Err(at(first_no, first, Problem::at(message, span).hint(hint)));
        }
        if names.iter().any(|n| n == name) {
            let message = format!("`{name}` is given twice");
            return Err(at(first_no, first, Problem::at(message, span)));
        }
        names.push(name.to_string());
    }
    let mut points = Points {
        values: Vec::new(),
        texts: Vec::new(),
        lines: Vec::new(),
        names,
    };
    let rows = if pairs {
        Box::new(std::iter::once((first_no, first)).chain(lines)) as Box<dyn Iterator<Item = _>>
    } else {
        Box::new(lines)
    };
    let n = points.names.len();
    let mut row = vec![f64::NAN; n];
    let mut texts: Vec<Option<&str>> = vec![None; n];
    for (no, line) in rows {
        row.fill(f64::NAN);
        let mut count = 0;
        for (item, span) in fields(line) {
            count += 1;
            let (column, text) = if pairs {
                let Some((name, value)) = item.split_once('=') else {
                    let message = format!("`{item}` has no value");
                    return Err(at(
                        no,
                        line,
                        Problem::at(message, span).hint("write name=value"),
                    ));
                };
                let name = name.trim();
                match points.names.iter().position(|n| n == name) {
                    Some(c) if row[c].is_nan() => (c, value.trim()),
                    Some(_) => {
                        let message = format!("`{name}` is given twice");
                        return Err(at(no, line, Problem::at(message, span)));
                    }
                    None => {
                        let message = format!(
                            "`{name}` is not among the variables of the first point ({})",
                            points.names.join(", ")
                        );
                        return Err(at(no, line, Problem::at(message, span)));
                    }
                }
            } else if count <= n {
                (count - 1, item)
            } else {
                let message = format!("more values than the {n} names of the header");
                return Err(at(no, line, Problem::at(message, span)));
            };
            row[column] = point::number(&points.names[column], text).map_err(|p| {
                at(
                    no,
                    line,
                    Problem {
                        spans: vec![span],
                        ..p
                    },
                )
            })?;
            // Zero is left to the formatter, which prints `-0` as `0`.
            texts[column] = (json_decimal(text) && row[column] != 0.0).then_some(text);
        }
        if let Some(c) = row.iter().position(|v| v.is_nan()) {
            let end = line.chars().count();
            let message = format!("no value for `{}`", points.names[c]);
            return Err(at(no, line, Problem::at(message, Span::new(end, end + 1))));
        }
        points.values.extend_from_slice(&row);
        points.texts.extend_from_slice(&texts);
        points.lines.push(no);
    }
    Ok(points)
}

/// Whether `s` is a JSON number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn json_decimal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let from = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - from
    };
    let lead = i;
    match digits(&mut i) {
        0 => return false,
        n if n > 1 && b[lead] == b'0' => return false,
        _ => {}
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// The comma-separated fields of a line, trimmed, with their columns.
fn fields(line: &str) -> impl Iterator<Item = (&str, Span)> {
    // Byte offsets are character columns in ASCII lines, the usual case; the others pay
    // for counting characters.
    let ascii = line.is_ascii();
    let column = move |byte: usize| {
        if ascii {
            byte
        } else {
            line[..byte].chars().count()
        }
    };
    let mut at = 0;
    line.split(',').map(move |item| {
        let start = at + (item.len() - item.trim_start().len());
        let trimmed = item.trim();
        at += item.len() + 1;
        let (a, b) = (column(start), column(start + trimmed.len()));
        (trimmed, Span::new(a, b.max(a + 1)))
    })
}

/// Points evaluated together: one graph of vectors this long. 32 KiB vectors stay in the
/// cache and below the allocator's mmap threshold (2¹⁶ points spent twice the system time
/// on page faults, `benches/cli_points.sh`), and far below the engine's threshold for
/// splitting an element-wise map over threads (2¹⁸), so a run stays on one core. Building
/// the graph (some 60 nodes) once per 4096 points costs little.
const CHUNK: usize = 1 << 12;

/// What a run over many points ends with: text for stderr and the exit status.
pub struct Outcome {
    pub stderr: String,
    pub status: u8,
}

/// Writes the value and gradient of `ast` (written as `src`) at each point to `out`, as
/// CSV (a header, then one row per point) or JSON lines. `binding[i]` is the column of
/// `ast.vars[i]`. A non-finite result is printed, counted, and its first occurrence
/// explained on stderr (status 2), as for one point.
pub fn write(
    ast: &Ast,
    src: &str,
    points: &Points<'_>,
    binding: &[usize],
    json: bool,
    out: &mut impl Write,
) -> std::io::Result<Outcome> {
    let names = &points.names;
    let n = names.len();
    let mut grad = vec![0.0; n];
    let mut buf = String::with_capacity(1 << 16);
    if !json {
        let header: Vec<String> = names.iter().map(|n| format!("d/d{n}")).collect();
        let _ = writeln!(buf, "{},value,{}", names.join(","), header.join(","));
    }
    // The JSON keys, quoted once.
    let keys: Vec<String> = names.iter().map(|n| json_string(n)).collect();
    let mut first_bad: Option<usize> = None;
    let mut bad = 0usize;
    let rows = points.lines.len();
    for start in (0..rows).step_by(CHUNK) {
        let end = rows.min(start + CHUNK);
        let columns = binding
            .iter()
            .map(|&k| (start..end).map(|r| points.values[r * n + k]).collect())
            .collect();
        let (values, grads) = batch(ast, end - start, columns);
        for r in start..end {
            let (row, texts) = (
                &points.values[r * n..(r + 1) * n],
                &points.texts[r * n..(r + 1) * n],
            );
            let value = values[r - start];
            grad.fill(0.0);
            for (g, &k) in grads.iter().zip(binding) {
                grad[k] = g[r - start];
            }
            if !value.is_finite() || grad.iter().any(|g| !g.is_finite()) {
                bad += 1;
                first_bad.get_or_insert(r);
            }
            if json {
                buf.push_str("{\"at\": {");
                for (c, key) in keys.iter().enumerate() {
                    buf.push_str(if c == 0 { "" } else { ", " });
                    buf.push_str(key);
                    buf.push_str(": ");
                    match texts[c] {
                        Some(t) => buf.push_str(t),
                        None => push_json_number(&mut buf, row[c]),
                    }
                }
                buf.push_str("}, \"value\": ");
                push_json_number(&mut buf, value);
                buf.push_str(", \"grad\": {");
                for (c, key) in keys.iter().enumerate() {
                    buf.push_str(if c == 0 { "" } else { ", " });
                    buf.push_str(key);
                    buf.push_str(": ");
                    push_json_number(&mut buf, grad[c]);
                }
                buf.push_str("}}\n");
            } else {
                for (x, t) in row.iter().zip(texts) {
                    match t {
                        Some(t) => buf.push_str(t),
                        None => push_number(&mut buf, *x),
                    }
                    buf.push(',');
                }
                for x in std::iter::once(&value).chain(&grad) {
                    push_number(&mut buf, *x);
                    buf.push(',');
                }
                buf.pop();
                buf.push('\n');
            }
            if buf.len() > (1 << 16) - 1024 {
                out.write_all(buf.as_bytes())?;
                buf.clear();
            }
        }
    }
    out.write_all(buf.as_bytes())?;
    out.flush()?;
    let Some(r) = first_bad else {
        return Ok(Outcome {
            stderr: String::new(),
            status: 0,
        });
    };
    // The first non-finite point, explained by the engine as for `--at`.
    let point = Point {
        names: names.clone(),
        values: points.values[r * n..(r + 1) * n].to_vec(),
    };
    let d = differentiate(ast, &point, binding, false);
    let line = points.lines[r];
    let count = if bad == 1 {
        "1 point has".to_string()
    } else {
        format!("{bad} points have")
    };
    let mut stderr =
        format!("error: {count} a non-finite value or gradient; the first is on line {line}\n");
    if let Some(problem) = nonfinite::explain(ast, src, &point, binding, &d) {
        stderr += &problem.render("error", src);
    }
    Ok(Outcome { stderr, status: 2 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_decimal_accepts_exactly_json_numbers() {
        for ok in ["0", "-1.25", "3e-2", "10E+5", "0.5"] {
            assert!(json_decimal(ok), "{ok}");
        }
        for bad in ["+1", ".5", "1.", "01", "1e", "-", "", "1.5e+", "0x1"] {
            assert!(!json_decimal(bad), "{bad}");
        }
    }
}
