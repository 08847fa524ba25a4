//! A fused kernel: a chain of element-wise ops over values of one size, run as one loop
//! over blocks of elements with no buffer for the values in between, and the full sums
//! of some of them taken on the way. The fusion pass (`passes/fuse.rs`) builds it.
//!
//! # Design
//! The loop runs over blocks of up to [`BLOCK`] elements. Each step of the chain computes
//! one block of its value into a block-sized register (on the heap once, in cache
//! after), with the same arithmetic as the op's `forward` (`scalar::step`, which the scalar
//! path shares), so a fused value equals the unfused one to the bit. Values read outside
//! the chain are copied from their register into their slot's buffer (a chain of one block
//! swaps the register with that buffer instead). A sum is taken leaf
//! by leaf (each [`SUM_BLOCK`] elements of a block are a leaf of the pairwise sum,
//! [`Tensor::sum_axes`]'s design) and the leaves are combined in the sum's own tree: the
//! same bits as `sum`/`sum_to`. A block holds several leaves because the work around a
//! block (each step's dispatch, the copies out) cost more than the arithmetic with one:
//! `mlp_small`'s `fused(sign, mul)` over 64 × 32 `f32` values took about 510 ns a replay
//! with blocks of one leaf and 325 with one block of eight (AVX-512 EPYC, each
//! instruction of a replay timed).

use super::scalar::{step, Kind};
use crate::tensor::simd::{simd, with_level, Simd};
use crate::tensor::{lanes_total, leaf_lanes, pairwise_sum, tree_lanes, SUM_BLOCK, SUM_LANES};
use crate::{Float, Tensor};
use smallvec::SmallVec;
use std::panic::Location;

/// Elements of a block (a multiple of [`SUM_BLOCK`]): 8 KiB of `f32` per register, so
/// that a chain's registers stay in L1.
const BLOCK: usize = 8 * SUM_BLOCK;

/// Where a step's operand comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arg {
    /// A register: an earlier step's block.
    Reg(u16),
    /// The kernel's input `i`, of the kernel's size: its block.
    Full(u16),
    /// The kernel's input `i`, of one element: broadcast.
    One(u16),
}

/// One step: `reg[out] = kind(a, b)` over a block.
#[derive(Clone, Copy)]
pub(crate) struct Step<T> {
    pub(crate) kind: Kind<T>,
    pub(crate) a: Arg,
    pub(crate) b: Arg,
    pub(crate) out: u16,
}

/// What the kernel hands out, in order: the values of some registers, or their sums.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// Every element of a register's value.
    Values(u16),
    /// The pairwise sum of a register's value.
    Sum(u16),
}

/// One op of the chain, as traced: what an observed replay shows of it.
pub(crate) struct Member<T> {
    pub(crate) label: String,
    pub(crate) site: &'static Location<'static>,
    pub(crate) shape: Vec<usize>,
    pub(crate) what: What<T>,
}

/// What a member computes, from the kernel's inputs and earlier members.
pub(crate) enum What<T> {
    Step(Kind<T>, Operand, Operand),
    /// The pairwise sum of member `k`.
    Sum(usize),
}

/// An operand of a member: an earlier member, or one of the kernel's inputs.
#[derive(Clone, Copy)]
pub(crate) enum Operand {
    Member(usize),
    Input(usize),
}

/// The chain, its outputs and its scratch.
pub(crate) struct Kernel<T> {
    /// Elements of every value in the chain.
    pub(crate) len: usize,
    /// The steps as they run (one-operand steps folded into the next: [`Run`]).
    runs: Vec<Run<T>>,
    /// The outputs with their shapes.
    pub(crate) parts: Vec<(Part, Vec<usize>)>,
    /// The fused ops, in order (for listings and observed replays).
    pub(crate) members: Vec<Member<T>>,
    /// The member each part hands out.
    pub(crate) part_members: Vec<usize>,
    /// Elements of a register: [`BLOCK`], or `len` when that is smaller.
    block: usize,
    /// The registers, `block` values each.
    regs: Vec<Vec<T>>,
    /// True when the chain is one block and hands out no register twice: a register
    /// handed out then becomes its output's buffer, whose old buffer becomes the
    /// register (no copy).
    swap_out: bool,
    /// The leaves' lanes of each sum (one per block), when there is more than one block.
    leaves: Vec<Vec<[T; SUM_LANES]>>,
    /// Each sum's total.
    totals: Vec<T>,
}

