//! `Adam` and `AdamW` (Kingma & Ba 2015; Loshchilov & Hutter 2019), with PyTorch's
//! defaults and update rules: L2 decay through the gradient for Adam, decoupled decay of
//! the weights for AdamW.

use super::Optimizer;
use crate::{ParamGrads, ParamId, Params};
use std::collections::HashMap;
use tapegrad_core::Float;

/// First and second moments and the step count of one parameter.
struct Moments<T> {
    step: i32,
    m: Vec<T>,
    v: Vec<T>,
}

/// The hyper-parameters and state shared by Adam and AdamW.
struct Core<T: Float> {
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
    state: HashMap<ParamId, Moments<T>>,
}

impl<T: Float> Core<T> {
    fn new(lr: f64, weight_decay: f64) -> Self {
        Core {
            lr,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay,
            state: HashMap::new(),
        }
    }

    /// One step; `decoupled` selects AdamW's weight decay.
    fn step(&mut self, params: &Params<T>, grads: &ParamGrads<T>, decoupled: bool) {
        let f = T::from_f64;
        let (b1, b2) = self.betas;
        for p in params.params() {
            let Some(g) = grads.get(p) else { continue };
            let g = g.as_slice();
            let st = self.state.entry(p.id()).or_insert_with(|| Moments {
                step: 0,
                m: vec![T::ZERO; g.len()],
                v: vec![T::ZERO; g.len()],
            });
            st.step += 1;
            let step_size = f(self.lr / (1.0 - b1.powi(st.step)));
            let bc2_sqrt = f((1.0 - b2.powi(st.step)).sqrt());
            let (b1, b2, eps) = (f(b1), f(b2), f(self.eps));
            let (one, wd, lr) = (T::ONE, f(self.weight_decay), f(self.lr));
            p.update(|theta| {
                for (i, w) in theta.iter_mut().enumerate() {
                    let mut gi = g[i];
                    if decoupled {
                        *w *= one - lr * wd;
                    } else {
                        gi += wd * *w;
                    }
                    st.m[i] = b1 * st.m[i] + (one - b1) * gi;
                    st.v[i] = b2 * st.v[i] + (one - b2) * gi * gi;
                    let denom = st.v[i].sqrt() / bc2_sqrt + eps;
                    *w -= step_size * st.m[i] / denom;
                }
            });
        }
    }
}

/// Adam, PyTorch's rule (defaults `lr = 1e-3`, `betas = (0.9, 0.999)`, `eps = 1e-8`,
/// `weight_decay = 0`). At step `t` with gradient `g`:
///
/// ```text
/// g ← g + λ·θ
/// m ← β₁·m + (1 - β₁)·g          v ← β₂·v + (1 - β₂)·g²
/// θ ← θ - lr/(1 - β₁ᵗ) · m / (√v / √(1 - β₂ᵗ) + ε)
/// ```
///
/// ```
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::{optim::{Adam, Optimizer}, ParamGrads, Param, Params};
/// let p = Param::new(Tensor::<f64>::scalar(1.0));
/// let mut g = ParamGrads::new();
/// g.insert(&p, Tensor::scalar(0.5));
/// Adam::new(0.1).step(&Params::new().with("p", &p), &g);
/// // the first step moves by lr·g/(|g| + ε), about lr
/// assert!((p.value().item() - 0.9).abs() < 1e-7);
/// ```
pub struct Adam<T: Float>(Core<T>);

/// AdamW: Adam with decoupled weight decay, PyTorch's rule (defaults as Adam but
/// `weight_decay = 0.01`): first `θ ← θ·(1 - lr·λ)`, then the Adam step without L2 term.
pub struct AdamW<T: Float>(Core<T>);

macro_rules! builder {
    ($ty:ident, $decay:expr, $decoupled:expr) => {
        impl<T: Float> $ty<T> {
            /// The optimizer with learning rate `lr` and PyTorch's other defaults.
            pub fn new(lr: f64) -> Self {
                $ty(Core::new(lr, $decay))
            }
            /// `(β₁, β₂)`, default `(0.9, 0.999)`.
            pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
                self.0.betas = (beta1, beta2);
                self
            }
            /// `ε`, default `1e-8`.
            pub fn eps(mut self, eps: f64) -> Self {
                self.0.eps = eps;
                self
            }
            /// Weight decay `λ`.
            pub fn weight_decay(mut self, weight_decay: f64) -> Self {
                self.0.weight_decay = weight_decay;
                self
            }
        }

        impl<T: Float> Optimizer<T> for $ty<T> {
            fn step(&mut self, params: &Params<T>, grads: &ParamGrads<T>) {
                self.0.step(params, grads, $decoupled);
            }
            fn lr(&self) -> f64 {
                self.0.lr
            }
            fn set_lr(&mut self, lr: f64) {
                self.0.lr = lr;
            }
        }
    };
}

