//! Every `ErrorKind` the engine reports: a failing call whose error has the right kind and
//! fields, the op's name and the caller's line; and `Display` as it always was.

use tapegrad_core::ops::shape::IndexTensor;
use tapegrad_core::{Error, ErrorKind, InputGrads, Op, Tape, Tensor, TensorError, Var};

/// Asserts the error's kind, op and line (this file's, where the call was written).
#[track_caller]
fn check(err: Error, kind: ErrorKind, op: &str, line: u32) {
    assert_eq!(err.kind(), &kind, "{err}");
    assert_eq!(err.op, op, "{err}");
    assert_eq!((err.location.file(), err.location.line()), (file!(), line));
}

fn shapes(s: &[&[usize]]) -> ErrorKind {
    ErrorKind::ShapeMismatch {
        shapes: s.iter().map(|s| s.to_vec()).collect(),
    }
}

#[test]
fn shape_mismatch_lists_the_shapes_in_argument_order() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::zeros(&[2, 3]));
    let b = tape.leaf(Tensor::zeros(&[4]));
    let (err, line) = (a.try_add(b).unwrap_err(), line!());
    assert!(err
        .to_string()
        .starts_with("add: shapes [2, 3] and [4] do not broadcast (at "));
    check(err, shapes(&[&[2, 3], &[4]]), "add", line);

    let (err, line) = (a.try_matmul(b).unwrap_err(), line!());
    check(err, shapes(&[&[2, 3], &[4]]), "matmul", line);
    let (err, line) = (a.try_reshape(&[4]).unwrap_err(), line!());
    check(err, shapes(&[&[2, 3], &[4]]), "reshape", line);
    let (err, line) = (Var::try_stack(&[a, b], 0).unwrap_err(), line!());
    check(err, shapes(&[&[2, 3], &[4]]), "stack", line);
    let (err, line) = (b.try_t().unwrap_err(), line!());
    check(err, shapes(&[&[4]]), "t", line);
    let seed = Tensor::zeros(&[3]);
    let root = (a * a).sum();
    let (err, line) = (root.try_backward(Some(seed)).err().unwrap(), line!());
    check(err, shapes(&[&[3], &[]]), "backward", line);
}

#[test]
fn axis_out_of_range_keeps_the_axis_as_given_and_the_rank() {
    let tape = Tape::<f32>::new();
    let x = tape.leaf(Tensor::zeros(&[2, 3]));
    let (err, line) = (x.try_sum_axes(&[2], false).unwrap_err(), line!());
    assert!(err
        .to_string()
        .starts_with("sum: axis 2 out of range for shape [2, 3] (at "));
    check(
        err,
        ErrorKind::AxisOutOfRange { axis: 2, rank: 2 },
        "sum",
        line,
    );
    let (err, line) = (x.try_softmax(-3).unwrap_err(), line!());
    let kind = ErrorKind::AxisOutOfRange { axis: -3, rank: 2 };
    check(err, kind.clone(), "softmax", line);
    let (err, line) = (x.try_mean_axes(&[-3], true).unwrap_err(), line!());
    check(err, kind.clone(), "mean", line);
    let (err, line) = (x.try_narrow(-3, 0, 1).unwrap_err(), line!());
    check(err, kind.clone(), "narrow", line);
    let (err, line) = (x.try_max_axes(&[0, -3], false).unwrap_err(), line!());
    check(err, kind, "max", line);
}

#[test]
fn duplicate_axis_names_the_resolved_axis() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::zeros(&[2, 3]));
    let (err, line) = (x.try_sum_axes(&[1, -1], false).unwrap_err(), line!());
    assert!(err
        .to_string()
        .starts_with("sum: axis 1 listed twice in [1, 1] (at "));
    check(err, ErrorKind::DuplicateAxis { axis: 1 }, "sum", line);
    let (err, line) = (x.try_permute(&[0, 0]).unwrap_err(), line!());
    check(err, ErrorKind::DuplicateAxis { axis: 0 }, "permute", line);
    let (err, line) = (x.try_logsumexp_axes(&[0, -2], true).unwrap_err(), line!());
    check(err, ErrorKind::DuplicateAxis { axis: 0 }, "logsumexp", line);
}

#[test]
fn index_out_of_range_names_the_index_and_the_axis_length() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::zeros(&[3, 2]));
    let (err, line) = (x.try_index_select(0, &[1, 3]).unwrap_err(), line!());
    assert!(err.to_string().starts_with(
        "index_select: index 3 out of range for axis 0 of size 3 (shape [3, 2]) (at "
    ));
    let kind = ErrorKind::IndexOutOfRange { index: 3, size: 3 };
    check(err, kind, "index_select", line);
    let index = IndexTensor::from_classes(&[0, 5, 1]);
    let (err, line) = (x.try_gather(1, &index).unwrap_err(), line!());
    let kind = ErrorKind::IndexOutOfRange { index: 5, size: 2 };
    check(err, kind, "gather", line);
    // a range: `index` is its end
    let (err, line) = (x.try_narrow(0, 2, 2).unwrap_err(), line!());
    let kind = ErrorKind::IndexOutOfRange { index: 4, size: 3 };
    check(err, kind, "narrow", line);
}