/// An operand over one block.
#[derive(Clone, Copy)]
enum Val<'a, T> {
    Run(&'a [T]),
    One(T),
}

impl<T: Float> Kernel<T> {
    pub(crate) fn new(
        len: usize,
        steps: Vec<Step<T>>,
        registers: usize,
        parts: Vec<(Part, Vec<usize>)>,
        members: Vec<Member<T>>,
        part_members: Vec<usize>,
    ) -> Self {
        let blocks = len.div_ceil(SUM_BLOCK);
        let block = BLOCK.min(len).max(1);
        let sums = parts.iter().filter(|p| matches!(p.0, Part::Sum(_))).count();
        let handed: Vec<u16> = (parts.iter())
            .filter_map(|p| match p.0 {
                Part::Values(r) => Some(r),
                Part::Sum(_) => None,
            })
            .collect();
        let distinct = (1..handed.len()).all(|i| !handed[..i].contains(&handed[i]));
        let leaves = if blocks > 1 {
            vec![vec![[T::ZERO; SUM_LANES]; blocks]; sums]
        } else {
            Vec::new()
        };
        Kernel {
            len,
            runs: runs(&steps, &parts),
            parts,
            members,
            part_members,
            block,
            regs: vec![vec![T::ZERO; block]; registers],
            swap_out: len > 1 && len <= BLOCK && distinct,
            leaves,
            totals: vec![T::ZERO; sums],
        }
    }

    /// `fused(mul, add, sum_to([]))`.
    pub(crate) fn label(&self) -> String {
        let labels: Vec<&str> = self.members.iter().map(|m| m.label.as_str()).collect();
        format!("fused({})", labels.join(", "))
    }

    /// Runs the chain on `xs` (of the traced shapes) into `outs`, one per part; each
    /// output is written into its own buffer when it holds the only reference to one of
    /// the right size.
    pub(crate) fn run(&mut self, xs: &[&Tensor<T>], outs: &mut [Tensor<T>]) {
        self.run_at(simd(), xs, outs)
    }

    /// [`run`](Self::run) with its loops compiled for `level` (at most what this CPU has),
    /// so that a step's loop over a block uses the CPU's widest vectors: the arithmetic is
    /// the same at every level (no operation is fused or reordered), so are the bits.
    pub(crate) fn run_at(&mut self, level: Simd, xs: &[&Tensor<T>], outs: &mut [Tensor<T>]) {
        with_level(
            level,
            #[inline(always)]
            || self.run_loops(xs, outs),
        )
    }

    /// The body of [`run`](Self::run), inlined into [`with_level`]'s function for each level.
    #[inline(always)]
    fn run_loops(&mut self, xs: &[&Tensor<T>], outs: &mut [Tensor<T>]) {
        let n = self.len;
        let mut values: SmallVec<[(usize, &mut [T]); 4]> = SmallVec::new();
        if !self.swap_out {
            for ((part, shape), out) in self.parts.iter().zip(outs.iter_mut()) {
                if let Part::Values(r) = *part {
                    let buf = out.buffer_for(shape).expect("a traced shape");
                    values.push((r as usize, buf));
                }
            }
        }
        let size = self.block;
        for lo in (0..n).step_by(size) {
            let m = size.min(n - lo);
            for run in &self.runs {
                let o = run.out as usize;
                let (before, rest) = self.regs.split_at_mut(o);
                let (out, after) = rest.split_first_mut().expect("the output register");
                let regs = (o, &*before, &*after);
                let (a, b) = (
                    operand(run.a, regs, xs, lo, m),
                    operand(run.b, regs, xs, lo, m),
                );
                match run.sign_of {
                    None => block_step(run.kind, a, b, &mut out[..m]),
                    Some(on_a) => sign_times(on_a, a, b, &mut out[..m]),
                }
            }
            for (r, buf) in &mut values {
                buf[lo..lo + m].copy_from_slice(&self.regs[*r][..m]);
            }
            let mut k = 0;
            for (part, _) in &self.parts {
                if let Part::Sum(r) = *part {
                    let block_values = &self.regs[r as usize][..m];
                    if n <= SUM_BLOCK {
                        self.totals[k] = pairwise_sum(block_values);
                    } else {
                        let leaves = block_values.chunks(SUM_BLOCK);
                        for (leaf, values) in leaves.enumerate() {
                            self.leaves[k][lo / SUM_BLOCK + leaf] = leaf_lanes(values);
                        }
                    }
                    k += 1;
                }
            }
        }
        drop(values);
        if self.swap_out {
            for ((part, shape), out) in self.parts.iter().zip(outs.iter_mut()) {
                if let Part::Values(r) = *part {
                    out.swap_buffer(shape, &mut self.regs[r as usize]);
                }
            }
        }
        if n > SUM_BLOCK {
            for (total, leaves) in self.totals.iter_mut().zip(&self.leaves) {
                *total = lanes_total(tree_lanes(leaves, n));
            }
        }
        let mut totals = self.totals.iter();
        for ((part, shape), out) in self.parts.iter().zip(outs.iter_mut()) {
            if let Part::Sum(_) = part {
                let total = *totals.next().expect("a total per sum");
                if shape.is_empty() {
                    *out = Tensor::scalar(total); // inline: nothing to reuse
                } else {
                    out.buffer_for(shape).expect("one element")[0] = total;
                }
            }
        }
    }
}

