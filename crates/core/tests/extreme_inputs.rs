//! Extreme sizes, offsets and axes (0, 1, 2, 2³², 2⁶², 2⁶² + 1, `usize::MAX`, `isize::MIN`,
//! `isize::MAX`) fed to every constructor and every `try_` op, forward and backward: the
//! answer is an `Err` or a correct result, never a panic, an abort or a hang.
//!
//! # Design
//! The address space of this test binary is capped (see `cap_memory`), so that a result
//! that is valid but enormous (a `[2³²]` tensor: 16 GB) fails to allocate at once instead
//! of being granted lazily by Linux overcommit and then written page by page.

use proptest::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use tapegrad_core::tensor::try_numel;
use tapegrad_core::{Error, Float, IndexTensor, Tape, Tensor, Var};

/// Caps the address space at 4 GiB, once for the whole binary.
fn cap_memory() {
    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            #[repr(C)]
            struct RLimit {
                cur: u64,
                max: u64,
            }
            extern "C" {
                fn setrlimit(resource: i32, limit: *const RLimit) -> i32;
            }
            const RLIMIT_AS: i32 = 9;
            let limit = RLimit {
                cur: 4 << 30,
                max: u64::MAX,
            };
            // SAFETY: plain libc call with a valid pointer to a `struct rlimit`.
            let rc = unsafe { setrlimit(RLIMIT_AS, &limit) };
            assert_eq!(rc, 0, "setrlimit failed");
        });
    }
}

const HUGE: usize = 1 << 62;

fn extent() -> impl Strategy<Value = usize> {
    prop_oneof![
        4 => 0usize..4,
        1 => Just(1usize << 32),
        1 => Just(HUGE),
        1 => Just(HUGE + 1),
        1 => Just(usize::MAX),
    ]
}

fn dims() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(extent(), 0..=3)
}

fn axis() -> impl Strategy<Value = isize> {
    prop_oneof![
        4 => -3isize..3,
        1 => Just(isize::MIN),
        1 => Just(isize::MAX),
    ]
}

/// A tensor of `shape` with small distinct values, if one can be made.
fn make<T: Float>(shape: &[usize]) -> Option<Tensor<T>> {
    Tensor::try_from_fn(shape, |i| T::from_f64(0.5 + 0.3 * (i as f64 * 0.7).sin())).ok()
}

/// Runs `f` and turns a panic into a test failure naming the case.
fn no_panic<R>(case: &str, f: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{case}: panicked: {msg}")
        }
    }
}

/// Applies `op` to leaves holding `inputs`; when it succeeds, checks the value's length,
/// then runs both backward sweeps with a seed of ones and checks the gradients' shapes.
fn exercise<T: Float>(
    case: &str,
    inputs: &[Tensor<T>],
    op: impl for<'t> Fn(&[Var<'t, T>]) -> Result<Var<'t, T>, Error>,
) {
    no_panic(case, || {
        let tape = Tape::<T>::new();
        let xs: Vec<_> = inputs.iter().map(|x| tape.leaf(x.clone())).collect();
        let Ok(y) = op(&xs) else {
            return;
        };
        let value = y.value();
        assert_eq!(Ok(value.len()), try_numel(value.shape()), "{case}");
        let Ok(seed) = Tensor::try_ones(value.shape()) else {
            return;
        };
        if let Ok(grads) = y.try_backward(Some(seed.clone())) {
            for (x, t) in xs.iter().zip(inputs) {
                if let Some(g) = grads.get(*x) {
                    assert_eq!(g.shape(), t.shape(), "{case}: gradient shape");
                }
            }
        }
        if let Ok(grads) = tape.try_grad(y, Some(tape.constant(seed)), &xs) {
            for (g, t) in grads.iter().zip(inputs) {
                assert_eq!(g.shape().as_slice(), t.shape(), "{case}: recorded gradient");
            }
        }
    });
}

