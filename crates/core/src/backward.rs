//! Reverse mode: the one sweep over the tape, and its two doors.
//!
//! - [`Tape::grad`] records the gradient computation on the tape, so the gradients are
//!   variables that can be differentiated again (Hessian-vector products, Newton steps).
//! - [`Var::backward`] returns plain tensors and records nothing: the fast path for
//!   training loops.
//!
//! Both run the same loop ([`sweep`]); they differ only in what a gradient is (a `Var` or a
//! `Tensor`) and where the op's VJP is evaluated.

use crate::tape::{NodeId, NodeKind};
use crate::{Error, Float, Tape, Tensor, Var};
use smallvec::SmallVec;
use std::panic::Location;

/// Gradients from [`Var::backward`], keyed by leaf variable.
pub struct Grads<T: Float> {
    tape: *const Tape<T>,
    /// Indexed by node id; only leaves keep an entry.
    by_node: Vec<Option<Tensor<T>>>,
}

impl<T: Float> Grads<T> {
    /// The gradient of the root with respect to leaf `x`, or `None` if `x` does not
    /// influence the root (or is not a leaf).
    #[track_caller]
    pub fn get(&self, x: Var<'_, T>) -> Option<&Tensor<T>> {
        assert!(
            std::ptr::eq(self.tape, x.tape),
            "grads: variable #{} belongs to another tape",
            x.id
        );
        self.by_node.get(x.id as usize).and_then(Option::as_ref)
    }

    /// The gradient with respect to `x`, zeros of `x`'s shape when `x` does not influence
    /// the root.
    #[track_caller]
    pub fn wrt(&self, x: Var<'_, T>) -> Tensor<T> {
        match self.get(x) {
            Some(g) => g.clone(),
            None => Tensor::zeros(&x.shape()),
        }
    }
}

/// What distinguishes the two doors: what a gradient is, how an op's VJP is evaluated,
/// and how two contributions to one node are added.
pub(crate) trait Door<T: Float> {
    type Grad: Clone;

    /// The gradients of node `id`'s inputs given the node's cotangent `dy`, each already
    /// summed down to its input's shape.
    fn vjp(&mut self, id: NodeId, dy: Self::Grad) -> SmallVec<[Option<Self::Grad>; 2]>;

    /// `acc += g`.
    fn accumulate(&mut self, acc: &mut Self::Grad, g: Self::Grad);

    /// The value of a gradient (for anomaly mode and diagnostics).
    fn value(&self, g: &Self::Grad) -> Tensor<T>;
}

/// `door.vjp` in anomaly mode: ops the VJP records are attributed to node `id`, and the
/// gradients it returns are checked for NaN and infinities.
fn vjp_watched<T: Float, D: Door<T>>(
    tape: &Tape<T>,
    door: &mut D,
    id: NodeId,
    dy: D::Grad,
) -> SmallVec<[Option<D::Grad>; 2]> {
    let dy_value = door.value(&dy);
    let outer = tape.anomaly.enter_vjp(tape, id, &dy_value);
    let dxs = door.vjp(id, dy);
    tape.anomaly.leave_vjp(outer);
    for (input, dx) in dxs.iter().enumerate() {
        if let Some(dx) = dx {
            tape.anomaly
                .gradient(tape, id, input, &dy_value, &door.value(dx));
        }
    }
    dxs
}

