//! The pooling and normalisation layers against PyTorch (`fixtures/norm_layers.py` made
//! the fixtures): a state_dict with running statistics loads; eval and train outputs, the
//! input's gradient and the running-statistic updates match; gradients through batch and
//! layer normalisation pass the checker; bad inputs name the layer and the caller's line.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use tapegrad_check::gradcheck::{check_gradients, TestFn};
use tapegrad_core::ops::pool::Pool2d;
use tapegrad_core::{Tape, Tensor};
use tapegrad_nn::optim::{Optimizer, Sgd};
use tapegrad_nn::{
    AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Flatten, LayerNorm, MaxPool2d, Module,
    Param, Params, Pass, Sequential,
};

const MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/norm_model.safetensors"
);
const IO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/norm_io.safetensors"
);

/// The fixture's model, freshly initialised.
fn model() -> Sequential<f64> {
    Sequential::new()
        .push(BatchNorm2d::new(3))
        .push(MaxPool2d::new(2))
        .push(AvgPool2d::with(
            Pool2d::new(3).stride(1).padding(1).count_include_pad(false),
        ))
        .push(AdaptiveAvgPool2d::new([2, 3]))
        .push(Flatten::new())
        .push(BatchNorm1d::new(18))
        .push(LayerNorm::new(&[18]))
}

/// Every tensor of `norm_io.safetensors`, by name; loading refuses a file whose names or
/// shapes differ from this list.
fn io() -> HashMap<String, Tensor<f64>> {
    let entries: [(&str, &[usize]); 14] = [
        ("x", &[4, 3, 6, 8]),
        ("y_eval", &[4, 18]),
        ("y_train", &[4, 18]),
        ("dx", &[4, 3, 6, 8]),
        ("after.0.running_mean", &[3]),
        ("after.0.running_var", &[3]),
        ("after.0.num_batches_tracked", &[]),
        ("after.5.running_mean", &[18]),
        ("after.5.running_var", &[18]),
        ("after.5.num_batches_tracked", &[]),
        ("bn3_x", &[5, 2, 4]),
        ("bn3_y", &[5, 2, 4]),
        ("bn3_running_mean", &[2]),
        ("bn3_running_var", &[2]),
    ];
    let mut file = Params::new();
    for (name, shape) in entries {
        file.insert(name, &Param::new(Tensor::zeros(shape)));
    }
    file.load_safetensors(IO).unwrap();
    file.iter()
        .map(|(n, p)| (n.to_string(), p.value()))
        .collect()
}

/// The gradient check of orders 1 to `order` (f64, PyTorch's tolerances), or a panic
/// with its report.
fn assert_gradients(f: impl TestFn, inputs: &[Tensor<f64>], order: usize) {
    if let Err(e) = check_gradients(f, inputs, order) {
        panic!("{e}");
    }
}

fn assert_close(got: &Tensor<f64>, want: &Tensor<f64>, tol: f64) {
    assert_eq!(got.shape(), want.shape());
    let d = got.max_abs_diff(want).unwrap();
    assert!(
        d <= tol,
        "max |diff| {d:e} > {tol:e}\n got {got:?}\nwant {want:?}"
    );
}

#[test]
fn pytorch_state_dict_loads_with_buffers_and_matches_eval_output() {
    let model = model();
    let names: Vec<_> = model.state().names().map(String::from).collect();
    assert_eq!(
        names,
        [
            "0.weight",
            "0.bias",
            "0.running_mean",
            "0.running_var",
            "0.num_batches_tracked",
            "5.weight",
            "5.bias",
            "5.running_mean",
            "5.running_var",
            "5.num_batches_tracked",
            "6.weight",
            "6.bias",
        ]
    );
    // the int64 counters load too
    model.state().load_safetensors(MODEL).unwrap();
    let state = model.state();
    assert_eq!(
        state.get("0.num_batches_tracked").unwrap().value().item(),
        3.0
    );
    assert_ne!(
        state.get("5.running_var").unwrap().value(),
        Tensor::ones(&[18])
    );
    let io = io();
    assert_close(&model.predict(&io["x"]), &io["y_eval"], 1e-12);
}

#[test]
fn train_mode_matches_pytorch_output_gradient_and_running_statistics() {
    let model = model();
    model.state().load_safetensors(MODEL).unwrap();
    let io = io();
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let xv = tape.leaf(io["x"].clone());
    let y = model.forward(&pass, xv);
    assert_close(&y.value(), &io["y_train"], 1e-12);
    let w = Tensor::from_fn(&[4, 18], |i| ((i * 13 + 5) % 17) as f64 / 8.0 - 1.0);
    let grads = (y * tape.constant(w)).sum().backward();
    assert_close(&grads.wrt(xv), &io["dx"], 1e-10);
    let state = model.state();
    assert_eq!(model.buffers().len(), 6);
    for (name, p) in model.buffers().iter() {
        assert_close(&p.value(), &io[&format!("after.{name}")], 1e-12);
    }
    assert_eq!(
        state.get("5.num_batches_tracked").unwrap().value().item(),
        4.0
    );
}

