//! nn's errors speak the engine's `ErrorKind`: I/O and format errors of CSV and
//! safetensors files, and the data helpers' refusals (with the op and the caller's line).

use std::error::Error as _;
use tapegrad_core::{Error, ErrorKind, Tensor};
use tapegrad_nn::data::{read_csv, Dataset, Standardizer, Table};
use tapegrad_nn::{Param, Params, WeightsProblem};

/// Asserts the error's kind, op and line (this file's, where the call was written).
#[track_caller]
fn check(err: Error, kind: ErrorKind, op: &str, line: u32) {
    assert_eq!(err.kind(), &kind, "{err}");
    assert_eq!(err.op, op, "{err}");
    assert_eq!((err.location.file(), err.location.line()), (file!(), line));
}

#[test]
fn csv_errors_are_io_format_or_a_bad_column() {
    let err = read_csv::<f64>("/nonexistent/file.csv").unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Io(std::io::ErrorKind::NotFound));
    let err = Table::<f64>::parse("a,b\n1,2\n3,x\n", "bad.csv").unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Format);
    assert!(err
        .to_string()
        .starts_with("bad.csv:3, column 2 (`b`): cannot parse `x` as a number (at "));
    let table = Table::<f64>::parse("a,b\n1,2\n", "ok.csv").unwrap();
    let err = table.dataset("y").unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InvalidArgument);
}

#[test]
fn weights_errors_are_io_format_or_a_mismatch_and_keep_the_io_source() {
    let mut params = Params::<f32>::new();
    params.insert("w", &Param::new(Tensor::zeros(&[2])));
    let err = params
        .load_safetensors_bytes(b"not safetensors")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Format);

    let err = params
        .load_safetensors("/nonexistent/weights.safetensors")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io(std::io::ErrorKind::NotFound));
    let source = err.source().expect("the I/O error is the source");
    assert!(source.downcast_ref::<std::io::Error>().is_some());

    let bytes = Params::<f32>::new().to_safetensors().unwrap();
    let err = params.load_safetensors_bytes(&bytes).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(matches!(&err.problem, WeightsProblem::Mismatch(m) if m.missing == ["w"]));
}

#[test]
fn data_helpers_report_kinds_with_the_op_and_the_callers_line() {
    let (x, y) = (Tensor::<f64>::zeros(&[3, 2]), Tensor::<f64>::zeros(&[2, 1]));
    let (err, line) = (Dataset::try_new(x.clone(), y).unwrap_err(), line!());
    let shapes = vec![vec![3, 2], vec![2, 1]];
    check(
        err,
        ErrorKind::ShapeMismatch { shapes },
        "Dataset::new",
        line,
    );

    let data = Dataset::new(x.clone(), Tensor::zeros(&[3, 1]));
    let (err, line) = (data.try_select(&[0, 5]).unwrap_err(), line!());
    let kind = ErrorKind::IndexOutOfRange { index: 5, size: 3 };
    check(err, kind, "Dataset::select", line);

    let (err, line) = (data.try_split(1.5, 0).unwrap_err(), line!());
    check(err, ErrorKind::InvalidArgument, "Dataset::split", line);

    let s = Standardizer::fit(&x);
    let (err, line) = (s.try_transform(&Tensor::zeros(&[3])).unwrap_err(), line!());
    let shapes = vec![vec![3], vec![2]];
    check(
        err,
        ErrorKind::ShapeMismatch { shapes },
        "Standardizer::transform",
        line,
    );
}
