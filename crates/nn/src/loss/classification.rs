//! Classification losses on logits: binary cross-entropy with logits, cross-entropy over
//! class indices, negative log-likelihood. All are stable for logits of ±1000.

use super::{same_shape, Reduction};
use crate::caller::fail;
use std::panic::Location;
use tapegrad_core::{Float, IndexTensor, Var};

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

/// Cross-entropy of `[n, C]` logits against class indices (PyTorch's `cross_entropy`):
/// `-log_softmax(z)[i, yᵢ]` per row, reduced. Built as `log_softmax` then `gather`, so it
/// is exact for logits of ±1000; the gradient per row is `softmax(z) - onehot(y)`.
///
/// ```
/// use tapegrad_core::{Tape, Tensor};
/// use tapegrad_nn::loss::{cross_entropy, Reduction};
/// let tape = Tape::<f64>::new();
/// let z = tape.leaf(Tensor::from_vec(vec![1000.0, -1000.0, 0.0, 0.0], &[2, 2]));
/// let l = cross_entropy(z, &[1, 0], Reduction::None);
/// assert_eq!(l.value().as_slice(), &[2000.0, std::f64::consts::LN_2]);
/// assert_eq!(l.sum().backward().wrt(z).as_slice(), &[1.0, -1.0, -0.5, 0.5]);
/// ```
#[track_caller]
pub fn cross_entropy<'t, T: Float>(
    logits: Var<'t, T>,
    classes: &[usize],
    reduction: Reduction,
) -> Var<'t, T> {
    check_classes("cross_entropy", logits, classes);
    picked_negative(logits.log_softmax(1), classes, reduction)
}

/// Negative log-likelihood of `[n, C]` log-probabilities against class indices
/// (PyTorch's `nll_loss`): `-logp[i, yᵢ]` per row, reduced. `nll_loss(log_softmax(z))` is
/// [`cross_entropy`]`(z)`.
///
/// ```
/// use tapegrad_core::{Tape, Tensor};
/// use tapegrad_nn::loss::{nll_loss, Reduction};
/// let tape = Tape::<f64>::new();
/// let logp = tape.leaf(Tensor::from_vec(vec![-0.5, -1.0, -2.0, -0.25], &[2, 2]));
/// let l = nll_loss(logp, &[1, 1], Reduction::Mean);
/// assert_eq!(l.item(), 0.625);
/// assert_eq!(l.backward().wrt(logp).as_slice(), &[0.0, -0.5, 0.0, -0.5]);
/// ```
#[track_caller]
pub fn nll_loss<'t, T: Float>(
    log_probs: Var<'t, T>,
    classes: &[usize],
    reduction: Reduction,
) -> Var<'t, T> {
    check_classes("nll_loss", log_probs, classes);
    picked_negative(log_probs, classes, reduction)
}

/// `-x[i, classes[i]]` for every row, reduced.
fn picked_negative<'t, T: Float>(
    x: Var<'t, T>,
    classes: &[usize],
    reduction: Reduction,
) -> Var<'t, T> {
    let picked = x.gather(1, &IndexTensor::from_classes(classes));
    reduction.apply(-picked.reshape(&[classes.len()]))
}

