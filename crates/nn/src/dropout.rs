//! `Dropout`: zeroes each element with probability `p` while training (and scales the rest
//! by `1/(1 - p)`), the identity while evaluating. The mask comes from a seeded generator.

use crate::caller::fail;
use crate::{Module, Pass};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::cell::RefCell;
use std::panic::Location;
use tapegrad_core::{Float, Tensor, Var};

/// Inverted dropout (Srivastava et al. 2014, as PyTorch's `nn.Dropout`): in a training
/// [`Pass`], `y = x ⊙ m / (1 - p)` with `m` a fresh Bernoulli(1 - p) mask per call; in an
/// evaluation pass, `y = x`. The mask is a constant, so `dy/dx = m / (1 - p)` comes from
/// the tape's ordinary product rule.
///
/// ```
/// use tapegrad_core::{Tape, Tensor};
/// use tapegrad_nn::{Dropout, Module, Pass};
/// let drop = Dropout::new(0.5, 7);
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::ones(&[1000]));
/// let y = drop.forward(&Pass::train(&tape), x).value();
/// assert!(y.as_slice().iter().all(|&v| v == 0.0 || v == 2.0));
/// assert_eq!(drop.forward(&Pass::eval(&tape), x).value(), x.value());
/// ```
pub struct Dropout {
    p: f64,
    rng: RefCell<StdRng>,
}

impl Dropout {
    /// Drops with probability `p` in `[0, 1]`, masks drawn from a generator seeded with
    /// `seed`.
    #[track_caller]
    pub fn new(p: f64, seed: u64) -> Self {
        if !(0.0..=1.0).contains(&p) {
            fail(
                "Dropout",
                format!("probability {p} is not in [0, 1]"),
                Location::caller(),
            );
        }
        Dropout {
            p,
            rng: RefCell::new(StdRng::seed_from_u64(seed)),
        }
    }

    /// The drop probability.
    pub fn p(&self) -> f64 {
        self.p
    }
}

impl<T: Float> Module<T> for Dropout {
    fn forward<'t>(&self, pass: &Pass<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        if !pass.is_training() || self.p == 0.0 {
            return x;
        }
        // p = 1 drops everything; the scale is irrelevant then and would be infinite
        let keep = if self.p < 1.0 {
            1.0 / (1.0 - self.p)
        } else {
            0.0
        };
        let mut rng = self.rng.borrow_mut();
        let mask = Tensor::from_fn(&x.shape(), |_| {
            T::from_f64(if rng.random::<f64>() < self.p {
                0.0
            } else {
                keep
            })
        });
        x * pass.input(mask)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tapegrad_core::Tape;

    #[test]
    fn dropout_drops_about_p_and_scales_survivors() {
        let drop = Dropout::new(0.25, 1);
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::full(&[4000], 3.0));
        let y = drop.forward(&Pass::train(&tape), x);
        let v = y.value();
        let zeros = v.as_slice().iter().filter(|&&e| e == 0.0).count() as f64 / 4000.0;
        assert!((zeros - 0.25).abs() < 0.03, "{zeros}");
        assert!(v.as_slice().iter().all(|&e| e == 0.0 || e == 4.0));
        // the gradient is the mask: 0 where dropped, 1/(1 - p) elsewhere
        let g = y.sum().backward().wrt(x);
        for (gi, yi) in g.as_slice().iter().zip(v.as_slice()) {
            assert_eq!(*gi, if *yi == 0.0 { 0.0 } else { 4.0 / 3.0 });
        }
    }

    #[test]
    fn dropout_is_reproducible_and_fresh_per_call() {
        let masks = |seed| {
            let drop = Dropout::new(0.5, seed);
            let tape = Tape::<f32>::new();
            let pass = Pass::train(&tape);
            let x = tape.constant(Tensor::ones(&[64]));
            (
                drop.forward(&pass, x).value(),
                drop.forward(&pass, x).value(),
            )
        };
        let (a1, a2) = masks(3);
        let (b1, _) = masks(3);
        assert_eq!(a1, b1);
        assert_ne!(a1, a2);
    }

    #[test]
    fn dropout_edges_p_zero_and_one() {
        let tape = Tape::<f64>::new();
        let pass = Pass::train(&tape);
        let x = tape.constant(Tensor::full(&[8], 2.0));
        assert_eq!(Dropout::new(0.0, 0).forward(&pass, x).value(), x.value());
        assert_eq!(
            Dropout::new(1.0, 0).forward(&pass, x).value().as_slice(),
            &[0.0; 8]
        );
    }
}
