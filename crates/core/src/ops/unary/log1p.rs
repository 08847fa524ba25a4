//! `log1p`: element-wise `ln(1 + x)`, accurate near 0.

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = ln(1 + x)`. `dx = dy / (1 + x)`.
///
/// Accurate where `1 + x` would round (`log1p(1e-20) = 1e-20`, where `log(1 + x)` gives
/// 0). Edges (`CONVENTIONS.md`, as `torch.log1p`): `log1p(-1) = -inf` with gradient
/// `+inf`; for `x < -1` the value and the gradient are both NaN, although `dy/(1 + x)`
/// alone would be finite there.
pub struct Log1p;

impl<T: Float> Op<T> for Log1p {
    fn name(&self) -> &str {
        "log1p"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(super::at_one(T::ln_1p_slice, xs[0]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map_slices(T::ln_1p_slice))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let x = xs[0];
        let dx = dy / (x + T::ONE);
        // Outside the domain the gradient must be NaN (as `log`'s): a constant mask, built
        // only when there are such elements.
        let xv = x.value();
        if xv.as_slice().iter().any(|&v| v < -T::ONE) {
            let nan_below = xv.map(|v| if v < -T::ONE { T::NAN } else { T::ONE });
            return [Some(dx * x.constant(nan_below))].into();
        }
        [Some(dx)].into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise `ln(1 + x)`, accurate for `x` near 0.
    ///
    /// ```
    /// use tapegrad_core::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::vector(vec![1e-20, 1.0]));
    /// let y = x.log1p();
    /// assert_eq!(y.value().as_slice(), &[1e-20, std::f64::consts::LN_2]);
    /// // d/dx ln(1 + x) = 1/(1 + x)
    /// assert_eq!(y.sum().backward().wrt(x).as_slice(), &[1.0, 0.5]);
    /// ```
    #[track_caller]
    pub fn log1p(self) -> Self {
        self.tape.apply(Log1p, &[self])
    }
}
