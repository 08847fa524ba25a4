//! Values: hand literals per cell, every layout against the reference, PyTorch's names
//! and initialisation, empty batches, dropout, unbatched input.

use crate::reference::*;
use proptest::prelude::*;
use rand::{rngs::StdRng, SeedableRng};
use tapegrad_core::{Tape, Tensor};
use tapegrad_nn::recurrent::{
    Gru, GruCell, Lstm, LstmCell, Nonlinearity, RecurrentConfig, Rnn, RnnCell,
};
use tapegrad_nn::{Module, Pass};

#[test]
fn rnn_cell_matches_literal_tanh_and_relu() {
    // hidden 1, input 2: a = 1·1 + 2·1 + 0.1 + 0.5·2 − 0.1 = 4
    let mut cell = RnnCell::<f64>::new(2, 1, &mut StdRng::seed_from_u64(0));
    cell.weight_ih
        .set(Tensor::from_vec(vec![1.0, 2.0], &[1, 2]));
    cell.weight_hh.set(Tensor::from_vec(vec![0.5], &[1, 1]));
    cell.bias_ih
        .as_ref()
        .unwrap()
        .set(Tensor::vector(vec![0.1]));
    cell.bias_hh
        .as_ref()
        .unwrap()
        .set(Tensor::vector(vec![-0.1]));
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let (x, h) = (
        pass.input(Tensor::from_vec(vec![1.0, 1.0], &[1, 2])),
        pass.input(Tensor::from_vec(vec![2.0], &[1, 1])),
    );
    let y = cell.step(&pass, x, h);
    assert!((y.item() - 4f64.tanh()).abs() < 1e-15);
    // d tanh(a)/d W_hh = (1 − tanh²a)·h
    let g = pass.backward(y);
    let expect = (1.0 - 4f64.tanh().powi(2)) * 2.0;
    assert!((g.wrt(&cell.weight_hh).item() - expect).abs() < 1e-15);
    cell.nonlinearity = Nonlinearity::Relu;
    assert_eq!(cell.step(&pass, x, h).item(), 4.0);
}

#[test]
fn gru_cell_matches_literal() {
    // hidden 1, input 1: gate rows r, z, n
    let cell = GruCell::<f64>::new(1, 1, &mut StdRng::seed_from_u64(0));
    cell.weight_ih
        .set(Tensor::from_vec(vec![1.0, -1.0, 2.0], &[3, 1]));
    cell.weight_hh
        .set(Tensor::from_vec(vec![0.5, 0.5, -1.0], &[3, 1]));
    cell.bias_ih
        .as_ref()
        .unwrap()
        .set(Tensor::vector(vec![0.0, 0.0, 0.0]));
    cell.bias_hh
        .as_ref()
        .unwrap()
        .set(Tensor::vector(vec![0.0, 0.0, 1.0]));
    let tape = Tape::new();
    let pass = Pass::eval(&tape);
    let (x, h) = (1.0, 0.5);
    let y = cell.step(
        &pass,
        pass.input(Tensor::from_vec(vec![x], &[1, 1])),
        pass.input(Tensor::from_vec(vec![h], &[1, 1])),
    );
    // r = σ(1 + 0.25), z = σ(−1 + 0.25), n = tanh(2 + r·(−0.5 + 1)), h' = (1 − z)n + z·h
    let r = sigmoid(1.25);
    let z = sigmoid(-0.75);
    let n = (2.0 + r * 0.5).tanh();
    assert!((y.item() - ((1.0 - z) * n + z * h)).abs() < 1e-15);
}

#[test]
fn lstm_cell_matches_literal() {
    // hidden 1, input 1: gate rows i, f, g, o
    let cell = LstmCell::<f64>::with_bias(1, 1, false, &mut StdRng::seed_from_u64(0));
    cell.weight_ih
        .set(Tensor::from_vec(vec![1.0, 2.0, -1.0, 0.5], &[4, 1]));
    cell.weight_hh
        .set(Tensor::from_vec(vec![0.0, 1.0, 1.0, -2.0], &[4, 1]));
    let tape = Tape::new();
    let pass = Pass::eval(&tape);
    let v = |a: f64| pass.input(Tensor::from_vec(vec![a], &[1, 1]));
    let (h, c) = cell.step(&pass, v(1.0), (v(0.5), v(-1.0)));
    // a = [1, 2.5, −0.5, −0.5]; c' = σ(2.5)·(−1) + σ(1)·tanh(−0.5); h' = σ(−0.5)·tanh(c')
    let c2 = -sigmoid(2.5) + sigmoid(1.0) * (-0.5f64).tanh();
    assert!((c.item() - c2).abs() < 1e-15);
    assert!((h.item() - sigmoid(-0.5) * c2.tanh()).abs() < 1e-15);
}

