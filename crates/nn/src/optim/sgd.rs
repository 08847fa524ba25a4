//! `Sgd`: stochastic gradient descent with momentum, dampening, Nesterov and L2 weight
//! decay, as `torch.optim.SGD`.

use super::Optimizer;
use crate::{ParamGrads, ParamId, Params};
use std::collections::HashMap;
use tapegrad_core::Float;

/// Stochastic gradient descent, PyTorch's rule. With `g` the gradient, `λ` the weight
/// decay, `μ` the momentum, `τ` the dampening:
///
/// ```text
/// g ← g + λ·θ
/// b ← g                      (first step)
/// b ← μ·b + (1 - τ)·g        (later steps)
/// g ← g + μ·b  (Nesterov)    or    g ← b
/// θ ← θ - lr·g
/// ```
///
/// ```
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::{optim::{Optimizer, Sgd}, ParamGrads, Param, Params};
/// let p = Param::new(Tensor::<f64>::scalar(1.0));
/// let params = Params::new().with("p", &p);
/// let mut g = ParamGrads::new();
/// g.insert(&p, Tensor::scalar(2.0));
/// let mut opt = Sgd::new(0.1).momentum(0.5);
/// opt.step(&params, &g); // b = 2,           θ = 1 - 0.2
/// opt.step(&params, &g); // b = 0.5·2 + 2,   θ = 0.8 - 0.3
/// assert!((p.value().item() - 0.5).abs() < 1e-15);
/// ```
pub struct Sgd<T: Float> {
    lr: f64,
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    weight_decay: f64,
    buffers: HashMap<ParamId, Vec<T>>,
}

impl<T: Float> Sgd<T> {
    /// Plain gradient descent with learning rate `lr` (no momentum, no decay).
    pub fn new(lr: f64) -> Self {
        Sgd {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
            buffers: HashMap::new(),
        }
    }

    /// Momentum factor `μ` (default 0).
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// Dampening `τ` of the momentum (default 0).
    pub fn dampening(mut self, dampening: f64) -> Self {
        self.dampening = dampening;
        self
    }

    /// Nesterov momentum; needs momentum > 0 and zero dampening, as in PyTorch.
    #[track_caller]
    pub fn nesterov(mut self, on: bool) -> Self {
        self.nesterov = on;
        self.check();
        self
    }

    /// L2 weight decay `λ` added to the gradient (default 0).
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    #[track_caller]
    fn check(&self) {
        assert!(
            !self.nesterov || (self.momentum > 0.0 && self.dampening == 0.0),
            "Sgd: Nesterov momentum requires a momentum > 0 and zero dampening"
        );
    }
}

impl<T: Float> Optimizer<T> for Sgd<T> {
    #[track_caller]
    fn step(&mut self, params: &Params<T>, grads: &ParamGrads<T>) {
        self.check();
        let f = T::from_f64;
        let (lr, mu, damp, wd) = (
            f(self.lr),
            f(self.momentum),
            f(1.0 - self.dampening),
            f(self.weight_decay),
        );
        for p in params.params() {
            let Some(g) = grads.get(p) else { continue };
            let g = g.as_slice();
            let mut buf = if self.momentum != 0.0 {
                self.buffers.get_mut(&p.id())
            } else {
                None
            };
            let first = buf.is_none();
            let mut fresh = Vec::new();
            p.update(|theta| {
                for (i, (w, &gi)) in theta.iter_mut().zip(g).enumerate() {
                    let mut d = gi + wd * *w;
                    if self.momentum != 0.0 {
                        let b = match buf.as_deref_mut() {
                            Some(b) => {
                                b[i] = mu * b[i] + damp * d;
                                b[i]
                            }
                            None => {
                                fresh.push(d);
                                d
                            }
                        };
                        d = if self.nesterov { d + mu * b } else { b };
                    }
                    *w -= lr * d;
                }
            });
            if self.momentum != 0.0 && first {
                self.buffers.insert(p.id(), fresh);
            }
        }
    }

    fn lr(&self) -> f64 {
        self.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Param;
    use tapegrad_core::Tensor;

    fn setup(theta: f64, grad: f64) -> (Param<f64>, Params<f64>, ParamGrads<f64>) {
        let p = Param::new(Tensor::scalar(theta));
        let params = Params::new().with("p", &p);
        let mut g = ParamGrads::new();
        g.insert(&p, Tensor::scalar(grad));
        (p, params, g)
    }

    #[test]
    fn sgd_plain_step_matches_hand_arithmetic() {
        let (p, params, g) = setup(1.0, 2.0);
        Sgd::new(0.25).step(&params, &g);
        assert_eq!(p.value().item(), 0.5); // 1 - 0.25·2
    }

    #[test]
    fn sgd_weight_decay_adds_lambda_theta() {
        let (p, params, g) = setup(2.0, 1.0);
        Sgd::new(0.5).weight_decay(0.5).step(&params, &g);
        assert_eq!(p.value().item(), 1.0); // 2 - 0.5·(1 + 0.5·2)
    }

    #[test]
    fn sgd_nesterov_and_dampening_match_hand_arithmetic() {
        let (p, params, g) = setup(1.0, 1.0);
        let mut opt = Sgd::new(0.1).momentum(0.9).nesterov(true);
        opt.step(&params, &g); // b = 1, d = 1 + 0.9·1 = 1.9, θ = 1 - 0.19
        assert!((p.value().item() - 0.81).abs() < 1e-15);
        opt.step(&params, &g); // b = 0.9 + 1 = 1.9, d = 1 + 1.71 = 2.71, θ = 0.81 - 0.271
        assert!((p.value().item() - 0.539).abs() < 1e-15);

        let (p, params, g) = setup(0.0, 1.0);
        let mut opt = Sgd::new(1.0).momentum(0.5).dampening(0.5);
        opt.step(&params, &g); // first step: b = g = 1 (no dampening), θ = -1
        opt.step(&params, &g); // b = 0.5·1 + 0.5·1 = 1, θ = -2
        assert_eq!(p.value().item(), -2.0);
    }

    #[test]
    fn sgd_skips_parameters_without_gradient() {
        let (p, params, _) = setup(1.0, 0.0);
        Sgd::new(0.1)
            .momentum(0.9)
            .step(&params, &ParamGrads::new());
        assert_eq!(p.value().item(), 1.0);
    }

    #[test]
    #[should_panic(expected = "Nesterov momentum requires a momentum > 0")]
    fn sgd_rejects_nesterov_without_momentum() {
        let _ = Sgd::<f64>::new(0.1).nesterov(true);
    }
}
