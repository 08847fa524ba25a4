//! The kit and the strategies checked: right ops pass, wrong ones fail with their table.

use super::*;
use crate::gradcheck::tests::ops::BadSquare;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use tapegrad_core::{
    Activation, Curvature, Float, InputGrads, Op, Structure, Tensor, TensorError, Var,
};

/// `y = a·b + a` (broadcasting), right: `da = dy·(b + 1)`, `db = dy·a`.
struct MulAdd;

impl<T: Float> Op<T> for MulAdd {
    fn name(&self) -> &str {
        "mul_add"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].zip_map(xs[1], |a, b| a * b + a)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy * (xs[1] + T::ONE)), Some(dy * xs[0])].into()
    }
}

/// `MulAdd` whose VJP forgets the `+ a` term for `a`.
struct MulAddWrong;

impl<T: Float> Op<T> for MulAddWrong {
    fn name(&self) -> &str {
        "mul_add_wrong"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].zip_map(xs[1], |a, b| a * b + a)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy * xs[1]), Some(dy * xs[0])].into()
    }
}

/// `MulAdd` whose stated structure is too tight: `how` says element-wise and linear
/// (it is bilinear), or that only input 0 matters.
struct MulAddClaims {
    linear: bool,
}

impl<T: Float> Op<T> for MulAddClaims {
    fn name(&self) -> &str {
        "mul_add_claims"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Op::<T>::forward(&MulAdd, xs)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        Op::<T>::vjp(&MulAdd, xs, y, dy)
    }
    fn structure(&self, inputs: &[&[usize]], _output: &[usize]) -> Structure {
        if self.linear {
            Structure::elementwise(Curvature::Linear)
        } else {
            // Each output element copies input 0's: input 1 left out.
            Structure::moved(&inputs[..1], |xs| Ok(xs[0].clone()))
        }
    }
}

/// Right derivatives, but it accepts any shapes and answers with the first input's.
struct Lax;

impl<T: Float> Op<T> for Lax {
    fn name(&self) -> &str {
        "lax"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].clone())
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy), None].into()
    }
}

/// `a·b` for equal shapes only, refused with a message that names no shape.
struct Vague;

impl<T: Float> Op<T> for Vague {
    fn name(&self) -> &str {
        "vague"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        if xs[0].shape() != xs[1].shape() {
            return Err(TensorError::new(
                tapegrad_core::ErrorKind::ShapeMismatch {
                    shapes: vec![xs[0].shape().to_vec(), xs[1].shape().to_vec()],
                },
                "shapes differ",
            ));
        }
        xs[0].zip_map(xs[1], |a, b| a * b)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy * xs[1]), Some(dy * xs[0])].into()
    }
}

#[test]
fn kit_passes_a_correct_op_on_every_generated_case() {
    let summary = check_op(2, || MulAdd).cases(24).assert();
    assert_eq!(
        (summary.op.as_str(), summary.cases, summary.rejected),
        ("mul_add", 24, 1)
    );
    // per case: f64, f32, the same variable twice, the structure and the batched sweeps
    // (cases this small are all under the size limit of the last two)
    assert_eq!(summary.checks, 24 * 5, "{summary}");
}

/// `y = Σx` whose VJP broadcasts `dy` to `x`'s shape as it stands: right for one
/// cotangent, but it claims `vjp_batches`, which a batch of cotangents (`dy` of shape
/// `[k]`) breaks.
struct SumClaimingToBatch;

impl<T: Float> Op<T> for SumClaimingToBatch {
    fn name(&self) -> &str {
        "total"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(Tensor::scalar(
            xs[0].as_slice().iter().fold(T::ZERO, |s, &x| s + x),
        ))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy.broadcast_to(&xs[0].shape()))].into()
    }
    fn vjp_batches(&self) -> bool {
        true
    }
}

#[test]
fn kit_catches_a_false_claim_that_a_vjp_batches() {
    let shapes = Shapes::Custom(Just(vec![vec![5]]).boxed());
    let failure = check_op(1, || SumClaimingToBatch)
        .shapes(shapes)
        .cases(2)
        .run()
        .unwrap_err();
    assert!(failure.what.contains("batch"), "{failure}");
    assert_eq!(failure.op, "total");
}

#[test]
fn kit_catches_and_localises_a_wrong_vjp() {
    let failure = check_op(2, || MulAddWrong).run().unwrap_err();
    assert!(
        failure.what.contains("gradient check in f64 failed"),
        "{failure}"
    );
    let report = failure.report.as_ref().unwrap();
    assert_eq!(
        report.culprit.as_ref().unwrap().node.op,
        "mul_add_wrong",
        "{failure}"
    );
    assert_eq!(failure.inputs.len(), 2, "{failure}");
    let unary = check_op(1, || BadSquare).run().unwrap_err();
    assert!(
        unary
            .to_string()
            .contains("first wrong node: #1 `bad_square`"),
        "{unary}"
    );
}

