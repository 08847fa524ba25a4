//! The command line: options, the expression and the point, parsed by hand (a handful of
//! flags does not need an argument-parsing crate).

use crate::diagnostic::{did_you_mean, Problem};
use std::ffi::OsString;
use std::path::PathBuf;

/// What the user asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Help,
    Version,
    Run(Options),
}

/// Where the expression comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// Given on the command line.
    Text(String),
    /// `--file PATH`, read when the command runs.
    File(Input),
}

impl Default for Source {
    fn default() -> Self {
        Source::Text(String::new())
    }
}

/// A file to read, or standard input (`-`).
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    Stdin,
    Path(PathBuf),
}

impl Input {
    fn new(value: String) -> Input {
        if value == "-" {
            Input::Stdin
        } else {
            Input::Path(value.into())
        }
    }

    /// Its whole text; the error names the file.
    pub fn read(&self) -> Result<String, Problem> {
        let text = match self {
            Input::Stdin => std::io::read_to_string(std::io::stdin()),
            Input::Path(p) => std::fs::read_to_string(p),
        };
        text.map_err(|e| Problem::plain(format!("cannot read {}: {e}", self.describe())))
    }

    /// How messages name it.
    pub fn describe(&self) -> String {
        match self {
            Input::Stdin => "standard input".into(),
            Input::Path(p) => p.display().to_string(),
        }
    }
}

/// Where `--dot` writes.
#[derive(Clone, Debug, PartialEq)]
pub enum DotTarget {
    /// `--dot -`: the graph replaces the usual output on stdout.
    Stdout,
    File(PathBuf),
}

/// The options of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    pub expr: Source,
    /// Each `--at` argument as given (parsed later, so errors can point into it).
    pub at: Vec<String>,
    /// `--points`: many points, one per line.
    pub points: Option<Input>,
    pub hessian: bool,
    pub check: bool,
    pub json: bool,
    pub dot: Option<DotTarget>,
}

