//! [`Pass`]: one forward pass on a tape — parameters bound as leaves (each once), the
//! train/eval mode — and [`ParamGrads`], the tape's gradients looked up by parameter.

use crate::{Param, ParamId, Params};
use indexmap::IndexMap;
use std::cell::RefCell;
use std::panic::Location;
use tapegrad_core::{Float, Grads, Tape, Tensor, Var};

/// One forward pass: the tape it records on, the parameters bound onto it, and whether the
/// model is training (dropout active) or evaluating.
///
/// Binding a parameter puts its value on the tape as a leaf; binding the same parameter
/// again in the same pass returns the same node, so a weight used twice (tied, or a layer
/// applied twice) gets one gradient, the sum of both uses.
///
/// ```
/// use tapegrad_core::{Tape, Tensor};
/// use tapegrad_nn::{Param, Pass};
/// let w = Param::new(Tensor::<f64>::scalar(3.0));
/// let tape = Tape::new();
/// let pass = Pass::train(&tape);
/// let x = tape.constant(Tensor::scalar(2.0));
/// let y = pass.bind(&w) * x + pass.bind(&w); // w·x + w, one node for w
/// let grads = pass.backward(y);
/// assert_eq!(grads.wrt(&w).item(), 3.0);     // x + 1
/// ```
///
/// # Design
/// The cache is per pass rather than inside the parameter: a parameter cannot hold a
/// `Var<'t, _>` of a tape it does not outlive, and a tape can be cleared and reused, so a
/// cache keyed by tape address could hand out a node that no longer exists.
pub struct Pass<'t, T: Float> {
    tape: &'t Tape<T>,
    training: bool,
    bound: RefCell<IndexMap<ParamId, Var<'t, T>>>,
    /// Variables to bind parameters to instead of new leaves (a plan's inputs, when the
    /// trainer traces a step); bound in the order the model asks for them all the same.
    given: IndexMap<ParamId, Var<'t, T>>,
}

impl<'t, T: Float> Pass<'t, T> {
    /// A training pass on `tape`: dropout is active.
    pub fn train(tape: &'t Tape<T>) -> Self {
        Self::new(tape, true)
    }

    /// An evaluation pass on `tape`: dropout is the identity.
    pub fn eval(tape: &'t Tape<T>) -> Self {
        Self::new(tape, false)
    }

    /// A pass in the given mode (`training == true` for [`train`](Self::train)).
    pub fn new(tape: &'t Tape<T>, training: bool) -> Self {
        Pass {
            tape,
            training,
            bound: RefCell::new(IndexMap::new()),
            given: IndexMap::new(),
        }
    }

    /// A training pass whose parameters bind to the given variables of `tape` (a plan's
    /// inputs) instead of to new leaves holding their values.
    pub(crate) fn train_on(tape: &'t Tape<T>, given: IndexMap<ParamId, Var<'t, T>>) -> Self {
        Pass {
            given,
            ..Self::train(tape)
        }
    }

    /// The bound parameters and their variables, in the order they were bound.
    pub(crate) fn bound(&self) -> Vec<(ParamId, Var<'t, T>)> {
        self.bound
            .borrow()
            .iter()
            .map(|(&id, &v)| (id, v))
            .collect()
    }

    /// The tape this pass records on.
    pub fn tape(&self) -> &'t Tape<T> {
        self.tape
    }

    /// True in a training pass.
    pub fn is_training(&self) -> bool {
        self.training
    }

    /// The parameter as a leaf of this pass's tape; the same node every time it is asked
    /// for in this pass.
    #[track_caller]
    pub fn bind(&self, param: &Param<T>) -> Var<'t, T> {
        if let Some(&v) = self.bound.borrow().get(&param.id()) {
            return v;
        }
        let v = match self.given.get(&param.id()) {
            Some(&v) => v,
            None => self.tape.leaf(param.value()),
        };
        self.bound.borrow_mut().insert(param.id(), v);
        v
    }

    /// A constant (input data, targets) on this pass's tape.
    #[track_caller]
    pub fn input(&self, value: Tensor<T>) -> Var<'t, T> {
        self.tape.constant(value)
    }

    /// How many parameters have been bound so far.
    pub fn bound_len(&self) -> usize {
        self.bound.borrow().len()
    }

    /// Runs `loss.backward()` (the tensor sweep) and returns the gradient of every bound
    /// parameter that influences `loss`.
    #[track_caller]
    pub fn backward(&self, loss: Var<'t, T>) -> ParamGrads<T> {
        self.gradients(&loss.backward())
    }

    /// The bound parameters' gradients taken from a [`Grads`] the caller computed.
    ///
    /// Panics if `grads` were computed on another tape than this pass's, or on it before
    /// a [`Tape::clear`]: gradients of another computation never reach an optimizer.
    #[track_caller]
    pub fn gradients(&self, grads: &Grads<T>) -> ParamGrads<T> {
        let site = Location::caller();
        let mut by_param = IndexMap::new();
        for (&id, &v) in self.bound.borrow().iter() {
            match grads.try_get(v) {
                Ok(Some(g)) => {
                    by_param.insert(id, g.clone());
                }
                Ok(None) => {}
                Err(e) => panic!("gradients: {} (at {site})", e.message),
            }
        }
        ParamGrads { by_param }
    }
}

