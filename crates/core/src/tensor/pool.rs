//! Pooling kernels over the last two axes of a tensor (`[.., H, W]`, the leading axes
//! flattened into one batch): window tables per axis ([`AxisWindows`]), and the max, argmax,
//! average and transposed-average kernels. The ops on top live in `ops/pool/`; a 1-d pool
//! is a 2-d one whose `H` axis is a single window of one row. Windows that tile the plane
//! (`kernel = stride`, no padding) take the fast path in `pool/tiles.rs`.

mod tiles;

use super::{filled_buffer, shape_of, try_numel, Shape, Tensor, TensorError};
use crate::error::{tensor_error, ErrorKind};
use crate::Float;
use tiles::Tiles;

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
    /// Sliding windows: the kernel length (taps of an unclipped window), 0 for adaptive
    /// bins, which are not evenly spaced.
    pub kernel: usize,
    /// Sliding windows: window `o` starts at `o·stride − padding`.
    pub stride: usize,
    /// Sliding windows: the padding before the first input position.
    pub padding: usize,
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
        // in i128, where every usize and the sums below fit; only `d·(k − 1)` can
        // overflow, and then the kernel is longer than any input
        let (l, k, s, p, d) = (
            input as i128,
            kernel as i128,
            stride as i128,
            padding as i128,
            dilation as i128,
        );
        let too_small = |output: i128| WindowError::TooSmall {
            output: output.clamp(i64::MIN.into(), i64::MAX.into()) as i64,
        };
        let reach = d.checked_mul(k - 1).ok_or(too_small(0))?;
        // PyTorch's `pooling_output_shape`: a division rounding toward -inf
        let span = l + 2 * p - reach - 1 + if ceil_mode { s - 1 } else { 0 };
        let mut output = span.div_euclid(s) + 1;
        if ceil_mode && (output - 1) * s >= l + p {
            output -= 1;
        }
        if output < 1 {
            return Err(too_small(output));
        }
        let n = output as usize;
        let mut table = AxisWindows {
            input,
            first: Vec::with_capacity(n),
            count: Vec::with_capacity(n),
            step: dilation,
            divisor: Vec::with_capacity(n),
            kernel,
            stride,
            padding,
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
            kernel: 0,
            stride: 0,
            padding: 0,
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
            kernel: 1,
            stride: 1,
            padding: 0,
        }
    }

    /// The sliding windows that lie wholly inside the input, `lo..hi`, with the stride:
    /// window `o` of them reads `o·stride − padding + j·step` for every `j < kernel`.
    /// `None` for adaptive bins or when there are none.
    pub fn interior(&self) -> Option<(usize, usize, usize)> {
        let (k, s, p) = (self.kernel, self.stride, self.padding);
        if k == 0 {
            return None;
        }
        // o·s ≥ p, and o·s − p + (k − 1)·step ≤ input − 1
        let lo = p.div_ceil(s);
        let reach = (self.input + p).checked_sub((k - 1) * self.step + 1)?;
        let hi = (reach / s + 1).min(self.output());
        (lo < hi).then_some((lo, hi, s))
    }

    /// The windows outside [`interior`](Self::interior) (all of them without one).
    pub fn borders(&self, interior: Option<(usize, usize, usize)>) -> impl Iterator<Item = usize> {
        let n = self.output();
        let (lo, hi) = interior.map_or((n, n), |(lo, hi, _)| (lo, hi));
        (0..lo).chain(hi..n)
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

    /// The maximum of every window of one plane, written to `best`: an element replaces
    /// the best so far when it is larger or NaN (so a NaN wins), from `-inf`.
    ///
    /// # Design
    /// Rows of windows are swept together: for each tap `(i, j)` of the kernel, the
    /// windows of one output row that lie wholly inside the input (all but a few at the
    /// borders) read `plane[row + j·d − p + ow·s]`, a strided run (see [`run`]) that the
    /// compiler vectorises for strides 1 and 2; the border windows take the general path.
    /// Where each maximum was found is a second, short scan ([`argmax_plane`]), so this
    /// loop carries no index.
    ///
    /// [`argmax_plane`]: Self::argmax_plane
    #[inline(always)]
    fn max_plane<T: Float>(&self, plane: &[T], best: &mut [T]) {
        let (h, w) = (&self.h, &self.w);
        let (wi, ow_n) = (w.input, w.output());
        let inner = w.interior();
        best.fill(T::NEG_INFINITY);
        for oh in 0..h.output() {
            let best = &mut best[oh * ow_n..(oh + 1) * ow_n];
            for i in 0..h.count[oh] {
                let row = (h.first[oh] + i * h.step) * wi;
                if let Some((lo, hi, stride)) = inner {
                    for j in 0..w.kernel {
                        // the first interior window's tap j: `lo·s − p + j·d ≥ 0`
                        let start = row + lo * stride + j * w.step - w.padding;
                        run(&plane[start..], &mut best[lo..hi], stride, |b, v| {
                            if v > *b || v.is_nan() {
                                v
                            } else {
                                *b
                            }
                        });
                    }
                }
                for ow in w.borders(inner) {
                    let first = row + w.first[ow];
                    for j in 0..w.count[ow] {
                        let v = plane[first + j * w.step];
                        let b = best[ow];
                        best[ow] = if v > b || v.is_nan() { v } else { b };
                    }
                }
            }
        }
    }

    /// Where each window of a plane holds its maximum `best[o]` (the pooled output), as
    /// PyTorch picks it: the first such element in scan order (row by row, then along the
    /// row), and for a NaN maximum the last NaN (each NaN replaces the best so far).
    /// Writes the offsets in the plane to `at`.
    ///
    /// # Design
    /// The taps are visited in reverse scan order, every match overwriting the last, so
    /// the first match is what remains: no early exit, hence no unpredictable branch, and
    /// the interior windows are swept a row at a time as in [`max_plane`](Self::max_plane).
    /// Windows with a NaN maximum (rare) are redone in forward order.
    #[inline(always)]
    fn argmax_plane<T: Float>(&self, plane: &[T], best: &[T], at: &mut [usize]) {
        let (h, w) = (&self.h, &self.w);
        let (wi, ow_n) = (w.input, w.output());
        let inner = w.interior();
        for oh in 0..h.output() {
            let best = &best[oh * ow_n..(oh + 1) * ow_n];
            let at = &mut at[oh * ow_n..(oh + 1) * ow_n];
            for i in (0..h.count[oh]).rev() {
                let row = (h.first[oh] + i * h.step) * wi;
                if let Some((lo, hi, stride)) = inner {
                    for j in (0..w.kernel).rev() {
                        let start = row + lo * stride + j * w.step - w.padding;
                        mark(
                            &plane[start..],
                            &best[lo..hi],
                            &mut at[lo..hi],
                            start,
                            stride,
                        );
                    }
                }
                for ow in w.borders(inner) {
                    let first = row + w.first[ow];
                    for j in (0..w.count[ow]).rev() {
                        let t = first + j * w.step;
                        at[ow] = if plane[t] == best[ow] { t } else { at[ow] };
                    }
                }
            }
            // a fold, not `any`: no early exit, so it vectorises; NaN maxima are rare
            if !best.iter().fold(false, |nan, b| nan | b.is_nan()) {
                continue;
            }
            for ow in (0..ow_n).filter(|&ow| best[ow].is_nan()) {
                for i in 0..h.count[oh] {
                    let row = (h.first[oh] + i * h.step) * wi + w.first[ow];
                    for j in 0..w.count[ow] {
                        let t = row + j * w.step;
                        if plane[t].is_nan() {
                            at[ow] = t;
                        }
                    }
                }
            }
        }
    }

    /// The cotangent of one plane: `dy[o]` added into `dx` (zeros) at the argmax of window
    /// `o` (see [`argmax_plane`](Self::argmax_plane)), in window order.
    fn scatter_plane<T: Float>(&self, plane: &[T], y: &[T], dy: &[T], dx: &mut [T]) {
        let mut at = vec![0; self.plane_out()];
        self.argmax_plane(plane, y, &mut at);
        for (&t, &v) in at.iter().zip(dy) {
            dx[t] += v;
        }
    }

    /// The adjoint of [`scatter_plane`](Self::scatter_plane): `out[o]` is `v` at the argmax
    /// of window `o`.
    fn gather_plane<T: Float>(&self, plane: &[T], y: &[T], v: &[T], out: &mut [T]) {
        let mut at = vec![0; self.plane_out()];
        self.argmax_plane(plane, y, &mut at);
        for (o, &t) in out.iter_mut().zip(&at) {
            *o = v[t];
        }
    }

    /// The sum of every window's real elements of one plane, times its scale, added to
    /// `out` (zeros): as [`max_plane`](Self::max_plane), interior windows row-swept.
    #[inline(always)]
    fn sum_plane<T: Float>(&self, plane: &[T], scales: &[T], out: &mut [T]) {
        let (h, w) = (&self.h, &self.w);
        let (wi, ow_n) = (w.input, w.output());
        let inner = w.interior();
        for oh in 0..h.output() {
            let acc = &mut out[oh * ow_n..(oh + 1) * ow_n];
            for i in 0..h.count[oh] {
                let row = (h.first[oh] + i * h.step) * wi;
                if let Some((lo, hi, stride)) = inner {
                    for j in 0..w.kernel {
                        let start = row + lo * stride + j * w.step - w.padding;
                        run(&plane[start..], &mut acc[lo..hi], stride, |a, v| *a + v);
                    }
                }
                for ow in w.borders(inner) {
                    let first = row + w.first[ow];
                    for j in 0..w.count[ow] {
                        acc[ow] += plane[first + j * w.step];
                    }
                }
            }
            for (a, &s) in acc.iter_mut().zip(&scales[oh * ow_n..]) {
                *a *= s;
            }
        }
    }

    /// The adjoint of [`sum_plane`](Self::sum_plane): each `dy[o]·scale[o]` added to every
    /// element of window `o` in `dx` (zeros).
    #[inline(always)]
    fn spread_plane<T: Float>(&self, dy: &[T], scales: &[T], dx: &mut [T]) {
        let (h, w) = (&self.h, &self.w);
        let (wi, ow_n) = (w.input, w.output());
        let inner = w.interior();
        let mut v = vec![T::ZERO; ow_n];
        for oh in 0..h.output() {
            for (k, x) in v.iter_mut().enumerate() {
                *x = dy[oh * ow_n + k] * scales[oh * ow_n + k];
            }
            for i in 0..h.count[oh] {
                let row = (h.first[oh] + i * h.step) * wi;
                if let Some((lo, hi, stride)) = inner {
                    for j in 0..w.kernel {
                        // distinct windows' tap j are distinct elements
                        let start = row + lo * stride + j * w.step - w.padding;
                        spread(&v[lo..hi], &mut dx[start..], stride);
                    }
                }
                for ow in w.borders(inner) {
                    let first = row + w.first[ow];
                    for j in 0..w.count[ow] {
                        dx[first + j * w.step] += v[ow];
                    }
                }
            }
        }
    }

    /// `1 / (divisor_h · divisor_w)` for every output position of a plane.
    fn scales<T: Float>(&self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.plane_out());
        for &dh in &self.h.divisor {
            for &dw in &self.w.divisor {
                out.push(T::from_f64(1.0 / (dh * dw) as f64));
            }
        }
        out
    }
}

