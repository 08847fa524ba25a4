//! Tests of `src/ops/conv/conv_transpose1d.rs` (conv_transpose2d on a grid of height 1;
//! the op itself passes the kit in `conv_transpose2d.rs`).

use super::{assert_matches_torch, assert_refusal, naive_conv_transpose2d};
use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, tensor_in};
use tapegrad_core::ops::conv::ConvOptions;
use tapegrad_core::{ErrorKind, Tape, Tensor};

#[test]
fn conv_transpose1d_matches_literal() {
    let tape = Tape::<f64>::new();
    // stride 2 stamps [1, 10] at 0 and 2, scaled by 1 and 2; padding 1 drops one at each end
    let x = tape.leaf(Tensor::from_vec(vec![1., 2.], &[1, 1, 2]));
    let w = tape.leaf(Tensor::from_vec(vec![1., 10.], &[1, 1, 2]));
    let full = x.conv_transpose1d(w, None, ConvOptions::default().stride(2));
    assert_eq!(full.value().as_slice(), &[1., 10., 2., 20.]);
    let cropped = x.conv_transpose1d(w, None, ConvOptions::default().stride(2).padding(1));
    assert_eq!(cropped.value().as_slice(), &[10., 2.]);
    let g = cropped.sum().backward();
    assert_eq!(g.wrt(x).as_slice(), &[10., 1.]);
    assert_eq!(g.wrt(w).as_slice(), &[2., 1.]);
}

#[test]
fn conv_transpose1d_matches_torch() {
    let opts = ConvOptions::default()
        .stride(3)
        .padding(1)
        .output_padding(2)
        .groups(2);
    assert_matches_torch(
        "conv_transpose1d",
        &[2, 4, 5],
        &[4, 1, 3],
        Some(2),
        |x, w, b| x.conv_transpose1d(w, b, opts),
    );
}

#[test]
fn conv_transpose1d_gradcheck_order2() {
    let x = Tensor::rand_normal(&[2, 2, 4], 0.0, 1.0, 1);
    let w = Tensor::rand_normal(&[2, 3, 3], 0.0, 1.0, 2);
    let b = Tensor::rand_normal(&[3], 0.0, 1.0, 3);
    let opts = ConvOptions::default()
        .stride(2)
        .padding(1)
        .output_padding(1);
    assert_gradients(
        |v| {
            let y = v[0].conv_transpose1d(v[1], Some(v[2]), opts);
            y * y
        },
        &[x, w, b],
        2,
    );
}

#[test]
fn conv_transpose1d_rejects_bad_input_naming_op_shapes_parameters_and_line() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::zeros(&[2, 4, 3]));
    let w = tape.leaf(Tensor::zeros(&[4, 3, 2]));
    let d = ConvOptions::default();
    let shapes = ["[2, 4, 3]", "[4, 3, 2]"];
    let mismatch = || ErrorKind::ShapeMismatch {
        shapes: vec![vec![2, 4, 3], vec![4, 3, 2]],
    };
    let bad = || ErrorKind::InvalidArgument;
    let check =
        |e, line, what, kind| assert_refusal(e, "conv_transpose1d", line, what, kind, &shapes);

    let o = d.groups(3);
    let (e, l) = (x.try_conv_transpose1d(w, None, o).unwrap_err(), line!());
    check(
        e,
        l,
        "groups 3 does not divide the 4 input channels",
        mismatch(),
    );
    let o = d.stride(0);
    let (e, l) = (x.try_conv_transpose1d(w, None, o).unwrap_err(), line!());
    check(e, l, "stride must be at least 1", bad());
    let o = d.padding(3);
    let (e, l) = (x.try_conv_transpose1d(w, None, o).unwrap_err(), line!());
    check(e, l, "would be below 1", mismatch());
    let o = d.output_padding(1);
    let (e, l) = (x.try_conv_transpose1d(w, None, o).unwrap_err(), line!());
    check(e, l, "smaller than the stride or the dilation", bad());
    let w3 = tape.leaf(Tensor::zeros(&[3, 3, 2]));
    let e = x.try_conv_transpose1d(w3, None, d).unwrap_err();
    assert_eq!(e.op, "conv_transpose1d");
    assert!(
        e.message
            .contains("input has 4 channels but the weight expects 3"),
        "{e}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn conv_transpose1d_matches_the_definition_and_finite_differences(
        (x, w, opts) in (1usize..=2, 1usize..=2, 1usize..=2, 1usize..=2, 1usize..=3, 1usize..=3,
                         1usize..=2, 1usize..=3)
            .prop_flat_map(|(n, g, cig, cog, k, s, d, len)| {
                (0..s.max(d), 0usize..=2).prop_flat_map(move |(op, p)| {
                    let full = (len - 1) * s + d * (k - 1) + op + 1;
                    let opts = ConvOptions::default().stride(s).padding(p.min((full - 1) / 2))
                        .dilation(d).groups(g).output_padding(op);
                    (
                        tensor_in(vec![n, g * cig, len], -1.5, 1.5),
                        tensor_in(vec![g * cig, cog, k], -1.5, 1.5),
                        Just(opts),
                    )
                })
            })
    ) {
        let tape = Tape::new();
        let y = tape.leaf(x.clone()).conv_transpose1d(tape.leaf(w.clone()), None, opts).value();
        let (xs, ws) = (x.shape(), w.shape());
        let x4 = x.reshape(&[xs[0], xs[1], 1, xs[2]]).unwrap();
        let w4 = w.reshape(&[ws[0], ws[1], 1, ws[2]]).unwrap();
        let p = match opts.padding { tapegrad_core::ops::conv::Padding::Explicit(p) => p[1], _ => 0 };
        let h1 = ConvOptions::default().stride([1, opts.stride[1]]).dilation([1, opts.dilation[1]])
            .padding([0, p]).groups(opts.groups).output_padding([0, opts.output_padding[1]]);
        let want = naive_conv_transpose2d(&x4, &w4, &h1);
        let want = want.reshape(&[want.shape()[0], want.shape()[1], want.shape()[3]]).unwrap();
        prop_assert!(y.approx_eq(&want, 1e-12, 1e-12), "{y:?} vs {want:?}");
        assert_gradients(move |v| v[0].conv_transpose1d(v[1], None, opts), &[x, w], 2);
    }
}
