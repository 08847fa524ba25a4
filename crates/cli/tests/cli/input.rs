//! `--file`: an expression too long for one command-line argument (the OS caps one at
//! 128 KiB), read from a file or from standard input.

use crate::cli_support::{fails, tapegrad, tapegrad_stdin};

/// `1*x + 2*x + ... + n*x`, whose derivative is n(n+1)/2.
fn long_sum(n: usize) -> String {
    (1..=n)
        .map(|i| format!("{i}*x"))
        .collect::<Vec<_>>()
        .join(" + ")
}

#[test]
fn a_100000_term_expression_from_a_file_and_from_stdin() {
    let n = 100_000;
    let expr = long_sum(n);
    assert!(expr.len() > 128 * 1024, "longer than one argument may be");
    let want = format!(
        "value  {}\nd/dx   {}\n",
        (n * (n + 1) / 2) as f64 * 2.0,
        n * (n + 1) / 2
    );
    let path = std::env::temp_dir().join(format!("tapegrad-input-{}.txt", std::process::id()));
    std::fs::write(&path, format!("{expr}\n")).unwrap();
    let run = tapegrad(&["--file", path.to_str().unwrap(), "--at", "x=2"]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, want.as_str()),
        "{}",
        run.stderr
    );

    let run = tapegrad_stdin(&["--at", "x=2", "--file", "-"], &expr);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, want.as_str()),
        "{}",
        run.stderr
    );
}

#[test]
fn file_errors_name_the_file() {
    let err = fails(&["--file", "/nonexistent-dir/e.txt", "--at", "x=1"], 1);
    assert!(err.contains("cannot read /nonexistent-dir/e.txt"), "{err}");
    let err = fails(&["--file", "e.txt", "--expr", "x"], 1);
    assert!(err.contains("the expression is given twice"), "{err}");
    let err = fails(&["--file", "e.txt", "x"], 1);
    assert!(err.contains("in --file and as `x`"), "{err}");
    let err = fails(&["--file", "", "x"], 1);
    assert!(err.contains("the --file path is empty"), "{err}");
    // A file of several lines: the message gives the line and shows it.
    let run = tapegrad_stdin(&["--file", "-", "--at", "x=1"], "x +\n* 2\n");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("found `*` (line 2, column 1)\n  * 2\n  ^\n"),
        "{}",
        run.stderr
    );
}
