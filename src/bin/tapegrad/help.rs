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

OPTIONS
    --at LIST      the point: x=1.5,y=-0.5 (may be repeated); output follows this order
    --expr EXPR    the expression, when it is not the positional argument
    --hessian      also print the Hessian (the engine's second-order gradients)
    --check        compare the derivatives with central finite differences (the core's
                   gradient checker, orders 1 and, with --hessian, 2) and print the
                   worst error; exit status 3 when it fails
    --json         print one JSON object instead of text
    --dot FILE     write the expression graph (values, and each variable's derivative) as
                   Graphviz DOT
    -h, --help     this text
    --version      the version

THE LANGUAGE
    expr    := term (('+' | '-') term)*          left-associative
    term    := unary (('*' | '/') unary)*        left-associative
    unary   := '-' unary | power
    power   := primary ('^' unary)?              right-associative
    primary := NUMBER | NAME | FUNC '(' expr (',' expr)* ')' | '(' expr ')'

    Numbers: 2  0.5  1e-3  2.5e-2 (a leading `-` is unary minus). Names: letters, digits
    and `_`, starting with a letter or `_`; a name is a variable unless followed by `(`.
    Whitespace is free.
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
    form that reads back to the same f64 (exponent notation below 1e-6 and from 1e21).
    --json prints {{"value": v, "grad": {{"x": .., "y": ..}}, "hessian": {{"x": {{"x": ..,
    "y": ..}}, ..}}, "check": {{..}}}} (hessian and check only when asked for); NaN and
    infinities as the strings "nan", "inf", "-inf".

EXIT STATUS
    0  success (a warning, e.g. a value for a variable not in the expression, is on stderr)
    1  the arguments or the expression are wrong: stderr says where; nothing is printed
    2  the value, gradient or Hessian holds a NaN or an infinity: it is printed, and stderr
       names the sub-expression that produced it first
    3  --check found a derivative that disagrees with finite differences

EXAMPLES
    tapegrad 'sin(x*y) + exp(x)/(1 + y^2)' --at x=1.5,y=-0.5 --hessian --check
    tapegrad 'tanh(w*x + b)' --at w=0.5,x=2,b=-1 --json
    tapegrad 'x^3 - 2*x' --at x=1 --dot graph.dot
    tapegrad --at x=3 -- '-x^2'
    tapegrad 'max(x, y) + relu(x - 1)' --at x=2,y=1
"#,
        version = env!("CARGO_PKG_VERSION"),
        functions = functions.join("\n"),
    )
}