impl<T: Float> Kernel<T> {
    /// Every member's value, computed one op at a time over whole tensors with the same
    /// arithmetic as [`run`](Self::run) (so the same values), and the parts taken from
    /// them: what an observed replay shows, op by op.
    pub(crate) fn expand(&self, xs: &[&Tensor<T>]) -> (Vec<Tensor<T>>, Vec<Tensor<T>>) {
        let mut values: Vec<Tensor<T>> = Vec::with_capacity(self.members.len());
        for m in &self.members {
            let mut y = Tensor::scalar(T::ZERO);
            let buf = y.buffer_for(&m.shape).expect("a traced shape");
            match m.what {
                What::Step(kind, a, b) => {
                    let val = |s: Operand| {
                        let t = match s {
                            Operand::Member(k) => &values[k],
                            Operand::Input(i) => xs[i],
                        };
                        if t.len() == self.len {
                            Val::Run(t.as_slice())
                        } else {
                            Val::One(t.as_slice()[0])
                        }
                    };
                    block_step(kind, val(a), val(b), buf);
                }
                What::Sum(k) => buf[0] = pairwise_sum(values[k].as_slice()),
            }
            values.push(y);
        }
        let parts = self
            .part_members
            .iter()
            .map(|&k| values[k].clone())
            .collect();
        (values, parts)
    }

    /// The tensors member `k` reads.
    pub(crate) fn operands<'a>(
        &self,
        k: usize,
        values: &'a [Tensor<T>],
        xs: &[&'a Tensor<T>],
    ) -> SmallVec<[&'a Tensor<T>; 2]> {
        let of = |s: Operand| match s {
            Operand::Member(k) => &values[k],
            Operand::Input(i) => xs[i],
        };
        match self.members[k].what {
            What::Step(kind, a, _) if is_unary(kind) => [of(a)].into_iter().collect(),
            What::Step(_, a, b) => [of(a), of(b)].into_iter().collect(),
            What::Sum(j) => [&values[j]].into_iter().collect(),
        }
    }
}

/// A step as the kernel runs it: `reg[out] = kind(a, b)`, or with `sign_of = Some(on_a)`
/// the product `sign(a)·b` (`a·sign(b)` when not `on_a`). A `sign` whose register only
/// the product after it reads is folded into it this way (`fused(sign, mul)`, a `relu`'s
/// gradient, is one loop instead of two over the block): the same arithmetic in the same
/// order, so the same values (a NaN's sign aside, which the compiler may flip). Only that
/// pair: each pair is one more set of loops in the kernel, and with all nine of `sign`,
/// `relu`, `neg` before `add`, `sub`, `mul`, chains with no pair to fold ran 7.5% more
/// instructions (callgrind, `linreg`'s plan); with the one pair, 1.4%.
#[derive(Clone, Copy)]
struct Run<T> {
    kind: Kind<T>,
    a: Arg,
    b: Arg,
    sign_of: Option<bool>,
    out: u16,
}

