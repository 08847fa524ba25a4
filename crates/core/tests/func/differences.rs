//! Each transform against central differences (f64) and against the others: `jvp` is
//! `jacobian · v`, `hvp` is `hessian · v`, `jacrev` equals `jacfwd`, the Hessian is
//! symmetric; and f32 agrees with f64.

use crate::support::{assert_close, central_jacobian, contract, smooth, smooth_scalar, wavy};
use tapegrad_core::{func, Tensor, Var};

fn inputs() -> [Tensor<f64>; 2] {
    [wavy(&[2, 3], 0.1), wavy(&[3], 2.0)]
}

#[test]
fn jacobians_match_central_differences() {
    let xs = inputs();
    let want = central_jacobian(smooth, &xs, 1e-5);
    for got in [
        func::jacrev(smooth, &xs).unwrap(),
        func::jacfwd(smooth, &xs).unwrap(),
    ] {
        assert_eq!(got[0].shape(), &[2, 3, 2, 3]);
        assert_eq!(got[1].shape(), &[2, 3, 3]);
        for (g, w) in got.iter().zip(&want) {
            assert_close(g, w, 1e-7);
        }
    }
}

#[test]
fn gradient_and_hessian_match_central_differences() {
    let xs = inputs();
    let grad = func::grad(smooth_scalar, &xs).unwrap();
    let want = central_jacobian(smooth_scalar, &xs, 1e-5);
    for (g, w) in grad.iter().zip(&want) {
        assert_close(g, w, 1e-7);
    }
    // second order: the Hessian's row block i is the central difference of gradient i
    let h = func::hessian(smooth_scalar, &xs).unwrap();
    for (i, block_row) in h.iter().enumerate() {
        let grad_i =
            func::function(move |xs: &[Var<'_, f64>]| xs[0].tape().grad(smooth_scalar(xs), xs)[i]);
        let want = central_jacobian(grad_i, &xs, 1e-5);
        for (got, want) in block_row.iter().zip(&want) {
            assert_close(got, want, 1e-6);
        }
    }
}

#[test]
fn hessian_is_symmetric_to_rounding() {
    let xs = inputs();
    let h = func::hessian(smooth_scalar, &xs).unwrap();
    let n = [6, 3];
    for i in 0..2 {
        for j in 0..2 {
            for a in 0..n[i] {
                for b in 0..n[j] {
                    let (hab, hba) = (
                        h[i][j].as_slice()[a * n[j] + b],
                        h[j][i].as_slice()[b * n[i] + a],
                    );
                    assert!(
                        (hab - hba).abs() <= 1e-13 * hab.abs().max(1.0),
                        "H[{i}{a}][{j}{b}] {hab} vs {hba}"
                    );
                }
            }
        }
    }
}

#[test]
fn jvp_is_jacobian_times_v_and_vjp_is_u_times_jacobian() {
    let xs = inputs();
    let v = [wavy(&[2, 3], 5.0), wavy(&[3], 7.0)];
    let j = func::jacobian(smooth, &xs).unwrap();
    let (_, jv) = func::jvp(smooth, &xs, &v).unwrap();
    let want: Vec<f64> = contract(&j[0], &v[0])
        .iter()
        .zip(contract(&j[1], &v[1]))
        .map(|(a, b)| a + b)
        .collect();
    assert_close(&jv, &Tensor::from_vec(want, &[2, 3]), 1e-12);
    let u = wavy(&[2, 3], 3.0);
    let (_, uj) = func::vjp(smooth, &xs, &u).unwrap();
    for (i, x) in xs.iter().enumerate() {
        // uᵀJ: contract J's output axes, i.e. J transposed as an (n × m) matrix times u
        let (m, n) = (u.len(), x.len());
        let want: Vec<f64> = (0..n)
            .map(|c| {
                (0..m)
                    .map(|r| u.as_slice()[r] * j[i].as_slice()[r * n + c])
                    .sum()
            })
            .collect();
        assert_close(&uj[i], &Tensor::from_vec(want, x.shape()), 1e-12);
    }
}

#[test]
fn hvp_is_hessian_times_v() {
    let xs = inputs();
    let v = [wavy(&[2, 3], 5.0), wavy(&[3], 7.0)];
    let h = func::hessian(smooth_scalar, &xs).unwrap();
    let hv = func::hvp(smooth_scalar, &xs, &v).unwrap();
    for i in 0..2 {
        let want: Vec<f64> = contract(&h[i][0], &v[0])
            .iter()
            .zip(contract(&h[i][1], &v[1]))
            .map(|(a, b)| a + b)
            .collect();
        assert_close(&hv[i], &Tensor::from_vec(want, xs[i].shape()), 1e-12);
    }
}

#[test]
fn f32_agrees_with_f64() {
    let xs = inputs();
    let xs32 = xs.clone().map(|x| x.cast::<f32>());
    let (j64, j32) = (
        func::jacfwd(smooth, &xs).unwrap(),
        func::jacfwd(smooth, &xs32).unwrap(),
    );
    let (h64, h32) = (
        func::hessian(smooth_scalar, &xs).unwrap(),
        func::hessian(smooth_scalar, &xs32).unwrap(),
    );
    for i in 0..2 {
        assert_close(&j32[i].cast::<f64>(), &j64[i], 1e-5);
        for j in 0..2 {
            assert_close(&h32[i][j].cast::<f64>(), &h64[i][j], 1e-4);
        }
    }
}
