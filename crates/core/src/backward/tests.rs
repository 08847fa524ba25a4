//! The sweep through its two entry points: values, seeds, refusals, higher orders.

use crate::{NodeKind, Tape, Tensor};

#[test]
fn backward_twice_gives_the_same_fresh_gradients() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![1.0, -2.0]));
    let y = (x * x * 3.0).sum();
    let first = y.backward().wrt(x);
    let second = y.backward().wrt(x);
    assert_eq!(first.as_slice(), &[6.0, -12.0]);
    assert_eq!(first, second);
}

#[test]
fn non_scalar_root_without_seed_is_an_error() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![1.0, 2.0]));
    let y = x * 2.0;
    let e = y
        .try_backward(None)
        .err()
        .expect("two-element root must be refused");
    assert_eq!(e.op, "backward");
    assert!(e.message.contains("[2]"), "{e}");
    let e = tape.try_grad(y, None, &[x]).unwrap_err();
    assert_eq!(e.op, "grad");
    // with a seed it is a vector-Jacobian product
    let g = y.backward_with(Tensor::vector(vec![1.0, 10.0]));
    assert_eq!(g.wrt(x).as_slice(), &[2.0, 20.0]);
    let seed = tape.constant(Tensor::vector(vec![1.0, 10.0]));
    assert_eq!(
        tape.grad_with(y, seed, &[x])[0].value().as_slice(),
        &[2.0, 20.0]
    );
}

#[test]
fn seed_of_wrong_shape_is_an_error() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![1.0, 2.0]));
    let e = (x * 2.0)
        .try_backward(Some(Tensor::zeros(&[3])))
        .err()
        .unwrap();
    assert!(
        e.message.contains("[3]") && e.message.contains("[2]"),
        "{e}"
    );
}

#[test]
fn unconnected_variable_gets_zero_gradient() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(1.0));
    let unused = tape.leaf(Tensor::from_vec(vec![1.0; 6], &[2, 3]));
    let y = x.exp();
    assert!(y.backward().get(unused).is_none());
    assert_eq!(y.backward().wrt(unused), Tensor::zeros(&[2, 3]));
    let g = tape.grad(y, &[x, unused]);
    assert_eq!(g[1].value(), Tensor::zeros(&[2, 3]));
    assert_eq!(g[1].kind(), NodeKind::Constant);
}

#[test]
fn gradient_with_respect_to_an_intermediate_variable() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(3.0));
    let h = x * x; // 9
    let y = h * h; // dy/dh = 2h = 18
    assert_eq!(tape.grad(y, &[h])[0].item(), 18.0);
    assert_eq!(tape.grad(y, &[y])[0].item(), 1.0);
}

#[test]
fn grads_refuse_an_intermediate_naming_its_op_and_line() {
    let tape = Tape::<f32>::new();
    let x = tape.leaf(Tensor::scalar(3.0));
    let line = line!() + 1;
    let h = x * x;
    let grads = (h * h).backward();
    let err = grads.try_wrt(h).unwrap_err();
    assert!(err.message.contains("intermediate"), "{err}");
    assert!(err.message.contains("`mul`"), "{err}");
    assert!(
        err.message.contains(&format!("{}:{line}", file!())),
        "{err}"
    );
    assert!(grads.try_get(h).is_err());
    // never a silent zero through the panicking forms either
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| grads.wrt(h)));
    assert!(caught.is_err(), "wrt(intermediate) answered");
    // leaves and constants still answer
    assert_eq!(grads.wrt(x).item(), 108.0); // d(x⁴)/dx = 4x³
    let c = tape.constant(Tensor::scalar(1.0));
    assert_eq!(grads.wrt(c).item(), 0.0);
}

#[test]
fn backward_of_a_root_without_leaves_is_refused() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(2.0));
    let y = tape.no_grad(|| x.exp() * x);
    let err = y
        .try_backward(None)
        .err()
        .expect("no_grad root must be refused");
    assert_eq!(err.op, "backward");
    assert!(err.message.contains("does not depend on any leaf"), "{err}");
    let c = tape.constant(Tensor::scalar(1.0));
    assert!((c * c).try_backward(None).is_err());
    // the recorded sweep answers zeros (a Hessian of a linear function is zero)
    assert_eq!(tape.grad(y, &[x])[0].item(), 0.0);
}

#[test]
fn detach_and_constants_block_gradients() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(2.0));
    let y = x * x.detach(); // d/dx = x (the detached factor is a constant)
    assert_eq!(y.backward().wrt(x).item(), 2.0);
    let c = tape.constant(Tensor::scalar(5.0));
    assert_eq!((c * c).kind(), NodeKind::Constant);
    assert_eq!(tape.grad(c * x, &[c])[0].item(), 0.0);
}

