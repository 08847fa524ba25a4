//! Convolution kernels over NCHW tensors: the forward correlation, its adjoint (the
//! transposed convolution) and the weight gradient, all as im2col/col2im around the GEMM,
//! and how they use the cores. Geometry and checks are in `geometry.rs`, the index plan in
//! `plan.rs`; nothing here knows about tapes.

mod geometry;
mod plan;
#[cfg(test)]
mod tests;

pub use geometry::ConvGeometry;

use super::{alloc_buffer, numel, worker_threads, Tensor, TensorError};
use crate::error::{tensor_error, ErrorKind};
use crate::Float;
use plan::Plan;

/// Multiply-adds below which a kernel stays on the calling thread (about 0.1 ms of work).
const PARALLEL_MIN_MACS: usize = 1 << 21;

/// Threads for a kernel of `macs` multiply-adds over `batch` images.
///
/// # Design
/// Two ways to use the cores: split the images over the threads, each running its
/// products on one thread, or one thread and the GEMM's own split inside each product.
/// The products of a convolution are per image and small (conv_step's: 6×25 by 25×576
/// and 16×150 by 150×64), so splitting the images is the one that pays; the GEMM then
/// stays on the thread it is called from. Nesting both was the slowest of all.
fn batch_threads(batch: usize, macs: usize) -> usize {
    let threads = worker_threads().min(batch);
    if threads <= 1 || macs < PARALLEL_MIN_MACS {
        1
    } else {
        threads
    }
}

/// Runs `f(images, out)` over the batch: `out` holds `per` elements per image, split in
/// contiguous runs of images over `threads` threads of the worker pool.
fn over_batch<T: Float>(
    batch: usize,
    per: usize,
    threads: usize,
    out: &mut [T],
    f: impl Fn(std::ops::Range<usize>, &mut [T]) + Sync,
) {
    if threads <= 1 || per == 0 {
        f(0..batch, out);
        return;
    }
    let chunk = batch.div_ceil(threads);
    super::workers::for_each_chunk_mut(out, chunk * per, &|i, part| {
        f(i * chunk..(i * chunk + part.len() / per), part)
    });
}

impl<T: Float> Tensor<T> {
    /// The 2-d convolution (cross-correlation) of `self` `[N, C, H, W]` with `w`
    /// `[O, C/groups, KH, KW]`: `y[n, o, i, j] = Σ_{c, p, q} x[n, g·C/groups + c,
    /// i·s₀ + p·d₀ − pad₀, j·s₁ + q·d₁ − pad₁] · w[o, c, p, q]` for `o` in group `g`, giving
    /// `[N, O, OH, OW]`; or the error naming the shapes and parameters.
    ///
    /// ```
    /// use tapegrad_core::tensor::ConvGeometry;
    /// use tapegrad_core::Tensor;
    /// let x = Tensor::<f64>::arange(9).reshape(&[1, 1, 3, 3]).unwrap();
    /// let w = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], &[1, 1, 2, 2]);
    /// let y = x.conv2d(&w, &ConvGeometry::default()).unwrap();
    /// assert_eq!(y.as_slice(), &[4.0, 6.0, 10.0, 12.0]); // x[i, j] + x[i + 1, j + 1]
    /// ```
    pub fn conv2d(&self, w: &Self, geom: &ConvGeometry) -> Result<Self, TensorError> {
        let shape = geom.check_conv(self.shape(), w.shape(), 2)?;
        if shape.contains(&0) {
            return Ok(Self::empty(shape));
        }
        let (xs, ws) = (self.shape(), w.shape());
        let (n, c, o, g) = (xs[0], xs[1], ws[0], geom.groups);
        let (cg, og) = (c / g, o / g);
        let plan = Plan::new(geom, [xs[2], xs[3]], [shape[2], shape[3]], [ws[2], ws[3]]);
        let (p, kg) = (shape[2] * shape[3], cg * plan.taps_per_channel());
        let per = o * p;
        let mut out = alloc_buffer(numel(&shape))?;
        out.resize(numel(&shape), T::ZERO);
        let identity = plan.is_identity();
        let col_len = if identity { 0 } else { kg * p };
        alloc_buffer::<T>(col_len)?; // refuse an impossible patch matrix before threading
        let (x, wd) = (self.as_slice(), w.as_slice());
        let in_per = c * xs[2] * xs[3];
        let threads = batch_threads(n, n * per * kg);
        let serial = threads > 1;
        over_batch(n, per, threads, &mut out, |images, out| {
            let mut col = vec![T::ZERO; col_len];
            for (i, y) in images.zip(out.chunks_exact_mut(per)) {
                for gi in 0..g {
                    let xg = &x[i * in_per + gi * cg * xs[2] * xs[3]..][..cg * xs[2] * xs[3]];
                    let b = if identity {
                        xg
                    } else {
                        plan.im2col(xg, cg, &mut col);
                        &col
                    };
                    let a = &wd[gi * og * kg..(gi + 1) * og * kg];
                    let y = &mut y[gi * og * p..(gi + 1) * og * p];
                    gemm_rows(og, kg, p, a, (kg, 1), b, (p, 1), y, serial);
                }
            }
        });
        Ok(Self::from_parts(shape, out))
    }

