//! `BatchNorm1d` and `BatchNorm2d`: normalisation by batch statistics while training and
//! by running statistics while evaluating, with PyTorch's parameter and buffer names.

use crate::caller::fail;
use crate::{Module, Param, Params, Pass};
use std::panic::Location;
use tapegrad_core::{Float, Tensor, Var};

/// Batch normalisation (Ioffe & Szegedy 2015) as PyTorch's `nn.BatchNorm1d` (`D = 1`,
/// inputs `[N, C]` or `[N, C, L]`) and `nn.BatchNorm2d` (`D = 2`, inputs `[N, C, H, W]`):
/// per channel `c`, `y = (x − μ_c) / √(σ²_c + ε) · weight_c + bias_c`.
///
/// - In a training [`Pass`], `μ` and `σ²` are the batch's mean and biased variance over
///   every axis but the channel's, and the running statistics move towards them:
///   `running_mean ← (1 − m)·running_mean + m·μ`, `running_var ← (1 − m)·running_var +
///   m·σ²·n/(n − 1)` (the unbiased variance, `n` values per channel), and
///   `num_batches_tracked` counts the updates. The gradient flows through `μ` and `σ²`.
/// - In an evaluation pass, `μ` and `σ²` are the running statistics (constants).
///
/// Defaults: `ε = 1e-5`, momentum `m = 0.1`, weight 1, bias 0, running mean 0, running
/// var 1. The weight and bias are [`parameters`](Module::parameters); the running
/// statistics and the count are [`buffers`](Module::buffers), and the
/// [`state`](Module::state) lists all five under PyTorch's names (`weight`, `bias`,
/// `running_mean`, `running_var`, `num_batches_tracked`), so a PyTorch `state_dict` saved
/// as safetensors loads into it.
///
/// ```
/// use tapegrad_core::{Tape, Tensor};
/// use tapegrad_nn::{BatchNorm1d, Module, Pass};
/// let bn = BatchNorm1d::<f64>::new(1);
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::from_vec(vec![1.0, 3.0], &[2, 1]));
/// let y = bn.forward(&Pass::train(&tape), x).value();
/// assert!((y.as_slice()[0] + 1.0).abs() < 1e-5 && (y.as_slice()[1] - 1.0).abs() < 1e-5);
/// // mean 2 and unbiased variance 2, a tenth of the way from 0 and 1
/// assert_eq!(bn.running_mean.value().as_slice(), &[0.2]);
/// assert!((bn.running_var.value().as_slice()[0] - 1.1).abs() < 1e-15);
/// ```
pub struct BatchNorm<T: Float, const D: usize> {
    /// `[C]`, the scale `γ`; `None` without affine parameters.
    pub weight: Option<Param<T>>,
    /// `[C]`, the shift `β`; `None` without affine parameters.
    pub bias: Option<Param<T>>,
    /// `[C]`, a buffer.
    pub running_mean: Param<T>,
    /// `[C]`, a buffer (unbiased estimates).
    pub running_var: Param<T>,
    /// `[]`, a buffer: how many training batches updated the statistics.
    pub num_batches_tracked: Param<T>,
    /// Added to the variance before the square root.
    pub eps: f64,
    /// The weight of a new batch in the running statistics.
    pub momentum: f64,
}

/// Batch normalisation of `[N, C]` or `[N, C, L]` inputs: see [`BatchNorm`].
pub type BatchNorm1d<T> = BatchNorm<T, 1>;
/// Batch normalisation of `[N, C, H, W]` inputs: see [`BatchNorm`].
pub type BatchNorm2d<T> = BatchNorm<T, 2>;

impl<T: Float, const D: usize> BatchNorm<T, D> {
    /// `features` channels, PyTorch's defaults (`ε = 1e-5`, momentum 0.1, affine).
    pub fn new(features: usize) -> Self {
        Self::with_options(features, 1e-5, 0.1, true)
    }

