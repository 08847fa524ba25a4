//! Tests of `src/ops/conv/conv2d.rs` (and the options it takes).

use super::{assert_matches_torch, assert_refusal, naive_conv2d};
use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, check_op, tensor_in, Shapes};
use tapegrad_core::ops::conv::{Conv2d, ConvOptions, Padding};
use tapegrad_core::tensor::ConvGeometry;
use tapegrad_core::{ErrorKind, Tape, Tensor};

#[test]
fn conv2d_matches_literal() {
    let tape = Tape::<f64>::new();
    // x = [[0, 1, 2], [3, 4, 5], [6, 7, 8]], w = [[1, 0], [0, 1]]: y[i, j] = x[i, j] + x[i+1, j+1]
    let x = tape.leaf(Tensor::arange(9).reshape(&[1, 1, 3, 3]).unwrap());
    let w = tape.leaf(Tensor::from_vec(vec![1., 0., 0., 1.], &[1, 1, 2, 2]));
    let b = tape.leaf(Tensor::vector(vec![0.5]));
    let y = x.conv2d(w, Some(b), ConvOptions::default());
    assert_eq!(y.value().as_slice(), &[4.5, 6.5, 10.5, 12.5]);
    let g = y.sum().backward();
    // dΣy/dx[i, j]: how many windows put a weight of 1 on (i, j)
    assert_eq!(g.wrt(x).as_slice(), &[1., 1., 0., 1., 2., 1., 0., 1., 1.]);
    // dΣy/dw[p, q] = Σ of the 2×2 block of x starting at (p, q)
    assert_eq!(g.wrt(w).as_slice(), &[8., 12., 20., 24.]);
    assert_eq!(g.wrt(b).as_slice(), &[4.]);
}

#[test]
fn conv2d_matches_torch() {
    let groups = ConvOptions::default()
        .stride([2, 1])
        .padding([1, 2])
        .dilation([1, 2])
        .groups(2);
    assert_matches_torch(
        "conv2d_groups",
        &[2, 4, 5, 6],
        &[6, 2, 3, 2],
        Some(6),
        |x, w, b| x.conv2d(w, b, groups),
    );
    // an even kernel with Same padding: the odd zero goes after, as in PyTorch
    let same = ConvOptions::default()
        .padding(Padding::Same)
        .dilation([1, 2]);
    assert_matches_torch(
        "conv2d_same",
        &[1, 2, 5, 5],
        &[3, 2, 4, 3],
        None,
        |x, w, b| x.conv2d(w, b, same),
    );
    let depthwise = ConvOptions::default().stride(2).padding(1).groups(3);
    assert_matches_torch(
        "conv2d_depthwise",
        &[2, 3, 6, 5],
        &[6, 1, 3, 3],
        Some(6),
        |x, w, b| x.conv2d(w, b, depthwise),
    );
}

#[test]
fn conv2d_gradcheck_order2() {
    let x = Tensor::rand_normal(&[2, 4, 4, 5], 0.0, 1.0, 1);
    let w = Tensor::rand_normal(&[4, 2, 2, 3], 0.0, 1.0, 2);
    let b = Tensor::rand_normal(&[4], 0.0, 1.0, 3);
    let opts = ConvOptions::default()
        .stride([2, 1])
        .padding([1, 0])
        .dilation([1, 2])
        .groups(2);
    assert_gradients(
        |v| v[0].conv2d(v[1], Some(v[2]), opts),
        &[x.clone(), w, b],
        2,
    );
    // a nonlinear function of the output, and the same variable as input and weight
    let sq = Tensor::rand_normal(&[2, 2, 3, 3], 0.0, 1.0, 4);
    assert_gradients(
        |v| {
            let y = v[0].conv2d(v[0], None, ConvOptions::default().padding(1));
            y * y
        },
        &[sq],
        2,
    );
}

