//! Tests of `src/ops/conv/conv_transpose2d.rs`.

use super::{assert_matches_torch, assert_refusal, naive_conv_transpose2d};
use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, check_op, tensor_in, Shapes};
use tapegrad_core::ops::conv::{ConvOptions, ConvTranspose2d, Padding};
use tapegrad_core::tensor::ConvGeometry;
use tapegrad_core::{ErrorKind, Tape, Tensor};

#[test]
fn conv_transpose2d_matches_literal() {
    let tape = Tape::<f64>::new();
    // two inputs 1 and 2 stamp the kernel [[1, 10]] two columns apart (stride 2)
    let x = tape.leaf(Tensor::from_vec(vec![1., 2.], &[1, 1, 1, 2]));
    let w = tape.leaf(Tensor::from_vec(vec![1., 10.], &[1, 1, 1, 2]));
    let b = tape.leaf(Tensor::vector(vec![0.5]));
    let opts = ConvOptions::default().stride(2).output_padding([0, 1]);
    let y = x.conv_transpose2d(w, Some(b), opts);
    // width (2 − 1)·2 + 2 + 1 = 5; the output padding column only gets the bias
    assert_eq!(y.value().as_slice(), &[1.5, 10.5, 2.5, 20.5, 0.5]);
    let g = y.sum().backward();
    assert_eq!(g.wrt(x).as_slice(), &[11., 11.]); // Σ of the kernel
    assert_eq!(g.wrt(w).as_slice(), &[3., 3.]); // Σ of the inputs
    assert_eq!(g.wrt(b).as_slice(), &[5.]);
}

#[test]
fn conv_transpose2d_matches_torch() {
    let groups = ConvOptions::default()
        .stride([2, 3])
        .padding([1, 0])
        .output_padding([1, 2])
        .groups(2);
    assert_matches_torch(
        "conv_transpose2d_groups",
        &[2, 4, 3, 4],
        &[4, 3, 3, 2],
        Some(6),
        |x, w, b| x.conv_transpose2d(w, b, groups),
    );
    // output padding 1 at stride 1 is allowed because the dilation is 2
    let dilated = ConvOptions::default()
        .padding(1)
        .output_padding(1)
        .dilation(2);
    assert_matches_torch(
        "conv_transpose2d_dilated",
        &[1, 2, 3, 3],
        &[2, 2, 2, 3],
        None,
        |x, w, b| x.conv_transpose2d(w, b, dilated),
    );
}

#[test]
fn conv_transpose2d_is_the_adjoint_of_conv2d() {
    // ⟨conv2d(u, w), v⟩ = ⟨u, conv_transpose2d(v, w)⟩ for the same options
    let tape = Tape::<f64>::new();
    let opts = ConvOptions::default()
        .stride([2, 1])
        .padding([1, 2])
        .dilation([2, 1])
        .groups(3);
    let u = tape.leaf(Tensor::rand_normal(&[2, 6, 7, 5], 0.0, 1.0, 1));
    let w = tape.leaf(Tensor::rand_normal(&[9, 2, 3, 2], 0.0, 1.0, 2));
    let y = u.conv2d(w, None, opts);
    let v = tape.leaf(Tensor::rand_normal(&y.shape(), 0.0, 1.0, 3));
    // the transposed output is 7×5 again only with the rows the stride skipped restored
    let back = v.conv_transpose2d(w, None, opts.output_padding([0, 0]));
    assert_eq!(back.shape().as_slice(), &[2, 6, 7, 5]);
    let lhs = (y * v).sum().item();
    let rhs = (u * back).sum().item();
    assert!(
        (lhs - rhs).abs() < 1e-10 * lhs.abs().max(1.0),
        "{lhs} vs {rhs}"
    );
}

#[test]
fn conv_transpose2d_gradcheck_order2() {
    let x = Tensor::rand_normal(&[2, 4, 3, 3], 0.0, 1.0, 1);
    let w = Tensor::rand_normal(&[4, 2, 2, 3], 0.0, 1.0, 2);
    let b = Tensor::rand_normal(&[4], 0.0, 1.0, 3);
    let opts = ConvOptions::default()
        .stride([2, 1])
        .padding([1, 0])
        .dilation([1, 2])
        .output_padding([1, 0])
        .groups(2);
    assert_gradients(
        |v| v[0].conv_transpose2d(v[1], Some(v[2]), opts),
        &[x, w, b],
        2,
    );
    let sq = Tensor::rand_normal(&[2, 2, 2, 2], 0.0, 1.0, 4);
    assert_gradients(
        |v| {
            let y = v[0].conv_transpose2d(v[0], None, ConvOptions::default().stride(2));
            y * y
        },
        &[sq],
        2,
    );
}

#[test]
fn conv_transpose2d_passes_the_kit() {
    let make = || ConvTranspose2d {
        geometry: ConvGeometry {
            stride: [2, 1],
            dilation: [1, 2],
            pad_begin: [1, 0],
            pad_end: [0, 0], // padding 1 and output padding 1 along H
            groups: 2,
        },
    };
    let shapes = (
        1usize..=2,
        1usize..=2,
        1usize..=2,
        1usize..=3,
        2usize..=3,
        1usize..=4,
    )
        .prop_map(|(n, cig, cog, kh, h, w)| vec![vec![n, 2 * cig, h, w], vec![2 * cig, cog, kh, 2]])
        .boxed();
    let summary = check_op(2, make)
        .shapes(Shapes::Custom(shapes))
        .cases(12)
        .rejects(&[&[1, 3, 2, 2], &[3, 1, 2, 2]]) // 3 input channels, groups 2
        .rejects(&[&[1, 2, 2, 2], &[4, 1, 2, 2]]) // weight for 4 input channels
        .rejects(&[&[1, 2, 1, 2], &[2, 1, 1, 2]]) // output height (1 − 1)·2 − 1 + 1 = 0
        .assert();
    assert_eq!(summary.rejected, 3);
}

