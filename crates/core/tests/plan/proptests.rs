//! A plan replays what the eager engine computes: random expressions over the op set
//! (unary, binary with broadcasting, max/min included, reductions, matmul, shape ops), random shapes,
//! traced at one point and replayed at another, first and second order, to 1e-12.

use crate::support::assert_same;
use proptest::prelude::*;
use tapegrad_check::testing::tensor_in;
use tapegrad_core::{Passes, Plan, Tape, Tensor, Var};

/// One step of a random expression: an op code and two operand picks. Steps whose
/// shapes do not fit are skipped (the `try_` ops refuse them), so the expression depends
/// on shapes only, never on values: the same at trace time and at replay.
type Step = (u8, usize, usize);

/// Builds the expression: a pool that starts with the inputs, each step appending one
/// value; the output is the sum of `Σ v²`-like reductions of the last few values.
fn expression<'t>(vs: &[Var<'t, f64>], steps: &[Step]) -> Var<'t, f64> {
    let mut pool: Vec<Var<'t, f64>> = vs.to_vec();
    for &(code, i, j) in steps {
        let a = pool[i % pool.len()];
        let b = pool[j % pool.len()];
        let rank = a.shape().len() as isize;
        let y = match code % 26 {
            0 => Ok(a.tanh()),
            1 => Ok(a.sin()),
            2 => Ok((a * 0.5).exp()),
            3 => Ok(a.sigmoid()),
            4 => Ok(a.relu() * a),
            5 => Ok(a.abs() * 0.3),
            6 => Ok(a.softplus()),
            7 => Ok((a * a + 1.0).log()),
            8 => Ok((a * a + 1.0).sqrt()),
            9 => a.try_add(b),
            10 => a.try_sub(b),
            11 => a.try_mul(b),
            12 => a.try_div(b * b + 1.0),
            13 => a.try_sum_axes(&[0], false),
            14 => a.try_mean_axes(&[-1], true),
            15 => a.try_matmul(b),
            16 => a.try_transpose(0, -1),
            17 => a.try_reshape(&[a.shape().iter().product()]),
            18 => a.try_broadcast_to(
                &[2].iter()
                    .chain(a.shape().iter())
                    .copied()
                    .collect::<Vec<_>>(),
            ),
            19 => Ok(-a + 0.25),
            20 => a.try_logsumexp_axes(&[rank.max(1) - 1], false),
            21 => Ok(a.powi(2) * 0.1 - a),
            22 => a.try_maximum(b),
            23 => a.try_minimum(b * 0.5),
            24 => a.try_max_axes(&[0], false),
            _ => Ok(a.min() + a.max()),
        };
        if let Ok(y) = y {
            // keep magnitudes moderate: no overflow for exp, powi and products
            pool.push(y.tanh() * 2.0);
        }
    }
    let n = pool.len();
    let mut out = (pool[n - 1] * pool[n - 1]).sum();
    for &v in &pool[n.saturating_sub(3)..n - 1] {
        out = out + v.sum() * 0.5;
    }
    out
}