fn constructors<T: Float>(shape: &[usize], start: usize, len: usize) {
    let case = format!("{} constructors of {shape:?}", T::NAME);
    no_panic(&case, || {
        let n = try_numel(shape);
        // A few elements must always work; more may be refused, but only with an `Err`.
        let small = matches!(n, Ok(n) if n <= 64);
        for t in [
            Tensor::<T>::try_zeros(shape),
            Tensor::try_ones(shape),
            Tensor::try_full(shape, T::from_f64(2.5)),
            Tensor::try_from_fn(shape, |i| T::from_f64(i as f64)),
        ] {
            match t {
                Ok(t) => assert_eq!(Ok(t.len()), n, "{case}"),
                Err(e) => assert!(!small, "{case}: {e}"),
            }
        }
        let empty = Tensor::<T>::try_from_vec(vec![], shape);
        assert_eq!(empty.is_ok(), n == Ok(0), "{case}");
        let index = IndexTensor::try_from_vec(vec![], shape);
        assert_eq!(index.is_ok(), n == Ok(0), "{case}");
        if let Ok(one) = Tensor::<T>::try_from_vec(vec![T::ONE], &[1]) {
            assert_eq!(one.reshape(shape).is_ok(), n == Ok(1), "{case}");
        }
        // the infallible forms refuse with a panic at this line, never an abort
        for t in [
            catch_unwind(|| Tensor::<T>::zeros(shape)),
            catch_unwind(|| Tensor::<T>::arange(len)),
            catch_unwind(|| Tensor::<T>::linspace(T::ZERO, T::ONE, start)),
        ] {
            if let Err(p) = t {
                let msg = p.downcast_ref::<String>().cloned().unwrap_or_default();
                assert!(msg.contains(file!()), "{case}: {msg}");
            }
        }
    });
}

fn shape_ops<T: Float>(shape: &[usize], other: &[usize], ax: isize, start: usize, len: usize) {
    let Some(x) = make::<T>(shape) else {
        return;
    };
    let case = |op: &str| {
        format!(
            "{} {op} on {shape:?} ({other:?}, axis {ax}, {start}, {len})",
            T::NAME
        )
    };
    let one = std::slice::from_ref(&x);
    exercise(&case("reshape"), one, |v| v[0].try_reshape(other));
    exercise(&case("broadcast_to"), one, |v| v[0].try_broadcast_to(other));
    exercise(&case("sum_to"), one, |v| v[0].try_sum_to(other));
    exercise(&case("narrow"), one, |v| v[0].try_narrow(ax, start, len));
    let perm: Vec<usize> = (0..shape.len()).rev().collect();
    exercise(&case("permute"), one, |v| v[0].try_permute(&perm));
    exercise(&case("transpose"), one, |v| v[0].try_transpose(ax, -1));
    exercise(&case("t"), one, |v| v[0].try_t());
    exercise(&case("index_select"), one, |v| {
        v[0].try_index_select(ax, &[start, 0, len.min(1)])
    });
    if let Ok(index) =
        IndexTensor::try_from_vec(vec![start; try_numel(other).unwrap_or(0).min(64)], other)
    {
        exercise(&case("gather"), one, |v| v[0].try_gather(ax, &index));
    }
    let pair = [x.clone(), x.clone()];
    exercise(&case("concat"), &pair, |v| Var::try_concat(v, ax));
    exercise(&case("stack"), &pair, |v| Var::try_stack(v, ax));
    if let Some(y) = make::<T>(other) {
        let pair = [x.clone(), y];
        exercise(&case("concat2"), &pair, |v| Var::try_concat(v, ax));
    }
}

fn arithmetic_ops<T: Float>(shape: &[usize], other: &[usize], ax: isize) {
    let (Some(x), Some(y)) = (make::<T>(shape), make::<T>(other)) else {
        return;
    };
    let case = |op: &str| format!("{} {op} on {shape:?}, {other:?} (axis {ax})", T::NAME);
    let one = std::slice::from_ref(&x);
    let pair = [x.clone(), y.clone()];
    exercise(&case("unary"), one, |v| {
        let x = v[0];
        Ok(x.exp()
            + x.log()
            + x.sqrt()
            + x.tanh()
            + x.sigmoid()
            + x.relu()
            + x.abs()
            + x.sin()
            + x.cos()
            + x.tan()
            + x.recip()
            + x.softplus()
            + x.powi(3)
            + x.powf(T::from_f64(1.5))
            - x)
    });
    exercise(&case("add"), &pair, |v| v[0].try_add(v[1]));
    exercise(&case("sub"), &pair, |v| v[0].try_sub(v[1]));
    exercise(&case("mul"), &pair, |v| v[0].try_mul(v[1]));
    exercise(&case("div"), &pair, |v| v[0].try_div(v[1]));
    exercise(&case("pow"), &pair, |v| v[0].try_pow(v[1]));
    exercise(&case("maximum"), &pair, |v| v[0].try_maximum(v[1]));
    exercise(&case("minimum"), &pair, |v| v[0].try_minimum(v[1]));
    exercise(&case("select"), &pair, |v| Var::try_select(&y, v[0], v[1]));
    exercise(&case("matmul"), &pair, |v| v[0].try_matmul(v[1]));
    exercise(&case("linear"), &pair, |v| v[0].try_linear(v[1], None));
    exercise(&case("linear+b"), &pair, |v| {
        v[0].try_linear(v[1], Some(v[0]))
    });
    exercise(&case("sum"), one, |v| Ok(v[0].sum() + v[0].mean()));
    exercise(&case("sum_axes"), one, |v| v[0].try_sum_axes(&[ax], true));
    exercise(&case("mean_axes"), one, |v| {
        v[0].try_mean_axes(&[ax, -1], false)
    });
    exercise(&case("max_axes"), one, |v| v[0].try_max_axes(&[ax], false));
    exercise(&case("min_axes"), one, |v| v[0].try_min_axes(&[ax], true));
    exercise(&case("logsumexp"), one, |v| {
        v[0].try_logsumexp_axes(&[ax], false)
    });
    exercise(&case("softmax"), one, |v| v[0].try_softmax(ax));
    exercise(&case("log_softmax"), one, |v| v[0].try_log_softmax(ax));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn constructors_refuse_or_build(shape in dims(), start in extent(), len in extent()) {
        cap_memory();
        constructors::<f32>(&shape, start, len);
        constructors::<f64>(&shape, start, len);
    }

    #[test]
    fn shape_ops_refuse_or_answer(
        shape in dims(), other in dims(), ax in axis(), start in extent(), len in extent()
    ) {
        cap_memory();
        shape_ops::<f32>(&shape, &other, ax, start, len);
        shape_ops::<f64>(&shape, &other, ax, start, len);
    }

    #[test]
    fn arithmetic_ops_refuse_or_answer(shape in dims(), other in dims(), ax in axis()) {
        cap_memory();
        arithmetic_ops::<f32>(&shape, &other, ax);
        arithmetic_ops::<f64>(&shape, &other, ax);
    }
}