#[test]
fn conv_transpose2d_rejects_bad_input_naming_op_shapes_parameters_and_line() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::zeros(&[2, 4, 3, 3]));
    let w = tape.leaf(Tensor::zeros(&[4, 3, 2, 2]));
    let d = ConvOptions::default();
    let shapes = ["[2, 4, 3, 3]", "[4, 3, 2, 2]"];
    let mismatch = || ErrorKind::ShapeMismatch {
        shapes: vec![vec![2, 4, 3, 3], vec![4, 3, 2, 2]],
    };
    let bad = || ErrorKind::InvalidArgument;
    let check =
        |e, line, what, kind| assert_refusal(e, "conv_transpose2d", line, what, kind, &shapes);

    let o = d.groups(3);
    let (e, l) = (x.try_conv_transpose2d(w, None, o).unwrap_err(), line!());
    check(
        e,
        l,
        "groups 3 does not divide the 4 input channels",
        mismatch(),
    );
    let o = d.stride([1, 0]);
    let (e, l) = (x.try_conv_transpose2d(w, None, o).unwrap_err(), line!());
    check(e, l, "stride must be at least 1", bad());
    let o = d.dilation(0);
    let (e, l) = (x.try_conv_transpose2d(w, None, o).unwrap_err(), line!());
    check(e, l, "dilation must be at least 1", bad());
    let o = d.padding(3);
    let (e, l) = (x.try_conv_transpose2d(w, None, o).unwrap_err(), line!());
    check(
        e,
        l,
        "output size along spatial axis 0 would be below 1",
        mismatch(),
    );
    let o = d.stride(2).output_padding(2);
    let (e, l) = (x.try_conv_transpose2d(w, None, o).unwrap_err(), line!());
    check(
        e,
        l,
        "must be smaller than the stride or the dilation",
        bad(),
    );
    let o = d.padding(Padding::Same);
    let (e, l) = (x.try_conv_transpose2d(w, None, o).unwrap_err(), line!());
    check(e, l, "padding Same is for convolutions", bad());
    let o = d.groups(0);
    let (e, l) = (x.try_conv_transpose2d(w, None, o).unwrap_err(), line!());
    check(e, l, "groups must be at least 1", bad());
    // a channel mismatch between input and weight
    let w3 = tape.leaf(Tensor::zeros(&[3, 3, 2, 2]));
    let e = x.try_conv_transpose2d(w3, None, d).unwrap_err();
    assert!(
        e.message
            .contains("input has 4 channels but the weight expects 3"),
        "{e}"
    );
    let b = tape.leaf(Tensor::zeros(&[2]));
    let e = x.try_conv_transpose2d(w, Some(b), d).unwrap_err();
    assert!(
        e.message.contains("bias [2] for an output of 3 channels"),
        "{e}"
    );
}

fn transpose_case() -> impl Strategy<Value = (Tensor<f64>, Tensor<f64>, ConvOptions)> {
    (
        1usize..=2,
        1usize..=3,
        1usize..=2,
        1usize..=2,
        [1usize..=3, 1usize..=3],
        [1usize..=3, 1usize..=2],
        [1usize..=2, 1usize..=2],
    )
        .prop_flat_map(|(n, g, cig, cog, k, s, d)| {
            // output padding below max(stride, dilation); padding leaving an output ≥ 1
            let op = [0..s[0].max(d[0]), 0..s[1].max(d[1])];
            (op, [1usize..=3, 1usize..=3], [0usize..=2, 0usize..=2]).prop_flat_map(
                move |(op, h, p)| {
                    let p = [0, 1].map(|a| {
                        let full = (h[a] - 1) * s[a] + d[a] * (k[a] - 1) + op[a] + 1;
                        p[a].min((full - 1) / 2)
                    });
                    let opts = ConvOptions::default()
                        .stride(s)
                        .padding(p)
                        .dilation(d)
                        .groups(g)
                        .output_padding(op);
                    (
                        tensor_in(vec![n, g * cig, h[0], h[1]], -1.5, 1.5),
                        tensor_in(vec![g * cig, cog, k[0], k[1]], -1.5, 1.5),
                        Just(opts),
                    )
                },
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn conv_transpose2d_matches_the_definition_and_finite_differences(
        (x, w, opts) in transpose_case()
    ) {
        let tape = Tape::new();
        let y = tape.leaf(x.clone()).conv_transpose2d(tape.leaf(w.clone()), None, opts).value();
        let want = naive_conv_transpose2d(&x, &w, &opts);
        prop_assert!(y.approx_eq(&want, 1e-12, 1e-12), "{y:?} vs {want:?}");
        assert_gradients(move |v| v[0].conv_transpose2d(v[1], None, opts), &[x, w], 2);
    }
}
