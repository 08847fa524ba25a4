//! Batched sweeps: `vjp_batch` and `jvp_batch` give what one `vjp` / `jvp` per seed gives,
//! through ops whose VJPs batch and through the others (run once per seed), and a Hessian
//! whose rows take several batches equals its rows by Hessian-vector products.

use crate::support::assert_close;
use tapegrad_core::{func, ErrorKind, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = x³` with a VJP that does not say it batches: the batched sweep runs it once per
/// cotangent.
struct CubeOneAtATime;

impl<T: Float> Op<T> for CubeOneAtATime {
    fn name(&self) -> &str {
        "cube"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(|x| x * x * x))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy * xs[0] * xs[0] * T::from_f64(3.0))].into()
    }
}

/// A function of `x0: [2, 3]` and `x1: [3]` of shape `[2, 4]` through most op families:
/// element-wise (batching) ops, `matmul` and `linear`, reductions, shape ops, a user op.
fn mixed<'t>(xs: &[Var<'t, f64>]) -> Var<'t, f64> {
    let (a, b) = (xs[0], xs[1]);
    let tape = a.tape();
    let w = a.constant(Tensor::from_fn(&[3, 4], |i| 0.1 * i as f64 - 0.5));
    let e = (a * b).tanh() + (a - b).sigmoid() * b.exp(); // broadcasting [2, 3] with [3]
    let p = e.matmul(w) + a.sum_axes(&[1], true); // [2, 4]
    let q = a.t().reshape(&[6]).narrow(0, 1, 4).softplus(); // [4]
    let r = Var::concat(&[p.narrow(1, 0, 2), p.narrow(1, 2, 2)], 1); // [2, 4]
    let s = (r * q).softmax(-1) * p.logsumexp_axes(&[1], true);
    let m = a.max_axes(&[1], true)
        * b.index_select(0, &[2, 0, 1, 2])
            .exp()
            .pow(a.sum() * 0.1 + 2.0);
    let lin = a.linear(w.t(), Some(b.index_select(0, &[0, 1, 1, 2]))); // [2, 4]
    let cube = tape.apply(CubeOneAtATime, &[s + m]);
    cube + lin.permute(&[0, 1]) / (b.sum() + 4.0)
}

fn point() -> Vec<Tensor<f64>> {
    vec![
        Tensor::from_vec(vec![0.3, -0.7, 1.1, 0.5, -0.2, 0.9], &[2, 3]),
        Tensor::from_vec(vec![0.4, 1.3, -0.6], &[3]),
    ]
}

/// Row `j` of a batch `[k] ++ shape`.
fn row(batch: &Tensor<f64>, j: usize) -> Tensor<f64> {
    let shape = &batch.shape()[1..];
    let m: usize = shape.iter().product();
    Tensor::from_slice(&batch.as_slice()[j * m..(j + 1) * m], shape)
}

#[test]
fn a_batch_of_vjps_is_one_vjp_per_cotangent() {
    let xs = point();
    let lin = func::linearize(mixed, &xs).unwrap();
    assert_eq!(lin.output_shape(), vec![2, 4]);
    let k = 5;
    let seeds = Tensor::from_fn(&[k, 2, 4], |i| ((i * 37) % 11) as f64 / 5.0 - 1.0);
    let batch = lin.vjp_batch(&seeds).unwrap();
    assert_eq!(batch[0].shape(), &[k, 2, 3]);
    assert_eq!(batch[1].shape(), &[k, 3]);
    for j in 0..k {
        let one = lin.vjp(&row(&seeds, j)).unwrap();
        for (g, all) in one.iter().zip(&batch) {
            assert_close(&row(all, j), g, 1e-12);
        }
    }
}

#[test]
fn a_batch_of_jvps_is_one_jvp_per_tangent() {
    let xs = point();
    let lin = func::linearize(mixed, &xs).unwrap();
    let k = 4;
    let t0 = Tensor::from_fn(&[k, 2, 3], |i| ((i * 13) % 7) as f64 / 3.0 - 1.0);
    let t1 = Tensor::from_fn(&[k, 3], |i| ((i * 5) % 9) as f64 / 4.0 - 1.0);
    let batch = lin.jvp_batch(&[t0.clone(), t1.clone()]).unwrap();
    assert_eq!(batch.shape(), &[k, 2, 4]);
    for j in 0..k {
        let one = lin.jvp(&[row(&t0, j), row(&t1, j)]).unwrap();
        assert_close(&row(&batch, j), &one, 1e-12);
    }
}

#[test]
fn jacobians_by_rows_and_by_columns_agree_through_every_op_family() {
    let xs = point();
    let rev = func::jacrev(mixed, &xs).unwrap();
    let fwd = func::jacfwd(mixed, &xs).unwrap();
    for (r, f) in rev.iter().zip(&fwd) {
        assert_close(r, f, 1e-12);
    }
}

#[test]
fn a_hessian_in_several_batches_has_the_rows_of_hessian_vector_products() {
    // 300 variables: a batch holds 64 KiB of a node's gradient, 27 rows of 300 f64, so
    // the 300 rows take 12 batches (the last one short)
    let n = 300;
    let f = func::function(move |xs: &[Var<'_, f64>]| {
        let x = xs[0];
        let (head, tail) = (x.narrow(0, 0, n - 1), x.narrow(0, 1, n - 1));
        let a = tail - head * head;
        (a * a * 100.0 + (-head + 1.0).powi(2)).sum() + x.logsumexp() * x.sin().sum()
    });
    let x = [Tensor::from_fn(&[n], |i| {
        0.5 + 0.3 * (i as f64 * 0.7).sin()
    })];
    let h = func::hessian(f, &x).unwrap();
    assert_eq!(h[0][0].shape(), &[n, n]);
    for r in [0, 1, 26, 27, 28, 150, 298, 299] {
        let e = Tensor::from_fn(&[n], |i| f64::from(i == r));
        let hv = func::hvp(f, &x, &[e]).unwrap();
        let got = Tensor::from_slice(&h[0][0].as_slice()[r * n..(r + 1) * n], &[n]);
        assert_close(&got, &hv[0], 1e-12);
    }
}

#[test]
fn batches_of_the_wrong_shape_are_refused() {
    let xs = point();
    let lin = func::linearize(mixed, &xs).unwrap();
    let e = lin.vjp_batch(&Tensor::zeros(&[3, 4, 2])).unwrap_err();
    assert_eq!(e.op, "vjp_batch");
    assert!(
        matches!(e.kind(), ErrorKind::ShapeMismatch { .. }) && e.message.contains("[3, 4, 2]"),
        "{e}"
    );
    assert!(e.location.file().ends_with("batched.rs"), "{}", e.location);
    assert!(lin.vjp_batch(&Tensor::scalar(1.0)).is_err());
    // tangents whose batches differ in length
    let e = lin
        .jvp_batch(&[Tensor::zeros(&[2, 2, 3]), Tensor::zeros(&[3, 3])])
        .unwrap_err();
    assert_eq!(e.op, "jvp_batch");
    assert!(e.message.contains("same length"), "{e}");
    let e = lin.jvp_batch(&[Tensor::zeros(&[2, 2, 3])]).unwrap_err();
    assert_eq!(e.op, "jvp_batch");
    // an empty batch is no error
    let none = lin.vjp_batch(&Tensor::zeros(&[0, 2, 4])).unwrap();
    assert_eq!(
        (none[0].shape(), none[1].shape()),
        (&[0, 2, 3][..], &[0, 3][..])
    );
}

/// Every op whose VJP says it batches, on its own and twice (a Hessian's rows go through
/// the op's VJP and through the ops of that VJP): batches against one seed at a time.
#[test]
fn every_batching_op_agrees_with_one_seed_at_a_time() {
    type Unary = for<'t> fn(Var<'t, f64>) -> Var<'t, f64>;
    let unary: [(&str, Unary); 19] = [
        ("exp", |x| x.exp()),
        ("log", |x| x.log()),
        ("log1p", |x| x.log1p()),
        ("expm1", |x| x.expm1()),
        ("tanh", |x| x.tanh()),
        ("sigmoid", |x| x.sigmoid()),
        ("softplus", |x| x.softplus()),
        ("sqrt", |x| x.sqrt()),
        ("sin", |x| x.sin()),
        ("cos", |x| x.cos()),
        ("tan", |x| x.tan()),
        ("abs", |x| x.abs()),
        ("relu", |x| x.relu()),
        ("recip", |x| x.recip()),
        ("powi", |x| x.powi(3)),
        ("powf", |x| x.powf(1.5)),
        ("neg", |x| -x),
        ("scalars", |x| (x * 2.0 + 1.0) / 3.0 + 1.0 / (x + 2.0)),
        ("shape-ops", |x| {
            let m = x.reshape(&[2, 3]);
            let s = m.sum_axes(&[0], true).broadcast_to(&[2, 3]) * m;
            let c = Var::concat(&[s.narrow(1, 1, 2), s.narrow(1, 0, 1)], 1);
            c.reshape(&[6]) + x.logsumexp() + x.sum_to(&[1]) * 0.5
        }),
    ];
    let x = Tensor::from_vec(vec![0.3, 1.7, 0.9, 2.2, 0.6, 1.1], &[6]);
    let y = Tensor::from_vec(vec![1.4, 0.2, 2.5, 0.8, 1.9, 0.5], &[6]);
    let seeds = Tensor::from_fn(&[4, 6], |i| ((i * 29) % 13) as f64 / 6.0 - 1.0);
    let check = |name: &str, lin: func::Linearization<f64>| {
        let batch = lin.vjp_batch(&seeds).unwrap();
        for j in 0..4 {
            for (one, all) in lin.vjp(&row(&seeds, j)).unwrap().iter().zip(&batch) {
                let got = row(all, j);
                assert!(
                    got.approx_eq(one, 1e-12, 1e-12),
                    "{name}, seed {j}: {got:?} {one:?}"
                );
            }
        }
    };
    for (name, f) in unary {
        let g = func::function(move |xs: &[Var<'_, f64>]| f(xs[0]) * f(xs[0]).sin());
        check(name, func::linearize(g, std::slice::from_ref(&x)).unwrap());
    }
    type Binary = for<'t> fn(Var<'t, f64>, Var<'t, f64>) -> Var<'t, f64>;
    let binary: [(&str, Binary); 7] = [
        ("add", |a, b| a + b),
        ("sub", |a, b| a - b),
        ("mul", |a, b| a * b),
        ("div", |a, b| a / b),
        ("pow", |a, b| a.pow(b)),
        ("maximum", |a, b| a.maximum(b)),
        ("minimum", |a, b| a.minimum(b)),
    ];
    for (name, f) in binary {
        let g = func::function(move |xs: &[Var<'_, f64>]| f(xs[0], xs[1]).exp() * f(xs[1], xs[0]));
        check(name, func::linearize(g, &[x.clone(), y.clone()]).unwrap());
        // second order: the Hessian's batched rows against Hessian-vector products
        let s = func::function(move |xs: &[Var<'_, f64>]| f(xs[0], xs[1]).sin().sum());
        let h = func::hessian(s, &[x.clone(), y.clone()]).unwrap();
        for r in 0..6 {
            let e = Tensor::from_fn(&[6], |i| f64::from(i == r));
            let hv = func::hvp(s, &[x.clone(), y.clone()], &[e, Tensor::zeros(&[6])]).unwrap();
            for (b, column) in hv.iter().enumerate() {
                let got = Tensor::from_slice(&h[0][b].as_slice()[r * 6..(r + 1) * 6], &[6]);
                assert!(
                    got.approx_eq(column, 1e-12, 1e-12),
                    "{name}: H[0][{b}] row {r}"
                );
            }
        }
    }
}
