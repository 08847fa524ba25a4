//! The op trait: the one way anything enters the tape, for built-in and user ops alike.
//!
//! An op is a name, a forward on plain tensors that validates its inputs, and a
//! vector-Jacobian product written with [`Var`] operations. Because the VJP is itself
//! recorded when it needs to be, every op is differentiable to any order with no extra code.
//!
//! A complete user op, `cube(x) = x³` with `d/dx = 3x²`, used to second order:
//!
//! ```
//! use tapegrad_core::{Float, InputGrads, Op, Tape, Tensor, TensorError, Var};
//!
//! /// `y = x³`, `dx = dy · 3x²`.
//! struct Cube;
//!
//! impl<T: Float> Op<T> for Cube {
//!     fn name(&self) -> &str {
//!         "cube"
//!     }
//!     fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
//!         Ok(xs[0].map(|x| x * x * x))
//!     }
//!     fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
//!         let x = xs[0];
//!         [Some(dy * x * x * T::from_f64(3.0))].into()
//!     }
//! }
//!
//! let tape = Tape::<f64>::new();
//! let x = tape.leaf(Tensor::scalar(2.0));
//! let y = tape.apply(Cube, &[x]);
//! assert_eq!(y.item(), 8.0);
//! let dx = tape.grad(y, &[x])[0];
//! assert_eq!(dx.item(), 12.0); // 3·2²
//! let ddx = tape.grad(dx, &[x])[0];
//! assert_eq!(ddx.item(), 12.0); // 6·2
//! ```

use crate::structure::Structure;
use crate::{Activation, Float, Tensor, TensorError, Var};
use smallvec::SmallVec;