#[test]
fn no_grad_records_nothing_and_restores_recording() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(2.0));
    let y = tape.no_grad(|| x.exp() * x);
    assert_eq!(y.kind(), NodeKind::Constant);
    assert!(tape.is_recording());
    assert_eq!((y * x).backward().wrt(x).item(), y.item());
}

#[test]
fn variables_of_two_tapes_do_not_mix() {
    let (t1, t2) = (Tape::<f64>::new(), Tape::<f64>::new());
    let a = t1.leaf(Tensor::scalar(1.0));
    let b = t2.leaf(Tensor::scalar(2.0));
    let e = a.try_add(b).unwrap_err();
    assert_eq!(e.op, "add");
    assert!(e.message.contains("another tape"), "{e}");
    assert!(t1.try_grad(a, None, &[b]).is_err());
}

#[test]
#[should_panic(expected = "another tape")]
fn grads_refuse_a_variable_of_another_tape() {
    let (t1, t2) = (Tape::<f64>::new(), Tape::<f64>::new());
    let a = t1.leaf(Tensor::scalar(1.0));
    let b = t2.leaf(Tensor::scalar(1.0));
    let _ = (a * 2.0).backward().get(b);
}

#[test]
fn third_derivative_through_repeated_grad() {
    // f = x⁴: f' = 4x³, f'' = 12x², f''' = 24x
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(1.5));
    let f = x * x * x * x;
    let d1 = tape.grad(f, &[x])[0];
    let d2 = tape.grad(d1, &[x])[0];
    let d3 = tape.grad(d2, &[x])[0];
    assert_eq!((d1.item(), d2.item(), d3.item()), (13.5, 27.0, 36.0));
}

#[test]
fn the_tensor_sweep_holds_no_backward_nodes() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(0.5));
    let y = (x * x).exp() * x;
    let before = tape.len();
    let _ = y.backward();
    assert_eq!(tape.len(), before, "backward() must not record");
    let _ = tape.grad(y, &[x]);
    assert!(tape.len() > before, "grad() records its computation");
}

#[test]
fn f32_tapes_work_like_f64() {
    let tape = Tape::<f32>::new();
    let x = tape.leaf(Tensor::scalar(2.0f32));
    let y = x * x * x;
    assert_eq!(y.backward().wrt(x).item(), 12.0f32);
    let d1 = tape.grad(y, &[x])[0];
    assert_eq!(tape.grad(d1, &[x])[0].item(), 12.0f32);
}

#[test]
fn backward_wrt_gives_zeros_for_a_constant_root_and_still_checks_its_arguments() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![1.0, -2.0]));
    let y = tape.leaf(Tensor::scalar(0.5));
    // A recorded gradient component that depends on no leaf: d(3x + y)/dy = 1.
    let constant = tape.grad((x * 3.0).sum() + y, &[y])[0];
    assert_eq!(tape.kind(constant), NodeKind::Constant);
    assert!(constant.try_backward(None).is_err());
    let zeros = constant.try_backward_wrt(None, &[x, y]).unwrap();
    assert_eq!(zeros[0].as_slice(), &[0.0, 0.0]);
    assert_eq!(zeros[1].shape(), &[] as &[usize]);
    assert_eq!(zeros[1].item(), 0.0);
    // a wrong seed and a variable of another tape are refused all the same
    let seed = Some(Tensor::zeros(&[3]));
    let (e, line) = (constant.try_backward_wrt(seed, &[x]).unwrap_err(), line!());
    assert!(e.message.contains("seed of shape [3]"), "{e}");
    assert_eq!(e.location.line(), line);
    let other = Tape::<f64>::new();
    let z = other.leaf(Tensor::scalar(1.0));
    assert!(constant.try_backward_wrt(None, &[z]).is_err());
    // otherwise it is `backward` read at the leaves
    let f = (x * x).sum() * y;
    let grads = f.backward();
    let wrt = f.try_backward_wrt(None, &[x, y]).unwrap();
    assert_eq!(
        (wrt[0].clone(), wrt[1].clone()),
        (grads.wrt(x), grads.wrt(y))
    );
}

