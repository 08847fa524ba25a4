//! Tests of `src/ops/conv/conv2d_weight.rs`.

use super::pattern;
use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, check_op, tensor_in, Shapes};
use tapegrad_core::ops::conv::{Conv2dWeight, ConvOptions};
use tapegrad_core::tensor::ConvGeometry;
use tapegrad_core::{Tape, Tensor};

fn geometry() -> ConvGeometry {
    ConvGeometry {
        stride: [2, 1],
        dilation: [1, 2],
        pad_begin: [1, 0],
        pad_end: [1, 1],
        groups: 2,
    }
}

#[test]
fn conv2d_weight_matches_literal() {
    let tape = Tape::<f64>::new();
    // x = [[0, 1, 2], [3, 4, 5], [6, 7, 8]], u = [[1, 0], [0, 2]] for a 2×2 kernel:
    // dw[p, q] = Σ_{i, j} u[i, j]·x[i + p, j + q] = x[p, q] + 2·x[p + 1, q + 1]
    let x = tape.leaf(Tensor::arange(9).reshape(&[1, 1, 3, 3]).unwrap());
    let u = tape.leaf(Tensor::from_vec(vec![1., 0., 0., 2.], &[1, 1, 2, 2]));
    let op = Conv2dWeight {
        geometry: ConvGeometry::default(),
        kernel: [2, 2],
    };
    let dw = tape.apply(op, &[x, u]);
    assert_eq!(dw.shape().as_slice(), &[1, 1, 2, 2]);
    assert_eq!(dw.value().as_slice(), &[8., 11., 17., 20.]);
}

#[test]
fn conv2d_weight_is_the_weight_gradient_of_conv2d() {
    // for the PyTorch case conv2d_groups: the gradient that backward gives through conv2d
    // (checked against PyTorch in conv2d.rs) equals this op applied directly
    let tape = Tape::<f64>::new();
    let x = tape.leaf(pattern(&[2, 4, 5, 6], 7, 11, 5.0, 4.0));
    let w = tape.leaf(pattern(&[6, 2, 3, 2], 5, 9, 4.0, 8.0));
    let opts = ConvOptions::default()
        .stride([2, 1])
        .padding([1, 2])
        .dilation([1, 2])
        .groups(2);
    let y = x.conv2d(w, None, opts);
    let c = tape.constant(pattern(&y.shape(), 3, 7, 3.0, 2.0));
    let dw = (y * c).sum().backward().wrt(w);
    let geometry = ConvGeometry {
        stride: [2, 1],
        dilation: [1, 2],
        pad_begin: [1, 2],
        pad_end: [1, 2],
        groups: 2,
    };
    let direct = tape.apply(
        Conv2dWeight {
            geometry,
            kernel: [3, 2],
        },
        &[x, c],
    );
    assert!(direct.value().approx_eq(&dw, 1e-12, 0.0));
}

#[test]
fn conv2d_weight_gradcheck_order2() {
    let x = Tensor::rand_normal(&[2, 4, 5, 4], 0.0, 1.0, 1);
    let u = Tensor::rand_normal(&[2, 2, 3, 3], 0.0, 1.0, 2);
    let op = || Conv2dWeight {
        geometry: geometry(),
        kernel: [2, 2],
    };
    assert_gradients(|v| v[0].tape().apply(op(), v), &[x, u], 2);
}

#[test]
fn conv2d_weight_passes_the_kit() {
    let make = || Conv2dWeight {
        geometry: geometry(),
        kernel: [2, 2],
    };
    // x [n, 2·cg, h, w] with u [n, 2·og, ⌊(h + 2 − 2)/2⌋ + 1, w + 1 − 3 + 1]
    let shapes = (1usize..=2, 1usize..=2, 1usize..=2, 2usize..=5, 2usize..=4)
        .prop_map(|(n, cg, og, h, w)| {
            vec![vec![n, 2 * cg, h, w], vec![n, 2 * og, h / 2 + 1, w - 1]]
        })
        .boxed();
    let summary = check_op(2, make)
        .shapes(Shapes::Custom(shapes))
        .cases(12)
        .rejects(&[&[1, 2, 4, 4], &[1, 2, 3, 4]]) // not the output shape
        .rejects(&[&[1, 3, 4, 4], &[1, 2, 3, 3]]) // 3 channels, groups 2
        .rejects(&[&[1, 2, 4], &[1, 2, 3, 3]]) // rank 3
        .assert();
    assert_eq!(summary.rejected, 3);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn conv2d_weight_gradients_match_finite_differences(
        (x, u) in (1usize..=2, 1usize..=2, 2usize..=5, 2usize..=4)
            .prop_flat_map(|(n, c, h, w)| (
                tensor_in(vec![n, 2 * c, h, w], -1.5, 1.5),
                tensor_in(vec![n, 2, h / 2 + 1, w - 1], -1.5, 1.5),
            ))
    ) {
        let op = || Conv2dWeight { geometry: geometry(), kernel: [2, 2] };
        assert_gradients(move |v| v[0].tape().apply(op(), v), &[x, u], 2);
    }
}
