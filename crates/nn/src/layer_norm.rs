//! `LayerNorm`: normalisation over the trailing axes of each sample, with an optional
//! element-wise affine map.

use crate::caller::fail;
use crate::{Module, Param, Params, Pass};
use std::panic::Location;
use tapegrad_core::{Float, Tensor, Var};

/// Layer normalisation (Ba et al. 2016) as PyTorch's `nn.LayerNorm(normalized_shape)`:
/// over the last `normalized_shape.len()` axes, `y = (x − μ) / √(σ² + ε) · weight + bias`
/// with `μ`, `σ²` the mean and biased variance of those axes, per sample; the same in
/// training and evaluation. `weight` (ones) and `bias` (zeros) have `normalized_shape`
/// (`elementwise_affine`, the default). Composed of means, a square root and a division,
/// so the gradient is the tape's.
///
/// ```
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::{LayerNorm, Module};
/// let ln = LayerNorm::<f64>::new(&[2]);
/// let y = ln.predict(&Tensor::from_vec(vec![1.0, 3.0, -2.0, -2.0], &[2, 2]));
/// assert!((y.as_slice()[0] + 1.0).abs() < 1e-5 && (y.as_slice()[1] - 1.0).abs() < 1e-5);
/// assert_eq!(&y.as_slice()[2..], &[0.0, 0.0]); // a constant row: x − μ = 0
/// ```
pub struct LayerNorm<T: Float> {
    /// `normalized_shape`, the scale; `None` without the affine map.
    pub weight: Option<Param<T>>,
    /// `normalized_shape`, the shift; `None` without the affine map.
    pub bias: Option<Param<T>>,
    /// The trailing shape normalised over.
    pub normalized_shape: Vec<usize>,
    /// Added to the variance before the square root.
    pub eps: f64,
}

impl<T: Float> LayerNorm<T> {
    /// Normalises over trailing axes of `normalized_shape`, `ε = 1e-5`, with weight and
    /// bias.
    pub fn new(normalized_shape: &[usize]) -> Self {
        Self::with_options(normalized_shape, 1e-5, true)
    }

    /// With the given `eps`, with or without the element-wise affine map.
    pub fn with_options(normalized_shape: &[usize], eps: f64, elementwise_affine: bool) -> Self {
        let param = |v: f64| {
            elementwise_affine.then(|| Param::new(Tensor::full(normalized_shape, T::from_f64(v))))
        };
        LayerNorm {
            weight: param(1.0),
            bias: param(0.0),
            normalized_shape: normalized_shape.to_vec(),
            eps,
        }
    }
}

impl<T: Float> Module<T> for LayerNorm<T> {
    #[track_caller]
    fn forward<'t>(&self, pass: &Pass<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        let shape = x.shape();
        let d = self.normalized_shape.len();
        if d == 0 || shape.len() < d || shape[shape.len() - d..] != self.normalized_shape[..] {
            fail(
                &format!("LayerNorm({:?})", self.normalized_shape),
                format!(
                    "expects an input ending in {:?}, got shape {:?}",
                    self.normalized_shape,
                    shape.as_slice()
                ),
                Location::caller(),
            );
        }
        let axes: Vec<isize> = (-(d as isize)..0).collect();
        let mean = x.mean_axes(&axes, true);
        let centred = x - mean;
        let var = (centred * centred).mean_axes(&axes, true);
        let xhat = centred / (var + T::from_f64(self.eps)).sqrt();
        match (&self.weight, &self.bias) {
            (Some(w), Some(b)) => xhat * pass.bind(w) + pass.bind(b),
            _ => xhat,
        }
    }

    fn parameters(&self) -> Params<T> {
        let mut ps = Params::new();
        if let (Some(w), Some(b)) = (&self.weight, &self.bias) {
            ps.insert("weight", w);
            ps.insert("bias", b);
        }
        ps
    }
}