/// The reverse sweep: visits nodes from `root` down to `lowest` in reverse creation order,
/// hands each reached op node's cotangent to its VJP and adds the results into its inputs.
/// Returns the cotangent of every node for which `keep` is true.
///
/// # Design
/// Creation order is a topological order, so there is no sort and no visited set: one
/// loop, one vector of pending cotangents that is emptied as the loop passes, so the
/// first-order door holds at most the gradients of the live frontier.
pub(crate) fn sweep<T: Float, D: Door<T>>(
    tape: &Tape<T>,
    root: NodeId,
    seed: D::Grad,
    lowest: NodeId,
    keep: impl Fn(NodeId, NodeKind) -> bool,
    door: &mut D,
) -> Vec<Option<D::Grad>> {
    let n = root as usize + 1;
    let mut pending: Vec<Option<D::Grad>> = vec![None; n];
    let mut kept: Vec<Option<D::Grad>> = vec![None; n];
    pending[root as usize] = Some(seed);
    for id in (lowest..=root).rev() {
        let Some(dy) = pending[id as usize].take() else {
            continue;
        };
        let (kind, inputs) = {
            let nodes = tape.nodes.borrow();
            let node = &nodes[id as usize];
            let inputs: SmallVec<[(NodeId, bool); 2]> = node
                .inputs
                .iter()
                .map(|&i| (i, nodes[i as usize].requires_grad()))
                .collect();
            (node.kind, inputs)
        };
        if keep(id, kind) {
            kept[id as usize] = Some(dy.clone());
        }
        if kind != NodeKind::Op {
            continue;
        }
        // Anomaly mode: when off, this flag read is the whole cost.
        let dxs = if tape.anomaly.is_on() {
            vjp_watched(tape, door, id, dy)
        } else {
            door.vjp(id, dy)
        };
        for ((input, requires_grad), dx) in inputs.into_iter().zip(dxs) {
            let (Some(dx), true) = (dx, requires_grad) else {
                continue;
            };
            match &mut pending[input as usize] {
                Some(acc) => door.accumulate(acc, dx),
                slot @ None => *slot = Some(dx),
            }
        }
    }
    kept
}

/// The recorded door: gradients are variables, VJPs are recorded on the same tape.
struct Recorded<'t, T: Float> {
    tape: &'t Tape<T>,
}

impl<'t, T: Float> Door<T> for Recorded<'t, T> {
    type Grad = Var<'t, T>;

    fn vjp(&mut self, id: NodeId, dy: Var<'t, T>) -> SmallVec<[Option<Var<'t, T>>; 2]> {
        let tape = self.tape;
        // The op is taken out of its node while its VJP runs, so no borrow of the tape is
        // held while the VJP records new nodes on it.
        let (op, inputs) = {
            let mut nodes = tape.nodes.borrow_mut();
            let node = &mut nodes[id as usize];
            (
                node.op.take().expect("op node without op"),
                node.inputs.clone(),
            )
        };
        let xs: SmallVec<[Var<'t, T>; 2]> = inputs.iter().map(|&i| Var { tape, id: i }).collect();
        let grads = op.vjp(&xs, Var { tape, id }, dy).0;
        let name = op.name().to_string();
        tape.nodes.borrow_mut()[id as usize].op = Some(op);
        check_arity(&name, grads.len(), xs.len());
        grads
            .into_iter()
            .zip(&xs)
            .map(|(g, x)| {
                g.map(|g| {
                    let shape = x.shape();
                    if g.shape() == shape {
                        g
                    } else {
                        g.try_sum_to(&shape)
                            .unwrap_or_else(|e| panic!("vjp of `{name}`: {}", e.message))
                    }
                })
            })
            .collect()
    }

    fn accumulate(&mut self, acc: &mut Var<'t, T>, g: Var<'t, T>) {
        *acc = *acc + g;
    }

    fn value(&self, g: &Var<'t, T>) -> Tensor<T> {
        g.value()
    }
}

/// The tensor door: gradients are tensors; each VJP runs on a scratch tape that does not
/// record and is emptied after every node, so nothing of the backward pass is kept.
pub(crate) struct Eager<'t, T: Float> {
    tape: &'t Tape<T>,
    scratch: Tape<T>,
}

impl<'t, T: Float> Eager<'t, T> {
    /// The tensor door on `tape` (also used by `diagnostics::why_zero`).
    pub(crate) fn new(tape: &'t Tape<T>) -> Self {
        Eager {
            tape,
            scratch: Tape::with_capacity(16),
        }
    }
}