builder!(Adam, 0.0, false);
builder!(AdamW, 0.01, true);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Param;
    use tapegrad_core::Tensor;

    /// Two steps on θ₀ = 1 with gradients 0.5 then -1, lr = 0.1.
    fn two_steps(opt: &mut dyn Optimizer<f64>) -> (f64, f64) {
        let p = Param::new(Tensor::scalar(1.0));
        let params = Params::new().with("p", &p);
        let mut out = [0.0; 2];
        for (k, g) in [0.5, -1.0].into_iter().enumerate() {
            let mut grads = ParamGrads::new();
            grads.insert(&p, Tensor::scalar(g));
            opt.step(&params, &grads);
            out[k] = p.value().item();
        }
        (out[0], out[1])
    }

    #[test]
    fn adam_two_steps_match_hand_arithmetic() {
        let (first, second) = two_steps(&mut Adam::new(0.1));
        // t=1: m = 0.05, v = 0.00025, m̂ = 0.5, v̂ = 0.25, θ = 1 - 0.1·0.5/(0.5 + 1e-8)
        assert!((first - (1.0 - 0.1 * 0.5 / (0.5 + 1e-8))).abs() < 1e-15);
        // t=2: m = 0.9·0.05 - 0.1 = -0.055, v = 0.999·0.00025 + 0.001 = 0.00124975,
        //      m̂ = -0.055/0.19, v̂ = 0.00124975/0.001999,
        //      θ = first - 0.1·m̂/(√v̂ + 1e-8) = first + 0.0366103542…
        let (mh, vh) = (-0.055 / 0.19, 0.00124975 / 0.001999);
        let want = first - 0.1 * mh / (vh.sqrt() + 1e-8);
        assert!((second - want).abs() < 1e-12, "{second} vs {want}");
        assert!((second - 0.9366103542405654).abs() < 1e-12);
    }

    #[test]
    fn adam_l2_decay_enters_the_gradient() {
        // g = 0.5 + 0.5·θ = 1 at θ = 1: the first step still moves by about lr
        let (first, _) = two_steps(&mut Adam::new(0.1).weight_decay(1.0));
        assert!((first - (1.0 - 0.1 * 1.5 / (1.5 + 1e-8))).abs() < 1e-15);
    }

    #[test]
    fn adamw_decays_weights_before_the_adam_step() {
        let (first, second) = two_steps(&mut AdamW::new(0.1).weight_decay(0.1));
        // t=1: θ = 1·(1 - 0.01) - 0.1·0.5/(0.5 + 1e-8)
        assert!((first - (0.99 - 0.1 * 0.5 / (0.5 + 1e-8))).abs() < 1e-15);
        // t=2: θ = first·0.99 + 0.0366103542… (the same moments as Adam)
        let (mh, vh) = (-0.055 / 0.19, 0.00124975 / 0.001999);
        let want = first * 0.99 - 0.1 * mh / (vh.sqrt() + 1e-8);
        assert!((second - want).abs() < 1e-12);
        assert!((second - 0.9177103542205653).abs() < 1e-12);
    }

    #[test]
    fn adam_works_in_f32_and_keeps_state_per_parameter() {
        let a = Param::new(Tensor::<f32>::vector(vec![1.0, 1.0]));
        let b = Param::new(Tensor::<f32>::scalar(1.0));
        let params = Params::new().with("a", &a).with("b", &b);
        let mut opt = Adam::new(0.01);
        let mut g = ParamGrads::new();
        g.insert(&a, Tensor::vector(vec![1.0, -1.0]));
        opt.step(&params, &g); // b has no gradient: untouched, no state
        assert_eq!(b.value().item(), 1.0);
        let moved = a.value();
        assert!((moved.as_slice()[0] - 0.99).abs() < 1e-6);
        assert!((moved.as_slice()[1] - 1.01).abs() < 1e-6);
    }
}
