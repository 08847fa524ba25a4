//! Reverse mode: the one sweep over the tape, and its two entry points.
//!
//! - [`Tape::grad`] records the gradient computation on the tape, so the gradients are
//!   variables that can be differentiated again (Hessian-vector products, Newton steps).
//! - [`Var::backward`] returns plain tensors and records nothing: the fast path for
//!   training loops.
//!
//! Both run the same loop (`sweep.rs`); they differ only in what a gradient is (a `Var` or
//! a `Tensor`) and where the op's VJP is evaluated: `recorded.rs` and `eager.rs`.
//! `grads.rs` holds what `backward` returns.

mod batched;
mod eager;
mod grads;
mod recorded;
mod scalar;
mod sweep;
#[cfg(test)]
mod tests;
mod wanted;

pub use grads::Grads;

use crate::tape::{NodeId, NodeKind};
use crate::tensor::joined;
use crate::{Error, ErrorKind, Float, Tape, Tensor, Var};
use batched::Batched;
use eager::Eager;
use recorded::Recorded;
use std::panic::Location;
use sweep::{sweep, sweep_from, Resume};
use wanted::{kept_for, Wanted};

impl<T: Float> Tape<T> {
    /// Gradients of `y` (which must have one element) with respect to each of `xs`,
    /// recorded on the tape so they can be differentiated again.
    ///
    /// A variable that does not influence `y` gets zeros. See [`Tape`] for an example.
    #[track_caller]
    pub fn grad<'t>(&'t self, y: Var<'t, T>, xs: &[Var<'t, T>]) -> Vec<Var<'t, T>> {
        match self.try_grad(y, None, xs) {
            Ok(g) => g,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`grad`](Self::grad) with an explicit cotangent `seed` for a `y` of any shape
    /// (a vector-Jacobian product `seedᵀ·∂y/∂x`).
    #[track_caller]
    pub fn grad_with<'t>(
        &'t self,
        y: Var<'t, T>,
        seed: Var<'t, T>,
        xs: &[Var<'t, T>],
    ) -> Vec<Var<'t, T>> {
        match self.try_grad(y, Some(seed), xs) {
            Ok(g) => g,
            Err(e) => panic!("{e}"),
        }
    }

    /// The fallible form of [`grad`](Self::grad) / [`grad_with`](Self::grad_with).
    #[track_caller]
    pub fn try_grad<'t>(
        &'t self,
        y: Var<'t, T>,
        seed: Option<Var<'t, T>>,
        xs: &[Var<'t, T>],
    ) -> Result<Vec<Var<'t, T>>, Error> {
        let site = Location::caller();
        for v in xs.iter().chain(seed.as_ref()).chain([&y]) {
            self.check_owns("grad", *v, site)?;
        }
        if self.values_only.get() {
            // Nested in a VJP that the tensor sweep evaluates without recording: ask the
            // sweep to evaluate that VJP again, recorded, and answer zeros meanwhile.
            self.nested_request.set(true);
            return Ok(xs
                .iter()
                .map(|x| self.constant_at(Tensor::zeros(&x.shape()), site))
                .collect());
        }
        let seed = match seed {
            Some(s) => {
                check_seed_shape("grad", &s.shape(), &y.shape(), site)?;
                s
            }
            None => self.constant_at(unit_seed(y, "grad", site)?, site),
        };
        let lowest = xs.iter().map(|x| x.id).min().unwrap_or(y.id).min(y.id);
        let wanted = Wanted::new(xs.iter().map(|x| x.id), lowest, y.id);
        let kept = sweep(
            self,
            y.id,
            seed,
            lowest,
            |id, _| wanted.contains(id),
            &mut Recorded { tape: self },
        );
        Ok(xs
            .iter()
            .map(|x| match kept_for(&kept, x.id) {
                Some(&g) => g,
                None => self.constant_at(Tensor::zeros(&x.shape()), site),
            })
            .collect())
    }
}

/// The error for an explicit seed whose shape is not the output's.
fn check_seed_shape(
    entry: &str,
    seed: &[usize],
    output: &[usize],
    site: &'static Location<'static>,
) -> Result<(), Error> {
    if seed == output {
        return Ok(());
    }
    Err(Error::at(
        ErrorKind::ShapeMismatch {
            shapes: vec![seed.to_vec(), output.to_vec()],
        },
        entry,
        format!("seed of shape {seed:?} for an output of shape {output:?}"),
        site,
    ))
}

