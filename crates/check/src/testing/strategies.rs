//! Proptest strategies for property tests of ops: shapes (rank 0 to 4, size-1 axes),
//! broadcasting shapes, tensors with values kept away from kinks and domain edges.

use proptest::prelude::*;
use tapegrad_core::tensor::numel;
use tapegrad_core::Tensor;

/// A shape of rank `0..=max_rank` with axes of size 1 to 3 (small, so full gradient
/// checks stay cheap, and size 1 comes up often).
pub fn shape(max_rank: usize) -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(1usize..=3, 0..=max_rank)
}

/// Two shapes that broadcast together: a full shape and a partner with some leading axes
/// dropped and some axes set to 1, in either order.
pub fn broadcast_pair(max_rank: usize) -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    shape(max_rank)
        .prop_flat_map(|full| {
            let rank = full.len();
            (
                Just(full),
                0..=rank,
                proptest::collection::vec(any::<bool>(), rank),
                any::<bool>(),
            )
        })
        .prop_map(|(full, dropped, ones, swap)| {
            let partner: Vec<usize> = full[dropped..]
                .iter()
                .zip(&ones[dropped..])
                .map(|(&d, &one)| if one { 1 } else { d })
                .collect();
            if swap {
                (partner, full)
            } else {
                (full, partner)
            }
        })
}

/// A tensor of `shape` with values uniform in `[low, high)`.
pub fn tensor_in(shape: Vec<usize>, low: f64, high: f64) -> impl Strategy<Value = Tensor<f64>> {
    let n = numel(&shape);
    proptest::collection::vec(low..high, n).prop_map(move |v| Tensor::from_vec(v, &shape))
}

/// A tensor of `shape` whose values have magnitude in `[low, high)` and a random sign:
/// away from 0 for ops with a kink or a pole there (`relu`, `abs`, `recip`, `log|x|`).
pub fn tensor_away_from_zero(
    shape: Vec<usize>,
    low: f64,
    high: f64,
) -> impl Strategy<Value = Tensor<f64>> {
    let n = numel(&shape);
    proptest::collection::vec((low..high, any::<bool>()), n).prop_map(move |v| {
        let data = v
            .into_iter()
            .map(|(m, neg)| if neg { -m } else { m })
            .collect();
        Tensor::from_vec(data, &shape)
    })
}

/// A tensor of random shape (rank 0 to 4) with values in `[low, high)`.
pub fn any_tensor(low: f64, high: f64) -> impl Strategy<Value = Tensor<f64>> {
    shape(4).prop_flat_map(move |s| tensor_in(s, low, high))
}

/// Two broadcast-compatible tensors with values in `[low, high)`.
pub fn broadcast_tensors(low: f64, high: f64) -> impl Strategy<Value = (Tensor<f64>, Tensor<f64>)> {
    broadcast_pair(4)
        .prop_flat_map(move |(a, b)| (tensor_in(a, low, high), tensor_in(b, low, high)))
}

/// `n` shapes that broadcast together: a full shape of rank `0..=max_rank`, and for each
/// input the full shape with some leading axes dropped and some axes set to 1.
pub fn broadcast_shapes(n: usize, max_rank: usize) -> impl Strategy<Value = Vec<Vec<usize>>> {
    shape(max_rank)
        .prop_flat_map(move |full| {
            let rank = full.len();
            let partner = (0..=rank, proptest::collection::vec(any::<bool>(), rank));
            (Just(full), proptest::collection::vec(partner, n))
        })
        .prop_map(|(full, partners)| {
            partners
                .into_iter()
                .map(|(dropped, ones)| {
                    full[dropped..]
                        .iter()
                        .zip(&ones[dropped..])
                        .map(|(&d, &one)| if one { 1 } else { d })
                        .collect()
                })
                .collect()
        })
}
