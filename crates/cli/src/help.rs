//! The `--help` text: usage, the language, the output and examples.

use crate::functions::Func;

/// The full help text.
pub fn text() -> String {
    let functions: Vec<String> = Func::ALL
        .iter()
        .map(|f| format!("    {}", f.summary()))
        .collect();
    format!(
        r#"tapegrad {version}: the value, exact gradient and Hessian of an expression

USAGE
    tapegrad [OPTIONS] EXPR --at NAME=VALUE[,NAME=VALUE...]
    tapegrad [OPTIONS] --expr=EXPR --at=NAME=VALUE,...
    tapegrad [OPTIONS] --at NAME=VALUE,... -- EXPR     (EXPR may begin with `-`)
    tapegrad [OPTIONS] --file PATH|- --at NAME=VALUE,...
    tapegrad [--json] EXPR --points PATH|-

OPTIONS
    --at LIST      the point: x=1.5,y=-0.5 (may be repeated); output follows this order
    --expr EXPR    the expression, when it is not the positional argument
    --file PATH    read the expression from a file, or from standard input with `-` (one
                   command-line argument is limited to 128 KiB; a file is not)
    --points PATH  many points, from a file or standard input (`-`): lines of pairs
                   (x=1,y=2) naming the same variables, or CSV whose first line names
                   them (x,y then 1,2); empty lines and lines starting with # are skipped.
                   Prints CSV (the point, value, d/dNAME...; each coordinate as written)
                   or, with --json, one JSON object per line. Every line is read before
                   the first result is printed; not with --at, --hessian, --check, --dot
    --hessian      also print the Hessian (the engine's second-order gradients)
    --check        compare the derivatives with central finite differences (the core's
                   gradient checker, orders 1 and, with --hessian, 2) and print the
                   worst error; exit status 3 when it fails. When the step (1e-6) would
                   cross a kink, pole or domain edge (relu(x) at x = 1e-9), the check is
                   redone with smaller steps (down to 1e-12) that stay on one side, and
                   is "inconclusive" (exit 0) when none does: a difference across a kink
                   measures the jump, not the derivative
    --json         print one JSON object instead of text
    --dot FILE     write the engine's graph of the expression (values, and each variable's
                   derivative) as Graphviz DOT; `--dot -` prints it on stdout instead of
                   the result
    -h, --help     this text
    --version      the version
    Options that take a value may be given once (except --at).

THE LANGUAGE
    expr    := term (('+' | '-') term)*          left-associative
    term    := unary (('*' | '/') unary)*        left-associative
    unary   := '-' unary | power
    power   := primary ('^' unary)?              right-associative
    primary := NUMBER | NAME | FUNC '(' expr (',' expr)* ')' | '(' expr ')'

    Numbers: 2  0.5  1e-3  2.5e-2 (a leading `-` is unary minus), decimal only; a number
    too large (1e400) or too small (1e-400, which would be 0) for an f64 is refused, in
    the expression as in --at. Names: letters, digits and `_`, starting with a letter or
    `_`, case-sensitive; a name is a variable unless followed by `(`. Whitespace is free.
    Constants: `pi` (π) and `e` (Euler's number), unless --at (or the --points header)
    gives them a value: then they are variables like any other name.
    `^` binds tighter than unary minus and is right-associative:
        -x^2 = -(x^2)      2^x^2 = 2^(x^2)      y^-1 = y^(-1)
    Unary minus binds tighter than * and /:  -x*y = (-x)*y.
    An exponent written as an integer literal, possibly negated (x^2, x^(-1), pow(x, 3)),
    is an integer power, defined for negative bases. Any other exponent (x^0.5, x^y,
    x^(1+1)) makes the real power a^b, for a > 0, with d/db a^b = a^b ln a (a negative
    base gives NaN, except the value when b is a whole number).
    Everything is evaluated in f64 as written: x - (y - z) is not rearranged.

FUNCTIONS
{functions}

OUTPUT
    The value, then d/dNAME for each variable in --at order; with --hessian the matrix of
    second derivatives; with --check the checker's verdict. Numbers print in the shortest
    form that reads back to the same f64 (exponent notation below 1e-6 and from 1e21);
    zero prints as 0 whatever its sign. Messages show control characters escaped (\u{{1b}}).
    --json prints {{"value": v, "grad": {{"x": .., "y": ..}}, "hessian": {{"x": {{"x": ..,
    "y": ..}}, ..}}, "check": {{..}}}} (hessian and check only when asked for); NaN and
    infinities as the strings "nan", "inf", "-inf". With --points --json, one object per
    point: {{"at": {{"x": ..}}, "value": v, "grad": {{"x": ..}}}}.

EXIT STATUS
    0  success (a warning, e.g. a value for a variable not in the expression, is on stderr),
       including a --check that is inconclusive
    1  the arguments or the expression are wrong: stderr says where; nothing is printed
    2  the value, gradient or Hessian holds a NaN or an infinity: it is printed, and stderr
       names the sub-expression that produced it first (with --points: at any point; the
       first such point is explained)
    3  --check found a derivative that disagrees with finite differences

EXAMPLES
    tapegrad 'sin(x*y) + exp(x)/(1 + y^2)' --at x=1.5,y=-0.5 --hessian --check
    tapegrad 'tanh(w*x + b)' --at w=0.5,x=2,b=-1 --json
    tapegrad 'x^3 - 2*x' --at x=1 --dot graph.dot
    tapegrad --at x=3 -- '-x^2'
    tapegrad 'max(x, y) + relu(x - 1)' --at x=2,y=1
    tapegrad --file big-expression.txt --at x=0.5
    printf 'x,y\n1,2\n3,4\n' | tapegrad 'x*y + sin(x)' --points -
    tapegrad 'x^3 - 2*x' --at x=1 --dot - | dot -Tsvg > graph.svg
"#,
        version = env!("CARGO_PKG_VERSION"),
        functions = functions.join("\n"),
    )
}
