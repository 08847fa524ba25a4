//! tapegrad as one more peer of the team's benchmark harness (`shared/bench/README.md`):
//! the workloads with exactly the harness's definitions, printed as its 11-column TSV.
//!
//! ```sh
//! cargo run --release --example peers_bench                        # all workloads
//! PEERS_WORKLOADS=scalar_chain PEERS_QUICK=1 cargo run --release --example peers_bench
//! ```
//!
//! Env: `PEERS_WORKLOADS` (comma list), `PEERS_QUICK=1`, `PEERS_ROUNDS` (times the list
//! of workloads runs, default 5: each row's median is over every round's samples),
//! `PEERS_VARIANT` (suffix),
//! `PEERS_DATA_DIR` (folder with `linreg.tsv`), `RAYON_NUM_THREADS` (the size of the
//! worker pool, and tapegrad's own thread count, `worker_threads`).
//! Diagnostics go to stderr; stdout carries only result rows. Peak memory (RSS) for
//! `mlp_step` and `scalar_chain` is reported on stderr and in the note, for `conv_step` in
//! the note; `mlp_step`'s eager and plan rows each reset the peak after their warm-up
//! steps, so each reports the peak of its own timed steps (over what the process holds
//! when they start). They also report `peak_heap`, the most bytes allocated and not yet
//! freed at once during those steps (a counting allocator): the engine's memory with the
//! data, exact where the RSS also counts what malloc keeps after a free.
//! `PEERS_MLP_STEP=eager` (or `plan`) runs only that `mlp_step` row, for its memory in a
//! fresh process.
//!
//! Besides the harness's `eager` rows, `plan` variants (`mlp_step` and `mlp_small` `plan`,
//! `scalar_chain` `deep-plan` and `sumprod-plan`, `linreg` `plan`, `rnn_step` `plan`) trace the computation
//! and its gradients once as a [`Plan`] and time replays; trace and optimisation times
//! are in the note, as the harness does for JAX's compile.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::time::Instant;
use tapegrad::core::Passes;
use tapegrad::prelude::*;

const MLP_DIMS: [usize; 4] = [784, 512, 512, 10];
const MLP_BATCH: usize = 128;
const MLP_LR: f32 = 0.01;
const SMALL_DIMS: [usize; 4] = [2, 32, 32, 1];
const SMALL_BATCH: usize = 64;
const SMALL_LR: f32 = 0.01;
const CHAIN_ITERS: usize = 33334;
const CHAIN_OPS: usize = 3 * CHAIN_ITERS;
const CHAIN_X0: f32 = 0.5;
const SUMPROD_PAIRS: usize = 50000;
const MATMUL_SIZES: [usize; 3] = [256, 512, 1024];
const GRAD_MATMUL_N: usize = 512;
const LINREG_LR: f32 = 0.1;
const LINREG_EPOCHS: usize = 1000;
const CONV_BATCH: usize = 64;
const CONV_CH: [usize; 3] = [1, 16, 32];
const CONV_SIDE: usize = 28;
const CONV_CLASSES: usize = 10;
const CONV_LR: f32 = 0.01;
const RNN_BATCH: usize = 32;
const RNN_SEQ: usize = 64;
const RNN_IN: usize = 32;
const RNN_HIDDEN: usize = 128;
const RNN_LR: f32 = 0.01;
const RNN_WARMUP: usize = 10;

fn quick() -> bool {
    std::env::var("PEERS_QUICK").is_ok_and(|v| v == "1")
}

fn reps(normal: usize, q: usize) -> usize {
    if quick() {
        q
    } else {
        normal
    }
}

fn selected(w: &str) -> bool {
    match std::env::var("PEERS_WORKLOADS") {
        Ok(s) if !s.trim().is_empty() => s.split(',').any(|x| x.trim() == w),
        _ => true,
    }
}

/// Whether `mlp_step`'s variant `v` (`eager` or `plan`) runs: all unless
/// `PEERS_MLP_STEP` names one, so that each can report its memory from a fresh process.
fn mlp_step_variant(v: &str) -> bool {
    match std::env::var("PEERS_MLP_STEP") {
        Ok(s) if !s.trim().is_empty() => s.trim() == v,
        _ => true,
    }
}

fn variant(v: &str) -> String {
    match std::env::var("PEERS_VARIANT") {
        Ok(s) if !s.is_empty() => format!("{v}-{s}"),
        _ => v.to_string(),
    }
}

/// The harness's number format: 0 decimals from 1000, 1 from 100, 3 from 1, else 4.
fn fmt(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".into()
    } else if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.3}")
    } else {
        format!("{v:.4}")
    }
}

/// One row's samples, pooled over the rounds (see [`rounds`]).
struct Row {
    workload: String,
    var: String,
    param: String,
    unit: String,
    samples: Vec<f64>,
    note: String,
}

/// The rows measured so far, in the order of their first round.
static ROWS: std::sync::Mutex<Vec<Row>> = std::sync::Mutex::new(Vec::new());

/// Adds a workload's samples to its row; the note is the first round's (the `mlp_step`
/// rows' memory figures are measured in the first round only).
fn emit(workload: &str, var: &str, param: &str, unit: &str, samples: Vec<f64>, note: &str) {
    let mut rows = ROWS.lock().unwrap();
    let same = |r: &&mut Row| r.workload == workload && r.var == var && r.param == param;
    match rows.iter_mut().find(same) {
        Some(row) => row.samples.extend(samples),
        None => rows.push(Row {
            workload: workload.into(),
            var: var.into(),
            param: param.into(),
            unit: unit.into(),
            samples,
            note: note.into(),
        }),
    }
}

