//! Reverse mode: the one sweep over the tape, and its two doors.
//!
//! - [`Tape::grad`] records the gradient computation on the tape, so the gradients are
//!   variables that can be differentiated again (Hessian-vector products, Newton steps).
//! - [`Var::backward`] returns plain tensors and records nothing: the fast path for
//!   training loops.
//!
//! Both run the same loop ([`sweep`]); they differ only in what a gradient is (a `Var` or a
//! `Tensor`) and where the op's VJP is evaluated.

use crate::stored_op::StoredOp;
use crate::tape::{NodeId, NodeKind, TapeIdentity};
use crate::{Error, ErrorKind, Float, Tape, Tensor, Var};
use smallvec::SmallVec;
use std::panic::Location;

/// Gradients from [`Var::backward`], keyed by leaf variable.
///
/// They remember which tape (and which recording of it, see [`Tape::clear`]) they were
/// computed on: asked about a variable of any other, they refuse ("belongs to another
/// tape", "to a cleared tape") instead of answering for a different computation.
pub struct Grads<T: Float> {
    identity: TapeIdentity,
    /// `(leaf id, gradient)`, ascending by id.
    by_leaf: Vec<(NodeId, Tensor<T>)>,
    /// Stands in for the gradients a VJP asked for inside the tensor door, which then
    /// evaluates that VJP again, recorded (see `Eager::vjp`): answers zeros for anything.
    placeholder: bool,
}

impl<T: Float> Grads<T> {
    /// The gradient of the root with respect to leaf `x`, or `None` if `x` does not
    /// influence the root (a leaf on no path to it, or a constant).
    ///
    /// Panics if `x` belongs to another tape, or to this tape before a
    /// [`clear`](Tape::clear), or is an intermediate value (the output of an op): this
    /// door keeps the gradients of leaves only, use [`Tape::grad`] for the others. See
    /// [`try_get`](Self::try_get).
    #[track_caller]
    pub fn get(&self, x: Var<'_, T>) -> Option<&Tensor<T>> {
        match self.try_get_at(x, Location::caller()) {
            Ok(g) => g,
            Err(e) => panic!("{e}"),
        }
    }

    /// The fallible form of [`get`](Self::get).
    ///
    /// ```
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::scalar(3.0));
    /// let h = x * x;
    /// let grads = (h * 2.0).backward();
    /// assert_eq!(grads.try_get(x).unwrap().unwrap().item(), 12.0);
    /// let err = grads.try_get(h).unwrap_err();
    /// assert!(err.message.contains("intermediate"), "{err}");
    /// assert_eq!(tape.grad(h * 2.0, &[h])[0].item(), 2.0); // the door for intermediates
    /// ```
    #[track_caller]
    pub fn try_get(&self, x: Var<'_, T>) -> Result<Option<&Tensor<T>>, Error> {
        self.try_get_at(x, Location::caller())
    }

    /// The gradient with respect to `x`; zeros of `x`'s shape when `x` does not influence
    /// the root. Panics as [`get`](Self::get) does.
    #[track_caller]
    pub fn wrt(&self, x: Var<'_, T>) -> Tensor<T> {
        match self.try_wrt_at(x, Location::caller()) {
            Ok(g) => g,
            Err(e) => panic!("{e}"),
        }
    }

    /// The fallible form of [`wrt`](Self::wrt).
    #[track_caller]
    pub fn try_wrt(&self, x: Var<'_, T>) -> Result<Tensor<T>, Error> {
        self.try_wrt_at(x, Location::caller())
    }

    /// The leaves that received a gradient, with it, in creation order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Tensor<T>)> {
        self.by_leaf.iter().map(|(id, g)| (*id as usize, g))
    }

    /// The gradient of node `id` if it received one, with no check of the tape.
    pub(crate) fn of_node(&self, id: NodeId) -> Option<&Tensor<T>> {
        let at = self.by_leaf.binary_search_by_key(&id, |(i, _)| *i).ok()?;
        Some(&self.by_leaf[at].1)
    }

    /// The error if these gradients were not computed on `tape` as it is now.
    pub(crate) fn check_tape(
        &self,
        tape: &Tape<T>,
        site: &'static Location<'static>,
    ) -> Result<(), Error> {
        match self.identity.mismatch(tape.identity()) {
            None => Ok(()),
            Some(how) => Err(Error::at(
                how.kind(),
                "grads",
                format!(
                    "these gradients were not computed on this tape: they {}",
                    how.whose()
                ),
                site,
            )),
        }
    }

    /// The error if these gradients cannot answer for `x`.
    pub(crate) fn check(
        &self,
        x: Var<'_, T>,
        site: &'static Location<'static>,
    ) -> Result<(), Error> {
        if let Some(how) = self.identity.mismatch(x.tape.identity()) {
            let tape = if how.0 {
                "a later recording of the tape"
            } else {
                "another tape"
            };
            return Err(Error::at(
                how.kind(),
                "grads",
                format!(
                    "variable #{} belongs to {tape} than these gradients, which {}",
                    x.id,
                    how.whose()
                ),
                site,
            ));
        }
        if self.placeholder {
            return Ok(());
        }
        let nodes = x.tape.nodes.borrow();
        match nodes.get(x.id as usize) {
            Some(node) if node.kind == NodeKind::Op => Err(Error::at(
                ErrorKind::Intermediate,
                "grads",
                format!(
                    "variable #{} is an intermediate value (the output of `{}` created at {}), and backward() keeps the gradients of leaves only; use `tape.grad(y, &[h])` for the gradient with respect to an intermediate `h`",
                    x.id,
                    node.op.as_ref().map_or("an op", |op| op.get().name()),
                    node.site
                ),
                site,
            )),
            _ => Ok(()),
        }
    }

    fn try_get_at(
        &self,
        x: Var<'_, T>,
        site: &'static Location<'static>,
    ) -> Result<Option<&Tensor<T>>, Error> {
        self.check(x, site)?;
        Ok(self.of_node(x.id))
    }

    fn try_wrt_at(
        &self,
        x: Var<'_, T>,
        site: &'static Location<'static>,
    ) -> Result<Tensor<T>, Error> {
        Ok(match self.try_get_at(x, site)? {
            Some(g) => g.clone(),
            None => Tensor::zeros(&x.shape()),
        })
    }
}

