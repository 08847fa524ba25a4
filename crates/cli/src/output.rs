//! What goes to stdout: the value, the gradient, the Hessian and the check, as aligned text
//! or as one JSON object.

use crate::check::{Outcome, Report};
use crate::eval::Derivatives;
use crate::point::Point;
use std::fmt::Write;
use tapegrad_check::gradcheck::Verdict;

/// `x` in the shortest form that reads back to the same f64 (Rust's `{}`), switching to
/// exponent notation for very large and very small magnitudes (`1e-7`, `2.5e300`, also
/// shortest) where `{}` would print hundreds of zeros. Non-finite: `nan`, `inf`, `-inf`.
/// Zero prints as `0` whatever its sign: a `-0` derivative (`abs(x - y)` at a tie) says
/// nothing a reader should act on.
pub fn number(x: f64) -> String {
    let mut out = String::new();
    push_number(&mut out, x);
    out
}

/// Appends [`number`]`(x)` to `out` (no allocation of its own: `--points` prints millions).
pub fn push_number(out: &mut String, x: f64) {
    if x == 0.0 {
        out.push('0');
    } else if x.is_nan() {
        out.push_str("nan");
    } else if x.is_infinite() {
        out.push_str(if x > 0.0 { "inf" } else { "-inf" });
    } else if (1e-6..1e21).contains(&x.abs()) {
        let _ = write!(out, "{x}");
    } else {
        let _ = write!(out, "{x:e}");
    }
}

/// A JSON number, or the string `"nan"`, `"inf"`, `"-inf"`.
pub fn json_number(x: f64) -> String {
    let mut out = String::new();
    push_json_number(&mut out, x);
    out
}

/// Appends [`json_number`]`(x)` to `out`.
pub fn push_json_number(out: &mut String, x: f64) {
    if x.is_finite() {
        push_number(out, x);
    } else {
        out.push('"');
        push_number(out, x);
        out.push('"');
    }
}

/// A JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `{"k": v, ...}` from pairs already rendered as JSON.
fn json_object(pairs: impl IntoIterator<Item = (String, String)>) -> String {
    let body: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{}: {v}", json_string(&k)))
        .collect();
    format!("{{{}}}", body.join(", "))
}

/// One line: the check's verdict and its worst error.
///
/// The checker compares projections (order 1: `vᵀ∂f/∂x` for a random cotangent `v`; order
/// 2: the derivative of a random combination of the gradient, a Hessian-vector product), so
/// the compared numbers are those projections, not the printed derivatives.
fn check_line(report: &Report, point: &Point) -> String {
    let orders = match report.order {
        1 => "order 1".to_string(),
        n => format!("orders 1 and {n}"),
    };
    let cfg = &report.config;
    let settings = format!(
        "{orders}, step {:e}, tolerance {:e} + {:e}*|finite difference|",
        cfg.eps, cfg.atol, cfg.rtol
    );
    match &report.outcome {
        Outcome::Skipped(why) => format!("skipped: {why}"),
        Outcome::Inconclusive(why) => format!("inconclusive ({settings}): {why}"),
        Outcome::Ran {
            verdict,
            worst,
            kinks,
            problems,
        } => {
            let verdict_word = match verdict {
                Verdict::Pass => "passed",
                Verdict::Kink => "passed at a kink",
                Verdict::Fail => "FAILED",
            };
            let mut line = match worst {
                None => format!("{verdict_word} ({settings}): worst error 0"),
                Some(w) => format!(
                    "{verdict_word} ({settings}): worst error {} at order {} in {} ({}: engine {}, finite difference {})",
                    number(w.error),
                    w.order,
                    w.variable.map_or("a random direction", |i| point.names[i].as_str()),
                    w.route,
                    number(w.engine),
                    number(w.finite_difference)
                ),
            };
            if let Some(why) = &report.smaller_step {
                line += &format!("; the step was reduced because {why}");
            }
            if !problems.is_empty() {
                line += &format!("; {}", problems.join("; "));
            }
            if !kinks.is_empty() {
                line += &format!(
                    "; not differentiable here: {} (finite differences straddle the kink)",
                    kinks.join(", ")
                );
            }
            line
        }
    }
}

