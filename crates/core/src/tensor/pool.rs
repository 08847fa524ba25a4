//! Pooling kernels over the last two axes of a tensor (`[.., H, W]`, the leading axes
//! flattened into one batch): window tables per axis ([`AxisWindows`]), and the max, argmax,
//! average and transposed-average kernels. The ops on top live in `ops/pool/`; a 1-d pool
//! is a 2-d one whose `H` axis is a single window of one row.

use super::{alloc_buffer, filled_buffer, output_buffer, shape_of, Shape, Tensor, TensorError};
use crate::error::{tensor_error, ErrorKind};
use crate::tensor::gather::IndexTensor;
use crate::Float;

/// The windows along one axis: output position `o` reads the input positions
/// `first[o] + j·step` for `j < count[o]` (already clipped to the input, so every one is a
/// real element) and an average divides by `divisor[o]`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AxisWindows {
    /// Length of the axis in the input.
    pub input: usize,
    /// First real input position of each window.
    pub first: Vec<usize>,
    /// Number of real input positions in each window (at least 1).
    pub count: Vec<usize>,
    /// Distance between the positions of a window (the dilation).
    pub step: usize,
    /// What an average divides this axis's share by (the window's length along the axis,
    /// padding included or not).
    pub divisor: Vec<usize>,
}

/// Why a window table cannot be built: the caller turns it into an error naming its op,
/// its parameters and the input's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WindowError {
    /// The output would have `output < 1` positions along the axis.
    TooSmall {
        /// The computed output length (may be 0 or negative).
        output: i64,
    },
    /// A window holds only padding.
    AllPadding {
        /// The window's output position.
        at: usize,
    },
}

impl AxisWindows {
    /// PyTorch's sliding windows: output length
    /// `⌊(L + 2p − d(k − 1) − 1) / s⌋ + 1` (`⌈⌉` in ceil mode, where the last window must
    /// still start inside the input or its left padding), window `o` covering
    /// `o·s − p + j·d` for `j < k`. The divisor is the window's length clipped to the padded
    /// input (`count_include_pad`) or to the input.
    ///
    /// The parameters must be positive (`kernel`, `stride`, `dilation`): the caller checks.
    pub fn sliding(
        input: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        dilation: usize,
        ceil_mode: bool,
        count_include_pad: bool,
    ) -> Result<Self, WindowError> {
        let (l, k, s, p, d) = (
            input as i64,
            kernel as i64,
            stride as i64,
            padding as i64,
            dilation as i64,
        );
        // PyTorch's `pooling_output_shape`: a division rounding toward -inf
        let span = l + 2 * p - d * (k - 1) - 1 + if ceil_mode { s - 1 } else { 0 };
        let mut output = span.div_euclid(s) + 1;
        if ceil_mode && (output - 1) * s >= l + p {
            output -= 1;
        }
        if output < 1 {
            return Err(WindowError::TooSmall { output });
        }
        let n = output as usize;
        let mut table = AxisWindows {
            input,
            first: Vec::with_capacity(n),
            count: Vec::with_capacity(n),
            step: dilation,
            divisor: Vec::with_capacity(n),
        };
        for o in 0..output {
            let start = o * s - p;
            // the taps `start + j·d` inside [0, l): j from ⌈-start/d⌉ to ⌈(l - start)/d⌉
            let lo = if start < 0 { (-start + d - 1) / d } else { 0 };
            let hi = ((l - start + d - 1) / d).min(k);
            if lo >= hi {
                return Err(WindowError::AllPadding { at: o as usize });
            }
            table.first.push((start + lo * d) as usize);
            table.count.push((hi - lo) as usize);
            // PyTorch's avg-pool divisor (dilation is 1 there): the window clipped to the
            // padded input, or to the input alone
            let divisor = if count_include_pad {
                (start + k).min(l + p) - start
            } else {
                hi - lo
            };
            table.divisor.push(divisor as usize);
        }
        Ok(table)
    }

    /// PyTorch's adaptive windows: output position `o` of `output` averages the input
    /// positions `⌊o·L/n⌋ .. ⌈(o + 1)·L/n⌉`. `input` and `output` must be positive.
    pub fn adaptive(input: usize, output: usize) -> Self {
        let mut table = AxisWindows {
            input,
            first: Vec::with_capacity(output),
            count: Vec::with_capacity(output),
            step: 1,
            divisor: Vec::with_capacity(output),
        };
        for o in 0..output {
            let start = o * input / output;
            let end = ((o + 1) * input).div_ceil(output);
            table.first.push(start);
            table.count.push(end - start);
            table.divisor.push(end - start);
        }
        table
    }

    /// One window of the single position 0: the `H` axis of a 1-d pool.
    pub fn single() -> Self {
        AxisWindows {
            input: 1,
            first: vec![0],
            count: vec![1],
            step: 1,
            divisor: vec![1],
        }
    }

