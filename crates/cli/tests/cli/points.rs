//! `--points`: many points in one run, as CSV or `name=value` lines, out as CSV or JSON
//! lines; the numbers are the engine's, exactly as `--at` gives them one point at a time.

use crate::cli_support::{fails, json, parse_json, tapegrad_stdin, Json};

/// Every function of the language, 20 operations.
const EXPR: &str =
    "sin(x*y) + cos(x)/(1 + y^2) - tan(x/4) * exp(-y) + log(1 + x^2) + sqrt(abs(y) + 1) \
     + tanh(x - y) * sigmoid(y) + relu(x) + max(x, y) - min(x, 2*y) + pow(1 + x^2, y/3)";

/// A reproducible stream of numbers in [-3, 3), with exact ties and zeros mixed in.
fn points(n: usize) -> Vec<(f64, f64)> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 6.0 - 3.0
    };
    (0..n)
        .map(|i| match i % 10 {
            0 => (0.0, next()),
            1 => {
                let x = next();
                (x, x)
            }
            _ => (next(), next()),
        })
        .collect()
}

#[test]
fn points_give_the_engines_value_and_gradient_at_every_point() {
    let pts = points(40);
    let csv: String = std::iter::once("x,y\n".to_string())
        .chain(pts.iter().map(|(x, y)| format!("{x:?},{y:?}\n")))
        .collect();
    let run = tapegrad_stdin(&["--points", "-", "--json", "--", EXPR], &csv);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), pts.len());
    for ((x, y), line) in pts.iter().zip(lines) {
        let got = parse_json(line);
        let want = json(EXPR, &format!("x={x:?},y={y:?}"), &[]);
        assert_eq!(got.get("at").get("x").num(), *x);
        // Shortest round-trip printing: equal text is equal bits.
        for (g, w) in [
            (got.get("value"), want.get("value")),
            (got.get("grad").get("x"), want.get("grad").get("x")),
            (got.get("grad").get("y"), want.get("grad").get("y")),
        ] {
            assert_eq!(g, w, "at x={x:?}, y={y:?}: {line}");
        }
    }
}

#[test]
fn points_read_csv_and_name_value_lines_alike() {
    let csv = tapegrad_stdin(
        &["x*y + z", "--points", "-"],
        "x, y ,z\n1,2,3\n\n# a comment\n-1.5,0.5,0\n",
    );
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    assert_eq!(
        csv.stdout,
        "x,y,z,value,d/dx,d/dy,d/dz\n1,2,3,5,2,1,1\n-1.5,0.5,0,-0.75,0.5,-1.5,1\n"
    );
    let pairs = tapegrad_stdin(
        &["x*y + z", "--points", "-"],
        "x=1,y=2,z=3\nz=0, y=0.5, x=-1.5\n",
    );
    assert_eq!((pairs.code, pairs.stdout), (0, csv.stdout));

    let path = std::env::temp_dir().join(format!("tapegrad-points-{}.csv", std::process::id()));
    std::fs::write(&path, "x\n2\n3\n").unwrap();
    let run = tapegrad_stdin(&["--json", "--points", path.to_str().unwrap(), "x^2"], "");
    std::fs::remove_file(&path).unwrap();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows: Vec<Json> = run.stdout.lines().map(parse_json).collect();
    assert_eq!(
        rows,
        [
            parse_json(r#"{"at": {"x": 2}, "value": 4, "grad": {"x": 4}}"#),
            parse_json(r#"{"at": {"x": 3}, "value": 9, "grad": {"x": 6}}"#)
        ]
    );
}

#[test]
fn a_bad_line_is_named_and_nothing_is_printed() {
    let run = tapegrad_stdin(&["x*y", "--points", "-"], "x,y\n1,2\n3,oops\n");
    assert_eq!((run.code, run.stdout.as_str()), (1, ""), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("line 3 of standard input: `oops` is not a number (column 3)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("  3,oops\n    ^^^^\n"),
        "{}",
        run.stderr
    );

    for (input, says) in [
        (
            "x=1,y=2\nx=3\n",
            "line 2 of standard input: no value for `y`",
        ),
        (
            "x=1,y=2\nx=3,w=1\n",
            "`w` is not among the variables of the first point (x, y)",
        ),
        ("x,y\n1,2,3\n", "more values than the 2 names of the header"),
        ("x,y\n1e-400,2\n", "too small for a 64-bit float"),
        ("", "standard input holds no points"),
    ] {
        let run = tapegrad_stdin(&["x*y", "--points", "-"], input);
        assert_eq!((run.code, run.stdout.as_str()), (1, ""), "{input:?}");
        assert!(run.stderr.contains(says), "{input:?}: {}", run.stderr);
    }
    let run = tapegrad_stdin(&["x*y", "--points", "-"], "x\n1\n");
    assert!(
        run.stderr.contains("no value for the variable `y`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_non_finite_point_is_printed_counted_and_explained() {
    let run = tapegrad_stdin(&["x/y", "--points", "-"], "x,y\n1,2\n1,0\n0,0\n");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "x,y,value,d/dx,d/dy\n1,2,0.5,0.5,-0.25\n1,0,inf,inf,-inf\n0,0,nan,inf,nan\n"
    );
    assert!(
        run.stderr.contains(
            "error: 2 points have a non-finite value or gradient; the first is on line 3"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("which is 1 / 0 = inf"),
        "{}",
        run.stderr
    );
}

#[test]
fn points_take_no_single_point_options() {
    for extra in ["--hessian", "--check", "--at=x=1"] {
        let err = fails(&["x", "--points", "p.csv", extra], 1);
        assert!(err.contains("--points cannot be combined with"), "{err}");
    }
    let err = fails(&["--file", "-", "--points", "-"], 1);
    assert!(err.contains("cannot both read standard input"), "{err}");
}

#[test]
fn points_beyond_one_batch_keep_their_order() {
    // More points than the engine evaluates at once (a chunk of up to 2^16), so rows cross
    // chunk edges.
    let n = (1 << 16) + 3;
    let csv: String = std::iter::once("x,y\n".to_string())
        .chain((0..n).map(|i| format!("{i},2\n")))
        .collect();
    let run = tapegrad_stdin(&["x*y", "--points", "-"], &csv);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), n + 1);
    for (i, line) in lines[1..].iter().enumerate() {
        assert_eq!(*line, format!("{i},2,{},2,{i}", 2 * i));
    }
}
