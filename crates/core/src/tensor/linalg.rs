//! Matrix products: batched, broadcasting over batch axes, with free transposes.
//! The inner kernel is the strided GEMM of `gemm/`.

use super::gemm::{matrix_vector, Epilogue};
use super::{
    broadcast_shapes, broadcast_strides, for_each_offset, numel, worker_threads, Shape, Tensor,
    TensorError,
};
use crate::error::{tensor_error, ErrorKind};
use crate::Float;

impl<T: Float> Tensor<T> {
    /// The matrix product of the last two axes, `op(a)·op(b)`, where `op` transposes those
    /// two axes when the flag is set. Leading (batch) axes broadcast. Both operands need
    /// rank ≥ 2; the vector cases are handled by the `matmul` op above this kernel.
    ///
    /// ```
    /// use tapegrad_core::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// let i = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], &[2, 2]);
    /// assert_eq!(a.matmul_t(&i, false, false).unwrap(), a);
    /// assert_eq!(a.matmul_t(&i, true, false).unwrap().as_slice(), &[1.0, 3.0, 2.0, 4.0]);
    /// ```
    pub fn matmul_t(&self, other: &Self, ta: bool, tb: bool) -> Result<Self, TensorError> {
        let mut out = Self::scalar(T::ZERO);
        self.matmul_t_into(other, ta, tb, &mut out)?;
        Ok(out)
    }

    /// [`matmul_t`](Self::matmul_t) written into `out`'s buffer when it holds the only
    /// reference to one of the product's size (what a plan's replay does with a dead
    /// slot); otherwise into a new buffer. Same values either way: every kernel below
    /// overwrites all of its output (the GEMM with beta = 0), so a reused buffer is not
    /// cleared first.
    pub fn matmul_t_into(
        &self,
        other: &Self,
        ta: bool,
        tb: bool,
        out: &mut Self,
    ) -> Result<(), TensorError> {
        self.matmul_t_then_into(other, (ta, tb), out, Epilogue::NONE)
    }

    /// [`matmul_t_into`](Self::matmul_t_into), then `then` on each value of the product
    /// (a bias per column, `relu`), applied as the product's tiles are stored. The bias
    /// must hold one value per column of the product (checked by the caller).
    pub(crate) fn matmul_t_then_into(
        &self,
        other: &Self,
        (ta, tb): (bool, bool),
        out: &mut Self,
        then: Epilogue<'_, T>,
    ) -> Result<(), TensorError> {
        let (a, b) = (self.shape(), other.shape());
        if a.len() < 2 || b.len() < 2 {
            return Err(tensor_error!(
                ErrorKind::ShapeMismatch {
                    shapes: vec![a.to_vec(), b.to_vec()]
                },
                "matmul_t needs rank >= 2, got {:?} x {:?}",
                a,
                b
            ));
        }
        let (ra, ca) = (a[a.len() - 2], a[a.len() - 1]);
        let (rb, cb) = (b[b.len() - 2], b[b.len() - 1]);
        let (m, k) = if ta { (ca, ra) } else { (ra, ca) };
        let (k2, n) = if tb { (cb, rb) } else { (rb, cb) };
        if k != k2 {
            return Err(tensor_error!(
                ErrorKind::ShapeMismatch {
                    shapes: vec![a.to_vec(), b.to_vec()]
                },
                "inner dimensions differ: {:?}{} x {:?}{}",
                a,
                if ta { "ᵀ" } else { "" },
                b,
                if tb { "ᵀ" } else { "" }
            ));
        }
        let (batch_a, batch_b) = (&a[..a.len() - 2], &b[..b.len() - 2]);
        // Element strides (row, column) of op(a) and op(b).
        let stride_a = if ta { (1, ca) } else { (ca, 1) };
        let stride_b = if tb { (1, cb) } else { (cb, 1) };
        let (pa, pb) = (self.as_slice(), other.as_slice());
        if batch_a.is_empty() && batch_b.is_empty() {
            // two matrices: no batch axes to broadcast (the common case, kept lean)
            let out = out.buffer_for(&[m, n])?;
            if !out.is_empty() {
                matrix_product((m, k, n), (pa, stride_a), (pb, stride_b), out, then);
            }
            return Ok(());
        }
        let batch = broadcast_shapes(batch_a, batch_b).ok_or_else(|| {
            tensor_error!(
                ErrorKind::ShapeMismatch {
                    shapes: vec![a.to_vec(), b.to_vec()]
                },
                "batch dimensions do not broadcast: {:?} x {:?}",
                a,
                b
            )
        })?;
        let mut shape: Shape = batch.clone();
        shape.push(m);
        shape.push(n);
        // Checked: two valid operands can make a product with more than usize::MAX
        // elements ([2³², 0] x [0, 2³²]).
        let out = out.buffer_for(&shape)?;
        if out.is_empty() {
            return Ok(());
        }
        if k == 0 {
            // sums of nothing: the zeros are the product
            out.fill(T::ZERO);
            then.apply(out, n);
            return Ok(());
        }
        // Matrix-sized strides of each operand over the broadcast batch axes.
        let sa = broadcast_strides(batch_a, &batch);
        let sb = broadcast_strides(batch_b, &batch);
        let (ma, mb) = (ra * ca, rb * cb);
        let batches = numel(&batch);
        if batches > 1 {
            // One operand the same for the whole batch: one GEMM instead of a product per
            // batch entry (a batch of matrix-vector products becomes a matrix product).
            let shared = |own: &[usize]| numel(own) == 1;
            if shared(batch_b) && !ta && batch_a == batch.as_slice() {
                // the batch of A's, stacked, is one (batches·m) × k matrix
                T::gemm_then(
                    batches * m,
                    k,
                    n,
                    pa,
                    stride_a,
                    pb,
                    stride_b,
                    out,
                    worker_threads(),
                    then,
                );
                return Ok(());
            }
            if shared(batch_a) && n == 1 && batch_b == batch.as_slice() {
                // each b a contiguous k-vector: stacked as rows, C = [bᵢ]ᵀ·op(A)ᵀ
                let a_t = (stride_a.1, stride_a.0);
                T::gemm(batches, k, m, pb, (mb, 1), pa, a_t, out, worker_threads());
                then.apply(out, n);
                return Ok(());
            }
        }
        for_each_offset(&batch, [&sa, &sb], |i, [ia, ib]| {
            let c = &mut out[i * m * n..(i + 1) * m * n];
            let (a, b) = (&pa[ia * ma..], &pb[ib * mb..]);
            matrix_product((m, k, n), (a, stride_a), (b, stride_b), c, then);
        });
        Ok(())
    }
}