// The specific cases of issue 9, each for f32 and f64.

fn try_from_vec_rejects_an_overflowing_shape_for<T: Float>() {
    let e = Tensor::<T>::try_from_vec(vec![], &[1 << 32, 1 << 32]).unwrap_err();
    assert!(e.message().contains("[4294967296, 4294967296]"), "{e}");
    assert!(Tensor::<T>::try_zeros(&[1 << 32, 1 << 32]).is_err());
    assert!(IndexTensor::try_from_vec(vec![], &[1 << 32, 1 << 32]).is_err());
    let x = Tensor::<T>::zeros(&[4, 3]);
    let e = x.reshape(&[4, HUGE + 1]).unwrap_err();
    assert!(e.message().contains("[4, 4611686018427387905]"), "{e}");
    let empty = Tensor::<T>::zeros(&[2, 0]);
    assert!(empty.narrow(1, 3, usize::MAX).is_err());
    assert!(empty.broadcast_to(&[1 << 32, 1 << 32, 2, 0]).is_ok());
    assert!(Tensor::<T>::zeros(&[1, 2])
        .broadcast_to(&[1 << 63, 2])
        .is_err());
}

#[test]
fn try_from_vec_rejects_an_overflowing_shape() {
    try_from_vec_rejects_an_overflowing_shape_for::<f32>();
    try_from_vec_rejects_an_overflowing_shape_for::<f64>();
}

fn matmul_of_overflowing_shapes_is_an_error_for<T: Float>() {
    cap_memory();
    let tape = Tape::<T>::new();
    let a = tape.leaf(Tensor::zeros(&[1 << 32, 0]));
    let b = tape.leaf(Tensor::zeros(&[0, 1 << 32]));
    let e = a.try_matmul(b).unwrap_err();
    assert!(e.message.contains("[4294967296, 4294967296]"), "{e}");
    // a wrapping batch: [2⁶², 2, 0] x [2⁶², 0, 3] would be 2⁶³·3 zeros
    let a = tape.leaf(Tensor::zeros(&[HUGE, 2, 0]));
    let b = tape.leaf(Tensor::zeros(&[HUGE, 0, 3]));
    assert!(a.try_matmul(b).is_err());
}

#[test]
fn matmul_of_overflowing_shapes_is_an_error_not_a_crash() {
    matmul_of_overflowing_shapes_is_an_error_for::<f32>();
    matmul_of_overflowing_shapes_is_an_error_for::<f64>();
}

