//! Shared by the CLI tests (`tests/cli/`): runs the built `tapegrad` binary and reads its
//! JSON output with a small parser (so the tests also check that the JSON is well formed).
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};

/// What one run of the binary produced.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Runs `tapegrad` with `args`.
pub fn tapegrad(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_tapegrad"))
        .args(args)
        .output()
        .expect("the tapegrad binary runs");
    Run {
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        code: out.status.code().expect("tapegrad exits (no signal)"),
    }
}

/// Runs `tapegrad` with `args`, writing `input` to its standard input.
pub fn tapegrad_stdin(args: &[&str], input: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tapegrad"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the tapegrad binary runs");
    let mut stdin = child.stdin.take().expect("a stdin pipe");
    let input = input.to_string();
    // A writer thread, so a child that answers before reading everything cannot deadlock.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("tapegrad exits");
    writer.join().expect("the writer thread");
    Run {
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        code: out.status.code().expect("tapegrad exits (no signal)"),
    }
}

/// Runs `tapegrad EXPR --at AT --json [extra]`, expects success, returns the object.
pub fn json(expr: &str, at: &str, extra: &[&str]) -> Json {
    let mut args = vec!["--json", "--expr", expr];
    if !at.is_empty() {
        args.extend(["--at", at]);
    }
    args.extend(extra);
    let run = tapegrad(&args);
    assert_eq!(
        run.code, 0,
        "tapegrad {args:?} failed:\n{}{}",
        run.stdout, run.stderr
    );
    parse_json(&run.stdout)
}

/// Runs and expects a failure with status `code` and nothing on stdout; returns stderr.
pub fn fails(args: &[&str], code: i32) -> String {
    let run = tapegrad(args);
    assert_eq!(
        run.code, code,
        "tapegrad {args:?}: expected status {code}\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    if code == 1 {
        assert_eq!(run.stdout, "", "a rejected input prints no result");
    }
    assert!(
        !run.stderr.contains("panicked"),
        "tapegrad {args:?} panicked:\n{}",
        run.stderr
    );
    run.stderr
}

/// The value of `expr` at `at`.
pub fn value(expr: &str, at: &str) -> f64 {
    json(expr, at, &[]).get("value").num()
}

/// The column (1-based, in characters) of the first caret in a diagnostic, relative to the
/// echoed source line above it.
pub fn caret_column(stderr: &str) -> usize {
    let lines: Vec<&str> = stderr.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.trim_start().starts_with('^'))
        .unwrap_or_else(|| panic!("no caret line in:\n{stderr}"));
    lines[i].chars().position(|c| c == '^').unwrap() - 2 + 1
}

/// A JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    /// Keys in the order written.
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> &Json {
        match self {
            Json::Obj(m) => {
                &m.iter()
                    .find(|(k, _)| k == key)
                    .unwrap_or_else(|| panic!("no key {key:?} in {self:?}"))
                    .1
            }
            _ => panic!("not an object: {self:?}"),
        }
    }

    /// True when an object has `key`.
    pub fn has(&self, key: &str) -> bool {
        matches!(self, Json::Obj(m) if m.iter().any(|(k, _)| k == key))
    }

    /// The keys of an object, in order.
    pub fn keys(&self) -> Vec<String> {
        match self {
            Json::Obj(m) => m.iter().map(|(k, _)| k.clone()).collect(),
            _ => panic!("not an object: {self:?}"),
        }
    }

    /// A number, reading the strings "nan", "inf", "-inf" as the output writes them.
    pub fn num(&self) -> f64 {
        match self {
            Json::Num(x) => *x,
            Json::Str(s) if s == "nan" => f64::NAN,
            Json::Str(s) if s == "inf" => f64::INFINITY,
            Json::Str(s) if s == "-inf" => f64::NEG_INFINITY,
            _ => panic!("not a number: {self:?}"),
        }
    }
}

/// Parses one JSON document (followed only by whitespace).
pub fn parse_json(text: &str) -> Json {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let v = json_value(&chars, &mut i);
    skip_ws(&chars, &mut i);
    assert_eq!(i, chars.len(), "trailing text after JSON: {text:?}");
    v
}

fn skip_ws(c: &[char], i: &mut usize) {
    while *i < c.len() && c[*i].is_whitespace() {
        *i += 1;
    }
}

fn expect(c: &[char], i: &mut usize, ch: char) {
    skip_ws(c, i);
    assert_eq!(c.get(*i), Some(&ch), "JSON: expected {ch:?} at {i}");
    *i += 1;
}

fn json_value(c: &[char], i: &mut usize) -> Json {
    skip_ws(c, i);
    match c[*i] {
        '{' => {
            *i += 1;
            let mut members = Vec::new();
            skip_ws(c, i);
            if c[*i] == '}' {
                *i += 1;
                return Json::Obj(members);
            }
            loop {
                skip_ws(c, i);
                let Json::Str(k) = json_value(c, i) else {
                    panic!("JSON: object key is not a string")
                };
                expect(c, i, ':');
                let v = json_value(c, i);
                assert!(
                    members.iter().all(|(m, _): &(String, Json)| m != &k),
                    "JSON: duplicate key {k}"
                );
                members.push((k, v));
                skip_ws(c, i);
                *i += 1;
                match c[*i - 1] {
                    ',' => continue,
                    '}' => return Json::Obj(members),
                    other => panic!("JSON: unexpected {other:?} in object"),
                }
            }
        }
        '[' => {
            *i += 1;
            let mut items = Vec::new();
            skip_ws(c, i);
            if c[*i] == ']' {
                *i += 1;
                return Json::Arr(items);
            }
            loop {
                items.push(json_value(c, i));
                skip_ws(c, i);
                *i += 1;
                match c[*i - 1] {
                    ',' => continue,
                    ']' => return Json::Arr(items),
                    other => panic!("JSON: unexpected {other:?} in array"),
                }
            }
        }
        '"' => {
            *i += 1;
            let mut s = String::new();
            while c[*i] != '"' {
                if c[*i] == '\\' {
                    *i += 1;
                    match c[*i] {
                        'n' => s.push('\n'),
                        'u' => {
                            let hex: String = c[*i + 1..*i + 5].iter().collect();
                            s.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
                            *i += 4;
                        }
                        other => s.push(other),
                    }
                } else {
                    s.push(c[*i]);
                }
                *i += 1;
            }
            *i += 1;
            Json::Str(s)
        }
        't' | 'f' | 'n' => {
            let word: String = c[*i..]
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            *i += word.len();
            match word.as_str() {
                "true" => Json::Bool(true),
                "false" => Json::Bool(false),
                "null" => Json::Null,
                _ => panic!("JSON: unknown word {word}"),
            }
        }
        _ => {
            let num: String = c[*i..]
                .iter()
                .take_while(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
                .collect();
            *i += num.len();
            // JSON numbers: no leading `+`, no leading zeros, digits around the point.
            assert!(
                !num.starts_with('+') && !num.starts_with('.') && !num.contains(".e"),
                "JSON: bad number {num}"
            );
            Json::Num(
                num.parse()
                    .unwrap_or_else(|_| panic!("JSON: bad number {num}")),
            )
        }
    }
}

/// `|got - want| <= tol * max(1, |want|)`, with NaN equal to NaN and infinities exact.
pub fn close(got: f64, want: f64, tol: f64) -> bool {
    if want.is_nan() || got.is_nan() {
        return want.is_nan() && got.is_nan();
    }
    if want.is_infinite() || got.is_infinite() {
        return got == want;
    }
    (got - want).abs() <= tol * want.abs().max(1.0)
}
