//! [`Linearization`]: a function recorded once at a point, through which any number of
//! cotangents (reverse sweeps) and tangents (by transposing the recorded backward) are
//! pushed without recording the function again. Every transform is built on it.

use super::inputs::{check_batch, check_count, check_scalar, check_shapes, Site};
use crate::tape::NodeId;
use crate::tensor::numel;
use crate::{Error, ErrorKind, Float, Tape, Tensor, Var};
use std::cell::OnceCell;
use std::panic::Location;

/// The most bytes a batched sweep's gradient of one node takes (see
/// [`Linearization::batch_rows`]): 64 KiB, well within an L2 cache.
const BATCH_BYTES: usize = 64 << 10;

/// `f` recorded at one point, kept to push many seeds through it: the batched form of
/// [`vjp`](super::vjp) and [`jvp`](super::jvp).
///
/// Cost: recording `f` once (its graph stays in memory while this lives); each
/// [`vjp`](Self::vjp) is one reverse sweep; the first [`jvp`](Self::jvp) records the
/// backward once more (about the graph's size again), then each is one reverse sweep of
/// that transposed graph.
///
/// ```
/// use tapegrad_core::{func, Tensor, Var};
/// // y = 3x, elementwise: J = 3I
/// let lin = func::linearize(|xs: &[Var<'_, f64>]| xs[0] * 3.0, &[Tensor::vector(vec![1.0, 2.0])])
///     .unwrap();
/// assert_eq!(lin.value().as_slice(), &[3.0, 6.0]);
/// for seed in [vec![1.0, 0.0], vec![0.0, 1.0]] {
///     let seed = Tensor::vector(seed);
///     assert_eq!(lin.vjp(&seed).unwrap()[0], seed.map(|s| 3.0 * s));
///     assert_eq!(lin.jvp(&[seed.clone()]).unwrap(), seed.map(|s| 3.0 * s));
/// }
/// ```
pub struct Linearization<T: Float> {
    tape: Tape<T>,
    inputs: Vec<NodeId>,
    input_shapes: Vec<Vec<usize>>,
    output: NodeId,
    /// Recorded by the first `jvp`: a leaf `u` shaped like the output, and `Jᵀu` for
    /// every input, flattened and concatenated. `Jᵀu` is linear in `u`, so its VJP with
    /// respect to `u` against a tangent `v` is `J v`: forward mode with no per-op code.
    transposed: OnceCell<Transposed>,
}

/// The node ids of the transposed graph (see [`Linearization::transposed`]).
#[derive(Clone, Copy)]
struct Transposed {
    cotangent: NodeId,
    flat_vjp: NodeId,
}

/// Records `f` at `xs` (leaves on a fresh tape) for many [`vjp`](Linearization::vjp)s
/// and [`jvp`](Linearization::jvp)s. Errors if `xs` is empty.
///
/// Cost: one forward pass, recorded.
///
/// ```
/// use tapegrad_core::{func, Tensor, Var};
/// // y = x0 · x1 (a [2] times a scalar): two VJPs and a JVP, one recording
/// let x = [Tensor::vector(vec![1.0, 2.0]), Tensor::scalar(3.0)];
/// let lin = func::linearize(|xs: &[Var<'_, f64>]| xs[0] * xs[1], &x).unwrap();
/// assert_eq!((lin.input_shapes(), lin.output_shape()), (&[vec![2], vec![]][..], vec![2]));
/// let rows: Vec<_> = [[1.0, 0.0], [0.0, 1.0]]
///     .map(|e| lin.vjp(&Tensor::vector(e.to_vec())).unwrap()[1].item()).to_vec();
/// assert_eq!(rows, [1.0, 2.0]); // ∂y/∂x1 = x0
/// let t = [Tensor::vector(vec![0.0, 0.0]), Tensor::scalar(1.0)];
/// assert_eq!(lin.jvp(&t).unwrap().as_slice(), &[1.0, 2.0]);
/// ```
#[track_caller]
pub fn linearize<T, F>(f: F, xs: &[Tensor<T>]) -> Result<Linearization<T>, Error>
where
    T: Float,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    Linearization::record("linearize", Location::caller(), xs, |leaves| Ok(f(leaves)))
}