/// Each of these walked 2⁶² empty rows before (a hang); now they return at once.
fn huge_empty_tensors_are_immediate_for<T: Float>() {
    let x = Tensor::<T>::zeros(&[HUGE, 2, 0]);
    assert_eq!(x.narrow(1, 0, 1).unwrap().shape(), &[HUGE, 1, 0]);
    assert_eq!(Tensor::concat(&[&x, &x], 1).unwrap().shape(), &[HUGE, 4, 0]);
    let row = Tensor::<T>::zeros(&[1, 2, 0]);
    assert_eq!(
        row.broadcast_to(&[HUGE, 2, 0]).unwrap().shape(),
        &[HUGE, 2, 0]
    );
    assert_eq!(x.permute(&[2, 0, 1]).unwrap().shape(), &[0, HUGE, 2]);
    assert_eq!(
        x.index_select(1, &[1, 1, 0]).unwrap().shape(),
        &[HUGE, 3, 0]
    );
    assert_eq!(x.sum_to(&[1, 2, 0]).unwrap().shape(), &[1, 2, 0]);
    assert_eq!(
        x.reduce_axes(&[1], false, T::ZERO, |a, b| a + b)
            .unwrap()
            .shape(),
        &[HUGE, 0]
    );
    assert_eq!(
        x.zip_map(&row, |a, b| a + b).unwrap().shape(),
        &[HUGE, 2, 0]
    );
    let index = IndexTensor::try_from_vec(vec![], &[HUGE, 1, 0]).unwrap();
    assert_eq!(x.gather(1, &index).unwrap().shape(), &[HUGE, 1, 0]);
    assert_eq!(x.matmul_t(&x, true, false).unwrap().shape(), &[HUGE, 0, 0]);
    let tape = Tape::<T>::new();
    let v = tape.leaf(x.clone());
    let y = v.narrow(1, 0, 1) * T::from_f64(2.0);
    assert_eq!(y.sum().backward().wrt(v).shape(), &[HUGE, 2, 0]);
}

#[test]
fn narrow_of_a_huge_empty_tensor_is_immediate() {
    huge_empty_tensors_are_immediate_for::<f32>();
    huge_empty_tensors_are_immediate_for::<f64>();
}

fn empty_tensors_behave_as_in_pytorch_for<T: Float>() {
    let tape = Tape::<T>::new();
    let a = tape.leaf(Tensor::zeros(&[0, 3]));
    let b = tape.leaf(Tensor::zeros(&[0, 3]));
    let grads = (a + b).sum().backward();
    assert_eq!(grads.wrt(a).shape(), &[0, 3]);
    assert_eq!(grads.wrt(b).shape(), &[0, 3]);
    // bias-like broadcast of an empty batch: the bias gradient is a sum of nothing
    let bias = tape.leaf(Tensor::ones(&[3]));
    assert_eq!(
        (a + bias).sum().backward().wrt(bias).as_slice(),
        &[T::ZERO; 3]
    );
    assert_eq!(
        Tensor::<T>::zeros(&[0, 3])
            .sum_to(&[1, 3])
            .unwrap()
            .as_slice(),
        &[T::ZERO; 3]
    );
    // sum of nothing 0, mean NaN, max an error
    assert_eq!(a.sum().item(), T::ZERO);
    assert!(a.mean().item().is_nan());
    assert_eq!(a.sum_axes(&[0], false).value().as_slice(), &[T::ZERO; 3]);
    assert!(a.try_max_axes(&[0], false).is_err());
    assert_eq!(a.max_axes(&[1], false).shape().as_slice(), &[0]);
    // [2, 0] x [0, 3] = zeros [2, 3], and the gradients are empty
    let m = tape.leaf(Tensor::zeros(&[2, 0]));
    let n = tape.leaf(Tensor::zeros(&[0, 3]));
    let p = m.matmul(n);
    assert_eq!(p.value(), Tensor::zeros(&[2, 3]));
    let grads = p.sum().backward();
    assert_eq!(grads.wrt(m).shape(), &[2, 0]);
    assert_eq!(grads.wrt(n).shape(), &[0, 3]);
    // softmax of an empty batch is empty, with no huge temporary of row maxima
    cap_memory();
    let e = tape.leaf(Tensor::zeros(&[1 << 32, 0]));
    let s = e.try_softmax(1).unwrap();
    assert_eq!(s.shape().as_slice(), &[1 << 32, 0]);
    assert_eq!(s.sum().backward().wrt(e).shape(), &[1 << 32, 0]);
}

#[test]
fn empty_add_backward_gives_empty_gradients() {
    empty_tensors_behave_as_in_pytorch_for::<f32>();
    empty_tensors_behave_as_in_pytorch_for::<f64>();
}

fn try_narrow_with_usize_max_start_for<T: Float>() {
    let tape = Tape::<T>::new();
    let x = tape.leaf(Tensor::zeros(&[2, 4]));
    let e = x.try_narrow(1, usize::MAX, 2).unwrap_err();
    assert_eq!(e.op, "narrow");
    assert!(e.message.contains("[2, 4]"), "{e}");
    assert!(x.try_narrow(1, 2, usize::MAX).is_err());
    let pad = tapegrad_core::ops::shape::PadNarrow {
        axis: 1,
        start: usize::MAX,
        size: 4,
    };
    assert!(tape.try_apply(pad, &[x]).is_err());
}