/// A ones seed for a one-element output, or the error for any other shape.
fn unit_seed<T: Float>(
    y: Var<'_, T>,
    entry: &str,
    site: &'static Location<'static>,
) -> Result<Tensor<T>, Error> {
    let shape = y.shape();
    if crate::tensor::numel(&shape) != 1 {
        return Err(Error::at(
            ErrorKind::NonScalarRoot {
                shape: shape.to_vec(),
            },
            entry,
            format!(
                "output has shape {shape:?}, not one element; reduce it (e.g. `.sum()`) or pass a seed"
            ),
            site,
        ));
    }
    Ok(Tensor::ones(&shape))
}

impl<'t, T: Float> Var<'t, T> {
    /// First-order gradients of this one-element variable with respect to every leaf, as
    /// tensors. Records nothing; calling it twice gives the same answer twice.
    ///
    /// ```
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let w = tape.leaf(Tensor::vector(vec![1.0, 2.0]));
    /// let x = tape.constant(Tensor::vector(vec![3.0, 4.0]));
    /// let loss = (w * x).sum();
    /// let grads = loss.backward();
    /// assert_eq!(grads.wrt(w).as_slice(), &[3.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn backward(self) -> Grads<T> {
        match self.try_backward(None) {
            Ok(g) => g,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`backward`](Self::backward) with an explicit cotangent for an output of any shape.
    #[track_caller]
    pub fn backward_with(self, seed: Tensor<T>) -> Grads<T> {
        match self.try_backward(Some(seed)) {
            Ok(g) => g,
            Err(e) => panic!("{e}"),
        }
    }

    /// The fallible form of [`backward`](Self::backward) / [`backward_with`](Self::backward_with).
    #[track_caller]
    pub fn try_backward(self, seed: Option<Tensor<T>>) -> Result<Grads<T>, Error> {
        self.try_backward_at(seed, Location::caller())
    }

