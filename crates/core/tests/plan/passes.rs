//! Each optimisation pass on its own: what it removes (from the plan's statistics and
//! its instruction list) and that the values stay those of the unoptimised replay.

use crate::support::assert_same;
use tapegrad_core::{Passes, Plan, Tape, Tensor, Var};

type Build = for<'t> fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Vec<Var<'t, f64>>;

/// The plan with only `pass` on (and DCE, unless `pass` is DCE itself, so the counts
/// reflect what the pass made dead), checked against the replay with no pass at all.
fn with_only(
    pass: fn(&mut Passes),
    inputs: &[Tensor<f64>],
    at: &[Tensor<f64>],
    f: Build,
) -> Plan<f64> {
    let mut passes = Passes::none();
    pass(&mut passes);
    let mut plain = Plan::trace_with(inputs, Passes::none(), f).unwrap();
    let mut plan = Plan::trace_with(inputs, passes, f).unwrap();
    assert_same(&plan.run(at).unwrap(), &plain.run(at).unwrap(), 1e-15);
    plan
}

fn dce_too(p: &mut Passes) {
    p.dce = true;
}

#[test]
fn dce_keeps_only_what_the_outputs_need() {
    let x = [Tensor::vector(vec![1.0, 2.0]), Tensor::scalar(3.0)];
    let at = [Tensor::vector(vec![-1.0, 0.5]), Tensor::scalar(4.0)];
    let f: Build = |_, v| {
        let _unused = v[0].exp().sin() * v[1];
        vec![v[0].tanh()]
    };
    let plan = with_only(dce_too, &x, &at, f);
    assert_eq!(plan.ops(), ["tanh"]);
    assert_eq!(plan.stats().dropped, 3 + 1); // exp, sin, mul and input 1
    assert!(plan.to_string().contains("(input 1 unused)"));
    let all = Plan::trace_with(&x, Passes::none(), f).unwrap();
    assert_eq!(all.stats().instructions, 4);
}

#[test]
fn fold_evaluates_what_depends_on_no_input() {
    let x = [Tensor::vector(vec![1.0, 2.0])];
    let at = [Tensor::vector(vec![5.0, -2.0])];
    let f: Build = |tape, v| {
        let w = tape.leaf(Tensor::vector(vec![0.5, 0.25])); // captured by value
        let k = (w.exp() * 2.0).sum();
        vec![v[0] * k]
    };
    let plan = with_only(
        |p| {
            p.fold = true;
            p.dce = true;
        },
        &x,
        &at,
        f,
    );
    assert_eq!(plan.stats().folded, 3); // exp, mul_scalar, sum
    assert_eq!(plan.ops(), ["mul"]);
    let mut none = Plan::trace_with(&x, Passes::none(), f).unwrap();
    assert_eq!(none.stats().instructions, 4);
    let want = 5.0 * 2.0 * (0.5f64.exp() + 0.25f64.exp());
    assert!((none.run(&at).unwrap()[0].as_slice()[0] - want).abs() < 1e-14);
}

#[test]
fn cse_merges_the_same_built_in_op_on_the_same_inputs_only() {
    let x = [Tensor::vector(vec![1.0, 2.0])];
    let at = [Tensor::vector(vec![0.3, -0.7])];
    let f: Build = |_, v| {
        let a = v[0].exp() * 2.0;
        let b = v[0].exp() * 2.0; // the same twice: merged
        let c = v[0].exp() * 3.0; // another parameter: kept
        vec![a + b + c]
    };
    let plan = with_only(
        |p| {
            p.cse = true;
            p.dce = true;
        },
        &x,
        &at,
        f,
    );
    assert_eq!(plan.stats().merged, 2 + 1); // exp twice, mul_scalar(2) once
    let ops = plan.ops();
    assert_eq!(ops.iter().filter(|o| *o == "exp").count(), 1);
    assert!(
        ops.contains(&"mul_scalar(2)".to_string()) && ops.contains(&"mul_scalar(3)".to_string())
    );
}

/// Plans with only simplification (and DCE): the listed op labels.
fn simplified(x: Tensor<f64>, at: Tensor<f64>, f: Build) -> Vec<String> {
    with_only(
        |p| {
            p.simplify = true;
            p.dce = true;
        },
        &[x],
        &[at],
        f,
    )
    .ops()
}

