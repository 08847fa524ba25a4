//! `Grads`: the gradients `Var::backward` returns, keyed by leaf, and the checks that keep
//! them from answering for another tape or recording.

use crate::tape::{NodeId, NodeKind, TapeIdentity};
use crate::{Error, ErrorKind, Float, Tape, Tensor, Var};
use std::panic::Location;

/// Gradients from [`Var::backward`], keyed by leaf variable.
///
/// They remember which tape (and which recording of it, see [`Tape::clear`]) they were
/// computed on: asked about a variable of any other, they refuse ("belongs to another
/// tape", "to a cleared tape") instead of answering for a different computation.
pub struct Grads<T: Float> {
    pub(super) identity: TapeIdentity,
    /// `(leaf id, gradient)`, ascending by id.
    pub(super) by_leaf: Vec<(NodeId, Tensor<T>)>,
    /// Stands in for the gradients a VJP asked for inside the tensor sweep, which then
    /// evaluates that VJP again, recorded (see `Eager::vjp`): answers zeros for anything.
    pub(super) placeholder: bool,
}

impl<T: Float> Grads<T> {
    /// The gradient of the root with respect to leaf `x`, or `None` if `x` does not
    /// influence the root (a leaf on no path to it, or a constant).
    ///
    /// Panics if `x` belongs to another tape, or to this tape before a
    /// [`clear`](Tape::clear), or is an intermediate value (the output of an op): this
    /// sweep keeps the gradients of leaves only, use [`Tape::grad`] for the others. See
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
    /// assert_eq!(tape.grad(h * 2.0, &[h])[0].item(), 2.0); // the way to intermediates
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
    fn of_node(&self, id: NodeId) -> Option<&Tensor<T>> {
        let at = self.by_leaf.binary_search_by_key(&id, |(i, _)| *i).ok()?;
        Some(&self.by_leaf[at].1)
    }

    /// The error (naming the caller's line) if these gradients were not computed on
    /// `tape` as it is now: another tape, or this one before a [`clear`](Tape::clear).
    #[track_caller]
    pub fn check_tape(&self, tape: &Tape<T>) -> Result<(), Error> {
        let site = Location::caller();
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

    pub(crate) fn try_wrt_at(
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
