//! `narrow`: a contiguous range along one axis, and `PadNarrow`, its adjoint, which puts
//! a range back into zeros. Each one's VJP is the other, so both differentiate to any order.

use crate::ops::resolve_axis_for;
use crate::{Error, ErrorKind, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = x[…, start..start + len, …]` along `axis` (PyTorch's `narrow`).
/// `dx = pad_narrow(dy)`: `dy` in positions `start..start + len` of `axis`, zeros elsewhere.
pub struct Narrow {
    /// The axis to cut.
    pub axis: usize,
    /// First position kept.
    pub start: usize,
    /// Number of positions kept.
    pub len: usize,
}

impl<T: Float> Op<T> for Narrow {
    fn name(&self) -> &str {
        "narrow"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].narrow(self.axis, self.start, self.len)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let pad = PadNarrow {
            axis: self.axis,
            start: self.start,
            size: xs[0].shape()[self.axis],
        };
        [Some(dy.tape.apply(pad, &[dy]))].into()
    }
    fn label(&self) -> String {
        format!(
            "narrow(axis={}, {}..{})",
            self.axis,
            self.start,
            self.start + self.len
        )
    }
}

/// `y` = zeros with `axis` of length `size`, holding `x` at positions
/// `start..start + len(x)` of that axis: the adjoint of [`Narrow`].
/// `dx = narrow(dy, axis, start, len(x))`.
pub struct PadNarrow {
    /// The axis along which `x` is placed.
    pub axis: usize,
    /// Where `x` starts along `axis`.
    pub start: usize,
    /// The length of `axis` in the result.
    pub size: usize,
}

impl<T: Float> Op<T> for PadNarrow {
    fn name(&self) -> &str {
        "pad_narrow"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let x = xs[0];
        let len = x.shape().get(self.axis).copied();
        let fits = |len: usize| {
            self.start
                .checked_add(len)
                .is_some_and(|end| end <= self.size)
        };
        let Some(len) = len.filter(|&len| fits(len)) else {
            let kind = match len {
                None => ErrorKind::AxisOutOfRange {
                    axis: self.axis as isize,
                    rank: x.ndim(),
                },
                Some(len) => ErrorKind::IndexOutOfRange {
                    index: self.start.saturating_add(len),
                    size: self.size,
                },
            };
            return Err(TensorError::new(
                kind,
                format!(
                    "cannot place {:?} at {}.. on axis {} of length {}",
                    x.shape(),
                    self.start,
                    self.axis,
                    self.size
                ),
            ));
        };
        // # Design
        // Zeros before and after, joined by the concat kernel: no kernel of its own, and
        // the copy is one pass either way.
        let mut before = x.shape().to_vec();
        before[self.axis] = self.start;
        let mut after = x.shape().to_vec();
        after[self.axis] = self.size - self.start - len;
        let (before, after) = (Tensor::zeros(&before), Tensor::zeros(&after));
        Tensor::concat(&[&before, x, &after], self.axis)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let narrow = Narrow {
            axis: self.axis,
            start: self.start,
            len: xs[0].shape()[self.axis],
        };
        [Some(dy.tape.apply(narrow, &[dy]))].into()
    }
    fn label(&self) -> String {
        format!(
            "pad_narrow(axis={}, start={}, size={})",
            self.axis, self.start, self.size
        )
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Positions `start..start + len` along `axis` (negative counts from the end), or the
    /// error when the axis or the range is out of bounds.
    #[track_caller]
    pub fn try_narrow(self, axis: isize, start: usize, len: usize) -> Result<Self, Error> {
        let axis = resolve_axis_for("narrow", axis, &self.shape())?;
        self.tape.try_apply(Narrow { axis, start, len }, &[self])
    }

    /// Positions `start..start + len` along `axis` (negative counts from the end).
    #[track_caller]
    pub fn narrow(self, axis: isize, start: usize, len: usize) -> Self {
        self.try_narrow(axis, start, len)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::PadNarrow;
    use crate::testing::{assert_gradients, shape, tensor_in};
    use crate::{Tape, Tensor};
    use proptest::prelude::*;

    #[test]
    fn narrow_matches_literal() {
        let tape = Tape::<f64>::new();
        // x = [[0, 1, 2, 3], [4, 5, 6, 7]]
        let x = tape.leaf(Tensor::arange(8).reshape(&[2, 4]).unwrap());
        let y = x.narrow(-1, 1, 2);
        assert_eq!(y.shape().as_slice(), &[2, 2]);
        assert_eq!(y.value().as_slice(), &[1., 2., 5., 6.]);
        // d/dx Σ y² = 2y inside the range, 0 outside
        let dx = (y * y).sum().backward().wrt(x);
        assert_eq!(dx.as_slice(), &[0., 2., 4., 0., 0., 10., 12., 0.]);
        // an empty range is allowed and has a zero gradient
        let e = x.narrow(0, 2, 0);
        assert_eq!(e.shape().as_slice(), &[0, 4]);
        assert_eq!(e.sum().backward().wrt(x).as_slice(), &[0.; 8]);
    }

    #[test]
    fn pad_narrow_matches_literal() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2]));
        let pad = PadNarrow {
            axis: 1,
            start: 1,
            size: 4,
        };
        let y = tape.apply(pad, &[x]);
        assert_eq!(y.value().as_slice(), &[0., 1., 2., 0., 0., 3., 4., 0.]);
        // d/dx Σ w ⊙ y picks w where x was placed
        let w = tape.constant(Tensor::arange(8).reshape(&[2, 4]).unwrap());
        assert_eq!(
            (y * w).sum().backward().wrt(x).as_slice(),
            &[1., 2., 5., 6.]
        );
    }

    #[test]
    fn narrow_rejects_out_of_bounds() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::zeros(&[2, 4]));
        let e = x.try_narrow(1, 3, 2).unwrap_err();
        assert_eq!(e.op, "narrow");
        assert!(
            e.message.contains("3..5") && e.message.contains("[2, 4]"),
            "{e}"
        );
        let e = x.try_narrow(-3, 0, 1).unwrap_err();
        assert_eq!(e.op, "narrow");
        assert!(
            e.message.contains("axis -3") && e.message.contains("[2, 4]"),
            "{e}"
        );
        let pad = PadNarrow {
            axis: 1,
            start: 3,
            size: 4,
        };
        let e = tape.try_apply(pad, &[x]).unwrap_err();
        assert_eq!(e.op, "pad_narrow");
        assert!(e.message.contains("[2, 4]"), "{e}");
    }

    #[test]
    fn narrow_gradcheck_order2() {
        let x = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.1, 0.7, -0.3], &[2, 3]);
        assert_gradients(
            |x| {
                let n = x[0].narrow(1, 1, 2);
                n * n
            },
            std::slice::from_ref(&x),
            2,
        );
        // two overlapping ranges of the same variable multiplied together
        assert_gradients(|x| x[0].narrow(1, 0, 2) * x[0].narrow(1, 1, 2), &[x], 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20))]
        #[test]
        fn narrow_gradients_match_finite_differences(
            (x, axis, start, len) in shape(4)
                .prop_filter("rank ≥ 1", |s| !s.is_empty())
                .prop_flat_map(|s| {
                    let r = s.len();
                    (Just(s), 0..r)
                })
                .prop_flat_map(|(s, axis)| {
                    let d = s[axis];
                    (tensor_in(s, -2.0, 2.0), Just(axis), 0..d)
                })
                .prop_flat_map(|(x, axis, start)| {
                    let d = x.shape()[axis];
                    (Just(x), Just(axis), Just(start), 1..=d - start)
                })
        ) {
            let a = axis as isize - x.ndim() as isize; // negative form of the same axis
            let y = Tape::new().leaf(x.clone()).narrow(a, start, len).value();
            prop_assert_eq!(y, x.narrow(axis, start, len).unwrap());
            assert_gradients(move |x| { let n = x[0].narrow(a, start, len); n * n }, &[x], 2);
        }
    }
}
