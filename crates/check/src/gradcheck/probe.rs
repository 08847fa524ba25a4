//! The two strategies of the checker for one order: the full Jacobian of `Fₖ` (every entry
//! compared) and random directions (`⟨v, J u⟩` and `J u` compared).
//!
//! Analytic values come from a tape of element type `A`, finite differences from one of
//! type `N`; `A = f32, N = f64` is how f32 is checked by promotion.

use super::report::{GradientRoute, Position, Report};
use super::Function;
use crate::diagnostics::NodeInfo;
use rand::rngs::StdRng;
use tapegrad_core::tensor::numel;
use tapegrad_core::{Float, Tape, Tensor, Var};

/// The random cotangents that turn `f` into the scalars `L₁, L₂, …`: `cots[0]` is shaped
/// like `f`'s output, `cots[j]` (j ≥ 1) like the inputs.
pub(crate) type Cotangents = Vec<Vec<Tensor<f64>>>;

/// What the probes of one check share: the function in the analytic (`A`) and numeric
/// (`N`) element types, the point in both, the cotangents and the finite-difference step.
#[derive(Clone, Copy)]
pub(crate) struct Probe<'a, A: Float, N: Float> {
    pub(crate) analytic: &'a dyn Function<A>,
    pub(crate) numeric: &'a dyn Function<N>,
    pub(crate) inputs: &'a [Tensor<A>],
    pub(crate) inputs_n: &'a [Tensor<N>],
    pub(crate) cots: &'a Cotangents,
    pub(crate) eps: f64,
}

/// Standard normal samples, rounded to f32 so that the f32 and f64 evaluations of a
/// promoted check use exactly the same directions.
pub(crate) fn normal(shape: &[usize], rng: &mut StdRng) -> Tensor<f64> {
    Tensor::<f64>::normal_with(shape, 0.0, 1.0, rng)
        .cast::<f32>()
        .cast()
}

/// `⟨c, outs⟩ = Σ_o Σ c_o ⊙ outs_o` as a scalar variable.
fn dot<'t, T: Float>(tape: &'t Tape<T>, outs: &[Var<'t, T>], cot: &[Tensor<f64>]) -> Var<'t, T> {
    let mut acc: Option<Var<'t, T>> = None;
    for (&o, c) in outs.iter().zip(cot) {
        let term = (o * tape.constant(c.cast())).sum();
        acc = Some(match acc {
            Some(a) => a + term,
            None => term,
        });
    }
    acc.unwrap_or_else(|| tape.constant(Tensor::scalar(T::ZERO)))
}

/// `Fₖ` at `xs`: `f` itself for `k = 1`, else the recorded gradient of `⟨cots[k-2], Fₖ₋₁⟩`.
pub(crate) fn outputs<'t, T: Float>(
    tape: &'t Tape<T>,
    f: &dyn Function<T>,
    xs: &[Var<'t, T>],
    k: usize,
    cots: &Cotangents,
) -> Vec<Var<'t, T>> {
    let mut outs = vec![f.eval(xs)];
    for cot in &cots[..k - 1] {
        let l = dot(tape, &outs, cot);
        outs = tape.grad(l, xs);
    }
    outs
}

