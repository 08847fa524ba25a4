//! `Standardizer`: per-column mean and standard deviation, fitted on training data only.

use crate::caller::{error_at, or_panic};
use std::panic::Location;
use tapegrad_core::{Error, ErrorKind, Float, Tensor};

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
    /// Fits the column statistics of `[n, d]` data (accumulated in f64); panics where
    /// [`try_fit`](Self::try_fit) returns an error.
    #[track_caller]
    pub fn fit(x: &Tensor<T>) -> Self {
        or_panic(Self::try_fit(x))
    }

    /// Fits the column statistics of `[n, d]` data (accumulated in f64), or an error
    /// unless `x` is 2-d with at least one row and one column.
    #[track_caller]
    pub fn try_fit(x: &Tensor<T>) -> Result<Self, Error> {
        let at = Location::caller();
        if x.ndim() != 2 || x.shape()[0] == 0 || x.shape()[1] == 0 {
            return Err(error_at(
                ErrorKind::ShapeMismatch {
                    shapes: vec![x.shape().to_vec()],
                },
                "Standardizer::fit",
                format!(
                    "needs [n, d] data with n > 0 rows and d > 0 columns, got {:?}",
                    x.shape()
                ),
                at,
            ));
        }
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
        Ok(Standardizer {
            mean: Tensor::vector(mean.into_iter().map(T::from_f64).collect()),
            std: Tensor::vector(std),
        })
    }

    /// `(x - mean) / std`, column-wise; panics where
    /// [`try_transform`](Self::try_transform) returns an error.
    #[track_caller]
    pub fn transform(&self, x: &Tensor<T>) -> Tensor<T> {
        or_panic(self.try_transform(x))
    }

    /// `(x - mean) / std`, column-wise, or an error unless `x`'s last axis has the `d`
    /// columns the statistics were fitted on.
    #[track_caller]
    pub fn try_transform(&self, x: &Tensor<T>) -> Result<Tensor<T>, Error> {
        let at = Location::caller();
        self.check("Standardizer::transform", x, at)?;
        x.zip_map(&self.mean, |a, m| a - m)
            .and_then(|c| c.zip_map(&self.std, |a, s| a / s))
            .map_err(|e| Error::from_tensor("Standardizer::transform", e, at))
    }

    /// `z·std + mean`: back to the original units; panics where
    /// [`try_inverse`](Self::try_inverse) returns an error.
    #[track_caller]
    pub fn inverse(&self, z: &Tensor<T>) -> Tensor<T> {
        or_panic(self.try_inverse(z))
    }

    /// `z·std + mean`, or an error unless `z`'s last axis has the `d` columns the
    /// statistics were fitted on.
    #[track_caller]
    pub fn try_inverse(&self, z: &Tensor<T>) -> Result<Tensor<T>, Error> {
        let at = Location::caller();
        self.check("Standardizer::inverse", z, at)?;
        z.zip_map(&self.std, |a, s| a * s)
            .and_then(|c| c.zip_map(&self.mean, |a, m| a + m))
            .map_err(|e| Error::from_tensor("Standardizer::inverse", e, at))
    }

    /// Refuses data whose last axis is not the fitted columns: broadcasting would
    /// otherwise turn `[n, 1]` into `[n, d]` without a word.
    fn check(&self, op: &str, x: &Tensor<T>, at: &'static Location<'static>) -> Result<(), Error> {
        let d = self.mean.len();
        if x.shape().last() == Some(&d) {
            Ok(())
        } else {
            Err(error_at(
                ErrorKind::ShapeMismatch {
                    shapes: vec![x.shape().to_vec(), vec![d]],
                },
                op,
                format!(
                    "data of shape {:?} for statistics of {d} columns",
                    x.shape()
                ),
                at,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caller::panic_message;

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

    #[test]
    fn fit_refuses_data_without_columns_or_rows() {
        for shape in [&[3, 0][..], &[0, 2], &[4]] {
            let e = Standardizer::try_fit(&Tensor::<f32>::zeros(shape)).unwrap_err();
            assert_eq!(e.op, "Standardizer::fit");
            assert!(e.message.contains(&format!("got {shape:?}")), "{e}");
            let e = Standardizer::try_fit(&Tensor::<f64>::zeros(shape)).unwrap_err();
            assert!(e.message.contains("d > 0 columns"), "{e}");
        }
    }

    #[test]
    fn transform_refuses_data_of_other_width() {
        let s = Standardizer::fit(&Tensor::<f64>::rand_normal(&[5, 3], 0.0, 1.0, 2));
        // [5, 1] would broadcast against 3 columns
        let e = s.try_transform(&Tensor::zeros(&[5, 1])).unwrap_err();
        assert_eq!(
            e.message,
            "data of shape [5, 1] for statistics of 3 columns"
        );
        let s = Standardizer::fit(&Tensor::<f32>::ones(&[2, 2]));
        assert!(s.try_inverse(&Tensor::zeros(&[4, 3])).is_err());
        assert_eq!(
            s.try_inverse(&Tensor::zeros(&[1, 2])).unwrap().as_slice(),
            &[1.0, 1.0]
        );
    }

    #[test]
    fn standardizer_panics_point_at_the_caller() {
        let s = Standardizer::fit(&Tensor::<f64>::ones(&[2, 3]));
        let x = Tensor::zeros(&[2, 4]);
        let line = line!() + 1;
        let m = panic_message(|| drop(s.transform(&x)));
        assert!(
            m.starts_with("Standardizer::transform: data of shape [2, 4]"),
            "{m}"
        );
        assert!(m.contains(&format!("(at {}:{line}:", file!())), "{m}");
        let line = line!() + 1;
        let m = panic_message(|| drop(Standardizer::fit(&Tensor::<f32>::zeros(&[2, 0]))));
        assert!(m.contains(&format!("(at {}:{line}:", file!())), "{m}");
    }
}