/// Gradients keyed by parameter, from [`Pass::backward`]: the nn-level counterpart of
/// core's [`Grads`], which is keyed by variable (a parameter is bound to a new variable on
/// every tape; its gradients here outlive the tape).
///
/// A parameter that was not bound, or does not influence the loss, has no entry:
/// optimizers leave it alone (as PyTorch does for `grad is None`).
#[derive(Clone, Debug)]
pub struct ParamGrads<T: Float> {
    by_param: IndexMap<ParamId, Tensor<T>>,
}

impl<T: Float> Default for ParamGrads<T> {
    fn default() -> Self {
        ParamGrads {
            by_param: IndexMap::new(),
        }
    }
}

impl<T: Float> ParamGrads<T> {
    /// No gradients.
    pub fn new() -> Self {
        Self::default()
    }

    /// Gradients by parameter id, in the given order.
    pub(crate) fn from_ids(grads: impl IntoIterator<Item = (ParamId, Tensor<T>)>) -> Self {
        ParamGrads {
            by_param: grads.into_iter().collect(),
        }
    }

    /// True when the parameter of this id has a gradient.
    pub(crate) fn has(&self, id: ParamId) -> bool {
        self.by_param.contains_key(&id)
    }

    /// The gradient of `param`, if it has one.
    pub fn get(&self, param: &Param<T>) -> Option<&Tensor<T>> {
        self.by_param.get(&param.id())
    }

    /// The gradient of `param`, zeros of its shape if it has none.
    pub fn wrt(&self, param: &Param<T>) -> Tensor<T> {
        self.get(param)
            .cloned()
            .unwrap_or_else(|| Tensor::zeros(&param.shape()))
    }

    /// Sets (or replaces) the gradient of `param`; panics if the shapes differ.
    #[track_caller]
    pub fn insert(&mut self, param: &Param<T>, grad: Tensor<T>) {
        assert!(
            grad.shape() == param.shape().as_slice(),
            "ParamGrads::insert: gradient of shape {:?} for a parameter of shape {:?}",
            grad.shape(),
            param.shape()
        );
        self.by_param.insert(param.id(), grad);
    }

    /// Number of parameters with a gradient.
    pub fn len(&self) -> usize {
        self.by_param.len()
    }

    /// True when no parameter has a gradient.
    pub fn is_empty(&self) -> bool {
        self.by_param.is_empty()
    }

    /// The Euclidean norm of all gradients taken together, accumulated in f64.
    pub fn global_norm(&self) -> f64 {
        crate::metrics::pairwise_sum(
            self.by_param
                .values()
                .flat_map(|g| g.as_slice())
                .map(|x| x.to_f64() * x.to_f64()),
        )
        .sqrt()
    }

    /// Multiplies every gradient by `factor`.
    pub fn scale(&mut self, factor: f64) {
        let f = T::from_f64(factor);
        for g in self.by_param.values_mut() {
            g.as_mut_slice().iter_mut().for_each(|x| *x *= f);
        }
    }

    /// Gradient clipping by global norm (PyTorch's `clip_grad_norm_`): when the norm of all
    /// gradients together exceeds `max_norm`, scales them by `max_norm / (norm + 1e-6)`.
    /// Returns the norm before clipping.
    ///
    /// ```
    /// use tapegrad_core::Tensor;
    /// use tapegrad_nn::{ParamGrads, Param};
    /// let p = Param::new(Tensor::<f64>::zeros(&[2]));
    /// let mut g = ParamGrads::new();
    /// g.insert(&p, Tensor::vector(vec![3.0, 4.0]));
    /// assert_eq!(g.clip_global_norm(1.0), 5.0);
    /// assert!((g.global_norm() - 1.0).abs() < 1e-6);
    /// ```
    pub fn clip_global_norm(&mut self, max_norm: f64) -> f64 {
        let norm = self.global_norm();
        let coef = max_norm / (norm + 1e-6);
        if coef < 1.0 {
            self.scale(coef);
        }
        norm
    }

