//! Initialisation schemes (Xavier/Glorot, Kaiming/He, constant, plain uniform/normal),
//! all drawn from a caller's seeded `rand` generator so every run is reproducible.

use rand::Rng;
use tapegrad_core::{Float, Tensor};

/// How to fill a new parameter. Fans follow PyTorch: for a weight of shape
/// `[out, in, k…]`, `fan_in = in·Πk` and `fan_out = out·Πk`; a 1-d shape `[n]` has both
/// fans `n`, a scalar both `1`.
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// use tapegrad_nn::Init;
/// let w = Init::xavier_uniform().tensor::<f64, _>(&[4, 6], &mut StdRng::seed_from_u64(1));
/// let bound = (6.0f64 / (6.0 + 4.0)).sqrt();
/// assert!(w.as_slice().iter().all(|x| x.abs() <= bound));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// All zeros.
    Zeros,
    /// Every element equal to the value.
    Constant(f64),
    /// Uniform in `[low, high)`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Normal with the given mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// Glorot & Bengio (2010): uniform in `±gain·√(6 / (fan_in + fan_out))`.
    XavierUniform {
        /// Scale for the activation that follows (1 for linear/sigmoid/tanh-ish).
        gain: f64,
    },
    /// Glorot & Bengio (2010): normal with `std = gain·√(2 / (fan_in + fan_out))`.
    XavierNormal {
        /// Scale for the activation that follows.
        gain: f64,
    },
    /// He et al. (2015), fan-in mode: uniform in `±gain·√(3 / fan_in)`.
    KaimingUniform {
        /// `√2` for ReLU.
        gain: f64,
    },
    /// He et al. (2015), fan-in mode: normal with `std = gain / √fan_in`.
    KaimingNormal {
        /// `√2` for ReLU.
        gain: f64,
    },
}

impl Init {
    /// Xavier uniform with gain 1.
    pub const fn xavier_uniform() -> Self {
        Init::XavierUniform { gain: 1.0 }
    }

    /// Xavier normal with gain 1.
    pub const fn xavier_normal() -> Self {
        Init::XavierNormal { gain: 1.0 }
    }

    /// Kaiming uniform for ReLU (gain `√2`): `±√(6 / fan_in)`.
    pub const fn kaiming_uniform() -> Self {
        Init::KaimingUniform {
            gain: std::f64::consts::SQRT_2,
        }
    }

    /// Kaiming normal for ReLU (gain `√2`): `std = √(2 / fan_in)`.
    pub const fn kaiming_normal() -> Self {
        Init::KaimingNormal {
            gain: std::f64::consts::SQRT_2,
        }
    }

    /// PyTorch's default for `nn.Linear` weights, `kaiming_uniform_(a=√5)`: uniform in
    /// `±1/√fan_in`.
    pub fn torch_linear() -> Self {
        Init::KaimingUniform {
            gain: (1.0f64 / 3.0).sqrt(),
        }
    }

    /// A tensor of `shape` filled by this scheme from `rng`.
    pub fn tensor<T: Float, R: Rng + ?Sized>(&self, shape: &[usize], rng: &mut R) -> Tensor<T> {
        let (fan_in, fan_out) = fans(shape);
        let (fan_in, fan_sum) = (fan_in as f64, (fan_in + fan_out) as f64);
        let f = T::from_f64;
        let uniform =
            |bound: f64, rng: &mut R| Tensor::uniform_with(shape, f(-bound), f(bound), rng);
        match *self {
            Init::Zeros => Tensor::zeros(shape),
            Init::Constant(c) => Tensor::full(shape, f(c)),
            Init::Uniform { low, high } => Tensor::uniform_with(shape, f(low), f(high), rng),
            Init::Normal { mean, std } => Tensor::normal_with(shape, f(mean), f(std), rng),
            Init::XavierUniform { gain } => uniform(gain * (6.0 / fan_sum).sqrt(), rng),
            Init::XavierNormal { gain } => {
                Tensor::normal_with(shape, T::ZERO, f(gain * (2.0 / fan_sum).sqrt()), rng)
            }
            Init::KaimingUniform { gain } => uniform(gain * (3.0 / fan_in).sqrt(), rng),
            Init::KaimingNormal { gain } => {
                Tensor::normal_with(shape, T::ZERO, f(gain / fan_in.sqrt()), rng)
            }
        }
    }
}

/// `(fan_in, fan_out)` of a parameter shape, as PyTorch computes them (see [`Init`]).
pub fn fans(shape: &[usize]) -> (usize, usize) {
    match shape {
        [] => (1, 1),
        [n] => (*n, *n),
        [out, inp, rest @ ..] => {
            let field: usize = rest.iter().product();
            (inp * field, out * field)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn moments(t: &Tensor<f64>) -> (f64, f64, f64) {
        let n = t.len() as f64;
        let mean = t.as_slice().iter().sum::<f64>() / n;
        let var = t.as_slice().iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let max = t.as_slice().iter().fold(0.0f64, |m, x| m.max(x.abs()));
        (mean, var.sqrt(), max)
    }

    #[test]
    fn fans_follow_pytorch() {
        assert_eq!(fans(&[10, 3]), (3, 10));
        assert_eq!(fans(&[8, 4, 3, 3]), (36, 72));
        assert_eq!(fans(&[5]), (5, 5));
        assert_eq!(fans(&[]), (1, 1));
    }

    #[test]
    fn schemes_have_their_bounds_and_spreads() {
        let mut rng = StdRng::seed_from_u64(3);
        let shape = [200, 100];
        // Xavier uniform: bound √(6/300), std = bound/√3
        let (_, std, max) = moments(&Init::xavier_uniform().tensor(&shape, &mut rng));
        let bound = (6.0f64 / 300.0).sqrt();
        assert!(max <= bound && max > 0.99 * bound, "{max} vs {bound}");
        assert!((std - bound / 3f64.sqrt()).abs() < 0.02 * bound);
        // Xavier normal: std √(2/300)
        let (mean, std, _) = moments(&Init::xavier_normal().tensor(&shape, &mut rng));
        assert!(mean.abs() < 0.01 && (std / (2.0f64 / 300.0).sqrt() - 1.0).abs() < 0.02);
        // Kaiming uniform (ReLU): bound √2·√(3/100) = √0.06
        let (_, _, max) = moments(&Init::kaiming_uniform().tensor(&shape, &mut rng));
        assert!(max <= 0.06f64.sqrt() && max > 0.99 * 0.06f64.sqrt());
        // Kaiming normal (ReLU): std √(2/100)
        let (_, std, _) = moments(&Init::kaiming_normal().tensor(&shape, &mut rng));
        assert!((std / 0.02f64.sqrt() - 1.0).abs() < 0.02, "{std}");
        // PyTorch's Linear default: bound 1/√fan_in
        let (_, _, max) = moments(&Init::torch_linear().tensor(&shape, &mut rng));
        assert!(max <= 0.1 + 1e-12 && max > 0.099);
        let z: Tensor<f32> = Init::Zeros.tensor(&[3], &mut rng);
        assert_eq!(z.as_slice(), &[0.0; 3]);
        let c: Tensor<f32> = Init::Constant(0.5).tensor(&[2], &mut rng);
        assert_eq!(c.as_slice(), &[0.5; 2]);
    }

    #[test]
    fn same_seed_same_tensor() {
        let a: Tensor<f32> = Init::kaiming_normal().tensor(&[4, 4], &mut StdRng::seed_from_u64(9));
        let b: Tensor<f32> = Init::kaiming_normal().tensor(&[4, 4], &mut StdRng::seed_from_u64(9));
        assert_eq!(a, b);
    }
}
