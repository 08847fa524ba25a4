//! `expm1`: element-wise `eˣ − 1`, accurate near 0.

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = eˣ − 1`. `dx = dy · eˣ = dy · (y + 1)`.
///
/// Accurate where `eˣ` is near 1 (`expm1(1e-20) = 1e-20`, where `exp(x) - 1` gives 0).
/// The derivative is computed from the output, as `exp`'s. It overflows to `+inf` with
/// `exp` (above 709.78 in `f64`, 88.72 in `f32`) and tends to `-1` below, with gradient 0
/// once `eˣ` underflows.
pub struct Expm1;

impl<T: Float> Op<T> for Expm1 {
    fn name(&self) -> &str {
        "expm1"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(super::at_one(T::exp_m1_slice, xs[0]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map_slices(T::exp_m1_slice))
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy * (y + T::ONE))].into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise `eˣ − 1`, accurate for `x` near 0.
    ///
    /// ```
    /// use tapegrad_core::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::vector(vec![1e-20, 0.0]));
    /// let y = x.expm1();
    /// assert_eq!(y.value().as_slice(), &[1e-20, 0.0]);
    /// // d/dx (eˣ − 1) = eˣ
    /// assert_eq!(y.sum().backward().wrt(x).as_slice(), &[1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn expm1(self) -> Self {
        self.tape.apply(Expm1, &[self])
    }
}