#[test]
fn batch_norm1d_on_three_axes_matches_pytorch() {
    let io = io();
    let (x, y) = (io["bn3_x"].clone(), &io["bn3_y"]);
    let bn = BatchNorm1d::<f64>::new(2);
    let tape = Tape::new();
    let out = bn.forward(&Pass::train(&tape), tape.constant(x));
    assert_close(&out.value(), y, 1e-12);
    assert_close(&bn.running_mean.value(), &io["bn3_running_mean"], 1e-14);
    assert_close(&bn.running_var.value(), &io["bn3_running_var"], 1e-14);
}

#[test]
fn batch_norm_trains_on_batch_statistics_and_evaluates_on_running_ones() {
    // channel 0 holds 1 and 3, channel 1 holds 0 and 0 (a constant channel)
    let bn = BatchNorm1d::<f64>::new(2);
    let x = Tensor::from_vec(vec![1.0, 0.0, 3.0, 0.0], &[2, 2]);
    let tape = Tape::new();
    let y = bn
        .forward(&Pass::train(&tape), tape.constant(x.clone()))
        .value();
    let s = 1.0 / (1.0 + 1e-5f64).sqrt();
    assert_close(&y, &Tensor::from_vec(vec![-s, 0.0, s, 0.0], &[2, 2]), 1e-15);
    // running mean 0.1·[2, 0], running var 0.9·1 + 0.1·[2, 0] (unbiased)
    assert_close(
        &bn.running_mean.value(),
        &Tensor::vector(vec![0.2, 0.0]),
        1e-15,
    );
    assert_close(
        &bn.running_var.value(),
        &Tensor::vector(vec![1.1, 0.9]),
        1e-15,
    );
    assert_eq!(bn.num_batches_tracked.value().item(), 1.0);
    // evaluation: (x - running_mean) / √(running_var + ε), and nothing moves
    let y = bn.predict(&x);
    let want: Vec<f64> = [1.0, 0.0, 3.0, 0.0]
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (m, var) = if i % 2 == 0 { (0.2, 1.1) } else { (0.0, 0.9) };
            (v - m) / (var + 1e-5f64).sqrt()
        })
        .collect();
    assert_close(&y, &Tensor::from_vec(want, &[2, 2]), 1e-15);
    assert_eq!(bn.num_batches_tracked.value().item(), 1.0);
}

#[test]
fn buffers_are_state_but_not_parameters() {
    let bn = BatchNorm2d::<f64>::new(2);
    let params: Vec<_> = Module::<f64>::parameters(&bn)
        .names()
        .map(String::from)
        .collect();
    assert_eq!(params, ["weight", "bias"]);
    let model = Sequential::new().push(bn).push(Flatten::new());
    // an optimizer walks the parameters only, so it never steps a running statistic
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let x = pass.input(Tensor::from_fn(&[3, 2, 2, 2], |i| (i as f64).sin()));
    let loss = model.forward(&pass, x).powi(2).sum();
    let grads = pass.backward(loss);
    let before = model.buffers().snapshot();
    Sgd::new(0.1).step(&model.parameters(), &grads);
    let after = model.buffers().snapshot();
    assert_eq!(before.len(), 3);
    for ((n, b), (_, a)) in before.iter().zip(&after) {
        assert_eq!(a, b, "{n}");
    }
    // saving and loading the state round-trips the buffers (f32 here)
    let src = BatchNorm2d::<f32>::new(2);
    src.running_mean.set(Tensor::vector(vec![0.5, -1.5]));
    src.num_batches_tracked.set(Tensor::scalar(7.0));
    let bytes = Module::<f32>::state(&src).to_safetensors().unwrap();
    let dst = BatchNorm2d::<f32>::new(2);
    Module::<f32>::state(&dst)
        .load_safetensors_bytes(&bytes)
        .unwrap();
    assert_eq!(dst.running_mean.value().as_slice(), &[0.5, -1.5]);
    assert_eq!(dst.num_batches_tracked.value().item(), 7.0);
}

#[test]
fn batch_norm_gradcheck_in_train_mode_order2() {
    let bn = BatchNorm2d::<f64>::new(2);
    bn.weight
        .as_ref()
        .unwrap()
        .set(Tensor::vector(vec![1.5, -0.5]));
    bn.bias
        .as_ref()
        .unwrap()
        .set(Tensor::vector(vec![0.25, 1.0]));
    let x = Tensor::from_fn(&[3, 2, 2, 2], |i| (i as f64 * 0.73).sin() * 2.0);
    let w = Tensor::from_fn(&[3, 2, 2, 2], |i| (i as f64 * 1.3).cos());
    assert_gradients(
        |xs| {
            let pass = Pass::train(xs[0].tape());
            let y = bn.forward(&pass, xs[0]);
            // a weighted sum: Σ y alone is constant in x after normalisation
            y * xs[0].constant(w.clone()) * y
        },
        &[x],
        2,
    );
    let bn1 = BatchNorm1d::<f64>::with_options(3, 1e-3, 0.1, false);
    let x = Tensor::from_fn(&[4, 3], |i| (i as f64 * 0.41).cos());
    assert_gradients(
        |xs| {
            let y = bn1.forward(&Pass::train(xs[0].tape()), xs[0]);
            y * y * y
        },
        &[x],
        2,
    );
}