/// The result as aligned text: `value`, one `d/dx` line per variable, the Hessian as a
/// table, the check.
pub fn text(point: &Point, d: &Derivatives, check: Option<&Report>) -> String {
    let mut labels = vec!["value".to_string()];
    labels.extend(point.names.iter().map(|n| format!("d/d{n}")));
    let width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) + 2;
    let mut out = String::new();
    let numbers = std::iter::once(d.value()).chain(d.grad.iter().copied());
    for (label, x) in labels.iter().zip(numbers) {
        let _ = writeln!(out, "{label:width$}{}", number(x));
    }
    if let Some(h) = &d.hessian {
        out.push_str("hessian\n");
        let names = &point.names;
        let name_w = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) + 2;
        let cells = Cells::new(h, push_number);
        let lens = &cells.lens;
        let mut col_w: Vec<usize> = names.iter().map(|n| n.chars().count()).collect();
        for row in lens.chunks(names.len().max(1)) {
            for (w, &len) in col_w.iter_mut().zip(row) {
                *w = (*w).max(usize::from(len));
            }
        }
        col_w.iter_mut().for_each(|w| *w += 2);
        let mut header = format!("  {:name_w$}", "");
        for (n, w) in names.iter().zip(&col_w) {
            let _ = write!(header, "{n:w$}");
        }
        let _ = writeln!(out, "{}", header.trim_end());
        let mut start = 0;
        for (n, row) in names.iter().zip(lens.chunks(names.len().max(1))) {
            let mut line = format!("  {n:name_w$}");
            for (&len, w) in row.iter().zip(&col_w) {
                let end = start + usize::from(len);
                let _ = write!(line, "{:w$}", &cells.text[start..end]);
                start = end;
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    if let Some(report) = check {
        let _ = writeln!(out, "check  {}", check_line(report, point));
    }
    out
}

/// The result as one JSON object:
/// `{"value": v, "grad": {"x": ..}, "hessian": {"x": {"x": ..}}, "check": {..}}`, the last
/// two only when asked for.
///
/// Written into one buffer sized exactly beforehand: the Hessian of 2,500 variables is 72 MB
/// of JSON, and building it from parts (or letting the buffer double) held it three times.
pub fn json(point: &Point, d: &Derivatives, check: Option<&Report>) -> String {
    let keys: Vec<String> = point.names.iter().map(|n| json_string(n)).collect();
    let grad = json_object(
        point
            .names
            .iter()
            .zip(&d.grad)
            .map(|(n, &x)| (n.clone(), json_number(x))),
    );
    let check = check.map(|report| json_check(report, point));
    let cells = d.hessian.as_ref().map(|h| Cells::new(h, push_json_number));
    let hessian_len = cells.as_ref().map_or(0, |c| matrix_len(&keys, c));
    let mut out = String::with_capacity(
        hessian_len + grad.len() + 64 + check.as_ref().map_or(0, String::len),
    );
    out.push_str("{\"value\": ");
    push_json_number(&mut out, d.value());
    out.push_str(", \"grad\": ");
    out.push_str(&grad);
    if let Some(cells) = &cells {
        out.push_str(", \"hessian\": ");
        push_matrix(&mut out, &keys, cells);
    }
    if let Some(check) = check {
        out.push_str(", \"check\": ");
        out.push_str(&check);
    }
    out.push_str("}\n");
    out
}

/// The cells of a square matrix, each formatted once into one buffer, with its length:
/// n² numbers as n² `String`s took six times the memory of the matrix itself (2,500
/// variables).
struct Cells {
    text: String,
    lens: Vec<u8>,
}

impl Cells {
    fn new(rows: &[Vec<f64>], push: fn(&mut String, f64)) -> Self {
        let mut text = String::new();
        let mut lens = Vec::with_capacity(rows.len() * rows.len());
        for &x in rows.iter().flatten() {
            let before = text.len();
            push(&mut text, x);
            lens.push(u8::try_from(text.len() - before).expect("a number is a few characters"));
        }
        Cells { text, lens }
    }

    /// The cells in row-major order.
    fn iter(&self) -> impl Iterator<Item = &str> {
        let mut start = 0;
        self.lens.iter().map(move |&len| {
            let cell = &self.text[start..start + usize::from(len)];
            start += usize::from(len);
            cell
        })
    }
}

/// Appends `{"x": {"x": .., "y": ..}, ..}` for a square matrix, `keys` quoted.
fn push_matrix(out: &mut String, keys: &[String], cells: &Cells) {
    let mut cells = cells.iter();
    out.push('{');
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(key);
        out.push_str(": {");
        for (j, (key, cell)) in keys.iter().zip(cells.by_ref()).enumerate() {
            if j > 0 {
                out.push_str(", ");
            }
            out.push_str(key);
            out.push_str(": ");
            out.push_str(cell);
        }
        out.push('}');
    }
    out.push('}');
}