#[test]
fn simplify_drops_multiplications_by_one_and_additions_of_zero() {
    let f: Build = |tape, v| {
        let ones = tape.constant(Tensor::ones(&[3]));
        let zeros = tape.constant(Tensor::zeros(&[1]));
        vec![((v[0] * ones + zeros) * 1.0 + 0.0 - zeros) / ones]
    };
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let at = Tensor::from_vec(vec![-1.0, 2.5, 3.0, 0.0, 5.0, 9.0], &[2, 3]);
    assert!(simplified(x, at, f).is_empty());
}

#[test]
fn simplify_keeps_a_multiplication_by_one_that_broadcasts() {
    let f: Build = |tape, v| vec![v[0] * tape.constant(Tensor::ones(&[2, 3]))];
    let ops = simplified(
        Tensor::vector(vec![1.0, 2.0, 3.0]),
        Tensor::vector(vec![4.0, 5.0, 6.0]),
        f,
    );
    assert_eq!(ops, ["mul"]);
}

#[test]
fn simplify_collapses_shape_chains() {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let at = Tensor::from_vec(vec![6.0, 5.0, 4.0, 3.0, 2.0, 1.0], &[2, 3]);
    let f: Build =
        |_, v| vec![v[0].t().t().reshape(&[3, 2]).reshape(&[6]).reshape(&[2, 3]) - (-(-v[0]))];
    assert_eq!(simplified(x.clone(), at.clone(), f), ["sub"]);
    let f: Build = |_, v| vec![v[0].reshape(&[3, 2]).reshape(&[6]).broadcast_to(&[6])];
    assert_eq!(simplified(x.clone(), at.clone(), f), ["reshape([6])"]);
    let f: Build = |_, v| {
        vec![v[0]
            .reshape(&[1, 2, 3])
            .permute(&[1, 0, 2])
            .permute(&[2, 0, 1])]
    };
    let ops = simplified(x, at, f);
    assert_eq!(ops.len(), 2, "{ops:?}");
    assert!(ops[1].starts_with("permute"), "{ops:?}");
}

#[test]
fn simplify_turns_a_summed_broadcast_into_a_scaling() {
    let x = Tensor::vector(vec![1.0, 2.0, 3.0]);
    let at = Tensor::vector(vec![0.5, -1.0, 2.0]);
    let f: Build = |_, v| vec![v[0].broadcast_to(&[4, 3]).sum_to(&[3])];
    assert_eq!(simplified(x, at, f), ["mul_scalar(4)"]);
}

#[test]
fn passes_shrink_a_recorded_backward() {
    // a product of a residual with a second copy of itself, written twice: the eager tape
    // records both copies and their whole backward (it already skips a square's twin
    // product and the constant data's cotangent). CSE merges the copy's forward and,
    // with it, the twin halves of the backward; DCE then drops what nobody reads
    let x = [Tensor::vector(vec![0.5, -0.5]), Tensor::scalar(0.1)];
    let f: Build = |tape, p| {
        let data = tape.constant(Tensor::from_vec(
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            &[3, 2],
        ));
        let r = data.matmul(p[0]) + p[1];
        let copy = data.matmul(p[0]) + p[1];
        let loss = (r * copy).mean();
        let mut out = vec![loss];
        out.extend(tape.grad(loss, p));
        out
    };
    let at = [Tensor::vector(vec![2.0, 1.0]), Tensor::scalar(-0.3)];
    let plan = with_only(
        |p| {
            p.cse = true;
            p.dce = true;
        },
        &x,
        &at,
        f,
    );
    let none = Plan::trace_with(&x, Passes::none(), f).unwrap();
    let (merged, ours, theirs) = (
        plan.stats().merged,
        plan.stats().instructions,
        none.stats().instructions,
    );
    // 9 merged here: the copy's two ops, then each twin of its backward in turn
    assert!(
        merged >= 3,
        "the copy's matmul and add and a backward twin: {merged}"
    );
    assert_eq!(ours + merged, theirs, "each merge removes one instruction");
}

#[test]
fn liveness_reuses_slots_along_a_chain() {
    let x = [Tensor::vector(vec![0.1; 1000])];
    let f: Build = |_, v| {
        let mut y = v[0];
        for _ in 0..50 {
            y = (y * 0.9).sin();
        }
        vec![y]
    };
    // without epilogues, which would run each `sin → mul_scalar` as one instruction
    let passes = Passes {
        epilogues: false,
        ..Passes::all()
    };
    let mut plan = Plan::trace_with(&x, passes, f).unwrap();
    // 100 values of 1,000 elements each, at most two alive at once, and the input's slot
    // (its own: it holds the caller's tensor)
    assert_eq!(plan.stats().instructions, 100);
    assert!(plan.stats().slots <= 3, "{:?}", plan.stats());
    let mut none = Plan::trace_with(&x, Passes::none(), f).unwrap();
    let at = [Tensor::vector(vec![0.7; 1000])];
    assert_same(&plan.run(&at).unwrap(), &none.run(&at).unwrap(), 0.0);
}

