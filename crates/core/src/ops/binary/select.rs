//! `select`: element-wise choice between two variables by a constant mask (NumPy's
//! `where`). The mask is data, not a variable: it has no gradient.

use crate::structure::{Curvature, Structure};
use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = cond ? on_true : on_false`, element-wise, with `cond`, `on_true` and `on_false`
/// broadcast together; a nonzero mask element (NaN included) means "true".
///
/// `d on_true = select(cond, dy, 0)`, `d on_false = select(cond, 0, dy)`: the cotangent
/// reaches only the branch that was taken.
///
/// # The branch not taken, and the "double where" remedy
/// The branch not taken is still computed and still differentiated, with a zero
/// cotangent. Where its own derivative is infinite or NaN (`1/x`, `sqrt`, `log` at 0), its
/// VJP computes `0 · inf = NaN`, and that NaN reaches every input of the branch: for
/// `select(x ≠ 0, 1/x, 0)` the gradient at `x = 0` is NaN, not 0. Every chain-rule engine
/// behaves so (see CONVENTIONS.md). The remedy is to sanitise the *input* of the dead
/// branch so it is evaluated where it is harmless:
///
/// ```
/// use tapegrad_core::{Tape, Tensor, Var};
/// let tape = Tape::<f64>::new();
/// let x = tape.leaf(Tensor::vector(vec![0.0, 2.0]));
/// let live = Tensor::vector(vec![0.0, 1.0]); // x ≠ 0
/// let one = tape.constant(Tensor::scalar(1.0));
/// let zero = tape.constant(Tensor::scalar(0.0));
/// let x_safe = Var::select(&live, x, one); // 1 where the branch is dead
/// let y = Var::select(&live, one / x_safe, zero);
/// assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.0, -0.25]);
/// ```
///
/// # Design
/// The VJP is itself a `select`, not a product with the mask (as in PyTorch and JAX): a
/// NaN or infinite cotangent at a position the branch did not supply then stays out of
/// that branch instead of becoming `0 · NaN`. That is what makes the remedy above work
/// when the sanitised input feeds further ops (the guards of `pow` rely on it).
pub struct Select<T: Float> {
    /// The condition: nonzero picks `on_true`.
    pub mask: Tensor<T>,
}

impl<T: Float> Op<T> for Select<T> {
    fn name(&self) -> &str {
        "select"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        self.mask
            .zip3_map(xs[0], xs[1], |c, t, f| if c != T::ZERO { t } else { f })
            .map_err(|e| {
                // the kind (the three shapes) stays; the message names the arguments
                TensorError::new(
                    e.kind().clone(),
                    format!(
                        "mask {:?}, on_true {:?} and on_false {:?} do not broadcast",
                        self.mask.shape(),
                        xs[0].shape(),
                        xs[1].shape()
                    ),
                )
            })
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let zero = dy.scalar(T::ZERO);
        let d_true = Var::select(&self.mask, dy, zero);
        let d_false = Var::select(&self.mask, zero, dy);
        [Some(d_true), Some(d_false)].into()
    }
    fn label(&self) -> String {
        format!("select(mask {:?})", self.mask.shape())
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Linear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// `cond ? on_true : on_false` element-wise (NumPy's `where`), or the error when the
    /// three shapes do not broadcast together. See [`Select`] for the gradient and the
    /// "double where" remedy.
    #[track_caller]
    pub fn try_select(cond: &Tensor<T>, on_true: Self, on_false: Self) -> Result<Self, Error> {
        on_true
            .tape
            .try_apply(Select { mask: cond.clone() }, &[on_true, on_false])
    }

    /// `cond ? on_true : on_false` element-wise (NumPy's `where`), with broadcasting; a
    /// nonzero `cond` element picks `on_true`. Gradients reach only the branch taken.
    #[track_caller]
    pub fn select(cond: &Tensor<T>, on_true: Self, on_false: Self) -> Self {
        Self::try_select(cond, on_true, on_false).unwrap_or_else(|e| panic!("{e}"))
    }
}