/// `Fₖ` at `inputs` on a fresh tape, flattened to f64.
fn values_at<T: Float>(
    f: &dyn Function<T>,
    inputs: &[Tensor<T>],
    k: usize,
    cots: &Cotangents,
) -> Vec<f64> {
    let tape = Tape::new();
    let xs: Vec<_> = inputs.iter().map(|x| tape.leaf(x.clone())).collect();
    outputs(&tape, f, &xs, k, cots)
        .iter()
        .flat_map(|o| {
            o.value()
                .as_slice()
                .iter()
                .map(|v| v.to_f64())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The shapes of `Fₖ`'s outputs.
pub(crate) fn output_shapes<T: Float>(
    f: &dyn Function<T>,
    inputs: &[Tensor<T>],
    k: usize,
    cots: &Cotangents,
) -> Vec<Vec<usize>> {
    let tape = Tape::new();
    let xs: Vec<_> = inputs.iter().map(|x| tape.leaf(x.clone())).collect();
    outputs(&tape, f, &xs, k, cots)
        .iter()
        .map(|o| o.shape().to_vec())
        .collect()
}

/// Every op node of `tape` that says it is evaluated at a kink.
pub(crate) fn kinks_on<T: Float>(tape: &Tape<T>) -> Vec<NodeInfo> {
    tape.nodes()
        .filter(|node| node.is_at_kink())
        .map(|node| NodeInfo::of(&node))
        .collect()
}

fn flat<T: Float>(t: &Tensor<T>) -> impl Iterator<Item = f64> + '_ {
    t.as_slice().iter().map(|v| v.to_f64())
}

fn multi_index(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for (i, &d) in idx.iter_mut().zip(shape).rev() {
        *i = flat % d;
        flat /= d;
    }
    idx
}

/// `(which tensor, element)` of the `r`-th element of tensors with these shapes, flattened.
fn locate(r: usize, shapes: &[Vec<usize>]) -> (usize, usize) {
    let mut r = r;
    for (t, s) in shapes.iter().enumerate() {
        let n = numel(s);
        if r < n {
            return (t, r);
        }
        r -= n;
    }
    unreachable!("index past the last tensor")
}

/// The tensor sweep's gradients of `out` (seeded with `seed`, or ones) for each of `xs`.
///
/// An output that depends on no leaf (a VJP that computes its gradient off the tape
/// makes one at the next order) has zero gradients (`try_backward_wrt`); `backward`
/// refuses such an output to users, but its answer is not in doubt.
fn eager_grads<T: Float>(
    out: Var<'_, T>,
    seed: Option<Tensor<T>>,
    xs: &[Var<'_, T>],
) -> Vec<Tensor<T>> {
    match out.try_backward_wrt(seed, xs) {
        Ok(grads) => grads,
        Err(e) => panic!("{e}"),
    }
}

/// Checks that gradient shapes match, that backward twice gives the same, and that a zero
/// cotangent gives zero gradients, for output `out` with seed shape `shape`.
fn structural<'t, T: Float>(
    report: &mut Report,
    k: usize,
    out: Var<'t, T>,
    xs: &[Var<'t, T>],
    seed: &Tensor<T>,
) {
    let (Ok(a), Ok(b)) = (
        out.try_backward(Some(seed.clone())),
        out.try_backward(Some(seed.clone())),
    ) else {
        return;
    };
    for (i, &x) in xs.iter().enumerate() {
        let (ga, gb) = (a.wrt(x), b.wrt(x));
        if ga.shape() != x.value().shape() {
            report.problem(format!(
                "order {k}: backward gives input {i} a gradient of shape {:?}, the input has {:?}",
                ga.shape(),
                x.value().shape()
            ));
        }
        let same = ga.shape() == gb.shape()
            && flat(&ga)
                .zip(flat(&gb))
                .all(|(p, q)| p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()));
        if !same {
            report.problem(format!(
                "order {k}: backward twice gave different gradients for input {i}"
            ));
        }
    }
    let zero = Tensor::zeros(seed.shape());
    if let Ok(z) = out.try_backward(Some(zero)) {
        for (i, &x) in xs.iter().enumerate() {
            // NaN is allowed: 0 · inf at a domain edge is NaN by the conventions.
            if flat(&z.wrt(x)).any(|v| v != 0.0 && !v.is_nan()) {
                report.problem(format!(
                    "order {k}: a zero cotangent gives input {i} a non-zero gradient"
                ));
            }
        }
    }
}

/// The full Jacobian of `Fₖ`: rows by one-hot cotangents through both sweeps, columns by
/// central differences along each input element.
pub(crate) fn full<A: Float, N: Float>(probe: &Probe<'_, A, N>, report: &mut Report, k: usize) {
    let Probe {
        analytic,
        numeric,
        inputs,
        inputs_n,
        cots,
        eps,
    } = *probe;
    let in_shapes: Vec<Vec<usize>> = inputs.iter().map(|x| x.shape().to_vec()).collect();
    let n_in: usize = inputs.iter().map(|x| x.len()).sum();
    let tape = Tape::<A>::new();
    let xs: Vec<_> = inputs.iter().map(|x| tape.leaf(x.clone())).collect();
    let outs = outputs(&tape, analytic, &xs, k, cots);
    report.add_kinks(kinks_on(&tape));
    let out_shapes: Vec<Vec<usize>> = outs.iter().map(|o| o.shape().to_vec()).collect();
    let n_out: usize = out_shapes.iter().map(|s| numel(s)).sum();
    // rows[route][r * n_in + c] = ∂ out_r / ∂ in_c
    let mut rows = [vec![0.0; n_out * n_in], vec![0.0; n_out * n_in]];
    let mut r = 0;
    for (&out, shape) in outs.iter().zip(&out_shapes) {
        for e in 0..numel(shape) {
            let seed = Tensor::<A>::from_fn(shape, |i| if i == e { A::ONE } else { A::ZERO });
            if e == 0 {
                structural(report, k, out, &xs, &seed);
            }
            // The recorded gradient is read; forget its nodes so the tape stays small.
            let recorded = tape.scratch(|| {
                tape.grad_with(out, tape.constant(seed.clone()), &xs)
                    .iter()
                    .map(|g| g.value())
                    .collect::<Vec<_>>()
            });
            let eager = eager_grads(out, Some(seed), &xs);
            for i in 0..xs.len() {
                if recorded[i].shape() != in_shapes[i].as_slice() {
                    report.problem(format!(
                        "order {k}: grad gives input {i} a gradient of shape {:?}, the input has {:?}",
                        recorded[i].shape(),
                        in_shapes[i]
                    ));
                    return;
                }
            }
            let mut c = 0;
            for (g, e) in recorded.iter().zip(&eager) {
                for (v, w) in flat(g).zip(flat(e)) {
                    rows[0][r * n_in + c] = v;
                    rows[1][r * n_in + c] = w;
                    c += 1;
                }
            }
            r += 1;
        }
    }
    let mut c = 0;
    for (i, x) in inputs_n.iter().enumerate() {
        for e in 0..x.len() {
            let nudged = |delta: f64| {
                let mut moved = inputs_n.to_vec();
                let slot = &mut moved[i].as_mut_slice()[e];
                let before = slot.to_f64();
                *slot = N::from_f64(before + delta);
                // The step actually taken, after rounding to N.
                let step = slot.to_f64() - before;
                (values_at(numeric, &moved, k, cots), step)
            };
            let ((plus, hp), (minus, hm)) = (nudged(eps), nudged(-eps));
            if plus.len() != n_out {
                report.problem(format!(
                    "order {k}: the outputs have {} elements at a nudged input, {n_out} at the input",
                    plus.len()
                ));
                return;
            }
            let (input, element) = (i, e);
            for r in 0..n_out {
                let numeric = (plus[r] - minus[r]) / (hp - hm);
                let (output, out_element) = locate(r, &out_shapes);
                let at = Position::Jacobian {
                    output,
                    out_element,
                    out_index: multi_index(out_element, &out_shapes[output]),
                    input,
                    element,
                    in_index: multi_index(element, &in_shapes[input]),
                };
                report.compare(
                    k,
                    GradientRoute::TapeGrad,
                    at.clone(),
                    rows[0][r * n_in + c],
                    numeric,
                );
                report.compare(
                    k,
                    GradientRoute::Backward,
                    at,
                    rows[1][r * n_in + c],
                    numeric,
                );
            }
            c += 1;
        }
    }
}

/// Scales tensors so that together they have unit Euclidean norm (kept f32-exact).
fn unit(ts: Vec<Tensor<f64>>) -> Vec<Tensor<f64>> {
    let norm = ts
        .iter()
        .flat_map(|t| t.as_slice().iter())
        .map(|v| v * v)
        .sum::<f64>()
        .sqrt();
    if norm == 0.0 {
        return ts;
    }
    ts.iter()
        .map(|t| t.map(|v| v / norm).cast::<f32>().cast())
        .collect()
}

/// `directions` random directions: `u` over the inputs, `v` over `Fₖ`'s outputs, both of
/// unit norm. Compares `⟨v, J u⟩` from each sweep's VJP (`⟨Jᵀv, u⟩`) and every element of
/// the engine's `J u` (the double-VJP trick) with central differences along `u`.
pub(crate) fn directional<A: Float, N: Float>(
    probe: &Probe<'_, A, N>,
    report: &mut Report,
    k: usize,
    directions: usize,
    rng: &mut StdRng,
) {
    let Probe {
        analytic,
        numeric,
        inputs,
        inputs_n,
        cots,
        eps,
    } = *probe;
    let out_shapes = output_shapes(numeric, inputs_n, k, cots);
    for d in 0..directions {
        let u = unit(inputs.iter().map(|x| normal(x.shape(), rng)).collect());
        let v = unit(out_shapes.iter().map(|s| normal(s, rng)).collect());
        // The engine's side.
        let tape = Tape::<A>::new();
        let xs: Vec<_> = inputs.iter().map(|x| tape.leaf(x.clone())).collect();
        let outs = outputs(&tape, analytic, &xs, k, cots);
        if d == 0 {
            report.add_kinks(kinks_on(&tape));
        }
        let dot_u = |gs: &[Tensor<f64>]| -> f64 {
            gs.iter()
                .zip(&u)
                .map(|(g, u)| flat(g).zip(u.as_slice()).map(|(a, b)| a * b).sum::<f64>())
                .sum()
        };
        let s = dot(&tape, &outs, &v);
        let by_grad: Vec<Tensor<f64>> =
            tape.grad(s, &xs).iter().map(|g| g.value().cast()).collect();
        let by_backward: Vec<Tensor<f64>> =
            eager_grads(s, None, &xs).iter().map(|g| g.cast()).collect();
        for (i, (g, x)) in by_backward.iter().zip(inputs).enumerate() {
            if g.shape() != x.shape() || by_grad[i].shape() != x.shape() {
                report.problem(format!(
                    "order {k}: input {i} gets a gradient of shape {:?} (grad) / {:?} (backward), the input has {:?}",
                    by_grad[i].shape(),
                    g.shape(),
                    x.shape()
                ));
                return;
            }
        }
        if d == 0 {
            for (&out, vo) in outs.iter().zip(&v) {
                structural(report, k, out, &xs, &vo.cast());
            }
        }
        // J u: differentiate ⟨Jᵀ w, u⟩ with respect to the cotangent w (a leaf).
        let ws: Vec<_> = v.iter().map(|t| tape.leaf(t.cast::<A>())).collect();
        let mut sw: Option<Var<'_, A>> = None;
        for (&o, &w) in outs.iter().zip(&ws) {
            let term = (o * w).sum();
            sw = Some(match sw {
                Some(a) => a + term,
                None => term,
            });
        }
        let jtw = match sw {
            Some(sw) => tape.grad(sw, &xs),
            None => Vec::new(),
        };
        let mut t = tape.constant(Tensor::scalar(A::ZERO));
        for (g, ui) in jtw.iter().zip(&u) {
            t = t + (*g * tape.constant(ui.cast())).sum();
        }
        let ju: Vec<f64> = tape
            .grad(t, &ws)
            .iter()
            .flat_map(|g| flat(&g.value()).collect::<Vec<_>>())
            .collect();
        // Finite differences along u.
        let nudged = |h: f64| {
            let moved: Vec<Tensor<N>> = inputs_n
                .iter()
                .zip(&u)
                .map(|(x, ui)| {
                    Tensor::from_fn(x.shape(), |j| {
                        N::from_f64(x.as_slice()[j].to_f64() + h * ui.as_slice()[j])
                    })
                })
                .collect();
            values_at(numeric, &moved, k, cots)
        };
        let (plus, minus) = (nudged(eps), nudged(-eps));
        let ju_num: Vec<f64> = plus
            .iter()
            .zip(&minus)
            .map(|(p, m)| (p - m) / (2.0 * eps))
            .collect();
        let v_flat: Vec<f64> = v.iter().flat_map(|t| t.as_slice().to_vec()).collect();
        let vju_num: f64 = v_flat.iter().zip(&ju_num).map(|(a, b)| a * b).sum();
        let at = Position::Direction {
            direction: d,
            output: None,
        };
        report.compare(
            k,
            GradientRoute::TapeGrad,
            at.clone(),
            dot_u(&by_grad),
            vju_num,
        );
        report.compare(k, GradientRoute::Backward, at, dot_u(&by_backward), vju_num);
        for (r, (&a, &n)) in ju.iter().zip(&ju_num).enumerate() {
            let at = Position::Direction {
                direction: d,
                output: Some(locate(r, &out_shapes)),
            };
            report.compare(k, GradientRoute::Jvp, at, a, n);
        }
    }
}
