//! `Standardizer`: per-column mean and standard deviation, fitted on training data only.

use tapegrad_core::{Float, Tensor};

/// Column-wise standardisation `(x - mean) / std` of `[n, d]` data (scikit-learn's
/// `StandardScaler`: population standard deviation; a constant column gets std 1 so it
/// maps to 0 instead of NaN).
///
/// ```
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::data::Standardizer;
/// let x = Tensor::from_vec(vec![1.0, 10.0, 3.0, 10.0], &[2, 2]);
/// let s = Standardizer::fit(&x);
/// assert_eq!(s.transform(&x).as_slice(), &[-1.0, 0.0, 1.0, 0.0]);
/// assert_eq!(s.inverse(&s.transform(&x)), x);
/// ```
#[derive(Clone, Debug)]
pub struct Standardizer<T: Float> {
    /// Column means, `[d]`.
    pub mean: Tensor<T>,
    /// Column standard deviations, `[d]` (1 for constant columns).
    pub std: Tensor<T>,
}

impl<T: Float> Standardizer<T> {
    /// Fits the column statistics of `[n, d]` data (accumulated in f64); panics unless
    /// `x` is 2-d with at least one row.
    #[track_caller]
    pub fn fit(x: &Tensor<T>) -> Self {
        assert!(
            x.ndim() == 2 && x.shape()[0] > 0,
            "Standardizer::fit: needs [n, d] data with n > 0, got {:?}",
            x.shape()
        );
        let (n, d) = (x.shape()[0], x.shape()[1]);
        let v = x.as_slice();
        let mut mean = vec![0.0f64; d];
        let mut var = vec![0.0f64; d];
        for row in v.chunks(d) {
            for (m, &e) in mean.iter_mut().zip(row) {
                *m += e.to_f64();
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        for row in v.chunks(d) {
            for ((s, &e), m) in var.iter_mut().zip(row).zip(&mean) {
                *s += (e.to_f64() - m).powi(2);
            }
        }
        let std: Vec<T> = var
            .iter()
            .map(|s| {
                let sd = (s / n as f64).sqrt();
                T::from_f64(if sd > 0.0 { sd } else { 1.0 })
            })
            .collect();
        Standardizer {
            mean: Tensor::vector(mean.into_iter().map(T::from_f64).collect()),
            std: Tensor::vector(std),
        }
    }

    /// `(x - mean) / std`, column-wise.
    #[track_caller]
    pub fn transform(&self, x: &Tensor<T>) -> Tensor<T> {
        x.zip_map(&self.mean, |a, m| a - m)
            .and_then(|c| c.zip_map(&self.std, |a, s| a / s))
            .unwrap_or_else(|e| panic!("Standardizer::transform: {e}"))
    }

    /// `z·std + mean`: back to the original units.
    #[track_caller]
    pub fn inverse(&self, z: &Tensor<T>) -> Tensor<T> {
        z.zip_map(&self.std, |a, s| a * s)
            .and_then(|c| c.zip_map(&self.mean, |a, m| a + m))
            .unwrap_or_else(|e| panic!("Standardizer::inverse: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transformed_columns_have_zero_mean_unit_std() {
        let x = Tensor::<f64>::rand_normal(&[500, 3], 5.0, 3.0, 1);
        let z = Standardizer::fit(&x).transform(&x);
        let again = Standardizer::fit(&z);
        assert!(again.mean.as_slice().iter().all(|m| m.abs() < 1e-12));
        assert!(again.std.as_slice().iter().all(|s| (s - 1.0).abs() < 1e-12));
    }

    #[test]
    fn constant_column_maps_to_zero() {
        let x = Tensor::<f32>::from_vec(vec![2.0, 1.0, 2.0, 3.0], &[2, 2]);
        let s = Standardizer::fit(&x);
        assert_eq!(s.std.as_slice(), &[1.0, 1.0]);
        assert_eq!(s.transform(&x).as_slice(), &[0.0, -1.0, 0.0, 1.0]);
    }
}