/// The steps as runs: each `sign` folded into the next step when that step is a product
/// and alone reads its register (once), the register is handed out in no part, and the
/// next step's output is not the folded step's operand.
fn runs<T: Float>(steps: &[Step<T>], parts: &[(Part, Vec<usize>)]) -> Vec<Run<T>> {
    let plain = |st: &Step<T>| Run {
        kind: st.kind,
        a: st.a,
        b: st.b,
        sign_of: None,
        out: st.out,
    };
    let mut runs = Vec::with_capacity(steps.len());
    let mut i = 0;
    while i < steps.len() {
        let (st, next) = (&steps[i], steps.get(i + 1));
        let r = Arg::Reg(st.out);
        let folds = next.filter(|next| {
            matches!(st.kind, Kind::Sign)
                && matches!(next.kind, Kind::Mul)
                && (next.a == r) != (next.b == r)
                && Arg::Reg(next.out) != st.a
                && !parts
                    .iter()
                    .any(|p| matches!(p.0, Part::Values(x) | Part::Sum(x) if x == st.out))
                && !steps
                    .iter()
                    .enumerate()
                    .any(|(j, s)| j != i + 1 && (s.a == r || s.b == r))
        });
        match folds {
            Some(next) => {
                let on_a = next.a == r;
                let (a, b) = if on_a { (st.a, next.b) } else { (next.a, st.a) };
                runs.push(Run {
                    kind: next.kind,
                    a,
                    b,
                    sign_of: Some(on_a),
                    out: next.out,
                });
                i += 2;
            }
            None => {
                runs.push(plain(st));
                i += 1;
            }
        }
    }
    runs
}

/// `out = sign(a)·b` (`on_a`) or `a·sign(b)` element by element, with `step`'s arithmetic
/// for both.
#[inline(always)]
fn sign_times<T: Float>(on_a: bool, a: Val<'_, T>, b: Val<'_, T>, out: &mut [T]) {
    if on_a {
        zip(a, b, out, |x, y| step(Kind::Mul, step(Kind::Sign, x, x), y))
    } else {
        zip(a, b, out, |x, y| step(Kind::Mul, x, step(Kind::Sign, y, y)))
    }
}

/// True for the kinds of one operand.
fn is_unary<T>(kind: Kind<T>) -> bool {
    !matches!(
        kind,
        Kind::Add | Kind::Sub | Kind::Mul | Kind::Div | Kind::TanhGrad
    )
}

/// The `m` values of block `lo` of an operand: from a register (`regs` are the output
/// register's index and the registers before and after it) or an input.
#[inline(always)]
fn operand<'a, T: Float>(
    arg: Arg,
    (o, before, after): (usize, &'a [Vec<T>], &'a [Vec<T>]),
    xs: &[&'a Tensor<T>],
    lo: usize,
    m: usize,
) -> Val<'a, T> {
    match arg {
        Arg::Reg(r) => {
            let r = r as usize;
            let reg = if r < o { &before[r] } else { &after[r - o - 1] };
            Val::Run(&reg[..m])
        }
        Arg::Full(i) => Val::Run(&xs[i as usize].as_slice()[lo..lo + m]),
        Arg::One(i) => Val::One(xs[i as usize].as_slice()[0]),
    }
}

/// `out = kind(a, b)` element by element, with `step`'s arithmetic: one loop per kind
/// and operand layout, so each vectorises.
#[inline(always)]
fn block_step<T: Float>(kind: Kind<T>, a: Val<'_, T>, b: Val<'_, T>, out: &mut [T]) {
    match kind {
        Kind::Add => zip(a, b, out, |x, y| step(Kind::Add, x, y)),
        Kind::Sub => zip(a, b, out, |x, y| step(Kind::Sub, x, y)),
        Kind::Mul => zip(a, b, out, |x, y| step(Kind::Mul, x, y)),
        Kind::Div => zip(a, b, out, |x, y| step(Kind::Div, x, y)),
        Kind::Neg => zip(a, b, out, |x, y| step(Kind::Neg, x, y)),
        Kind::AddC(c) => zip(a, b, out, |x, y| step(Kind::AddC(c), x, y)),
        Kind::MulC(c) => zip(a, b, out, |x, y| step(Kind::MulC(c), x, y)),
        Kind::DivC(c) => zip(a, b, out, |x, y| step(Kind::DivC(c), x, y)),
        Kind::CDiv(c) => zip(a, b, out, |x, y| step(Kind::CDiv(c), x, y)),
        Kind::Relu => zip(a, b, out, |x, y| step(Kind::Relu, x, y)),
        Kind::Sign => zip(a, b, out, |x, y| step(Kind::Sign, x, y)),
        Kind::TanhGrad => zip(a, b, out, |x, y| step(Kind::TanhGrad, x, y)),
        Kind::Generic => unreachable!("only inline kinds are fused"),
    }
}

