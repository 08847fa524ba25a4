//! Bad input: every kind gets a clear message on stderr, a caret under the right column
//! where there is a column, a non-zero status, no result on stdout, and never a panic.

use crate::cli_support::{caret_column, fails, tapegrad};

/// Runs a rejected expression; returns stderr after checking the caret column.
fn syntax(expr: &str, column: usize, says: &str) -> String {
    let err = fails(&["--at", "x=1,y=2", "--expr", expr], 1);
    assert!(err.starts_with("error: "), "{expr}: {err}");
    assert!(err.contains(says), "{expr}: expected {says:?} in\n{err}");
    assert!(err.contains(&format!("(column {column})")), "{expr}: {err}");
    assert_eq!(caret_column(&err), column, "{expr}: caret in\n{err}");
    // The echoed source line is the expression itself.
    assert!(err.lines().nth(1).unwrap().contains(expr.trim()), "{err}");
    err
}

#[test]
fn syntax_errors_put_a_caret_under_the_column() {
    syntax(
        "x + * y",
        5,
        "expected a number, a variable, a function call or `(` after `+`, found `*`",
    );
    syntax(
        "x y",
        3,
        "expected an operator, `)`, `,` or the end, found `y`",
    );
    syntax("x^", 3, "found the end of the expression");
    syntax("x *", 4, "after `*`, found the end of the expression");
    syntax("()", 2, "found `)`");
    syntax("sin()", 5, "found `)`");
    syntax("x,y", 2, "`,` outside the arguments of a function call");
    syntax("x $ y", 3, "unexpected character `$`");
    syntax("x + π", 5, "unexpected character `π`");
    syntax("+x", 1, "there is no unary plus");
    syntax("2 + .5", 5, "a number cannot start with `.`");
    syntax("2. + x", 3, "expected a digit after the decimal point");
    syntax("1e + x", 3, "expected the exponent's digits");
    syntax("1e999 * x", 1, "too large");
}

#[test]
fn unbalanced_parentheses_point_at_the_culprit() {
    syntax("(x+1", 1, "`(` is never closed");
    syntax("x * (y + (1", 10, "`(` is never closed");
    syntax("sin(x", 1, "`sin(` is never closed");
    syntax("x+1)", 4, "unmatched `)`");
    syntax("(x))", 4, "unmatched `)`");
}

#[test]
fn juxtaposition_suggests_an_explicit_product() {
    let err = syntax("2x", 2, "found `x`");
    assert!(
        err.contains("hint: multiplication is written with `*`: 2*x"),
        "{err}"
    );
    let err = syntax("3(x+1)", 2, "found `(`");
    assert!(err.contains("3*("), "{err}");
}

#[test]
fn an_empty_expression_is_an_error() {
    for e in ["", "   "] {
        let err = fails(&["--expr", e], 1);
        assert!(err.contains("the expression is empty"), "{err}");
    }
}

#[test]
fn unknown_functions_are_named_with_a_suggestion() {
    let err = syntax("sinn(x)", 1, "unknown function `sinn`");
    assert!(err.contains("did you mean `sin`?"), "{err}");
    let err = syntax("2 + sqr(x)", 5, "unknown function `sqr`");
    assert!(err.contains("did you mean `sqrt`?"), "{err}");
    let err = syntax("1 + foo(x)", 5, "unknown function `foo`");
    assert!(err.contains("the functions are sin, cos, tan, exp, log, sqrt, tanh, sigmoid, relu, abs, pow, max, min"), "{err}");
    // A variable followed by `(` is a call, and the hint says how to multiply instead.
    let err = syntax("x(y+1)", 1, "unknown function `x`");
    assert!(err.contains("x*(...)"), "{err}");
}

#[test]
fn wrong_argument_counts_are_refused() {
    let err = syntax("pow(x)", 1, "`pow` takes 2 arguments, but 1 was given");
    assert!(err.contains("^^^^^^"), "the caret covers the call: {err}");
    syntax(
        "1 + max(x, y, 1)",
        5,
        "`max` takes 2 arguments, but 3 were given",
    );
    syntax("sin(x, y)", 1, "`sin` takes 1 argument, but 2 were given");
    syntax("min(x)", 1, "`min` takes 2 arguments, but 1 was given");
}

