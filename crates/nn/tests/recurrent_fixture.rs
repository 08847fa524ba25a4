//! PyTorch's `nn.RNN`, `nn.GRU` and `nn.LSTM` state_dicts load into `Rnn`, `Gru` and
//! `Lstm` by name and give PyTorch's outputs, final states and parameter gradients to f32
//! rounding. The fixtures (a few KB each) and the script that made them are in
//! `tests/fixtures/` (`make_rnn_fixture.py`: 2 layers each; the RNN and GRU batch-first,
//! the GRU and LSTM bidirectional; initial states given).

use rand::{rngs::StdRng, SeedableRng};
use tapegrad_core::{Tape, Tensor, Var};
use tapegrad_nn::recurrent::{Gru, Lstm, RecurrentConfig, Rnn};
use tapegrad_nn::{Module, Param, Params, Pass};

const BATCH: usize = 2;
const SEQ: usize = 5;
const INPUT: usize = 3;
const HIDDEN: usize = 4;

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/rnn_fixture_{name}.safetensors",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Placeholders for the file's non-parameter tensors, so that one strict load (every name
/// in the file used, every shape checked) reads the weights and the expected values.
struct Expected {
    all: Params<f32>,
    named: Vec<(String, Param<f32>)>,
}

impl Expected {
    fn new(model: &Params<f32>, config: RecurrentConfig, lstm: bool) -> Self {
        let rows = config.layers * config.directions();
        let (x, out) = if config.batch_first {
            (
                [BATCH, SEQ, INPUT],
                [BATCH, SEQ, config.directions() * HIDDEN],
            )
        } else {
            (
                [SEQ, BATCH, INPUT],
                [SEQ, BATCH, config.directions() * HIDDEN],
            )
        };
        let state = [rows, BATCH, HIDDEN];
        let mut shapes: Vec<(String, Vec<usize>)> = vec![
            ("input".into(), x.to_vec()),
            ("h0".into(), state.to_vec()),
            ("output".into(), out.to_vec()),
            ("h_n".into(), state.to_vec()),
        ];
        if lstm {
            shapes.push(("c0".into(), state.to_vec()));
            shapes.push(("c_n".into(), state.to_vec()));
        }
        for (name, p) in model.iter() {
            shapes.push((format!("grad.{name}"), p.shape()));
        }
        let mut all = model.clone();
        let mut named = Vec::new();
        for (name, shape) in shapes {
            let p = Param::new(Tensor::zeros(&shape));
            all.insert(name.clone(), &p);
            named.push((name, p));
        }
        Expected { all, named }
    }

    fn get(&self, name: &str) -> Tensor<f32> {
        self.named
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p.value())
            .unwrap_or_else(|| panic!("no `{name}` in the fixture"))
    }
}

#[track_caller]
fn assert_close(what: &str, ours: &Tensor<f32>, torch: &Tensor<f32>) {
    assert_eq!(ours.shape(), torch.shape(), "{what}");
    let worst = ours
        .as_slice()
        .iter()
        .zip(torch.as_slice())
        .map(|(a, b)| (a - b).abs() / (1.0 + b.abs()))
        .fold(0.0f32, f32::max);
    // f32 rounding: a few ulps of values around 1 accumulated over 5 steps and 2 layers
    assert!(worst < 2e-6, "{what}: worst relative difference {worst:e}");
    // and not trivially: the values are not all zero
    assert!(torch.as_slice().iter().any(|v| v.abs() > 1e-3), "{what}");
}

/// Loads the fixture, runs our layer through `run` and compares outputs, states and the
/// gradients of `output.sum() + (h_n²).sum()`.
fn check<F>(name: &str, model: &Params<f32>, config: RecurrentConfig, lstm: bool, run: F)
where
    F: for<'t> Fn(
        &Pass<'t, f32>,
        Var<'t, f32>,
        Var<'t, f32>,
        Var<'t, f32>,
    ) -> (Var<'t, f32>, Var<'t, f32>, Option<Var<'t, f32>>),
{
    let expected = Expected::new(model, config, lstm);
    expected.all.load_safetensors(fixture(name)).unwrap();
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let x = pass.input(expected.get("input"));
    let h0 = pass.input(expected.get("h0"));
    let c0 = pass.input(if lstm {
        expected.get("c0")
    } else {
        expected.get("h0")
    });
    let (out, h_n, c_n) = run(&pass, x, h0, c0);
    assert_close(
        &format!("{name} output"),
        &out.value(),
        &expected.get("output"),
    );
    assert_close(&format!("{name} h_n"), &h_n.value(), &expected.get("h_n"));
    if let Some(c_n) = c_n {
        assert_close(&format!("{name} c_n"), &c_n.value(), &expected.get("c_n"));
    }
    let grads = pass.backward(out.sum() + (h_n * h_n).sum());
    for (pname, p) in model.iter() {
        let want = expected.get(&format!("grad.{pname}"));
        assert_close(&format!("{name} grad of {pname}"), &grads.wrt(p), &want);
    }
}

#[test]
fn pytorch_rnn_state_dict_gives_pytorchs_outputs_and_gradients() {
    let config = RecurrentConfig::new().layers(2).batch_first(true);
    let rnn = Rnn::<f32>::with_config(INPUT, HIDDEN, config, &mut StdRng::seed_from_u64(0));
    check("rnn", &rnn.parameters(), config, false, |pass, x, h0, _| {
        let (out, h_n) = rnn.run(pass, x, Some(h0));
        (out, h_n, None)
    });
}

#[test]
fn pytorch_gru_state_dict_gives_pytorchs_outputs_and_gradients() {
    let config = RecurrentConfig::new()
        .layers(2)
        .batch_first(true)
        .bidirectional(true);
    let gru = Gru::<f32>::with_config(INPUT, HIDDEN, config, &mut StdRng::seed_from_u64(0));
    check("gru", &gru.parameters(), config, false, |pass, x, h0, _| {
        let (out, h_n) = gru.run(pass, x, Some(h0));
        (out, h_n, None)
    });
}

#[test]
fn pytorch_lstm_state_dict_gives_pytorchs_outputs_and_gradients() {
    let config = RecurrentConfig::new().layers(2).bidirectional(true);
    let lstm = Lstm::<f32>::with_config(INPUT, HIDDEN, config, &mut StdRng::seed_from_u64(0));
    check(
        "lstm",
        &lstm.parameters(),
        config,
        true,
        |pass, x, h0, c0| {
            let (out, (h_n, c_n)) = lstm.run(pass, x, Some((h0, c0)));
            (out, h_n, Some(c_n))
        },
    );
}
