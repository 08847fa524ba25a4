//! The language, rule by rule: each test runs the binary on expressions whose value (or,
//! where values cannot tell two parses apart, whose error location) differs between the
//! grammar's reading and the plausible wrong ones.

use crate::cli_support::{caret_column, fails, json, tapegrad, value};
use std::sync::atomic::{AtomicUsize, Ordering};

#[test]
fn numbers_in_every_written_form() {
    for (src, want) in [
        ("2", 2.0),
        ("0.5", 0.5),
        ("1e-3", 1e-3),
        ("2.5e-2", 2.5e-2),
        ("2.5E+2", 250.0),
        ("007", 7.0),
        ("0.1", 0.1),
    ] {
        assert_eq!(value(src, ""), want, "{src}");
    }
}

#[test]
fn leading_minus_is_unary_minus() {
    assert_eq!(value("-2", ""), -2.0);
    assert_eq!(value("- 2", ""), -2.0);
    assert_eq!(value("--2", ""), 2.0);
    assert_eq!(value("3 - -2", ""), 5.0);
    assert_eq!(value("3--2", ""), 5.0);
    assert_eq!(value("2*-3", ""), -6.0);
    assert_eq!(value("-x", "x=-4"), 4.0);
}

#[test]
fn identifiers_are_variables_unless_followed_by_a_parenthesis() {
    assert_eq!(value("x_1 + _a * Ab9", "x_1=1,_a=2,Ab9=3"), 7.0);
    // `sin` without `(` is a variable; with `(`, even after spaces, the function.
    assert_eq!(value("sin + 1", "sin=2"), 3.0);
    assert_eq!(value("sin (x)", "x=0"), 0.0);
    assert_eq!(value("exp (x)*exp", "x=0,exp=5"), 5.0);
}

#[test]
fn whitespace_is_free() {
    let want = value("x*y+z", "x=2,y=3,z=4");
    assert_eq!(value("  x *\ty\n+ z ", "x=2,y=3,z=4"), want);
    assert_eq!(value("x*y+z", " x = 2 , y=3,z=4 "), want);
}

#[test]
fn sums_and_differences_are_left_associative() {
    assert_eq!(value("a-b-c", "a=10,b=3,c=2"), 5.0); // not 10-(3-2) = 9
    assert_eq!(value("a-b+c", "a=10,b=3,c=2"), 9.0); // not 10-(3+2) = 5
    assert_eq!(value("a+b-c", "a=10,b=3,c=2"), 11.0);
}

#[test]
fn products_and_quotients_are_left_associative() {
    assert_eq!(value("a/b/c", "a=8,b=4,c=2"), 1.0); // not 8/(4/2) = 4
    assert_eq!(value("a/b*c", "a=8,b=4,c=2"), 4.0); // not 8/(4*2) = 1
    assert_eq!(value("a*b/c", "a=8,b=4,c=2"), 16.0);
}

#[test]
fn products_bind_tighter_than_sums() {
    assert_eq!(value("a+b*c", "a=1,b=2,c=3"), 7.0);
    assert_eq!(value("a*b+c", "a=1,b=2,c=3"), 5.0);
    assert_eq!(value("a-b/c", "a=1,b=2,c=4"), 0.5);
    assert_eq!(value("(a+b)*c", "a=1,b=2,c=3"), 9.0);
}

#[test]
fn power_binds_tighter_than_products() {
    assert_eq!(value("a*b^c", "a=2,b=3,c=2"), 18.0); // not 6^2
    assert_eq!(value("a^b*c", "a=2,b=3,c=2"), 16.0); // not 2^6
    assert_eq!(value("a^b/c", "a=2,b=3,c=2"), 4.0);
}

#[test]
fn power_binds_tighter_than_unary_minus() {
    assert_eq!(value("-x^2", "x=3"), -9.0);
    assert_eq!(value("-2^2", ""), -4.0);
    assert_eq!(value("(-2)^2", ""), 4.0);
    assert_eq!(value("-x^2", "x=-3"), -9.0);
}

#[test]
fn power_is_right_associative() {
    assert_eq!(value("2^x^2", "x=3"), 512.0); // 2^(3^2), not (2^3)^2 = 64
    assert_eq!(value("2^3^2", ""), 512.0);
    assert_eq!(value("(2^3)^2", ""), 64.0);
}

#[test]
fn exponent_may_start_with_a_minus() {
    assert_eq!(value("y^-1", "y=4"), 0.25);
    assert_eq!(value("2^-x^2", "x=1.5"), 2f64.powf(-2.25)); // 2^(-(x^2))
    assert_eq!(value("2^-x*3", "x=1"), 1.5); // (2^(-x))*3
    assert_eq!(value("2^--1", ""), 2.0);
}

#[test]
fn unary_minus_binds_tighter_than_products() {
    // (-x)*y and -(x*y) are equal in IEEE arithmetic, so the parse is read from where
    // the overflow is blamed: on the product of `-x` and `y` (the whole text), not on a
    // product `x*y` at column 2.
    for expr in ["-x*y", "-x/z"] {
        let err = fails(&["--at", "x=1e200,y=1e200,z=1e-200", "--", expr], 2);
        assert!(
            err.contains(&format!("it first appears in `{expr}`")),
            "{err}"
        );
        assert_eq!(caret_column(&err), 1);
    }
    assert_eq!(value("-x*y", "x=2,y=3"), -6.0);
}

