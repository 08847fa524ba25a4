//! Deep expressions: thousands of nested operations parse, evaluate and differentiate
//! (to second order) without overflowing any stack, with results checked against
//! recurrences computed here step by step.

use crate::cli_support::{close, fails, json, tapegrad, Json};

/// `sin(sin(...sin(x)...))` with `n` calls.
fn sin_chain(n: usize) -> String {
    format!("{}x{}", "sin(".repeat(n), ")".repeat(n))
}

/// Value, first and second derivative of `n` nested sines at `x`, by the chain rule one
/// level at a time: s' = cos(s)·d, d' = cos(s)·d, dd' = -sin(s)·d² + cos(s)·dd.
fn sin_chain_closed_form(n: usize, x: f64) -> (f64, f64, f64) {
    let (mut s, mut d, mut dd) = (x, 1.0, 0.0);
    for _ in 0..n {
        let (sn, cs) = (s.sin(), s.cos());
        dd = -sn * d * d + cs * dd;
        d *= cs;
        s = sn;
    }
    (s, d, dd)
}

#[test]
fn a_chain_of_2000_nested_calls_differentiates_to_second_order() {
    let out = json(&sin_chain(2000), "x=1", &["--hessian", "--check"]);
    let (f, d, dd) = sin_chain_closed_form(2000, 1.0);
    assert!(close(out.get("value").num(), f, 1e-12));
    assert!(close(out.get("grad").get("x").num(), d, 1e-10));
    assert!(close(out.get("hessian").get("x").get("x").num(), dd, 1e-10));
    assert_eq!(out.get("check").get("passed"), &Json::Bool(true));
}

#[test]
fn a_left_spine_of_2000_subtractions() {
    // x - y - y - ... : a tree 2000 levels deep along its left operands.
    let expr = format!("x{}", " - y".repeat(2000));
    let out = json(&expr, "x=1.5,y=0.25", &["--hessian"]);
    assert_eq!(out.get("value").num(), 1.5 - 500.0);
    assert_eq!(out.get("grad").get("x").num(), 1.0);
    assert_eq!(out.get("grad").get("y").num(), -2000.0);
    assert_eq!(out.get("hessian").get("y").get("y").num(), 0.0);
}

/// `e₀ = x`, `eₖ₊₁ = (eₖ*y + 1)`: parentheses nested `n` deep.
fn nested_affine(n: usize) -> String {
    let mut e = "x".to_string();
    for _ in 0..n {
        e = format!("({e}*y + 1)");
    }
    e
}

#[test]
fn five_hundred_nested_parentheses() {
    let out = json(&nested_affine(500), "x=0.5,y=0.99", &["--hessian"]);
    // eₖ₊₁ = eₖ y + 1, so ∂x eₖ₊₁ = y ∂x eₖ, ∂y eₖ₊₁ = eₖ + y ∂y eₖ,
    // ∂xy eₖ₊₁ = ∂x eₖ + y ∂xy eₖ, ∂yy eₖ₊₁ = 2 ∂y eₖ + y ∂yy eₖ, ∂xx = 0.
    let (x, y) = (0.5, 0.99);
    let (mut e, mut ex, mut ey, mut exy, mut eyy) = (x, 1.0, 0.0, 0.0, 0.0);
    for _ in 0..500 {
        exy = ex + y * exy;
        eyy = 2.0 * ey + y * eyy;
        ey = e + y * ey;
        ex *= y;
        e = e * y + 1.0;
    }
    let tol = 1e-11;
    assert!(close(out.get("value").num(), e, tol));
    assert!(close(out.get("grad").get("x").num(), ex, tol));
    assert!(close(out.get("grad").get("y").num(), ey, tol));
    let h = out.get("hessian");
    assert_eq!(h.get("x").get("x").num(), 0.0);
    assert!(close(h.get("x").get("y").num(), exy, tol));
    assert!(close(h.get("y").get("x").num(), exy, tol));
    assert!(close(h.get("y").get("y").num(), eyy, tol));

    let plain = format!("{}x{}", "(".repeat(500), ")".repeat(500));
    assert_eq!(json(&plain, "x=3", &[]).get("grad").get("x").num(), 1.0);
}

#[test]
fn tens_of_thousands_of_levels_do_not_overflow_the_stack() {
    let parens = format!("{}x{}", "(".repeat(20_000), ")^2".repeat(20_000));
    // ((x)^2)^2 ... : x^(2^20000) at x = 1 stays 1, with derivative 2^20000 → inf; use 1.
    let run = tapegrad(&["--at", "x=1", "--", &parens]);
    assert_eq!(run.code, 2, "{}", run.stderr); // 2^20000 overflows: reported, not a crash
    assert!(
        run.stdout.starts_with("value  1\nd/dx   inf\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("whose derivative overflows"),
        "{}",
        run.stderr
    );

    let minus = format!("{}x", "-".repeat(50_001));
    let out = json(&minus, "x=2", &["--hessian"]);
    assert_eq!(out.get("value").num(), -2.0);
    assert_eq!(out.get("grad").get("x").num(), -1.0);

    let out = json(&sin_chain(5000), "x=0.3", &[]);
    let (f, d, _) = sin_chain_closed_form(5000, 0.3);
    assert!(close(out.get("value").num(), f, 1e-12));
    assert!(close(out.get("grad").get("x").num(), d, 1e-10));

    let powers = format!("x{}", "^1".repeat(20_000)); // x^(1^(1^...)): right-associative
    assert_eq!(json(&powers, "x=3", &[]).get("value").num(), 3.0);
}

#[test]
fn deep_expressions_get_errors_not_crashes() {
    let unclosed = format!("{}x", "(".repeat(10_000));
    let err = fails(&["--at", "x=1", "--", &unclosed], 1);
    assert!(err.contains("`(` is never closed (column 10000)"), "{err}");
    // The echoed source is a window around the column, not 10,000 characters.
    assert!(err.lines().nth(1).unwrap().len() < 120, "{err}");

    let roots = format!("{}x{}", "sqrt(".repeat(3000), ")".repeat(3000));
    let run = tapegrad(&["--at", "x=0", "--", &roots]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("d/dx is inf; it first appears in `sqrt(x)`"),
        "{}",
        run.stderr
    );
}