/// One optional gradient per input of a node.
type PerInput<G> = SmallVec<[Option<G>; 2]>;

/// What distinguishes the two doors: what a gradient is, how an op's VJP is evaluated,
/// and how two contributions to one node are added.
pub(crate) trait Door<T: Float> {
    type Grad: Clone;

    /// The gradients of node `id`'s inputs given the node's cotangent `dy`, each already
    /// summed down to its input's shape.
    fn vjp(&mut self, id: NodeId, dy: Self::Grad) -> PerInput<Self::Grad>;

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
/// Returns `(id, cotangent)` for every reached node for which `keep` is true, by
/// descending id.
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
) -> Vec<(NodeId, D::Grad)> {
    let mut pending: Vec<Option<D::Grad>> = vec![None; root as usize + 1];
    let mut kept = Vec::new();
    pending[root as usize] = Some(seed);
    for id in (lowest..=root).rev() {
        let Some(dy) = pending[id as usize].take() else {
            continue;
        };
        let kind = tape.nodes.borrow()[id as usize].kind;
        if keep(id, kind) {
            kept.push((id, dy.clone()));
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
        for (k, dx) in dxs.into_iter().enumerate() {
            let Some(dx) = dx else {
                continue;
            };
            // A short borrow per input: the recorded door's `accumulate` records on the tape.
            let (input, requires_grad) = {
                let nodes = tape.nodes.borrow();
                let input = nodes[id as usize].inputs[k];
                (input, nodes[input as usize].requires_grad())
            };
            if !requires_grad {
                continue;
            }
            match &mut pending[input as usize] {
                Some(acc) => door.accumulate(acc, dx),
                slot @ None => *slot = Some(dx),
            }
        }
    }
    kept
}

/// Evaluates node `id`'s VJP for cotangent `dy` and hands `finish` the op's name, the
/// node's inputs and the gradients the VJP returned (one per input).
///
/// The op is taken out of its node while its VJP runs, so no borrow of the tape is held:
/// the VJP may record new nodes, or differentiate something itself (nested
/// differentiation). The op goes back into its node afterwards, also if the VJP panics.
fn with_node_vjp<'t, T: Float, R>(
    tape: &'t Tape<T>,
    id: NodeId,
    dy: Var<'t, T>,
    finish: impl FnOnce(&str, &[Var<'t, T>], SmallVec<[Option<Var<'t, T>>; 2]>) -> R,
) -> R {
    struct PutBack<'a, T: Float> {
        tape: &'a Tape<T>,
        id: NodeId,
        op: Option<StoredOp<T>>,
    }
    impl<T: Float> Drop for PutBack<'_, T> {
        fn drop(&mut self) {
            self.tape.nodes.borrow_mut()[self.id as usize].op = self.op.take();
        }
    }
    let (op, xs) = {
        let mut nodes = tape.nodes.borrow_mut();
        let node = &mut nodes[id as usize];
        let xs: SmallVec<[Var<'t, T>; 2]> =
            node.inputs.iter().map(|&i| Var { tape, id: i }).collect();
        (node.op.take().expect("op node without op"), xs)
    };
    let op = PutBack {
        tape,
        id,
        op: Some(op),
    };
    let op = op.op.as_ref().map(StoredOp::get).expect("just put there");
    let grads = op.vjp(&xs, Var { tape, id }, dy).0;
    check_arity(op.name(), grads.len(), xs.len());
    finish(op.name(), &xs, grads)
}

