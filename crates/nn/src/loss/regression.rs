//! Regression losses: mean squared error, L1 (mean absolute error), Huber.

use super::{same_shape, Reduction};
use crate::caller::fail;
use std::panic::Location;
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
pub fn mse_loss<'t, T: Float>(
    pred: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
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
pub fn l1_loss<'t, T: Float>(
    pred: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    same_shape("l1_loss", pred, target);
    reduction.apply((pred - target).abs())
}

/// Huber loss with threshold `delta > 0` (PyTorch's `HuberLoss`): `½d²` where
/// `|d| ≤ δ`, `δ·(|d| - ½δ)` beyond, with `d = pred - target`. Shapes must agree.
///
/// Composed without a branch: with `a = |d|` and `q = min(a, δ)`, the loss is
/// `½q² + δ·(a - q)`. At `|d| = δ` the tie rule of `minimum` (half the cotangent to each
/// side) gives the slope `δ`, the true one, since the loss is continuously differentiable.
///
/// ```
/// use tapegrad_core::{Tape, Tensor};
/// use tapegrad_nn::loss::{huber_loss, Reduction};
/// let tape = Tape::<f64>::new();
/// let p = tape.leaf(Tensor::vector(vec![0.5, 3.0, -4.0]));
/// let y = tape.constant(Tensor::zeros(&[3]));
/// let l = huber_loss(p, y, 1.0, Reduction::None);
/// assert_eq!(l.value().as_slice(), &[0.125, 2.5, 3.5]);
/// assert_eq!(l.sum().backward().wrt(p).as_slice(), &[0.5, 1.0, -1.0]);
/// ```
#[track_caller]
pub fn huber_loss<'t, T: Float>(
    pred: Var<'t, T>,
    target: Var<'t, T>,
    delta: f64,
    reduction: Reduction,
) -> Var<'t, T> {
    same_shape("huber_loss", pred, target);
    if delta.is_nan() || delta <= 0.0 {
        fail(
            "huber_loss",
            format!("delta must be positive, got {delta}"),
            Location::caller(),
        );
    }
    let a = (pred - target).abs();
    let q = a.minimum(a.scalar(T::from_f64(delta)));
    let d = T::from_f64(delta);
    reduction.apply(q * q * T::from_f64(0.5) + (a - q) * d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tapegrad_check::gradcheck::check_gradients;
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
        assert_eq!(
            l1_loss(p, y, Reduction::None).value().as_slice(),
            &[0.0, 2.0, 1.0, 0.5]
        );
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
    fn huber_matches_literal_on_both_sides_and_at_the_threshold() {
        let tape = Tape::<f64>::new();
        // d = [0, 0.5, 2, 2, -3] with δ = 2
        let p = tape.leaf(Tensor::vector(vec![1.0, 1.5, 3.0, 2.0, -3.0]));
        let y = tape.constant(Tensor::vector(vec![1.0, 1.0, 1.0, 0.0, 0.0]));
        let l = huber_loss(p, y, 2.0, Reduction::None);
        // ½d² inside, 2·(|d| - 1) outside; at |d| = δ both give 2
        assert_eq!(l.value().as_slice(), &[0.0, 0.125, 2.0, 2.0, 4.0]);
        // slope d inside, δ·sign(d) outside; at |d| = δ both give δ
        let g = l.sum().backward().wrt(p);
        assert_eq!(g.as_slice(), &[0.0, 0.5, 2.0, 2.0, -2.0]);
        assert_eq!(huber_loss(p, y, 2.0, Reduction::Sum).item(), 8.125);
        assert_eq!(huber_loss(p, y, 2.0, Reduction::Mean).item(), 8.125 / 5.0);
    }

    #[test]
    fn huber_gradcheck_order2() {
        // both regions, away from |d| = δ and d = 0
        let p = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.1, -0.3, 3.2], &[3, 2]);
        let y = Tensor::from_vec(vec![0.0, 0.2, -1.0, -0.4, 0.6, 0.0], &[3, 2]);
        check_gradients(
            |xs| huber_loss(xs[0], xs[1], 1.0, Reduction::Mean),
            &[p, y],
            2,
        )
        .unwrap();
    }

    #[test]
    #[should_panic(
        expected = "mse_loss: prediction of shape [3] and target of shape [3, 1] differ"
    )]
    fn mse_rejects_mismatched_shapes() {
        let tape = Tape::<f64>::new();
        let p = tape.leaf(Tensor::zeros(&[3]));
        mse_loss(p, tape.constant(Tensor::zeros(&[3, 1])), Reduction::Mean);
    }
}
