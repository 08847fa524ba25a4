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

/// The options of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    pub expr: String,
    /// Each `--at` argument as given (parsed later, so errors can point into it).
    pub at: Vec<String>,
    pub hessian: bool,
    pub check: bool,
    pub json: bool,
    pub dot: Option<PathBuf>,
}

const FLAGS: [&str; 8] = [
    "expr", "at", "hessian", "check", "json", "dot", "help", "version",
];

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, Problem> {
    let mut args = args.into_iter().map(|a| {
        a.into_string()
            .map_err(|a| Problem::plain(format!("the argument {a:?} is not valid UTF-8")))
    });
    let mut opts = Options::default();
    let mut expr: Option<String> = None;
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
                            _ => "--dot graph.dot",
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
            "dot" => opts.dot = Some(PathBuf::from(value(inline)?)),
            "expr" => {
                let e = value(inline)?;
                if expr.replace(e).is_some() {
                    return Err(Problem::plain("--expr is given twice"));
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
        (None, 1) => positional.pop().expect("one positional argument"),
        (Some(_), _) => {
            return Err(Problem::plain(format!(
                "the expression is given twice: in --expr and as `{}`",
                positional[0]
            )))
        }
        (None, 0) => {
            return Err(Problem::plain("no expression given")
                .hint("tapegrad 'x^2 + 1' --at x=3 (see tapegrad --help)"))
        }
        (None, _) => {
            return Err(Problem::plain(format!(
                "more than one expression: {}",
                positional
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .hint("quote the expression so the shell passes it as one argument: tapegrad 'x * y'"))
        }
    };
    Ok(Command::Run(opts))
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
            expr: "-x^2".into(),
            at: vec!["x=3".into()],
            dot: Some("g.dot".into()),
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