/// Prints every row with the median, least and greatest of its pooled samples.
fn print_rows() {
    for row in ROWS.lock().unwrap().iter_mut() {
        let samples = &mut row.samples;
        samples.sort_by(|a, b| a.total_cmp(b));
        let n = samples.len();
        let median = if n % 2 == 1 {
            samples[n / 2]
        } else {
            0.5 * (samples[n / 2 - 1] + samples[n / 2])
        };
        println!(
            "tapegrad\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{n}\t{}",
            env!("CARGO_PKG_VERSION"),
            row.workload,
            variant(&row.var),
            row.param,
            row.unit,
            fmt(median),
            fmt(samples[0]),
            fmt(samples[n - 1]),
            row.note,
        );
    }
}

/// How many times the whole list of workloads runs (`PEERS_ROUNDS`, default 5; 1 with
/// `PEERS_QUICK=1`). Each row's median is over the samples of every round: a workload's
/// samples are spread over the pass instead of taken in one burst of a few milliseconds,
/// so a few seconds in which a VM runs slow fall on a minority of them.
fn rounds() -> usize {
    std::env::var("PEERS_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick() { 1 } else { 5 })
        .max(1)
}

/// The system allocator, counting the bytes allocated and not yet freed and their peak:
/// the heap a step holds at its worst, exact where the RSS also counts what the allocator
/// keeps after a free. It counts only until [`stop_counting`] (after the `mlp_step` rows,
/// the only ones that read it), so that the other workloads' allocations pay one flag read
/// instead of two atomic updates.
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(true);
static HEAP_LIVE: AtomicUsize = AtomicUsize::new(0);
static HEAP_PEAK: AtomicUsize = AtomicUsize::new(0);

/// `live += added − removed` and the peak, while counting.
fn count(added: usize, removed: usize) {
    if COUNTING.load(Relaxed) {
        HEAP_LIVE.fetch_sub(removed, Relaxed);
        let live = HEAP_LIVE.fetch_add(added, Relaxed) + added;
        HEAP_PEAK.fetch_max(live, Relaxed);
    }
}

/// Ends the counting for good (the counters are not read after it).
fn stop_counting() {
    COUNTING.store(false, Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size(), 0);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(0, layout.size());
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size, layout.size());
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Heap bytes held now, in MiB, after making that the peak's starting point.
fn reset_heap_peak() -> f64 {
    let live = HEAP_LIVE.load(Relaxed);
    HEAP_PEAK.store(live, Relaxed);
    live as f64 / 1048576.0
}

/// The most heap bytes held at once since [`reset_heap_peak`], in MiB.
fn heap_peak_mib() -> f64 {
    HEAP_PEAK.load(Relaxed) as f64 / 1048576.0
}

/// Peak resident set size of this process so far, in MiB (Linux `VmHWM`).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// Resets the peak resident set size to the current one (Linux: `5` to
/// `/proc/self/clear_refs`), so that [`peak_rss_mib`] then reports one variant's peak;
/// returns that starting size in MiB.
fn reset_peak_rss() -> f64 {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    peak_rss_mib()
}

/// The harness's reference generator (SplitMix64), so inputs and initial weights are
/// bit-identical to the candle peer's.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
    fn normal_vec(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.normal() as f32).collect()
    }
    fn uniform_vec(&mut self, n: usize, bound: f64) -> Vec<f32> {
        (0..n)
            .map(|_| ((self.uniform() * 2.0 - 1.0) * bound) as f32)
            .collect()
    }
}

/// `p ← p − lr·g` in place (the tape holding another reference is gone by now).
fn sgd(p: &mut Tensor<f32>, g: &Tensor<f32>, lr: f32) {
    for (p, g) in p.as_mut_slice().iter_mut().zip(g.as_slice()) {
        *p -= lr * g;
    }
}

/// The MLP workloads' inputs, targets (one-hot for `mlp_step`) and initial parameters
/// (weight, bias per layer), from the reference generator.
fn mlp_data(
    classify: bool,
    dims: &[usize],
    batch: usize,
) -> (Tensor<f32>, Tensor<f32>, Vec<Tensor<f32>>) {
    let mut rng = Rng(0);
    let x = Tensor::from_vec(rng.normal_vec(batch * dims[0]), &[batch, dims[0]]);
    let nout = dims[dims.len() - 1];
    let target = if classify {
        let labels: Vec<usize> = (0..batch)
            .map(|_| (rng.next_u64() % nout as u64) as usize)
            .collect();
        // one-hot rows: cross-entropy = -mean(Σ onehot ⊙ log_softmax(z))
        Tensor::from_fn(&[batch, nout], |i| {
            if labels[i / nout] == i % nout {
                1.0
            } else {
                0.0
            }
        })
    } else {
        Tensor::from_vec(rng.normal_vec(batch * nout), &[batch, nout])
    };
    let mut params: Vec<Tensor<f32>> = Vec::new();
    for w in dims.windows(2) {
        let (fan_in, fan_out) = (w[0], w[1]);
        let bound = 1.0 / (fan_in as f64).sqrt();
        params.push(Tensor::from_vec(
            rng.uniform_vec(fan_out * fan_in, bound),
            &[fan_out, fan_in],
        ));
        params.push(Tensor::from_vec(
            rng.uniform_vec(fan_out, bound),
            &[fan_out],
        ));
    }
    (x, target, params)
}

