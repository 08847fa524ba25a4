//! A small `fit` helper: epochs of shuffled mini-batches, optional clipping and learning
//! rate schedule, a progress bar on a terminal (plain lines otherwise), and the loss
//! history, which can be written as CSV.

use crate::data::{Dataset, LastBatch};
use crate::optim::{Optimizer, Schedule};
use crate::{ParamGrads, ParamId, Params, Pass};
use indexmap::IndexMap;
#[cfg(feature = "progress-bar")]
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::io::IsTerminal;
use std::path::Path;
use tapegrad_core::{Float, Plan, Tape, Tensor, Var};

/// How [`Trainer::fit`] reports progress on stderr.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Progress {
    /// A progress bar when stderr is a terminal, plain lines otherwise (the default). Without
    /// the `progress-bar` feature, always plain lines.
    #[default]
    Auto,
    /// Plain lines (about ten per run, and the last epoch).
    Lines,
    /// Nothing.
    Off,
}

/// One epoch's record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Epoch {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the epoch's examples (each batch weighted by its size).
    pub loss: f64,
    /// The learning rate used in the epoch.
    pub lr: f64,
}

/// The loss history of a run.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// One record per epoch.
    pub epochs: Vec<Epoch>,
}

impl History {
    /// The per-epoch losses.
    pub fn losses(&self) -> Vec<f64> {
        self.epochs.iter().map(|e| e.loss).collect()
    }

    /// The last epoch's loss (NaN for an empty history).
    pub fn last_loss(&self) -> f64 {
        self.epochs.last().map_or(f64::NAN, |e| e.loss)
    }

    /// The history as CSV text: `epoch,loss,lr` and one row per epoch.
    pub fn to_csv(&self) -> String {
        let mut s = String::from("epoch,loss,lr\n");
        for e in &self.epochs {
            s.push_str(&format!("{},{},{}\n", e.epoch, e.loss, e.lr));
        }
        s
    }

    /// Writes [`to_csv`](Self::to_csv) to `path`.
    pub fn write_csv(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        std::fs::write(path, self.to_csv())
    }
}

/// Trains for a number of epochs over shuffled mini-batches.
///
/// ```
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::{data::Dataset, loss::{mse_loss, Reduction}, optim::Adam};
/// use tapegrad_nn::{train::{Progress, Trainer}, Linear, Module};
/// use rand::{rngs::StdRng, SeedableRng};
///
/// let x = Tensor::<f64>::rand_uniform(&[64, 2], -1.0, 1.0, 1);
/// let y = Tensor::from_fn(&[64, 1], |i| 3.0 * x.at(&[i, 0]) - x.at(&[i, 1]) + 0.5);
/// let model = Linear::new(2, 1, &mut StdRng::seed_from_u64(0));
/// let history = Trainer::new(100)
///     .batch_size(16)
///     .progress(Progress::Off)
///     .fit(&model.parameters(), &mut Adam::new(0.05), &Dataset::new(x, y), |pass, x, y| {
///         mse_loss(model.forward(pass, x), y, Reduction::Mean)
///     });
/// assert_eq!(history.epochs.len(), 100);
/// assert!(history.last_loss() < 1e-4 * history.epochs[0].loss);
/// ```
pub struct Trainer {
    epochs: usize,
    batch_size: usize,
    seed: u64,
    shuffle: bool,
    last: LastBatch,
    clip: Option<f64>,
    schedule: Option<Box<dyn Schedule>>,
    progress: Progress,
    planned: bool,
}

impl Trainer {
    /// `epochs` epochs, batches of 32, shuffled from seed 0, last batch kept.
    pub fn new(epochs: usize) -> Self {
        Trainer {
            epochs,
            batch_size: 32,
            seed: 0,
            shuffle: true,
            last: LastBatch::Keep,
            clip: None,
            schedule: None,
            progress: Progress::Auto,
            planned: false,
        }
    }

    /// Examples per batch (`usize::MAX`: the whole set, full-batch gradient descent).
    pub fn batch_size(mut self, size: usize) -> Self {
        self.batch_size = size.max(1);
        self
    }

    /// Seed of the shuffling generator.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Whether to shuffle every epoch (default true).
    pub fn shuffle(mut self, on: bool) -> Self {
        self.shuffle = on;
        self
    }

    /// What to do with a short final batch.
    pub fn last_batch(mut self, policy: LastBatch) -> Self {
        self.last = policy;
        self
    }

    /// Clips the gradients to this global norm before every step.
    pub fn clip_grad_norm(mut self, max_norm: f64) -> Self {
        self.clip = Some(max_norm);
        self
    }

    /// Sets the learning rate from `schedule` at the start of every epoch (index from 0).
    pub fn schedule(mut self, schedule: impl Schedule + 'static) -> Self {
        self.schedule = Some(Box::new(schedule));
        self
    }

