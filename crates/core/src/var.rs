//! `Var`: a `Copy` handle to a node of a tape, with arithmetic operators.
//! The ops behind the operators live in `ops/`; here are the handle and the float-operand
//! forms (`x + 1.0`, `2.0 * x`), which turn the float into a constant node.

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

    /// Where in the user's code this node was created.
    pub fn site(self) -> &'static Location<'static> {
        self.tape.nodes.borrow()[self.id as usize].site
    }

    /// Leaf, constant or op output.
    pub fn kind(self) -> NodeKind {
        self.tape.kind(self)
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

/// `var ∘ float`, `float ∘ var` for `+ - * /`: the float becomes a scalar constant and the
/// Var-Var operator (defined with its op in `ops/`) does the rest, broadcasting included.
macro_rules! float_operands {
    ($trait:ident, $method:ident) => {
        impl<'t, T: Float> std::ops::$trait<T> for Var<'t, T> {
            type Output = Var<'t, T>;
            #[track_caller]
            fn $method(self, rhs: T) -> Var<'t, T> {
                let rhs = self.tape.constant_at(Tensor::scalar(rhs), Location::caller());
                std::ops::$trait::$method(self, rhs)
            }
        }
        float_operands!(@lhs $trait, $method, f32);
        float_operands!(@lhs $trait, $method, f64);
    };
    (@lhs $trait:ident, $method:ident, $t:ty) => {
        impl<'t> std::ops::$trait<Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn $method(self, rhs: Var<'t, $t>) -> Var<'t, $t> {
                let lhs = rhs.tape.constant_at(Tensor::scalar(self), Location::caller());
                std::ops::$trait::$method(lhs, rhs)
            }
        }
    };
}

float_operands!(Add, add);
float_operands!(Sub, sub);
float_operands!(Mul, mul);
float_operands!(Div, div);