#[test]
fn cells_as_modules_start_from_zero_states_and_name_parameters_like_pytorch() {
    let rng = &mut StdRng::seed_from_u64(3);
    let cell = LstmCell::<f64>::new(2, 3, rng);
    let names: Vec<_> = cell.parameters().names().map(String::from).collect();
    assert_eq!(names, ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]);
    assert_eq!(cell.weight_ih.shape(), [12, 2]);
    let x = Tensor::rand_normal(&[4, 2], 0.0, 1.0, 9);
    let tape = Tape::new();
    let pass = Pass::eval(&tape);
    let zeros = pass.input(Tensor::zeros(&[4, 3]));
    let (h, _) = cell.step(&pass, pass.input(x.clone()), (zeros, zeros));
    assert_eq!(cell.predict(&x), h.value());
    let no_bias = GruCell::<f64>::with_bias(2, 3, false, rng);
    assert_eq!(
        no_bias.parameters().names().collect::<Vec<_>>(),
        ["weight_ih", "weight_hh"]
    );
}

#[test]
fn init_is_uniform_within_one_over_sqrt_hidden() {
    let gru = Gru::<f64>::with_config(
        5,
        16,
        RecurrentConfig::new().layers(2),
        &mut StdRng::seed_from_u64(1),
    );
    let ps = gru.parameters();
    let all: Vec<f64> = ps
        .params()
        .flat_map(|p| p.value().as_slice().to_vec())
        .collect();
    assert!(all.iter().all(|w| w.abs() <= 0.25), "bound 1/√16");
    // spread over the interval, not a constant
    let max = all.iter().cloned().fold(f64::MIN, f64::max);
    assert!(max > 0.24, "{max}");
    assert_eq!(ps.get("weight_ih_l1").unwrap().shape(), [48, 16]);
}

#[test]
fn sequence_parameters_follow_pytorch_names_and_order() {
    let config = RecurrentConfig::new().layers(2).bidirectional(true);
    let lstm = Lstm::<f32>::with_config(3, 4, config, &mut StdRng::seed_from_u64(0));
    let names: Vec<_> = lstm.parameters().names().map(String::from).collect();
    let mut want = Vec::new();
    for l in 0..2 {
        for sfx in ["", "_reverse"] {
            for p in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"] {
                want.push(format!("{p}_l{l}{sfx}"));
            }
        }
    }
    assert_eq!(names, want);
    // layer 1 reads both directions of layer 0
    assert_eq!(lstm.cell(1, 1).weight_ih.shape(), [16, 8]);
    let plain = Rnn::<f32>::with_config(
        3,
        4,
        RecurrentConfig::new().bias(false),
        &mut StdRng::seed_from_u64(0),
    );
    assert_eq!(
        plain.parameters().names().collect::<Vec<_>>(),
        ["weight_ih_l0", "weight_hh_l0"]
    );
}

#[test]
fn every_layout_matches_the_reference() {
    let base = RecurrentConfig::new();
    let configs = [
        base,
        base.batch_first(true),
        base.layers(2),
        base.bidirectional(true),
        base.layers(2).bidirectional(true).batch_first(true),
        base.layers(3).bias(false),
    ];
    let kinds = [
        Kind::Rnn(Nonlinearity::Tanh),
        Kind::Rnn(Nonlinearity::Relu),
        Kind::Gru,
        Kind::Lstm,
    ];
    for (i, config) in configs.iter().enumerate() {
        for kind in kinds {
            matches_reference(kind, (5, 3, 2, 4), *config, i as u64)
                .unwrap_or_else(|e| panic!("{kind:?} {config:?}: {e}"));
        }
    }
}

#[test]
fn module_forward_is_run_from_zero_states() {
    let gru = Gru::<f64>::new(2, 3, &mut StdRng::seed_from_u64(5));
    let x = Tensor::rand_normal(&[4, 2, 2], 0.0, 1.0, 6);
    let tape = Tape::new();
    let pass = Pass::eval(&tape);
    let (out, _) = gru.run(
        &pass,
        pass.input(x.clone()),
        Some(pass.input(Tensor::zeros(&[1, 2, 3]))),
    );
    assert_eq!(gru.predict(&x), out.value());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn random_layouts_match_the_reference(
        kind in prop_oneof![
            Just(Kind::Rnn(Nonlinearity::Tanh)),
            Just(Kind::Rnn(Nonlinearity::Relu)),
            Just(Kind::Gru),
            Just(Kind::Lstm),
        ],
        steps in 1usize..6, batch in 1usize..4, input in 1usize..4, hidden in 1usize..5,
        layers in 1usize..4, bidirectional: bool, batch_first: bool, bias: bool,
        seed in 0u64..1000,
    ) {
        let config = RecurrentConfig::new()
            .layers(layers)
            .bidirectional(bidirectional)
            .batch_first(batch_first)
            .bias(bias);
        let r = matches_reference(kind, (steps, batch, input, hidden), config, seed);
        prop_assert!(r.is_ok(), "{:?}", r);
    }
}