#[test]
fn conv2d_third_order_stays_exact() {
    // f = Σ conv(x, w)³ is a polynomial: its third derivative along x then w then w is
    // checked by differences of the recorded second derivative.
    let x = Tensor::rand_normal(&[1, 2, 3, 3], 0.0, 1.0, 5);
    let w = Tensor::rand_normal(&[2, 2, 2, 2], 0.0, 1.0, 6);
    assert_gradients(
        |v| {
            let y = v[0].conv2d(v[1], None, ConvOptions::default().padding(1));
            y * y * y
        },
        &[x, w],
        3,
    );
}

#[test]
fn conv2d_passes_the_kit() {
    // stride 2, padding (1, 0), dilation (1, 2), two groups; shapes drawn to fit
    let make = || Conv2d {
        geometry: ConvGeometry {
            stride: [2, 1],
            dilation: [1, 2],
            pad_begin: [1, 0],
            pad_end: [1, 0],
            groups: 2,
        },
    };
    let shapes = (
        1usize..=2,
        1usize..=2,
        1usize..=2,
        1usize..=3,
        3usize..=5,
        3usize..=6,
    )
        .prop_map(|(n, cg, og, kh, h, w)| vec![vec![n, 2 * cg, h, w], vec![2 * og, cg, kh, 2]])
        .boxed();
    let summary = check_op(2, make)
        .shapes(Shapes::Custom(shapes))
        .cases(12)
        .rejects(&[&[1, 3, 4, 4], &[2, 1, 2, 2]]) // 3 channels, groups 2
        .rejects(&[&[1, 2, 4, 4], &[3, 1, 2, 2]]) // 3 outputs, groups 2
        .rejects(&[&[1, 2, 4, 1], &[2, 1, 2, 2]]) // dilated kernel wider than the input
        .rejects(&[&[1, 2, 4, 4], &[2, 1, 2]]) // rank 3 weight
        .assert();
    assert_eq!(summary.rejected, 4);
}

#[test]
fn conv2d_rejects_bad_input_naming_op_shapes_parameters_and_line() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::zeros(&[2, 4, 5, 5]));
    let w = tape.leaf(Tensor::zeros(&[6, 2, 3, 3]));
    let d = ConvOptions::default();
    let shapes = ["[2, 4, 5, 5]", "[6, 2, 3, 3]"];
    let mismatch = || ErrorKind::ShapeMismatch {
        shapes: vec![vec![2, 4, 5, 5], vec![6, 2, 3, 3]],
    };
    let bad = || ErrorKind::InvalidArgument;
    let check = |e, line, what, kind| assert_refusal(e, "conv2d", line, what, kind, &shapes);

    let o = d;
    let (e, l) = (x.try_conv2d(w, None, o).unwrap_err(), line!());
    check(e, l, "input has 4 channels", mismatch());
    let o = d.groups(2).stride(0);
    let (e, l) = (x.try_conv2d(w, None, o).unwrap_err(), line!());
    check(e, l, "stride must be at least 1", bad());
    let o = d.groups(2).dilation([1, 0]);
    let (e, l) = (x.try_conv2d(w, None, o).unwrap_err(), line!());
    check(e, l, "dilation must be at least 1", bad());
    let o = d.groups(2).dilation(3);
    let (e, l) = (x.try_conv2d(w, None, o).unwrap_err(), line!());
    check(e, l, "larger than the padded input (5)", mismatch());
    let o = d.groups(2).padding(1).dilation(4);
    let (e, l) = (x.try_conv2d(w, None, o).unwrap_err(), line!());
    check(e, l, "larger than the padded input (7)", mismatch());
    let o = d.groups(4);
    let (e, l) = (x.try_conv2d(w, None, o).unwrap_err(), line!());
    check(e, l, "expects 2 per group x groups 4", mismatch());
    let o = d.groups(0);
    let (e, l) = (x.try_conv2d(w, None, o).unwrap_err(), line!());
    check(e, l, "groups must be at least 1", bad());
    let o = d.padding(Padding::Same).stride(2);
    let (e, l) = (x.try_conv2d(w, None, o).unwrap_err(), line!());
    check(e, l, "padding Same needs stride 1", bad());
    let o = d.output_padding(1);
    let (e, l) = (x.try_conv2d(w, None, o).unwrap_err(), line!());
    check(e, l, "output_padding applies to transposed", bad());
    let v = tape.leaf(Tensor::zeros(&[4, 5, 5]));
    let e = v.try_conv2d(w, None, d).unwrap_err();
    let want = ["[4, 5, 5]", "[6, 2, 3, 3]"];
    let kind = ErrorKind::ShapeMismatch {
        shapes: vec![vec![4, 5, 5], vec![6, 2, 3, 3]],
    };
    assert_refusal(e, "conv2d", line!() - 5, "must have rank 4", kind, &want);

    // groups that do not divide the output channels, and a bias of the wrong length
    let w5 = tape.leaf(Tensor::zeros(&[5, 2, 3, 3]));
    let e = x.try_conv2d(w5, None, d.groups(2)).unwrap_err();
    assert!(
        e.message
            .contains("groups 2 does not divide the 5 output channels"),
        "{e}"
    );
    let b = tape.leaf(Tensor::zeros(&[5]));
    let w6 = tape.leaf(Tensor::zeros(&[6, 4, 3, 3]));
    let e = x.try_conv2d(w6, Some(b), d).unwrap_err();
    assert!(
        e.message.contains("bias [5] for an output of 6 channels"),
        "{e}"
    );
    assert!(e.message.contains("[2, 4, 5, 5]"), "{e}");
    // the panicking form says the same
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        x.conv2d(w, None, d);
    }));
    let msg = caught.unwrap_err();
    let msg = msg.downcast_ref::<String>().unwrap();
    assert!(msg.starts_with("conv2d: input has 4 channels"), "{msg}");
}

