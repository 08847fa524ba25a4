//! Tests of the checker itself.

use super::*;

#[test]
fn accepts_correct_composite_at_order_two() {
    let x = Tensor::from_vec(vec![0.5, -0.7], &[2]);
    let y = Tensor::from_vec(vec![1.5, 0.2], &[2]);
    check_gradients(|xs| (xs[0] * xs[1]).exp().sum() * xs[0].sum(), &[x, y], 2).unwrap();
}