#[test]
fn replays_write_into_slot_buffers_but_never_into_outputs_the_caller_holds() {
    // a layer and its gradients: matmul, linear and the reductions write into their
    // slots' buffers from the second replay on
    let inputs = [
        Tensor::from_vec(vec![0.5, -0.25, 1.0, 0.75, -1.0, 0.5], &[2, 3]),
        Tensor::vector(vec![0.1, -0.2]),
    ];
    let f: Build = |tape, v| {
        let x = Tensor::from_vec((0..12).map(|i| i as f64 * 0.1).collect(), &[4, 3]);
        let h = tape.constant(x).linear(v[0], Some(v[1])).relu();
        let loss = (h.matmul(v[0]) * 0.5).mean();
        let mut out = vec![loss];
        out.extend(tape.grad(loss, v));
        out
    };
    let mut plan = Plan::trace(&inputs, f).unwrap();
    let mut none = Plan::trace_with(&inputs, Passes::none(), f).unwrap();
    let first = plan.run(&inputs).unwrap();
    let kept: Vec<Vec<f64>> = first.iter().map(|t| t.to_vec()).collect();
    let at = [inputs[0].map(|w| w * -1.5), inputs[1].map(|b| b + 0.3)];
    for _ in 0..3 {
        assert_same(&plan.run(&at).unwrap(), &none.run(&at).unwrap(), 0.0);
    }
    // the first replay's outputs, still held here, were not written into
    for (t, k) in first.iter().zip(&kept) {
        assert_eq!(&t.to_vec(), k);
    }
}

fn fuse_too(p: &mut Passes) {
    p.dce = true;
    p.fuse = true;
}

#[test]
fn fuse_runs_an_element_wise_chain_and_its_sums_as_one_loop() {
    // linear regression's gradient: the residual, its square's sum and the two sums of
    // the backward pass are one loop over 600 points (three blocks of the fused loop)
    let x: Vec<f64> = (0..600).map(|i| i as f64 * 0.01).collect();
    let inputs = [Tensor::scalar(0.5), Tensor::scalar(-0.25)];
    let at = [Tensor::scalar(1.75), Tensor::scalar(0.125)];
    let f: Build = |tape, p| {
        let x = Tensor::vector((0..600).map(|i| i as f64 * 0.01).collect());
        let y = x.map(|v| 2.0 * v + 0.3 + (v * 37.0).sin() * 0.1);
        let d = tape.constant(x) * p[0] + p[1] - tape.constant(y);
        let loss = (d * d).sum();
        let mut out = vec![loss];
        out.extend(tape.grad(loss, p));
        out
    };
    let plan = with_only(fuse_too, &inputs, &at, f);
    assert_eq!(plan.stats().instructions, 1, "{plan}");
    assert_eq!(
        plan.ops(),
        ["fused(mul, add, sub, mul, sum, mul, add, sum_to([]), mul, sum_to([]))"]
    );
    assert_eq!(plan.stats().fused, 10);
    assert!(plan.to_string().contains("%"), "{plan}");
    // the same values to the bit as the unfused replay (`with_only` checked at `at`) and
    // as eager
    let tape = Tape::new();
    let p: Vec<_> = at.iter().map(|t| tape.leaf(t.clone())).collect();
    let d = tape.constant(Tensor::vector(x.clone())) * p[0] + p[1]
        - tape.constant(Tensor::vector(x).map(|v| 2.0 * v + 0.3 + (v * 37.0).sin() * 0.1));
    let loss = (d * d).sum();
    let mut want = vec![loss.value()];
    want.extend(tape.grad(loss, &p).iter().map(|g| g.value()));
    let mut plan = plan;
    assert_same(&plan.run(&at).unwrap(), &want, 1e-12);
}