/// `acc[k] = f(acc[k], src[k·stride])` for every `k`: the inner loop of the row sweeps,
/// with strides 1 and 2 (a pooling's usual ones) given to the compiler as constants.
#[inline(always)]
fn run<T: Float>(src: &[T], acc: &mut [T], stride: usize, f: impl Fn(&T, T) -> T) {
    match stride {
        1 => run_by::<T, 1>(src, acc, f),
        2 => run_by::<T, 2>(src, acc, f),
        s => acc
            .iter_mut()
            .zip(src.iter().step_by(s))
            .for_each(|(a, &v)| *a = f(a, v)),
    }
}

/// [`run`] with a constant stride: one length check up front, so the loop has none.
#[inline(always)]
fn run_by<T: Float, const S: usize>(src: &[T], acc: &mut [T], f: impl Fn(&T, T) -> T) {
    let Some(last) = acc.len().checked_sub(1) else {
        return;
    };
    let src = &src[..last * S + 1];
    for k in 0..acc.len() {
        acc[k] = f(&acc[k], src[k * S]);
    }
}

/// `dst[k·stride] += v[k]` for every `k`: the adjoint of [`run`] with `+`.
#[inline(always)]
fn spread<T: Float>(v: &[T], dst: &mut [T], stride: usize) {
    match stride {
        1 => spread_by::<T, 1>(v, dst),
        2 => spread_by::<T, 2>(v, dst),
        s => dst.iter_mut().step_by(s).zip(v).for_each(|(d, &x)| *d += x),
    }
}

