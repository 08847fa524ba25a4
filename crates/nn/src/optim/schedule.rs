//! Learning-rate schedules as pure functions of the epoch (or step) index: constant,
//! step decay, cosine annealing.

/// A learning rate for each epoch (or step) `t = 0, 1, …`; feed it to
/// [`Optimizer::set_lr`](super::Optimizer::set_lr).
pub trait Schedule {
    /// The learning rate at `t`.
    fn lr(&self, t: usize) -> f64;
}

/// The same rate throughout.
#[derive(Clone, Copy, Debug)]
pub struct Constant(pub f64);

impl Schedule for Constant {
    fn lr(&self, _t: usize) -> f64 {
        self.0
    }
}

/// `base · γ^⌊t / step⌋` (PyTorch's `StepLR`).
///
/// ```
/// use tapegrad_nn::optim::{Schedule, StepDecay};
/// let s = StepDecay { base: 1.0, step: 10, gamma: 0.5 };
/// assert_eq!((s.lr(9), s.lr(10), s.lr(25)), (1.0, 0.5, 0.25));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct StepDecay {
    /// The rate at `t = 0`.
    pub base: f64,
    /// Epochs between decays.
    pub step: usize,
    /// Factor per decay.
    pub gamma: f64,
}

impl Schedule for StepDecay {
    fn lr(&self, t: usize) -> f64 {
        self.base * self.gamma.powi((t / self.step.max(1)) as i32)
    }
}

/// Cosine annealing from `base` at `t = 0` to `min` at `t = t_max`:
/// `min + (base - min)·(1 + cos(π·t / t_max)) / 2` (PyTorch's `CosineAnnealingLR` closed
/// form). Past `t_max` it stays at `min` rather than rising again.
///
/// ```
/// use tapegrad_nn::optim::{Cosine, Schedule};
/// let s = Cosine { base: 1.0, min: 0.0, t_max: 100 };
/// assert_eq!(s.lr(0), 1.0);
/// assert!((s.lr(50) - 0.5).abs() < 1e-15);
/// assert_eq!(s.lr(100), 0.0);
/// assert_eq!(s.lr(150), 0.0);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Cosine {
    /// The rate at `t = 0`.
    pub base: f64,
    /// The rate from `t_max` on.
    pub min: f64,
    /// Length of the annealing.
    pub t_max: usize,
}

impl Schedule for Cosine {
    fn lr(&self, t: usize) -> f64 {
        let frac = t.min(self.t_max) as f64 / self.t_max.max(1) as f64;
        self.min + (self.base - self.min) * (1.0 + (std::f64::consts::PI * frac).cos()) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_matches_literal_quarter_points() {
        let s = Cosine {
            base: 0.1,
            min: 0.02,
            t_max: 4,
        };
        // cos(π/4) = √2/2: 0.02 + 0.08·(1 + 0.7071…)/2
        let want = 0.02 + 0.08 * (1.0 + std::f64::consts::FRAC_1_SQRT_2) / 2.0;
        assert!((s.lr(1) - want).abs() < 1e-15);
        assert!((s.lr(2) - 0.06).abs() < 1e-15);
        assert!((s.lr(4) - 0.02).abs() < 1e-15);
    }

    #[test]
    fn step_decay_and_constant() {
        let s = StepDecay {
            base: 0.2,
            step: 3,
            gamma: 0.1,
        };
        assert_eq!(s.lr(2), 0.2);
        assert!((s.lr(3) - 0.02).abs() < 1e-16);
        assert!((s.lr(6) - 0.002).abs() < 1e-17);
        assert_eq!(Constant(0.3).lr(1000), 0.3);
    }
}