#[test]
fn functions_take_whole_expressions_as_arguments() {
    assert_eq!(value("max(x+1, 2*y)", "x=1,y=3"), 6.0);
    assert_eq!(value("min(x+1, 2*y)", "x=1,y=3"), 2.0);
    assert_eq!(value("pow(x, 1+1)", "x=3"), 9.0);
    assert_eq!(value("exp(log(x))", "x=1"), 1.0);
    assert_eq!(value("max(min(a, b), -c)", "a=1,b=2,c=3"), 1.0);
}

#[test]
fn every_function_is_known_with_its_arity() {
    let x = 0.7f64;
    for (src, want) in [
        ("sin(x)", x.sin()),
        ("cos(x)", x.cos()),
        ("tan(x)", x.tan()),
        ("exp(x)", x.exp()),
        ("log(x)", x.ln()),
        ("sqrt(x)", x.sqrt()),
        ("tanh(x)", x.tanh()),
        ("sigmoid(x)", 1.0 / (1.0 + (-x).exp())),
        ("relu(x)", x),
        ("relu(-x)", 0.0),
        ("abs(-x)", x),
        ("pow(x, 2.5)", x.powf(2.5)),
        ("max(x, 0.5)", x),
        ("min(x, 0.5)", 0.5),
    ] {
        let got = value(src, "x=0.7");
        assert!((got - want).abs() <= 1e-15, "{src}: {got} vs {want}");
    }
}

#[test]
fn parentheses_group_anything() {
    assert_eq!(value("((x))", "x=2"), 2.0);
    assert_eq!(value("a-(b-c)", "a=10,b=3,c=2"), 9.0);
    assert_eq!(value("a/(b/c)", "a=8,b=4,c=2"), 4.0);
    assert_eq!(value("-(x+1)^2", "x=1"), -4.0);
}

#[test]
fn integer_literal_exponents_are_integer_powers() {
    // Defined for negative bases, written plainly, negated, in parentheses or in pow().
    assert_eq!(value("x^2", "x=-3"), 9.0);
    assert_eq!(value("x^3", "x=-2"), -8.0);
    assert_eq!(value("x^(-1)", "x=-2"), -0.5);
    assert_eq!(value("x^-2", "x=-2"), 0.25);
    assert_eq!(value("pow(x, 3)", "x=-2"), -8.0);
    assert_eq!(value("pow(x, -3)", "x=-2"), -0.125);
    assert_eq!(value("x^0", "x=-5"), 1.0);
    let g = json("x^3", "x=-2", &["--hessian"]);
    assert_eq!(g.get("grad").get("x").num(), 12.0); // 3x²
    assert_eq!(g.get("hessian").get("x").get("x").num(), -12.0); // 6x
}

/// The labels of the power nodes in the `--dot` graph of `expr`: `powi(n)` for the
/// engine's integer power, `pow` for the real one. A node's label starts with `#id op`.
fn power_kinds(expr: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("tapegrad-grammar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let file = dir.join(format!("{}.dot", COUNT.fetch_add(1, Ordering::Relaxed)));
    let run = tapegrad(&[
        "--at",
        "x=2,y=3",
        "--dot",
        file.to_str().unwrap(),
        "--",
        expr,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dot = std::fs::read_to_string(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    dot.split("label=\"#")
        .skip(1)
        .filter_map(|l| l.split("\\n").next()?.split_once(' '))
        .map(|(_, op)| op)
        .filter(|l| l.starts_with("pow"))
        .map(String::from)
        .collect()
}

#[test]
fn integer_literal_exponents_choose_the_integer_power() {
    assert_eq!(power_kinds("x^2"), ["powi(2)"]);
    assert_eq!(power_kinds("x^(-1)"), ["powi(-1)"]);
    assert_eq!(power_kinds("x^-1"), ["powi(-1)"]);
    assert_eq!(power_kinds("pow(x, 3)"), ["powi(3)"]);
    assert_eq!(power_kinds("pow(x, -3) + y"), ["powi(-3)"]);
    assert_eq!(power_kinds("x^2.0"), ["pow"]);
    assert_eq!(power_kinds("x^(1+1)"), ["pow"]);
    assert_eq!(power_kinds("x^y"), ["pow"]);
    assert_eq!(power_kinds("x^1e2"), ["pow"]);
    assert_eq!(power_kinds("2^x^2"), ["powi(2)", "pow"]);
}

#[test]
fn other_exponents_are_real_powers() {
    // A real power needs a positive base: (-3)^2.5 is NaN where an integer power is not.
    for expr in ["x^2.5", "pow(x, 0.5)", "x^(1/2)"] {
        let err = fails(&["--at", "x=-3", "--", expr], 2);
        assert!(err.contains("the value is nan"), "{expr}: {err}");
    }
    assert_eq!(value("x^2.5", "x=4"), 32.0);
    // d/db a^b = a^b ln a: only a real power has it.
    let g = json("2^y", "y=3", &[]);
    assert_eq!(g.get("value").num(), 8.0);
    assert!((g.get("grad").get("y").num() - 8.0 * 2f64.ln()).abs() < 1e-14);
}

#[test]
fn evaluation_keeps_the_written_order() {
    // Left-associative sums, evaluated in f64 as written: 1e16 + 1 rounds back to 1e16.
    assert_eq!(value("x + y + z", "x=1e16,y=1,z=1"), 1e16);
    assert_eq!(value("x + (y + z)", "x=1e16,y=1,z=1"), 10000000000000002.0);
    // x - (y - z) is not rewritten as (x - y) + z, which would give 1e16.
    assert_eq!(value("x - (y - z)", "x=1e16,y=1,z=-1"), 9999999999999998.0);
}

#[test]
fn an_expression_without_variables_needs_no_point() {
    let run = tapegrad(&["1 + 2*3"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "value  7\n"));
}