/// The MLP's loss on a tape: linear layers, ReLU between them, cross-entropy against
/// one-hot rows (`classify`) or the mean squared error.
fn mlp_loss<'t>(
    tape: &'t Tape<f32>,
    vars: &[Var<'t, f32>],
    x: &Tensor<f32>,
    target: &Tensor<f32>,
    classify: bool,
) -> Var<'t, f32> {
    let batch = x.shape()[0];
    let mut h = tape.constant(x.clone());
    let layers = vars.len() / 2;
    for (i, wb) in vars.chunks(2).enumerate() {
        h = h.linear(wb[0], Some(wb[1]));
        if i + 1 < layers {
            h = h.relu();
        }
    }
    let t = tape.constant(target.clone());
    if classify {
        -(h.log_softmax(1) * t).sum() / batch as f32
    } else {
        let d = h - t;
        (d * d).mean()
    }
}

fn bench_mlp(workload: &str, dims: &[usize], batch: usize, lr: f32, warmup: usize, steps: usize) {
    let classify = workload == "mlp_step";
    let (x, target, mut params) = mlp_data(classify, dims, batch);
    let held = std::cell::Cell::new(0usize);
    let step = |params: &mut Vec<Tensor<f32>>| -> f32 {
        let tape = Tape::new();
        let vars: Vec<Var<f32>> = params.iter().map(|p| tape.leaf(p.clone())).collect();
        let loss = mlp_loss(&tape, &vars, &x, &target, classify);
        if classify && held.get() == 0 {
            // bytes of op outputs the tape holds: all values minus the leaves (parameters)
            // and the two constants (inputs, one-hot targets)
            let inputs_bytes: usize =
                params.iter().map(|p| p.len()).sum::<usize>() + x.len() + target.len();
            held.set(tape.stats().value_bytes - inputs_bytes * 4);
        }
        let grads = loss.backward();
        let value = loss.item();
        let gs: Vec<Tensor<f32>> = vars.iter().map(|&v| grads.wrt(v)).collect();
        drop(tape);
        for (p, g) in params.iter_mut().zip(&gs) {
            sgd(p, g, lr);
        }
        value
    };
    for _ in 0..warmup {
        step(&mut params);
    }
    // the steady state's peak: over the timed steps, from what the process holds now
    let base_rss = reset_peak_rss();
    let base_heap = reset_heap_peak();
    let mut ts = Vec::new();
    let mut loss = 0.0;
    for _ in 0..steps {
        let t0 = Instant::now();
        loss = step(&mut params);
        ts.push(t0.elapsed().as_secs_f64());
    }
    let (unit, scale) = if classify { ("ms", 1e3) } else { ("us", 1e6) };
    let mut note = format!("loss={loss:.4}");
    if classify {
        // What backward must keep: each Linear's input (for dW) and each ReLU's output (its
        // mask), the logits and their log-softmax: x, z1, a1, z2, a2, z3, log_softmax(z3).
        let must: usize = batch * (dims[0] + 2 * dims[1] + 2 * dims[2] + 2 * dims[3]) * 4;
        let held = held.get() + x.len() * 4; // the input is kept too
        let rss = peak_rss_mib();
        eprintln!(
            "mlp_step peak RSS {rss:.1} MiB; tape holds {:.2} MiB of activations, {:.2}x the {:.2} MiB backward needs",
            held as f64 / 1048576.0,
            held as f64 / must as f64,
            must as f64 / 1048576.0
        );
        note += &format!(
            " peak_heap={:.2}MiB (from {base_heap:.2}) peak_rss={rss:.1}MiB (from {base_rss:.1}) activations={:.2}MiB ({:.2}x needed)",
            heap_peak_mib(),
            held as f64 / 1048576.0,
            held as f64 / must as f64
        );
    }
    emit(
        workload,
        "eager",
        &format!("b{batch}"),
        unit,
        ts.iter().map(|t| t * scale).collect(),
        &note,
    );
}

/// rnn_step's loss on the tape: the per-step loop over the sequence `x` from `h_0 = 0`,
/// the linear head on the last state and the mean squared error against `y`; `v` holds
/// `W_ih, W_hh, b, head weight, head bias`.
fn rnn_loss<'t>(
    tape: &'t Tape<f32>,
    v: &[Var<'t, f32>],
    x: &Tensor<f32>,
    y: &Tensor<f32>,
) -> Var<'t, f32> {
    let (w_ih, w_hh, b, hw, hb) = (v[0], v[1], v[2], v[3], v[4]);
    let xs = tape.constant(x.clone());
    let mut h = tape.constant(Tensor::zeros(&[RNN_BATCH, RNN_HIDDEN]));
    for t in 0..RNN_SEQ {
        let x_t = xs.narrow(1, t, 1).reshape(&[RNN_BATCH, RNN_IN]);
        h = (x_t.linear(w_ih, Some(b)) + h.linear(w_hh, None)).tanh();
    }
    let d = h.linear(hw, Some(hb)) - tape.constant(y.clone());
    let loss = (d * d).mean();
    loss
}