    /// The transposed convolution of `self` `[N, C_in, H, W]` with `w`
    /// `[C_in, C_out/groups, KH, KW]` (PyTorch's layout): the adjoint of
    /// [`conv2d`](Self::conv2d) with the same geometry, giving `[N, C_out, H', W']` with
    /// `H' = (H − 1)·s − pad_begin − pad_end + d·(KH − 1) + 1`; or the error.
    ///
    /// ```
    /// use tapegrad_core::tensor::ConvGeometry;
    /// use tapegrad_core::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0], &[1, 1, 1, 2]);
    /// let w = Tensor::from_vec(vec![1.0, 10.0], &[1, 1, 1, 2]);
    /// let y = x.conv_transpose2d(&w, &ConvGeometry::default()).unwrap();
    /// assert_eq!(y.as_slice(), &[1.0, 12.0, 20.0]); // each input stamps the kernel
    /// ```
    pub fn conv_transpose2d(&self, w: &Self, geom: &ConvGeometry) -> Result<Self, TensorError> {
        let shape = geom.check_transposed(self.shape(), w.shape(), 2)?;
        if shape.contains(&0) {
            return Ok(Self::empty(shape));
        }
        let (xs, ws) = (self.shape(), w.shape());
        let (n, cin, cout, g) = (xs[0], xs[1], shape[1], geom.groups);
        let (cig, cog) = (cin / g, cout / g);
        // The convolution this is the adjoint of maps the output grid to the input grid.
        let plan = Plan::new(geom, [shape[2], shape[3]], [xs[2], xs[3]], [ws[2], ws[3]]);
        let (p, kg) = (xs[2] * xs[3], cog * plan.taps_per_channel());
        let per = numel(&shape[1..]);
        let mut out = alloc_buffer(numel(&shape))?;
        out.resize(numel(&shape), T::ZERO);
        let identity = plan.is_identity();
        alloc_buffer::<T>(if identity { 0 } else { kg * p })?;
        let (x, wd) = (self.as_slice(), w.as_slice());
        let out_g = cog * shape[2] * shape[3];
        let macs = n * p * cin * kg;
        let threads = batch_threads(n, macs);
        let serial = threads > 1;
        over_batch(n, per, threads, &mut out, |images, out| {
            let mut col = vec![T::ZERO; if identity { 0 } else { kg * p }];
            for (i, y) in images.zip(out.chunks_exact_mut(per)) {
                for gi in 0..g {
                    let xg = &x[(i * cin + gi * cig) * p..][..cig * p];
                    // col = W_gᵀ · x_g: W_g is [C_in/g, C_out/g·KH·KW], read transposed
                    let a = &wd[gi * cig * kg..(gi + 1) * cig * kg];
                    let y = &mut y[gi * out_g..(gi + 1) * out_g];
                    if identity {
                        gemm_rows(kg, cig, p, a, (1, kg), xg, (p, 1), y, serial);
                    } else {
                        gemm_rows(kg, cig, p, a, (1, kg), xg, (p, 1), &mut col, serial);
                        plan.col2im(&col, cog, y);
                    }
                }
            }
        });
        Ok(Self::from_parts(shape, out))
    }

