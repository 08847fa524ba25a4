//! Evaluation on plain tensors (no tape): class labels, arg-max, accuracy, MSE, R².

use crate::caller::{error_at, or_panic};
use std::panic::Location;
use tapegrad_core::{Error, ErrorKind, Float, Tensor};

/// Class labels stored as floats (`[n]` or `[n, 1]`) as indices; panics on a value that is
/// not a non-negative integer.
#[track_caller]
pub fn labels<T: Float>(y: &Tensor<T>) -> Vec<usize> {
    y.as_slice()
        .iter()
        .map(|&v| {
            let f = v.to_f64();
            assert!(
                f >= 0.0 && f.fract() == 0.0,
                "labels: `{f}` is not a class index"
            );
            f as usize
        })
        .collect()
}

/// The index of the largest entry of each row of `[n, c]` scores (the first on ties);
/// panics where [`try_argmax_rows`] returns an error.
#[track_caller]
pub fn argmax_rows<T: Float>(scores: &Tensor<T>) -> Vec<usize> {
    or_panic(try_argmax_rows(scores))
}

/// The index of the largest entry of each row of `[n, c]` scores (the first on ties), or
/// an error unless the scores are 2-d with at least one column (`c ≥ 1`).
#[track_caller]
pub fn try_argmax_rows<T: Float>(scores: &Tensor<T>) -> Result<Vec<usize>, Error> {
    if scores.ndim() != 2 || scores.shape()[1] == 0 {
        return Err(error_at(
            ErrorKind::ShapeMismatch {
                shapes: vec![scores.shape().to_vec()],
            },
            "argmax_rows",
            format!(
                "needs [n, c] scores with c > 0 columns, got {:?}",
                scores.shape()
            ),
            Location::caller(),
        ));
    }
    let c = scores.shape()[1];
    Ok(scores
        .as_slice()
        .chunks(c)
        .map(|row| (0..c).fold(0, |best, j| if row[j] > row[best] { j } else { best }))
        .collect())
}

/// The fraction of rows of `[n, c]` scores whose arg-max equals the label.
///
/// ```
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::metrics::accuracy;
/// let scores = Tensor::from_vec(vec![0.1, 0.9, 2.0, -1.0, 0.3, 0.2], &[3, 2]);
/// assert_eq!(accuracy(&scores, &[1, 0, 1]), 2.0 / 3.0);
/// ```
#[track_caller]
pub fn accuracy<T: Float>(scores: &Tensor<T>, labels: &[usize]) -> f64 {
    let pred = argmax_rows(scores);
    assert_eq!(
        pred.len(),
        labels.len(),
        "accuracy: {} rows of scores for {} labels",
        pred.len(),
        labels.len()
    );
    let hits = pred.iter().zip(labels).filter(|(p, l)| p == l).count();
    hits as f64 / labels.len().max(1) as f64
}

/// Mean squared error of two same-shaped tensors, in f64.
#[track_caller]
pub fn mean_squared_error<T: Float>(pred: &Tensor<T>, target: &Tensor<T>) -> f64 {
    assert_eq!(
        pred.shape(),
        target.shape(),
        "mean_squared_error: shapes differ"
    );
    let n = pred.len().max(1) as f64;
    pairwise_sum(
        pred.as_slice()
            .iter()
            .zip(target.as_slice())
            .map(|(p, t)| (p.to_f64() - t.to_f64()).powi(2)),
    ) / n
}

/// The sum of `values` in f64 by the engine's blocked pairwise summation (as every
/// reduction): the error grows like `log n`, not `n` as in one running total.
pub(crate) fn pairwise_sum(values: impl Iterator<Item = f64>) -> f64 {
    Tensor::vector(values.collect()).sum()
}