/// [`spread`] with a constant stride.
#[inline(always)]
fn spread_by<T: Float, const S: usize>(v: &[T], dst: &mut [T]) {
    let Some(last) = v.len().checked_sub(1) else {
        return;
    };
    let dst = &mut dst[..last * S + 1];
    for k in 0..v.len() {
        dst[k * S] += v[k];
    }
}

/// `at[k] = start + k·stride` wherever `src[k·stride] == best[k]`: the inner loop of
/// [`PoolGeometry::argmax_plane`], specialised as [`run`] is.
#[inline(always)]
fn mark<T: Float>(src: &[T], best: &[T], at: &mut [usize], start: usize, stride: usize) {
    match stride {
        1 => mark_by::<T, 1>(src, best, at, start),
        2 => mark_by::<T, 2>(src, best, at, start),
        s => {
            let taps = src.iter().step_by(s);
            for (k, ((a, &b), &v)) in at.iter_mut().zip(best).zip(taps).enumerate() {
                *a = if v == b { start + k * s } else { *a };
            }
        }
    }
}

/// [`mark`] with a constant stride.
#[inline(always)]
fn mark_by<T: Float, const S: usize>(src: &[T], best: &[T], at: &mut [usize], start: usize) {
    let n = at.len().min(best.len());
    let Some(last) = n.checked_sub(1) else {
        return;
    };
    let (src, best, at) = (&src[..last * S + 1], &best[..n], &mut at[..n]);
    for k in 0..n {
        at[k] = if src[k * S] == best[k] {
            start + k * S
        } else {
            at[k]
        };
    }
}

