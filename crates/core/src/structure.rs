//! What an op's output elements depend on, and how curved they are: the facts sparse
//! Jacobians and Hessians are detected from (`func::sparse_jacobian`,
//! `func::sparse_hessian`).
//!
//! An op states its [`Structure`] through [`Op::structure`](crate::Op::structure). The
//! default, [`Structure::dense`], is always safe: every output element may depend on every
//! input element, in any nonlinear way. A tighter statement makes sparse derivatives
//! cheaper; a statement that is too tight makes them wrong, which is why the op-author's
//! kit (`tapegrad_check::testing::check_op`) compares it with the op's real derivatives.

use crate::tensor::{numel, Tensor, TensorError};

/// How an op's output depends on its inputs: which elements ([`Dependence`]) and whether
/// through second derivatives ([`Curvature`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Structure {
    /// Which input elements each output element depends on.
    pub dependence: Dependence,
    /// Which second derivatives may be nonzero.
    pub curvature: Curvature,
}

/// Which input elements each output element depends on.
#[derive(Clone, Debug, PartialEq)]
pub enum Dependence {
    /// Any output element may depend on any element of any input: the safe default.
    Dense,
    /// Output element `i` depends, in each input, on the one element that broadcasting
    /// pairs with it (`add`, `exp`, `mul`, ...).
    Elementwise,
    /// Output element `i` depends on exactly the elements listed for it.
    Listed(Sources),
}

/// Which second derivatives of an output element may be nonzero.
///
/// A piecewise-linear op (`relu`, `abs`, `maximum`, `max`) is [`Curvature::Linear`]: its
/// second derivative is zero wherever it exists, and zero by convention at its kinks
/// (`CONVENTIONS.md`), which is what the engine computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curvature {
    /// Linear (or piecewise linear) in all inputs together: no second derivatives.
    Linear,
    /// A product of input 0 and input 1, linear in each and in any further input
    /// (`mul`, `matmul`, `linear`): second derivatives only between an element of input 0
    /// and one of input 1.
    Bilinear,
    /// Any second derivative among an output element's sources may be nonzero.
    Nonlinear,
}

/// One input element an output element depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Source {
    /// Which input (its position in the op's inputs).
    pub input: usize,
    /// The element's flat (row-major) index in that input.
    pub element: usize,
}

/// For each output element (flat, row-major), the input elements it depends on, stored
/// compactly: one list after another.
#[derive(Clone, Debug, PartialEq)]
pub struct Sources {
    starts: Vec<usize>,
    sources: Vec<Source>,
}

impl Structure {
    /// The safe default: anything may depend on anything, nonlinearly.
    pub fn dense() -> Self {
        Structure {
            dependence: Dependence::Dense,
            curvature: Curvature::Nonlinear,
        }
    }

    /// Element-wise (with broadcasting), of the given curvature.
    pub fn elementwise(curvature: Curvature) -> Self {
        Structure {
            dependence: Dependence::Elementwise,
            curvature,
        }
    }

    /// Each output element depends on the listed input elements.
    pub fn listed(sources: Sources, curvature: Curvature) -> Self {
        Structure {
            dependence: Dependence::Listed(sources),
            curvature,
        }
    }

    /// A linear op that only moves elements (`narrow`, `permute`, `concat`, `gather`, ...):
    /// its structure is found by running its own `kernel` on tensors of element labels.
    /// See [`Sources::moved`].
    pub fn moved(
        inputs: &[&[usize]],
        kernel: impl FnOnce(&[&Tensor<f64>]) -> Result<Tensor<f64>, TensorError>,
    ) -> Self {
        match Sources::moved(inputs, kernel) {
            Ok(sources) => Structure::listed(sources, Curvature::Linear),
            Err(_) => Structure::dense(),
        }
    }
}

impl Structure {
    /// The adjoint of a linear op that moves elements from a tensor of shape `output`
    /// (this op's output) with `kernel`: padding for `narrow`, scatter-add for `gather`,
    /// `sum_to` for `broadcast_to`. See [`Sources::adjoint`].
    pub fn adjoint_of_moved(
        output: &[usize],
        kernel: impl FnOnce(&[&Tensor<f64>]) -> Result<Tensor<f64>, TensorError>,
    ) -> Self {
        match Sources::moved(&[output], kernel) {
            Ok(moves) => Structure::listed(moves.adjoint(numel(output)), Curvature::Linear),
            Err(_) => Structure::dense(),
        }
    }
}

impl Default for Sources {
    fn default() -> Self {
        Sources::new()
    }
}

impl Sources {
    /// No output elements yet.
    pub fn new() -> Self {
        Sources {
            starts: vec![0],
            sources: Vec::new(),
        }
    }

    /// Appends the next output element, depending on `sources`.
    pub fn push(&mut self, sources: impl IntoIterator<Item = Source>) {
        self.sources.extend(sources);
        self.starts.push(self.sources.len());
    }

