//! The harness's `scalar_chain` deep graph (`x ← relu(x·1.0001 + 0.0001)`, 33,334 times,
//! then dx/dx₀), one way per run, for instruction counts under callgrind: `eager`
//! records and differentiates it `REPS` times; `plan` traces it once and replays it
//! `REPS` times. Prints x and dx/dx₀ (the same both ways) and the time per op. `phases`
//! times the eager run's record, `backward()` and drop apart, per op, each run.
//!
//! ```sh
//! cargo run --release --example plan_replay -- plan 100
//! cargo run --release --example plan_replay -- phases 5
//! valgrind --tool=callgrind --toggle-collect='*plan_replay*measured*' \
//!     target/release/examples/plan_replay eager 3
//! ```

use std::time::Instant;
use tapegrad::prelude::*;

const ITERS: usize = 33_334;
const OPS: usize = 3 * ITERS;

fn chain<'t>(x: Var<'t, f32>) -> Var<'t, f32> {
    let mut x = x;
    for _ in 0..ITERS {
        x = (x * 1.0001 + 0.0001).relu();
    }
    x
}

/// The timed part, apart so that callgrind can count it alone.
#[inline(never)]
fn measured(mode: &str, reps: usize, plan: &mut Option<Plan<f32>>) -> (f32, f32) {
    let mut last = (0.0, 0.0);
    for _ in 0..reps {
        last = match (mode, plan.as_mut()) {
            ("plan", Some(plan)) => {
                let out = plan.run(&[Tensor::scalar(0.5)]).expect("replay");
                (out[0].item(), out[1].item())
            }
            _ => {
                let tape = Tape::new();
                let x0 = tape.leaf(Tensor::scalar(0.5f32));
                let x = chain(x0);
                (x.item(), x.backward().wrt(x0).item())
            }
        };
    }
    last
}

/// The eager run's three parts timed apart, one line per run (ns per op).
fn phases(reps: usize) {
    let per_op = |t: Instant| t.elapsed().as_secs_f64() / OPS as f64 * 1e9;
    for _ in 0..reps {
        let tape = Tape::new();
        let x0 = tape.leaf(Tensor::scalar(0.5f32));
        let t = Instant::now();
        let x = chain(x0);
        let record = per_op(t);
        let t = Instant::now();
        let grads = x.backward();
        let backward = per_op(t);
        let dx = grads.wrt(x0).item();
        let t = Instant::now();
        drop(tape);
        let dropped = per_op(t);
        println!("record {record:.1}, backward {backward:.1}, drop {dropped:.1} ns/op (dx/dx0 = {dx:.4})");
    }
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("plan", String::as_str);
    let reps: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(10);
    if mode == "phases" {
        phases(reps);
        return Ok(());
    }
    let mut plan = None;
    if mode == "plan" {
        let t0 = Instant::now();
        plan = Some(Plan::trace(&[Tensor::scalar(0.25f32)], |tape, v| {
            let x = chain(v[0]);
            vec![x, tape.grad(x, v)[0]]
        })?);
        eprintln!(
            "trace + optimise: {:.1} ms",
            t0.elapsed().as_secs_f64() * 1e3
        );
    }
    let t0 = Instant::now();
    let (x, dx) = measured(mode, reps, &mut plan);
    let ns = t0.elapsed().as_secs_f64() / (reps * OPS) as f64 * 1e9;
    println!("{mode}: x = {x:.4}, dx/dx0 = {dx:.4}, {ns:.2} ns/op over {reps} runs of {OPS} ops");
    Ok(())
}
