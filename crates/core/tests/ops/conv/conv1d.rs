//! Tests of `src/ops/conv/conv1d.rs` (conv2d on a grid of height 1; the op itself passes
//! the kit in `conv2d.rs`).

use super::{assert_matches_torch, assert_refusal, naive_conv2d};
use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, tensor_in};
use tapegrad_core::ops::conv::{ConvOptions, Padding};
use tapegrad_core::{ErrorKind, Tape, Tensor};

#[test]
fn conv1d_matches_literal() {
    let tape = Tape::<f64>::new();
    // y[i] = x[i] − x[i + 2] (dilation 2) + 1
    let x = tape.leaf(Tensor::from_vec(vec![1., 2., 4., 8., 16.], &[1, 1, 5]));
    let w = tape.leaf(Tensor::from_vec(vec![1., -1.], &[1, 1, 2]));
    let b = tape.leaf(Tensor::vector(vec![1.]));
    let y = x.conv1d(w, Some(b), ConvOptions::default().dilation(2));
    assert_eq!(y.value().as_slice(), &[-2., -5., -11.]);
    let g = y.sum().backward();
    assert_eq!(g.wrt(x).as_slice(), &[1., 1., 0., -1., -1.]);
    assert_eq!(g.wrt(w).as_slice(), &[7., 28.]); // Σ x[0..3], Σ x[2..5]
}

#[test]
fn conv1d_matches_torch() {
    let opts = ConvOptions::default().stride(2).padding(1).dilation(2);
    assert_matches_torch("conv1d", &[2, 3, 7], &[4, 3, 3], Some(4), |x, w, b| {
        x.conv1d(w, b, opts)
    });
}

#[test]
fn conv1d_gradcheck_order2() {
    let x = Tensor::rand_normal(&[2, 4, 6], 0.0, 1.0, 1);
    let w = Tensor::rand_normal(&[2, 2, 3], 0.0, 1.0, 2);
    let b = Tensor::rand_normal(&[2], 0.0, 1.0, 3);
    let opts = ConvOptions::default().padding(Padding::Same).groups(2);
    assert_gradients(
        |v| {
            let y = v[0].conv1d(v[1], Some(v[2]), opts);
            y * y
        },
        &[x, w, b],
        2,
    );
}

#[test]
fn conv1d_rejects_bad_input_naming_op_shapes_parameters_and_line() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::zeros(&[2, 4, 5]));
    let w = tape.leaf(Tensor::zeros(&[6, 2, 3]));
    let d = ConvOptions::default();
    let shapes = ["[2, 4, 5]", "[6, 2, 3]"];
    let mismatch = || ErrorKind::ShapeMismatch {
        shapes: vec![vec![2, 4, 5], vec![6, 2, 3]],
    };
    let bad = || ErrorKind::InvalidArgument;
    let check = |e, line, what, kind| assert_refusal(e, "conv1d", line, what, kind, &shapes);

    let (e, l) = (x.try_conv1d(w, None, d).unwrap_err(), line!());
    check(e, l, "input has 4 channels", mismatch());
    let o = d.groups(2).stride(0);
    let (e, l) = (x.try_conv1d(w, None, o).unwrap_err(), line!());
    check(e, l, "stride must be at least 1", bad());
    let o = d.groups(2).dilation(0);
    let (e, l) = (x.try_conv1d(w, None, o).unwrap_err(), line!());
    check(e, l, "dilation must be at least 1", bad());
    let o = d.groups(2).dilation(3);
    let (e, l) = (x.try_conv1d(w, None, o).unwrap_err(), line!());
    check(e, l, "larger than the padded input (5)", mismatch());
    let o = d.groups(4);
    let (e, l) = (x.try_conv1d(w, None, o).unwrap_err(), line!());
    check(e, l, "x groups 4", mismatch());
    let o = d.groups(2).padding(Padding::Same).stride(2);
    let (e, l) = (x.try_conv1d(w, None, o).unwrap_err(), line!());
    check(e, l, "padding Same needs stride 1", bad());
    // 1-d parameters are printed as numbers, not pairs
    let e = x.try_conv1d(w, None, d.stride(3)).unwrap_err();
    assert!(
        e.message
            .contains("stride=3, padding=0, dilation=1, groups=1"),
        "{e}"
    );
    let b = tape.leaf(Tensor::zeros(&[4]));
    let e = x.try_conv1d(w, Some(b), d.groups(2)).unwrap_err();
    assert!(
        e.message.contains("bias [4] for an output of 6 channels"),
        "{e}"
    );
    let img = tape.leaf(Tensor::zeros(&[2, 4, 5, 5]));
    let e = img.try_conv1d(w, None, d.groups(2)).unwrap_err();
    assert!(e.message.contains("must have rank 3"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn conv1d_matches_the_definition_and_finite_differences(
        (x, w, opts) in (1usize..=2, 1usize..=2, 1usize..=2, 1usize..=2, 1usize..=3, 1usize..=3,
                         0usize..=2, 1usize..=2, 0usize..=3)
            .prop_flat_map(|(n, g, cg, og, k, s, p, d, extra)| {
                let len = (d * (k - 1) + 1).saturating_sub(2 * p).max(1) + extra;
                let opts = ConvOptions::default().stride(s).padding(p).dilation(d).groups(g);
                (
                    tensor_in(vec![n, g * cg, len], -1.5, 1.5),
                    tensor_in(vec![g * og, cg, k], -1.5, 1.5),
                    Just(opts),
                )
            })
    ) {
        let tape = Tape::new();
        let y = tape.leaf(x.clone()).conv1d(tape.leaf(w.clone()), None, opts).value();
        // the definition on a grid of height 1 (the H parameters do nothing there)
        let (xs, ws) = (x.shape(), w.shape());
        let x4 = x.reshape(&[xs[0], xs[1], 1, xs[2]]).unwrap();
        let w4 = w.reshape(&[ws[0], ws[1], 1, ws[2]]).unwrap();
        let h1 = ConvOptions { stride: [1, opts.stride[1]], dilation: [1, opts.dilation[1]], padding: Padding::Explicit([0, match opts.padding { Padding::Explicit(p) => p[1], _ => 0 }]), ..opts };
        let want = naive_conv2d(&x4, &w4, &h1);
        let want = want.reshape(&[want.shape()[0], want.shape()[1], want.shape()[3]]).unwrap();
        prop_assert!(y.approx_eq(&want, 1e-12, 1e-12), "{y:?} vs {want:?}");
        assert_gradients(move |v| v[0].conv1d(v[1], None, opts), &[x, w], 2);
    }
}