    /// The number of output elements.
    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// Whether there are no output elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sources of output element `i`.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn of(&self, i: usize) -> &[Source] {
        &self.sources[self.starts[i]..self.starts[i + 1]]
    }

    /// The sources of an op that only moves elements, found by running its `kernel` on
    /// tensors that hold element labels instead of values: each output element is a copy
    /// of one input element (or a constant, such as padding). Labels are exact in `f64`
    /// below 2⁵³ elements.
    ///
    /// ```
    /// use tapegrad_core::structure::{Source, Sources};
    /// // narrow(axis 0, 1..3) of a 4-vector: output i comes from element i + 1.
    /// let s = Sources::moved(&[&[4]], |xs| xs[0].narrow(0, 1, 2)).unwrap();
    /// assert_eq!(s.of(1), &[Source { input: 0, element: 2 }]);
    /// ```
    pub fn moved(
        inputs: &[&[usize]],
        kernel: impl FnOnce(&[&Tensor<f64>]) -> Result<Tensor<f64>, TensorError>,
    ) -> Result<Self, TensorError> {
        // Label 0 is "no input element"; input k's element e is `offsets[k] + e + 1`.
        let mut offsets = Vec::with_capacity(inputs.len());
        let mut next = 0usize;
        let labelled: Vec<Tensor<f64>> = inputs
            .iter()
            .map(|shape| {
                offsets.push(next);
                let first = next;
                next += numel(shape);
                Tensor::from_fn(shape, |e| (first + e + 1) as f64)
            })
            .collect();
        let refs: Vec<&Tensor<f64>> = labelled.iter().collect();
        let out = kernel(&refs)?;
        let mut sources = Sources::new();
        for &label in out.as_slice() {
            let label = label as usize;
            if label == 0 {
                sources.push(None);
                continue;
            }
            let input = offsets.partition_point(|&o| o < label) - 1;
            sources.push(Some(Source {
                input,
                element: label - 1 - offsets[input],
            }));
        }
        Ok(sources)
    }

    /// The sources of the adjoint of a one-input op that moves elements: if this op's
    /// output `o` copies input element `p`, the adjoint's output `p` (of `len` elements)
    /// sums the cotangent's elements `o`. `narrow` ↔ padding, `gather` ↔ scatter-add,
    /// `broadcast_to` ↔ `sum_to`.
    pub fn adjoint(&self, len: usize) -> Sources {
        let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); len];
        for o in 0..self.len() {
            for s in self.of(o) {
                buckets[s.element].push(o);
            }
        }
        let mut sources = Sources::new();
        for bucket in buckets {
            sources.push(
                bucket
                    .into_iter()
                    .map(|element| Source { input: 0, element }),
            );
        }
        sources
    }

    /// The sources of a reduction of one input of shape `shape` over `axes`: output
    /// element `i` depends on every input element that agrees with it off `axes`. With
    /// `keep_shape`, the output has the input's shape (each element depends on its
    /// whole fibre, as in `softmax`); otherwise the reduced axes are gone or of length 1,
    /// which orders the output elements the same way.
    pub fn reduced(shape: &[usize], axes: &[usize], keep_shape: bool) -> Sources {
        let rank = shape.len();
        // Row-major strides of the output, where a reduced axis has length 1.
        let mut out_strides = vec![0usize; rank];
        let mut stride = 1;
        for a in (0..rank).rev() {
            if !axes.contains(&a) {
                out_strides[a] = stride;
                stride *= shape[a];
            }
        }
        let groups = stride;
        let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); groups];
        let mut group_of = Vec::with_capacity(numel(shape));
        let mut index = vec![0usize; rank];
        for e in 0..numel(shape) {
            let g: usize = (0..rank).map(|a| index[a] * out_strides[a]).sum();
            buckets[g].push(e);
            group_of.push(g);
            // Next row-major index.
            for a in (0..rank).rev() {
                index[a] += 1;
                if index[a] < shape[a] {
                    break;
                }
                index[a] = 0;
            }
        }
        let fibre = |g: usize| {
            buckets[g]
                .iter()
                .map(|&element| Source { input: 0, element })
        };
        let mut sources = Sources::new();
        if keep_shape {
            for g in group_of {
                sources.push(fibre(g));
            }
        } else {
            for g in 0..groups {
                sources.push(fibre(g));
            }
        }
        sources
    }

    /// The sources of the matrix product `op(a) · op(b)` over broadcast batch axes
    /// (`op` transposes the last two axes when `ta` / `tb`): output `[.., i, j]` depends
    /// on row `i` of `op(a)` and column `j` of `op(b)` in its batch. `out` is the
    /// product's shape.
    pub fn matmul(a: &[usize], b: &[usize], ta: bool, tb: bool, out: &[usize]) -> Sources {
        let (ra, ca) = (a[a.len() - 2], a[a.len() - 1]);
        let (rb, cb) = (b[b.len() - 2], b[b.len() - 1]);
        let (m, n) = (out[out.len() - 2], out[out.len() - 1]);
        let k = if ta { ra } else { ca };
        let batch = &out[..out.len() - 2];
        // Flat offsets of each batch's matrix in `a` and `b`, broadcasting included.
        let batch_a = Sources::batch_starts(&a[..a.len() - 2], batch, ra * ca);
        let batch_b = Sources::batch_starts(&b[..b.len() - 2], batch, rb * cb);
        let at = |i: usize, l: usize| if ta { l * ca + i } else { i * ca + l };
        let bt = |l: usize, j: usize| if tb { j * cb + l } else { l * cb + j };
        let mut sources = Sources::new();
        for (&oa, &ob) in batch_a.iter().zip(&batch_b) {
            for i in 0..m {
                for j in 0..n {
                    let row = (0..k).map(|l| Source {
                        input: 0,
                        element: oa + at(i, l),
                    });
                    let column = (0..k).map(|l| Source {
                        input: 1,
                        element: ob + bt(l, j),
                    });
                    sources.push(row.chain(column));
                }
            }
        }
        sources
    }

    /// For each batch index of `batch` (row-major), the flat offset of the matching
    /// matrix of `size` elements in an operand whose batch axes `own` broadcast to it.
    fn batch_starts(own: &[usize], batch: &[usize], size: usize) -> Vec<usize> {
        match Sources::moved(&[own], |xs| xs[0].broadcast_to(batch)) {
            Ok(s) => (0..s.len())
                .map(|i| s.of(i).first().map_or(0, |src| src.element * size))
                .collect(),
            Err(_) => vec![0; numel(batch)],
        }
    }
}