    /// The gradients with respect to the leaves `xs`, as tensors, by one values-only sweep
    /// ([`try_backward`](Self::try_backward) read at `xs`), except that an output that
    /// depends on no leaf has zero gradients instead of an error.
    ///
    /// `backward` refuses such an output because a user who calls it on one has usually
    /// detached something by mistake. Code that differentiates a recorded gradient meets
    /// them as a matter of course (the gradient of a linear function is constant), and for
    /// it zero is the answer, as [`Tape::grad`] gives it.
    ///
    /// ```
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::scalar(3.0));
    /// let g = tape.grad(x * 2.0, &[x])[0]; // the constant 2
    /// assert!(g.try_backward(None).is_err());
    /// assert_eq!(g.try_backward_wrt(None, &[x]).unwrap()[0].item(), 0.0);
    /// let h = tape.grad(x * x, &[x])[0]; // 2x
    /// assert_eq!(h.try_backward_wrt(None, &[x]).unwrap()[0].item(), 2.0);
    /// ```
    #[track_caller]
    pub fn try_backward_wrt(
        self,
        seed: Option<Tensor<T>>,
        xs: &[Var<'t, T>],
    ) -> Result<Vec<Tensor<T>>, Error> {
        let site = Location::caller();
        let tape = self.tape;
        if tape.kind(self) == NodeKind::Constant && !tape.values_only.get() {
            let shape = self.shape();
            match &seed {
                Some(s) => check_seed_shape("backward", s.shape(), &shape, site)?,
                None => drop(unit_seed(self, "backward", site)?),
            }
            return xs
                .iter()
                .map(|&x| {
                    tape.check_owns("backward", x, site)?;
                    Ok(Tensor::zeros(&x.shape()))
                })
                .collect();
        }
        let grads = self.try_backward_at(seed, site)?;
        xs.iter().map(|&x| grads.try_wrt_at(x, site)).collect()
    }

    /// The gradients with respect to `xs` for a batch of `k` cotangents at once (PyTorch's
    /// `autograd.grad(..., is_grads_batched=True)`): `seeds` of shape `[k] ++` this
    /// variable's shape, and for each of `xs` a tensor of shape `[k] ++` its shape whose
    /// row `j` is the gradient for cotangent `j` (zeros when `x` does not influence this
    /// variable). Records nothing.
    ///
    /// One batched values-only sweep: the numbers of `k` calls of
    /// [`try_backward_wrt`](Self::try_backward_wrt), at the cost of about one where the
    /// graph is made of ops whose VJPs batch ([`Op::vjp_batches`](crate::Op::vjp_batches):
    /// element-wise ops, `matmul`, reshapes, sums, `narrow`, `concat`); through the other
    /// ops each cotangent takes its own VJP. Memory: `k` times the gradients of one sweep.
    ///
    /// ```
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::vector(vec![1.0, 2.0]));
    /// let y = x * x; // [2]: the Jacobian is diag(2x)
    /// let rows = y.try_backward_batched(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], &[2, 2]), &[x]);
    /// assert_eq!(rows.unwrap()[0].as_slice(), &[2.0, 0.0, 0.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn try_backward_batched(
        self,
        seeds: Tensor<T>,
        xs: &[Var<'t, T>],
    ) -> Result<Vec<Tensor<T>>, Error> {
        self.backward_batched_at(seeds, xs, Location::caller())
    }

    /// [`try_backward_batched`](Self::try_backward_batched) for the caller at `site`.
    pub(crate) fn backward_batched_at(
        self,
        seeds: Tensor<T>,
        xs: &[Var<'t, T>],
        site: &'static Location<'static>,
    ) -> Result<Vec<Tensor<T>>, Error> {
        let tape = self.tape;
        for &x in xs.iter().chain([&self]) {
            tape.check_owns("backward", x, site)?;
        }
        let shape = self.shape();
        let k = seeds.shape().first().copied().unwrap_or(0);
        check_seed_shape("backward", seeds.shape(), &joined(&[k], &shape), site)?;
        let zeros = |x: &Var<'t, T>| Tensor::zeros(&joined(&[k], &x.shape()));
        if tape.values_only.get() {
            // Nested in a VJP that the tensor sweep evaluates (see `Tape::try_grad`).
            tape.nested_request.set(true);
            return Ok(xs.iter().map(zeros).collect());
        }
        if k == 0 || tape.kind(self) == NodeKind::Constant {
            return Ok(xs.iter().map(zeros).collect());
        }
        let lowest = xs
            .iter()
            .map(|x| x.id)
            .min()
            .unwrap_or(self.id)
            .min(self.id);
        let wanted = Wanted::new(xs.iter().map(|x| x.id), lowest, self.id);
        let mut runner = Batched::new(tape, k);
        let kept = sweep(
            tape,
            self.id,
            seeds,
            lowest,
            |id, _| wanted.contains(id),
            &mut runner,
        );
        drop(runner);
        Ok(xs
            .iter()
            .map(|x| match kept_for(&kept, x.id) {
                Some(g) => g.clone(),
                None => zeros(x),
            })
            .collect())
    }

    fn try_backward_at(
        self,
        seed: Option<Tensor<T>>,
        site: &'static Location<'static>,
    ) -> Result<Grads<T>, Error> {
        let tape = self.tape;
        if tape.values_only.get() {
            // Nested in a VJP that the tensor sweep evaluates (see `Tape::try_grad`).
            tape.nested_request.set(true);
            return Ok(Grads {
                identity: tape.identity(),
                by_leaf: Vec::new(),
                placeholder: true,
            });
        }
        if tape.kind(self) == NodeKind::Constant {
            return Err(Error::at(
                ErrorKind::ConstantRoot,
                "backward",
                format!(
                    "variable #{} does not depend on any leaf (it was computed under `no_grad`, detached, or from constants only), so it has no gradient",
                    self.id
                ),
                site,
            ));
        }
        let shape = self.shape();
        let seed = match seed {
            Some(s) => {
                check_seed_shape("backward", s.shape(), &shape, site)?;
                s
            }
            None => unit_seed(self, "backward", site)?,
        };
        let leaves = |_, kind| kind == NodeKind::Leaf;
        let grads = |by_leaf| Grads {
            identity: tape.identity(),
            by_leaf,
            placeholder: false,
        };
        // Scalar code runs as far as it goes over plain numbers (`scalar.rs`), observed
        // tapes always in the generic sweep, which shows observers every VJP. Both keep
        // the leaves' gradients by descending id; `Grads` holds them ascending.
        let (resume, mut by_leaf) = if seed.ndim() == 0 && tape.watcher().is_none() {
            let mut numbers = Vec::new();
            let resume = scalar::scalar_sweep(tape, self.id, seed.item(), 0, leaves, &mut numbers);
            let as_tensor = |&(id, g): &(NodeId, T)| (id, Tensor::scalar(g));
            match resume {
                None => return Ok(grads(numbers.iter().rev().map(as_tensor).collect())),
                Some(resume) => (resume, numbers.iter().map(as_tensor).collect()),
            }
        } else {
            (Resume::seeded(self.id, seed), Vec::new())
        };
        let mut runner = Eager::new(self.tape);
        sweep_from(self.tape, resume, 0, leaves, &mut runner, &mut by_leaf);
        by_leaf.reverse();
        Ok(grads(by_leaf))
    }
}