impl<T: Float> Linearization<T> {
    /// Records `f` at `xs`; `f` may refuse (with an error naming `entry` and `site`).
    pub(crate) fn record<F>(entry: &str, site: Site, xs: &[Tensor<T>], f: F) -> Result<Self, Error>
    where
        F: for<'t> FnOnce(&[Var<'t, T>]) -> Result<Var<'t, T>, Error>,
    {
        if xs.is_empty() {
            return Err(Error::at(
                ErrorKind::InvalidArgument,
                entry,
                "no input tensors: f needs at least one to differentiate by",
                site,
            ));
        }
        let tape = Tape::new();
        let (inputs, output) = {
            let leaves: Vec<Var<'_, T>> = xs.iter().map(|x| tape.leaf(x.clone())).collect();
            let y = f(&leaves)?;
            tape.check_owns(entry, y, site)?;
            (leaves.iter().map(|x| x.id).collect(), y.id)
        };
        Ok(Linearization {
            tape,
            inputs,
            input_shapes: xs.iter().map(|x| x.shape().to_vec()).collect(),
            output,
            transposed: OnceCell::new(),
        })
    }

    /// `f`'s value at the point.
    pub fn value(&self) -> Tensor<T> {
        self.var(self.output).value()
    }

    /// The shapes of `f`'s inputs, in order.
    pub fn input_shapes(&self) -> &[Vec<usize>] {
        &self.input_shapes
    }

    /// The shape of `f`'s output.
    pub fn output_shape(&self) -> Vec<usize> {
        self.var(self.output).shape().to_vec()
    }

    /// `cotangentᵀ·∂f/∂xᵢ` for each input: one reverse sweep. The cotangent has the
    /// output's shape ([`ErrorKind::ShapeMismatch`](crate::ErrorKind::ShapeMismatch)
    /// otherwise).
    #[track_caller]
    pub fn vjp(&self, cotangent: &Tensor<T>) -> Result<Vec<Tensor<T>>, Error> {
        let site = Location::caller();
        check_shapes(
            "vjp",
            "cotangent",
            std::slice::from_ref(cotangent),
            &[self.output_shape()],
            site,
        )?;
        self.pull(cotangent.clone())
    }

    /// `Σᵢ ∂f/∂xᵢ·tangentᵢ`, shaped like the output: one reverse sweep of the transposed
    /// graph (recorded by the first call). One tangent per input, of its shape.
    #[track_caller]
    pub fn jvp(&self, tangents: &[Tensor<T>]) -> Result<Tensor<T>, Error> {
        let site = Location::caller();
        check_shapes("jvp", "tangents", tangents, &self.input_shapes, site)?;
        let flat = tangents
            .iter()
            .flat_map(|v| v.as_slice().iter().copied())
            .collect();
        self.push(Tensor::vector(flat))
    }

    /// [`vjp`](Self::vjp) for `k` cotangents at once, stacked along a new first axis:
    /// `cotangents` of shape `[k] ++` the output's shape; for each input, a tensor of shape
    /// `[k] ++` its shape whose row `j` is the VJP of cotangent `j`.
    /// [`ErrorKind::ShapeMismatch`](crate::ErrorKind::ShapeMismatch) for any other shape.
    ///
    /// Cost: one batched reverse sweep. Through element-wise ops and `matmul` (ops whose
    /// [`vjp_batches`](crate::Op::vjp_batches)) the whole batch goes through one VJP; through
    /// the others (reshapes, reductions, user ops that do not say so) one VJP per
    /// cotangent. Memory: `k` times the gradients a single sweep holds.
    ///
    /// ```
    /// use tapegrad_core::{func, Tensor, Var};
    /// // y = x0 · x1, elementwise on [2]: the rows of the identity give the Jacobian's rows
    /// let x = [Tensor::vector(vec![1.0, 2.0]), Tensor::vector(vec![3.0, 4.0])];
    /// let lin = func::linearize(|xs: &[Var<'_, f64>]| xs[0] * xs[1], &x).unwrap();
    /// let rows = lin.vjp_batch(&Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], &[2, 2])).unwrap();
    /// assert_eq!(rows[0].as_slice(), &[3.0, 0.0, 0.0, 4.0]); // ∂y/∂x0 = diag(x1)
    /// assert_eq!(rows[1].as_slice(), &[1.0, 0.0, 0.0, 2.0]); // ∂y/∂x1 = diag(x0)
    /// ```
    #[track_caller]
    pub fn vjp_batch(&self, cotangents: &Tensor<T>) -> Result<Vec<Tensor<T>>, Error> {
        let site = Location::caller();
        check_batch(
            "vjp_batch",
            "cotangents",
            cotangents,
            &self.output_shape(),
            site,
        )?;
        self.pull_batch(cotangents.clone())
    }

    /// [`jvp`](Self::jvp) for `k` tangents at once: one tensor per input of shape `[k] ++`
    /// its shape (the same `k` for all); the result has shape `[k] ++` the output's, row
    /// `j` the JVP of tangent `j`.
    ///
    /// Cost: the first call records the transposed backward, as `jvp` does; then one
    /// batched reverse sweep of it (see [`vjp_batch`](Self::vjp_batch)).
    ///
    /// ```
    /// use tapegrad_core::{func, Tensor, Var};
    /// // y = 3x: each tangent comes back times 3
    /// let lin = func::linearize(|xs: &[Var<'_, f64>]| xs[0] * 3.0, &[Tensor::vector(vec![1.0, 2.0])])
    ///     .unwrap();
    /// let t = Tensor::from_vec(vec![1.0, 0.0, 0.5, -1.0], &[2, 2]);
    /// assert_eq!(lin.jvp_batch(&[t]).unwrap().as_slice(), &[3.0, 0.0, 1.5, -3.0]);
    /// ```
    #[track_caller]
    pub fn jvp_batch(&self, tangents: &[Tensor<T>]) -> Result<Tensor<T>, Error> {
        let site = Location::caller();
        check_count(
            "jvp_batch",
            "tangents",
            tangents.len(),
            self.input_shapes.len(),
            site,
        )?;
        let k = tangents
            .first()
            .and_then(|t| t.shape().first())
            .copied()
            .unwrap_or(0);
        for (t, shape) in tangents.iter().zip(&self.input_shapes) {
            check_batch("jvp_batch", "tangents", t, shape, site)?;
            if t.shape()[0] != k {
                return Err(Error::at(
                    ErrorKind::ShapeMismatch {
                        shapes: tangents.iter().map(|t| t.shape().to_vec()).collect(),
                    },
                    "jvp_batch",
                    "tangents: every input's batch must have the same length (the first axis)",
                    site,
                ));
            }
        }
        // [k, n]: each tangent's row j, all inputs' concatenated
        let n = self.input_len();
        let mut flat = Vec::with_capacity(k * n);
        for j in 0..k {
            for t in tangents {
                let m = t.len() / k;
                flat.extend_from_slice(&t.as_slice()[j * m..(j + 1) * m]);
            }
        }
        self.push_batch(Tensor::from_vec(flat, &[k, n]))
    }

    /// How many cotangents a batched sweep takes at once when `rows` are wanted: as many
    /// as keep each gradient the sweep holds within [`BATCH_BYTES`], judged by the largest
    /// value on the tape that a gradient can reach.
    ///
    /// # Design
    /// A batch saves the per-node cost of a sweep (about a gradient's) `k − 1` times, and
    /// that is all it saves: the arithmetic is the same. Past a few dozen rows the per-node
    /// cost is small beside the arithmetic, and gradients larger than the L2 cache only
    /// slow the sweep: for the Rosenbrock Hessian at n = 300 (`examples/hessian_cost.rs`)
    /// 300 rows at once took about 1.9 ms, 13–27 rows 1.4–1.9 ms.
    pub(crate) fn batch_rows(&self, rows: usize) -> usize {
        let widest = {
            let nodes = self.tape.nodes.borrow();
            let values = self.tape.values.borrow();
            (nodes.iter().zip(values.iter()))
                .filter(|(node, _)| node.requires_grad())
                .map(|(_, v)| v.len())
                .max()
                .unwrap_or(1)
        };
        let elements = BATCH_BYTES / std::mem::size_of::<T>();
        (elements / widest.max(1)).clamp(1, rows.max(1))
    }

    /// [`vjp_batch`](Self::vjp_batch) with `seeds` unchecked.
    #[track_caller]
    pub(crate) fn pull_batch(&self, seeds: Tensor<T>) -> Result<Vec<Tensor<T>>, Error> {
        let xs: Vec<Var<'_, T>> = self.inputs.iter().map(|&x| self.var(x)).collect();
        self.var(self.output)
            .backward_batched_at(seeds, &xs, Location::caller())
    }

    /// The JVPs of a batch of flat tangents (`[k, n]`): `[k] ++` the output's shape.
    #[track_caller]
    pub(crate) fn push_batch(&self, flat_tangents: Tensor<T>) -> Result<Tensor<T>, Error> {
        let transposed = self.transposed()?;
        let u = self.var(transposed.cotangent);
        let flat_vjp = self.var(transposed.flat_vjp);
        Ok(flat_vjp
            .backward_batched_at(flat_tangents, &[u], Location::caller())?
            .remove(0))
    }

    /// The total number of input elements (the length of a flat tangent).
    pub(crate) fn input_len(&self) -> usize {
        self.input_shapes.iter().map(|s| numel(s)).sum()
    }

    /// The VJP against `seed` (of the output's shape, unchecked), for each input.
    pub(crate) fn pull(&self, seed: Tensor<T>) -> Result<Vec<Tensor<T>>, Error> {
        let xs: Vec<Var<'_, T>> = self.inputs.iter().map(|&x| self.var(x)).collect();
        self.var(self.output).try_backward_wrt(Some(seed), &xs)
    }

    /// The JVP against a tangent given flat (all inputs' elements, concatenated).
    pub(crate) fn push(&self, flat_tangent: Tensor<T>) -> Result<Tensor<T>, Error> {
        let transposed = self.transposed()?;
        let u = self.var(transposed.cotangent);
        let flat_vjp = self.var(transposed.flat_vjp);
        // One gradient, for `u`: the JVP, shaped like the output.
        Ok(flat_vjp
            .try_backward_wrt(Some(flat_tangent), &[u])?
            .remove(0))
    }

    /// The transposed graph, recorded by the first call.
    fn transposed(&self) -> Result<Transposed, Error> {
        match self.transposed.get() {
            Some(t) => Ok(*t),
            None => {
                let t = self.record_transposed()?;
                Ok(*self.transposed.get_or_init(|| t))
            }
        }
    }

    /// Records `Jᵀu` for a fresh leaf `u` (see [`Linearization::transposed`]).
    fn record_transposed(&self) -> Result<Transposed, Error> {
        let y = self.var(self.output);
        let u = self.tape.leaf(Tensor::zeros(&y.shape()));
        let xs: Vec<Var<'_, T>> = self.inputs.iter().map(|&x| self.var(x)).collect();
        let vjps = self.tape.try_grad(y, Some(u), &xs)?;
        Ok(Transposed {
            cotangent: u.id,
            flat_vjp: flat_concat(&vjps).id,
        })
    }

    /// The handle of node `id` of this linearization's tape.
    /// The tape, the input leaves and the output, for analyses of the recorded graph.
    pub(crate) fn graph(&self) -> (&Tape<T>, &[NodeId], NodeId) {
        (&self.tape, &self.inputs, self.output)
    }

    /// The same recording, extended by the recorded gradient of its one-element output,
    /// which becomes the output (flat): its Jacobian is the Hessian.
    pub(crate) fn into_gradient(mut self, entry: &str, site: Site) -> Result<Self, Error> {
        let y = self.var(self.output);
        check_scalar(entry, &y.shape(), site)?;
        let xs: Vec<Var<'_, T>> = self.inputs.iter().map(|&x| self.var(x)).collect();
        let gradient = flat_concat(&self.tape.try_grad(y, None, &xs)?).id;
        self.output = gradient;
        self.transposed = OnceCell::new();
        Ok(self)
    }

    fn var(&self, id: NodeId) -> Var<'_, T> {
        Var {
            tape: &self.tape,
            id,
        }
    }
}

/// The variables flattened and concatenated into one vector.
pub(crate) fn flat_concat<'t, T: Float>(vars: &[Var<'t, T>]) -> Var<'t, T> {
    // A vector is flat already: no reshape node for every later sweep to go through.
    let flat: Vec<Var<'t, T>> = (vars.iter())
        .map(|&v| if v.shape().len() == 1 { v } else { v.flatten() })
        .collect();
    match flat.as_slice() {
        [one] => *one,
        _ => Var::concat(&flat, 0),
    }
}

/// The gradient of a scalar `f`, flattened and concatenated over the inputs, recorded so
/// it can be differentiated again: what [`hessian`](super::hessian) and
/// [`hvp`](super::hvp) linearize.
pub(crate) fn gradient_of<T, F>(
    entry: &str,
    site: Site,
    f: F,
    xs: &[Tensor<T>],
) -> Result<Linearization<T>, Error>
where
    T: Float,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    Linearization::record(entry, site, xs, |leaves| {
        let y = f(leaves);
        check_scalar(entry, &y.shape(), site)?;
        let tape = leaves[0].tape();
        Ok(flat_concat(&tape.try_grad(y, None, leaves)?))
    })
}
