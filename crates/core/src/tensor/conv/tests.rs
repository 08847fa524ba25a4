//! Unit tests of the convolution kernels against their definition and each other.

use super::*;

/// The definition, one output element at a time.
fn naive(x: &Tensor<f64>, w: &Tensor<f64>, geom: &ConvGeometry) -> Tensor<f64> {
    let shape = geom.check_conv(x.shape(), w.shape(), 2).unwrap();
    let (cg, og) = (w.shape()[1], shape[1] / geom.groups);
    let (h, wd) = (x.shape()[2] as isize, x.shape()[3] as isize);
    let mut out = vec![0.0; numel(&shape)];
    let mut idx = 0;
    for n in 0..shape[0] {
        for o in 0..shape[1] {
            for i in 0..shape[2] {
                for j in 0..shape[3] {
                    let mut s = 0.0;
                    for c in 0..cg {
                        for p in 0..w.shape()[2] {
                            for q in 0..w.shape()[3] {
                                let ih = (i * geom.stride[0] + p * geom.dilation[0]) as isize
                                    - geom.pad_begin[0] as isize;
                                let iw = (j * geom.stride[1] + q * geom.dilation[1]) as isize
                                    - geom.pad_begin[1] as isize;
                                if (0..h).contains(&ih) && (0..wd).contains(&iw) {
                                    let ci = (o / og) * cg + c;
                                    s += x.at(&[n, ci, ih as usize, iw as usize])
                                        * w.at(&[o, c, p, q]);
                                }
                            }
                        }
                    }
                    out[idx] = s;
                    idx += 1;
                }
            }
        }
    }
    Tensor::from_vec(out, &shape)
}

fn geometries() -> Vec<ConvGeometry> {
    vec![
        ConvGeometry::default(),
        ConvGeometry {
            stride: [2, 3],
            dilation: [1, 2],
            pad_begin: [1, 2],
            pad_end: [0, 3],
            groups: 2,
        },
        ConvGeometry {
            stride: [1, 2],
            dilation: [2, 1],
            pad_begin: [2, 0],
            pad_end: [-1, 1],
            groups: 1,
        },
    ]
}

#[test]
fn conv2d_matches_the_definition() {
    for (k, geom) in geometries().iter().enumerate() {
        let x = Tensor::<f64>::rand_normal(&[2, 4, 7, 9], 0.0, 1.0, k as u64);
        let w = Tensor::<f64>::rand_normal(&[6, 4 / geom.groups, 3, 2], 0.0, 1.0, 9);
        let y = x.conv2d(&w, geom).unwrap();
        assert!(y.approx_eq(&naive(&x, &w, geom), 1e-12, 0.0), "{geom:?}");
    }
}

#[test]
fn transposed_and_weight_kernels_are_adjoints() {
    // <conv(x, w), dy> = <x, convᵀ(dy, w)> = <w, conv_weight(x, dy)>
    for (k, geom) in geometries().iter().enumerate() {
        let x = Tensor::<f64>::rand_normal(&[2, 4, 7, 9], 0.0, 1.0, k as u64);
        let w = Tensor::<f64>::rand_normal(&[6, 4 / geom.groups, 3, 2], 0.0, 1.0, 9);
        let y = x.conv2d(&w, geom).unwrap();
        let dy = Tensor::<f64>::rand_normal(y.shape(), 0.0, 1.0, 5);
        let dot = |a: &Tensor<f64>, b: &Tensor<f64>| -> f64 {
            a.as_slice()
                .iter()
                .zip(b.as_slice())
                .map(|(a, b)| a * b)
                .sum()
        };
        let mut g = *geom;
        // the transposed output must be x's size: fold the rows no window reaches
        // into a smaller end padding
        for a in 0..2 {
            let len = g
                .transposed_len(a, y.shape()[2 + a], w.shape()[2 + a])
                .unwrap();
            g.pad_end[a] -= (x.shape()[2 + a] - len) as isize;
        }
        let dx = dy.conv_transpose2d(&w, &g).unwrap();
        assert_eq!(dx.shape(), x.shape());
        let dw = x.conv2d_weight(&dy, [3, 2], geom).unwrap();
        let lhs = dot(&y, &dy);
        assert!(
            (lhs - dot(&x, &dx)).abs() < 1e-9 * lhs.abs().max(1.0),
            "{geom:?}"
        );
        assert!(
            (lhs - dot(&w, &dw)).abs() < 1e-9 * lhs.abs().max(1.0),
            "{geom:?}"
        );
    }
}