#[test]
fn layer_norm_gradcheck_order2_and_literal() {
    let ln = LayerNorm::<f64>::new(&[2, 3]);
    ln.weight
        .as_ref()
        .unwrap()
        .set(Tensor::from_fn(&[2, 3], |i| 0.5 + i as f64 * 0.2));
    let x = Tensor::from_fn(&[2, 2, 3], |i| (i as f64 * 0.9).sin());
    assert_gradients(
        |xs| {
            let y = ln.forward(&Pass::train(xs[0].tape()), xs[0]);
            y * y * y
        },
        std::slice::from_ref(&x),
        2,
    );
    // [0, 1, 2, 3, 4, 5]: mean 2.5, variance 35/12
    let plain = LayerNorm::<f64>::with_options(&[6], 0.0, false);
    let y = plain.predict(&Tensor::from_fn(&[6], |i| i as f64));
    let s = (35.0f64 / 12.0).sqrt();
    let want = Tensor::from_fn(&[6], |i| (i as f64 - 2.5) / s);
    assert_close(&y, &want, 1e-15);
    assert!(Module::<f64>::parameters(&plain).is_empty());
}

/// The panic message of `f`.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("no panic");
    payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn bad_inputs_name_the_layer_the_shape_and_the_callers_line() {
    let tape = Tape::<f64>::new();
    let pass = Pass::train(&tape);
    let at = |line: u32| format!("(at {}:{line}:", file!());
    let bn = BatchNorm2d::<f64>::new(3);
    let x = pass.input(Tensor::zeros(&[2, 4, 3, 3]));
    let line = line!() + 1;
    let m = panic_message(|| _ = bn.forward(&pass, x));
    assert!(
        m.starts_with(
            "BatchNorm2d(3): expects a [N, C, H, W] input with C = 3, got shape [2, 4, 3, 3]"
        ),
        "{m}"
    );
    assert!(m.contains(&at(line)), "{m}");
    let one = pass.input(Tensor::zeros(&[1, 3]));
    let bn1 = BatchNorm1d::<f64>::new(3);
    let line = line!() + 1;
    let m = panic_message(|| _ = bn1.forward(&pass, one));
    assert!(
        m.contains("more than 1 value per channel") && m.contains(&at(line)),
        "{m}"
    );
    // one sample is fine when evaluating
    assert_eq!(bn1.predict(&Tensor::zeros(&[1, 3])).shape(), &[1, 3]);
    let ln = LayerNorm::<f64>::new(&[4]);
    let line = line!() + 1;
    let m = panic_message(|| _ = ln.forward(&pass, x));
    assert!(
        m.starts_with("LayerNorm([4]): expects an input ending in [4], got shape [2, 4, 3, 3]"),
        "{m}"
    );
    assert!(m.contains(&at(line)), "{m}");
    let line = line!() + 1;
    let m = panic_message(|| _ = Flatten::axes(2, 5).forward(&pass, x));
    assert!(
        m.starts_with("Flatten: axes 2..=5 do not fit an input of shape [2, 4, 3, 3]"),
        "{m}"
    );
    assert!(m.contains(&at(line)), "{m}");
    let line = line!() + 1;
    let m = panic_message(|| _ = MaxPool2d::new(4).forward(&pass, x));
    assert!(
        m.starts_with("max_pool2d: the output size [0, 0] is too small"),
        "{m}"
    );
    assert!(m.contains("[2, 4, 3, 3]") && m.contains(&at(line)), "{m}");
    // through Sequential too
    let seq = Sequential::new()
        .push(Flatten::new())
        .push(AvgPool2d::new(2));
    let line = line!() + 1;
    let m = panic_message(|| _ = seq.forward(&pass, x));
    assert!(
        m.starts_with("avg_pool2d: expects a 3-d or 4-d input") && m.contains(&at(line)),
        "{m}"
    );
}

#[test]
fn flatten_and_pool_layers_shape_like_pytorch() {
    let x = Tensor::<f64>::from_fn(&[2, 3, 5, 4], |i| i as f64);
    assert_eq!(Flatten::new().predict(&x).shape(), &[2, 60]);
    assert_eq!(Flatten::axes(-3, -2).predict(&x).shape(), &[2, 15, 4]);
    assert_eq!(
        Flatten::axes(0, -1)
            .predict(&Tensor::<f64>::scalar(2.0))
            .shape(),
        &[1]
    );
    assert_eq!(
        MaxPool2d::with(Pool2d::new(2).ceil_mode(true))
            .predict(&x)
            .shape(),
        &[2, 3, 3, 2]
    );
    assert_eq!(AdaptiveAvgPool2d::new(1).predict(&x).shape(), &[2, 3, 1, 1]);
    assert_eq!(
        AdaptiveAvgPool2d::new(1).predict(&x).as_slice()[0],
        (0..20).sum::<usize>() as f64 / 20.0
    );
}