/// Below this many input elements a pooling stays on the calling thread. Chosen when each
/// split started threads (tens of microseconds, about what a pooling of 2¹⁷ elements
/// takes); the worker pool's hand-off is cheaper, so it is an upper bound.
const PARALLEL_POOL_MIN: usize = 1 << 17;

/// Runs `f(plane, chunk)` for every plane `0..batch`, `chunk` being that plane's `len`
/// elements of `out`; planes are split over the worker threads when `work` (input
/// elements) is large.
fn for_each_plane<U: Send>(
    out: &mut [U],
    len: usize,
    work: usize,
    f: impl Fn(usize, &mut [U]) + Sync,
) {
    if len == 0 {
        return;
    }
    let batch = out.len() / len;
    let threads = super::worker_threads().min(batch);
    if threads <= 1 || work < PARALLEL_POOL_MIN {
        for (b, chunk) in out.chunks_mut(len).enumerate() {
            f(b, chunk);
        }
        return;
    }
    let per = batch.div_ceil(threads);
    super::workers::for_each_chunk_mut(out, per * len, &|k, part| {
        for (i, chunk) in part.chunks_mut(len).enumerate() {
            f(k * per + i, chunk);
        }
    });
}

/// A tensor of `shape`, `batch` planes of `per` elements, made plane by plane: `f(b, plane)`
/// writes plane `b` (given as zeros) on the threads of [`for_each_plane`], which splits
/// when `work` input elements are many. An empty `shape` gives the empty tensor.
fn from_planes<T: Float>(
    shape: &Shape,
    batch: usize,
    per: usize,
    work: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) -> Result<Tensor<T>, TensorError> {
    if try_numel(shape)? == 0 {
        return Ok(Tensor::empty(shape.clone()));
    }
    let mut data = filled_buffer(batch * per, T::ZERO)?;
    for_each_plane(&mut data, per, work, f);
    Ok(Tensor::from_parts(shape.clone(), data))
}