/// The recorded door: gradients are variables, VJPs are recorded on the same tape.
struct Recorded<'t, T: Float> {
    tape: &'t Tape<T>,
}

impl<'t, T: Float> Door<T> for Recorded<'t, T> {
    type Grad = Var<'t, T>;

    fn vjp(&mut self, id: NodeId, dy: Var<'t, T>) -> PerInput<Var<'t, T>> {
        with_node_vjp(self.tape, id, dy, |name, xs, grads| {
            grads
                .into_iter()
                .zip(xs)
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
        })
    }

    fn accumulate(&mut self, acc: &mut Var<'t, T>, g: Var<'t, T>) {
        *acc = *acc + g;
    }

    fn value(&self, g: &Var<'t, T>) -> Tensor<T> {
        g.value()
    }
}

/// The tensor door: gradients are tensors. Each VJP is evaluated with the tape in
/// values-only mode: the op's inputs and output are the recorded variables themselves
/// (nothing is copied), the cotangent and the VJP's intermediates are pushed as bare
/// values past the recorded nodes, and dropped again after the node.
///
/// # Design
/// A VJP that differentiates something itself (it calls [`Tape::grad`] or
/// [`Var::backward`]: an op defined implicitly, say) needs its own computation recorded,
/// which values-only mode does not do. Such a nested call sets the tape's
/// `nested_request` and answers zeros; the door then throws that result away, evaluates
/// the VJP once more with recording on, and forgets what it recorded. Ops that do not
/// differentiate inside their VJP, which is nearly all, pay one flag read.
pub(crate) struct Eager<'t, T: Float> {
    tape: &'t Tape<T>,
    /// Number of values (and nodes) before the sweep began.
    base: usize,
    /// Whether the tape was already in values-only mode (a nested `backward`).
    was_values_only: bool,
}

impl<'t, T: Float> Eager<'t, T> {
    /// The tensor door on `tape` (also used by `diagnostics::why_zero`).
    pub(crate) fn new(tape: &'t Tape<T>) -> Self {
        Eager {
            tape,
            base: tape.len(),
            was_values_only: tape.values_only.replace(true),
        }
    }

    /// The values of a VJP's gradients, each summed down to its input's shape.
    fn collect(
        &self,
        name: &str,
        xs: &[Var<'t, T>],
        grads: SmallVec<[Option<Var<'t, T>>; 2]>,
    ) -> PerInput<Tensor<T>> {
        let values = self.tape.values.borrow();
        grads
            .into_iter()
            .zip(xs)
            .map(|(g, x)| {
                g.map(|g| {
                    let shape = values[x.id as usize].shape();
                    let g = &values[g.id as usize];
                    if g.shape() == shape {
                        g.clone()
                    } else {
                        g.sum_to(shape)
                            .unwrap_or_else(|e| panic!("vjp of `{name}`: {e}"))
                    }
                })
            })
            .collect()
    }
}

impl<T: Float> Drop for Eager<'_, T> {
    /// Restores the tape even if a VJP panicked.
    fn drop(&mut self) {
        self.tape.truncate(self.base);
        self.tape.values_only.set(self.was_values_only);
    }
}

impl<T: Float> Door<T> for Eager<'_, T> {
    type Grad = Tensor<T>;