    /// The gradient of [`conv2d`](Self::conv2d) with respect to its weight: for an input
    /// `self` `[N, C, H, W]` and an output cotangent `dy` `[N, O, OH, OW]`,
    /// `dw[o, c, p, q] = Σ_{n, i, j} dy[n, o, i, j] · x[n, g·C/groups + c, i·s₀ + p·d₀ −
    /// pad₀, j·s₁ + q·d₁ − pad₁]`, shaped `[O, C/groups, KH, KW]` for `kernel = [KH, KW]`.
    /// It is itself a convolution of `x` with `dy` as the kernel (stride and dilation
    /// exchanged). An error when `dy` is not the output shape of that convolution.
    pub fn conv2d_weight(
        &self,
        dy: &Self,
        kernel: [usize; 2],
        geom: &ConvGeometry,
    ) -> Result<Self, TensorError> {
        let (xs, ds) = (self.shape(), dy.shape());
        let fail = |what: &str| {
            tensor_error!(
                ErrorKind::ShapeMismatch {
                    shapes: vec![xs.to_vec(), ds.to_vec()]
                },
                "{what}: input {xs:?}, output gradient {ds:?}, kernel {kernel:?}, {}",
                geom.describe(2)
            )
        };
        if xs.len() != 4 || ds.len() != 4 || geom.groups == 0 || xs[1] % geom.groups != 0 {
            return Err(fail(
                "needs rank-4 input and output gradient, groups dividing C",
            ));
        }
        let g = geom.groups;
        let wshape = [ds[1], xs[1] / g, kernel[0], kernel[1]];
        let yshape = geom.check_conv(xs, &wshape, 2)?;
        if yshape[..] != ds[..] {
            return Err(fail(
                "the output gradient is not shaped as the convolution's output",
            ));
        }
        let (n, o, cg) = (xs[0], ds[1], xs[1] / g);
        let og = o / g;
        let plan = Plan::new(geom, [xs[2], xs[3]], [ds[2], ds[3]], kernel);
        let (p, kg) = (ds[2] * ds[3], cg * plan.taps_per_channel());
        let size = o * kg;
        let identity = plan.is_identity();
        let col_len = if identity { 0 } else { kg * p };
        alloc_buffer::<T>(col_len)?;
        let (x, d) = (self.as_slice(), dy.as_slice());
        let in_per = xs[1] * xs[2] * xs[3];
        // One partial sum per thread, each `size` long, added at the end.
        let threads = batch_threads(n, n * size * p).max(1);
        let serial = threads > 1;
        let mut partial = alloc_buffer(threads * size)?;
        partial.resize(threads * size, T::ZERO);
        let chunk = n.div_ceil(threads).max(1);
        over_batch(threads, size, threads, &mut partial, |ts, acc| {
            let mut col = vec![T::ZERO; col_len];
            let mut tmp = vec![T::ZERO; og * kg];
            for t in ts {
                for i in (t * chunk).min(n)..((t + 1) * chunk).min(n) {
                    for gi in 0..g {
                        let xg = &x[i * in_per + gi * cg * xs[2] * xs[3]..][..cg * xs[2] * xs[3]];
                        let b = if identity {
                            xg
                        } else {
                            plan.im2col(xg, cg, &mut col);
                            &col
                        };
                        let a = &d[(i * o + gi * og) * p..][..og * p];
                        // dw_gᵀ += col · dy_gᵀ: the large operand, col, is read row by row
                        // (as `dy_g · colᵀ` its packing gathered columns of stride P)
                        gemm_rows(kg, p, og, b, (p, 1), a, (1, p), &mut tmp, serial);
                        let acc = &mut acc[gi * og * kg..(gi + 1) * og * kg];
                        for (r, row) in tmp.chunks_exact(og.max(1)).enumerate() {
                            for (o, &t) in row.iter().enumerate() {
                                acc[o * kg + r] += t;
                            }
                        }
                    }
                }
            }
        });
        let mut dw = partial;
        let (head, rest) = dw.split_at_mut(size);
        for part in rest.chunks_exact(size) {
            head.iter_mut().zip(part).for_each(|(a, &b)| *a += b);
        }
        dw.truncate(size);
        Ok(Self::from_parts(wshape.into_iter().collect(), dw))
    }
}

/// `c = a·b` (`m×k` times `k×n`, strided operands, `c` row-major) through the GEMM, or
/// zeros when the inner dimension is empty. With `serial` (the images are already split
/// over the threads, see [`batch_threads`]) the product stays on the calling thread.
#[allow(clippy::too_many_arguments)]
fn gemm_rows<T: Float>(
    m: usize,
    k: usize,
    n: usize,
    a: &[T],
    sa: (usize, usize),
    b: &[T],
    sb: (usize, usize),
    c: &mut [T],
    serial: bool,
) {
    if k == 0 || m == 0 || n == 0 {
        c.fill(T::ZERO);
        return;
    }
    let threads = if serial { 1 } else { worker_threads() };
    T::gemm(m, k, n, a, sa, b, sb, c, threads);
}
