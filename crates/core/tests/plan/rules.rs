//! Tracing and replaying: values at new inputs, the shape refusal, frozen control flow,
//! constants captured by value, outputs of every kind, user ops.

use crate::support::assert_same;
use tapegrad_core::{
    ErrorKind, Float, InputGrads, Op, Passes, Plan, Tape, Tensor, TensorError, Var,
};

/// `f(x, y) = Σ sin(x)·y + x²` and its gradients, eagerly.
fn eager(x: &Tensor<f64>, y: &Tensor<f64>) -> Vec<Tensor<f64>> {
    let tape = Tape::new();
    let (x, y) = (tape.leaf(x.clone()), tape.leaf(y.clone()));
    let f = (x.sin() * y + x * x).sum();
    let g = tape.grad(f, &[x, y]);
    vec![f.value(), g[0].value(), g[1].value()]
}

fn traced(x: &Tensor<f64>, y: &Tensor<f64>) -> Plan<f64> {
    Plan::trace(&[x.clone(), y.clone()], |tape, v| {
        let f = (v[0].sin() * v[1] + v[0] * v[0]).sum();
        let g = tape.grad(f, v);
        vec![f, g[0], g[1]]
    })
    .unwrap()
}

#[test]
fn plan_replays_a_loss_and_its_gradients_at_new_inputs() {
    let x0 = Tensor::from_vec(vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6], &[2, 3]);
    let y0 = Tensor::vector(vec![1.0, -1.0, 2.0]);
    let mut plan = traced(&x0, &y0);
    // at the traced point and elsewhere
    assert_same(
        &plan.run(&[x0.clone(), y0.clone()]).unwrap(),
        &eager(&x0, &y0),
        0.0,
    );
    let x1 = Tensor::from_vec(vec![-1.0, 2.0, 0.5, 3.0, -0.25, 1.5], &[2, 3]);
    let y1 = Tensor::vector(vec![0.5, 4.0, -3.0]);
    let out = plan.run(&[x1.clone(), y1.clone()]).unwrap();
    assert_same(&out, &eager(&x1, &y1), 0.0);
    // by hand: d/dx = cos(x)·y + 2x at x = -1, y = 0.5
    let want = (-1.0f64).cos() * 0.5 - 2.0;
    assert!((out[1].as_slice()[0] - want).abs() < 1e-15);
    assert_eq!(plan.output_shapes(), &[vec![], vec![2, 3], vec![3]]);
}

#[test]
fn plan_refuses_other_shapes_naming_the_input_and_both_shapes() {
    let mut plan = traced(&Tensor::zeros(&[2, 3]), &Tensor::zeros(&[3]));
    let bad = [Tensor::zeros(&[2, 3]), Tensor::zeros(&[4])];
    let (err, line) = (plan.run(&bad).unwrap_err(), line!());
    assert_eq!(
        err.kind(),
        &ErrorKind::ShapeMismatch {
            shapes: vec![vec![3], vec![4]]
        }
    );
    let text = err.to_string();
    assert!(
        text.starts_with("plan.run: input 1 was traced with shape [3] but is given shape [4]"),
        "{text}"
    );
    assert_eq!((err.location.file(), err.location.line()), (file!(), line));
    let err = plan.run(&[Tensor::zeros(&[2, 3])]).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("traced with 2 inputs, given 1"));
}

#[test]
fn plan_freezes_control_flow_that_depends_on_values() {
    // the branch taken at trace time (x > 0) is replayed for a negative x too
    let mut plan = Plan::trace(&[Tensor::scalar(2.0)], |_, x| {
        vec![if x[0].item() > 0.0 { x[0] * 3.0 } else { -x[0] }]
    })
    .unwrap();
    assert_eq!(plan.run(&[Tensor::scalar(-1.0)]).unwrap()[0].item(), -3.0);
}

#[test]
fn plan_captures_constants_and_detached_values_by_value() {
    let c = Tensor::vector(vec![1.0, 2.0]);
    let mut plan = Plan::trace(&[Tensor::vector(vec![1.0, 1.0])], |tape, x| {
        let k = tape.constant(c.clone());
        let frozen = x[0].detach() * 10.0; // the example's value, for good
        let w = tape.leaf(Tensor::scalar(0.5)); // a leaf made inside: a constant too
        vec![x[0] * k + frozen + w]
    })
    .unwrap();
    let out = plan.run(&[Tensor::vector(vec![3.0, 4.0])]).unwrap();
    assert_eq!(out[0].as_slice(), &[3.0 + 10.0 + 0.5, 8.0 + 10.0 + 0.5]);
}