/// rnn_step (harness README, workload 8): one SGD step of an Elman RNN over 64 steps,
/// `h_t = tanh(x_t·W_ihᵀ + h_{t−1}·W_hhᵀ + b)` from `h_0 = 0`, a linear head on `h_64`, MSE.
/// Data and initial weights from the reference generator (`common.rnn_data`). Two rows:
/// `manual`, the per-step loop of core ops (torch's `manual` row records the same: two
/// products, the adds, tanh), and `nn-rnn`, the same network through
/// `tapegrad_nn::recurrent::Rnn` (eager and unfused like `manual`; its second bias `b_hh`
/// held at 0 and not updated, as in torch's `nn-rnn` row).
fn bench_rnn() {
    let mut rng = Rng(0);
    let x = Tensor::from_vec(
        rng.normal_vec(RNN_BATCH * RNN_SEQ * RNN_IN),
        &[RNN_BATCH, RNN_SEQ, RNN_IN],
    );
    let y = Tensor::from_vec(rng.normal_vec(RNN_BATCH), &[RNN_BATCH, 1]);
    let bound = 1.0 / (RNN_HIDDEN as f64).sqrt();
    let mut uniform =
        |shape: &[usize]| Tensor::from_vec(rng.uniform_vec(shape.iter().product(), bound), shape);
    let init: Vec<Tensor<f32>> = vec![
        uniform(&[RNN_HIDDEN, RNN_IN]),
        uniform(&[RNN_HIDDEN, RNN_HIDDEN]),
        uniform(&[RNN_HIDDEN]),
        uniform(&[1, RNN_HIDDEN]),
        uniform(&[1]),
    ];
    let steps = reps(100, 10);
    let param = format!("b{RNN_BATCH}s{RNN_SEQ}");
    let note = |losses: &[f32], extra: &str| {
        format!(
            "loss0={:.6} loss1={:.6} loss={:.4} steps={}{extra}",
            losses[0],
            losses[1],
            losses[losses.len() - 1],
            losses.len()
        )
    };
    let timed = |step: &mut dyn FnMut() -> f32| {
        let mut losses = Vec::new();
        let mut ts = Vec::new();
        for i in 0..RNN_WARMUP + steps {
            let t0 = Instant::now();
            losses.push(step());
            if i >= RNN_WARMUP {
                ts.push(t0.elapsed().as_secs_f64() * 1e3);
            }
        }
        (ts, losses)
    };

    // manual: the per-step loop on the tape
    let mut params = init.clone();
    let (ts, losses) = timed(&mut || {
        let tape = Tape::new();
        let v: Vec<Var<f32>> = params.iter().map(|p| tape.leaf(p.clone())).collect();
        let loss = rnn_loss(&tape, &v, &x, &y);
        let grads = loss.backward();
        let value = loss.item();
        let gs: Vec<Tensor<f32>> = v.iter().map(|&p| grads.wrt(p)).collect();
        drop(tape);
        for (p, g) in params.iter_mut().zip(&gs) {
            sgd(p, g, RNN_LR);
        }
        value
    });
    emit("rnn_step", "manual", &param, "ms", ts, &note(&losses, ""));

    // plan: the same loss and its five gradients traced once (before the timer), each
    // step a replay and the same SGD update
    let mut params = init.clone();
    let t0 = Instant::now();
    let mut plan = Plan::trace(&params, |tape, v| {
        let loss = rnn_loss(tape, v, &x, &y);
        let mut out = vec![loss];
        out.extend(tape.grad(loss, v));
        out
    })
    .expect("the RNN traces");
    let trace_ms = t0.elapsed().as_secs_f64() * 1e3;
    let (ts, losses) = timed(&mut || {
        let out = plan.run(&params).expect("a replay of the traced shapes");
        for (p, g) in params.iter_mut().zip(&out[1..]) {
            sgd(p, g, RNN_LR);
        }
        out[0].item()
    });
    let stats = plan.stats();
    let extra = format!(
        " trace+optimise={trace_ms:.1}ms ops={}->{} instructions",
        stats.traced_ops, stats.instructions
    );
    emit("rnn_step", "plan", &param, "ms", ts, &note(&losses, &extra));

    // nn-rnn: the nn crate's layer, b_hh held at 0
    use tapegrad::nn::recurrent::{RecurrentConfig, Rnn};
    let config = RecurrentConfig::new().batch_first(true);
    let rnn = Rnn::<f32>::with_config(
        RNN_IN,
        RNN_HIDDEN,
        config,
        &mut <tapegrad::rand::rngs::StdRng as tapegrad::rand::SeedableRng>::seed_from_u64(0), // overwritten below
    );
    let cell = rnn.cell(0, 0);
    cell.weight_ih.set(init[0].clone());
    cell.weight_hh.set(init[1].clone());
    cell.bias_ih.as_ref().unwrap().set(init[2].clone());
    cell.bias_hh
        .as_ref()
        .unwrap()
        .set(Tensor::zeros(&[RNN_HIDDEN]));
    let head = Linear::from_tensors(init[3].clone(), Some(init[4].clone()));
    let trained = Params::new()
        .with("weight_ih_l0", &cell.weight_ih)
        .with("weight_hh_l0", &cell.weight_hh)
        .with("bias_ih_l0", cell.bias_ih.as_ref().unwrap())
        .nested("head", &head.parameters());
    let mut opt = Sgd::new(RNN_LR as f64);
    let (ts, losses) = timed(&mut || {
        let tape = Tape::new();
        let pass = Pass::train(&tape);
        let (_, h_n) = rnn.run(&pass, pass.input(x.clone()), None);
        let out = head.forward(&pass, h_n.reshape(&[RNN_BATCH, RNN_HIDDEN]));
        let d = out - pass.input(y.clone());
        let loss = (d * d).mean();
        let value = loss.item();
        opt.step(&trained, &pass.backward(loss));
        value
    });
    emit(
        "rnn_step",
        "nn-rnn",
        &param,
        "ms",
        ts,
        &note(&losses, " (tapegrad_nn Rnn, unfused; b_hh held at 0)"),
    );
}

