//! End-to-end: parameter gradients of whole models against finite differences, training
//! small problems to a known answer, and weights surviving a safetensors round trip.

use rand::rngs::StdRng;
use rand::SeedableRng;
use tapegrad_core::{Tape, Tensor};
use tapegrad_nn::data::Dataset;
use tapegrad_nn::loss::{bce_with_logits, cross_entropy, huber_loss, Reduction};
use tapegrad_nn::metrics::accuracy;
use tapegrad_nn::optim::{Adam, Optimizer, Sgd};
use tapegrad_nn::train::{Progress, Trainer};
use tapegrad_nn::{Gelu, Linear, Mlp, Module, Param, Params, Pass, Tanh};

/// The loss of `model` on fixed data, as a plain number (a fresh pass each call).
fn loss_value(model: &impl Module<f64>, x: &Tensor<f64>, classes: &[usize]) -> f64 {
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    cross_entropy(
        model.forward(&pass, pass.input(x.clone())),
        classes,
        Reduction::Mean,
    )
    .item()
}

#[test]
fn mlp_parameter_gradients_match_central_differences() {
    let model = Mlp::new(&[3, 4, 3])
        .activation(Gelu)
        .build::<f64, _>(&mut StdRng::seed_from_u64(11));
    let x = Tensor::rand_normal(&[5, 3], 0.0, 1.0, 12);
    let classes = [0, 2, 1, 2, 0];
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let loss = cross_entropy(
        model.forward(&pass, pass.input(x.clone())),
        &classes,
        Reduction::Mean,
    );
    let grads = pass.backward(loss);
    let params = model.parameters();
    assert_eq!(grads.len(), params.len());
    let eps = 1e-6;
    for (name, p) in params.iter() {
        let analytic = grads.wrt(p);
        for e in 0..p.numel() {
            let at = |delta: f64| {
                p.update(|v| v[e] += delta);
                let l = loss_value(&model, &x, &classes);
                p.update(|v| v[e] -= delta);
                l
            };
            let numeric = (at(eps) - at(-eps)) / (2.0 * eps);
            let got = analytic.as_slice()[e];
            assert!(
                (got - numeric).abs() <= 1e-7 + 1e-5 * numeric.abs(),
                "{name}[{e}]: tape {got}, finite differences {numeric}"
            );
        }
    }
}

#[test]
fn xor_is_learned_by_a_tanh_mlp_with_nesterov_sgd() {
    let x = Tensor::from_vec(vec![0., 0., 0., 1., 1., 0., 1., 1.], &[4, 2]);
    let y = Tensor::from_vec(vec![0., 1., 1., 0.], &[4, 1]);
    let model = Mlp::new(&[2, 8, 1])
        .activation(Tanh)
        .build::<f64, _>(&mut StdRng::seed_from_u64(3));
    let history = Trainer::new(300).batch_size(4).progress(Progress::Off).fit(
        &model.parameters(),
        &mut Sgd::new(0.1).momentum(0.9).nesterov(true),
        &Dataset::new(x.clone(), y),
        |pass, x, y| bce_with_logits(model.forward(pass, x), y, Reduction::Mean),
    );
    assert!(history.last_loss() < 0.05, "loss {}", history.last_loss());
    let logits = model.predict(&x);
    let predicted: Vec<bool> = logits.as_slice().iter().map(|&z| z > 0.0).collect();
    assert_eq!(predicted, [false, true, true, false]);
}

#[test]
fn tied_weights_get_the_sum_of_both_uses_and_train_together() {
    // an autoencoder x → W x → Wᵀ(W x) sharing one weight: y = x Wᵀ W, built with closures
    let w = Param::new(Tensor::rand_normal(&[2, 3], 0.0, 0.5, 1));
    let enc = Linear {
        weight: w.clone(),
        bias: None,
    };
    let params = Params::new().with("encoder.weight", &w);
    let x = Tensor::rand_normal(&[8, 3], 0.0, 1.0, 2);
    let tape = Tape::new();
    let pass = Pass::train(&tape);
    let h = enc.forward(&pass, pass.input(x.clone()));
    let y = h.matmul(pass.bind(&w)); // the same node as inside `enc`
    assert_eq!(pass.bound_len(), 1);
    let loss = (y - pass.input(x.clone())).powi(2).mean();
    let g = pass.backward(loss);
    // the same loss with W as a plain leaf used twice
    let tape2 = Tape::new();
    let wl = tape2.leaf(w.value());
    let xc = tape2.constant(x);
    let y2 = xc.matmul(wl.t()).matmul(wl);
    let want = (y2 - xc).powi(2).mean().backward().wrt(wl);
    assert!(g.wrt(&w).approx_eq(&want, 1e-14, 1e-12));
    let before = w.value();
    Adam::new(0.01).step(&params, &g);
    assert_ne!(w.value(), before);
}