/// `[f, ∂f/∂xᵢ…, ∂(Σ∂f/∂x₀)/∂xᵢ…]` (first and second order) on a tape.
fn outputs<'t>(tape: &'t Tape<f64>, vs: &[Var<'t, f64>], steps: &[Step]) -> Vec<Var<'t, f64>> {
    let f = expression(vs, steps);
    let g = tape.grad(f, vs);
    let h = tape.grad(g[0].sum(), vs);
    let mut out = vec![f];
    out.extend(g);
    out.extend(h);
    out
}

fn eager(xs: &[Tensor<f64>], steps: &[Step]) -> Vec<Tensor<f64>> {
    let tape = Tape::new();
    let vs: Vec<_> = xs.iter().map(|x| tape.leaf(x.clone())).collect();
    outputs(&tape, &vs, steps)
        .iter()
        .map(|v| v.value())
        .collect()
}

/// Three inputs: shapes `[m, n]`, `[n]` and `[n, m]` (so broadcasting and matmul occur),
/// each at two points.
fn case() -> impl Strategy<Value = (Vec<Tensor<f64>>, Vec<Tensor<f64>>, Vec<Step>)> {
    (1usize..4, 1usize..4).prop_flat_map(|(m, n)| {
        let point = || {
            (
                tensor_in(vec![m, n], -2.0, 2.0),
                tensor_in(vec![n], -2.0, 2.0),
                tensor_in(vec![n, m], -2.0, 2.0),
            )
                .prop_map(|(a, b, c)| vec![a, b, c])
        };
        let steps = prop::collection::vec((any::<u8>(), 0usize..64, 0usize..64), 1..12);
        (point(), point(), steps)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn plan_replay_equals_eager(case in case()) {
        let (traced_at, replayed_at, steps) = case;
        let want = eager(&replayed_at, &steps);
        for passes in [Passes::all(), Passes::none()] {
            let mut plan = Plan::trace_with(&traced_at, passes, |tape, vs| outputs(tape, vs, &steps))
                .unwrap();
            assert_same(&plan.run(&replayed_at).unwrap(), &want, 1e-12);
            // and again: a replay leaves nothing behind that changes the next one
            assert_same(&plan.run(&replayed_at).unwrap(), &want, 1e-12);
        }
    }
}

/// A scalar expression: `steps` over a pool of rank-0 values (the scalar path's inline
/// ops, and `exp`, `tanh`, `abs`, `maximum` through their `forward`).
fn scalar_expression<'t>(vs: &[Var<'t, f64>], steps: &[Step]) -> Var<'t, f64> {
    let mut pool: Vec<Var<'t, f64>> = vs.to_vec();
    for &(code, i, j) in steps {
        let a = pool[i % pool.len()];
        let b = pool[j % pool.len()];
        let y = match code % 11 {
            0 => a + b,
            1 => a - b,
            2 => a * b,
            3 => a / (b * b + 1.0),
            4 => -a * 0.75 + 0.5,
            5 => a.relu() * b,
            6 => a.abs() + b,
            7 => (a * 0.5).exp(),
            8 => a.tanh() * b,
            9 => a.maximum(b) - 0.25,
            _ => a * a * 0.1 - b,
        };
        pool.push(y.tanh() * 2.0);
    }
    let n = pool.len();
    pool[n - 1] + pool[n.saturating_sub(2)] * 0.5
}

fn scalar_outputs<'t>(
    tape: &'t Tape<f64>,
    vs: &[Var<'t, f64>],
    steps: &[Step],
) -> Vec<Var<'t, f64>> {
    let f = scalar_expression(vs, steps);
    let g = tape.grad(f, vs);
    let h = tape.grad(g[0], vs);
    let mut out = vec![f];
    out.extend(g);
    out.extend(h);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn scalar_path_equals_the_tensor_path_bit_for_bit_and_eager(
        traced_at in prop::collection::vec(-2.0f64..2.0, 3),
        replayed_at in prop::collection::vec(-2.0f64..2.0, 3),
        steps in prop::collection::vec((any::<u8>(), 0usize..64, 0usize..64), 1..16),
    ) {
        let scalars = |v: &[f64]| v.iter().map(|&x| Tensor::scalar(x)).collect::<Vec<_>>();
        let (traced_at, replayed_at) = (scalars(&traced_at), scalars(&replayed_at));
        let mut fast = Plan::trace(&traced_at, |t, v| scalar_outputs(t, v, &steps)).unwrap();
        prop_assert!(fast.stats().scalar);
        let tensors = Passes { scalar_path: false, ..Passes::all() };
        let mut slow =
            Plan::trace_with(&traced_at, tensors, |t, v| scalar_outputs(t, v, &steps)).unwrap();
        prop_assert!(!slow.stats().scalar);
        let got = fast.run(&replayed_at).unwrap();
        assert_same(&got, &slow.run(&replayed_at).unwrap(), 0.0);
        let tape = Tape::new();
        let vs: Vec<_> = replayed_at.iter().map(|x| tape.leaf(x.clone())).collect();
        let want: Vec<_> = scalar_outputs(&tape, &vs, &steps).iter().map(|v| v.value()).collect();
        assert_same(&got, &want, 1e-12);
    }
}