/// `bench_mlp`'s training with a [`Plan`]: the loss and the gradients of all parameters
/// traced once (before the timer; its time is in the note), each step a replay and the
/// same SGD update.
fn bench_mlp_plan(
    workload: &str,
    dims: &[usize],
    batch: usize,
    lr: f32,
    warmup: usize,
    steps: usize,
) {
    let classify = workload == "mlp_step";
    let (x, target, mut params) = mlp_data(classify, dims, batch);
    let t0 = Instant::now();
    let mut plan = Plan::trace(&params, |tape, vars| {
        let loss = mlp_loss(tape, vars, &x, &target, classify);
        let mut out = vec![loss];
        out.extend(tape.grad(loss, vars));
        out
    })
    .expect("the MLP traces");
    let trace_ms = t0.elapsed().as_secs_f64() * 1e3;
    let mut step = |params: &mut Vec<Tensor<f32>>| -> f32 {
        let out = plan.run(params).expect("a replay of the traced shapes");
        for (p, g) in params.iter_mut().zip(&out[1..]) {
            sgd(p, g, lr);
        }
        out[0].item()
    };
    for _ in 0..warmup {
        step(&mut params);
    }
    // the steady state's peak: over the timed steps, from what the process holds now
    let base_rss = reset_peak_rss();
    let base_heap = reset_heap_peak();
    let mut ts = Vec::new();
    let mut loss = 0.0;
    for _ in 0..steps {
        let t0 = Instant::now();
        loss = step(&mut params);
        ts.push(t0.elapsed().as_secs_f64());
    }
    let (unit, scale) = if classify { ("ms", 1e3) } else { ("us", 1e6) };
    let stats = plan.stats();
    emit(
        workload,
        "plan",
        &format!("b{batch}"),
        unit,
        ts.iter().map(|t| t * scale).collect(),
        &format!(
            "loss={loss:.4} trace+optimise={trace_ms:.3}ms ops={}->{} instructions{}",
            stats.traced_ops,
            stats.instructions,
            if classify {
                format!(
                    " peak_heap={:.2}MiB (from {base_heap:.2}) peak_rss={:.1}MiB (from {base_rss:.1})",
                    heap_peak_mib(),
                    peak_rss_mib()
                )
            } else {
                String::new()
            }
        ),
    );
}