    /// Number of output positions.
    pub fn output(&self) -> usize {
        self.first.len()
    }
}

/// A pooling of the last two axes: the batch size (product of the leading axes) and the
/// window tables of `H` and `W`, with the input and output shapes.
#[derive(Clone, Debug)]
pub(crate) struct PoolGeometry {
    /// The shape of the input.
    pub input: Shape,
    /// The shape of the output: the input's leading axes, then the output lengths.
    pub output: Shape,
    /// Product of the leading axes.
    pub batch: usize,
    /// Windows along `H`.
    pub h: AxisWindows,
    /// Windows along `W`.
    pub w: AxisWindows,
}

impl PoolGeometry {
    /// The geometry for an input of shape `input` whose last `spatial` (1 or 2) axes are
    /// pooled with these tables (for `spatial = 1`, `h` is [`AxisWindows::single`]).
    pub fn new(input: &[usize], spatial: usize, h: AxisWindows, w: AxisWindows) -> Self {
        let lead = &input[..input.len() - spatial];
        let mut output = shape_of(lead);
        if spatial == 2 {
            output.push(h.output());
        }
        output.push(w.output());
        PoolGeometry {
            input: shape_of(input),
            output,
            // the input's element count fits in usize, so its leading product does too
            batch: lead.iter().product(),
            h,
            w,
        }
    }

    fn plane_in(&self) -> usize {
        self.h.input * self.w.input
    }

    fn plane_out(&self) -> usize {
        self.h.output() * self.w.output()
    }

    /// Calls `f(o, taps)` for every output position `o` of one plane, `taps` being the
    /// offsets in the input plane of its window's real elements in scan order (row by
    /// row), through a reused buffer.
    fn for_each_window(&self, mut f: impl FnMut(usize, &[usize])) {
        let (h, w) = (&self.h, &self.w);
        let mut taps = Vec::new();
        for oh in 0..h.output() {
            for ow in 0..w.output() {
                taps.clear();
                for i in 0..h.count[oh] {
                    let row = (h.first[oh] + i * h.step) * w.input;
                    for j in 0..w.count[ow] {
                        taps.push(row + w.first[ow] + j * w.step);
                    }
                }
                f(oh * w.output() + ow, &taps);
            }
        }
    }

    fn check_input<T: Float>(&self, x: &Tensor<T>, shape: &[usize]) -> Result<(), TensorError> {
        if x.shape() != shape {
            return Err(tensor_error!(
                ErrorKind::ShapeMismatch {
                    shapes: vec![x.shape().to_vec(), shape.to_vec()]
                },
                "pooling input of shape {:?} where {:?} was expected",
                x.shape(),
                shape
            ));
        }
        Ok(())
    }
}

/// The first maximum of `taps` in `plane` in scan order, as PyTorch picks it: an element
/// replaces the best so far when it is larger or NaN (so a NaN wins), starting from `-inf`
/// at the first tap. Returns `(offset, value)`.
#[inline]
fn argmax<T: Float>(plane: &[T], taps: &[usize]) -> (usize, T) {
    let mut best = (taps[0], T::NEG_INFINITY);
    for &t in taps {
        let v = plane[t];
        if v > best.1 || v.is_nan() {
            best = (t, v);
        }
    }
    best
}

impl<T: Float> Tensor<T> {
    /// Max pooling: each output element is the largest of its window.
    pub(crate) fn max_pool(&self, g: &PoolGeometry) -> Result<Self, TensorError> {
        g.check_input(self, &g.input)?;
        let Some(mut data) = output_buffer(&g.output)? else {
            return Ok(Self::empty(g.output.clone()));
        };
        let src = self.as_slice();
        for b in 0..g.batch {
            let plane = &src[b * g.plane_in()..(b + 1) * g.plane_in()];
            g.for_each_window(|_, taps| data.push(argmax(plane, taps).1));
        }
        Ok(Self::from_parts(g.output.clone(), data))
    }

    /// Where [`max_pool`](Self::max_pool) read each output element: `[batch, OH·OW]`
    /// offsets into the input plane `[batch, H·W]`.
    pub(crate) fn max_pool_indices(&self, g: &PoolGeometry) -> Result<IndexTensor, TensorError> {
        g.check_input(self, &g.input)?;
        let n = g.batch * g.plane_out();
        let mut index = Vec::new();
        index.try_reserve_exact(n).map_err(|_| {
            tensor_error!(ErrorKind::TooLarge, "cannot allocate {n} pooling indices")
        })?;
        let src = self.as_slice();
        for b in 0..g.batch {
            let plane = &src[b * g.plane_in()..(b + 1) * g.plane_in()];
            g.for_each_window(|_, taps| index.push(argmax(plane, taps).0));
        }
        IndexTensor::try_from_vec(index, &[g.batch, g.plane_out()])
    }

