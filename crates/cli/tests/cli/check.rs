//! `--check` near kinks, poles and domain edges: a stencil that crosses one measures the
//! jump, not the derivative, so the check shrinks its step or says it is inconclusive, and
//! never fails a correct derivative; a real disagreement still fails.

use crate::cli_support::{json, tapegrad, Json};

/// Runs `EXPR --at AT --check [extra]`; returns the status and the check line.
fn check(expr: &str, at: &str, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["--at", at, "--check"];
    args.extend(extra);
    args.extend(["--", expr]);
    let run = tapegrad(&args);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("check  "))
        .unwrap_or_else(|| panic!("no check line:\n{}{}", run.stdout, run.stderr))
        .to_string();
    (run.code, line)
}

#[test]
fn a_stencil_across_relus_kink_takes_a_smaller_step_and_passes() {
    // relu'(1e-9) = 1; step 1e-6 sees (1.000000001e-6 - 0) / 2e-6 = 0.5005.
    let (code, line) = check("relu(x)", "x=1e-9", &[]);
    assert_eq!(code, 0, "{line}");
    assert!(
        line.starts_with("check  passed (order 1, step 1e-10"),
        "{line}"
    );
    assert!(
        line.contains("the step was reduced because the step 1e-6 crosses relu's kink at x = 0"),
        "{line}"
    );
}

#[test]
fn domain_edges_and_kinks_near_the_point_do_not_fail_correct_derivatives() {
    for (expr, at, says) in [
        ("sqrt(x)", "x=1e-10", "sqrt's domain edge at x = 0"),
        ("x/abs(x)", "x=1e-10", "abs's kink at x = 0"),
        ("log(x)", "x=1e-9", "log's domain edge at x = 0"),
        ("relu(x - 1)", "x=1.0000000001", "relu's kink at x - 1 = 0"),
        ("max(x, y)", "x=1,y=1.0000000001", "max's kink at x = y"),
        ("x^-1", "x=1e-10", "`^`'s pole at x = 0"),
    ] {
        let (code, line) = check(expr, at, &[]);
        assert_eq!(code, 0, "{expr} at {at}: {line}");
        assert!(line.starts_with("check  passed"), "{expr} at {at}: {line}");
        assert!(line.contains(says), "{expr} at {at}: {line}");
    }
}

#[test]
fn a_stencil_that_cannot_avoid_a_pole_is_inconclusive_not_failed() {
    // The double nearest π/2 is 6e-17 below the pole: every step crosses it.
    let (code, line) = check("tan(x)", "x=1.5707963267948966", &[]);
    assert_eq!(code, 0, "{line}");
    assert!(
        line.starts_with("check  inconclusive (order 1, step 1e-6"),
        "{line}"
    );
    assert!(
        line.contains("the stencil crosses tan's pole at x = π/2 (steps 1e-6 to 1e-12 all do)"),
        "{line}"
    );
    // At x = 0 the real power's stencil steps to negative bases (NaN) at every step.
    let (code, line) = check("pow(x, y)", "x=0,y=2", &["--hessian"]);
    assert_eq!(code, 0, "{line}");
    assert!(
        line.contains("inconclusive (orders 1 and 2")
            && line.contains("pow's domain edge at x = 0"),
        "{line}"
    );
    let out = json("pow(x, y)", "x=0,y=2", &["--hessian", "--check"]);
    let c = out.get("check");
    assert_eq!(c.get("passed"), &Json::Null);
    assert!(matches!(c.get("inconclusive"), Json::Str(s) if s.contains("pow's domain edge")));
}

#[test]
fn a_real_disagreement_far_from_any_kink_still_fails() {
    // No singular point near: finite differences that cannot follow sin(1e6 x) fail, and
    // no smaller step is tried (it would pass and hide the problem).
    let (code, line) = check("sin(1000000*x)", "x=1", &[]);
    assert_eq!(code, 3, "{line}");
    assert!(
        line.starts_with("check  FAILED (order 1, step 1e-6"),
        "{line}"
    );
    assert!(!line.contains("reduced"), "{line}");
}

#[test]
fn kinks_at_the_point_are_named_as_written() {
    let (code, line) = check("max(x, y)", "x=1,y=1", &[]);
    assert_eq!(code, 0, "{line}");
    assert!(
        line.contains("not differentiable here: max's kink at x = y"),
        "{line}"
    );
    assert!(!line.contains("maximum"), "{line}");
}