/// Panics unless `x` is `[n, C]` with one class index below `C` per row.
#[track_caller]
fn check_classes<T: Float>(loss: &str, x: Var<'_, T>, classes: &[usize]) {
    let (shape, at) = (x.shape(), Location::caller());
    if shape.len() != 2 || shape[0] != classes.len() {
        fail(
            loss,
            format!(
                "scores of shape {:?} need to be [n, C] with n = {} (one class per row)",
                shape.as_slice(),
                classes.len()
            ),
            at,
        );
    }
    if let Some((i, c)) = classes.iter().enumerate().find(|(_, &c)| c >= shape[1]) {
        fail(
            loss,
            format!(
                "class {c} of row {i} is out of range for {} classes",
                shape[1]
            ),
            at,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tapegrad_check::gradcheck::check_gradients;
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
            .map(|&(z, y): &(f64, f64)| {
                -(y * sigmoid(z).ln() + (1.0 - y) * (1.0 - sigmoid(z)).ln())
            })
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
            .map(|&(z, y): &(f64, f64)| {
                -(y * sigmoid(z).ln() + (1.0 - y) * (1.0 - sigmoid(z)).ln())
            })
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
        assert_eq!(
            (l.item(), l.backward().wrt(zv).item()),
            (loss, grad),
            "z={z} y={y}"
        );
        let tape = Tape::<f32>::new();
        let zv = tape.leaf(Tensor::scalar(z as f32));
        let l = bce_with_logits(zv, tape.constant(Tensor::scalar(y as f32)), Reduction::Sum);
        assert_eq!(
            (l.item(), l.backward().wrt(zv).item()),
            (loss as f32, grad as f32)
        );
    }

    #[test]
    fn cross_entropy_matches_literal() {
        let tape = Tape::<f64>::new();
        let z = tape.leaf(Tensor::from_vec(
            vec![1.0, 2.0, 3.0, 1.0, 1.0, 1.0],
            &[2, 3],
        ));
        let l = cross_entropy(z, &[2, 0], Reduction::None).value();
        // row 0: -(3 - ln(e + e² + e³)) = ln(1 + e⁻¹ + e⁻²); row 1: ln 3
        let e = std::f64::consts::E;
        let want = [(1.0 + 1.0 / e + 1.0 / (e * e)).ln(), 3f64.ln()];
        assert!(
            (l.as_slice()[0] - want[0]).abs() < 1e-15 && (l.as_slice()[1] - want[1]).abs() < 1e-15
        );
        // mean: (softmax(z) - onehot(y)) / n
        let g = cross_entropy(z, &[2, 0], Reduction::Mean).backward().wrt(z);
        let s = 1.0 + e + e * e;
        let want = [
            1.0 / s,
            e / s,
            e * e / s - 1.0,
            1.0 / 3.0 - 1.0,
            1.0 / 3.0,
            1.0 / 3.0,
        ];
        for (a, b) in g.as_slice().iter().zip(want) {
            assert!((a - b / 2.0).abs() < 1e-15, "{a} vs {}", b / 2.0);
        }
        let sum = cross_entropy(z, &[2, 0], Reduction::Sum).item();
        assert!((sum - l.as_slice().iter().sum::<f64>()).abs() < 1e-15);
    }

    #[test]
    fn cross_entropy_is_exact_at_plus_minus_1000() {
        for_ce::<f64>();
        for_ce::<f32>();
    }

    fn for_ce<T: tapegrad_core::Float>() {
        let tape = Tape::<T>::new();
        let f = T::from_f64;
        let z = tape.leaf(Tensor::from_vec(
            vec![f(1000.0), f(-1000.0), f(-1000.0), f(1000.0)],
            &[2, 2],
        ));
        let l = cross_entropy(z, &[0, 0], Reduction::None);
        assert_eq!(l.value().as_slice(), &[f(0.0), f(2000.0)]);
        let g = l.sum().backward().wrt(z);
        assert_eq!(g.as_slice(), &[f(0.0), f(0.0), f(-1.0), f(1.0)]);
    }

    #[test]
    fn nll_of_log_softmax_is_cross_entropy() {
        let tape = Tape::<f64>::new();
        let z = tape.leaf(Tensor::rand_normal(&[4, 5], 0.0, 2.0, 3));
        let classes = [4, 0, 2, 2];
        let a = cross_entropy(z, &classes, Reduction::Mean);
        let b = nll_loss(z.log_softmax(1), &classes, Reduction::Mean);
        assert!((a.item() - b.item()).abs() < 1e-15);
    }

    #[test]
    fn cross_entropy_and_nll_gradcheck_order2() {
        let z = Tensor::from_vec(vec![0.3, -2.0, 1.5, 0.0, -0.4, 4.0, 1.0, 1.1], &[2, 4]);
        check_gradients(
            |xs| cross_entropy(xs[0], &[3, 1], Reduction::Mean),
            std::slice::from_ref(&z),
            2,
        )
        .unwrap();
        check_gradients(
            |xs| cross_entropy(xs[0], &[0, 0], Reduction::Sum),
            std::slice::from_ref(&z),
            2,
        )
        .unwrap();
        check_gradients(|xs| nll_loss(xs[0], &[2, 3], Reduction::Mean), &[z], 2).unwrap();
    }

    #[test]
    #[should_panic(expected = "cross_entropy: class 3 of row 1 is out of range for 3 classes")]
    fn cross_entropy_rejects_out_of_range_class() {
        let tape = Tape::<f64>::new();
        cross_entropy(tape.leaf(Tensor::zeros(&[2, 3])), &[0, 3], Reduction::Mean);
    }

    #[test]
    #[should_panic(expected = "nll_loss: scores of shape [2, 3] need to be [n, C] with n = 3")]
    fn nll_rejects_wrong_row_count() {
        let tape = Tape::<f64>::new();
        nll_loss(
            tape.leaf(Tensor::zeros(&[2, 3])),
            &[0, 1, 2],
            Reduction::Mean,
        );
    }

    #[test]
    fn bce_gradcheck_order2() {
        let z = Tensor::from_vec(vec![0.3, -2.0, 1.5, 0.0, -0.4, 4.0], &[2, 3]);
        let y = Tensor::from_vec(vec![1.0, 0.0, 0.7, 0.5, 0.0, 1.0], &[2, 3]);
        check_gradients(
            |xs| bce_with_logits(xs[0], xs[1], Reduction::Mean),
            &[z, y],
            2,
        )
        .unwrap();
    }
}