#[test]
fn integer_exponents_beyond_i32_are_refused() {
    syntax(
        "x^3000000000",
        3,
        "the integer exponent 3000000000 is out of range",
    );
    syntax(
        "pow(x, -(3000000000))",
        8,
        "the integer exponent -3000000000 is out of range",
    );
}

#[test]
fn variables_without_values_are_named() {
    let err = fails(&["x*y + z", "--at", "x=1"], 1);
    assert!(
        err.contains("no values for the variables `y` and `z`"),
        "{err}"
    );
    assert!(
        err.contains("  x*y + z\n    ^   ^\n"),
        "carets under y and z: {err}"
    );
    assert!(err.contains("--at x=1,y=1,z=1"), "{err}");
    let err = fails(&["x + 1"], 1);
    assert!(err.contains("no value for the variable `x`"), "{err}");
}

#[test]
fn a_value_for_a_variable_not_in_the_expression_is_a_warning() {
    let run = tapegrad(&["2*x", "--at", "x=1,y=5"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, "value  2\nd/dx   2\nd/dy   0\n");
    assert_eq!(
        run.stderr,
        "warning: `y` is given a value but does not occur in the expression; its derivative is 0\n"
    );
}

/// Runs with a malformed `--at`; checks the message and the caret within the `--at` text.
fn bad_at(at: &str, column: usize, says: &str) {
    let err = fails(&["x", "--at", at], 1);
    assert!(err.starts_with("error: malformed --at: "), "{at}: {err}");
    assert!(err.contains(says), "{at}: expected {says:?} in\n{err}");
    assert_eq!(caret_column(&err), column, "{at}: {err}");
    assert!(err.lines().nth(1).unwrap().contains(at.trim()), "{err}");
}

#[test]
fn malformed_at_is_refused_with_a_caret() {
    bad_at("x=1,y", 5, "`y` has no value");
    bad_at("x=1,,y=2", 5, "empty entry");
    bad_at("x=1,", 5, "empty entry");
    bad_at("x=abc", 3, "`abc` is not a number");
    bad_at("x=1.2.3", 3, "not a number");
    bad_at("2x=1", 1, "`2x` is not a variable name");
    bad_at("=1", 1, "a value without a variable name");
    bad_at("x=", 3, "`x` has no value");
    bad_at("x=1, x=2", 6, "`x` is given twice");
    bad_at("x=inf", 3, "must be a finite number");
    bad_at("x=nan", 3, "must be a finite number");
    bad_at(" ", 1, "--at is empty");
}

#[test]
fn bad_options_are_refused() {
    let err = fails(&["x", "--at"], 1);
    assert!(err.contains("--at needs a value"), "{err}");
    let err = fails(&["x", "--at", "x=1", "--hesian"], 1);
    assert!(
        err.contains("unknown option `--hesian`") && err.contains("did you mean --hessian?"),
        "{err}"
    );
    let err = fails(&["-x^2", "--at", "x=3"], 1);
    assert!(
        err.contains("unknown option `-x^2`") && err.contains("-- '-x^2'"),
        "{err}"
    );
    let err = fails(&["x", "y"], 1);
    assert!(
        err.contains("more than one expression: `x`, `y`") && err.contains("quote"),
        "{err}"
    );
    let err = fails(&[], 1);
    assert!(err.contains("no expression given"), "{err}");
    let err = fails(&["--json=yes", "x"], 1);
    assert!(err.contains("--json takes no value"), "{err}");
    let err = fails(&["--expr=x", "y"], 1);
    assert!(err.contains("the expression is given twice"), "{err}");
    let err = fails(&["--expr=x", "--expr=y"], 1);
    assert!(err.contains("--expr is given twice"), "{err}");
}

#[test]
fn an_unwritable_dot_file_is_an_error() {
    let err = fails(&["x", "--at", "x=1", "--dot", "/nonexistent-dir/g.dot"], 1);
    assert!(err.contains("cannot write /nonexistent-dir/g.dot"), "{err}");
    let err = fails(&["x", "--at", "x=1", "--dot", ""], 1);
    assert!(err.contains("the --dot path is empty"), "{err}");
}

#[test]
fn single_valued_options_given_twice_are_errors() {
    for flag in ["--dot", "--points", "--file"] {
        let err = fails(&["--at", "x=1", flag, "a", flag, "b", "--", "x"], 1);
        assert!(err.contains(&format!("{flag} is given twice")), "{err}");
    }
}

/// A run whose result is not finite: status 2, the result printed, stderr names the origin.
fn not_finite(expr: &str, at: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec!["--at", at];
    args.extend(extra);
    args.extend(["--", expr]);
    let run = tapegrad(&args);
    assert_eq!(run.code, 2, "{expr}: {}{}", run.stdout, run.stderr);
    assert!(!run.stderr.contains("panicked"));
    (run.stdout, run.stderr)
}

#[test]
fn a_non_finite_value_names_the_sub_expression_that_made_it() {
    let (out, err) = not_finite("log(x - 1) + 2", "x=1", &[]);
    assert_eq!(out, "value  -inf\nd/dx   inf\n");
    assert!(err.contains("the value is -inf; it first appears in `log(x - 1)`, which is log(0) = -inf (column 1)"), "{err}");
    assert!(err.contains("  log(x - 1) + 2\n  ^^^^^^^^^^\n"), "{err}");

    let (_, err) = not_finite("1 + sqrt(x - 2)*3", "x=1", &[]);
    assert!(err.contains("the value is nan; it first appears in `sqrt(x - 2)`, which is sqrt(-1) = nan (column 5)"), "{err}");

    let (_, err) = not_finite("x/y + 1", "x=1,y=0", &[]);
    assert!(
        err.contains("it first appears in `x/y`, which is 1 / 0 = inf (column 1)"),
        "{err}"
    );

    // inf · -inf: of two culprits on the way down from the root, the first is named.
    let (_, err) = not_finite("(x^-1 + 1) * log(x)", "x=0", &[]);
    assert!(
        err.contains(
            "the value is -inf; it first appears in `x^-1`, which is 0^(-1) = inf (column 2)"
        ),
        "{err}"
    );
}

#[test]
fn a_non_finite_gradient_names_the_operation_whose_derivative_is_infinite() {
    let (out, err) = not_finite("sqrt(x) + y", "x=0,y=1", &[]);
    assert_eq!(out, "value  1\nd/dx   inf\nd/dy   1\n");
    assert!(err.contains("d/dx is inf; it first appears in `sqrt(x)`, where d/du sqrt(u) = inf at u = 0 (column 1)"), "{err}");
    let (_, err) = not_finite("2*y + 1/(x - 1)^2", "x=1,y=3", &[]);
    assert!(err.contains("the value is inf"), "{err}");
}

#[test]
fn the_trace_follows_the_printed_number_not_the_first_non_finite_one_made() {
    // 1/x is inf at 0 first, but 1/(1/x) makes it 0 again: the -inf is log's.
    let (_, err) = not_finite("1/(1/x) + log(x)", "x=0", &[]);
    assert!(
        err.contains("the value is -inf; it first appears in `log(x)`, which is log(0) = -inf"),
        "{err}"
    );
    // Both derivatives are infinite; the first printed, d/dx, is explained, by sqrt(x).
    let (_, err) = not_finite("sqrt(x) + sqrt(y)", "x=0,y=0", &[]);
    assert!(
        err.contains("d/dx is inf; it first appears in `sqrt(x)`, where d/du sqrt(u) = inf"),
        "{err}"
    );
}

#[test]
fn an_overflowing_chain_of_finite_derivatives_is_named_as_such() {
    // exp(exp(x)) at e^x ≈ 709: the value ≈ 8.2e307 fits, its derivative (× 709) does not.
    let (out, err) = not_finite("exp(exp(x))", "x=6.56385", &[]);
    assert!(out.contains("d/dx   inf"), "{out}");
    assert!(
        err.contains("d/dx is inf; it first appears in `exp(exp(x))`, whose derivative overflows"),
        "{err}"
    );
}

#[test]
fn a_non_finite_hessian_is_traced_too() {
    // x^1.5 at 0: value 0, derivative 1.5·0^0.5 = 0, second derivative 0.75·0^-0.5 = inf.
    let (out, err) = not_finite("y + x^1.5", "x=0,y=1", &["--hessian"]);
    assert!(
        out.starts_with("value  1\nd/dx   0\nd/dy   1\nhessian\n"),
        "{out}"
    );
    assert!(err.contains("d2/dx dx is"), "{err}");
    assert!(err.contains("it first appears in `x^1.5`"), "{err}");
}

#[test]
fn non_finite_results_are_json_strings() {
    let run = tapegrad(&["--json", "--at", "x=0", "--", "log(x)"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stdout,
        "{\"value\": \"-inf\", \"grad\": {\"x\": \"inf\"}}\n"
    );
}

#[test]
fn hints_point_the_right_way() {
    for (expr, column, hint) in [
        ("0x10*x", 2, "hint: numbers are decimal: write 16 for 0x10"),
        (
            "1_000*x",
            2,
            "hint: digits cannot be grouped with `_`: write 1000",
        ),
        ("sin x", 5, "hint: functions need parentheses: sin(x)"),
        (
            "x**2",
            3,
            "hint: powers are written with `^`: x^2, not x**2",
        ),
        (
            "ln(x)",
            1,
            "hint: did you mean `log`? here `ln` is called `log`",
        ),
        (
            "1e-400*x",
            1,
            "hint: the smallest positive f64 is about 4.9e-324",
        ),
    ] {
        let err = syntax(expr, column, "");
        assert!(err.contains(hint), "{expr}: {err}");
        assert!(
            !err.contains("0*x10") && !err.contains("1*_000") && !err.contains("ln*("),
            "{err}"
        );
    }
    let err = syntax(
        "1e-400*x",
        1,
        "the number 1e-400 is too small for a 64-bit float: it would be 0",
    );
    assert!(err.contains("^^^^^^"), "{err}");
}

#[test]
fn a_forgotten_equals_sign_is_named_as_such() {
    let err = fails(&["x^2", "--at", "x", "1"], 1);
    assert!(
        err.contains("`--at x` gives no value; `1` looks like its value, not a second expression"),
        "{err}"
    );
    assert!(err.contains("hint: join them with `=`: --at x=1"), "{err}");
    assert!(!err.contains("more than one expression"), "{err}");
}

#[test]
fn names_differing_only_in_case_get_a_hint() {
    let err = fails(&["X^2", "--at", "x=1"], 1);
    assert!(err.contains("no value for the variable `X`"), "{err}");
    assert!(
        err.contains("hint: names are case-sensitive: `X` is not `x`"),
        "{err}"
    );
}

#[test]
fn an_underflowing_at_value_is_refused_like_an_overflowing_one() {
    bad_at(
        "x=1e-400",
        3,
        "the value of `x`, 1e-400, is too small for a 64-bit float",
    );
    bad_at("x=1e400", 3, "must be a finite number");
    // Subnormal but not zero: kept.
    assert_eq!(tapegrad(&["x", "--at", "x=1e-320"]).code, 0);
    assert_eq!(tapegrad(&["x", "--at", "x=0e-400"]).code, 0);
}

#[test]
fn control_characters_are_shown_escaped_in_every_message() {
    let err = fails(&["--at", "x=1", "--", "x\u{1b}[31m + 1"], 1);
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert!(
        err.contains("unexpected character `\\u{1b}` (column 2)"),
        "{err}"
    );
    // The carets stay under the escaped character.
    assert!(err.contains("  x\\u{1b}[31m + 1\n   ^^^^^^\n"), "{err}");
    for args in [
        &["x", "--at", "x\u{7}=1"][..],
        &["x", "--at", "x=1", "--dot", "/nonexistent-dir/\u{1b}[2J"][..],
        &["x\u{1b}", "y"][..],
    ] {
        let err = fails(args, 1);
        assert!(!err.chars().any(|c| c.is_control() && c != '\n'), "{err:?}");
    }
}
