//! Gradients: finite-difference checks of orders 1 and 2, a 1,000-step backward, detach.

use rand::{rngs::StdRng, SeedableRng};
use tapegrad_check::diagnostics::Diagnostics;
use tapegrad_check::gradcheck::check_gradients;
use tapegrad_core::{Tape, Tensor, Var};
use tapegrad_nn::recurrent::{
    gru_step, lstm_step, rnn_step, CellVars, Gru, Lstm, Nonlinearity, RecurrentConfig, Rnn,
};
use tapegrad_nn::Pass;

/// The weights as the first four inputs of a checked function.
fn cell_vars<'t>(xs: &[Var<'t, f64>]) -> CellVars<'t, f64> {
    CellVars {
        weight_ih: xs[0],
        weight_hh: xs[1],
        bias_ih: Some(xs[2]),
        bias_hh: Some(xs[3]),
    }
}

fn weights(gates: usize, input: usize, hidden: usize, seed: u64) -> Vec<Tensor<f64>> {
    let g = gates * hidden;
    vec![
        Tensor::rand_normal(&[g, input], 0.0, 0.6, seed),
        Tensor::rand_normal(&[g, hidden], 0.0, 0.6, seed + 1),
        Tensor::rand_normal(&[g], 0.0, 0.3, seed + 2),
        Tensor::rand_normal(&[g], 0.0, 0.3, seed + 3),
    ]
}

const STEPS: usize = 3;

#[test]
fn unrolled_gru_gradcheck_order2() {
    // weights, h0, then one input per step: every input of every step is checked
    let (batch, input, hidden) = (2, 2, 2);
    let mut inputs = weights(3, input, hidden, 10);
    inputs.push(Tensor::rand_normal(&[batch, hidden], 0.0, 0.5, 20));
    for t in 0..STEPS {
        inputs.push(Tensor::rand_normal(
            &[batch, input],
            0.0,
            1.0,
            30 + t as u64,
        ));
    }
    check_gradients(
        |xs| {
            let w = cell_vars(xs);
            let mut h = xs[4];
            for x in &xs[5..] {
                h = gru_step(*x, h, &w);
            }
            h
        },
        &inputs,
        2,
    )
    .unwrap();
}

#[test]
fn unrolled_lstm_gradcheck_order2() {
    let (batch, input, hidden) = (2, 2, 2);
    let mut inputs = weights(4, input, hidden, 40);
    inputs.push(Tensor::rand_normal(&[batch, hidden], 0.0, 0.5, 50));
    inputs.push(Tensor::rand_normal(&[batch, hidden], 0.0, 0.5, 51));
    for t in 0..STEPS {
        inputs.push(Tensor::rand_normal(
            &[batch, input],
            0.0,
            1.0,
            60 + t as u64,
        ));
    }
    check_gradients(
        |xs| {
            let w = cell_vars(xs);
            let (mut h, mut c) = (xs[4], xs[5]);
            for x in &xs[6..] {
                (h, c) = lstm_step(*x, (h, c), &w);
            }
            // both states reach the output
            Var::concat(&[h, c], 1)
        },
        &inputs,
        2,
    )
    .unwrap();
}

#[test]
fn unrolled_rnn_gradcheck_order2() {
    let mut inputs = weights(1, 2, 3, 70);
    inputs.push(Tensor::rand_normal(&[2, 3], 0.0, 0.5, 80));
    for t in 0..STEPS {
        inputs.push(Tensor::rand_normal(&[2, 2], 0.0, 1.0, 90 + t as u64));
    }
    check_gradients(
        |xs| {
            let w = cell_vars(xs);
            let mut h = xs[4];
            for x in &xs[5..] {
                h = rnn_step(*x, h, &w, Nonlinearity::Tanh);
            }
            h
        },
        &inputs,
        2,
    )
    .unwrap();
}

#[test]
fn sequence_layers_gradcheck_order2_through_input_and_states() {
    // two layers, both directions, batch first: the input and the initial states checked
    let config = RecurrentConfig::new()
        .layers(2)
        .bidirectional(true)
        .batch_first(true);
    let rng = &mut StdRng::seed_from_u64(7);
    let gru = Gru::<f64>::with_config(2, 2, config, rng);
    let lstm = Lstm::<f64>::with_config(2, 2, config, rng);
    let x = Tensor::rand_normal(&[2, 3, 2], 0.0, 1.0, 1);
    let s = Tensor::rand_normal(&[4, 2, 2], 0.0, 0.5, 2);
    check_gradients(
        |xs| {
            let pass = Pass::train(xs[0].tape());
            let (out, h_n) = gru.run(&pass, xs[0], Some(xs[1]));
            Var::concat(&[out.flatten(), h_n.flatten()], 0)
        },
        &[x.clone(), s.clone()],
        2,
    )
    .unwrap();
    check_gradients(
        |xs| {
            let pass = Pass::train(xs[0].tape());
            let (out, (h_n, c_n)) = lstm.run(&pass, xs[0], Some((xs[1], xs[2])));
            Var::concat(&[out.flatten(), h_n.flatten(), c_n.flatten()], 0)
        },
        &[x, s.clone(), s],
        2,
    )
    .unwrap();
}

#[test]
fn a_thousand_step_rnn_backward_runs_on_the_test_thread() {
    // The sweep is a loop over the tape, not a recursion: 1,000 steps (about 10,000 nodes)
    // on the test's default 2 MiB thread.
    let (steps, batch, input, hidden) = (1000, 4, 8, 32);
    let rnn = Rnn::<f32>::new(input, hidden, &mut StdRng::seed_from_u64(0));
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let x = pass.input(Tensor::rand_normal(&[steps, batch, input], 0.0, 1.0, 1));
    let (out, h_n) = rnn.run(&pass, x, None);
    let loss = (out * out).mean() + h_n.sum();
    let stats = tape.stats();
    let grads = pass.backward(loss);
    let g = grads.wrt(&rnn.cell(0, 0).weight_hh);
    assert!(g.as_slice().iter().all(|v| v.is_finite()));
    assert!(g.as_slice().iter().any(|v| *v != 0.0));
    // the memory the recording holds (values, node records, ops), printed for the record
    println!(
        "1000-step RNN (batch {batch}, input {input}, hidden {hidden}, f32): {} nodes, \
         {:.2} MiB of values, {:.2} MiB in all",
        stats.nodes,
        stats.value_bytes as f64 / (1 << 20) as f64,
        stats.bytes() as f64 / (1 << 20) as f64
    );
    assert!(stats.nodes >= steps * 5, "{}", stats.nodes);
}

#[test]
fn truncated_bptt_detach_cuts_the_gradient_path() {
    // Two chunks of steps; the state is detached between them, so the first chunk's
    // inputs get no gradient from the second chunk's loss.
    let rnn = Rnn::<f64>::new(1, 3, &mut StdRng::seed_from_u64(2));
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let x1 = tape.leaf(Tensor::rand_normal(&[4, 1, 1], 0.0, 1.0, 3));
    let x2 = pass.input(Tensor::rand_normal(&[4, 1, 1], 0.0, 1.0, 4));
    let (_, h) = rnn.run(&pass, x1, None);
    let (out, _) = rnn.run(&pass, x2, Some(h.detach()));
    let g = out.sum().backward();
    assert!(g.wrt(x1).as_slice().iter().all(|v| *v == 0.0));
    let (out, _) = rnn.run(&pass, x2, Some(h));
    let g = out.sum().backward();
    assert!(g.wrt(x1).as_slice().iter().any(|v| *v != 0.0));
}