    /// True when some window's maximum is held by more than one of its elements (a tie,
    /// where max pooling is not differentiable).
    pub(crate) fn max_pool_has_tie(&self, g: &PoolGeometry) -> bool {
        if g.check_input(self, &g.input).is_err() {
            return false;
        }
        let src = self.as_slice();
        let mut tie = false;
        for b in 0..g.batch {
            let plane = &src[b * g.plane_in()..(b + 1) * g.plane_in()];
            g.for_each_window(|_, taps| {
                let (at, best) = argmax(plane, taps);
                tie |= taps.iter().any(|&t| t != at && plane[t] == best);
            });
        }
        tie
    }

    /// Average pooling: each output element is the sum of its window's real elements
    /// divided by the product of the two axes' divisors.
    pub(crate) fn avg_pool(&self, g: &PoolGeometry) -> Result<Self, TensorError> {
        g.check_input(self, &g.input)?;
        let Some(mut data) = output_buffer(&g.output)? else {
            return Ok(Self::empty(g.output.clone()));
        };
        let src = self.as_slice();
        let scales = scales::<T>(g);
        for b in 0..g.batch {
            let plane = &src[b * g.plane_in()..(b + 1) * g.plane_in()];
            g.for_each_window(|o, taps| {
                let mut sum = T::ZERO;
                for &t in taps {
                    sum += plane[t];
                }
                data.push(sum * scales[o]);
            });
        }
        Ok(Self::from_parts(g.output.clone(), data))
    }

    /// The adjoint of [`avg_pool`](Self::avg_pool): `self` has the output's shape and each
    /// of its elements, scaled as the average scales, is added to every element of its
    /// window in a zero tensor of the input's shape.
    pub(crate) fn avg_pool_transpose(&self, g: &PoolGeometry) -> Result<Self, TensorError> {
        g.check_input(self, &g.output)?;
        let n = g.batch * g.plane_in();
        let mut data = filled_buffer(n, T::ZERO)?;
        let src = self.as_slice();
        let scales = scales::<T>(g);
        let (pin, pout) = (g.plane_in(), g.plane_out());
        for b in 0..g.batch {
            let plane = &mut data[b * pin..(b + 1) * pin];
            let dy = &src[b * pout..(b + 1) * pout];
            g.for_each_window(|o, taps| {
                let v = dy[o] * scales[o];
                for &t in taps {
                    plane[t] += v;
                }
            });
        }
        if n == 0 {
            return Ok(Self::empty(g.input.clone()));
        }
        Ok(Self::from_parts(g.input.clone(), data))
    }
}

/// `1 / (divisor_h · divisor_w)` for every output position of a plane.
fn scales<T: Float>(g: &PoolGeometry) -> Vec<T> {
    let mut out = alloc_buffer(g.plane_out()).unwrap_or_default();
    for &dh in &g.h.divisor {
        for &dw in &g.w.divisor {
            out.push(T::from_f64(1.0 / (dh * dw) as f64));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_windows_follow_pytorch_lengths() {
        // L = 5, k = 2, s = 2: floor mode 2 windows, ceil mode 3 (the last one clipped)
        let t = AxisWindows::sliding(5, 2, 2, 0, 1, false, true).unwrap();
        assert_eq!((t.first, t.count), (vec![0, 2], vec![2, 2]));
        let t = AxisWindows::sliding(5, 2, 2, 0, 1, true, true).unwrap();
        assert_eq!(
            (t.first, t.count, t.divisor),
            (vec![0, 2, 4], vec![2, 2, 1], vec![2, 2, 1])
        );
        // padding 1, k = 3, s = 2 on L = 4: windows [-1, 2), [1, 4), ceil adds [3, 6)
        let t = AxisWindows::sliding(4, 3, 2, 1, 1, true, true).unwrap();
        assert_eq!(t.first, vec![0, 1, 3]);
        assert_eq!(t.count, vec![2, 3, 1]);
        assert_eq!(t.divisor, vec![3, 3, 2]); // the last clipped at L + p = 5
        let t = AxisWindows::sliding(4, 3, 2, 1, 1, true, false).unwrap();
        assert_eq!(t.divisor, vec![2, 3, 1]);
        // dilation 2, k = 3 on L = 7: taps 0,2,4 / 1,3,5 / 2,4,6
        let t = AxisWindows::sliding(7, 3, 1, 0, 2, false, true).unwrap();
        assert_eq!(
            (t.first, t.count, t.step),
            (vec![0, 1, 2], vec![3, 3, 3], 2)
        );
        assert_eq!(
            AxisWindows::sliding(2, 3, 1, 0, 1, false, true),
            Err(WindowError::TooSmall { output: 0 })
        );
    }

    #[test]
    fn adaptive_windows_overlap_as_pytorch_bins() {
        // L = 5 into 3: [0, 2), [1, 4), [3, 5)
        let t = AxisWindows::adaptive(5, 3);
        assert_eq!((t.first, t.count), (vec![0, 1, 3], vec![2, 3, 2]));
    }
}