#[test]
fn try_narrow_with_usize_max_start_is_an_error() {
    try_narrow_with_usize_max_start_for::<f32>();
    try_narrow_with_usize_max_start_for::<f64>();
}

fn zeros_too_large_for<T: Float>() {
    // more than isize::MAX bytes: Rust can never allocate it
    let e = Tensor::<T>::try_zeros(&[1 << 61, 2]).unwrap_err();
    assert!(
        e.message().contains("cannot allocate") && e.message().contains("[2305843009213693952, 2]"),
        "{e}"
    );
    // an element count that overflows
    assert!(Tensor::<T>::try_zeros(&[1 << 61, 8]).is_err());
    // the panicking form names this line
    let line = line!() + 1;
    let p = catch_unwind(|| Tensor::<T>::zeros(&[1 << 61, 2])).unwrap_err();
    let msg = p.downcast_ref::<String>().unwrap();
    assert!(msg.contains(&format!("{}:{line}", file!())), "{msg}");
    // an op whose output cannot be allocated
    let tape = Tape::<T>::new();
    let x = tape.leaf(Tensor::zeros(&[1, 2]));
    assert!(x.try_broadcast_to(&[1 << 61, 2]).is_err());
}

#[test]
fn zeros_too_large_to_allocate_is_an_error() {
    zeros_too_large_for::<f32>();
    zeros_too_large_for::<f64>();
}

#[test]
fn display_of_a_huge_empty_tensor_is_immediate() {
    let x = Tensor::<f32>::zeros(&[HUGE, 0]);
    assert_eq!(x.to_string(), "[[],\n [],\n [],\n ...,\n [],\n [],\n []]");
    assert_eq!(Tensor::<f64>::zeros(&[2, 0]).to_string(), "[[],\n []]");
}

fn empty_batched_matmul_backward_for<T: Float>() {
    let tape = Tape::<T>::new();
    let a = tape.leaf(Tensor::zeros(&[usize::MAX, 0, 3]));
    let b = tape.leaf(Tensor::ones(&[3, 2]));
    let y = a.matmul(b);
    assert_eq!(y.shape().as_slice(), &[usize::MAX, 0, 2]);
    let g = y.sum().backward();
    assert_eq!(g.wrt(b), Tensor::zeros(&[3, 2]));
    assert_eq!(g.wrt(a).shape(), &[usize::MAX, 0, 3]);
    let g = tape.grad(y.sum(), &[b])[0];
    assert_eq!(g.value(), Tensor::zeros(&[3, 2]));
}

#[test]
fn empty_batched_matmul_backward_gives_zero_gradients() {
    empty_batched_matmul_backward_for::<f32>();
    empty_batched_matmul_backward_for::<f64>();
}

fn gemm_checks_extents_for<T: Float>() {
    let (a, b) = ([T::ONE; 6], [T::ONE; 6]);
    let mut c = [T::ZERO; 4];
    T::gemm(2, 3, 2, &a, (3, 1), &b, (2, 1), &mut c, 1);
    assert_eq!(c, [T::from_f64(3.0); 4]);
    // each of these would read or write past a slice: a panic before the unsafe call
    let past_a = catch_unwind(AssertUnwindSafe(|| {
        T::gemm(2, 4, 2, &a, (4, 1), &b, (2, 1), &mut [T::ZERO; 4], 1)
    }));
    let past_b = catch_unwind(AssertUnwindSafe(|| {
        T::gemm(2, 3, 2, &a, (3, 1), &b, (2, 3), &mut [T::ZERO; 4], 1)
    }));
    let short_c = catch_unwind(AssertUnwindSafe(|| {
        T::gemm(2, 3, 2, &a, (3, 1), &b, (2, 1), &mut [T::ZERO; 3], 1)
    }));
    let wrapping = catch_unwind(AssertUnwindSafe(|| {
        T::gemm(
            2,
            3,
            2,
            &a,
            (usize::MAX, 1),
            &b,
            (2, 1),
            &mut [T::ZERO; 4],
            1,
        )
    }));
    for r in [past_a, past_b, short_c, wrapping] {
        assert!(r.is_err());
    }
}

#[test]
fn gemm_refuses_extents_past_its_slices() {
    gemm_checks_extents_for::<f32>();
    gemm_checks_extents_for::<f64>();
}
