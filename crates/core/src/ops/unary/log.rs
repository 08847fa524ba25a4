//! `log`: element-wise natural logarithm.

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = ln x`. `dx = dy / x`.
///
/// Edges (`CONVENTIONS.md`): `ln 0 = -inf` with gradient `+inf` (`dy/0`); for `x < 0`
/// the value and the gradient are both NaN (undefined), although `dy/x` alone would be
/// finite there.
pub struct Log;

impl<T: Float> Op<T> for Log {
    fn name(&self) -> &str {
        "log"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(super::at_one(T::ln_slice, xs[0]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map_slices(T::ln_slice))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let x = xs[0];
        let dx = dy / x;
        // Outside the domain the gradient must be NaN, not `1/x`: a constant mask poisons
        // those elements. It is built only when there are any, so the usual case costs one
        // division.
        let xv = x.value();
        if xv.as_slice().iter().any(|&v| v < T::ZERO) {
            let nan_where_negative = xv.map(|v| if v < T::ZERO { T::NAN } else { T::ONE });
            return [Some(dx * x.constant(nan_where_negative))].into();
        }
        [Some(dx)].into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise natural logarithm `ln x`.
    #[track_caller]
    pub fn log(self) -> Self {
        self.tape.apply(Log, &[self])
    }
}
