//! The kit's checks of an op's shortcuts on single numbers:
//! [`scalar_forward`](tapegrad_core::Op::scalar_forward) must be `forward`'s value, and
//! where it gives [`scalar_partials`](tapegrad_core::Op::scalar_partials), `backward()`
//! (which applies them) and `Tape::grad` (which runs the VJP) must give the same numbers,
//! bit for bit; and of its fused activation:
//! [`forward_into_then`](tapegrad_core::Op::forward_into_then) must be `forward`'s values
//! with the activation applied where it says it applied it.

use tapegrad_core::{Activation, Op, Tape, Tensor};

/// What differs between the two sweeps through the op at `xs` made rank 0 (the first
/// element of each input), described; `None` when they agree or the op gives no partials.
pub(crate) fn mismatch<O: Op<f64>>(make: &dyn Fn() -> O, xs: &[Tensor<f64>]) -> Option<String> {
    let points = first_elements(xs)?;
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
        if !same_bits(f, r) {
            return Some(format!(
                "its scalar partials give input {i}'s gradient {f} at {points:?}, its VJP {r}: \
                 `scalar_partials` must be the VJP's one factor"
            ));
        }
    }
    None
}

/// How the op's [`scalar_forward`](Op::scalar_forward) differs from its `forward` at `xs`
/// made rank 0 (the first element of each input), described; `None` when they agree, the
/// op gives no `scalar_forward`, or `forward` refuses.
pub(crate) fn forward_mismatch<O: Op<f64>>(
    make: &dyn Fn() -> O,
    xs: &[Tensor<f64>],
) -> Option<String> {
    let points = first_elements(xs)?;
    let fast = make().scalar_forward(&points)?;
    let tensors: Vec<Tensor<f64>> = points.iter().map(|&v| Tensor::scalar(v)).collect();
    let refs: Vec<&Tensor<f64>> = tensors.iter().collect();
    let y = make().forward(&refs).ok()?.item();
    (!same_bits(fast, y)).then(|| {
        format!(
            "its scalar_forward gives {fast} at {points:?}, its forward {y}: `scalar_forward` \
             must be forward's value, to the bit"
        )
    })
}

/// How the op's [`forward_into_then`](Op::forward_into_then) differs from `forward`
/// followed by each activation (or by nothing, where it says it did not apply it) at
/// `xs`, described; `None` when they agree or `forward` refuses.
pub(crate) fn then_mismatch<O: Op<f64>>(
    make: &dyn Fn() -> O,
    xs: &[Tensor<f64>],
) -> Option<String> {
    Activation::ALL
        .into_iter()
        .find_map(|then| then_mismatch_with(make, xs, then))
}

/// [`then_mismatch`] for one activation.
fn then_mismatch_with<O: Op<f64>>(
    make: &dyn Fn() -> O,
    xs: &[Tensor<f64>],
    then: Activation,
) -> Option<String> {
    let refs: Vec<&Tensor<f64>> = xs.iter().collect();
    let y = make().forward(&refs).ok()?;
    let mut out = Tensor::scalar(0.0);
    let applied = match make().forward_into_then(&refs, &mut out, then) {
        Ok(applied) => applied,
        Err(e) => {
            return Some(format!(
                "its forward_into_then refused what forward takes: {e}"
            ))
        }
    };
    if out.shape() != y.shape() {
        return Some(format!(
            "its forward_into_then gives shape {:?}, its forward {:?}",
            out.shape(),
            y.shape()
        ));
    }
    let done = if applied { "applied" } else { "not applied" };
    let want = y
        .as_slice()
        .iter()
        .map(|&v| if applied { then.apply(v) } else { v });
    let (i, (got, expected)) = out
        .as_slice()
        .iter()
        .zip(want)
        .enumerate()
        .find(|(_, (&got, want))| !same_bits(got, *want))?;
    Some(format!(
        "its forward_into_then({then:?}) gives {got} at element {i} where {expected} is due \
         (forward's value {fwd}, {then:?} {done}): it must give forward's values with `then` \
         applied (to the bit) where it returns true, and forward's values where it returns \
         false",
        fwd = y.as_slice()[i]
    ))
}

/// The first element of each input: the single numbers both checks run the op at;
/// `None` when an input is empty.
fn first_elements(xs: &[Tensor<f64>]) -> Option<Vec<f64>> {
    xs.iter().map(|x| x.as_slice().first().copied()).collect()
}

/// Equal to the bit, or both NaN (whose payloads may differ).
fn same_bits(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}
