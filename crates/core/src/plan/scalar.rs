//! The scalar path: a plan whose every value is rank 0 runs as a flat instruction stream
//! over an array of numbers, with no tensor built or dropped per instruction.
//!
//! # Design
//! Ops are opaque (a [`forward`](crate::Op::forward) on tensors), so the common scalar
//! ops are recognised here, by Rust type as the simplification pass does, and computed
//! inline with exactly their `forward`'s arithmetic (a test compares the two paths bit for
//! bit). Every other op, a user op included, runs its `forward` on one-element tensors
//! built on the stack: slower, never wrong.

use super::graph::Node;
use crate::tensor::simd::with_widest;
use crate::{Float, Op, Tensor};

/// What one scalar instruction computes.
#[derive(Clone, Copy)]
pub(crate) enum Kind<T> {
    Add,
    Sub,
    Mul,
    Div,
    Neg,
    /// `x + c` (`add_scalar`).
    AddC(T),
    /// `x · c` (`mul_scalar`).
    MulC(T),
    /// `x / c` (`x_over_scalar`).
    DivC(T),
    /// `c / x` (`scalar_over_x`).
    CDiv(T),
    Relu,
    Sign,
    /// `dy · (1 − y²)` (`tanh_grad`, operands `y` and `dy`).
    TanhGrad,
    /// Any other op: its `forward` on rank-0 tensors.
    Generic,
}

/// `regs[out] = kind(regs[a], regs[b])`; `index` is the instruction's position in the
/// tensor program, whose op and arguments a generic instruction uses.
pub(crate) struct ScalarInstr<T> {
    pub(crate) kind: Kind<T>,
    pub(crate) a: u32,
    pub(crate) b: u32,
    pub(crate) out: u32,
    pub(crate) index: u32,
}

/// How the node's op runs on the scalar path.
pub(crate) fn kind_of<T: Float>(node: &Node<T>) -> Kind<T> {
    let (Some(name), Some(op)) = (node.builtin(), node.op()) else {
        return Kind::Generic;
    };
    // the constant of `x + c` / `x · c`, read back through the op itself: `-0 + c` and
    // `1 · c` are exactly `c` (the sign of a zero `c` included)
    let probe = |x: T| op.forward(&[&Tensor::scalar(x)]).ok().map(|y| y.item());
    match name {
        "add" => Kind::Add,
        "sub" => Kind::Sub,
        "mul" => Kind::Mul,
        "div" => Kind::Div,
        "neg" => Kind::Neg,
        "relu" => Kind::Relu,
        "sign" => Kind::Sign,
        "tanh_grad" => Kind::TanhGrad,
        "add_scalar" => probe(-T::ZERO).map_or(Kind::Generic, Kind::AddC),
        "mul_scalar" => probe(T::ONE).map_or(Kind::Generic, Kind::MulC),
        "scalar_over_x" => probe(T::ONE).map_or(Kind::Generic, Kind::CDiv),
        "x_over_scalar" => {
            // `x / c` gives `c` back through no probe: it is read from the label (a
            // float's `Display` parses back to the same value) and held to the op's own
            // quotients at a few points
            let label = op.label();
            let c = label
                .strip_prefix("x_over_scalar(")
                .and_then(|l| l.strip_suffix(')'))
                .and_then(|c| c.parse::<f64>().ok())
                .map(T::from_f64);
            let agrees = |c: T| {
                [1.0, 3.0, -0.7, 1e-3, 12345.678]
                    .iter()
                    .all(|&x| probe(T::from_f64(x)) == Some(T::from_f64(x) / c))
            };
            c.filter(|&c| agrees(c)).map_or(Kind::Generic, Kind::DivC)
        }
        _ => Kind::Generic,
    }
}

/// Runs one generic instruction: `op` on the registers `args` as rank-0 tensors.
pub(crate) fn generic<T: Float>(
    op: &dyn Op<T>,
    regs: &[T],
    args: &[u32],
) -> Result<T, crate::TensorError> {
    let xs: Vec<Tensor<T>> = args
        .iter()
        .map(|&a| Tensor::scalar(regs[a as usize]))
        .collect();
    let refs: Vec<&Tensor<T>> = xs.iter().collect();
    op.forward(&refs).map(|y| y.item())
}

/// True for the kinds of one operand that an op's value can take in place (as
/// [`map_in_place`] does): `relu`, `sign`, `neg` and the scalar-operand ops.
pub(crate) fn is_in_place<T>(kind: Kind<T>) -> bool {
    matches!(
        kind,
        Kind::Neg
            | Kind::AddC(_)
            | Kind::MulC(_)
            | Kind::DivC(_)
            | Kind::CDiv(_)
            | Kind::Relu
            | Kind::Sign
    )
}

/// `x = step(kind, x, x)` for every `x` of `xs`, `kind` one of [`is_in_place`]'s: one loop
/// per kind, compiled for the CPU's widest vectors.
pub(crate) fn map_in_place<T: Float>(kind: Kind<T>, xs: &mut [T]) {
    fn each<T: Float>(xs: &mut [T], f: impl Fn(T) -> T) {
        with_widest(
            #[inline(always)]
            || {
                for x in xs.iter_mut() {
                    *x = f(*x);
                }
            },
        )
    }
    match kind {
        Kind::Neg => each(xs, |x| step(Kind::Neg, x, x)),
        Kind::AddC(c) => each(xs, |x| step(Kind::AddC(c), x, x)),
        Kind::MulC(c) => each(xs, |x| step(Kind::MulC(c), x, x)),
        Kind::DivC(c) => each(xs, |x| step(Kind::DivC(c), x, x)),
        Kind::CDiv(c) => each(xs, |x| step(Kind::CDiv(c), x, x)),
        Kind::Relu => each(xs, |x| step(Kind::Relu, x, x)),
        Kind::Sign => each(xs, |x| step(Kind::Sign, x, x)),
        _ => unreachable!("not a kind `is_in_place` accepts"),
    }
}

/// One scalar instruction's arithmetic (the hot path of a scalar plan, and of a fused
/// chain's loops, where `kind` is a constant and the `match` folds away).
#[inline(always)]
pub(crate) fn step<T: Float>(kind: Kind<T>, x: T, y: T) -> T {
    match kind {
        Kind::Add => x + y,
        Kind::Sub => x - y,
        Kind::Mul => x * y,
        Kind::Div => x / y,
        Kind::Neg => -x,
        Kind::AddC(c) => x + c,
        Kind::MulC(c) => x * c,
        Kind::DivC(c) => x / c,
        Kind::CDiv(c) => c / x,
        // as `Relu::forward`: NaN passes through
        Kind::Relu => crate::float::relu(x),
        // as `Sign::forward`
        Kind::Sign => {
            if x == T::ZERO {
                T::ZERO
            } else {
                x.signum()
            }
        }
        // as `TanhGrad::forward`
        Kind::TanhGrad => y * (T::ONE - x * x),
        Kind::Generic => unreachable!("generic instructions run their op"),
    }
}
