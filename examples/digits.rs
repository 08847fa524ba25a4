//! Handwritten digits (Alpaydin & Kaynak, UCI): 1,797 8×8 images in 10 classes. An MLP
//! trained with Adam on cross-entropy, in f32, on a seeded stratified 80/20 split. Prints
//! the test accuracy, saves the weights as safetensors, loads them into a freshly
//! initialised network and checks that it scores the same.
//!
//! ```text
//! cargo run --release --example digits [-- WEIGHTS.safetensors]
//! ```
//! Without an argument the weights go to `target/examples/digits.safetensors`.
//! Exits with an error if the test accuracy is below 97%.

use std::path::PathBuf;
use std::time::Instant;
use tapegrad::nn::data::{read_csv, Dataset, Standardizer};
use tapegrad::nn::loss::cross_entropy;
use tapegrad::nn::metrics::{accuracy, labels};
use tapegrad::nn::optim::Cosine;
use tapegrad::nn::train::Trainer;
use tapegrad::nn::Mlp;
use tapegrad::prelude::*;
use tapegrad::rand::{rngs::StdRng, SeedableRng};

const SEED: u64 = 0;
const EPOCHS: usize = 40;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let weights = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| default_output("digits.safetensors"));

    let data = read_csv::<f32>(concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv"))?
        .dataset("label")?;
    let (train, test) = data.stratified_split(0.2, SEED);
    println!(
        "digits: {} images of 8×8 pixels, 10 classes; seeded stratified 80/20 split: {} train, {} test",
        data.len(),
        train.len(),
        test.len()
    );

    // pixel statistics from the training images only
    let scale = Standardizer::fit(train.x());
    let train = Dataset::new(scale.transform(train.x()), train.y().clone());
    let test_x = scale.transform(test.x());
    let test_labels = labels(test.y());

    let architecture = [64, 128, 10];
    let mlp = Mlp::new(&architecture).build::<f32, _>(&mut StdRng::seed_from_u64(SEED));
    let params = mlp.parameters();
    println!(
        "model: MLP {architecture:?} with ReLU, {} parameters; Adam, batch 32, {EPOCHS} epochs, cosine learning rate",
        params.numel()
    );

    let started = Instant::now();
    let history = Trainer::new(EPOCHS)
        .batch_size(32)
        .seed(SEED)
        .schedule(Cosine {
            base: 2e-3,
            min: 0.0,
            t_max: EPOCHS,
        })
        .fit(&params, &mut Adam::new(2e-3), &train, |pass, x, y| {
            cross_entropy(mlp.forward(pass, x), &labels(&y.value()), Reduction::Mean)
        });
    let seconds = started.elapsed().as_secs_f64();

    let train_acc = accuracy(&mlp.predict(train.x()), &labels(train.y()));
    let test_acc = accuracy(&mlp.predict(&test_x), &test_labels);
    println!(
        "trained in {seconds:.1} s: final loss {:.4}, train accuracy {:.2}%, test accuracy {:.2}%",
        history.last_loss(),
        100.0 * train_acc,
        100.0 * test_acc
    );

    params.save_safetensors(&weights)?;
    println!(
        "saved {} tensors ({} bytes) to {}",
        params.len(),
        std::fs::metadata(&weights)?.len(),
        weights.display()
    );

    // a network of the same shape with different random weights, then the saved ones
    let fresh = Mlp::new(&architecture).build::<f32, _>(&mut StdRng::seed_from_u64(SEED + 1));
    let before = accuracy(&fresh.predict(&test_x), &test_labels);
    fresh.parameters().load_safetensors(&weights)?;
    let reloaded = accuracy(&fresh.predict(&test_x), &test_labels);
    println!(
        "reloaded into a fresh network: test accuracy {:.2}% (untrained: {:.2}%)",
        100.0 * reloaded,
        100.0 * before
    );

    if reloaded != test_acc {
        return Err("the reloaded network scores differently".into());
    }
    if test_acc < 0.97 {
        return Err(format!("test accuracy {:.2}% is below 97%", 100.0 * test_acc).into());
    }
    Ok(())
}

/// `target/examples/NAME` next to the workspace, created if needed: the examples never
/// write into the source tree by default.
fn default_output(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/examples");
    std::fs::create_dir_all(&dir).ok();
    dir.join(name)
}
