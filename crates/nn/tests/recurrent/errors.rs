//! Bad input: errors naming the layer or cell, the shapes and the caller's line.

use rand::{rngs::StdRng, SeedableRng};
use std::panic::{catch_unwind, AssertUnwindSafe};
use tapegrad_core::{ErrorKind, Tape, Tensor};
use tapegrad_nn::recurrent::{
    gru_step, lstm_step, CellVars, Gru, GruCell, Lstm, RecurrentConfig, Rnn,
};
use tapegrad_nn::{Module, Pass};

/// The panic message of `f`, and the `(at this_file:line:` it must contain.
fn panic_at(line: u32, f: impl FnOnce()) -> (String, String) {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("no panic");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    (message, format!("(at {}:{line}:", file!()))
}

#[track_caller]
fn assert_names_caller((message, at): (String, String), starts: &str) {
    assert!(message.starts_with(starts), "{message}");
    assert!(message.contains(&at), "wanted {at} in: {message}");
}

#[test]
fn sequence_layers_refuse_bad_input_naming_layer_shapes_and_line() {
    let config = RecurrentConfig::new().layers(2).batch_first(true);
    let rng = &mut StdRng::seed_from_u64(0);
    let gru = Gru::<f32>::with_config(3, 4, config, rng);
    let lstm = Lstm::<f32>::new(3, 4, rng);
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let label = "Gru(input=3, hidden=4, layers=2, batch_first): ";

    // wrong input width
    let x = pass.input(Tensor::zeros(&[2, 5, 7]));
    let line = line!() + 1;
    let r = panic_at(line, || _ = gru.run(&pass, x, None));
    assert_names_caller(
        r,
        &format!("{label}input of shape [2, 5, 7] has 7 features, expected 3"),
    );
    // through `Module::forward` too
    let line = line!() + 1;
    let r = panic_at(line, || _ = gru.forward(&pass, x));
    assert_names_caller(
        r,
        &format!("{label}input of shape [2, 5, 7] has 7 features"),
    );

    // batch_first disagreeing with the data: [seq 5, batch 2, 3] given to a batch-first
    // layer with a state for batch 2
    let x = pass.input(Tensor::zeros(&[5, 2, 3]));
    let h0 = pass.input(Tensor::zeros(&[2, 2, 4]));
    let line = line!() + 1;
    let r = panic_at(line, || _ = gru.run(&pass, x, Some(h0)));
    assert_names_caller(
        r,
        &format!(
            "{label}initial state of shape [2, 2, 4] has batch 2, the input [5, 2, 3] read as \
             [batch, seq, input] (batch_first) has batch 5: is batch_first = true wrong"
        ),
    );

    // wrong initial state
    let x = pass.input(Tensor::zeros(&[2, 5, 3]));
    let h0 = pass.input(Tensor::zeros(&[1, 2, 4]));
    let line = line!() + 1;
    let r = panic_at(line, || _ = gru.run(&pass, x, Some(h0)));
    assert_names_caller(
        r,
        &format!(
            "{label}initial state of shape [1, 2, 4], expected [directions·layers, batch, \
             hidden] = [2, 2, 4] for input [2, 5, 3]"
        ),
    );
    let (h0, c0) = (
        pass.input(Tensor::zeros(&[1, 5, 4])),
        pass.input(Tensor::zeros(&[1, 5, 5])),
    );
    let x = pass.input(Tensor::zeros(&[2, 5, 3]));
    let line = line!() + 1;
    let r = panic_at(line, || _ = lstm.run(&pass, x, Some((h0, c0))));
    assert_names_caller(
        r,
        "Lstm(input=3, hidden=4): initial state of shape [1, 5, 5], expected",
    );

    // empty sequence, and a try_ twin's error kind and line
    let x = pass.input(Tensor::zeros(&[2, 0, 3]));
    let line = line!() + 1;
    let r = panic_at(line, || _ = gru.run(&pass, x, None));
    assert_names_caller(
        r,
        &format!("{label}empty sequence: input of shape [2, 0, 3] has no time steps"),
    );
    let (err, line) = (gru.try_run(&pass, x, None).unwrap_err(), line!());
    assert_eq!(err.kind(), &ErrorKind::InvalidArgument);
    assert_eq!((err.location.file(), err.location.line()), (file!(), line));
    let x = pass.input(Tensor::zeros(&[3]));
    let (err, line) = (lstm.try_run(&pass, x, None).unwrap_err(), line!());
    let shapes = vec![vec![3]];
    assert_eq!(err.kind(), &ErrorKind::ShapeMismatch { shapes });
    assert_eq!(err.location.line(), line);
    let want = "input of shape [3]: expected [seq, batch, input] or unbatched [seq, input]";
    assert!(err.to_string().contains(want), "{err}");
    // unbatched input with a batched state
    let (x, h0) = (
        pass.input(Tensor::zeros(&[5, 3])),
        pass.input(Tensor::zeros(&[1, 1, 4])),
    );
    let line = line!() + 1;
    let r = panic_at(line, || _ = lstm.run(&pass, x, Some((h0, h0))));
    assert_names_caller(
        r,
        "Lstm(input=3, hidden=4): initial state of shape [1, 1, 4], expected \
         [directions·layers, hidden] = [1, 4] for unbatched input [5, 3]",
    );

    // no layers at all
    let none = RecurrentConfig::new().layers(0);
    let line = line!() + 1;
    let r = panic_at(line, || drop(Rnn::<f32>::with_config(3, 4, none, rng)));
    assert_names_caller(r, "Rnn: needs at least one layer, got 0");
    let bad = RecurrentConfig::new().layers(2).dropout(1.5, 0);
    let line = line!() + 1;
    let r = panic_at(line, || drop(Gru::<f32>::with_config(3, 4, bad, rng)));
    assert_names_caller(r, "Dropout: probability 1.5 is not in [0, 1]");
}