#[test]
fn threaded_kernels_with_row_blocks_agree_with_the_definition() {
    // conv_step's second layer on 4 images: above PARALLEL_MIN_MACS, and its products
    // (32×144 by 144×196) are cut into row blocks when the images are split
    let geom = ConvGeometry {
        pad_begin: [1, 1],
        pad_end: [1, 1],
        ..ConvGeometry::default()
    };
    let x = Tensor::<f64>::rand_normal(&[4, 16, 14, 14], 0.0, 1.0, 1);
    let w = Tensor::<f64>::rand_normal(&[32, 16, 3, 3], 0.0, 1.0, 2);
    let y = x.conv2d(&w, &geom).unwrap();
    assert!(y.approx_eq(&naive(&x, &w, &geom), 1e-10, 0.0));
    let dy = Tensor::<f64>::rand_normal(y.shape(), 0.0, 1.0, 3);
    let dot = |a: &Tensor<f64>, b: &Tensor<f64>| -> f64 {
        a.as_slice()
            .iter()
            .zip(b.as_slice())
            .map(|(a, b)| a * b)
            .sum()
    };
    let dx = dy.conv_transpose2d(&w, &geom).unwrap();
    let dw = x.conv2d_weight(&dy, [3, 3], &geom).unwrap();
    let lhs = dot(&y, &dy);
    assert!((lhs - dot(&x, &dx)).abs() < 1e-9 * lhs.abs());
    assert!((lhs - dot(&w, &dw)).abs() < 1e-9 * lhs.abs());
    // and the weight gradient matches a per-image sum done on one image at a time
    let mut sum = Tensor::<f64>::zeros(&[32, 16, 3, 3]);
    for i in 0..4 {
        let xi = x.narrow(0, i, 1).unwrap();
        let di = dy.narrow(0, i, 1).unwrap();
        let part = xi.conv2d_weight(&di, [3, 3], &geom).unwrap();
        sum = sum.zip_map(&part, |a, b| a + b).unwrap();
    }
    assert!(dw.approx_eq(&sum, 1e-10, 0.0));
}

#[test]
fn empty_batches_channels_and_outputs_give_empty_or_zero_results() {
    let geom = ConvGeometry::default();
    let w = Tensor::<f64>::ones(&[3, 2, 2, 2]);
    let y = Tensor::<f64>::zeros(&[0, 2, 4, 4])
        .conv2d(&w, &geom)
        .unwrap();
    assert_eq!(y.shape(), &[0, 3, 3, 3]);
    let none = Tensor::<f64>::ones(&[0, 2, 2, 2]);
    let y = Tensor::<f64>::ones(&[1, 2, 4, 4])
        .conv2d(&none, &geom)
        .unwrap();
    assert_eq!(y.shape(), &[1, 0, 3, 3]);
    // no input channels: sums of nothing
    let y = Tensor::<f64>::ones(&[1, 0, 4, 4])
        .conv2d(&Tensor::ones(&[3, 0, 2, 2]), &geom)
        .unwrap();
    assert_eq!(y, Tensor::zeros(&[1, 3, 3, 3]));
    let dw = Tensor::<f64>::ones(&[0, 2, 4, 4])
        .conv2d_weight(&Tensor::ones(&[0, 3, 3, 3]), [2, 2], &geom)
        .unwrap();
    assert_eq!(dw, Tensor::zeros(&[3, 2, 2, 2]));
}