/// The coefficient of determination `R² = 1 - SS_res / SS_tot` of same-shaped tensors.
///
/// ```
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::metrics::r2_score;
/// let y = Tensor::vector(vec![1.0, 2.0, 3.0]);
/// assert_eq!(r2_score(&y, &y), 1.0);
/// assert_eq!(r2_score(&Tensor::vector(vec![2.0; 3]), &y), 0.0); // predicting the mean
/// ```
#[track_caller]
pub fn r2_score<T: Float>(pred: &Tensor<T>, target: &Tensor<T>) -> f64 {
    assert_eq!(pred.shape(), target.shape(), "r2_score: shapes differ");
    let t: Vec<f64> = target.as_slice().iter().map(|v| v.to_f64()).collect();
    let mean = pairwise_sum(t.iter().copied()) / t.len().max(1) as f64;
    let ss_tot = pairwise_sum(t.iter().map(|v| (v - mean).powi(2)));
    let ss_res = pairwise_sum(
        pred.as_slice()
            .iter()
            .zip(&t)
            .map(|(p, v)| (p.to_f64() - v).powi(2)),
    );
    1.0 - ss_res / ss_tot
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kahan–Babuška (Neumaier) summation: the reference the metrics are held to.
    fn compensated(values: impl Iterator<Item = f64>) -> f64 {
        let (mut sum, mut c) = (0.0f64, 0.0f64);
        for v in values {
            let t = sum + v;
            c += if sum.abs() >= v.abs() {
                (sum - t) + v
            } else {
                (v - t) + sum
            };
            sum = t;
        }
        sum + c
    }

    fn long_metrics_are_accurate<T: Float>() {
        // 10⁶ residuals of 0.1 (a running f64 total drifts by ~1e-11 relative)
        let n = 1_000_000;
        let target = Tensor::<T>::zeros(&[n]);
        let pred = Tensor::<T>::full(&[n], T::from_f64(0.1));
        let d = T::from_f64(0.1).to_f64();
        let want = compensated(std::iter::repeat_n(d * d, n)) / n as f64;
        let got = mean_squared_error(&pred, &target);
        assert!(
            (got - want).abs() <= 4.0 * f64::EPSILON * want,
            "{got} vs {want}"
        );
        let y = Tensor::<T>::from_fn(&[n], |i| T::from_f64(((i % 7) as f64) * 0.1));
        let mean = compensated(y.as_slice().iter().map(|v| v.to_f64())) / n as f64;
        let ss_tot = compensated(y.as_slice().iter().map(|v| (v.to_f64() - mean).powi(2)));
        let ss_res = compensated(y.as_slice().iter().map(|v| (v.to_f64() - 0.5).powi(2)));
        let r2 = r2_score(&Tensor::full(&[n], T::from_f64(0.5)), &y);
        let want = 1.0 - ss_res / ss_tot;
        assert!((r2 - want).abs() <= 1e-14, "{r2} vs {want}");
    }

    #[test]
    fn long_metrics_are_accurate_f64() {
        long_metrics_are_accurate::<f64>();
    }

    #[test]
    fn long_metrics_are_accurate_f32() {
        long_metrics_are_accurate::<f32>();
    }

    #[test]
    fn argmax_takes_first_of_ties() {
        let s = Tensor::<f64>::from_vec(vec![1.0, 1.0, 0.0, 0.0, 2.0, 2.0], &[2, 3]);
        assert_eq!(argmax_rows(&s), [0, 1]);
    }

    #[test]
    fn argmax_refuses_scores_without_columns() {
        for shape in [&[3, 0][..], &[0, 0], &[4]] {
            let e = try_argmax_rows(&Tensor::<f32>::zeros(shape)).unwrap_err();
            assert_eq!(
                e.message,
                format!("needs [n, c] scores with c > 0 columns, got {shape:?}")
            );
            let line = line!() + 1;
            let e = try_argmax_rows(&Tensor::<f64>::zeros(shape)).unwrap_err();
            assert_eq!((e.location.file(), e.location.line()), (file!(), line));
        }
        assert!(try_argmax_rows(&Tensor::<f64>::zeros(&[0, 2]))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn labels_accept_integers_only() {
        assert_eq!(
            labels(&Tensor::<f32>::vector(vec![0.0, 3.0, 1.0])),
            [0, 3, 1]
        );
        let bad = std::panic::catch_unwind(|| labels(&Tensor::<f64>::vector(vec![0.5])));
        assert!(bad.is_err());
    }

    #[test]
    fn mse_and_r2_match_literal() {
        let y = Tensor::<f64>::vector(vec![1.0, 2.0, 3.0, 4.0]);
        let p = Tensor::vector(vec![1.0, 2.0, 3.0, 6.0]);
        assert_eq!(mean_squared_error(&p, &y), 1.0);
        // SS_tot = 5, SS_res = 4
        assert!((r2_score(&p, &y) - 0.2).abs() < 1e-15);
    }
}
