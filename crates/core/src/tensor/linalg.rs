//! Matrix products: batched, broadcasting over batch axes, with free transposes.
//! The inner kernel is `matrixmultiply`'s strided GEMM.

use super::{
    broadcast_shapes, broadcast_strides, for_each_offset, numel, output_buffer, Shape, Tensor,
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
        let Some(mut out) = output_buffer(&shape)? else {
            return Ok(Self::empty(shape));
        };
        out.resize(numel(&shape), T::ZERO);
        if k == 0 {
            // sums of nothing: the zeros are the product
            return Ok(Self::from_parts(shape, out));
        }
        // Matrix-sized strides of each operand over the broadcast batch axes.
        let sa = broadcast_strides(batch_a, &batch);
        let sb = broadcast_strides(batch_b, &batch);
        let (ma, mb) = (ra * ca, rb * cb);
        // Element strides (row, column) of op(a) and op(b).
        let stride_a = if ta { (1, ca) } else { (ca, 1) };
        let stride_b = if tb { (1, cb) } else { (cb, 1) };
        let (pa, pb) = (self.as_slice(), other.as_slice());
        for_each_offset(&batch, [&sa, &sb], |i, [ia, ib]| {
            let c = &mut out[i * m * n..(i + 1) * m * n];
            T::gemm(
                m,
                k,
                n,
                &pa[ia * ma..],
                stride_a,
                &pb[ib * mb..],
                stride_b,
                c,
            );
        });
        Ok(Self::from_parts(shape, out))
    }
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
    fn inner_dimension_mismatch_names_both_shapes() {
        let a = Tensor::<f32>::zeros(&[2, 3]);
        let b = Tensor::<f32>::zeros(&[4, 5]);
        let e = a.matmul_t(&b, false, false).unwrap_err();
        assert_eq!(e.message(), "inner dimensions differ: [2, 3] x [4, 5]");
    }
}