/// Ops that give scalar partials: `backward()` applies them instead of the VJP; the
/// numbers must be the VJP's (`Tape::grad` always runs it), bit for bit, at ordinary and
/// edge points (±0, ±∞, NaN, ties), with a seed that is not 1.
#[test]
fn scalar_partials_give_the_vjps_numbers_bit_for_bit() {
    type Unary = for<'t> fn(crate::Var<'t, f64>) -> crate::Var<'t, f64>;
    type Binary = for<'t> fn(crate::Var<'t, f64>, crate::Var<'t, f64>) -> crate::Var<'t, f64>;
    let unary: [(&str, Unary); 9] = [
        ("exp", |x| x.exp()),
        ("neg", |x| -x),
        ("relu", |x| x.relu()),
        ("abs", |x| x.abs()),
        ("tanh", |x| x.tanh()),
        ("tan", |x| x.tan()),
        ("sin", |x| x.sin()),
        ("cos", |x| x.cos()),
        ("scalars", |x| x * 1.0001 + 0.0001),
    ];
    let binary: [(&str, Binary); 4] = [
        ("add", |a, b| a + b),
        ("sub", |a, b| a - b),
        ("mul", |a, b| a * b),
        ("square", |a, _| a * a),
    ];
    let points = [
        0.7,
        -1.3,
        0.0,
        -0.0,
        1e-300,
        40.0,
        -750.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];
    let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
    for &x0 in &points {
        for (name, f) in unary {
            let tape = Tape::<f64>::new();
            let x = tape.leaf(Tensor::scalar(x0));
            let y = f(x);
            let seed = Tensor::scalar(-2.5);
            let fast = y.backward_with(seed.clone()).wrt(x).item();
            let vjp = tape.grad_with(y, tape.constant(seed), &[x])[0].item();
            assert!(same(fast, vjp), "{name} at {x0}: {fast} against {vjp}");
        }
        for &x1 in &points {
            for (name, f) in binary {
                let tape = Tape::<f64>::new();
                let (a, b) = (tape.leaf(Tensor::scalar(x0)), tape.leaf(Tensor::scalar(x1)));
                let y = f(a, b);
                let seed = Tensor::scalar(0.75);
                let fast = y.backward_with(seed.clone());
                let vjp = tape.grad_with(y, tape.constant(seed), &[a, b]);
                for (v, r) in [a, b].into_iter().zip(vjp) {
                    let (f, r) = (fast.wrt(v).item(), r.item());
                    assert!(same(f, r), "{name} at ({x0}, {x1}): {f} against {r}");
                }
            }
        }
    }
}

/// `backward()` runs scalar code in its scalar loop (`scalar.rs`) and hands over to the
/// generic sweep at the first node without partials; on an observed tape the generic
/// sweep runs throughout. Both give the same gradients, bit for bit, on a graph that fans
/// out (sums in the same order) and reaches a scalar op without partials (`sqrt`) and
/// tensor ops below it.
#[test]
fn the_scalar_loop_and_the_generic_sweep_agree_bit_for_bit() {
    struct Quiet;
    impl crate::Observer<f64> for Quiet {}
    let run = |observed: bool| {
        let tape = Tape::<f64>::new();
        let _watch = observed.then(|| tape.observe(std::rc::Rc::new(Quiet)));
        let x = tape.leaf(Tensor::scalar(0.3));
        let v = tape.leaf(Tensor::vector(vec![0.5, -1.25, 2.0]));
        let s = (v * x).sum();
        let mut h = s * x.sqrt() + x;
        for _ in 0..20 {
            h = (h * x).tanh() + h.exp() * 0.01 - x;
        }
        let g = h.backward();
        let bits = |t: Tensor<f64>| t.as_slice().iter().map(|z| z.to_bits()).collect::<Vec<_>>();
        (bits(g.wrt(x)), bits(g.wrt(v)))
    };
    assert_eq!(run(false), run(true));
}

/// A recorded node of single numbers keeps its op's partials and which of its inputs need
/// a gradient, for the scalar loop; a node without partials (`sqrt`), a tensor node and a
/// constant keep none.
#[test]
fn scalar_nodes_keep_their_partials_when_recorded() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(3.0));
    let c = tape.constant(Tensor::scalar(2.0));
    let v = tape.leaf(Tensor::vector(vec![1.0, 2.0]));
    let y = x * c;
    let z = y.sqrt();
    let w = v * x;
    let k = c * c;
    let sum = c + x;
    let nodes = tape.nodes.borrow();
    let kept = |v: crate::Var<'_, f64>| {
        let node = &nodes[v.id as usize];
        (node.partials, node.grad_inputs)
    };
    assert_eq!(kept(y), (Some([2.0, 3.0]), 0b01));
    assert_eq!(kept(z), (None, 0b1));
    assert_eq!(kept(w), (None, 0b11));
    assert_eq!(kept(k), (None, 0));
    assert_eq!(kept(sum), (Some([1.0, 1.0]), 0b10));
}