/// A chain of the ops the fusion pass fuses, over values of `n` elements (up to a few
/// blocks of the fused loop) with scalar and one-element operands, with sums in between
/// (which end a chain where a later step reads them).
fn chain_expression<'t>(vs: &[Var<'t, f64>], steps: &[Step]) -> Var<'t, f64> {
    let mut pool: Vec<Var<'t, f64>> = vs.to_vec();
    for &(code, i, j) in steps {
        let a = pool[i % pool.len()];
        let b = pool[j % pool.len()];
        let y = match code % 13 {
            0 => a + b,
            1 => a - b,
            2 => a * b * 0.5,
            3 => a / (b * b + 1.0),
            4 => -a,
            5 => a.relu() * b,
            6 => (a + 0.25) * 0.75,
            7 => 0.5 / (a * a + 1.0),
            8 => a / 3.0,
            9 => a * (a.sum() * 0.01),
            10 => a - a.mean(),
            11 => a.tanh() * b,
            _ => a.sign() * b,
        };
        // keep magnitudes moderate with fusable ops only
        pool.push(y / (y * y + 1.0) * 2.0);
    }
    let n = pool.len();
    // a chain whenever there are several elements, whatever the steps
    let mut out = (vs[0] * vs[1]).sum() + (pool[n - 1] * pool[n - 1]).sum();
    for &v in &pool[n.saturating_sub(3)..n - 1] {
        out = out + v.sum() * 0.5;
    }
    out
}

fn chain_outputs<'t>(
    tape: &'t Tape<f64>,
    vs: &[Var<'t, f64>],
    steps: &[Step],
) -> Vec<Var<'t, f64>> {
    let f = chain_expression(vs, steps);
    let g = tape.grad(f, vs);
    let h = tape.grad(g[0].sum(), vs);
    let mut out = vec![f];
    out.extend(g);
    out.extend(h);
    out
}

/// Inputs `[n]`, `[1, n]`, `[]` and `[1]`, each at two points, with `n` up to three
/// blocks of the fused loop.
fn chain_case() -> impl Strategy<Value = (Vec<Tensor<f64>>, Vec<Tensor<f64>>, Vec<Step>)> {
    (1usize..700).prop_flat_map(|n| {
        let point = move || {
            (
                tensor_in(vec![n], -2.0, 2.0),
                tensor_in(vec![1, n], -2.0, 2.0),
                tensor_in(vec![], -2.0, 2.0),
                tensor_in(vec![1], -2.0, 2.0),
            )
                .prop_map(|(a, b, c, d)| vec![a, b, c, d])
        };
        let steps = prop::collection::vec((any::<u8>(), 0usize..64, 0usize..64), 1..12);
        (point(), point(), steps)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn fused_chains_equal_the_unfused_replay_bit_for_bit_and_eager(case in chain_case()) {
        let (traced_at, replayed_at, steps) = case;
        let mut fused = Plan::trace(&traced_at, |t, v| chain_outputs(t, v, &steps)).unwrap();
        let unfused_passes = Passes { fuse: false, ..Passes::all() };
        let mut unfused =
            Plan::trace_with(&traced_at, unfused_passes, |t, v| chain_outputs(t, v, &steps))
                .unwrap();
        prop_assert!(traced_at[0].len() == 1 || fused.stats().fused > 0);
        let got = fused.run(&replayed_at).unwrap();
        assert_same(&got, &unfused.run(&replayed_at).unwrap(), 0.0);
        // and again, into the buffers the first replay left
        assert_same(&fused.run(&replayed_at).unwrap(), &got, 0.0);
        let tape = Tape::new();
        let vs: Vec<_> = replayed_at.iter().map(|x| tape.leaf(x.clone())).collect();
        let want: Vec<_> = chain_outputs(&tape, &vs, &steps).iter().map(|v| v.value()).collect();
        assert_same(&got, &want, 1e-12);
    }
}