    /// How to report progress.
    pub fn progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Whether to train on [`Plan`]s (default false): the loss and the gradients of a
    /// training step are traced once per batch shape (the last batch may be shorter)
    /// with the parameters and the batch as the plan's inputs, and every step replays
    /// that plan instead of recording a tape. The losses and updates are those of the
    /// eager steps (to rounding: the plan's simplifications may round a few values
    /// differently).
    ///
    /// A plan freezes what the trace saw (see [`Plan`]'s rules), so the model's forward
    /// pass must be a function of its parameters and the batch only: no dropout (its
    /// mask would be drawn once) and no batch-norm statistics updated in training (the
    /// update would not be replayed).
    pub fn plan(mut self, on: bool) -> Self {
        self.planned = on;
        self
    }

    /// Runs the epochs: for each batch, `loss(pass, x, y)` builds the loss on a fresh
    /// training pass (`x`, `y` are constants), its gradients update `params` through `opt`.
    pub fn fit<T, O, L>(
        &self,
        params: &Params<T>,
        opt: &mut O,
        data: &Dataset<T>,
        loss: L,
    ) -> History
    where
        T: Float,
        O: Optimizer<T> + ?Sized,
        L: for<'t> Fn(&Pass<'t, T>, Var<'t, T>, Var<'t, T>) -> Var<'t, T>,
    {
        let mut rng = StdRng::seed_from_u64(self.seed);
        let report = Report::new(self.progress, self.epochs);
        let mut history = History::default();
        let mut tape = Tape::new();
        let mut plans: Vec<StepPlan<T>> = Vec::new();
        for epoch in 0..self.epochs {
            if let Some(s) = &self.schedule {
                opt.set_lr(s.lr(epoch));
            }
            let mut batches = data
                .batches(self.batch_size.min(data.len().max(1)))
                .last_batch(self.last);
            if self.shuffle {
                batches = batches.shuffled(&mut rng);
            }
            let (mut total, mut seen) = (0.0, 0usize);
            for (x, y) in batches {
                let n = x.shape()[0];
                let (value, mut grads) = if self.planned {
                    let shapes = (x.shape().to_vec(), y.shape().to_vec());
                    let k = match plans.iter().position(|p| p.shapes == shapes) {
                        Some(k) => k,
                        None => {
                            plans.push(StepPlan::trace(params, &x, &y, &loss));
                            plans.len() - 1
                        }
                    };
                    plans[k].run(params, x, y)
                } else {
                    tape.clear();
                    let pass = Pass::train(&tape);
                    let l = loss(&pass, pass.input(x), pass.input(y));
                    (l.item(), pass.backward(l))
                };
                total += value.to_f64() * n as f64;
                seen += n;
                if let Some(max) = self.clip {
                    grads.clip_global_norm(max);
                }
                opt.step(params, &grads);
            }
            let record = Epoch {
                epoch: epoch + 1,
                loss: total / seen.max(1) as f64,
                lr: opt.lr(),
            };
            report.epoch(&record, self.epochs);
            history.epochs.push(record);
        }
        report.finish();
        history
    }
}

/// A training step traced as a [`Plan`] for one batch shape: inputs every parameter of
/// the trainer's set and the batch; outputs the loss and the gradients of the parameters
/// the loss depends on, in the order the model binds them (as [`Pass::backward`] gives
/// them).
struct StepPlan<T: Float> {
    shapes: (Vec<usize>, Vec<usize>),
    plan: Plan<T>,
    grads: Vec<ParamId>,
}

impl<T: Float> StepPlan<T> {
    fn trace<L>(params: &Params<T>, x: &Tensor<T>, y: &Tensor<T>, loss: &L) -> Self
    where
        L: for<'t> Fn(&Pass<'t, T>, Var<'t, T>, Var<'t, T>) -> Var<'t, T>,
    {
        let mut inputs: Vec<Tensor<T>> = params.params().map(|p| p.value()).collect();
        inputs.push(x.clone());
        inputs.push(y.clone());
        let k = params.len();
        let mut grads = Vec::new();
        let plan = Plan::trace(&inputs, |tape, vs| {
            let given: IndexMap<ParamId, Var<'_, T>> = params
                .params()
                .map(|p| p.id())
                .zip(vs.iter().copied())
                .collect();
            let pass = Pass::train_on(tape, given);
            let l = loss(&pass, vs[k], vs[k + 1]);
            // the parameters with a gradient, as the eager step finds them
            let influencing = pass.backward(l);
            let wanted: Vec<(ParamId, Var<'_, T>)> = pass
                .bound()
                .into_iter()
                .filter(|(id, _)| influencing.has(*id))
                .collect();
            grads = wanted.iter().map(|(id, _)| *id).collect();
            let vars: Vec<Var<'_, T>> = wanted.iter().map(|(_, v)| *v).collect();
            let mut out = vec![l];
            out.extend(tape.grad(l, &vars));
            out
        })
        .unwrap_or_else(|e| panic!("Trainer: the training step does not trace: {e}"));
        StepPlan {
            shapes: (x.shape().to_vec(), y.shape().to_vec()),
            plan,
            grads,
        }
    }

    /// The loss and the gradients at the parameters' current values and this batch.
    fn run(&mut self, params: &Params<T>, x: Tensor<T>, y: Tensor<T>) -> (T, ParamGrads<T>) {
        let mut inputs: Vec<Tensor<T>> = params.params().map(|p| p.value()).collect();
        inputs.push(x);
        inputs.push(y);
        let out = self
            .plan
            .run(&inputs)
            .unwrap_or_else(|e| panic!("Trainer: a planned step failed: {e}"));
        drop(inputs); // the parameters' buffers are the optimizer's to update in place
        let mut out = out.into_iter();
        let value = out.next().expect("the loss").item();
        (
            value,
            ParamGrads::from_ids(self.grads.iter().copied().zip(out)),
        )
    }
}