impl<T: Float> Tensor<T> {
    /// Max pooling: each output element is the largest of its window.
    pub(crate) fn max_pool(&self, g: &PoolGeometry) -> Result<Self, TensorError> {
        g.check_input(self, &g.input)?;
        let (src, pin, pout) = (self.as_slice(), g.plane_in(), g.plane_out());
        let tiles = Tiles::of(g);
        from_planes(&g.output, g.batch, pout, self.len(), |b, y| {
            let plane = &src[b * pin..(b + 1) * pin];
            match tiles {
                Some(t) => t.max_plane(plane, y),
                None => g.max_plane(plane, y),
            }
        })
    }

    /// The cotangent of max pooling: `self` (shaped like the output) scattered into zeros
    /// of the input's shape at each window's argmax in `x`, found by comparing `x` with
    /// the pooled output `y` (see [`PoolGeometry::argmax_plane`] for ties and NaN).
    pub(crate) fn max_pool_scatter(
        &self,
        x: &Self,
        y: &Self,
        g: &PoolGeometry,
    ) -> Result<Self, TensorError> {
        g.check_input(x, &g.input)?;
        g.check_input(y, &g.output)?;
        g.check_input(self, &g.output)?;
        let (pin, pout) = (g.plane_in(), g.plane_out());
        let (xs, ys, dy) = (x.as_slice(), y.as_slice(), self.as_slice());
        let tiles = Tiles::of(g);
        from_planes(&g.input, g.batch, pin, x.len(), |b, dx| {
            let plane = &xs[b * pin..(b + 1) * pin];
            let (y, dy) = (&ys[b * pout..(b + 1) * pout], &dy[b * pout..(b + 1) * pout]);
            if !tiles.is_some_and(|t| t.scatter_plane(plane, y, dy, dx)) {
                dx.fill(T::ZERO);
                g.scatter_plane(plane, y, dy, dx);
            }
        })
    }

    /// The adjoint of [`max_pool_scatter`](Self::max_pool_scatter): `self` (shaped like the
    /// input) read at each window's argmax, giving the output's shape.
    pub(crate) fn max_pool_gather(
        &self,
        x: &Self,
        y: &Self,
        g: &PoolGeometry,
    ) -> Result<Self, TensorError> {
        g.check_input(x, &g.input)?;
        g.check_input(y, &g.output)?;
        g.check_input(self, &g.input)?;
        let (pin, pout) = (g.plane_in(), g.plane_out());
        let (xs, ys, v) = (x.as_slice(), y.as_slice(), self.as_slice());
        let tiles = Tiles::of(g);
        from_planes(&g.output, g.batch, pout, x.len(), |b, out| {
            let plane = &xs[b * pin..(b + 1) * pin];
            let (y, v) = (&ys[b * pout..(b + 1) * pout], &v[b * pin..(b + 1) * pin]);
            if !tiles.is_some_and(|t| t.gather_plane(plane, y, v, out)) {
                g.gather_plane(plane, y, v, out);
            }
        })
    }

    /// True when some window's maximum is held by more than one of its elements (a tie,
    /// where max pooling is not differentiable).
    pub(crate) fn max_pool_has_tie(&self, g: &PoolGeometry) -> bool {
        if g.check_input(self, &g.input).is_err() {
            return false;
        }
        let (src, pin, pout) = (self.as_slice(), g.plane_in(), g.plane_out());
        let (h, w) = (&g.h, &g.w);
        let (mut best, mut at) = (vec![T::ZERO; pout], vec![0; pout]);
        for b in 0..g.batch {
            let plane = &src[b * pin..(b + 1) * pin];
            g.max_plane(plane, &mut best);
            g.argmax_plane(plane, &best, &mut at);
            for o in 0..pout {
                let (oh, ow) = (o / w.output(), o % w.output());
                for i in 0..h.count[oh] {
                    let row = (h.first[oh] + i * h.step) * w.input + w.first[ow];
                    for j in 0..w.count[ow] {
                        let t = row + j * w.step;
                        if t != at[o] && plane[t] == best[o] {
                            return true;
                        }
                    }
                }
            }
        }
        false
    }