#[test]
fn plan_outputs_may_be_inputs_constants_or_repeated() {
    let mut plan = Plan::trace(&[Tensor::scalar(1.0), Tensor::scalar(2.0)], |tape, x| {
        let y = x[0].exp();
        let dz = tape.grad(y, &[x[1]])[0]; // y does not depend on x1: zeros
        vec![x[1], y, dz, y]
    })
    .unwrap();
    let out = plan
        .run(&[Tensor::scalar(0.0), Tensor::scalar(7.0)])
        .unwrap();
    let items: Vec<f64> = out.iter().map(|t| t.item()).collect();
    assert_eq!(items, [7.0, 1.0, 0.0, 1.0]);
}

#[test]
fn plan_relu_and_abs_masks_follow_the_new_inputs() {
    let x0 = Tensor::vector(vec![1.0, -1.0, 2.0]);
    let mut plan = Plan::trace(&[x0], |tape, x| {
        let f = (x[0].relu() * 2.0 + x[0].abs()).sum();
        vec![tape.grad(f, x)[0]]
    })
    .unwrap();
    let out = plan.run(&[Tensor::vector(vec![-3.0, 5.0, 0.0])]).unwrap();
    // relu' = [x > 0], abs' = sign(x) with 0 at 0
    assert_eq!(out[0].as_slice(), &[-1.0, 3.0, 0.0]);
}

#[test]
fn plan_max_and_maximum_weights_follow_the_new_inputs() {
    let mut plan = Plan::trace(&[Tensor::vector(vec![3.0, 1.0, 2.0])], |tape, x| {
        let f = x[0].max() + x[0].maximum(x[0].scalar(1.5)).sum();
        vec![tape.grad(f, x)[0]]
    })
    .unwrap();
    let out = plan.run(&[Tensor::vector(vec![1.0, 4.0, 1.5])]).unwrap();
    // max picks element 1; maximum(x, 1.5) passes 0, 1 and ½ (a tie)
    assert_eq!(out[0].as_slice(), &[0.0, 2.0, 0.5]);
}

/// A user op with a parameter its label does not show: never merged by CSE.
struct Scale(f64);

impl<T: Float> Op<T> for Scale {
    fn name(&self) -> &str {
        "scale"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(|x| x * T::from_f64(self.0)))
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy * T::from_f64(self.0))].into()
    }
}

#[test]
fn plan_replays_user_ops_and_never_merges_them() {
    let mut plan = Plan::trace(&[Tensor::scalar(1.0)], |tape, x| {
        let a = tape.apply(Scale(2.0), &[x[0]]);
        let b = tape.apply(Scale(3.0), &[x[0]]);
        let f = a * b;
        vec![f, tape.grad(f, x)[0]]
    })
    .unwrap();
    let out = plan.run(&[Tensor::scalar(2.0)]).unwrap();
    assert_eq!((out[0].item(), out[1].item()), (24.0, 24.0)); // 6x², 12x
    assert_eq!(plan.ops().iter().filter(|l| *l == "scale").count(), 2);
}

#[test]
fn plan_replays_second_order() {
    // f = x³ y: the Hessian's row for x is (6xy, 3x²)
    let mut plan = Plan::trace(&[Tensor::scalar(1.0), Tensor::scalar(1.0)], |tape, v| {
        let f = v[0].powi(3) * v[1];
        let gx = tape.grad(f, v)[0];
        tape.grad(gx, v)
    })
    .unwrap();
    let out = plan
        .run(&[Tensor::scalar(2.0), Tensor::scalar(5.0)])
        .unwrap();
    assert_eq!((out[0].item(), out[1].item()), (60.0, 12.0));
}

#[test]
fn plan_without_passes_replays_every_traced_op() {
    let x = Tensor::vector(vec![0.5, 1.5]);
    let mut plan = Plan::trace_with(std::slice::from_ref(&x), Passes::none(), |tape, v| {
        let f = (v[0] * v[0]).sum();
        vec![tape.grad(f, v)[0]]
    })
    .unwrap();
    let s = plan.stats();
    assert_eq!(s.instructions, s.traced_ops);
    assert_eq!(plan.run(&[x]).unwrap()[0].as_slice(), &[1.0, 3.0]);
}

#[test]
fn plan_lists_its_instructions_with_their_traced_lines() {
    let line = std::cell::Cell::new(0);
    let plan = Plan::trace(&[Tensor::scalar(1.0)], |_, x| {
        let (y, l) = (x[0].exp(), line!());
        line.set(l);
        vec![y]
    })
    .unwrap();
    let text = plan.to_string();
    assert!(
        text.starts_with("plan: 1 inputs, 0 constants, 1 instructions"),
        "{text}"
    );
    let want = format!("%1 = exp(%0) []  at {}:{}", file!(), line.get());
    assert!(text.contains(&want), "{text}");
}

