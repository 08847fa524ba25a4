//! `tapegrad`: the value, exact gradient and Hessian of an expression typed in the shell,
//! computed by the tapegrad engine. `tapegrad --help` documents the language.
//!
//! The pieces: `args` (the command line), `point` (`--at`), `lexer` and `parser` (the
//! language, into the arena of `ast`), `functions` (names onto engine methods), `eval`
//! (onto a tape, derivatives), `nonfinite` (where a NaN or infinity came from), `check`
//! (`--check`) with `singular` (kinks, poles and domain edges the check must not blame),
//! `points` (`--points`, many points evaluated by the engine as vectors), `output` (text
//! and JSON), `dot` (`--dot`, the core's graph export), `diagnostic` (messages with carets),
//! `help`.
//!
//! Every value and derivative comes from the engine's ops and its one reverse sweep; the
//! command writes no derivative of its own.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod args;
mod ast;
mod check;
mod diagnostic;
mod dot;
mod eval;
mod functions;
mod help;
mod lexer;
mod nonfinite;
mod output;
mod parser;
mod point;
mod points;
mod singular;

use args::{Command, DotTarget, Input, Options, Source};
use diagnostic::Problem;
use point::Point;
use std::io::Write;
use std::process::ExitCode;

/// Exit statuses (documented in `--help`).
const BAD_INPUT: u8 = 1;
const NOT_FINITE: u8 = 2;
const CHECK_FAILED: u8 = 3;

fn main() -> ExitCode {
    let command = match args::parse(std::env::args_os().skip(1)) {
        Ok(c) => c,
        Err(p) => return fail(&p, ""),
    };
    let opts = match command {
        Command::Help => return emit(&help::text()),
        Command::Version => return emit(&format!("tapegrad {}\n", env!("CARGO_PKG_VERSION"))),
        Command::Run(opts) => opts,
    };
    match run(&opts) {
        Ok((stdout, stderr, status)) => {
            let written = emit(&stdout);
            eprint!("{stderr}");
            if written == ExitCode::SUCCESS {
                ExitCode::from(status)
            } else {
                written
            }
        }
        Err((problem, src)) => fail(&problem, &src),
    }
}

/// Prints an error and returns the bad-input status.
fn fail(problem: &Problem, src: &str) -> ExitCode {
    eprint!("{}", problem.render("error", src));
    ExitCode::from(BAD_INPUT)
}

/// Writes to stdout; a closed pipe (`tapegrad ... | head -1`) is not an error worth a panic.
fn emit(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write the output: {e}");
            ExitCode::from(BAD_INPUT)
        }
    }
}

/// Runs the command: `Ok((stdout, stderr, status))`, or the problem and the text it is
/// about (the expression or an `--at` argument).
fn run(opts: &Options) -> Result<(String, String, u8), (Problem, String)> {
    let text = match &opts.expr {
        Source::Text(text) => text.clone(),
        Source::File(input) => input.read().map_err(|p| (p, String::new()))?,
    };
    let src = text.as_str();
    let mut ast = parser::parse(src).map_err(|p| (p, src.to_string()))?;
    if let Some(input) = &opts.points {
        return run_points(&mut ast, src, input, opts.json);
    }
    let mut point = Point::default();
    for at in &opts.at {
        point
            .add(at)
            .map_err(|p| (prefix(p, "malformed --at: "), at.clone()))?;
    }
    ast.bind_constants(&point.names);
    let binding = point::bind(&ast, &point).map_err(|p| (p, src.to_string()))?;
    let mut stderr = String::new();
    for name in point::unused(&ast, &point) {
        stderr += &Problem::plain(format!(
            "`{name}` is given a value but does not occur in the expression; its derivative is 0"
        ))
        .render("warning", "");
    }

    let d = eval::differentiate(&ast, &point, &binding, opts.hessian);
    let nonfinite = nonfinite::explain(&ast, src, &point, &binding, &d);
    let order = if opts.hessian { 2 } else { 1 };
    let check = opts.check.then(|| match nonfinite {
        Some(_) => check::Report::skipped(order, "the result is not finite"),
        None => check::run(&ast, src, &point, &binding, order),
    });
    let graph = opts
        .dot
        .as_ref()
        .map(|_| dot::graph(&ast, &point, &binding));
    if let (Some(DotTarget::File(path)), Some(graph)) = (&opts.dot, &graph) {
        std::fs::write(path, graph).map_err(|e| {
            (
                Problem::plain(format!("cannot write {}: {e}", path.display())),
                String::new(),
            )
        })?;
    }
    let stdout = if let (Some(DotTarget::Stdout), Some(graph)) = (&opts.dot, graph) {
        // `--dot -`: stdout is the graph alone, for a pipe into `dot -Tsvg`.
        graph
    } else if opts.json {
        output::json(&point, &d, check.as_ref())
    } else {
        output::text(&point, &d, check.as_ref())
    };
    let mut status = 0;
    if let Some(problem) = nonfinite {
        stderr += &problem.render("error", src);
        status = NOT_FINITE;
    } else if check.as_ref().is_some_and(|c| !c.ok()) {
        stderr += "error: the gradient check failed (see the check line)\n";
        status = CHECK_FAILED;
    }
    Ok((stdout, stderr, status))
}

/// `--points`: every point read first, then the values and gradients streamed to stdout.
fn run_points(
    ast: &mut ast::Ast,
    src: &str,
    input: &Input,
    json: bool,
) -> Result<(String, String, u8), (Problem, String)> {
    let text = input.read().map_err(|p| (p, String::new()))?;
    let points = points::read(&text, &input.describe())?;
    ast.bind_constants(&points.names);
    let point = Point {
        names: points.names.clone(),
        values: Vec::new(),
    };
    let binding = point::bind(ast, &point).map_err(|p| (p, src.to_string()))?;
    let mut stderr = String::new();
    for name in point::unused(ast, &point) {
        stderr += &Problem::plain(format!(
            "`{name}` is given values but does not occur in the expression; its derivative is 0"
        ))
        .render("warning", "");
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match points::write(ast, src, &points, &binding, json, &mut out) {
        Ok(outcome) => Ok((String::new(), stderr + &outcome.stderr, outcome.status)),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok((String::new(), stderr, 0)),
        Err(e) => Err((
            Problem::plain(format!("cannot write the output: {e}")),
            String::new(),
        )),
    }
}

fn prefix(mut p: Problem, what: &str) -> Problem {
    p.message = format!("{what}{}", p.message);
    p
}