/// Traces `f` twice, without and with the passes: (the plan, trace ms, optimise ms).
fn timed_trace<F>(inputs: &[Tensor<f32>], f: F) -> (Plan<f32>, f64, f64)
where
    F: for<'t> Fn(&'t Tape<f32>, &[Var<'t, f32>]) -> Vec<Var<'t, f32>>,
{
    let t0 = Instant::now();
    let plain = Plan::trace_with(inputs, Passes::none(), &f).expect("traces");
    let trace = t0.elapsed().as_secs_f64() * 1e3;
    drop(plain);
    let t0 = Instant::now();
    let plan = Plan::trace(inputs, &f).expect("traces");
    let all = t0.elapsed().as_secs_f64() * 1e3;
    (plan, trace, (all - trace).max(0.0))
}

/// `scalar_chain` with plans: the graph and its backward traced once at another point
/// (x₀ = 0.25; sumprod: aᵢ + 0.25, bᵢ − 0.25), as ADOL-C's `-replay` rows, then each
/// sample one replay (forward and backward) at the harness's point.
fn bench_scalar_chain_plan() {
    let g_exp = 1.0001f64.powi(CHAIN_ITERS as i32);
    let x_exp = (CHAIN_X0 as f64 + 1.0) * g_exp - 1.0;
    fn chain<'t>(tape: &'t Tape<f32>, v: &[Var<'t, f32>]) -> Vec<Var<'t, f32>> {
        let mut x = v[0];
        for _ in 0..CHAIN_ITERS {
            x = (x * 1.0001 + 0.0001).relu();
        }
        let dx = tape.grad(x, v)[0];
        vec![x, dx]
    }
    let (mut plan, trace, optimise) = timed_trace(&[Tensor::scalar(0.25f32)], chain);
    let mut ts = Vec::new();
    let (mut xv, mut gv) = (0f32, 0f32);
    let x0 = [Tensor::scalar(CHAIN_X0)];
    for r in 0..reps(5, 2) + 1 {
        let t0 = Instant::now();
        let out = plan.run(&x0).expect("replay");
        let dt = t0.elapsed().as_secs_f64();
        if r > 0 {
            ts.push(dt / CHAIN_OPS as f64 * 1e9);
        }
        (xv, gv) = (out[0].item(), out[1].item());
    }
    let s = plan.stats();
    emit(
        "scalar_chain",
        "deep-plan",
        &format!("N{CHAIN_OPS}"),
        "ns/op",
        ts,
        &format!(
            "f32; x={xv:.4} (exp {x_exp:.4}) dx/dx0={gv:.4} (exp {g_exp:.4}) trace={trace:.1}ms \
             optimise={optimise:.1}ms ops={}->{} instructions",
            s.traced_ops, s.instructions
        ),
    );

    let av: Vec<f32> = (0..SUMPROD_PAIRS)
        .map(|i| ((i % 97) as f32 - 48.0) / 48.0)
        .collect();
    let bv: Vec<f32> = (0..SUMPROD_PAIRS)
        .map(|i| ((i % 89) as f32 - 44.0) / 44.0)
        .collect();
    fn sumprod<'t>(tape: &'t Tape<f32>, v: &[Var<'t, f32>]) -> Vec<Var<'t, f32>> {
        let (a, b) = v.split_at(SUMPROD_PAIRS);
        let mut s = a[0] * b[0];
        for i in 1..SUMPROD_PAIRS {
            s = s + a[i] * b[i];
        }
        let mut out = vec![s];
        out.extend(tape.grad(s, v)); // every gradient, as the eager row computes
        out
    }
    let at = |shift: f32| -> Vec<Tensor<f32>> {
        let a = av.iter().map(|&v| Tensor::scalar(v + shift));
        let b = bv.iter().map(|&v| Tensor::scalar(v - shift));
        a.chain(b).collect()
    };
    let (mut plan, trace, optimise) = timed_trace(&at(0.25), sumprod);
    let point = at(0.0);
    let mut ts = Vec::new();
    let (mut sv, mut ga0) = (0f32, 0f32);
    for r in 0..reps(5, 2) + 1 {
        let t0 = Instant::now();
        let out = plan.run(&point).expect("replay");
        let dt = t0.elapsed().as_secs_f64();
        if r > 0 {
            ts.push(dt / (2 * SUMPROD_PAIRS) as f64 * 1e9);
        }
        (sv, ga0) = (out[0].item(), out[1].item());
    }
    let s = plan.stats();
    emit(
        "scalar_chain",
        "sumprod-plan",
        &format!("N{}", 2 * SUMPROD_PAIRS),
        "ns/op",
        ts,
        &format!(
            "f32; s={sv:.3} da0={ga0:.4} trace={trace:.1}ms optimise={optimise:.1}ms \
             ops={}->{} instructions",
            s.traced_ops, s.instructions
        ),
    );
}

fn bench_scalar_chain() {
    let g_exp = 1.0001f64.powi(CHAIN_ITERS as i32);
    let x_exp = (CHAIN_X0 as f64 + 1.0) * g_exp - 1.0;
    let mut ts = Vec::new();
    let (mut xv, mut gv) = (0f32, 0f32);
    for r in 0..reps(5, 2) + 1 {
        let tape = Tape::<f32>::new();
        let x0 = tape.leaf(Tensor::scalar(CHAIN_X0));
        let t0 = Instant::now();
        let mut x = x0;
        for _ in 0..CHAIN_ITERS {
            x = (x * 1.0001 + 0.0001).relu();
        }
        let grads = x.backward();
        let dt = t0.elapsed().as_secs_f64();
        if r > 0 {
            ts.push(dt / CHAIN_OPS as f64 * 1e9);
        }
        xv = x.item();
        gv = grads.wrt(x0).item();
    }
    let rss = peak_rss_mib();
    eprintln!("scalar_chain deep peak RSS {rss:.1} MiB");
    emit(
        "scalar_chain",
        "deep",
        &format!("N{CHAIN_OPS}"),
        "ns/op",
        ts,
        &format!(
            "f32 rank-0 tensors; x={xv:.4} (exp {x_exp:.4}) dx/dx0={gv:.4} (exp {g_exp:.4}) peak_rss={rss:.1}MiB"
        ),
    );

    let av: Vec<f32> = (0..SUMPROD_PAIRS)
        .map(|i| ((i % 97) as f32 - 48.0) / 48.0)
        .collect();
    let bv: Vec<f32> = (0..SUMPROD_PAIRS)
        .map(|i| ((i % 89) as f32 - 44.0) / 44.0)
        .collect();
    let mut ts = Vec::new();
    let (mut sv, mut ga0) = (0f32, 0f32);
    for r in 0..reps(5, 2) + 1 {
        let tape = Tape::<f32>::new();
        let a: Vec<Var<f32>> = av.iter().map(|&v| tape.leaf(Tensor::scalar(v))).collect();
        let b: Vec<Var<f32>> = bv.iter().map(|&v| tape.leaf(Tensor::scalar(v))).collect();
        let t0 = Instant::now();
        let mut s = a[0] * b[0];
        for i in 1..SUMPROD_PAIRS {
            s = s + a[i] * b[i];
        }
        let grads = s.backward();
        let dt = t0.elapsed().as_secs_f64();
        if r > 0 {
            ts.push(dt / (2 * SUMPROD_PAIRS) as f64 * 1e9);
        }
        sv = s.item();
        ga0 = grads.wrt(a[0]).item();
    }
    emit(
        "scalar_chain",
        "sumprod",
        &format!("N{}", 2 * SUMPROD_PAIRS),
        "ns/op",
        ts,
        &format!("f32 rank-0 tensors; s={sv:.3} da0={ga0:.4}"),
    );
}

fn bench_matmul() {
    for dtype in ["f32", "f64"] {
        for &n in &MATMUL_SIZES {
            let mut rng = Rng(0);
            let a = Tensor::from_vec(rng.normal_vec(n * n), &[n, n]);
            let b = Tensor::from_vec(rng.normal_vec(n * n), &[n, n]);
            let flops = 2.0 * (n as f64).powi(3);
            let count = reps(((4e9 / flops) as usize).max(10), 5);
            let samples = if dtype == "f32" {
                time_matmul(&a, &b, count, flops)
            } else {
                time_matmul(&a.cast::<f64>(), &b.cast::<f64>(), count, flops)
            };
            emit(
                "matmul",
                dtype,
                &n.to_string(),
                "GFLOP/s",
                samples,
                "Tensor::matmul_t (own GEMM)",
            );
        }
    }
}

fn time_matmul<T: Float>(a: &Tensor<T>, b: &Tensor<T>, count: usize, flops: f64) -> Vec<f64> {
    for _ in 0..3 {
        a.matmul_t(b, false, false).unwrap();
    }
    (0..count)
        .map(|_| {
            let t0 = Instant::now();
            let c = a.matmul_t(b, false, false).unwrap();
            let dt = t0.elapsed().as_secs_f64();
            drop(c);
            flops / dt / 1e9
        })
        .collect()
}

fn bench_grad_matmul() {
    let n = GRAD_MATMUL_N;
    let mut rng = Rng(0);
    let s = 1.0 / (n as f32).sqrt();
    let a = Tensor::from_vec(rng.normal_vec(n * n), &[n, n]).map(|v| v * s);
    let b = Tensor::from_vec(rng.normal_vec(n * n), &[n, n]).map(|v| v * s);
    let mut ts = Vec::new();
    let mut yv = 0f32;
    for r in 0..reps(50, 5) + 5 {
        let tape = Tape::new();
        let (av, bv) = (tape.leaf(a.clone()), tape.leaf(b.clone()));
        let t0 = Instant::now();
        let y = av.matmul(bv).tanh().sum();
        let grads = y.backward();
        let dt = t0.elapsed().as_secs_f64();
        assert!(grads.get(av).is_some() && grads.get(bv).is_some());
        if r >= 5 {
            ts.push(dt * 1e3);
        }
        yv = y.item();
    }
    emit(
        "grad_matmul",
        "eager",
        &format!("n{n}"),
        "ms",
        ts,
        &format!("y={yv:.3}"),
    );
}

fn load_linreg() -> (Vec<f64>, Vec<f64>) {
    let dir = std::env::var_os("PEERS_DATA_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/data")
        });
    let path = dir.join("linreg.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read {}: {e} (set PEERS_DATA_DIR)", path.display()));
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut it = line.split_whitespace();
        let mut next = || {
            it.next()
                .and_then(|v| v.parse::<f64>().ok())
                .expect("x<TAB>y")
        };
        xs.push(next());
        ys.push(next());
    }
    (xs, ys)
}