/// Where progress goes: a bar (cleared when done, so it does not break the caller's
/// output), plain lines, or nowhere.
enum Report {
    #[cfg(feature = "progress-bar")]
    Bar(ProgressBar),
    Lines,
    Off,
}

impl Report {
    fn new(progress: Progress, epochs: usize) -> Self {
        match progress {
            Progress::Off => Report::Off,
            Progress::Lines => Report::Lines,
            Progress::Auto if !std::io::stderr().is_terminal() => Report::Lines,
            Progress::Auto => Report::bar(epochs),
        }
    }

    /// A bar on stderr for `epochs` epochs.
    #[cfg(feature = "progress-bar")]
    fn bar(epochs: usize) -> Self {
        let bar = ProgressBar::with_draw_target(Some(epochs as u64), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{bar:30} {pos}/{len} epochs {elapsed} {msg}")
            .expect("valid template");
        bar.set_style(style);
        Report::Bar(bar)
    }

    /// Without the `progress-bar` feature, plain lines.
    #[cfg(not(feature = "progress-bar"))]
    fn bar(_epochs: usize) -> Self {
        Report::Lines
    }

    fn epoch(&self, e: &Epoch, epochs: usize) {
        match self {
            #[cfg(feature = "progress-bar")]
            Report::Bar(bar) => {
                bar.set_message(format!("loss {:.6}", e.loss));
                bar.inc(1);
            }
            Report::Lines => {
                let every = epochs.div_ceil(10).max(1);
                if e.epoch.is_multiple_of(every) || e.epoch == epochs || e.epoch == 1 {
                    eprintln!(
                        "epoch {:>5}/{epochs}  loss {:.6}  lr {:.3e}",
                        e.epoch, e.loss, e.lr
                    );
                }
            }
            Report::Off => {}
        }
    }

    fn finish(&self) {
        #[cfg(feature = "progress-bar")]
        if let Report::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::{mse_loss, Reduction};
    use crate::optim::{Cosine, Sgd};
    use crate::Param;
    use tapegrad_core::Tensor;

    #[test]
    fn full_batch_fit_is_gradient_descent() {
        // y = 2x; one parameter w, loss mean((w x - y)²), gradient 2·mean(x²)(w - 2)
        let x = Tensor::vector(vec![1.0, 2.0]).reshape(&[2, 1]).unwrap();
        let y = Tensor::vector(vec![2.0, 4.0]).reshape(&[2, 1]).unwrap();
        let w = Param::new(Tensor::<f64>::scalar(0.0));
        let params = Params::new().with("w", &w);
        let h = Trainer::new(1)
            .batch_size(usize::MAX)
            .progress(Progress::Off)
            .fit(
                &params,
                &mut Sgd::new(0.1),
                &Dataset::new(x, y),
                |pass, x, y| mse_loss(pass.bind(&w) * x, y, Reduction::Mean),
            );
        // loss at w = 0: mean(4, 16) = 10; step: w = 0 - 0.1·2·2.5·(0 - 2) = 1
        assert_eq!(
            h.epochs,
            [Epoch {
                epoch: 1,
                loss: 10.0,
                lr: 0.1
            }]
        );
        assert_eq!(w.value().item(), 1.0);
    }

    #[test]
    fn schedule_sets_lr_and_history_writes_csv() {
        let data = Dataset::new(Tensor::<f64>::zeros(&[4, 1]), Tensor::zeros(&[4, 1]));
        let w = Param::new(Tensor::<f64>::scalar(1.0));
        let params = Params::new().with("w", &w);
        let h = Trainer::new(3)
            .batch_size(3)
            .schedule(Cosine {
                base: 1.0,
                min: 0.0,
                t_max: 2,
            })
            .clip_grad_norm(1.0)
            .progress(Progress::Off)
            .fit(&params, &mut Sgd::new(9.0), &data, |pass, x, y| {
                mse_loss(x * pass.bind(&w) + 1.0, y + 0.0, Reduction::Mean)
            });
        let lrs: Vec<f64> = h.epochs.iter().map(|e| e.lr).collect();
        assert!((lrs[0] - 1.0).abs() < 1e-15 && (lrs[1] - 0.5).abs() < 1e-15 && lrs[2] == 0.0);
        assert!(
            h.to_csv().starts_with("epoch,loss,lr\n1,1,1\n2,1,0.5"),
            "{}",
            h.to_csv()
        );
    }
}