/// `out[i] = f(a[i], b[i])` with either operand possibly one broadcast value (a unary
/// step's `b` is ignored by `f`).
#[inline(always)]
fn zip<T: Float>(a: Val<'_, T>, b: Val<'_, T>, out: &mut [T], f: impl Fn(T, T) -> T) {
    let n = out.len();
    match (a, b) {
        (Val::Run(a), Val::Run(b)) => {
            let (a, b) = (&a[..n], &b[..n]);
            for i in 0..n {
                out[i] = f(a[i], b[i]);
            }
        }
        (Val::Run(a), Val::One(y)) => {
            let a = &a[..n];
            for i in 0..n {
                out[i] = f(a[i], y);
            }
        }
        (Val::One(x), Val::Run(b)) => {
            let b = &b[..n];
            for i in 0..n {
                out[i] = f(x, b[i]);
            }
        }
        (Val::One(x), Val::One(y)) => out.fill(f(x, y)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `reg0 = x · y`, `reg1 = tanh_grad(reg0, y)`, `reg2 = reg1 + c`, handing out
    /// `reg2`'s values and `reg1`'s sum, over three blocks and a part.
    fn kernel(len: usize) -> Kernel<f32> {
        let steps = vec![
            Step {
                kind: Kind::Mul,
                a: Arg::Full(0),
                b: Arg::Full(1),
                out: 0,
            },
            Step {
                kind: Kind::TanhGrad,
                a: Arg::Reg(0),
                b: Arg::Full(1),
                out: 1,
            },
            Step {
                kind: Kind::Add,
                a: Arg::Reg(1),
                b: Arg::One(2),
                out: 2,
            },
            Step {
                kind: Kind::Relu,
                a: Arg::Reg(2),
                b: Arg::Reg(2),
                out: 3,
            },
        ];
        let parts = vec![(Part::Values(3), vec![len]), (Part::Sum(1), vec![])];
        Kernel::new(len, steps, 4, parts, Vec::new(), Vec::new())
    }

    #[test]
    fn one_operand_steps_fold_into_the_next_with_the_same_bits() {
        // reg0 = sign(x), reg1 = y · reg0 (folded, on b); reg2 = sign(y), reg3 = reg2 · x
        // (folded, on a); reg4 = -reg3 (not folded: a negation), reg5 = relu(reg4), handed
        // out; reg6 = reg5 + reg1
        let (r, full) = (Arg::Reg, Arg::Full);
        let step = |kind, a, b, out| Step { kind, a, b, out };
        let steps = vec![
            step(Kind::Sign, full(0), full(0), 0),
            step(Kind::Mul, full(1), r(0), 1),
            step(Kind::Sign, full(1), full(1), 2),
            step(Kind::Mul, r(2), full(0), 3),
            step(Kind::Neg, r(3), r(3), 4),
            step(Kind::Sub, r(4), full(1), 7),
            step(Kind::Relu, r(7), r(7), 5),
            step(Kind::Add, r(5), r(1), 6),
        ];
        let parts = vec![(Part::Values(5), vec![]), (Part::Values(6), vec![])];
        let len = 3 * SUM_BLOCK + 7;
        let folded = runs(&steps, &parts);
        let name = |k: Kind<f32>| match k {
            Kind::Mul => "sign·mul",
            _ => "other",
        };
        let pres: Vec<_> = folded
            .iter()
            .map(|r| r.sign_of.map(|on_a| (name(r.kind), on_a)))
            .collect();
        assert_eq!(
            pres,
            [
                Some(("sign·mul", false)),
                Some(("sign·mul", true)),
                None,
                None,
                None,
                None
            ]
        );
        let x = Tensor::from_fn(&[len], |i| match i % 5 {
            0 => 0.0,
            1 => f32::NAN,
            _ => ((i * 7919) % 1000) as f32 / 250.0 - 2.0,
        });
        let y = Tensor::from_fn(&[len], |i| ((i * 104_729) % 997) as f32 / 300.0 - 1.6);
        // bits, every NaN as one (the compiler may flip a NaN's sign: `-x - y` at NaN)
        let canonical = |v: &f32| if v.is_nan() { u32::MAX } else { v.to_bits() };
        let bits = |t: &Tensor<f32>| t.as_slice().iter().map(canonical).collect::<Vec<_>>();
        let (xs, ys) = (x.as_slice(), y.as_slice());
        let sign = |v: f32| {
            if v.is_nan() || v == 0.0 {
                v
            } else {
                v.signum()
            }
        };
        let relu = |v: f32| if v > 0.0 || v.is_nan() { v } else { 0.0 };
        let want4: Vec<f32> = (xs.iter().zip(ys))
            .map(|(&x, &y)| relu(-(sign(y) * x) - y))
            .collect();
        let want5: Vec<f32> = (xs.iter().zip(ys).zip(&want4))
            .map(|((&x, &y), &w)| w + y * sign(x))
            .collect();
        for level in [Simd::Portable, Simd::Avx2, Simd::Avx512] {
            let parts = vec![(Part::Values(5), vec![len]), (Part::Values(6), vec![len])];
            let mut k = Kernel::new(len, steps.clone(), 8, parts, Vec::new(), Vec::new());
            let mut outs = [Tensor::scalar(0.0), Tensor::scalar(0.0)];
            k.run_at(level, &[&x, &y], &mut outs);
            let want = |w: &[f32]| w.iter().map(canonical).collect::<Vec<_>>();
            assert_eq!(bits(&outs[0]), want(&want4), "{level:?}");
            assert_eq!(bits(&outs[1]), want(&want5), "{level:?}");
        }
    }

    #[test]
    fn every_simd_level_gives_the_same_bits() {
        // two blocks and a part of one, whose last leaf is a part of one too; one block
        // of several leaves, and one of less than a leaf (its values handed out without
        // a copy)
        for len in [2 * BLOCK + 3 * SUM_BLOCK + 37, 3 * SUM_BLOCK + 5, 100] {
            same_bits_at_every_level(len);
        }
    }

    fn same_bits_at_every_level(len: usize) {
        let x = Tensor::from_fn(&[len], |i| ((i * 7919) % 1000) as f32 / 250.0 - 2.0);
        let y = Tensor::from_fn(&[len], |i| ((i * 104_729) % 997) as f32 / 300.0 - 1.6);
        let c = Tensor::scalar(0.125f32);
        let run = |level: Simd| {
            let mut k = kernel(len);
            let mut outs = [Tensor::scalar(0.0), Tensor::scalar(0.0)];
            let bits =
                |t: &Tensor<f32>| t.as_slice().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            // twice: the second run writes into (or swaps with) the first one's buffers
            k.run_at(level, &[&x, &y, &c], &mut outs);
            let first = (bits(&outs[0]), bits(&outs[1]));
            k.run_at(level, &[&x, &y, &c], &mut outs);
            assert_eq!((bits(&outs[0]), bits(&outs[1])), first);
            first
        };
        let portable = run(Simd::Portable);
        let grads: Vec<f32> = (x.as_slice().iter().zip(y.as_slice()))
            .map(|(&x, &y)| y * (1.0 - (x * y) * (x * y)))
            .collect();
        let want: Vec<u32> = grads
            .iter()
            .map(|g| (g + 0.125).max(0.0).to_bits())
            .collect();
        assert_eq!(portable.0, want);
        assert_eq!(portable.1, vec![pairwise_sum(&grads).to_bits()]);
        assert_eq!(run(Simd::Avx2), portable);
        assert_eq!(run(Simd::Avx512), portable);
    }
}