fn bench_linreg() {
    let (xs, ys) = load_linreg();
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let (cw, cb) = (sxy / sxx, my - sxy / sxx * mx);
    let xt = Tensor::vector(xs.iter().map(|&v| v as f32).collect());
    let yt = Tensor::vector(ys.iter().map(|&v| v as f32).collect());
    let mut ts = Vec::new();
    let (mut wv, mut bv) = (0f32, 0f32);
    for r in 0..reps(5, 2) + 1 {
        let (mut w, mut b) = (0f32, 0f32);
        let t0 = Instant::now();
        for _ in 0..LINREG_EPOCHS {
            let tape = Tape::new();
            let (wl, bl) = (tape.leaf(Tensor::scalar(w)), tape.leaf(Tensor::scalar(b)));
            let pred = tape.constant(xt.clone()) * wl + bl;
            let d = pred - tape.constant(yt.clone());
            let loss = (d * d).mean();
            let grads = loss.backward();
            w -= LINREG_LR * grads.wrt(wl).item();
            b -= LINREG_LR * grads.wrt(bl).item();
        }
        let dt = t0.elapsed().as_secs_f64();
        if r > 0 {
            ts.push(dt * 1e3);
        }
        (wv, bv) = (w, b);
    }
    emit(
        "linreg",
        "eager",
        &format!("e{LINREG_EPOCHS}"),
        "ms",
        ts,
        &format!(
            "w={wv:.6} b={bv:.6} lstsq_w={cw:.6} lstsq_b={cb:.6} dw={:.2e} db={:.2e}",
            (wv as f64 - cw).abs(),
            (bv as f64 - cb).abs()
        ),
    );
}