#[test]
fn kit_checks_the_error_path() {
    let failure = check_op(2, || Lax).run().unwrap_err();
    assert_eq!(
        failure.what,
        "accepted incompatible shapes [[2, 3], [4]] in f64 (gave shape [2, 3])"
    );
    let failure = check_op(1, || BadSquare)
        .rejects(&[&[2, 3]])
        .run()
        .unwrap_err();
    assert_eq!(
        failure.what,
        "accepted incompatible shapes [[2, 3]] in f64 (gave shape [2, 3])"
    );
    let failure = check_op(2, || Vague)
        .shapes(Shapes::Same)
        .rejects(&[&[2, 3], &[3, 2]])
        .run()
        .unwrap_err();
    assert!(
        failure.what.starts_with(
            "error for shapes [[2, 3], [3, 2]] does not name [2, 3]: vague: shapes differ"
        ),
        "{failure}"
    );
    check_op(2, || Vague).shapes(Shapes::Same).cases(4).assert();
}

#[test]
fn broadcast_shapes_broadcast_together() {
    let mut runner = TestRunner::deterministic();
    for _ in 0..64 {
        let shapes = broadcast_shapes(3, 4)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        assert_eq!(shapes.len(), 3);
        let b = tapegrad_core::tensor::broadcast_shapes(&shapes[0], &shapes[1])
            .and_then(|s| tapegrad_core::tensor::broadcast_shapes(&s, &shapes[2]));
        assert!(b.is_some(), "{shapes:?}");
    }
}

#[test]
fn kit_catches_a_structure_that_hides_derivatives() {
    let linear = check_op(2, || MulAddClaims { linear: true })
        .shapes(Shapes::Same)
        .cases(4)
        .run()
        .unwrap_err();
    assert!(linear.what.contains("second derivative"), "{linear}");
    assert!(
        linear.what.contains("input 0 element") && linear.what.contains("input 1 element"),
        "{linear}"
    );
    let one_input = check_op(2, || MulAddClaims { linear: false })
        .shapes(Shapes::Same)
        .cases(4)
        .run()
        .unwrap_err();
    assert!(
        // The shrunk case may have a = 0, where ∂y/∂b = a vanishes and only the
        // second derivative ∂²y/∂a∂b = 1 shows input 1.
        one_input.what.contains("input 1 element"),
        "{one_input}"
    );
}

/// Which of its shortcuts on single numbers [`DoubleWithWrong`] gets wrong.
#[derive(Clone, Copy, PartialEq)]
enum Shortcut {
    /// `scalar_partials` gives 3 for 2.
    Partial,
    /// `scalar_forward` gives `3x` for `2x`.
    ScalarForward,
    /// `forward_into_then` says it applied the relu, and did not.
    Then,
}

/// `y = 2x` with one shortcut on single numbers wrong: the kit must catch it.
struct DoubleWithWrong(Shortcut);

impl<T: Float> Op<T> for DoubleWithWrong {
    fn name(&self) -> &str {
        "double"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(|x| x + x))
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy * T::from_f64(2.0))].into()
    }
    fn scalar_partials(&self, _xs: &[T], _y: T) -> Option<[T; 2]> {
        (self.0 == Shortcut::Partial).then(|| [T::from_f64(3.0), T::ZERO])
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        (self.0 == Shortcut::ScalarForward).then(|| xs[0] * T::from_f64(3.0))
    }
    fn forward_into_then(
        &self,
        xs: &[&Tensor<T>],
        out: &mut Tensor<T>,
        _then: Activation,
    ) -> Result<bool, TensorError> {
        self.forward_into(xs, out)?;
        Ok(self.0 == Shortcut::Then)
    }
}

#[test]
fn kit_catches_scalar_partials_that_are_not_the_vjps() {
    let failure = check_op(1, || DoubleWithWrong(Shortcut::Partial))
        .cases(4)
        .run()
        .unwrap_err();
    assert!(failure.what.contains("scalar partials"), "{failure}");
}

#[test]
fn kit_catches_a_fused_activation_that_is_not_applied() {
    let failure = check_op(1, || DoubleWithWrong(Shortcut::Then))
        .cases(4)
        .run()
        .unwrap_err();
    assert!(failure.what.contains("forward_into_then"), "{failure}");
}

#[test]
fn kit_catches_a_scalar_forward_that_is_not_forwards_value() {
    let failure = check_op(1, || DoubleWithWrong(Shortcut::ScalarForward))
        .cases(4)
        .run()
        .unwrap_err();
    assert!(failure.what.contains("scalar_forward"), "{failure}");
}