#[test]
fn too_large_shapes_are_errors_of_their_own_kind() {
    let err = Tensor::<f32>::try_zeros(&[1 << 32, 1 << 32]).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::TooLarge);
    assert_eq!(
        err.to_string(),
        "shape [4294967296, 4294967296] has more than usize::MAX elements"
    );
    let tape = Tape::<f32>::new();
    let x = tape.leaf(Tensor::zeros(&[1, 2]));
    let (err, line) = (x.try_broadcast_to(&[1 << 62, 2]).unwrap_err(), line!());
    check(err, ErrorKind::TooLarge, "broadcast_to", line);
}

#[test]
fn foreign_and_cleared_tapes_are_told_apart() {
    let (one, two) = (Tape::<f64>::new(), Tape::<f64>::new());
    let a = one.leaf(Tensor::scalar(1.0));
    let b = two.leaf(Tensor::scalar(2.0));
    let (err, line) = (a.try_mul(b).unwrap_err(), line!());
    check(err, ErrorKind::ForeignTape, "mul", line);
    let grads = (a * a).backward();
    let (err, line) = (grads.try_wrt(b).unwrap_err(), line!());
    check(err, ErrorKind::ForeignTape, "grads", line);

    let mut tape = Tape::<f64>::new();
    let grads = {
        let x = tape.leaf(Tensor::scalar(3.0));
        (x * x).backward()
    };
    tape.clear();
    let y = tape.leaf(Tensor::scalar(5.0));
    let (err, line) = (grads.try_wrt(y).unwrap_err(), line!());
    check(err, ErrorKind::ClearedTape, "grads", line);
}

#[test]
fn backward_refusals_have_kinds() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![1.0, 2.0]));
    let (err, line) = ((x * x).try_backward(None).err().unwrap(), line!());
    assert!(err.to_string().starts_with(
        "backward: output has shape [2], not one element; reduce it (e.g. `.sum()`) or pass a seed (at "
    ));
    check(
        err,
        ErrorKind::NonScalarRoot { shape: vec![2] },
        "backward",
        line,
    );

    let c = tape.constant(Tensor::scalar(1.0));
    let (err, line) = ((c * c).try_backward(None).err().unwrap(), line!());
    check(err, ErrorKind::ConstantRoot, "backward", line);

    let h = x * x;
    let grads = h.sum().backward();
    let (err, line) = (grads.try_get(h).unwrap_err(), line!());
    check(err, ErrorKind::Intermediate, "grads", line);
}

#[test]
fn other_refusals_are_invalid_arguments() {
    let tape = Tape::<f64>::new();
    let (err, line) = (Var::<f64>::try_concat(&[], 0).unwrap_err(), line!());
    assert!(err.to_string().starts_with("concat: no parts to join (at "));
    check(err, ErrorKind::InvalidArgument, "concat", line);
    let x = tape.leaf(Tensor::zeros(&[2, 0]));
    let (err, line) = (x.try_max_axes(&[1], false).unwrap_err(), line!());
    check(err, ErrorKind::InvalidArgument, "max", line);
    // `Error::new`, the constructor that has always existed, makes the catch-all kind
    let err = Error::new("my_op", "no");
    assert_eq!(err.kind(), &ErrorKind::InvalidArgument);
}

/// A user op that refuses every input with a kind of its choosing.
struct Refuse;

impl Op<f64> for Refuse {
    fn name(&self) -> &str {
        "refuse"
    }
    fn forward(&self, xs: &[&Tensor<f64>]) -> Result<Tensor<f64>, TensorError> {
        let shapes = vec![xs[0].shape().to_vec()];
        Err(TensorError::new(
            ErrorKind::ShapeMismatch { shapes },
            "never",
        ))
    }
    fn vjp<'t>(
        &self,
        _: &[Var<'t, f64>],
        _: Var<'t, f64>,
        dy: Var<'t, f64>,
    ) -> InputGrads<'t, f64> {
        [Some(dy)].into()
    }
}

#[test]
fn a_user_ops_refusal_keeps_its_kind_and_gains_the_op_and_line() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::zeros(&[2]));
    let (err, line) = (tape.try_apply(Refuse, &[x]).unwrap_err(), line!());
    assert!(err.to_string().starts_with("refuse: never (at "));
    check(err, shapes(&[&[2]]), "refuse", line);
}

#[test]
fn tensor_errors_carry_the_kind_the_tape_passes_on() {
    let x = Tensor::<f64>::zeros(&[2, 3]);
    let err = x.sum_axes(&[0, 0], false).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::DuplicateAxis { axis: 0 });
    assert_eq!(err.to_string(), "axis 0 listed twice in [0, 0]");
    let err = x.index_select(1, &[7]).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::IndexOutOfRange { index: 7, size: 3 }
    );
    let err = x.matmul_t(&x, false, false).unwrap_err();
    assert_eq!(err.kind(), &shapes(&[&[2, 3], &[2, 3]]));
    assert_eq!(err.to_string(), "inner dimensions differ: [2, 3] x [2, 3]");
    let err = x.narrow(2, 0, 1).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::AxisOutOfRange { axis: 2, rank: 2 });
}
