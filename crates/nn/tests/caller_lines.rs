//! Every nn family's refusals name the line of the user's call, never a line inside the
//! library: panics carry `(at file:line:column)` in their message, errors in their
//! `location` and `Display`.

use rand::{rngs::StdRng, SeedableRng};
use std::panic::{catch_unwind, AssertUnwindSafe};
use tapegrad_core::{Float, Tape, Tensor};
use tapegrad_nn::data::{read_csv, Dataset, Standardizer, Table};
use tapegrad_nn::loss::{cross_entropy, mse_loss, Reduction};
use tapegrad_nn::metrics::argmax_rows;
use tapegrad_nn::{Linear, Mlp, Module, Param, Params, Pass};

/// The panic message of `f`, and the `(at this_file:line:` it must contain.
fn panic_at(line: u32, f: impl FnOnce()) -> (String, String) {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("no panic");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    (message, format!("(at {}:{line}:", file!()))
}

fn assert_names_caller((message, at): (String, String), starts: &str) {
    assert!(message.starts_with(starts), "{message}");
    assert!(message.contains(&at), "wanted {at} in: {message}");
}

fn layers<T: Float>() {
    let mut rng = StdRng::seed_from_u64(0);
    let layer = Linear::<T>::new(3, 2, &mut rng);
    let mlp = Mlp::new(&[3, 4, 1]).build::<T, _>(&mut rng);
    let tape = Tape::new();
    let pass = Pass::eval(&tape);
    let x = pass.input(Tensor::zeros(&[5, 4]));
    let line = line!() + 1;
    let r = panic_at(line, || _ = layer.forward(&pass, x));
    assert_names_caller(
        r,
        "Linear(in=3, out=2): input of shape [5, 4] does not end in 3",
    );
    // through Sequential and `dyn Module`
    let line = line!() + 1;
    let r = panic_at(line, || _ = mlp.forward(&pass, x));
    assert_names_caller(r, "Linear(in=3, out=4): input of shape [5, 4]");
    // through `predict`, which evaluates without recording
    let line = line!() + 1;
    let r = panic_at(line, || _ = mlp.predict(&Tensor::zeros(&[5, 4])));
    assert_names_caller(r, "Linear(in=3, out=4): input of shape [5, 4]");
    let line = line!() + 1;
    let r = panic_at(line, || drop(Mlp::new(&[3])));
    assert_names_caller(r, "Mlp: needs at least an input and an output width");
}

#[test]
fn layer_panics_name_the_callers_line_f32() {
    layers::<f32>();
}

#[test]
fn layer_panics_name_the_callers_line_f64() {
    layers::<f64>();
}

fn losses<T: Float>() {
    let tape = Tape::<T>::new();
    let (p, y) = (
        tape.leaf(Tensor::zeros(&[4])),
        tape.constant(Tensor::zeros(&[4, 1])),
    );
    let line = line!() + 1;
    let r = panic_at(line, || _ = mse_loss(p, y, Reduction::Mean));
    assert_names_caller(
        r,
        "mse_loss: prediction of shape [4] and target of shape [4, 1] differ",
    );
    let z = tape.leaf(Tensor::zeros(&[2, 3]));
    let line = line!() + 1;
    let r = panic_at(line, || _ = cross_entropy(z, &[0, 5], Reduction::Sum));
    assert_names_caller(
        r,
        "cross_entropy: class 5 of row 1 is out of range for 3 classes",
    );
}

#[test]
fn loss_panics_name_the_callers_line_f32() {
    losses::<f32>();
}

#[test]
fn loss_panics_name_the_callers_line_f64() {
    losses::<f64>();
}

fn data<T: Float>() {
    let d = Dataset::new(Tensor::<T>::zeros(&[3, 2]), Tensor::zeros(&[3]));
    let line = line!() + 1;
    let r = panic_at(line, || drop(d.select(&[0, 3])));
    assert_names_caller(r, "Dataset::select: index 3 (position 1) is out of range");
    let (x, y) = (Tensor::<T>::zeros(&[3, 2]), Tensor::zeros(&[2]));
    let line = line!() + 1;
    let r = panic_at(line, || drop(Dataset::new(x, y)));
    assert_names_caller(r, "Dataset::new: inputs [3, 2] and targets [2]");
    let line = line!() + 1;
    let r = panic_at(line, || drop(d.stratified_split(1.5, 0)));
    assert_names_caller(
        r,
        "Dataset::stratified_split: test fraction 1.5 is not in [0, 1]",
    );
    let s = Standardizer::fit(d.x());
    let line = line!() + 1;
    let r = panic_at(line, || drop(s.transform(&Tensor::zeros(&[3, 5]))));
    assert_names_caller(r, "Standardizer::transform: data of shape [3, 5]");
    let line = line!() + 1;
    let r = panic_at(line, || drop(argmax_rows(&Tensor::<T>::zeros(&[2, 0]))));
    assert_names_caller(r, "argmax_rows: needs [n, c] scores with c > 0 columns");
    let line = line!() + 1;
    let e = Table::<T>::parse("a,a\n1,2\n", "t.csv").unwrap_err();
    assert!(e
        .to_string()
        .ends_with(&format!("(at {}:{line}:{})", file!(), e.location.column())));
    let (e, line) = (read_csv::<T>("/nonexistent/x.csv").unwrap_err(), line!());
    assert_eq!((e.location.file(), e.location.line()), (file!(), line));
}

#[test]
fn data_refusals_name_the_callers_line_f32() {
    data::<f32>();
}

#[test]
fn data_refusals_name_the_callers_line_f64() {
    data::<f64>();
}

fn weights<T: Float>() {
    let ps = Params::new().with("w", &Param::new(Tensor::<T>::zeros(&[2])));
    let (e, line) = (ps.load_safetensors_bytes(b"\x01").unwrap_err(), line!());
    assert_eq!((e.location.file(), e.location.line()), (file!(), line));
    let path = "/nonexistent/w.safetensors";
    let line = line!() + 1;
    let e = ps.load_safetensors(path).unwrap_err();
    assert!(
        e.to_string().starts_with("/nonexistent/w.safetensors: "),
        "{e}"
    );
    assert!(e
        .to_string()
        .ends_with(&format!("(at {}:{line}:{})", file!(), e.location.column())));
}

#[test]
fn weights_errors_name_the_callers_line_f32() {
    weights::<f32>();
}

#[test]
fn weights_errors_name_the_callers_line_f64() {
    weights::<f64>();
}