impl<T: Float> Door<T> for Eager<'_, T> {
    type Grad = Tensor<T>;

    fn vjp(&mut self, id: NodeId, dy: Tensor<T>) -> SmallVec<[Option<Tensor<T>>; 2]> {
        let scratch = &self.scratch;
        scratch.truncate(0);
        // The main tape is only read here: the VJP records on `scratch`.
        let nodes = self.tape.nodes.borrow();
        let node = &nodes[id as usize];
        let op = node.op.as_deref().expect("op node without op");
        let xs: SmallVec<[Var<'_, T>; 2]> = node
            .inputs
            .iter()
            .map(|&i| scratch.constant(nodes[i as usize].value.clone()))
            .collect();
        let y = scratch.constant(node.value.clone());
        let grads = scratch.no_grad(|| op.vjp(&xs, y, scratch.constant(dy)).0);
        check_arity(op.name(), grads.len(), xs.len());
        grads
            .into_iter()
            .zip(&node.inputs)
            .map(|(g, &i)| {
                g.map(|g| {
                    let shape = nodes[i as usize].value.shape();
                    let g = scratch.value_ref(g.id).clone();
                    if g.shape() == shape {
                        g
                    } else {
                        g.sum_to(shape)
                            .unwrap_or_else(|e| panic!("vjp of `{}`: {e}", op.name()))
                    }
                })
            })
            .collect()
    }

    fn accumulate(&mut self, acc: &mut Tensor<T>, g: Tensor<T>) {
        for (a, b) in acc.as_mut_slice().iter_mut().zip(g.as_slice()) {
            *a += *b;
        }
    }

    fn value(&self, g: &Tensor<T>) -> Tensor<T> {
        g.clone()
    }
}

#[track_caller]
fn check_arity(op: &str, got: usize, want: usize) {
    assert!(
        got == want,
        "vjp of `{op}` returned {got} gradients for {want} inputs"
    );
}

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
            if !std::ptr::eq(v.tape, self) {
                return Err(Error {
                    op: "grad".into(),
                    message: format!("variable #{} belongs to another tape", v.id),
                    location: site,
                });
            }
        }
        let seed = match seed {
            Some(s) if s.shape() == y.shape() => s,
            Some(s) => {
                return Err(Error {
                    op: "grad".into(),
                    message: format!(
                        "seed of shape {:?} for an output of shape {:?}",
                        s.shape(),
                        y.shape()
                    ),
                    location: site,
                })
            }
            None => self.constant_at(unit_seed(y, "grad", site)?, site),
        };
        let lowest = xs.iter().map(|x| x.id).min().unwrap_or(y.id).min(y.id);
        let wanted: SmallVec<[NodeId; 4]> = xs.iter().map(|x| x.id).collect();
        let kept = sweep(
            self,
            y.id,
            seed,
            lowest,
            |id, _| wanted.contains(&id),
            &mut Recorded { tape: self },
        );
        Ok(xs
            .iter()
            .map(|x| match kept.get(x.id as usize).cloned().flatten() {
                Some(g) => g,
                None => self.constant_at(Tensor::zeros(&x.shape()), site),
            })
            .collect())
    }
}

/// A ones seed for a one-element output, or the error for any other shape.
fn unit_seed<T: Float>(
    y: Var<'_, T>,
    door: &str,
    site: &'static Location<'static>,
) -> Result<Tensor<T>, Error> {
    let shape = y.shape();
    if shape.iter().product::<usize>() != 1 {
        return Err(Error {
            op: door.into(),
            message: format!(
                "output has shape {shape:?}, not one element; reduce it (e.g. `.sum()`) or pass a seed"
            ),
            location: site,
        });
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
        let site = Location::caller();
        let shape = self.shape();
        let seed = match seed {
            Some(s) if s.shape() == shape.as_slice() => s,
            Some(s) => {
                return Err(Error {
                    op: "backward".into(),
                    message: format!(
                        "seed of shape {:?} for an output of shape {:?}",
                        s.shape(),
                        shape
                    ),
                    location: site,
                })
            }
            None => unit_seed(self, "backward", site)?,
        };
        let mut door = Eager::new(self.tape);
        let by_node = sweep(
            self.tape,
            self.id,
            seed,
            0,
            |_, kind| kind == NodeKind::Leaf,
            &mut door,
        );
        Ok(Grads {
            tape: self.tape,
            by_node,
        })
    }
}
