//! Regression losses: mean squared error, L1 (mean absolute error), Huber.

use super::{same_shape, Reduction};
use tapegrad_core::{Float, Var};

/// Squared error `(pred - target)²`, reduced. Shapes must agree.
///
/// ```
/// use tapegrad_core::{Tape, Tensor};
/// use tapegrad_nn::loss::{mse_loss, Reduction};
/// let tape = Tape::<f64>::new();
/// let p = tape.leaf(Tensor::vector(vec![1.0, 2.0]));
/// let y = tape.constant(Tensor::vector(vec![0.0, 4.0]));
/// let l = mse_loss(p, y, Reduction::Mean);
/// assert_eq!(l.item(), 2.5);                                 // (1 + 4) / 2
/// assert_eq!(l.backward().wrt(p).as_slice(), &[1.0, -2.0]); // (p - y)·2/n
/// ```
#[track_caller]
pub fn mse_loss<'t, T: Float>(pred: Var<'t, T>, target: Var<'t, T>, reduction: Reduction) -> Var<'t, T> {
    same_shape("mse_loss", pred, target);
    let d = pred - target;
    reduction.apply(d * d)
}

/// Absolute error `|pred - target|` (L1, mean absolute error when reduced by the mean).
/// Shapes must agree. At `pred == target` the gradient is 0 (`abs'(0) = 0`).
///
/// ```
/// use tapegrad_core::{Tape, Tensor};
/// use tapegrad_nn::loss::{l1_loss, Reduction};
/// let tape = Tape::<f64>::new();
/// let p = tape.leaf(Tensor::vector(vec![1.0, 2.0, 3.0]));
/// let y = tape.constant(Tensor::vector(vec![0.0, 4.0, 3.0]));
/// let l = l1_loss(p, y, Reduction::Sum);
/// assert_eq!(l.item(), 3.0);
/// assert_eq!(l.backward().wrt(p).as_slice(), &[1.0, -1.0, 0.0]); // sign(p - y)
/// ```
#[track_caller]
pub fn l1_loss<'t, T: Float>(pred: Var<'t, T>, target: Var<'t, T>, reduction: Reduction) -> Var<'t, T> {
    same_shape("l1_loss", pred, target);
    reduction.apply((pred - target).abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tapegrad_core::gradcheck::check_gradients;
    use tapegrad_core::{Tape, Tensor};

    #[test]
    fn mse_matches_literal_for_each_reduction() {
        let tape = Tape::<f64>::new();
        let p = tape.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0, 0.5], &[2, 2]));
        let y = tape.constant(Tensor::from_vec(vec![1.0, 0.0, 4.0, 0.0], &[2, 2]));
        // squared errors [0, 4, 1, 0.25]
        assert_eq!(mse_loss(p, y, Reduction::Sum).item(), 5.25);
        assert_eq!(mse_loss(p, y, Reduction::Mean).item(), 5.25 / 4.0);
        let none = mse_loss(p, y, Reduction::None);
        assert_eq!(none.value().as_slice(), &[0.0, 4.0, 1.0, 0.25]);
        // d/dp Σ(p - y)² = 2(p - y)
        let g = mse_loss(p, y, Reduction::Sum).backward().wrt(p);
        assert_eq!(g.as_slice(), &[0.0, 4.0, -2.0, 1.0]);
    }

    #[test]
    fn mse_gradcheck_order2() {
        let p = Tensor::rand_normal(&[3, 2], 0.0, 1.0, 1);
        let y = Tensor::rand_normal(&[3, 2], 0.0, 1.0, 2);
        check_gradients(|xs| mse_loss(xs[0], xs[1], Reduction::Mean), &[p, y], 2).unwrap();
    }

    #[test]
    fn l1_matches_literal_for_each_reduction() {
        let tape = Tape::<f64>::new();
        let p = tape.leaf(Tensor::from_vec(vec![1.0, -2.0, 3.0, 0.5], &[2, 2]));
        let y = tape.constant(Tensor::from_vec(vec![1.0, 0.0, 4.0, 0.0], &[2, 2]));
        // absolute errors [0, 2, 1, 0.5]
        assert_eq!(l1_loss(p, y, Reduction::Sum).item(), 3.5);
        assert_eq!(l1_loss(p, y, Reduction::Mean).item(), 0.875);
        assert_eq!(l1_loss(p, y, Reduction::None).value().as_slice(), &[0.0, 2.0, 1.0, 0.5]);
        // d/dp Σ|p - y| = sign(p - y), 0 where p = y
        let g = l1_loss(p, y, Reduction::Sum).backward().wrt(p);
        assert_eq!(g.as_slice(), &[0.0, -1.0, -1.0, 1.0]);
    }

    #[test]
    fn l1_gradcheck_order2() {
        // away from the kink p = y
        let p = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.1, -0.3, 1.2], &[3, 2]);
        let y = Tensor::from_vec(vec![0.0, 0.2, 1.0, -0.4, 0.6, 2.0], &[3, 2]);
        check_gradients(|xs| l1_loss(xs[0], xs[1], Reduction::Mean), &[p, y], 2).unwrap();
    }

    #[test]
    #[should_panic(expected = "mse_loss: prediction of shape [3] and target of shape [3, 1] differ")]
    fn mse_rejects_mismatched_shapes() {
        let tape = Tape::<f64>::new();
        let p = tape.leaf(Tensor::zeros(&[3]));
        mse_loss(p, tape.constant(Tensor::zeros(&[3, 1])), Reduction::Mean);
    }
}