/// `conv_step` (harness workload 7): one SGD step of the LeNet-style CNN on a fixed batch,
/// inputs and initial weights from the reference generator in the harness's draw order.
fn bench_conv() {
    let (n, [c0, c1, c2], side) = (CONV_BATCH, CONV_CH, CONV_SIDE);
    let mut rng = Rng(0);
    let x = Tensor::from_vec(rng.normal_vec(n * c0 * side * side), &[n, c0, side, side]);
    let labels: Vec<usize> = (0..n)
        .map(|_| (rng.next_u64() % CONV_CLASSES as u64) as usize)
        .collect();
    let flat = c2 * (side / 4) * (side / 4);
    let specs: [(&[usize], usize); 6] = [
        (&[c1, c0, 3, 3], c0 * 9),
        (&[c1], c0 * 9),
        (&[c2, c1, 3, 3], c1 * 9),
        (&[c2], c1 * 9),
        (&[CONV_CLASSES, flat], flat),
        (&[CONV_CLASSES], flat),
    ];
    let mut params: Vec<Tensor<f32>> = specs
        .iter()
        .map(|(shape, fan_in)| {
            let len = shape.iter().product();
            Tensor::from_vec(rng.uniform_vec(len, 1.0 / (*fan_in as f64).sqrt()), shape)
        })
        .collect();
    let onehot = Tensor::from_fn(&[n, CONV_CLASSES], |i| {
        if labels[i / CONV_CLASSES] == i % CONV_CLASSES {
            1.0
        } else {
            0.0
        }
    });
    let same = ConvOptions::default().padding(1);
    let step = |params: &mut Vec<Tensor<f32>>| -> f32 {
        let tape = Tape::new();
        let v: Vec<Var<f32>> = params.iter().map(|p| tape.leaf(p.clone())).collect();
        let h = tape.constant(x.clone());
        let h = h
            .conv2d(v[0], Some(v[1]), same)
            .relu()
            .max_pool2d(Pool2d::new(2));
        let h = h
            .conv2d(v[2], Some(v[3]), same)
            .relu()
            .max_pool2d(Pool2d::new(2));
        let z = h.reshape(&[n, flat]).linear(v[4], Some(v[5]));
        let loss = -(z.log_softmax(1) * tape.constant(onehot.clone())).sum() / n as f32;
        let grads = loss.backward();
        let value = loss.item();
        let gs: Vec<Tensor<f32>> = v.iter().map(|&p| grads.wrt(p)).collect();
        drop(tape);
        for (p, g) in params.iter_mut().zip(&gs) {
            sgd(p, g, CONV_LR);
        }
        value
    };
    let mut losses = Vec::new();
    for _ in 0..10 {
        losses.push(step(&mut params));
    }
    let mut ts = Vec::new();
    for _ in 0..reps(100, 10) {
        let t0 = Instant::now();
        losses.push(step(&mut params));
        ts.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    let rss = peak_rss_mib();
    let note = format!(
        "loss0={:.6} loss1={:.6} loss={:.4} steps={} peak_rss={rss:.1}MiB",
        losses[0],
        losses[1],
        losses[losses.len() - 1],
        losses.len()
    );
    emit("conv_step", "eager", &format!("b{n}"), "ms", ts, &note);
}

/// `linreg` with a [`Plan`]: the loss's gradient traced once (its time in the note), each
/// epoch a replay and the same update.
fn bench_linreg_plan() {
    let (xs, ys) = load_linreg();
    let xt = Tensor::vector(xs.iter().map(|&v| v as f32).collect());
    let yt = Tensor::vector(ys.iter().map(|&v| v as f32).collect());
    let t0 = Instant::now();
    let mut plan = Plan::trace(&[Tensor::scalar(0f32), Tensor::scalar(0f32)], |tape, p| {
        let pred = tape.constant(xt.clone()) * p[0] + p[1];
        let d = pred - tape.constant(yt.clone());
        let loss = (d * d).mean();
        tape.grad(loss, p)
    })
    .expect("linreg traces");
    let trace_ms = t0.elapsed().as_secs_f64() * 1e3;
    let mut ts = Vec::new();
    let (mut wv, mut bv) = (0f32, 0f32);
    for r in 0..reps(5, 2) + 1 {
        let (mut w, mut b) = (0f32, 0f32);
        let t0 = Instant::now();
        for _ in 0..LINREG_EPOCHS {
            let g = plan
                .run(&[Tensor::scalar(w), Tensor::scalar(b)])
                .expect("replay");
            w -= LINREG_LR * g[0].item();
            b -= LINREG_LR * g[1].item();
        }
        let dt = t0.elapsed().as_secs_f64();
        if r > 0 {
            ts.push(dt * 1e3);
        }
        (wv, bv) = (w, b);
    }
    let s = plan.stats();
    emit(
        "linreg",
        "plan",
        &format!("e{LINREG_EPOCHS}"),
        "ms",
        ts,
        &format!(
            "w={wv:.6} b={bv:.6} trace+optimise={trace_ms:.3}ms ops={}->{} instructions",
            s.traced_ops, s.instructions
        ),
    );
}

fn main() {
    for _ in 0..rounds() {
        run_workloads();
    }
    print_rows();
}

/// Every selected workload once, its samples added to its rows.
fn run_workloads() {
    if selected("mlp_step") {
        if mlp_step_variant("eager") {
            bench_mlp("mlp_step", &MLP_DIMS, MLP_BATCH, MLP_LR, 10, reps(100, 10));
        }
        if mlp_step_variant("plan") {
            bench_mlp_plan("mlp_step", &MLP_DIMS, MLP_BATCH, MLP_LR, 10, reps(100, 10));
        }
    }
    stop_counting();
    if selected("mlp_small") {
        bench_mlp(
            "mlp_small",
            &SMALL_DIMS,
            SMALL_BATCH,
            SMALL_LR,
            50,
            reps(500, 50),
        );
        bench_mlp_plan(
            "mlp_small",
            &SMALL_DIMS,
            SMALL_BATCH,
            SMALL_LR,
            50,
            reps(500, 50),
        );
    }
    if selected("scalar_chain") {
        bench_scalar_chain();
        bench_scalar_chain_plan();
    }
    if selected("matmul") {
        bench_matmul();
    }
    if selected("grad_matmul") {
        bench_grad_matmul();
    }
    if selected("linreg") {
        bench_linreg();
        bench_linreg_plan();
    }
    if selected("conv_step") {
        bench_conv();
    }
    if selected("rnn_step") {
        bench_rnn();
    }
}
