//! `Var`: a `Copy` handle to a node of a tape, with arithmetic operators.
//! The ops behind the operators live in `ops/` (float operands in `ops/binary/scalar.rs`).

use crate::tape::{NodeId, NodeKind};
use crate::{Float, Shape, Tape, Tensor};
use std::fmt;
use std::panic::Location;

/// A variable: a node on a [`Tape`]. Cheap to copy, so expressions read like maths.
///
/// ```
/// use tapegrad_core::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.leaf(Tensor::scalar(3.0));
/// let y = 2.0 * x * x - x / 4.0 + 1.0;
/// assert_eq!(y.item(), 18.25);
/// assert_eq!(y.backward().wrt(x).item(), 11.75); // 4x - 1/4
/// ```
#[derive(Clone, Copy)]
pub struct Var<'t, T: Float> {
    pub(crate) tape: &'t Tape<T>,
    pub(crate) id: NodeId,
}

impl<'t, T: Float> Var<'t, T> {
    /// The tape this variable lives on.
    pub fn tape(self) -> &'t Tape<T> {
        self.tape
    }

    /// The node's position on its tape (creation order).
    pub fn id(self) -> usize {
        self.id as usize
    }

    /// The value (a cheap clone: one element inline, more shared).
    pub fn value(self) -> Tensor<T> {
        self.tape.value_ref(self.id).clone()
    }

    /// The shape of the value.
    pub fn shape(self) -> Shape {
        self.tape.value_ref(self.id).shape().into()
    }

    /// The single element of a one-element value; panics otherwise.
    #[track_caller]
    pub fn item(self) -> T {
        self.tape.value_ref(self.id).item()
    }

    /// Where in the user's code this node was created (`None` for the values a VJP
    /// sees inside [`backward`](Var::backward), which are not recorded).
    pub fn site(self) -> Option<&'static Location<'static>> {
        self.tape
            .nodes
            .borrow()
            .get(self.id as usize)
            .map(|n| n.site)
    }

    /// Leaf, constant or op output.
    pub fn kind(self) -> NodeKind {
        self.tape.kind(self)
    }

    /// Whether a gradient can flow into this variable: false for a constant. The backward
    /// sweep drops a constant's gradient, so a VJP may skip computing it and return
    /// `None` (a product with a constant matrix then costs one product, not two).
    ///
    /// ```
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let (x, c) = (tape.leaf(Tensor::scalar(1.0)), tape.constant(Tensor::scalar(2.0)));
    /// assert_eq!((x.needs_grad(), c.needs_grad(), (x * c).needs_grad()), (true, false, true));
    /// ```
    pub fn needs_grad(self) -> bool {
        self.kind() != NodeKind::Constant
    }

    /// The same value as a constant: gradients do not flow through it.
    #[track_caller]
    pub fn detach(self) -> Self {
        self.tape.constant_at(self.value(), Location::caller())
    }

    /// A constant on this variable's tape (how float operands enter expressions).
    #[track_caller]
    pub fn constant(self, value: Tensor<T>) -> Self {
        self.tape.constant_at(value, Location::caller())
    }

    /// A constant scalar on this variable's tape.
    #[track_caller]
    pub fn scalar(self, x: T) -> Self {
        self.tape.constant_at(Tensor::scalar(x), Location::caller())
    }
}

impl<T: Float> Tape<T> {
    /// A constant attributed to `site` (the user's line, for dumps and errors).
    pub(crate) fn constant_at(
        &self,
        value: Tensor<T>,
        site: &'static Location<'static>,
    ) -> Var<'_, T> {
        self.push_value(value, NodeKind::Constant, site)
    }
}

impl<T: Float> fmt::Debug for Var<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Var#{}({:?})", self.id, self.value())
    }
}

impl<T: Float> fmt::Display for Var<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.tape.value_ref(self.id), f)
    }
}