#[test]
fn fuse_starts_a_new_chain_where_a_step_reads_a_sum_of_its_own_chain() {
    // `a · Σa`: the sum is known only after the loop over `a`, so the product cannot be
    // in that loop; alone, it stays an ordinary instruction
    let x = [Tensor::vector(vec![1.0, 2.0, 3.0])];
    let at = [Tensor::vector(vec![0.5, -1.0, 4.0])];
    let f: Build = |_, v| {
        let a = v[0] * 2.0;
        vec![a * a.sum()]
    };
    let plan = with_only(fuse_too, &x, &at, f);
    assert_eq!(plan.ops(), ["fused(mul_scalar(2), sum)", "mul"]);
}

#[test]
fn fuse_keeps_relus_mask_in_the_backward_loop_that_reads_it() {
    // the mask `sign(y)` is fused with `dy · sign(y)` (no buffer for it), not with the
    // forward `relu`, whose loop would have to keep it until the backward pass
    let x = [Tensor::from_vec(vec![0.5, -1.0, 2.0, -0.25], &[2, 2])];
    let at = [Tensor::from_vec(vec![-0.5, 1.0, 1.5, 0.75], &[2, 2])];
    let f: Build = |tape, v| {
        let h = v[0].matmul(v[0]).relu();
        let loss = h.matmul(v[0]).sum();
        tape.grad(loss, v)
    };
    let plan = with_only(fuse_too, &x, &at, f);
    assert!(
        plan.ops().iter().any(|op| op == "fused(sign, mul)"),
        "{plan}"
    );
    assert!(plan.ops().iter().any(|op| op == "relu"), "{plan}");
}

#[test]
fn fuse_runs_tanhs_backward_in_the_loop_that_reads_it() {
    // `tanh`'s VJP is one op, `tanh_grad(y, dy)`: an element-wise step of two operands,
    // fused with the product that makes `dy` and the sum that takes the gradient
    let x = [Tensor::vector(vec![0.5, -1.0, 2.0, -0.25])];
    let at = [Tensor::vector(vec![-0.5, 1.0, 1.5, 0.75])];
    let f: Build = |tape, v| {
        let loss = (v[0].tanh() * v[0]).sum();
        tape.grad(loss, v)
    };
    let plan = with_only(fuse_too, &x, &at, f);
    assert!(
        plan.ops()
            .iter()
            .any(|op| op.starts_with("fused(") && op.contains("tanh_grad")),
        "{plan}"
    );
}

#[test]
fn fuse_splits_a_chain_longer_than_its_limit_into_several_loops() {
    // 6,000 element-wise ops forward and more backward: chains of at most 1,024 nodes
    let x = [Tensor::vector(vec![0.5, -0.25, 1.0])];
    let at = [Tensor::vector(vec![0.25, 0.75, -1.0])];
    let f: Build = |tape, v| {
        let mut y = v[0];
        for _ in 0..2000 {
            y = (y * 1.0001 + 0.0001).relu();
        }
        let loss = (y * y).sum();
        vec![loss, tape.grad(loss, v)[0]]
    };
    let plan = with_only(fuse_too, &x, &at, f);
    let s = plan.stats();
    assert!(s.fused > 6000, "{s:?}");
    let chains = plan
        .ops()
        .iter()
        .filter(|op| op.starts_with("fused("))
        .count();
    assert!(chains >= 6, "{chains} chains for {} fused nodes", s.fused);
}

/// A layer's input (64 × `k`, one NaN in every 97 values), weight (48 × `k`) and bias.
fn layer_inputs(k: usize) -> [Tensor<f32>; 3] {
    let x = Tensor::from_fn(&[64, k], |i| match i % 97 {
        0 => f32::NAN,
        _ => ((i * 7919) % 1000) as f32 / 250.0 - 2.0,
    });
    let w = Tensor::from_fn(&[48, k], |i| ((i * 104_729) % 997) as f32 / 300.0 - 1.6);
    let b = Tensor::from_fn(&[48], |i| i as f32 * 0.05 - 1.0);
    [x, w, b]
}

/// The values' bits, every NaN as one.
fn bits(t: &Tensor<f32>) -> Vec<u32> {
    (t.as_slice().iter())
        .map(|x| if x.is_nan() { u32::MAX } else { x.to_bits() })
        .collect()
}