    /// `(param id, gradient)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (ParamId, &Tensor<T>)> {
        self.by_param.iter().map(|(&id, g)| (id, g))
    }

    /// The gradients by parameter name, in the registry's order (for logging, tests).
    pub fn named<'a>(&'a self, params: &'a Params<T>) -> Vec<(&'a str, &'a Tensor<T>)> {
        params
            .iter()
            .filter_map(|(n, p)| self.get(p).map(|g| (n, g)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_twice_in_one_pass_is_one_node() {
        let w = Param::new(Tensor::<f64>::vector(vec![1.0, -2.0]));
        let tape = Tape::new();
        let pass = Pass::train(&tape);
        let a = pass.bind(&w);
        let b = pass.bind(&w.clone());
        assert_eq!(a.id(), b.id());
        assert_eq!(pass.bound_len(), 1);
        // d/dw Σ w·w = 2w, the two uses summed
        let g = pass.backward((a * b).sum());
        assert_eq!(g.wrt(&w).as_slice(), &[2.0, -4.0]);
    }

    fn stale_gradients_never_reach_an_optimizer<T: Float>() {
        let w = Param::new(Tensor::<T>::scalar(T::from_f64(3.0)));
        let mut kept = None;
        // a tape on the stack in a loop: the same address every time round
        for round in 0..2 {
            let tape = Tape::new();
            let pass = Pass::train(&tape);
            let v = pass.bind(&w);
            if let Some(old) = &kept {
                let caught =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pass.gradients(old)));
                let msg = *caught
                    .expect_err("gradients of an ended tape were accepted")
                    .downcast::<String>()
                    .unwrap();
                assert!(msg.contains("belongs to another tape"), "{msg}");
                assert!(msg.contains(file!()), "{msg}");
            }
            kept = Some((v * v * T::from_f64(round as f64 + 1.0)).backward());
        }
    }

    #[test]
    fn gradients_of_another_tape_are_refused_f64() {
        stale_gradients_never_reach_an_optimizer::<f64>();
    }

    #[test]
    fn gradients_of_another_tape_are_refused_f32() {
        stale_gradients_never_reach_an_optimizer::<f32>();
    }

    #[test]
    fn each_pass_binds_afresh() {
        let w = Param::new(Tensor::<f64>::scalar(1.0));
        let tape = Tape::new();
        let first = Pass::train(&tape).bind(&w);
        let second = Pass::train(&tape).bind(&w);
        assert_ne!(first.id(), second.id());
    }

    #[test]
    fn unused_param_has_no_gradient_and_wrt_gives_zeros() {
        let used = Param::new(Tensor::<f64>::scalar(2.0));
        let unused = Param::new(Tensor::<f64>::zeros(&[3]));
        let tape = Tape::new();
        let pass = Pass::train(&tape);
        let _ = pass.bind(&unused);
        let g = pass.backward(pass.bind(&used) * 3.0);
        assert_eq!(g.len(), 1);
        assert!(g.get(&unused).is_none());
        assert_eq!(g.wrt(&unused).as_slice(), &[0.0; 3]);
        assert_eq!(g.wrt(&used).item(), 3.0);
    }

    #[test]
    fn clip_leaves_small_gradients_alone() {
        let p = Param::new(Tensor::<f64>::zeros(&[2]));
        let mut g = ParamGrads::new();
        g.insert(&p, Tensor::vector(vec![0.3, 0.4]));
        assert!((g.clip_global_norm(1.0) - 0.5).abs() < 1e-15);
        assert_eq!(g.wrt(&p).as_slice(), &[0.3, 0.4]);
    }

    #[test]
    fn clip_scales_across_parameters_together() {
        let (p, q) = (
            Param::new(Tensor::<f64>::zeros(&[1])),
            Param::new(Tensor::<f64>::zeros(&[1])),
        );
        let mut g = ParamGrads::new();
        g.insert(&p, Tensor::vector(vec![6.0]));
        g.insert(&q, Tensor::vector(vec![8.0]));
        assert_eq!(g.clip_global_norm(5.0), 10.0);
        // scaled by 5 / (10 + 1e-6): the direction is kept
        let c = 5.0 / (10.0 + 1e-6);
        assert!((g.wrt(&p).item() - 6.0 * c).abs() < 1e-12);
        assert!((g.wrt(&q).item() - 8.0 * c).abs() < 1e-12);
    }
}