/// `c = op(A)·op(B)` for one `m × k` by `k × n` pair (each operand's elements at its
/// (row, column) strides), `c` row-major `m × n` and not empty, then `then`.
fn matrix_product<T: Float>(
    (m, k, n): (usize, usize, usize),
    (a, stride_a): (&[T], (usize, usize)),
    (b, stride_b): (&[T], (usize, usize)),
    c: &mut [T],
    then: Epilogue<'_, T>,
) {
    if k == 0 {
        // sums of nothing: the zeros are the product
        c.fill(T::ZERO);
    } else if n == 1 {
        // A matrix times a vector: a GEMM's packing would cost more than the sums.
        matrix_vector(m, k, (a, stride_a), (b, stride_b.0), c);
    } else if m == 1 {
        // A vector times a matrix: the transposed case of the same.
        let (b_t, a_t) = ((b, (stride_b.1, stride_b.0)), (a, stride_a.1));
        matrix_vector(n, k, b_t, a_t, c);
    } else {
        T::gemm_then(m, k, n, a, stride_a, b, stride_b, c, worker_threads(), then);
        return;
    }
    then.apply(c, n);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &Tensor<f64>, b: &Tensor<f64>) -> Tensor<f64> {
        let (m, k, n) = (a.shape()[0], a.shape()[1], b.shape()[1]);
        Tensor::from_fn(&[m, n], |idx| {
            let (i, j) = (idx / n, idx % n);
            (0..k).map(|p| a.at(&[i, p]) * b.at(&[p, j])).sum()
        })
    }

    #[test]
    fn matmul_matches_naive_product() {
        let a = Tensor::<f64>::rand_normal(&[5, 7], 0.0, 1.0, 1);
        let b = Tensor::<f64>::rand_normal(&[7, 3], 0.0, 1.0, 2);
        assert!(a
            .matmul_t(&b, false, false)
            .unwrap()
            .approx_eq(&naive(&a, &b), 1e-12, 0.0));
    }

    #[test]
    fn vector_products_match_the_naive_product_for_every_layout() {
        // Both vector paths (A·v, vᵀ·B), every transpose, lengths around the 8 lanes.
        for (m, k) in [(1, 1), (3, 7), (5, 8), (4, 19), (1, 30)] {
            let a = Tensor::<f64>::rand_normal(&[m, k], 0.0, 1.0, 7);
            let v = Tensor::<f64>::rand_normal(&[k, 1], 0.0, 1.0, 8);
            let at = a.permute(&[1, 0]).unwrap();
            let vt = v.permute(&[1, 0]).unwrap();
            let want = naive(&a, &v);
            for (l, r, ta, tb) in [
                (&a, &v, false, false),
                (&at, &v, true, false),
                (&a, &vt, false, true),
                (&at, &vt, true, true),
            ] {
                assert!(
                    l.matmul_t(r, ta, tb)
                        .unwrap()
                        .approx_eq(&want, 1e-12, 1e-12),
                    "{m}×{k} {ta} {tb}"
                );
            }
            // vᵀ·Aᵀ = (A·v)ᵀ
            let row = vt.matmul_t(&a, false, true).unwrap();
            assert!(row.approx_eq(&want.permute(&[1, 0]).unwrap(), 1e-12, 1e-12));
            let row = v.matmul_t(&at, true, false).unwrap();
            assert!(row.approx_eq(&want.permute(&[1, 0]).unwrap(), 1e-12, 1e-12));
        }
    }

    #[test]
    fn transposed_operands_read_without_copies() {
        let a = Tensor::<f64>::rand_normal(&[4, 3], 0.0, 1.0, 3);
        let b = Tensor::<f64>::rand_normal(&[5, 4], 0.0, 1.0, 4);
        let want = naive(&a.permute(&[1, 0]).unwrap(), &b.permute(&[1, 0]).unwrap());
        assert!(a
            .matmul_t(&b, true, true)
            .unwrap()
            .approx_eq(&want, 1e-12, 0.0));
    }

    #[test]
    fn batch_axes_broadcast() {
        let a = Tensor::<f64>::rand_normal(&[2, 1, 3, 4], 0.0, 1.0, 5);
        let b = Tensor::<f64>::rand_normal(&[3, 4, 2], 0.0, 1.0, 6);
        let c = a.matmul_t(&b, false, false).unwrap();
        assert_eq!(c.shape(), &[2, 3, 3, 2]);
        let a1 = a.index_select(0, &[1]).unwrap().reshape(&[3, 4]).unwrap();
        let b2 = b.index_select(0, &[2]).unwrap().reshape(&[4, 2]).unwrap();
        let c12 = c
            .index_select(0, &[1])
            .unwrap()
            .index_select(1, &[2])
            .unwrap();
        assert!(c12
            .reshape(&[3, 2])
            .unwrap()
            .approx_eq(&naive(&a1, &b2), 1e-12, 0.0));
    }

    #[test]
    fn a_batch_against_one_shared_matrix_is_one_product_per_entry() {
        // the two folded cases (a shared right operand; a shared left one times a batch of
        // vectors) and the per-entry loop, with every transpose, against naive products
        let entry = |t: &Tensor<f64>, i: usize, rows: usize, cols: usize| {
            let per = rows * cols;
            let shared = t.len() == per;
            let start = if shared { 0 } else { i * per };
            Tensor::from_slice(&t.as_slice()[start..start + per], &[rows, cols])
        };
        let op = |t: Tensor<f64>, transposed: bool| {
            if transposed {
                t.permute(&[1, 0]).unwrap()
            } else {
                t
            }
        };
        for (m, k, n) in [(3, 4, 5), (4, 6, 1), (1, 5, 3), (7, 9, 1)] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let (ra, ca) = if ta { (k, m) } else { (m, k) };
                let (rb, cb) = if tb { (n, k) } else { (k, n) };
                for (sa, sb) in [
                    (vec![2, 3], vec![1, 1]),
                    (vec![], vec![2, 3]),
                    (vec![2, 3], vec![2, 3]),
                ] {
                    let a =
                        Tensor::<f64>::rand_normal(&[&sa[..], &[ra, ca]].concat(), 0.0, 1.0, 11);
                    let b =
                        Tensor::<f64>::rand_normal(&[&sb[..], &[rb, cb]].concat(), 0.0, 1.0, 12);
                    let c = a.matmul_t(&b, ta, tb).unwrap();
                    assert_eq!(c.shape(), &[2, 3, m, n]);
                    for i in 0..6 {
                        let want =
                            naive(&op(entry(&a, i, ra, ca), ta), &op(entry(&b, i, rb, cb), tb));
                        let got =
                            Tensor::from_slice(&c.as_slice()[i * m * n..(i + 1) * m * n], &[m, n]);
                        assert!(
                            got.approx_eq(&want, 1e-12, 1e-12),
                            "{m}×{k}×{n} {ta} {tb} {sa:?} {sb:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_product_into_a_free_buffer_reuses_it_and_matches_the_allocating_one() {
        for (m, k, n) in [(5, 7, 3), (4, 6, 1), (1, 6, 4), (3, 0, 2)] {
            let a = Tensor::<f64>::rand_normal(&[m, k], 0.0, 1.0, 9);
            let b = Tensor::<f64>::rand_normal(&[k, n], 0.0, 1.0, 10);
            // a dead buffer of the product's size, full of values that must not leak in
            let mut out = Tensor::full(&[m * n], f64::NAN);
            let before = out.as_slice().as_ptr();
            a.matmul_t_into(&b, false, false, &mut out).unwrap();
            assert_eq!(out, a.matmul_t(&b, false, false).unwrap(), "{m}×{k}×{n}");
            if m * n > 1 {
                assert_eq!(out.as_slice().as_ptr(), before);
            }
        }
    }

    #[test]
    fn inner_dimension_mismatch_names_both_shapes() {
        let a = Tensor::<f32>::zeros(&[2, 3]);
        let b = Tensor::<f32>::zeros(&[4, 5]);
        let e = a.matmul_t(&b, false, false).unwrap_err();
        assert_eq!(e.message(), "inner dimensions differ: [2, 3] x [4, 5]");
    }
}