/// The length of what [`push_matrix`] appends.
fn matrix_len(keys: &[String], cells: &Cells) -> usize {
    let n = keys.len();
    let keys_len: usize = keys.iter().map(String::len).sum();
    // Per row: ", " (all but the first), the key, ": {", n entries "key: cell" joined
    // by ", ", and "}"; around them "{" and "}".
    2 + n.saturating_sub(1) * 2
        + keys_len
        + n * 4
        + n * (keys_len + 2 * n + 2 * n.saturating_sub(1))
        + cells.text.len()
}

fn json_check(report: &Report, point: &Point) -> String {
    let cfg = &report.config;
    let mut fields = vec![("order".to_string(), report.order.to_string())];
    match &report.outcome {
        Outcome::Skipped(why) => {
            fields.push(("passed".into(), "null".into()));
            fields.push(("skipped".into(), json_string(why)));
        }
        Outcome::Inconclusive(why) => {
            fields.push(("passed".into(), "null".into()));
            fields.push(("inconclusive".into(), json_string(why)));
        }
        Outcome::Ran {
            verdict,
            worst,
            kinks,
            problems,
        } => {
            fields.push(("passed".into(), (*verdict != Verdict::Fail).to_string()));
            fields.push(("kink".into(), (!kinks.is_empty()).to_string()));
            let (error, at) = match worst {
                None => ("0".to_string(), "null".to_string()),
                Some(w) => (
                    json_number(w.error),
                    json_object([
                        (
                            "variable".to_string(),
                            w.variable
                                .map_or("null".into(), |i| json_string(&point.names[i])),
                        ),
                        ("order".to_string(), w.order.to_string()),
                        ("route".to_string(), json_string(&w.route)),
                        ("engine".to_string(), json_number(w.engine)),
                        (
                            "finite_difference".to_string(),
                            json_number(w.finite_difference),
                        ),
                    ]),
                ),
            };
            fields.push(("worst_error".into(), error));
            fields.push(("worst".into(), at));
            if !problems.is_empty() {
                fields.push(("error".into(), json_string(&problems.join("; "))));
            }
            if let Some(why) = &report.smaller_step {
                fields.push(("smaller_step".into(), json_string(why)));
            }
        }
    }
    fields.push(("eps".into(), json_number(cfg.eps)));
    fields.push(("atol".into(), json_number(cfg.atol)));
    fields.push(("rtol".into(), json_number(cfg.rtol)));
    json_object(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_json_is_sized_exactly() {
        for n in [0, 1, 3] {
            let keys: Vec<String> = (0..n)
                .map(|i| json_string(&format!("v{}", i * 37)))
                .collect();
            let rows: Vec<Vec<f64>> = (0..n)
                .map(|i| {
                    (0..n)
                        .map(|j| [0.5, -1e300, f64::NAN, 7.0][(i + j) % 4])
                        .collect()
                })
                .collect();
            let cells = Cells::new(&rows, push_json_number);
            let mut out = String::new();
            push_matrix(&mut out, &keys, &cells);
            assert_eq!(out.len(), matrix_len(&keys, &cells), "{out}");
        }
    }

    #[test]
    fn number_round_trips_in_shortest_form() {
        for x in [0.1, 1.0 / 3.0, -2.5e-300, 1e300, 123456.789, 5e-7, 0.0] {
            assert_eq!(number(x).parse::<f64>().unwrap().to_bits(), x.to_bits());
        }
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(1.0), "1");
        assert_eq!(number(0.001), "0.001");
        assert_eq!(number(1e-7), "1e-7");
        assert_eq!(number(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn json_escapes_strings() {
        assert_eq!(json_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
    }
}
