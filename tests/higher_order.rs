//! The engine from outside, as a user sees it: the README's expression with its exact
//! first and second derivatives, a Newton step, and a Hessian-vector product on tensors.

use tapegrad::prelude::*;

/// f(x, y) = sin(xy) + eˣ / (y² + 1), and its derivatives worked out by hand.
fn f_and_derivatives(x: f64, y: f64) -> (f64, [f64; 2], [[f64; 2]; 2]) {
    let (s, c, e, q) = ((x * y).sin(), (x * y).cos(), x.exp(), y * y + 1.0);
    let f = s + e / q;
    let fx = y * c + e / q;
    let fy = x * c - 2.0 * y * e / (q * q);
    let fxx = -y * y * s + e / q;
    let fxy = c - x * y * s - 2.0 * y * e / (q * q);
    let fyy = -x * x * s - 2.0 * e / (q * q) + 8.0 * y * y * e / (q * q * q);
    (f, [fx, fy], [[fxx, fxy], [fxy, fyy]])
}

#[test]
fn readme_expression_has_exact_gradient_and_hessian() {
    for &(x0, y0) in &[(1.5, -0.5), (0.3, 2.0), (-1.0, 0.0)] {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::scalar(x0));
        let y = tape.leaf(Tensor::scalar(y0));
        let f = (x * y).sin() + x.exp() / (y * y + 1.0);
        let (want_f, want_g, want_h) = f_and_derivatives(x0, y0);
        assert!((f.item() - want_f).abs() < 1e-14);
        let g = tape.grad(f, &[x, y]);
        let eager = f.backward();
        for i in 0..2 {
            assert!((g[i].item() - want_g[i]).abs() < 1e-13, "grad {i}");
            assert_eq!(
                eager.wrt([x, y][i]).item(),
                g[i].item(),
                "both sweeps agree"
            );
            let row = tape.grad(g[i], &[x, y]);
            for j in 0..2 {
                assert!(
                    (row[j].item() - want_h[i][j]).abs() < 1e-12,
                    "hessian {i}{j}"
                );
            }
        }
    }
}

#[test]
fn newton_steps_find_the_minimum_of_a_convex_function() {
    // f(x) = eˣ - 2x has its minimum at x = ln 2
    let mut x0 = 3.0f64;
    for _ in 0..8 {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::scalar(x0));
        let f = x.exp() - x * 2.0;
        let g = tape.grad(f, &[x])[0];
        let h = tape.grad(g, &[x])[0];
        x0 -= g.item() / h.item();
    }
    assert!((x0 - 2f64.ln()).abs() < 1e-14, "{x0}");
}

#[test]
fn hessian_vector_product_on_tensors_matches_the_closed_form() {
    // f(w) = Σ tanh(A·w): ∇f = Aᵀ(1 - t²), H v = Aᵀ diag(-2t(1 - t²)) A v, t = tanh(Aw)
    let a = Tensor::<f64>::rand_normal(&[4, 3], 0.0, 1.0, 11);
    let w0 = Tensor::<f64>::rand_normal(&[3], 0.0, 1.0, 12);
    let v0 = Tensor::<f64>::rand_normal(&[3], 0.0, 1.0, 13);
    let tape = Tape::<f64>::new();
    let (av, w, v) = (
        tape.constant(a.clone()),
        tape.leaf(w0.clone()),
        tape.constant(v0.clone()),
    );
    let f = av.matmul(w).tanh().sum();
    let g = tape.grad(f, &[w])[0];
    let hv = tape.grad((g * v).sum(), &[w])[0].value();

    let z = a
        .matmul_t(&w0.reshape(&[3, 1]).unwrap(), false, false)
        .unwrap();
    let t = z.map(f64::tanh);
    let av0 = a
        .matmul_t(&v0.reshape(&[3, 1]).unwrap(), false, false)
        .unwrap();
    let d = t
        .zip_map(&av0, |t, av| -2.0 * t * (1.0 - t * t) * av)
        .unwrap();
    let want = a.matmul_t(&d, true, false).unwrap().reshape(&[3]).unwrap();
    assert!(hv.approx_eq(&want, 1e-12, 1e-12), "{hv} vs {want}");
}
