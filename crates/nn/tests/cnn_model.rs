//! A whole small CNN against PyTorch (`fixtures/cnn_model.py` made the fixtures): its
//! state_dict loads under PyTorch's names, and the eval output, the train output, the
//! gradients of the input and of every parameter, and the running statistics match.

use std::collections::HashMap;
use tapegrad_core::ops::conv::ConvOptions;
use tapegrad_core::{Tape, Tensor};
use tapegrad_nn::{
    AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, Module, Param, Params,
    Pass, Relu, Sequential,
};

const MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/cnn_model.safetensors"
);
const IO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/cnn_io.safetensors"
);

/// PyTorch's `state_dict()` keys of the fixture's model, in order.
const STATE: [&str; 16] = [
    "0.weight",
    "0.bias",
    "1.weight",
    "1.bias",
    "1.running_mean",
    "1.running_var",
    "1.num_batches_tracked",
    "4.weight",
    "4.bias",
    "5.weight",
    "5.bias",
    "5.running_mean",
    "5.running_var",
    "5.num_batches_tracked",
    "9.weight",
    "9.bias",
];

/// The fixture's model with fresh weights (a fixed seed: every one is overwritten).
fn model() -> Sequential<f64> {
    use rand::{rngs::StdRng, SeedableRng};
    let rng = &mut StdRng::seed_from_u64(0);
    let pad = ConvOptions::default().padding(1);
    Sequential::new()
        .push(Conv2d::new(2, 4, 3, pad, rng))
        .push(BatchNorm2d::new(4))
        .push(Relu)
        .push(MaxPool2d::new(2))
        .push(Conv2d::new(4, 6, 3, pad, rng))
        .push(BatchNorm2d::new(6))
        .push(Relu)
        .push(AdaptiveAvgPool2d::new([2, 3]))
        .push(Flatten::new())
        .push(Linear::new(36, 5, rng))
}

/// Every tensor of `cnn_io.safetensors`, by name; loading refuses a file whose names or
/// shapes differ from this list.
fn io() -> HashMap<String, Tensor<f64>> {
    let mut entries: Vec<(String, Vec<usize>)> = [
        ("x", vec![3, 2, 9, 10]),
        ("y_eval", vec![3, 5]),
        ("y_train", vec![3, 5]),
        ("dx", vec![3, 2, 9, 10]),
    ]
    .into_iter()
    .map(|(n, s)| (n.to_string(), s))
    .collect();
    let fresh = model();
    for (name, p) in fresh.parameters().iter() {
        entries.push((format!("grad.{name}"), p.shape()));
    }
    for (name, b) in fresh.buffers().iter() {
        entries.push((format!("after.{name}"), b.shape()));
    }
    let mut file = Params::new();
    for (name, shape) in &entries {
        file.insert(name.as_str(), &Param::new(Tensor::zeros(shape)));
    }
    file.load_safetensors(IO).unwrap();
    file.iter()
        .map(|(n, p)| (n.to_string(), p.value()))
        .collect()
}

fn assert_close(what: &str, got: &Tensor<f64>, want: &Tensor<f64>, tol: f64) {
    assert_eq!(got.shape(), want.shape(), "{what}");
    let d = got.max_abs_diff(want).unwrap();
    assert!(
        d <= tol,
        "{what}: max |diff| {d:e} > {tol:e}\n got {got:?}\nwant {want:?}"
    );
}

#[test]
fn cnn_state_dict_loads_under_pytorch_names_and_matches_eval_output() {
    let model = model();
    let names: Vec<_> = model.state().names().map(String::from).collect();
    assert_eq!(names, STATE);
    model.state().load_safetensors(MODEL).unwrap();
    let state = model.state();
    assert_eq!(
        state.get("5.num_batches_tracked").unwrap().value().item(),
        3.0
    );
    assert_ne!(
        state.get("1.running_var").unwrap().value(),
        Tensor::ones(&[4])
    );
    let io = io();
    let y = model.predict(&io["x"]);
    assert_close("y_eval", &y, &io["y_eval"], 1e-10);
    // evaluation leaves the running statistics alone
    assert_eq!(
        state.get("1.num_batches_tracked").unwrap().value().item(),
        3.0
    );
}

#[test]
fn cnn_train_mode_matches_pytorch_output_gradients_and_running_statistics() {
    let model = model();
    model.state().load_safetensors(MODEL).unwrap();
    let io = io();
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let x = tape.leaf(io["x"].clone());
    let y = model.forward(&pass, x);
    assert_close("y_train", &y.value(), &io["y_train"], 1e-10);
    let w = Tensor::from_fn(&[3, 5], |i| ((i * 13 + 5) % 17) as f64 / 8.0 - 1.0);
    let loss = (y * tape.constant(w)).sum();
    let grads = loss.backward();
    assert_close("dx", &grads.wrt(x), &io["dx"], 1e-10);
    let by_param = pass.gradients(&grads);
    let params = model.parameters();
    assert_eq!(params.len(), 10);
    for (name, p) in params.iter() {
        let want = &io[&format!("grad.{name}")];
        assert_close(&format!("grad.{name}"), &by_param.wrt(p), want, 1e-10);
    }
    for (name, b) in model.buffers().iter() {
        let want = &io[&format!("after.{name}")];
        assert_close(&format!("after.{name}"), &b.value(), want, 1e-12);
    }
    assert_eq!(
        model
            .state()
            .get("1.num_batches_tracked")
            .unwrap()
            .value()
            .item(),
        4.0
    );
}
