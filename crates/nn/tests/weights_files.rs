//! Safetensors files on disk: every load and save error names the file.

use std::path::PathBuf;
use tapegrad_core::{Float, Tensor};
use tapegrad_nn::{Param, Params, WeightsProblem};

/// A file name of its own under the temp directory for each test and element type.
fn temp_file(test: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "tapegrad-nn-{test}-{}.safetensors",
        std::process::id()
    ))
}

fn model<T: Float>() -> Params<T> {
    Params::new()
        .with("w", &Param::new(Tensor::<T>::ones(&[4, 3])))
        .with("b", &Param::new(Tensor::<T>::ones(&[4])))
}

/// Saves the model, rewrites the file with `damage`, and returns the load error's text.
fn load_damaged<T: Float>(test: &str, damage: impl Fn(&mut Vec<u8>)) -> (String, String) {
    let path = temp_file(&format!("{test}-{}", T::NAME));
    model::<T>().save_safetensors(&path).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    damage(&mut bytes);
    std::fs::write(&path, &bytes).unwrap();
    let e = model::<T>().load_safetensors(&path).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(e.problem, WeightsProblem::Format(_)), "{e}");
    (e.to_string(), path.display().to_string())
}

fn damaged_files_are_named<T: Float>() {
    // truncated in the data
    let (e, path) = load_damaged::<T>("truncated", |b| b.truncate(b.len() - 3));
    assert!(
        e.starts_with(&format!("{path}: not a valid safetensors file: ")),
        "{e}"
    );
    // a header length beyond the end of the file
    let (e, path) = load_damaged::<T>("overclaim", |b| {
        let n = u64::from_le_bytes(b[..8].try_into().unwrap()) + 1000;
        b[..8].copy_from_slice(&n.to_le_bytes());
    });
    assert!(
        e.starts_with(&format!("{path}: not a valid safetensors file: ")),
        "{e}"
    );
    // cut inside the 8-byte length
    let (e, path) = load_damaged::<T>("stub", |b| b.truncate(5));
    assert!(e.starts_with(&format!("{path}: not a valid safetensors file")));
}

#[test]
fn damaged_file_errors_name_the_file_f32() {
    damaged_files_are_named::<f32>();
}

#[test]
fn damaged_file_errors_name_the_file_f64() {
    damaged_files_are_named::<f64>();
}

#[test]
fn mismatch_and_io_errors_name_the_file_and_the_caller() {
    let path = temp_file("mismatch");
    model::<f64>().save_safetensors(&path).unwrap();
    let wrong = Params::new().with("w", &Param::new(Tensor::<f32>::zeros(&[3, 4])));
    let (e, line) = (wrong.load_safetensors(&path).unwrap_err(), line!());
    std::fs::remove_file(&path).unwrap();
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "{}: the file does not match the parameters: unexpected [\"b\"]; `w`: the parameter has shape [3, 4], the file has [4, 3] (at {}:{line}:",
            path.display(),
            file!()
        )),
        "{text}"
    );
    let missing = std::env::temp_dir().join("tapegrad-no-such-dir/x.safetensors");
    let e = model::<f32>().save_safetensors(&missing).unwrap_err();
    assert!(matches!(e.problem, WeightsProblem::Io(_)));
    assert!(e
        .to_string()
        .starts_with(&format!("{}: ", missing.display())));
    let e = model::<f32>().load_safetensors(&missing).unwrap_err();
    assert!(e
        .to_string()
        .starts_with(&format!("{}: ", missing.display())));
}
