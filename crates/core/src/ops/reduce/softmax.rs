//! `softmax` and `log_softmax` along one axis: compositions of `logsumexp`, `sub` and
//! `exp`, so they have no gradient code of their own.

use crate::tensor::resolve_axis;
use crate::{Error, Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// `log_softmax(x) = x - logsumexp(x)` along `axis`, or the error for a bad axis.
    #[track_caller]
    pub fn try_log_softmax(self, axis: isize) -> Result<Self, Error> {
        self.check_axis(axis, "log_softmax")?;
        if self.shape().contains(&0) {
            // Empty in, empty out (and its gradient is empty): the row sums of an empty
            // `[2³², 0]` would be a 2³²-element temporary for a result with no elements.
            return self.try_reshape(&self.shape());
        }
        Ok(self - self.try_logsumexp_axes(&[axis], true)?)
    }

    /// `log_softmax(x)ᵢ = xᵢ - ln Σⱼ e^xⱼ` along `axis` (negative counts from the end).
    ///
    /// Exact for inputs of ±1000: `logsumexp` shifts by the maximum, and nothing is
    /// exponentiated here. `d/dx Σ w ⊙ log_softmax(x) = w - softmax(x) · Σ w`.
    #[track_caller]
    pub fn log_softmax(self, axis: isize) -> Self {
        self.try_log_softmax(axis).unwrap_or_else(|e| panic!("{e}"))
    }

    /// `softmax(x) = exp(log_softmax(x))` along `axis`, or the error for a bad axis.
    #[track_caller]
    pub fn try_softmax(self, axis: isize) -> Result<Self, Error> {
        self.check_axis(axis, "softmax")?;
        Ok(self.try_log_softmax(axis)?.exp())
    }

    /// `softmax(x)ᵢ = e^xᵢ / Σⱼ e^xⱼ` along `axis` (negative counts from the end): each
    /// slice is positive and sums to 1.
    ///
    /// Computed as `exp(log_softmax(x))`, so every exponent is ≤ 0: no overflow, and inputs
    /// of ±1000 give exact 1s and 0s. `d/dx Σ w ⊙ s = s ⊙ (w - Σ w ⊙ s)`.
    ///
    /// ```
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::vector(vec![1000.0, -1000.0]));
    /// assert_eq!(x.softmax(0).value().as_slice(), &[1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn softmax(self, axis: isize) -> Self {
        self.try_softmax(axis).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The error naming `op` when `axis` is out of range, attributed to the user's call.
    #[track_caller]
    fn check_axis(self, axis: isize, op: &str) -> Result<(), Error> {
        let shape = self.shape();
        match resolve_axis(axis, shape.len()) {
            Some(_) => Ok(()),
            None => Err(Error::new(
                op,
                format!("axis {axis} out of range for shape {shape:?}"),
            )),
        }
    }
}
