//! Transforms compose through the tape: a Jacobian of a recorded gradient is the Hessian;
//! a linearization pushes many seeds through one recording.

use crate::support::{assert_close, smooth, smooth_scalar, wavy};
use tapegrad_core::{func, Tensor, Var};

#[test]
fn jacobian_of_the_gradient_is_the_hessian() {
    let xs = [wavy::<f64>(&[2, 2], 0.4), wavy::<f64>(&[3], 1.1)];
    let h = func::hessian(smooth_scalar, &xs).unwrap();
    for (i, block_row) in h.iter().enumerate() {
        let grad_i =
            func::function(move |xs: &[Var<'_, f64>]| xs[0].tape().grad(smooth_scalar(xs), xs)[i]);
        for jacobian in [
            func::jacrev(grad_i, &xs).unwrap(),
            func::jacfwd(grad_i, &xs).unwrap(),
        ] {
            for (got, want) in jacobian.iter().zip(block_row) {
                assert_close(got, want, 1e-12);
            }
        }
    }
}

#[test]
fn linearization_pushes_many_seeds_through_one_recording() {
    let xs = [wavy::<f64>(&[3], 0.2), wavy::<f64>(&[2], 0.9)];
    let lin = func::linearize(smooth, &xs).unwrap();
    assert_eq!(
        (lin.input_shapes(), lin.output_shape()),
        (&[vec![3], vec![2]][..], vec![3])
    );
    let j = func::jacrev(smooth, &xs).unwrap();
    for k in 0..3 {
        let row = lin
            .vjp(&Tensor::from_fn(&[3], |i| if i == k { 1.0 } else { 0.0 }))
            .unwrap();
        assert_eq!(row[0].as_slice(), &j[0].as_slice()[k * 3..k * 3 + 3]);
    }
    for c in 0..2 {
        let tangent = [
            Tensor::zeros(&[3]),
            Tensor::from_fn(&[2], |i| if i == c { 1.0 } else { 0.0 }),
        ];
        let column = lin.jvp(&tangent).unwrap();
        let want: Vec<f64> = (0..3).map(|r| j[1].as_slice()[r * 2 + c]).collect();
        assert_close(&column, &Tensor::vector(want), 1e-12);
    }
    assert_eq!(
        lin.value(),
        func::vjp(smooth, &xs, &Tensor::zeros(&[3])).unwrap().0
    );
}