    /// `features` channels with the given `eps` and `momentum`, with or without the
    /// affine weight and bias.
    pub fn with_options(features: usize, eps: f64, momentum: f64, affine: bool) -> Self {
        let affine_param =
            |v: f64| affine.then(|| Param::new(Tensor::full(&[features], T::from_f64(v))));
        BatchNorm {
            weight: affine_param(1.0),
            bias: affine_param(0.0),
            running_mean: Param::new(Tensor::zeros(&[features])),
            running_var: Param::new(Tensor::ones(&[features])),
            num_batches_tracked: Param::new(Tensor::scalar(T::ZERO)),
            eps,
            momentum,
        }
    }

    /// The number of channels.
    pub fn features(&self) -> usize {
        self.running_mean.shape()[0]
    }

    fn name(&self) -> String {
        format!("BatchNorm{D}d({})", self.features())
    }

    /// Moves the running statistics towards a batch's mean and biased variance (`[C]`
    /// each, `n` values per channel).
    fn track(&self, mean: &Tensor<T>, var: &Tensor<T>, n: usize) {
        let m = T::from_f64(self.momentum);
        let keep = T::ONE - m;
        let unbias = T::from_f64(n as f64 / (n - 1) as f64);
        self.running_mean.update(|rm| {
            for (r, &b) in rm.iter_mut().zip(mean.as_slice()) {
                *r = keep * *r + m * b;
            }
        });
        self.running_var.update(|rv| {
            for (r, &b) in rv.iter_mut().zip(var.as_slice()) {
                *r = keep * *r + m * b * unbias;
            }
        });
        self.num_batches_tracked.update(|k| k[0] += T::ONE);
    }
}

impl<T: Float, const D: usize> Module<T> for BatchNorm<T, D> {
    #[track_caller]
    fn forward<'t>(&self, pass: &Pass<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        let site = Location::caller();
        let shape = x.shape();
        let c = self.features();
        let ranks: &[usize] = if D == 1 { &[2, 3] } else { &[4] };
        let layout = if D == 1 {
            "[N, C] or [N, C, L]"
        } else {
            "[N, C, H, W]"
        };
        if !ranks.contains(&shape.len()) || shape[1] != c {
            fail(
                &self.name(),
                format!(
                    "expects a {layout} input with C = {c}, got shape {:?}",
                    shape.as_slice()
                ),
                site,
            );
        }
        // the channel axis against the rest: [C] for [N, C], [C, 1, …] for more axes
        let mut channel = vec![1; shape.len() - 1];
        channel[0] = c;
        let axes: Vec<isize> = std::iter::once(0).chain(2..shape.len() as isize).collect();
        let eps = T::from_f64(self.eps);
        let xhat = if pass.is_training() {
            let n = shape.iter().product::<usize>() / c;
            if n <= 1 {
                fail(
                    &self.name(),
                    format!(
                        "expects more than 1 value per channel when training, got shape {:?}",
                        shape.as_slice()
                    ),
                    site,
                );
            }
            let mean = x.mean_axes(&axes, true);
            let centred = x - mean;
            let var = (centred * centred).mean_axes(&axes, true);
            self.track(&mean.value(), &var.value(), n);
            centred / (var + eps).sqrt()
        } else {
            let mean = pass.input(self.running_mean.value().reshape(&channel).expect("[C]"));
            let var = self.running_var.value().map(|v| (v + eps).sqrt());
            let std = pass.input(var.reshape(&channel).expect("[C]"));
            (x - mean) / std
        };
        match (&self.weight, &self.bias) {
            (Some(w), Some(b)) => {
                xhat * pass.bind(w).reshape(&channel) + pass.bind(b).reshape(&channel)
            }
            _ => xhat,
        }
    }

    fn parameters(&self) -> Params<T> {
        let mut ps = Params::new();
        if let (Some(w), Some(b)) = (&self.weight, &self.bias) {
            ps.insert("weight", w);
            ps.insert("bias", b);
        }
        ps
    }

    fn buffers(&self) -> Params<T> {
        Params::new()
            .with("running_mean", &self.running_mean)
            .with("running_var", &self.running_var)
            .with("num_batches_tracked", &self.num_batches_tracked)
    }
}