const FLAGS: [&str; 10] = [
    "expr", "file", "at", "points", "hessian", "check", "json", "dot", "help", "version",
];

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, Problem> {
    let mut args = args.into_iter().map(|a| {
        a.into_string()
            .map_err(|a| Problem::plain(format!("the argument {a:?} is not valid UTF-8")))
    });
    let mut opts = Options::default();
    let mut expr: Option<Source> = None;
    // The options that take one value: given twice, which one was meant is unknown.
    let mut seen: Vec<&'static str> = Vec::new();
    let mut positional: Vec<String> = Vec::new();
    let mut options_end = false;
    while let Some(arg) = args.next() {
        let arg = arg?;
        if options_end || arg == "-" || !arg.starts_with('-') {
            positional.push(arg);
            continue;
        }
        if arg == "--" {
            options_end = true;
            continue;
        }
        if arg == "-h" {
            return Ok(Command::Help);
        }
        let Some(body) = arg.strip_prefix("--") else {
            return Err(Problem::plain(format!("unknown option `{arg}`")).hint(format!(
                "an expression that begins with `-` goes after `--` or in --expr=: tapegrad --at x=3 -- '{arg}'"
            )));
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        let mut value = |inline: Option<String>| -> Result<String, Problem> {
            match inline {
                Some(v) => Ok(v),
                None => match args.next() {
                    Some(v) => v,
                    None => Err(Problem::plain(format!("--{name} needs a value")).hint(
                        match name {
                            "at" => "--at x=1.5,y=-0.5",
                            "expr" => "--expr='x^2 + 1'",
                            "file" => "--file expr.txt, or --file - for standard input",
                            "points" => "--points points.csv, or --points - for standard input",
                            _ => "--dot graph.dot, or --dot - for standard output",
                        },
                    )),
                },
            }
        };
        match name {
            "help" | "version" | "hessian" | "check" | "json" if inline.is_some() => {
                return Err(Problem::plain(format!("--{name} takes no value")))
            }
            "help" => return Ok(Command::Help),
            "version" => return Ok(Command::Version),
            "hessian" => opts.hessian = true,
            "check" => opts.check = true,
            "json" => opts.json = true,
            "at" => opts.at.push(value(inline)?),
            "dot" | "expr" | "file" | "points" => {
                let v = value(inline)?;
                let name = FLAGS
                    .into_iter()
                    .find(|f| *f == name)
                    .expect("a known flag");
                if seen.contains(&name) {
                    return Err(Problem::plain(format!("--{name} is given twice"))
                        .hint(format!("give --{name} once")));
                }
                seen.push(name);
                if v.is_empty() && name != "expr" {
                    return Err(Problem::plain(format!("the --{name} path is empty")).hint(
                        format!(
                            "give a file name, or - for standard {}",
                            if name == "dot" { "output" } else { "input" }
                        ),
                    ));
                }
                match name {
                    "dot" if v == "-" => opts.dot = Some(DotTarget::Stdout),
                    "dot" => opts.dot = Some(DotTarget::File(v.into())),
                    "points" => opts.points = Some(Input::new(v)),
                    "file" if expr.is_some() => return Err(twice()),
                    "file" => expr = Some(Source::File(Input::new(v))),
                    _ if expr.is_some() => return Err(twice()),
                    _ => expr = Some(Source::Text(v)),
                }
            }
            _ => {
                let near = did_you_mean(name, &FLAGS);
                let problem = Problem::plain(format!("unknown option `--{name}`"));
                return Err(match near {
                    Some(f) => problem.hint(format!("did you mean --{f}? (see tapegrad --help)")),
                    None => problem.hint("see tapegrad --help"),
                });
            }
        }
    }
    opts.expr = match (expr, positional.len()) {
        (Some(e), 0) => e,
        (None, 1) => Source::Text(positional.pop().expect("one positional argument")),
        (Some(e), _) => {
            return Err(Problem::plain(format!(
                "the expression is given twice: in {} and as `{}`",
                if matches!(e, Source::File(_)) {
                    "--file"
                } else {
                    "--expr"
                },
                positional[0]
            )))
        }
        (None, 0) => {
            return Err(Problem::plain("no expression given")
                .hint("tapegrad 'x^2 + 1' --at x=3 (see tapegrad --help)"))
        }
        (None, _) => {
            if let Some(p) = forgotten_equals(&opts.at, &positional) {
                return Err(p);
            }
            return Err(Problem::plain(format!(
                "more than one expression: {}",
                positional
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .hint(
                "quote the expression so the shell passes it as one argument: tapegrad 'x * y'",
            ));
        }
    };
    if opts.points.is_some() {
        let single = [
            (!opts.at.is_empty(), "--at"),
            (opts.hessian, "--hessian"),
            (opts.check, "--check"),
            (opts.dot.is_some(), "--dot"),
        ];
        if let Some((_, flag)) = single.iter().find(|(given, _)| *given) {
            return Err(Problem::plain(format!(
                "--points cannot be combined with {flag}, which is about one point"
            ))
            .hint("--points prints the value and the gradient at each point"));
        }
        if opts.expr == Source::File(Input::Stdin) && opts.points == Some(Input::Stdin) {
            return Err(Problem::plain(
                "--file - and --points - cannot both read standard input",
            ));
        }
    }
    if opts.json && opts.dot == Some(DotTarget::Stdout) {
        return Err(
            Problem::plain("--json and --dot - both want standard output")
                .hint("write the graph to a file: --dot graph.dot"),
        );
    }
    Ok(Command::Run(opts))
}

fn twice() -> Problem {
    Problem::plain("the expression is given twice (--expr, --file)").hint("give one of them")
}

/// `tapegrad 'x^2' --at x 1`: the `=` was forgotten, so the value looks like a second
/// expression. Recognised when an `--at` entry is a bare name and a positional is a number.
fn forgotten_equals(at: &[String], positional: &[String]) -> Option<Problem> {
    let name = at
        .iter()
        .flat_map(|a| a.split(','))
        .map(str::trim)
        .find(|item| !item.contains('=') && !item.is_empty())?;
    let number = positional
        .iter()
        .find(|p| p.trim().parse::<f64>().is_ok())?;
    Some(
        Problem::plain(format!(
            "`--at {name}` gives no value; `{number}` looks like its value, not a second expression"
        ))
        .hint(format!("join them with `=`: --at {name}={}", number.trim())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Command, Problem> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn args_accept_both_forms_of_each_option() {
        let want = Command::Run(Options {
            expr: Source::Text("-x^2".into()),
            at: vec!["x=3".into()],
            dot: Some(DotTarget::File("g.dot".into())),
            json: true,
            ..Options::default()
        });
        assert_eq!(
            run(&["--expr=-x^2", "--at=x=3", "--json", "--dot=g.dot"]).unwrap(),
            want
        );
        assert_eq!(
            run(&["--at", "x=3", "--dot", "g.dot", "--json", "--", "-x^2"]).unwrap(),
            want
        );
        assert_eq!(
            run(&["--expr", "-x^2", "--at", "x=3", "--json", "--dot", "g.dot"]).unwrap(),
            want
        );
    }

    #[test]
    fn args_reject_what_they_cannot_read() {
        assert!(run(&["-x^2", "--at", "x=3"])
            .unwrap_err()
            .hint
            .unwrap()
            .contains("--"));
        assert!(run(&["x", "--at"])
            .unwrap_err()
            .message
            .contains("needs a value"));
        assert!(run(&["x", "y"])
            .unwrap_err()
            .message
            .contains("more than one"));
        assert!(run(&["--hesian", "x"])
            .unwrap_err()
            .hint
            .unwrap()
            .contains("--hessian"));
        assert!(run(&["--json=1", "x"]).is_err());
        assert!(run(&[]).is_err());
    }
}
