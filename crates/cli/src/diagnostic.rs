//! What the user reads when something is wrong: a message, the expression (or `--at` list)
//! with carets under the columns at fault, and a hint. Nothing here decides *what* is wrong.

use std::fmt::Write;

/// Columns `start..end` of a source, counted in characters from 0 (shown from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The text of a source these columns cover.
    pub fn text(self, src: &str) -> String {
        src.chars()
            .skip(self.start)
            .take(self.end - self.start)
            .collect()
    }
}

/// A message about some columns of a source.
#[derive(Clone, Debug)]
pub struct Problem {
    pub message: String,
    pub spans: Vec<Span>,
    pub hint: Option<String>,
}

impl Problem {
    /// A problem at one span.
    pub fn at(message: impl Into<String>, span: Span) -> Self {
        Problem {
            message: message.into(),
            spans: vec![span],
            hint: None,
        }
    }

    /// A problem about no particular column.
    pub fn plain(message: impl Into<String>) -> Self {
        Problem {
            message: message.into(),
            spans: Vec::new(),
            hint: None,
        }
    }

    /// Adds the line of advice shown under the carets.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// `level: message`, the source with carets, and the hint, as lines for stderr. Control
    /// characters from the user's text are shown escaped (see [`escape`]).
    pub fn render(&self, level: &str, src: &str) -> String {
        let mut out = format!("{level}: {}", escape(&self.message));
        if let Some(first) = self.spans.first() {
            if src.contains('\n') {
                // A source from a file: the line of the first span, and the spans on it.
                let before: Vec<char> = src.chars().take(first.start).collect();
                let line_no = before.iter().filter(|&&c| c == '\n').count() + 1;
                let start = before.iter().rposition(|&c| c == '\n').map_or(0, |i| i + 1);
                let line: String = src.chars().skip(start).take_while(|&c| c != '\n').collect();
                let end = start + line.chars().count();
                let spans: Vec<Span> = self
                    .spans
                    .iter()
                    .filter(|s| s.start >= start && s.start <= end)
                    .map(|s| Span::new(s.start - start, s.end.min(end + 1) - start))
                    .collect();
                let col = first.start - start + 1;
                let _ = writeln!(out, " (line {line_no}, column {col})");
                out.push_str(&snippet(&line, &spans));
            } else {
                let _ = writeln!(out, " (column {})", first.start + 1);
                out.push_str(&snippet(src, &self.spans));
            }
        } else {
            out.push('\n');
        }
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "  hint: {}", escape(hint));
        }
        out
    }
}

/// `c` as a message shows it: control characters escaped (`\u{1b}`), so that an escape
/// sequence in an expression is shown, not obeyed by the terminal.
fn shown(c: char) -> String {
    if c.is_control() {
        c.escape_default().collect()
    } else {
        c.to_string()
    }
}

/// `s` with its control characters escaped.
pub fn escape(s: &str) -> String {
    s.chars().map(shown).collect()
}

/// Sources longer than this are shown as a window around the first span.
const WIDE: usize = 100;
/// Columns shown before the first span in a window.
const LEAD: usize = 30;

/// Two indented lines: the source (or a window of it) and carets under `spans`.
pub fn snippet(src: &str, spans: &[Span]) -> String {
    // Tabs and newlines would break the alignment of the caret line; other control
    // characters are shown escaped, several columns wide, with as many carets.
    let chars: Vec<String> = src
        .chars()
        .map(|c| {
            if c.is_whitespace() {
                " ".into()
            } else {
                shown(c)
            }
        })
        .collect();
    let first = spans.iter().map(|s| s.start).min().unwrap_or(0);
    let (from, to) = if chars.len() <= WIDE {
        (0, chars.len())
    } else {
        let from = first.saturating_sub(LEAD);
        (from, (from + WIDE - 20).min(chars.len()))
    };
    let lead = if from > 0 { "..." } else { "" };
    let tail = if to < chars.len() { "..." } else { "" };
    let text: String = chars[from..to].concat();
    let mut marks = vec![false; to - from + 1];
    for s in spans {
        let (a, b) = (s.start.max(from), s.end.max(s.start + 1).min(to + 1));
        for m in marks.iter_mut().take(b.saturating_sub(from)).skip(a - from) {
            *m = true;
        }
    }
    let marks: String = marks
        .iter()
        .enumerate()
        .map(|(i, &m)| {
            let width = chars.get(from + i).map_or(1, |c| c.chars().count());
            if m { "^" } else { " " }.repeat(width)
        })
        .collect();
    format!(
        "  {lead}{text}{tail}\n  {}{}\n",
        " ".repeat(lead.len()),
        marks.trim_end()
    )
}

/// The candidate a mistyped `word` most likely meant: one edit away, or two for words of
/// five letters or more (so `foo` does not suggest `cos`).
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let (d, best) = candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .min()?;
    (d == 1 || (d == 2 && word.chars().count() >= 5)).then_some(best)
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn did_you_mean_suggests_only_near_words() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(did_you_mean("sqr", &["sin", "sqrt"]), Some("sqrt"));
        assert_eq!(
            did_you_mean("hesian", &["hessian", "json"]),
            Some("hessian")
        );
        assert_eq!(did_you_mean("foo", &["cos"]), None);
    }

    use super::*;

    #[test]
    fn snippet_puts_carets_under_the_columns() {
        assert_eq!(
            snippet("x + * y", &[Span::new(4, 5)]),
            "  x + * y\n      ^\n"
        );
        assert_eq!(snippet("(x", &[Span::new(2, 3)]), "  (x\n    ^\n");
    }

    #[test]
    fn snippet_escapes_control_characters_and_keeps_the_carets_under_them() {
        assert_eq!(
            snippet("x\u{1b}[31m", &[Span::new(1, 2)]),
            "  x\\u{1b}[31m\n   ^^^^^^\n"
        );
    }

    #[test]
    fn problems_in_a_source_of_several_lines_give_the_line_and_show_it() {
        let p = Problem::at("found `*`", Span::new(6, 7));
        assert_eq!(
            p.render("error", "x + 1\n* 2\n"),
            "error: found `*` (line 2, column 1)\n  * 2\n  ^\n"
        );
        assert_eq!(
            Problem::at("unclosed", Span::new(0, 1)).render("error", "(x\n+ 1"),
            "error: unclosed (line 1, column 1)\n  (x\n  ^\n"
        );
    }

    #[test]
    fn snippet_windows_long_sources() {
        let src = format!("{}x{}", "a+".repeat(100), "+b".repeat(100));
        let s = snippet(&src, &[Span::new(200, 201)]);
        let lines: Vec<&str> = s.lines().collect();
        let caret = lines[1].find('^').unwrap();
        assert_eq!(&lines[0][caret..caret + 1], "x");
        assert!(lines[0].starts_with("  ...") && lines[0].ends_with("..."));
    }
}