#[test]
fn a_reloaded_model_predicts_exactly_the_same() {
    let x = Tensor::<f32>::rand_normal(&[6, 4], 0.0, 1.0, 5);
    let trained = Mlp::new(&[4, 5, 3]).build::<f32, _>(&mut StdRng::seed_from_u64(1));
    let bytes = trained.parameters().to_safetensors().unwrap();
    let other = Mlp::new(&[4, 5, 3]).build::<f32, _>(&mut StdRng::seed_from_u64(2));
    assert_ne!(other.predict(&x), trained.predict(&x));
    other.parameters().load_safetensors_bytes(&bytes).unwrap();
    assert_eq!(other.predict(&x), trained.predict(&x));
    // and an f64 model reads the f32 file, values converted exactly
    let wide = Mlp::new(&[4, 5, 3]).build::<f64, _>(&mut StdRng::seed_from_u64(3));
    wide.parameters().load_safetensors_bytes(&bytes).unwrap();
    let a = wide.parameters().get("0.weight").unwrap().value();
    let b = trained
        .parameters()
        .get("0.weight")
        .unwrap()
        .value()
        .cast::<f64>();
    assert_eq!(a, b);
}

#[test]
fn huber_regression_ignores_an_outlier_that_pulls_least_squares() {
    // y = 3x with one wild point; Huber's slope stays near 3
    let xs: Vec<f64> = (0..20).map(|i| i as f64 / 10.0 - 1.0).collect();
    let mut ys: Vec<f64> = xs.iter().map(|x| 3.0 * x).collect();
    ys[19] += 30.0;
    let data = Dataset::new(
        Tensor::from_vec(xs, &[20, 1]),
        Tensor::from_vec(ys, &[20, 1]),
    );
    let model = Linear::<f64>::new(1, 1, &mut StdRng::seed_from_u64(0));
    Trainer::new(400)
        .batch_size(20)
        .progress(Progress::Off)
        .fit(
            &model.parameters(),
            &mut Adam::new(0.05),
            &data,
            |pass, x, y| huber_loss(model.forward(pass, x), y, 1.0, Reduction::Mean),
        );
    let slope = model.weight.value().item();
    assert!((slope - 3.0).abs() < 0.3, "slope {slope}");
    // least squares is pulled far off: slope = Σ(x - x̄)(y - ȳ) / Σ(x - x̄)²
    let (x, y) = (data.x().as_slice(), data.y().as_slice());
    let (mx, my) = (x.iter().sum::<f64>() / 20.0, y.iter().sum::<f64>() / 20.0);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    assert!(sxy / sxx > 6.0, "least-squares slope {}", sxy / sxx);
}

#[test]
fn accuracy_of_a_perfect_linear_classifier() {
    // class = which coordinate is largest: W = I classifies perfectly
    let model = Linear::from_tensors(
        Tensor::from_vec(vec![1., 0., 0., 0., 1., 0., 0., 0., 1.], &[3, 3]),
        None,
    );
    let x = Tensor::<f64>::rand_normal(&[50, 3], 0.0, 1.0, 9);
    let labels = tapegrad_nn::metrics::argmax_rows(&x);
    assert_eq!(accuracy(&model.predict(&x), &labels), 1.0);
}

#[test]
fn a_planned_trainer_trains_as_the_eager_one() {
    // a ReLU MLP with Adam, clipping and a short last batch (a second plan): the same
    // losses and parameters as eager steps, to rounding
    let x = Tensor::<f64>::rand_normal(&[50, 3], 0.0, 1.0, 21);
    let y = Tensor::from_fn(&[50, 2], |i| {
        let (r, c) = (i / 2, i % 2);
        (x.at(&[r, 0]) * (c as f64 + 1.0)).sin() + x.at(&[r, 1]) * x.at(&[r, 2])
    });
    let data = Dataset::new(x, y);
    let train = |planned: bool| {
        let model = Mlp::new(&[3, 8, 8, 2]).build::<f64, _>(&mut StdRng::seed_from_u64(5));
        let history = Trainer::new(6)
            .batch_size(16)
            .clip_grad_norm(2.0)
            .progress(Progress::Off)
            .plan(planned)
            .fit(
                &model.parameters(),
                &mut Adam::new(0.01),
                &data,
                |pass, x, y| {
                    let d = model.forward(pass, x) - y;
                    (d * d).mean()
                },
            );
        (history.losses(), model.parameters().snapshot())
    };
    let (eager_losses, eager_params) = train(false);
    let (plan_losses, plan_params) = train(true);
    let close = |a: f64, b: f64, scale: f64| (a - b).abs() <= 1e-12 * scale.max(b.abs());
    for (a, b) in plan_losses.iter().zip(&eager_losses) {
        assert!(close(*a, *b, 0.0), "loss {a} planned, {b} eager");
    }
    for ((name, a), (_, b)) in plan_params.iter().zip(&eager_params) {
        let scale = b.as_slice().iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (p, q) in a.as_slice().iter().zip(b.as_slice()) {
            assert!(close(*p, *q, scale), "{name}: {p} planned, {q} eager");
        }
    }
    assert!(plan_losses[5] < plan_losses[0]);
}