/// Convolution parameters and shapes that fit: batch, groups, channels per group in and
/// out, kernel, stride, padding, dilation, input size.
fn conv_case() -> impl Strategy<Value = (Tensor<f64>, Tensor<f64>, ConvOptions)> {
    (
        1usize..=2,
        1usize..=3,
        1usize..=2,
        1usize..=2,
        [1usize..=3, 1usize..=3],
        [1usize..=2, 1usize..=3],
    )
        .prop_flat_map(|(n, g, cg, og, k, s)| {
            (
                [0usize..=2, 0usize..=2],
                [1usize..=2, 1usize..=2],
                [0usize..=3, 0usize..=3],
            )
                .prop_flat_map(move |(p, d, extra)| {
                    let size = |a: usize| {
                        (d[a] * (k[a] - 1) + 1).saturating_sub(2 * p[a]).max(1) + extra[a]
                    };
                    let opts = ConvOptions::default()
                        .stride(s)
                        .padding(p)
                        .dilation(d)
                        .groups(g);
                    (
                        tensor_in(vec![n, g * cg, size(0), size(1)], -1.5, 1.5),
                        tensor_in(vec![g * og, cg, k[0], k[1]], -1.5, 1.5),
                        Just(opts),
                    )
                })
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn conv2d_matches_the_definition_and_finite_differences((x, w, opts) in conv_case()) {
        let tape = Tape::new();
        let y = tape.leaf(x.clone()).conv2d(tape.leaf(w.clone()), None, opts).value();
        let want = naive_conv2d(&x, &w, &opts);
        prop_assert!(y.approx_eq(&want, 1e-12, 1e-12), "{y:?} vs {want:?}");
        let f32y = Tape::<f32>::new();
        let y32 = f32y.leaf(x.cast()).conv2d(f32y.leaf(w.cast()), None, opts).value();
        prop_assert!(y32.cast::<f64>().approx_eq(&want, 1e-4, 1e-4));
        assert_gradients(move |v| v[0].conv2d(v[1], None, opts), &[x, w], 2);
    }
}