#[test]
fn cells_refuse_bad_input_naming_cell_shapes_and_line() {
    let rng = &mut StdRng::seed_from_u64(0);
    let cell = GruCell::<f64>::new(3, 4, rng);
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let (x, h) = (
        pass.input(Tensor::zeros(&[2, 5])),
        pass.input(Tensor::zeros(&[2, 4])),
    );
    let line = line!() + 1;
    let r = panic_at(line, || _ = cell.step(&pass, x, h));
    assert_names_caller(
        r,
        "GruCell(input=3, hidden=4): input of shape [2, 5], expected [batch, 3]",
    );
    let x = pass.input(Tensor::zeros(&[2, 3]));
    let h = pass.input(Tensor::zeros(&[3, 4]));
    let line = line!() + 1;
    let r = panic_at(line, || _ = cell.step(&pass, x, h));
    assert_names_caller(
        r,
        "GruCell(input=3, hidden=4): state of shape [3, 4] for input [2, 3], expected [2, 4]",
    );
    // the functional form with mismatched weights
    let w = CellVars {
        weight_ih: tape.leaf(Tensor::zeros(&[8, 3])),
        weight_hh: tape.leaf(Tensor::zeros(&[8, 4])),
        bias_ih: None,
        bias_hh: None,
    };
    let h = pass.input(Tensor::zeros(&[2, 4]));
    let line = line!() + 1;
    let r = panic_at(line, || _ = gru_step(x, h, &w));
    assert_names_caller(
        r,
        "gru_step: weights of shapes [8, 3] (ih) and [8, 4] (hh) are not [3·hidden, input]",
    );
    let line = line!() + 1;
    let r = panic_at(line, || _ = lstm_step(x, (h, h), &w));
    assert_names_caller(
        r,
        "lstm_step: weights of shapes [8, 3] (ih) and [8, 4] (hh)",
    );
}