    fn vjp(&mut self, id: NodeId, dy: Tensor<T>) -> PerInput<Tensor<T>> {
        let tape = self.tape;
        tape.truncate_values(self.base);
        tape.nested_request.set(false);
        let dy_var = tape.constant(dy.clone());
        let out = with_node_vjp(tape, id, dy_var, |name, xs, grads| {
            self.collect(name, xs, grads)
        });
        if !tape.nested_request.replace(false) {
            return out;
        }
        // The VJP differentiated inside: evaluate it again, recorded (see `Eager`).
        drop(out);
        tape.truncate_values(self.base);
        tape.values_only.set(false);
        let recording = tape.recording.replace(true);
        let dy_var = tape.constant(dy);
        let out = with_node_vjp(tape, id, dy_var, |name, xs, grads| {
            self.collect(name, xs, grads)
        });
        tape.truncate(self.base);
        tape.recording.set(recording);
        tape.values_only.set(true);
        out
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
            self.check_owns("grad", *v, site)?;
        }
        if self.values_only.get() {
            // Nested in a VJP that the tensor door evaluates without recording: ask the
            // door to evaluate that VJP again, recorded, and answer zeros meanwhile.
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
        let wanted: Vec<NodeId> = xs.iter().map(|x| x.id).collect();
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
            .map(|x| match kept.iter().find(|(id, _)| *id == x.id) {
                Some(&(_, g)) => g,
                None => self.constant_at(Tensor::zeros(&x.shape()), site),
            })
            .collect())
    }
}

/// The error for an explicit seed whose shape is not the output's.
fn check_seed_shape(
    door: &str,
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
        door,
        format!("seed of shape {seed:?} for an output of shape {output:?}"),
        site,
    ))
}