#[test]
fn a_layers_relu_runs_in_its_products_tiles_with_the_eager_values() {
    // 64 × 32 by 32 × 48 (the tiles, with edges) and 64 × 2 by 2 × 48 (the thin loop):
    // `linear → relu` gives relu(linear) of the eager engine, to the bit, NaN kept
    for k in [32, 2] {
        let inputs = layer_inputs(k);
        let mut plan =
            Plan::trace(&inputs, |_, v| vec![v[0].linear(v[1], Some(v[2])).relu()]).unwrap();
        assert_eq!(plan.ops(), ["linear → relu"]);
        let tape = Tape::new();
        let v: Vec<_> = inputs.iter().map(|t| tape.leaf(t.clone())).collect();
        let want = v[0].linear(v[1], Some(v[2])).relu().value();
        let got = plan.run(&inputs).unwrap().remove(0);
        assert_eq!(bits(&got), bits(&want), "k = {k}");
        assert!(got.as_slice().iter().any(|x| x.is_nan()));
        assert!(got.as_slice().contains(&0.0));
    }
}

#[test]
fn a_layers_tanh_or_gelu_runs_in_its_products_tiles_with_the_eager_values() {
    // `linear → tanh` (the tiles, with edges, and the thin loop) and `matmul → tanh`
    // (an op that leaves the activation to the plan, which applies it in place) give the
    // eager engine's values, to the bit, NaN kept; the same for `gelu`
    type Act = for<'t> fn(Var<'t, f32>) -> Var<'t, f32>;
    let acts: [(&str, Act); 2] = [("tanh", |z| z.tanh()), ("gelu", |z| z.gelu())];
    for (name, act) in acts {
        for k in [32, 2] {
            let inputs = layer_inputs(k);
            // (the signature every tape lifetime needs, for a closure)
            fn traced<F>(f: F) -> F
            where
                F: for<'t> Fn(&'t Tape<f32>, &[Var<'t, f32>]) -> Vec<Var<'t, f32>>,
            {
                f
            }
            let f = traced(move |_, v| {
                let (x, w, b) = (v[0], v[1], v[2]);
                vec![act(x.linear(w, Some(b))), act(x.matmul(w.permute(&[1, 0])))]
            });
            let mut plan = Plan::trace(&inputs, f).unwrap();
            let ops = plan.ops();
            assert!(
                ops.iter().any(|op| *op == format!("linear → {name}")),
                "{plan}"
            );
            let matmul = |op: &String| op.starts_with("matmul") && op.ends_with(name);
            assert!(ops.iter().any(matmul), "{plan}");
            let tape = Tape::new();
            let v: Vec<_> = inputs.iter().map(|t| tape.leaf(t.clone())).collect();
            let want: Vec<_> = f(&tape, &v).iter().map(|y| y.value()).collect();
            let got = plan.run(&inputs).unwrap();
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(bits(g), bits(w), "{name}, k = {k}");
                assert!(g.as_slice().iter().any(|x| x.is_nan()));
            }
        }
    }
}

fn epilogues_too(p: &mut Passes) {
    p.dce = true;
    p.epilogues = true;
}

#[test]
fn epilogues_run_relu_in_place_in_the_instruction_of_the_layer_it_reads() {
    // a layer, then relu: one instruction with one slot; a relu whose operand another
    // op also reads stays an instruction of its own
    let x = [
        Tensor::from_vec(vec![0.5, -0.25, 1.0, 0.75, -1.0, 0.5], &[2, 3]),
        Tensor::vector(vec![0.1, -0.2]),
    ];
    let at = [x[0].map(|w| w * -1.5), x[1].map(|b| b + 0.3)];
    let f: Build = |_, v| {
        let input = Tensor::from_vec((0..12).map(|i| i as f64 * 0.1 - 0.5).collect(), &[4, 3]);
        let z = v[0].tape().constant(input).linear(v[0], Some(v[1]));
        let h = z.relu();
        let shared = v[0].matmul(v[0].permute(&[1, 0])); // read by relu and by mul
        vec![h.sum(), (shared.relu() * shared).sum()]
    };
    let plan = with_only(epilogues_too, &x, &at, f);
    let ops = plan.ops();
    assert!(ops.iter().any(|op| op == "linear → relu"), "{plan}");
    assert!(ops.iter().any(|op| op == "relu"), "{plan}");
    let mut without = Plan::trace_with(&x, Passes::none(), f).unwrap();
    assert_eq!(plan.stats().instructions + 1, {
        let mut p = Passes::none();
        p.dce = true;
        Plan::trace_with(&x, p, f).unwrap().stats().instructions
    });
    let mut plan = plan;
    for _ in 0..2 {
        assert_same(&plan.run(&at).unwrap(), &without.run(&at).unwrap(), 0.0);
    }
}
