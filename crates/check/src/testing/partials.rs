//! The kit's check of an op's [`scalar_partials`](tapegrad_core::Op::scalar_partials):
//! where it gives them, `backward()` (which applies them) and `Tape::grad` (which runs the
//! VJP) must give the same numbers, bit for bit.

use tapegrad_core::{Op, Tape, Tensor};

/// What differs between the two sweeps through the op at `xs` made rank 0 (the first
/// element of each input), described; `None` when they agree or the op gives no partials.
pub(crate) fn mismatch<O: Op<f64>>(make: &dyn Fn() -> O, xs: &[Tensor<f64>]) -> Option<String> {
    let points: Vec<f64> = xs
        .iter()
        .map(|x| x.as_slice().first().copied())
        .collect::<Option<_>>()?;
    let tape = Tape::<f64>::new();
    let leaves: Vec<_> = points
        .iter()
        .map(|&v| tape.leaf(Tensor::scalar(v)))
        .collect();
    let y = tape.try_apply(make(), &leaves).ok()?;
    make().scalar_partials(&points, y.item())?;
    let seed = Tensor::scalar(-1.25);
    let fast = y.try_backward(Some(seed.clone())).ok()?;
    let vjp = tape.try_grad(y, Some(tape.constant(seed)), &leaves).ok()?;
    for (i, (&x, r)) in leaves.iter().zip(vjp).enumerate() {
        let (f, r) = (fast.wrt(x).item(), r.item());
        if f.to_bits() != r.to_bits() && !(f.is_nan() && r.is_nan()) {
            return Some(format!(
                "its scalar partials give input {i}'s gradient {f} at {points:?}, its VJP {r}: \
                 `scalar_partials` must be the VJP's one factor"
            ));
        }
    }
    None
}
