//! Tests of `src/ops/shape/permute.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, shape, tensor_in};
use tapegrad_core::{Tape, Tensor};

#[test]
fn permute_matches_literal() {
    let tape = Tape::<f64>::new();
    // x[0][j][k] = 3j + k
    let x = tape.leaf(Tensor::arange(6).reshape(&[1, 2, 3]).unwrap());
    let y = x.permute(&[2, 0, 1]);
    assert_eq!(y.shape().as_slice(), &[3, 1, 2]);
    // y[k][0][j] = x[0][j][k] = 3j + k
    assert_eq!(y.value().as_slice(), &[0., 3., 1., 4., 2., 5.]);
    let t = x.reshape(&[2, 3]).t();
    assert_eq!(t.value().as_slice(), &[0., 3., 1., 4., 2., 5.]);
    assert_eq!(x.transpose(0, -1).shape().as_slice(), &[3, 2, 1]);
    // d/dx Σ w ⊙ permute(x) = permute(w, inverse): w[k][0][j] = 10k + j lands on x[0][j][k]
    let w = tape.constant(Tensor::from_vec(
        vec![0., 1., 10., 11., 20., 21.],
        &[3, 1, 2],
    ));
    let dx = (y * w).sum().backward().wrt(x);
    assert_eq!(dx.as_slice(), &[0., 10., 20., 1., 11., 21.]);
}

#[test]
fn permute_rejects_non_permutation() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::zeros(&[2, 3]));
    let e = x.try_permute(&[0, 0]).unwrap_err();
    assert_eq!(e.op, "permute");
    assert!(
        e.message.contains("[0, 0]") && e.message.contains("[2, 3]"),
        "{e}"
    );
    assert!(x.try_permute(&[1, 0, 2]).is_err());
    let e = x.try_transpose(0, 2).unwrap_err();
    assert_eq!(e.op, "transpose");
    assert!(
        e.message.contains("axis 2") && e.message.contains("[2, 3]"),
        "{e}"
    );
    let e = tape.leaf(Tensor::zeros(&[3])).try_t().unwrap_err();
    assert_eq!(e.op, "t");
    assert!(e.message.contains("[3]"), "{e}");
    assert!(tape.leaf(Tensor::scalar(1.0)).try_t().is_err());
}

#[test]
#[should_panic(expected = "t: needs rank >= 2")]
fn t_panics_on_a_vector() {
    let tape = Tape::<f64>::new();
    tape.leaf(Tensor::zeros(&[3])).t();
}

#[test]
fn permute_gradcheck_order2() {
    let x = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.1, 0.7, -0.3], &[1, 2, 3]);
    assert_gradients(
        |x| {
            let p = x[0].permute(&[2, 0, 1]);
            p * p
        },
        std::slice::from_ref(&x),
        2,
    );
    // t composed with a product whose two factors share x in different layouts
    assert_gradients(
        |x| x[0].reshape(&[2, 3]).t().matmul(x[0].reshape(&[2, 3])),
        &[x],
        2,
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20))]
    #[test]
    fn permute_gradients_match_finite_differences(
        (x, axes) in shape(4).prop_flat_map(|s| {
            let r = s.len();
            (tensor_in(s, -2.0, 2.0), Just((0..r).collect::<Vec<_>>()).prop_shuffle())
        })
    ) {
        let y = Tape::new().leaf(x.clone()).permute(&axes).value();
        // each output element is the input element at the permuted multi-index
        for (j, &v) in y.as_slice().iter().enumerate() {
            let mut rest = j;
            let mut out_index = vec![0; axes.len()];
            for k in (0..axes.len()).rev() {
                out_index[k] = rest % y.shape()[k];
                rest /= y.shape()[k];
            }
            let mut in_index = vec![0; axes.len()];
            for (k, &a) in axes.iter().enumerate() {
                in_index[a] = out_index[k];
            }
            prop_assert_eq!(v, x.at(&in_index));
        }
        let axes2 = axes.clone();
        assert_gradients(move |x| { let p = x[0].permute(&axes2); p * p }, std::slice::from_ref(&x), 2);
        if axes.len() >= 2 {
            assert_gradients(|x| { let p = x[0].transpose(0, -1); p.transpose(0, -1) * x[0] }, &[x], 2);
        }
    }
}