    /// Average pooling: each output element is the sum of its window's real elements
    /// divided by the product of the two axes' divisors.
    pub(crate) fn avg_pool(&self, g: &PoolGeometry) -> Result<Self, TensorError> {
        g.check_input(self, &g.input)?;
        let (src, pin) = (self.as_slice(), g.plane_in());
        let scales = g.scales::<T>();
        let tiles = Tiles::of(g);
        from_planes(&g.output, g.batch, g.plane_out(), self.len(), |b, y| {
            let plane = &src[b * pin..(b + 1) * pin];
            match tiles {
                Some(t) => t.sum_plane(plane, &scales, y),
                None => g.sum_plane(plane, &scales, y),
            }
        })
    }

    /// The adjoint of [`avg_pool`](Self::avg_pool): `self` has the output's shape and each
    /// of its elements, scaled as the average scales, is added to every element of its
    /// window in a zero tensor of the input's shape.
    pub(crate) fn avg_pool_transpose(&self, g: &PoolGeometry) -> Result<Self, TensorError> {
        g.check_input(self, &g.output)?;
        let (src, pout) = (self.as_slice(), g.plane_out());
        let scales = g.scales::<T>();
        let tiles = Tiles::of(g);
        from_planes(
            &g.input,
            g.batch,
            g.plane_in(),
            g.batch * g.plane_in(),
            |b, dx| {
                let dy = &src[b * pout..(b + 1) * pout];
                match tiles {
                    Some(t) => t.spread_plane(dy, &scales, dx),
                    None => g.spread_plane(dy, &scales, dx),
                }
            },
        )
    }
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
        // parameters near usize::MAX: no overflow, just a kernel that does not fit
        let huge = usize::MAX;
        assert!(AxisWindows::sliding(5, huge, 1, 0, huge, false, true).is_err());
        assert!(AxisWindows::sliding(5, 2, huge, 1, 1, true, false).is_ok());
        // a kernel of usize::MAX centred by its padding covers the whole input once
        let t = AxisWindows::sliding(5, huge, huge, huge / 2, 1, true, true).unwrap();
        assert_eq!((t.first, t.count), (vec![0], vec![5]));
    }

    #[test]
    fn interior_windows_are_the_unclipped_ones() {
        let interior = |t: AxisWindows| {
            let inner = t.interior();
            let all: Vec<usize> = (0..t.output()).collect();
            for o in all {
                let unclipped = t.count[o] == t.kernel && t.first[o] + t.padding == o * t.stride;
                let listed = inner.is_some_and(|(lo, hi, _)| (lo..hi).contains(&o));
                assert_eq!(unclipped, listed, "window {o} of {t:?}");
            }
            inner.map(|(lo, hi, _)| (lo, hi))
        };
        assert_eq!(
            interior(AxisWindows::sliding(14, 3, 1, 1, 1, false, true).unwrap()),
            Some((1, 13))
        );
        assert_eq!(
            interior(AxisWindows::sliding(28, 2, 2, 0, 1, false, true).unwrap()),
            Some((0, 14))
        );
        assert_eq!(
            interior(AxisWindows::sliding(5, 2, 2, 0, 1, true, true).unwrap()),
            Some((0, 2))
        );
        assert_eq!(
            interior(AxisWindows::sliding(7, 3, 1, 0, 2, false, true).unwrap()),
            Some((0, 3))
        );
        assert_eq!(
            interior(AxisWindows::sliding(2, 3, 1, 1, 1, false, true).unwrap()),
            None
        );
        assert_eq!(AxisWindows::adaptive(5, 3).interior(), None);
    }

    #[test]
    fn adaptive_windows_overlap_as_pytorch_bins() {
        // L = 5 into 3: [0, 2), [1, 4), [3, 5)
        let t = AxisWindows::adaptive(5, 3);
        assert_eq!((t.first, t.count), (vec![0, 1, 3], vec![2, 3, 2]));
    }
}
