//! A convolutional network trained from outside, as `examples/digits_cnn.rs` builds it
//! (convolution, max pool, batch norm, ReLU, flatten, linear), on a task it must learn:
//! horizontal against vertical bars anywhere in an 8×8 image.

use tapegrad::nn::loss::cross_entropy;
use tapegrad::nn::metrics::accuracy;
use tapegrad::nn::Relu;
use tapegrad::prelude::*;
use tapegrad::rand::{rngs::StdRng, RngExt, SeedableRng};

/// `n` noisy `[1, 8, 8]` images, each a bar of three pixels at a random place: class 0
/// horizontal, class 1 vertical.
fn bars(n: usize, seed: u64) -> (Tensor<f64>, Vec<usize>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut x = Tensor::rand_normal(&[n, 1, 8, 8], 0.0, 0.1, seed).into_vec();
    let mut classes = Vec::with_capacity(n);
    for (i, image) in x.chunks_mut(64).enumerate() {
        let class = i % 2;
        let (r, c) = (rng.random_range(0..6), rng.random_range(0..6));
        for k in 0..3 {
            let (pr, pc) = if class == 0 { (r, c + k) } else { (r + k, c) };
            image[8 * pr + pc] += 1.0;
        }
        classes.push(class);
    }
    (Tensor::from_vec(x, &[n, 1, 8, 8]), classes)
}

#[test]
fn cnn_learns_bar_orientation_and_evaluates_on_running_statistics() {
    let rng = &mut StdRng::seed_from_u64(0);
    let same = ConvOptions::default().padding(Padding::Same);
    let model = Sequential::new()
        .push(Conv2d::<f64>::new(1, 4, 3, same, rng))
        .push(MaxPool2d::new(2))
        .push(BatchNorm2d::new(4))
        .push(Relu)
        .push(Flatten::new())
        .push(Linear::new(64, 2, rng));
    let params = model.parameters();
    let (x, classes) = bars(64, 1);
    let mut opt = Adam::new(0.05);
    let mut losses = Vec::new();
    for _ in 0..40 {
        let tape = Tape::new();
        let pass = Pass::train(&tape);
        let loss = cross_entropy(
            model.forward(&pass, pass.input(x.clone())),
            &classes,
            Reduction::Mean,
        );
        losses.push(loss.item());
        opt.step(&params, &pass.backward(loss));
    }
    assert!(
        losses[39] < 0.1 * losses[0],
        "loss {} → {}",
        losses[0],
        losses[39]
    );
    // unseen bars, in evaluation mode: the batch norms use their running statistics
    let (test_x, test_classes) = bars(64, 2);
    let acc = accuracy(&model.predict(&test_x), &test_classes);
    assert!(acc >= 0.9, "test accuracy {acc}");
}