/// A differentiable operation on tensors.
///
/// Implement it once and the op is first-class: recorded on the tape, differentiable to
/// any order, checkable with the gradient checker, named in errors.
///
/// # Contract
/// - `forward` sees only tensors, must not panic on bad shapes, and returns a
///   [`TensorError`] naming the shapes instead; the tape adds the op name and caller line.
/// - `vjp` gets the op's inputs `xs`, its output `y` and the cotangent `dy` (shaped like
///   `y`) as variables, and returns one entry per input: `Some(dx)` or `None` for "no
///   gradient" (a constant operand, an integer index). `dx` may have `y`'s broadcast
///   shape: the backward sweep sums it down to the input's shape, so an op never undoes
///   broadcasting itself.
/// - `vjp` uses only `Var` operations, never raw buffers, so that its result can itself be
///   differentiated.
pub trait Op<T: Float>: 'static {
    /// Short lower-case name, as the method that applies the op (`"exp"`, `"matmul"`).
    fn name(&self) -> &str;

    /// Computes the output from the inputs, or says why it cannot.
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError>;

    /// The vector-Jacobian product: the cotangent of each input given the output's.
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T>;

    /// [`forward`](Self::forward) written into `out`, whose buffer the op may reuse when
    /// it holds the only reference to it (`out`'s old value is dead): what a
    /// [`Plan`](crate::Plan)'s replay calls, so that an op that overrides it allocates
    /// nothing per replay. Same values as `forward`; the default calls it.
    fn forward_into(&self, xs: &[&Tensor<T>], out: &mut Tensor<T>) -> Result<(), TensorError> {
        *out = self.forward(xs)?;
        Ok(())
    }

    /// [`forward_into`](Self::forward_into), with `then` applied to every value of `out`
    /// if the op can do it as it writes them; returns whether it did.
    ///
    /// A [`Plan`](crate::Plan) calls it when `then`'s op is the only reader of this op's
    /// output (`linear` then `relu`), and applies `then` itself when the answer is `false`:
    /// an op whose kernel can apply it while the values are still in registers (`linear`,
    /// in its matrix product's tiles) saves a pass over its output. Where it returns
    /// `true`, `out` must hold `then.apply` of `forward`'s values, to the bit (the
    /// op-author's kit checks it). The default computes `forward_into` and returns `false`.
    fn forward_into_then(
        &self,
        xs: &[&Tensor<T>],
        out: &mut Tensor<T>,
        then: Activation,
    ) -> Result<bool, TensorError> {
        let _ = then;
        self.forward_into(xs, out)?;
        Ok(false)
    }

    /// True when the inputs sit at a point where the op is not differentiable (`relu` or
    /// `abs` at 0, a tie in `maximum` or a `max` reduction, `sqrt` at 0). The VJP still
    /// returns the documented convention there; gradient checks report such points as
    /// kinks instead of errors, since finite differences straddle the kink.
    fn is_at_kink(&self, _xs: &[&Tensor<T>]) -> bool {
        false
    }

    /// A longer label for graph dumps, including the op's parameters (`"powi(3)"`).
    fn label(&self) -> String {
        self.name().to_string()
    }

    /// Which input elements each output element depends on, and which second
    /// derivatives may be nonzero, given the inputs' and the output's shapes: what sparse
    /// Jacobians and Hessians are detected from (`func::sparse_hessian`).
    ///
    /// The default, [`Structure::dense`], is always correct; a tighter answer makes sparse
    /// derivatives cheaper. An answer that is too tight makes them wrong: the op-author's
    /// kit checks it against the op's derivatives. For `cube` above:
    /// `Structure::elementwise(Curvature::Nonlinear)`.
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::dense()
    }

    /// True when [`vjp`](Self::vjp) also holds for a *batch* of cotangents: `dy` with one
    /// more axis in front (`k` cotangents stacked), giving each gradient that same leading
    /// axis. That is so when the VJP uses `dy` only through element-wise operations that
    /// broadcast (`dy * x`, `-dy`, `select(mask, dy, 0)`) and `matmul` (whose batch axes
    /// broadcast), never through its shape (no `sum`, `reshape` or axis argument on `dy`).
    ///
    /// The batched sweeps of [`func`](crate::func) (Jacobians by rows, Hessians, batched
    /// VJPs) push all `k` cotangents through such a node at once; through any other node
    /// they run the VJP once per cotangent. The default, `false`, is always correct; a
    /// wrong `true` gives wrong batched derivatives, which the op-author's kit
    /// (`tapegrad_check`) detects by comparing against one VJP per cotangent. For `cube`
    /// above (`dy * x * x * 3`): `true`.
    fn vjp_batches(&self) -> bool {
        false
    }

    /// The local partial derivatives `∂y/∂xᵢ` at a point where the inputs and the output
    /// are single numbers (rank 0), when the VJP there is `dxᵢ = dy · pᵢ`, one product,
    /// so that `dy · pᵢ` is what [`vjp`](Self::vjp) computes, to the bit. Unused entries
    /// are ignored (one input: `[p, 0]`).
    ///
    /// The tape asks for them when it records such a node, and
    /// [`Var::backward`](crate::Var::backward) then multiplies instead of running the VJP
    /// as ops: on scalar code that is most of a first-order sweep's cost (the local
    /// partials of a Jacobian-taping tape). Keep it cheap: it runs at every recorded
    /// scalar node, whether or not a sweep follows. [`Tape::grad`](crate::Tape::grad) always runs
    /// the VJP, so higher orders are unchanged. `None`, the default, runs the VJP; ops
    /// whose VJP divides, or multiplies by more than one factor, keep it. For `cube` above
    /// (`dy * x * x * 3`, three products): `None`.
    fn scalar_partials(&self, _xs: &[T], _y: T) -> Option<[T; 2]> {
        None
    }

    /// The value at single numbers (one or two inputs, each of rank 0), computed without
    /// tensors: what [`forward`](Self::forward) gives there, to the bit, or `None`, the
    /// default, to run `forward`.
    ///
    /// The tape calls it for every op applied to single numbers, so on scalar code it
    /// saves building and moving a tensor per op (about a third of recording one). An
    /// element-wise op gives its element function here, the same one `forward` maps. The
    /// op-author's kit (`tapegrad_check`) compares the two. For `cube` above:
    /// `Some(xs[0] * xs[0] * xs[0])`.
    fn scalar_forward(&self, _xs: &[T]) -> Option<T> {
        None
    }

    /// The op's Rust type (`std::any::type_name`): how a [`Plan`](crate::Plan)'s
    /// optimiser tells the built-in ops it knows from a user op of the same name. Keep
    /// the default.
    #[doc(hidden)]
    fn type_name(&self) -> &'static str {
        std::any::type_name::<Self>()
    }
}

/// What a VJP returns: one optional gradient per input, in input order.
///
/// Build it from an array: `[Some(dx)].into()` or `[Some(da), None].into()`.
pub struct InputGrads<'t, T: Float>(pub SmallVec<[Option<Var<'t, T>>; 2]>);

impl<'t, T: Float, const N: usize> From<[Option<Var<'t, T>>; N]> for InputGrads<'t, T> {
    fn from(grads: [Option<Var<'t, T>>; N]) -> Self {
        // push, not collect: SmallVec's generic `extend` is measurably slower here, and
        // this runs once per node in every backward pass
        let mut v = SmallVec::new();
        for g in grads {
            v.push(g);
        }
        InputGrads(v)
    }
}

impl<'t, T: Float> From<Vec<Option<Var<'t, T>>>> for InputGrads<'t, T> {
    fn from(grads: Vec<Option<Var<'t, T>>>) -> Self {
        InputGrads(grads.into_iter().collect())
    }
}