/// A ones seed for a one-element output, or the error for any other shape.
fn unit_seed<T: Float>(
    y: Var<'_, T>,
    door: &str,
    site: &'static Location<'static>,
) -> Result<Tensor<T>, Error> {
    let shape = y.shape();
    if crate::tensor::numel(&shape) != 1 {
        return Err(Error::at(
            ErrorKind::NonScalarRoot {
                shape: shape.to_vec(),
            },
            door,
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
        let site = Location::caller();
        let tape = self.tape;
        if tape.values_only.get() {
            // Nested in a VJP that the tensor door evaluates (see `Tape::try_grad`).
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
        let mut door = Eager::new(self.tape);
        let mut by_leaf = sweep(
            self.tape,
            self.id,
            seed,
            0,
            |_, kind| kind == NodeKind::Leaf,
            &mut door,
        );
        by_leaf.reverse();
        Ok(Grads {
            identity: tape.identity(),
            by_leaf,
            placeholder: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{NodeKind, Tape, Tensor};

    #[test]
    fn backward_twice_gives_the_same_fresh_gradients() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![1.0, -2.0]));
        let y = (x * x * 3.0).sum();
        let first = y.backward().wrt(x);
        let second = y.backward().wrt(x);
        assert_eq!(first.as_slice(), &[6.0, -12.0]);
        assert_eq!(first, second);
    }

    #[test]
    fn non_scalar_root_without_seed_is_an_error() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![1.0, 2.0]));
        let y = x * 2.0;
        let e = y
            .try_backward(None)
            .err()
            .expect("two-element root must be refused");
        assert_eq!(e.op, "backward");
        assert!(e.message.contains("[2]"), "{e}");
        let e = tape.try_grad(y, None, &[x]).unwrap_err();
        assert_eq!(e.op, "grad");
        // with a seed it is a vector-Jacobian product
        let g = y.backward_with(Tensor::vector(vec![1.0, 10.0]));
        assert_eq!(g.wrt(x).as_slice(), &[2.0, 20.0]);
        let seed = tape.constant(Tensor::vector(vec![1.0, 10.0]));
        assert_eq!(
            tape.grad_with(y, seed, &[x])[0].value().as_slice(),
            &[2.0, 20.0]
        );
    }

    #[test]
    fn seed_of_wrong_shape_is_an_error() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![1.0, 2.0]));
        let e = (x * 2.0)
            .try_backward(Some(Tensor::zeros(&[3])))
            .err()
            .unwrap();
        assert!(
            e.message.contains("[3]") && e.message.contains("[2]"),
            "{e}"
        );
    }

    #[test]
    fn unconnected_variable_gets_zero_gradient() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::scalar(1.0));
        let unused = tape.leaf(Tensor::from_vec(vec![1.0; 6], &[2, 3]));
        let y = x.exp();
        assert!(y.backward().get(unused).is_none());
        assert_eq!(y.backward().wrt(unused), Tensor::zeros(&[2, 3]));
        let g = tape.grad(y, &[x, unused]);
        assert_eq!(g[1].value(), Tensor::zeros(&[2, 3]));
        assert_eq!(g[1].kind(), NodeKind::Constant);
    }

    #[test]
    fn gradient_with_respect_to_an_intermediate_variable() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::scalar(3.0));
        let h = x * x; // 9
        let y = h * h; // dy/dh = 2h = 18
        assert_eq!(tape.grad(y, &[h])[0].item(), 18.0);
        assert_eq!(tape.grad(y, &[y])[0].item(), 1.0);
    }

    #[test]
    fn grads_refuse_an_intermediate_naming_its_op_and_line() {
        let tape = Tape::<f32>::new();
        let x = tape.leaf(Tensor::scalar(3.0));
        let line = line!() + 1;
        let h = x * x;
        let grads = (h * h).backward();
        let err = grads.try_wrt(h).unwrap_err();
        assert!(err.message.contains("intermediate"), "{err}");
        assert!(err.message.contains("`mul`"), "{err}");
        assert!(
            err.message.contains(&format!("{}:{line}", file!())),
            "{err}"
        );
        assert!(grads.try_get(h).is_err());
        // never a silent zero through the panicking forms either
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| grads.wrt(h)));
        assert!(caught.is_err(), "wrt(intermediate) answered");
        // leaves and constants still answer
        assert_eq!(grads.wrt(x).item(), 108.0); // d(x⁴)/dx = 4x³
        let c = tape.constant(Tensor::scalar(1.0));
        assert_eq!(grads.wrt(c).item(), 0.0);
    }

    #[test]
    fn backward_of_a_root_without_leaves_is_refused() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::scalar(2.0));
        let y = tape.no_grad(|| x.exp() * x);
        let err = y
            .try_backward(None)
            .err()
            .expect("no_grad root must be refused");
        assert_eq!(err.op, "backward");
        assert!(err.message.contains("does not depend on any leaf"), "{err}");
        let c = tape.constant(Tensor::scalar(1.0));
        assert!((c * c).try_backward(None).is_err());
        // the recorded door answers zeros (a Hessian of a linear function is zero)
        assert_eq!(tape.grad(y, &[x])[0].item(), 0.0);
    }

    #[test]
    fn detach_and_constants_block_gradients() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::scalar(2.0));
        let y = x * x.detach(); // d/dx = x (the detached factor is a constant)
        assert_eq!(y.backward().wrt(x).item(), 2.0);
        let c = tape.constant(Tensor::scalar(5.0));
        assert_eq!((c * c).kind(), NodeKind::Constant);
        assert_eq!(tape.grad(c * x, &[c])[0].item(), 0.0);
    }

    #[test]
    fn no_grad_records_nothing_and_restores_recording() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::scalar(2.0));
        let y = tape.no_grad(|| x.exp() * x);
        assert_eq!(y.kind(), NodeKind::Constant);
        assert!(tape.is_recording());
        assert_eq!((y * x).backward().wrt(x).item(), y.item());
    }

    #[test]
    fn variables_of_two_tapes_do_not_mix() {
        let (t1, t2) = (Tape::<f64>::new(), Tape::<f64>::new());
        let a = t1.leaf(Tensor::scalar(1.0));
        let b = t2.leaf(Tensor::scalar(2.0));
        let e = a.try_add(b).unwrap_err();
        assert_eq!(e.op, "add");
        assert!(e.message.contains("another tape"), "{e}");
        assert!(t1.try_grad(a, None, &[b]).is_err());
    }

    #[test]
    #[should_panic(expected = "another tape")]
    fn grads_refuse_a_variable_of_another_tape() {
        let (t1, t2) = (Tape::<f64>::new(), Tape::<f64>::new());
        let a = t1.leaf(Tensor::scalar(1.0));
        let b = t2.leaf(Tensor::scalar(1.0));
        let _ = (a * 2.0).backward().get(b);
    }

    #[test]
    fn third_derivative_through_repeated_grad() {
        // f = x⁴: f' = 4x³, f'' = 12x², f''' = 24x
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::scalar(1.5));
        let f = x * x * x * x;
        let d1 = tape.grad(f, &[x])[0];
        let d2 = tape.grad(d1, &[x])[0];
        let d3 = tape.grad(d2, &[x])[0];
        assert_eq!((d1.item(), d2.item(), d3.item()), (13.5, 27.0, 36.0));
    }

    #[test]
    fn the_first_order_door_holds_no_backward_nodes() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::scalar(0.5));
        let y = (x * x).exp() * x;
        let before = tape.len();
        let _ = y.backward();
        assert_eq!(tape.len(), before, "backward() must not record");
        let _ = tape.grad(y, &[x]);
        assert!(tape.len() > before, "grad() records its computation");
    }

    #[test]
    fn f32_tapes_work_like_f64() {
        let tape = Tape::<f32>::new();
        let x = tape.leaf(Tensor::scalar(2.0f32));
        let y = x * x * x;
        assert_eq!(y.backward().wrt(x).item(), 12.0f32);
        let d1 = tape.grad(y, &[x])[0];
        assert_eq!(tape.grad(d1, &[x])[0].item(), 12.0f32);
    }
}
