//! A user op whose VJP differentiates something itself (nested differentiation) works
//! through both entry points: `Tape::grad` (recorded) and `Var::backward` (tensors).

use tapegrad_core::{Float, InputGrads, Op, Tape, Tensor, TensorError, Var};

/// `y = x³` (element-wise), whose VJP finds `dy/dx = 3x²` by differentiating `sum(x³)`
/// with `tape.grad` inside the VJP, as an op defined implicitly through an inner solve
/// would.
struct CubeByInnerGrad;

impl<T: Float> Op<T> for CubeByInnerGrad {
    fn name(&self) -> &str {
        "cube_by_inner_grad"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(|x| x * x * x))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let x = xs[0];
        let inner = (x * x * x).sum();
        let slope = x.tape().grad(inner, &[x])[0]; // 3x², recorded: differentiable again
        [Some(dy * slope)].into()
    }
}

/// The same op, its VJP calling `backward()` inside: first order only (the gradient comes
/// back as a tensor, a constant for the outer computation).
struct CubeByInnerBackward;

impl<T: Float> Op<T> for CubeByInnerBackward {
    fn name(&self) -> &str {
        "cube_by_inner_backward"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(|x| x * x * x))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let x = xs[0];
        let slope = (x * x * x).sum().backward().wrt(x);
        [Some(dy * x.constant(slope))].into()
    }
}

fn nested_grad_through_both_sweeps<T: Float>() {
    let tape = Tape::<T>::new();
    let x = tape.leaf(Tensor::vector(vec![T::from_f64(0.5), T::from_f64(-2.0)]));
    let h = x + x; // an op node below the user op
    let f = tape.apply(CubeByInnerGrad, &[h]).sum(); // sum((2x)³): df/dx = 24x²
    let want = [T::from_f64(6.0), T::from_f64(96.0)];
    assert_eq!(f.backward().wrt(x).as_slice(), &want);
    let len = tape.len();
    assert_eq!(f.backward().wrt(x).as_slice(), &want, "twice, same answer");
    assert_eq!(tape.len(), len, "backward() leaves nothing on the tape");
    let g = tape.grad(f, &[x])[0];
    assert_eq!(g.value().as_slice(), &want);
    // second order through the nested grad: d²f/dx² = 48x
    let h2 = tape.grad(g.sum(), &[x])[0];
    assert_eq!(
        h2.value().as_slice(),
        &[T::from_f64(24.0), T::from_f64(-96.0)]
    );
    // ... and the tensor sweep on a recorded gradient
    assert_eq!(
        g.sum().backward().wrt(x).as_slice(),
        &[T::from_f64(24.0), T::from_f64(-96.0)]
    );
}

#[test]
fn nested_grad_in_a_vjp_works_through_both_sweeps_f64() {
    nested_grad_through_both_sweeps::<f64>();
}

#[test]
fn nested_grad_in_a_vjp_works_through_both_sweeps_f32() {
    nested_grad_through_both_sweeps::<f32>();
}

#[test]
fn nested_backward_in_a_vjp_works_through_both_sweeps() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![1.0, 3.0]));
    let f = tape.apply(CubeByInnerBackward, &[x]).sum();
    assert_eq!(f.backward().wrt(x).as_slice(), &[3.0, 27.0]);
    assert_eq!(tape.grad(f, &[x])[0].value().as_slice(), &[3.0, 27.0]);
    // under no_grad as well: the sweep records what the nested call needs, then forgets it
    let g = tape.no_grad(|| f.backward().wrt(x));
    assert_eq!(g.as_slice(), &[3.0, 27.0]);
}

#[test]
fn nested_grad_in_a_vjp_under_no_grad_still_records_what_it_needs() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(2.0));
    let f = tape.apply(CubeByInnerGrad, &[x]);
    assert_eq!(tape.no_grad(|| f.backward().wrt(x).item()), 12.0);
}
