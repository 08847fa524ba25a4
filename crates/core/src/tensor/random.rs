//! Seeded random tensors: uniform and normal, from any `rand` generator or a plain seed.

use super::Tensor;
use crate::Float;
use rand::rngs::StdRng;
use rand::{Rng, RngExt, SeedableRng};

impl<T: Float> Tensor<T> {
    /// Uniform samples in `[low, high)` drawn from `rng`.
    #[track_caller]
    pub fn uniform_with<R: Rng + ?Sized>(shape: &[usize], low: T, high: T, rng: &mut R) -> Self {
        let (lo, hi) = (low.to_f64(), high.to_f64());
        Self::from_fn(shape, |_| T::from_f64(lo + (hi - lo) * rng.random::<f64>()))
    }

    /// Normal samples with the given mean and standard deviation drawn from `rng`
    /// (Box–Muller, so no extra dependency).
    #[track_caller]
    pub fn normal_with<R: Rng + ?Sized>(shape: &[usize], mean: T, std: T, rng: &mut R) -> Self {
        let (m, s) = (mean.to_f64(), std.to_f64());
        let mut spare: Option<f64> = None;
        Self::from_fn(shape, |_| {
            let z = match spare.take() {
                Some(z) => z,
                None => {
                    // 1 - u lies in (0, 1], so the log is finite
                    let u1 = 1.0 - rng.random::<f64>();
                    let u2 = rng.random::<f64>();
                    let r = (-2.0 * u1.ln()).sqrt();
                    let theta = std::f64::consts::TAU * u2;
                    spare = Some(r * theta.sin());
                    r * theta.cos()
                }
            };
            T::from_f64(m + s * z)
        })
    }

    /// Uniform samples in `[low, high)`, reproducible from `seed`.
    ///
    /// ```
    /// use tapegrad_core::Tensor;
    /// let a = Tensor::<f64>::rand_uniform(&[3], -1.0, 1.0, 7);
    /// assert_eq!(a, Tensor::rand_uniform(&[3], -1.0, 1.0, 7));
    /// assert!(a.as_slice().iter().all(|x| (-1.0..1.0).contains(x)));
    /// ```
    #[track_caller]
    pub fn rand_uniform(shape: &[usize], low: T, high: T, seed: u64) -> Self {
        Self::uniform_with(shape, low, high, &mut StdRng::seed_from_u64(seed))
    }

    /// Normal samples, reproducible from `seed`.
    #[track_caller]
    pub fn rand_normal(shape: &[usize], mean: T, std: T, seed: u64) -> Self {
        Self::normal_with(shape, mean, std, &mut StdRng::seed_from_u64(seed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_samples_have_roughly_the_asked_moments() {
        let t = Tensor::<f64>::rand_normal(&[20000], 2.0, 3.0, 1);
        let n = t.len() as f64;
        let mean = t.as_slice().iter().sum::<f64>() / n;
        let var = t.as_slice().iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        assert!((mean - 2.0).abs() < 0.1, "mean {mean}");
        assert!((var.sqrt() - 3.0).abs() < 0.1, "std {}", var.sqrt());
    }

    #[test]
    fn different_seeds_differ() {
        let a = Tensor::<f32>::rand_uniform(&[4], 0.0, 1.0, 1);
        let b = Tensor::<f32>::rand_uniform(&[4], 0.0, 1.0, 2);
        assert_ne!(a, b);
    }
}
