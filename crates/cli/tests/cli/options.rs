//! The command line: both forms of every option, expressions that begin with a minus, the
//! text and JSON outputs, `--check`, `--dot`, `--help`.

use crate::cli_support::{json, parse_json, tapegrad, Json};

#[test]
fn expression_and_point_in_every_form() {
    let want = "value  -9\nd/dx   -6\n";
    let forms: [&[&str]; 6] = [
        &["0 - x^2", "--at", "x=3"],
        &["--at", "x=3", "0 - x^2"],
        &["--expr=-x^2", "--at=x=3"],
        &["--expr", "-x^2", "--at", "x=3"],
        &["--at", "x=3", "--", "-x^2"],
        &["--at=x=3", "--", "-x^2"],
    ];
    for args in forms {
        let run = tapegrad(args);
        assert_eq!(
            (run.code, run.stdout.as_str(), run.stderr.as_str()),
            (0, want, ""),
            "{args:?}"
        );
    }
}

#[test]
fn at_may_be_repeated_and_keeps_its_order() {
    let run = tapegrad(&["x*y", "--at", "y=2", "--at=x=5"]);
    assert_eq!(run.stdout, "value  10\nd/dy   5\nd/dx   2\n");
}

#[test]
fn text_output_aligns_labels_and_prints_the_hessian_table() {
    let run = tapegrad(&["x^2*long_name", "--at", "x=3,long_name=-0.5", "--hessian"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        "value         -4.5\n\
         d/dx          -3\n\
         d/dlong_name  9\n\
         hessian\n\
         \x20            x   long_name\n\
         \x20 x          -1  6\n\
         \x20 long_name  6   0\n"
    );
}

#[test]
fn numbers_print_in_the_shortest_form_that_round_trips() {
    let run = tapegrad(&["x/3 + 1e-300*y + 1e300*z", "--at", "x=1,y=1,z=0"]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "value  0.3333333333333333");
    assert_eq!(lines[1], "d/dx   0.3333333333333333");
    assert_eq!(lines[2], "d/dy   1e-300");
    assert_eq!(lines[3], "d/dz   1e300");
    assert_eq!(lines[0][7..].parse::<f64>().unwrap(), 1.0 / 3.0);
}

#[test]
fn json_is_one_object_in_the_documented_shape() {
    let run = tapegrad(&["tanh(w*x + b)", "--at", "w=0.5,x=2,b=-1", "--json"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        "{\"value\": 0, \"grad\": {\"w\": 2, \"x\": 0.5, \"b\": 1}}\n"
    );

    let out = json("x*y", "x=2,y=3", &["--hessian", "--check"]);
    assert_eq!(out.keys(), ["value", "grad", "hessian", "check"]);
    assert_eq!(
        out.get("hessian"),
        &parse_json(r#"{"x": {"x": 0, "y": 1}, "y": {"x": 1, "y": 0}}"#)
    );
    let check = out.get("check");
    assert_eq!(check.get("passed"), &Json::Bool(true));
    assert_eq!(check.get("order").num(), 2.0);
    assert!(check.get("worst_error").num() < 1e-6);
    assert_eq!(check.get("atol").num(), 1e-5);
    assert_eq!(check.get("rtol").num(), 1e-3);

    let none = json("2 + 3", "", &[]);
    assert_eq!(none, parse_json(r#"{"value": 5, "grad": {}}"#));
}

#[test]
fn check_reports_the_worst_error_and_passes_correct_derivatives() {
    let run = tapegrad(&[
        "sin(x*y) + exp(x)/(1 + y^2)",
        "--at",
        "x=1.5,y=-0.5",
        "--hessian",
        "--check",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = run.stdout.lines().last().unwrap();
    assert!(line.starts_with("check  passed (orders 1 and 2, step 1e-6, tolerance 1e-5 + 1e-3*|finite difference|): worst error "), "{line}");
    let worst: f64 = line
        .split("worst error ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(worst > 0.0 && worst < 1e-6, "{line}");

    let out = json("x^3", "x=2", &["--check"]);
    let check = out.get("check");
    assert_eq!(check.get("order").num(), 1.0);
    let worst = check.get("worst");
    assert_eq!(worst.get("variable"), &Json::Str("x".into()));
    // The checker compares a projection vᵀ∂f/∂x: engine and finite difference agree.
    assert!((worst.get("engine").num() - worst.get("finite_difference").num()).abs() < 1e-5);
}

#[test]
fn check_flags_a_kink_instead_of_failing() {
    // relu'(0) = 0 by convention, but central differences see (h - 0)/2h = 1/2: the
    // checker says the disagreement comes from a non-differentiable point.
    let run = tapegrad(&["relu(x)", "--at", "x=0", "--check"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("check  passed at a kink (order 1"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("not differentiable here: relu's kink at x = 0"),
        "{}",
        run.stdout
    );
    let out = json("relu(x)", "x=0", &["--check"]);
    assert_eq!(out.get("check").get("kink"), &Json::Bool(true));
}

#[test]
fn check_fails_where_finite_differences_cannot_follow() {
    // The third derivative ~1e18 makes the central difference's truncation error
    // (about eps² f'''/6, 2e5) exceed the tolerance (1e-5 + 1e-3 |f'|, about 1e3):
    // the check fails, exit 3.
    let run = tapegrad(&["sin(1000000*x)", "--at", "x=1", "--check"]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("check  FAILED (order 1"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("the gradient check failed"),
        "{}",
        run.stderr
    );
}

#[test]
fn check_is_skipped_without_variables_or_with_a_non_finite_result() {
    let run = tapegrad(&["2*3", "--check"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "value  6\ncheck  skipped: there are no variables\n")
    );
    let run = tapegrad(&["log(x)", "--at", "x=0", "--check"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stdout
            .ends_with("check  skipped: the result is not finite\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn dot_writes_the_expression_graph() {
    let path = std::env::temp_dir().join(format!("tapegrad-options-{}.dot", std::process::id()));
    let run = tapegrad(&["x^3 - 2*x", "--at", "x=1", "--dot", path.to_str().unwrap()]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "value  -1\nd/dx   1\n")
    );
    let dot = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    // The core's export of the engine's graph (`Tape::graph`), see `src/dot.rs`.
    assert!(dot.starts_with("digraph tape {\n"), "{dot}");
    assert!(dot.trim_end().ends_with('}'));
    // One node for x, shared by both occurrences, with its name, value and derivative.
    assert!(
        dot.contains("n0 [label=\"#0 x: leaf\\n[]\\n= 1\\ngrad = 1\", shape=ellipse, style=filled"),
        "{dot}"
    );
    assert_eq!(dot.matches("n0 -> ").count(), 2, "{dot}");
    assert!(dot.contains(" powi(3)\\n[]\\n= 1\""), "{dot}");
    assert!(
        dot.contains(" sub\\n[]\\n= -1\", shape=box, style=\"rounded,filled\", fillcolor=\"#fff4d6\", penwidth=2];"),
        "the root is marked: {dot}"
    );
    // No creation sites: they would be the command's source lines, not the user's.
    assert!(!dot.contains(".rs:"), "{dot}");
}

#[test]
fn help_documents_the_language_with_examples() {
    for flag in ["--help", "-h"] {
        let run = tapegrad(&[flag]);
        assert_eq!(run.code, 0);
        for needle in [
            "expr    := term (('+' | '-') term)*",
            "-x^2 = -(x^2)",
            "2^x^2 = 2^(x^2)",
            "sigmoid(u)",
            "max(a, b)",
            "--hessian",
            "--check",
            "--dot FILE",
            "--json",
            "tapegrad 'sin(x*y) + exp(x)/(1 + y^2)' --at x=1.5,y=-0.5 --hessian --check",
            "EXIT STATUS",
            "--file PATH",
            "--points PATH",
            "`--dot -` prints it on stdout",
            "Constants: `pi` (π) and `e`",
            "inconclusive",
        ] {
            assert!(run.stdout.contains(needle), "--help lacks {needle:?}");
        }
    }
    let run = tapegrad(&["--version"]);
    assert_eq!(
        run.stdout,
        format!("tapegrad {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn dot_dash_writes_the_graph_to_stdout() {
    let dir = std::env::temp_dir().join(format!("tapegrad-dot-dash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tapegrad"))
        .args(["x^3 - 2*x", "--at", "x=1", "--dot", "-"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let leftover = dir.join("-").exists();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!leftover, "no file named `-`");
    assert!(stdout.starts_with("digraph tape {\n"), "{stdout}");
    assert!(
        stdout.trim_end().ends_with('}'),
        "stdout is the graph alone: {stdout}"
    );
    let run = tapegrad(&["x", "--at", "x=1", "--dot", "-", "--json"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("both want standard output"),
        "{}",
        run.stderr
    );
}

#[test]
fn pi_and_e_are_constants_unless_at_names_them() {
    let out = json("pi*x + e", "x=2", &[]);
    assert_eq!(
        out.get("value").num(),
        std::f64::consts::PI * 2.0 + std::f64::consts::E
    );
    assert_eq!(out.get("grad").keys(), ["x"]);
    // A value given in --at makes the name a variable again.
    let out = json("pi*x + e", "x=2,e=1", &[]);
    assert_eq!(out.get("value").num(), std::f64::consts::PI * 2.0 + 1.0);
    assert_eq!(out.get("grad").get("e").num(), 1.0);
}

#[test]
fn a_negative_zero_derivative_prints_as_zero() {
    let run = tapegrad(&["abs(x-y)", "--at", "x=1,y=1"]);
    assert_eq!(run.stdout, "value  0\nd/dx   0\nd/dy   0\n");
    let out = json("abs(x-y)", "x=1,y=1", &[]);
    assert_eq!(out.get("grad").get("y"), &Json::Num(0.0));
    assert!(!tapegrad(&["--json", "abs(x-y)", "--at", "x=1,y=1"])
        .stdout
        .contains("-0"));
}