#[test]
fn an_empty_batch_gives_empty_outputs_and_zero_gradients() {
    let lstm = Lstm::<f64>::with_config(
        2,
        3,
        RecurrentConfig::new().bidirectional(true),
        &mut StdRng::seed_from_u64(0),
    );
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let (out, (h_n, c_n)) = lstm.run(&pass, pass.input(Tensor::zeros(&[4, 0, 2])), None);
    assert_eq!(out.shape().as_slice(), &[4, 0, 6]);
    assert_eq!(h_n.shape().as_slice(), &[2, 0, 3]);
    assert_eq!(c_n.shape().as_slice(), &[2, 0, 3]);
    let g = pass.backward(out.sum() + h_n.sum());
    let w = &lstm.cell(0, 1).weight_hh;
    assert_eq!(g.wrt(w), Tensor::zeros(&[12, 3]));
}

#[test]
fn dropout_acts_between_layers_in_training_only() {
    let rng = |s| StdRng::seed_from_u64(s);
    let plain = RecurrentConfig::new().layers(2);
    let x = Tensor::rand_normal(&[6, 3, 2], 0.0, 1.0, 4);
    let reference = Gru::<f64>::with_config(2, 5, plain, &mut rng(1));
    let dropped = Gru::<f64>::with_config(2, 5, plain.dropout(0.5, 9), &mut rng(1));
    // same weights (same generator), so evaluation gives the same outputs
    assert_eq!(reference.predict(&x), dropped.predict(&x));
    let train = |gru: &Gru<f64>| {
        let tape = Tape::new();
        let pass = Pass::train(&tape);
        gru.forward(&pass, pass.input(x.clone())).value()
    };
    assert_eq!(train(&reference), reference.predict(&x));
    assert_ne!(train(&dropped), dropped.predict(&x));
    // p = 1: the second layer sees zeros, so the first layer's weights get no gradient
    // from the last layer's outputs, while the second layer's do
    let all = Gru::<f64>::with_config(2, 5, plain.dropout(1.0, 0), &mut rng(2));
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let g = pass.backward(all.forward(&pass, pass.input(x.clone())).sum());
    assert!(g
        .wrt(&all.cell(0, 0).weight_ih)
        .as_slice()
        .iter()
        .all(|v| *v == 0.0));
    assert!(g
        .wrt(&all.cell(1, 0).weight_hh)
        .as_slice()
        .iter()
        .any(|v| *v != 0.0));
    let label = format!(
        "{}",
        Gru::<f64>::with_config(2, 5, plain.dropout(0.25, 0), &mut rng(3))
            .try_run(&pass, pass.input(Tensor::zeros(&[1, 1, 9])), None)
            .unwrap_err()
    );
    assert!(
        label.starts_with("Gru(input=2, hidden=5, layers=2, dropout=0.25): "),
        "{label}"
    );
}

#[test]
fn unbatched_input_is_a_batch_of_one() {
    // as PyTorch: x [seq, input], states [d·layers, hidden], batch_first ignored
    let config = RecurrentConfig::new()
        .layers(2)
        .bidirectional(true)
        .batch_first(true);
    let lstm = Lstm::<f64>::with_config(2, 3, config, &mut StdRng::seed_from_u64(8));
    let x = Tensor::rand_normal(&[5, 2], 0.0, 1.0, 1);
    let h0 = Tensor::rand_normal(&[4, 3], 0.0, 0.5, 2);
    let c0 = Tensor::rand_normal(&[4, 3], 0.0, 0.5, 3);
    let tape = Tape::new();
    let pass = Pass::eval(&tape);
    let v = |t: &Tensor<f64>| pass.input(t.clone());
    let (out, (h, c)) = lstm.run(&pass, v(&x), Some((v(&h0), v(&c0))));
    assert_eq!(out.shape().as_slice(), &[5, 6]);
    assert_eq!(
        (h.shape().to_vec(), c.shape().to_vec()),
        (vec![4, 3], vec![4, 3])
    );
    let batched = |t: &Tensor<f64>, s: &[usize]| v(&t.reshape(s).unwrap());
    let (out1, (h1, c1)) = lstm.run(
        &pass,
        batched(&x, &[1, 5, 2]),
        Some((batched(&h0, &[4, 1, 3]), batched(&c0, &[4, 1, 3]))),
    );
    assert_eq!(out.value().as_slice(), out1.value().as_slice());
    assert_eq!(h.value().as_slice(), h1.value().as_slice());
    assert_eq!(c.value().as_slice(), c1.value().as_slice());
}
