//! `concat`: join variables along an existing axis; `stack` composes it to join them
//! along a new one.

use super::narrow::Narrow;
use crate::ops::resolve_axis_for;
use crate::{Error, ErrorKind, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = [x₀ x₁ … xₙ₋₁]` along `axis`: the parts one after another, all other axes equal.
/// `dxᵢ = narrow(dy, axis, oᵢ, len(xᵢ))` with `oᵢ` the summed lengths of the parts before.
pub struct Concat {
    /// The axis the parts are joined along.
    pub axis: usize,
}

impl<T: Float> Op<T> for Concat {
    fn name(&self) -> &str {
        "concat"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Tensor::concat(xs, self.axis)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let mut start = 0;
        let mut dxs = Vec::with_capacity(xs.len());
        for x in xs {
            let len = x.shape()[self.axis];
            let narrow = Narrow {
                axis: self.axis,
                start,
                len,
            };
            dxs.push(Some(dy.tape.apply(narrow, &[dy])));
            start += len;
        }
        dxs.into()
    }
    fn label(&self) -> String {
        format!("concat(axis={})", self.axis)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// The parts joined along `axis` (negative counts from the end), or the error when
    /// there are no parts, the axis is out of range or the shapes differ on another axis.
    #[track_caller]
    pub fn try_concat(parts: &[Self], axis: isize) -> Result<Self, Error> {
        let Some(first) = parts.first() else {
            return Err(Error::new("concat", "no parts to join"));
        };
        let axis = resolve_axis_for("concat", axis, &first.shape())?;
        first.tape.try_apply(Concat { axis }, parts)
    }

    /// The parts joined along `axis` (negative counts from the end); all other axes must
    /// agree.
    #[track_caller]
    pub fn concat(parts: &[Self], axis: isize) -> Self {
        Self::try_concat(parts, axis).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The parts, all of one shape, joined along a new axis at position `axis` of the
    /// result (negative counts from the end of the result's axes), or the error when
    /// there are no parts, the shapes differ or the axis is out of range.
    #[track_caller]
    pub fn try_stack(parts: &[Self], axis: isize) -> Result<Self, Error> {
        let Some(first) = parts.first() else {
            return Err(Error::new("stack", "no parts to join"));
        };
        let shape = first.shape();
        let shapes: Vec<_> = parts.iter().map(|p| p.shape().to_vec()).collect();
        if shapes.iter().any(|s| s.as_slice() != shape.as_slice()) {
            let message = format!("shapes {shapes:?} differ");
            return Err(Error::of_kind(
                ErrorKind::ShapeMismatch { shapes },
                "stack",
                message,
            ));
        }
        let mut grown = shape.to_vec();
        grown.push(1);
        let axis = resolve_axis_for("stack", axis, &grown)?;
        grown.pop();
        grown.insert(axis, 1);
        let mut columns = Vec::with_capacity(parts.len());
        for p in parts {
            columns.push(p.try_reshape(&grown)?);
        }
        Self::try_concat(&columns, axis as isize)
    }

    /// The parts, all of one shape, joined along a new axis at position `axis` of the
    /// result (negative counts from the end of the result's axes).
    #[track_caller]
    pub fn stack(parts: &[Self], axis: isize) -> Self {
        Self::try_stack(parts, axis).unwrap_or_else(|e| panic!("{e}"))
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_gradients, shape, tensor_in};
    use crate::{Tape, Tensor, Var};
    use proptest::prelude::*;

    #[test]
    fn concat_matches_literal() {
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2]));
        let b = tape.leaf(Tensor::from_vec(vec![5., 6.], &[2, 1]));
        let y = Var::concat(&[a, b, a], -1);
        assert_eq!(y.shape().as_slice(), &[2, 5]);
        assert_eq!(
            y.value().as_slice(),
            &[1., 2., 5., 1., 2., 3., 4., 6., 3., 4.]
        );
        // d/d· Σ w ⊙ y with w[i][j] = j: a appears at columns 0,1 and 3,4, b at column 2
        let w = tape.constant(Tensor::from_fn(&[2, 5], |k| (k % 5) as f64));
        let g = (y * w).sum().backward();
        assert_eq!(g.wrt(a).as_slice(), &[3., 5., 3., 5.]);
        assert_eq!(g.wrt(b).as_slice(), &[2., 2.]);
    }

    #[test]
    fn stack_matches_literal() {
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::vector(vec![1., 2.]));
        let b = tape.leaf(Tensor::vector(vec![3., 4.]));
        let rows = Var::stack(&[a, b], 0);
        assert_eq!(rows.shape().as_slice(), &[2, 2]);
        assert_eq!(rows.value().as_slice(), &[1., 2., 3., 4.]);
        let cols = Var::stack(&[a, b, a], -1);
        assert_eq!(cols.shape().as_slice(), &[2, 3]);
        assert_eq!(cols.value().as_slice(), &[1., 3., 1., 2., 4., 2.]);
        // d/da Σ cols² = 2a twice (a is stacked twice)
        let g = (cols * cols).sum().backward();
        assert_eq!(g.wrt(a).as_slice(), &[4., 8.]);
        assert_eq!(g.wrt(b).as_slice(), &[6., 8.]);
        // scalars stack into a vector
        let s = Var::stack(&[tape.leaf(Tensor::scalar(7.0)), a.sum()], 0);
        assert_eq!(s.value().as_slice(), &[7., 3.]);
    }

    #[test]
    fn concat_rejects_mismatched_shapes() {
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::zeros(&[2, 3]));
        let b = tape.leaf(Tensor::zeros(&[3, 3]));
        let e = Var::try_concat(&[a, b], 1).unwrap_err();
        assert_eq!(e.op, "concat");
        assert!(
            e.message.contains("[2, 3]") && e.message.contains("[3, 3]"),
            "{e}"
        );
        assert!(Var::try_concat(&[a, b], 0).is_ok());
        let e = Var::try_concat(&[a, b], 2).unwrap_err();
        assert!(
            e.message.contains("axis 2") && e.message.contains("[2, 3]"),
            "{e}"
        );
        let e = Var::try_concat(&[a, tape.leaf(Tensor::zeros(&[2]))], 0).unwrap_err();
        assert!(e.message.contains("[2]"), "{e}");
        assert_eq!(Var::<f64>::try_concat(&[], 0).unwrap_err().op, "concat");
        let e = Var::try_stack(&[a, b], 0).unwrap_err();
        assert_eq!(e.op, "stack");
        assert!(
            e.message.contains("[2, 3]") && e.message.contains("[3, 3]"),
            "{e}"
        );
        let e = Var::try_stack(&[a, a], 3).unwrap_err();
        assert_eq!(e.op, "stack");
        assert!(e.message.contains("axis 3"), "{e}");
        assert_eq!(
            Var::try_stack(&[a, a], -3).unwrap().shape().as_slice(),
            &[2, 2, 3]
        );
    }

    #[test]
    fn stack_error_points_at_the_callers_line() {
        // stack is composed of resolve/reshape/concat; the error must still name this line
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::zeros(&[2]));
        let (e, here) = (Var::try_stack(&[a, a], 2).unwrap_err(), line!());
        assert_eq!((e.location.file(), e.location.line()), (file!(), here));
        let (e, here) = (a.try_transpose(0, 1).unwrap_err(), line!());
        assert_eq!(e.location.line(), here);
    }

    #[test]
    fn concat_gradcheck_order2() {
        let a = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.1, 0.7, -0.3], &[2, 3]);
        let b = Tensor::from_vec(vec![1.5, -0.2, 0.4], &[1, 3]);
        assert_gradients(
            |x| {
                let c = Var::concat(&[x[0], x[1], x[0]], 0);
                c * c
            },
            &[a.clone(), b],
            2,
        );
        assert_gradients(
            |x| {
                let s = Var::stack(&[x[0], x[0] * x[0]], 1);
                s * s
            },
            &[a],
            2,
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20))]
        #[test]
        fn concat_gradients_match_finite_differences(
            (a, b, axis) in shape(4)
                .prop_filter("rank ≥ 1", |s| !s.is_empty())
                .prop_flat_map(|s| { let r = s.len(); (Just(s), 0..r, 1usize..=3) })
                .prop_flat_map(|(s, axis, len_b)| {
                    let mut sb = s.clone();
                    sb[axis] = len_b;
                    (tensor_in(s, -2.0, 2.0), tensor_in(sb, -2.0, 2.0), Just(axis))
                })
        ) {
            let ax = axis as isize;
            let y = {
                let tape = Tape::new();
                Var::concat(&[tape.leaf(a.clone()), tape.leaf(b.clone())], ax).value()
            };
            prop_assert_eq!(y, Tensor::concat(&[&a, &b], axis).unwrap());
            assert_gradients(move |x| { let c = Var::concat(&[x[0], x[1], x[0]], ax); c * c }, &[a.clone(), b], 2);
            assert_gradients(move |x| { let s = Var::stack(&[x[0], x[0]], ax); s * s }, &[a], 2);
        }
    }
}
