//! Classification losses on logits: binary cross-entropy with logits, cross-entropy over
//! class indices, negative log-likelihood. All are stable for logits of ±1000.

use super::{same_shape, Reduction};
use tapegrad_core::{Float, Var};

/// Binary cross-entropy on logits `z` with targets `y ∈ [0, 1]`:
/// `-(y·ln σ(z) + (1 - y)·ln(1 - σ(z)))`, computed as `softplus(z) - y·z`, which is the
/// same function without ever forming `σ(z)`: exact at `z = ±1000`, where the gradient
/// `σ(z) - y` is exactly 0 or ±1. Shapes must agree.
///
/// ```
/// use tapegrad_core::{Tape, Tensor};
/// use tapegrad_nn::loss::{bce_with_logits, Reduction};
/// let tape = Tape::<f64>::new();
/// let z = tape.leaf(Tensor::vector(vec![1000.0, -1000.0, 1000.0]));
/// let y = tape.constant(Tensor::vector(vec![1.0, 0.0, 0.0]));
/// let l = bce_with_logits(z, y, Reduction::None);
/// assert_eq!(l.value().as_slice(), &[0.0, 0.0, 1000.0]);
/// assert_eq!(l.sum().backward().wrt(z).as_slice(), &[0.0, 0.0, 1.0]);
/// ```
#[track_caller]
pub fn bce_with_logits<'t, T: Float>(
    logits: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    same_shape("bce_with_logits", logits, target);
    reduction.apply(logits.softplus() - target * logits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tapegrad_core::gradcheck::check_gradients;
    use tapegrad_core::{Tape, Tensor};

    fn sigmoid(z: f64) -> f64 {
        1.0 / (1.0 + (-z).exp())
    }

    #[test]
    fn bce_matches_literal() {
        let tape = Tape::<f64>::new();
        let z = tape.leaf(Tensor::vector(vec![0.0, 2.0, -1.0, 0.5]));
        let y = tape.constant(Tensor::vector(vec![1.0, 0.0, 1.0, 0.25]));
        let l = bce_with_logits(z, y, Reduction::None).value();
        // -(y ln σ(z) + (1 - y) ln(1 - σ(z))), element by element
        let want: Vec<f64> = [(0.0, 1.0), (2.0, 0.0), (-1.0, 1.0), (0.5, 0.25)]
            .iter()
            .map(|&(z, y): &(f64, f64)| -(y * sigmoid(z).ln() + (1.0 - y) * (1.0 - sigmoid(z)).ln()))
            .collect();
        for (a, b) in l.as_slice().iter().zip(&want) {
            assert!((a - b).abs() < 1e-14, "{a} vs {b}");
        }
        assert!((l.as_slice()[0] - std::f64::consts::LN_2).abs() < 1e-15);
        // mean: d/dz = (σ(z) - y) / n
        let g = bce_with_logits(z, y, Reduction::Mean).backward().wrt(z);
        let want = [-0.5, sigmoid(2.0), sigmoid(-1.0) - 1.0, sigmoid(0.5) - 0.25];
        for (a, b) in g.as_slice().iter().zip(want) {
            assert!((a - b / 4.0).abs() < 1e-15, "{a} vs {}", b / 4.0);
        }
        assert!((bce_with_logits(z, y, Reduction::Sum).item() - want_sum()).abs() < 1e-14);
    }

    fn want_sum() -> f64 {
        [(0.0, 1.0), (2.0, 0.0), (-1.0, 1.0), (0.5, 0.25)]
            .iter()
            .map(|&(z, y): &(f64, f64)| -(y * sigmoid(z).ln() + (1.0 - y) * (1.0 - sigmoid(z)).ln()))
            .sum()
    }

    #[test]
    fn bce_is_exact_at_plus_minus_1000() {
        for (z, y, loss, grad) in [
            (1000.0, 1.0, 0.0, 0.0),
            (-1000.0, 0.0, 0.0, 0.0),
            (1000.0, 0.0, 1000.0, 1.0),
            (-1000.0, 1.0, 1000.0, -1.0),
        ] {
            for_both(z, y, loss, grad);
        }
    }

    fn for_both(z: f64, y: f64, loss: f64, grad: f64) {
        let tape = Tape::<f64>::new();
        let zv = tape.leaf(Tensor::scalar(z));
        let l = bce_with_logits(zv, tape.constant(Tensor::scalar(y)), Reduction::Sum);
        assert_eq!((l.item(), l.backward().wrt(zv).item()), (loss, grad), "z={z} y={y}");
        let tape = Tape::<f32>::new();
        let zv = tape.leaf(Tensor::scalar(z as f32));
        let l = bce_with_logits(zv, tape.constant(Tensor::scalar(y as f32)), Reduction::Sum);
        assert_eq!((l.item(), l.backward().wrt(zv).item()), (loss as f32, grad as f32));
    }

    #[test]
    fn bce_gradcheck_order2() {
        let z = Tensor::from_vec(vec![0.3, -2.0, 1.5, 0.0, -0.4, 4.0], &[2, 3]);
        let y = Tensor::from_vec(vec![1.0, 0.0, 0.7, 0.5, 0.0, 1.0], &[2, 3]);
        check_gradients(|xs| bce_with_logits(xs[0], xs[1], Reduction::Mean), &[z, y], 2).unwrap();
    }
}