#[test]
fn plan_listing_separates_arguments_and_names_its_outputs() {
    let plan = Plan::trace(&[Tensor::scalar(1.0), Tensor::scalar(2.0)], |_, x| {
        vec![x[0] * x[1], x[1]]
    })
    .unwrap();
    let text = plan.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], "  %0 = input 0 []", "{text}");
    assert_eq!(lines[2], "  %1 = input 1 []", "{text}");
    assert!(lines[3].starts_with("  %2 = mul(%0, %1) []  at "), "{text}");
    assert_eq!(lines[4], "  outputs: %2, %1", "{text}");
}

#[test]
fn plan_trace_passes_on_an_op_refusal_and_refuses_another_tapes_output() {
    let err = Plan::<f64>::try_trace(&[Tensor::zeros(&[2, 3])], |_, x| {
        Ok(vec![x[0].try_matmul(x[0])?])
    })
    .err()
    .expect("a [2, 3] x [2, 3] product is refused");
    assert_eq!(
        err.kind(),
        &ErrorKind::ShapeMismatch {
            shapes: vec![vec![2, 3], vec![2, 3]]
        }
    );
    assert!(err.to_string().starts_with("matmul: "), "{err}");
    // a variable of another tape (one that lives for ever, so it fits any trace)
    let other: &'static Tape<f64> = Box::leak(Box::new(Tape::new()));
    let stranger = other.leaf(Tensor::scalar(1.0));
    let err = Plan::try_trace(&[Tensor::scalar(1.0)], |_, _| Ok(vec![stranger]));
    assert_eq!(
        err.err().map(|e| e.kind().clone()),
        Some(ErrorKind::ForeignTape)
    );
}

#[test]
fn plan_observed_replay_shows_each_fused_op_with_its_value_and_line() {
    let x = [Tensor::vector(vec![1.0, 2.0, 3.0])];
    let mut plan = Plan::trace(&x, |_, v| {
        let y = v[0] * 2.0 + 1.0;
        vec![(y * y).sum()]
    })
    .unwrap();
    let line = line!() - 4;
    assert_eq!(plan.stats().instructions, 1);
    let at = [Tensor::vector(vec![0.5, -1.0, 4.0])];
    let mut seen = Vec::new();
    let out = plan
        .run_observed(&at, |s| {
            let inputs: Vec<Vec<f64>> = s.inputs.iter().map(|t| t.to_vec()).collect();
            seen.push((s.op.clone(), s.site.line(), inputs, s.output.to_vec()));
        })
        .unwrap();
    let ops: Vec<&str> = seen.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(ops, ["mul_scalar(2)", "add_scalar(1)", "mul", "sum"]);
    assert!(seen.iter().take(2).all(|s| s.1 == line));
    assert_eq!(seen[1].3, [2.0, -1.0, 9.0]);
    assert_eq!(seen[2].2, [vec![2.0, -1.0, 9.0], vec![2.0, -1.0, 9.0]]);
    assert_eq!(seen[3].3, [86.0]);
    assert_eq!(out, plan.run(&at).unwrap());
}

#[test]
fn plan_observed_replay_shows_an_epilogue_as_the_op_it_was() {
    // `linear → relu` is one instruction; observed, it is the two ops with their lines
    let w = [Tensor::from_vec(vec![1.0, -2.0, 0.5, 0.25], &[2, 2])];
    let mut plan = Plan::trace(&w, |tape, v| {
        let x = tape.constant(Tensor::from_vec(vec![1.0, 2.0, -1.0, 0.5], &[2, 2]));
        let z = x.linear(v[0], None);
        vec![z.relu()]
    })
    .unwrap();
    let line = line!() - 4;
    assert_eq!(plan.ops(), ["linear → relu"]);
    let at = [Tensor::from_vec(vec![1.0, 1.0, -1.0, 2.0], &[2, 2])];
    let mut seen = Vec::new();
    let out = plan
        .run_observed(&at, |s| {
            seen.push((s.op.clone(), s.site.line(), s.output.to_vec()));
        })
        .unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!((seen[0].0.as_str(), seen[0].1), ("linear", line));
    assert_eq!(seen[0].2, [3.0, 3.0, -0.5, 2.0]);
    assert_eq!((seen[1].0.as_str(), seen[1].1), ("relu", line + 1));
    assert_eq!(seen[1].2, [3.0, 3.0, 0.0, 2.0]);
    assert_eq!(out, plan.run(&at).unwrap());
}
