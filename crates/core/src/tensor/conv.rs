//! Convolution kernels over NCHW tensors: the forward correlation, its adjoint (the
//! transposed convolution) and the weight gradient, all as im2col/col2im around the GEMM.
//! The checks of shapes and parameters live here too; nothing here knows about tapes.

use super::{alloc_buffer, numel, worker_threads, Shape, Tensor, TensorError};
use crate::error::{tensor_error, ErrorKind};
use crate::Float;

/// The geometry of a 2-d convolution (cross-correlation, as PyTorch's) along its two
/// spatial axes (H then W): one linear map from an input grid to an output grid that the
/// forward convolution, the transposed convolution and the weight gradient all share.
///
/// Output position `o` of a kernel tap `k` reads input position `i = o·stride + k·dilation
/// − pad_begin`; positions outside `0..size` read zero. The output length along an axis of
/// input length `n` for a kernel of `k` taps is
/// `⌊(n + pad_begin + pad_end − dilation·(k − 1) − 1) / stride⌋ + 1`.
///
/// # Design
/// `pad_end` is signed: a transposed convolution's `output_padding` is a negative end
/// padding of the convolution it is the adjoint of (the trailing rows it adds are ones no
/// window of that convolution reaches). With it the three kernels, and so the three ops and
/// their VJPs, share one geometry and never need a fourth parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConvGeometry {
    /// Step between windows (≥ 1).
    pub stride: [usize; 2],
    /// Spacing between kernel taps (≥ 1).
    pub dilation: [usize; 2],
    /// Zeros before the input (top, left).
    pub pad_begin: [usize; 2],
    /// Zeros after the input (bottom, right); negative: trailing input rows left out.
    pub pad_end: [isize; 2],
    /// Channel groups (≥ 1): group `g` of the output sees only group `g` of the input.
    pub groups: usize,
}

impl Default for ConvGeometry {
    fn default() -> Self {
        ConvGeometry {
            stride: [1, 1],
            dilation: [1, 1],
            pad_begin: [0, 0],
            pad_end: [0, 0],
            groups: 1,
        }
    }
}

impl ConvGeometry {
    /// The parameters as text for error messages, for `spatial` (1 or 2) trailing axes.
    pub fn describe(&self, spatial: usize) -> String {
        let last = |a: [usize; 2]| -> String {
            if spatial == 1 {
                format!("{}", a[1])
            } else {
                format!("{a:?}")
            }
        };
        let pads: Vec<String> = (2 - spatial..2)
            .map(|a| {
                if self.pad_end[a] == self.pad_begin[a] as isize {
                    format!("{}", self.pad_begin[a])
                } else {
                    format!("({}, {})", self.pad_begin[a], self.pad_end[a])
                }
            })
            .collect();
        let pads = if spatial == 1 {
            pads[0].clone()
        } else {
            format!("[{}]", pads.join(", "))
        };
        format!(
            "stride={}, padding={pads}, dilation={}, groups={}",
            last(self.stride),
            last(self.dilation),
            self.groups
        )
    }

    /// The output length along axis `a` for an input of length `n` and a kernel of `k`
    /// taps; `None` when the padded input is shorter than the dilated kernel.
    pub fn output_len(&self, a: usize, n: usize, k: usize) -> Option<usize> {
        let padded = n as i128 + self.pad_begin[a] as i128 + self.pad_end[a] as i128;
        let span = self.dilation[a] as i128 * (k as i128 - 1) + 1;
        (k >= 1 && self.stride[a] >= 1 && padded >= span)
            .then(|| ((padded - span) / self.stride[a] as i128 + 1) as usize)
    }

    /// The input length along axis `a` that a transposed convolution produces from `n`
    /// positions and a kernel of `k` taps: `(n − 1)·stride − pad_begin − pad_end +
    /// dilation·(k − 1) + 1`; `None` when it is below 1 (or `n` is 0).
    pub fn transposed_len(&self, a: usize, n: usize, k: usize) -> Option<usize> {
        let len = (n as i128 - 1) * self.stride[a] as i128
            - self.pad_begin[a] as i128
            - self.pad_end[a] as i128
            + self.dilation[a] as i128 * (k as i128 - 1)
            + 1;
        (n >= 1 && k >= 1 && len >= 1).then_some(len as usize)
    }

    /// Checks the parameters and the shapes of a convolution's input `x` `[N, C, …]` and
    /// weight `w` `[O, C/groups, …]` with `spatial` (1 or 2) trailing axes, and returns the
    /// output shape `[N, O, …]`. `op` names the operation in the message, which names the
    /// shapes and the parameters.
    pub fn check_conv(
        &self,
        x: &[usize],
        w: &[usize],
        spatial: usize,
    ) -> Result<Shape, TensorError> {
        self.check_common(x, w, spatial)?;
        let fail = |what: String| self.error(what, x, w, spatial);
        let (c, o) = (x[1], w[0]);
        let g = self.groups;
        if w[1].checked_mul(g) != Some(c) {
            return Err(fail(format!(
                "input has {c} channels but the weight expects {} per group x groups {g}",
                w[1]
            )));
        }
        if o % g != 0 {
            return Err(fail(format!(
                "groups {g} does not divide the {o} output channels"
            )));
        }
        let mut shape: Shape = [x[0], o].into_iter().collect();
        for s in 0..spatial {
            let a = 2 - spatial + s;
            let (n, k) = (x[2 + s], w[2 + s]);
            match self.output_len(a, n, k) {
                Some(len) => shape.push(len),
                None => {
                    let span = self.dilation[a] * (k - 1) + 1;
                    let padded = n as isize + self.pad_begin[a] as isize + self.pad_end[a];
                    return Err(fail(format!(
                        "the kernel (spanning {span} with dilation) is larger than the padded \
                         input ({padded}) along spatial axis {s}, so the output would be empty"
                    )));
                }
            }
        }
        Ok(shape)
    }

    /// Checks a transposed convolution's input `x` `[N, C_in, …]` and weight `w`
    /// `[C_in, C_out/groups, …]` (PyTorch's layout) and returns the output shape
    /// `[N, C_out, …]`.
    pub fn check_transposed(
        &self,
        x: &[usize],
        w: &[usize],
        spatial: usize,
    ) -> Result<Shape, TensorError> {
        self.check_common(x, w, spatial)?;
        let fail = |what: String| self.error(what, x, w, spatial);
        let g = self.groups;
        if x[1] != w[0] {
            return Err(fail(format!(
                "input has {} channels but the weight expects {}",
                x[1], w[0]
            )));
        }
        if x[1] % g != 0 {
            return Err(fail(format!(
                "groups {g} does not divide the {} input channels",
                x[1]
            )));
        }
        let cout = w[1]
            .checked_mul(g)
            .ok_or_else(|| fail("the output channel count overflows".into()))?;
        let mut shape: Shape = [x[0], cout].into_iter().collect();
        for s in 0..spatial {
            let a = 2 - spatial + s;
            match self.transposed_len(a, x[2 + s], w[2 + s]) {
                Some(len) => shape.push(len),
                None => {
                    return Err(fail(format!(
                        "the output size along spatial axis {s} would be below 1"
                    )))
                }
            }
        }
        Ok(shape)
    }

    /// Ranks, strides, dilations, groups and kernel sizes: what both forms check alike.
    fn check_common(&self, x: &[usize], w: &[usize], spatial: usize) -> Result<(), TensorError> {
        let fail = |what: String| self.error(what, x, w, spatial);
        let refuse = |what: &str| {
            let e = self.error(what.into(), x, w, spatial);
            TensorError::new(ErrorKind::InvalidArgument, e.message())
        };
        let rank = spatial + 2;
        if x.len() != rank || w.len() != rank {
            let layout = if spatial == 1 {
                "N, C, L"
            } else {
                "N, C, H, W"
            };
            return Err(fail(format!(
                "input and weight must have rank {rank} (input [{layout}])"
            )));
        }
        let axes = 2 - spatial..2;
        if axes.clone().any(|a| self.stride[a] == 0) {
            return Err(refuse("stride must be at least 1"));
        }
        if axes.clone().any(|a| self.dilation[a] == 0) {
            return Err(refuse("dilation must be at least 1"));
        }
        if self.groups == 0 {
            return Err(refuse("groups must be at least 1"));
        }
        if w[2..].contains(&0) {
            return Err(fail("the kernel has an empty spatial axis".into()));
        }
        Ok(())
    }

    fn error(&self, what: String, x: &[usize], w: &[usize], spatial: usize) -> TensorError {
        tensor_error!(
            ErrorKind::ShapeMismatch {
                shapes: vec![x.to_vec(), w.to_vec()]
            },
            "{what}: input {x:?}, weight {w:?}, {}",
            self.describe(spatial)
        )
    }
}

/// Where one kernel tap reads along one axis: outputs `lo..hi` read inputs
/// `first, first + stride, …`; outputs outside `lo..hi` fall in the padding.
#[derive(Clone, Copy, Debug)]
struct Tap {
    lo: usize,
    hi: usize,
    first: usize,
}

/// The taps of a kernel of `k` along axis `a` of `geom`, input length `n`, output `m`.
fn taps(geom: &ConvGeometry, a: usize, n: usize, m: usize, k: usize) -> Vec<Tap> {
    let (s, d, p) = (geom.stride[a], geom.dilation[a], geom.pad_begin[a]);
    (0..k)
        .map(|t| {
            let off = t * d; // input index = o·s + off − p
            let lo = if off >= p { 0 } else { (p - off).div_ceil(s) };
            // last o with o·s + off − p ≤ n − 1
            let hi = if n + p > off {
                ((n + p - off - 1) / s + 1).min(m)
            } else {
                0
            };
            let lo = lo.min(hi);
            // an empty range reads nothing: its `first` is never used as an index
            let first = if lo < hi { lo * s + off - p } else { 0 };
            Tap { lo, hi, first }
        })
        .collect()
}

/// The index plan of one geometry at one pair of grid sizes: the taps along H and W.
struct Plan {
    th: Vec<Tap>,
    tw: Vec<Tap>,
    /// Input grid (H, W) and output grid (OH, OW).
    input: [usize; 2],
    output: [usize; 2],
    stride: [usize; 2],
}

impl Plan {
    fn new(geom: &ConvGeometry, input: [usize; 2], output: [usize; 2], kernel: [usize; 2]) -> Self {
        Plan {
            th: taps(geom, 0, input[0], output[0], kernel[0]),
            tw: taps(geom, 1, input[1], output[1], kernel[1]),
            input,
            output,
            stride: geom.stride,
        }
    }

    /// Rows of the patch matrix per channel (the kernel's taps).
    fn taps_per_channel(&self) -> usize {
        self.th.len() * self.tw.len()
    }

    /// im2col: `col[(c, kh, kw), (oh, ow)] = x[c, ih, iw]` (zero in the padding) for the
    /// `channels` channels of `x`; `col` is `[channels·KH·KW, OH·OW]`.
    fn im2col<T: Float>(&self, x: &[T], channels: usize, col: &mut [T]) {
        let [h, w] = self.input;
        let [oh, ow] = self.output;
        let (p, sh, sw) = (oh * ow, self.stride[0], self.stride[1]);
        let mut rows = col.chunks_exact_mut(p);
        for c in 0..channels {
            let xc = &x[c * h * w..(c + 1) * h * w];
            for th in &self.th {
                for tw in &self.tw {
                    let row = rows.next().expect("col has a row per channel and tap");
                    let n = tw.hi - tw.lo;
                    if sh == 1 && sw == 1 && n == w && ow == w {
                        // whole input rows, one after another: one run for the tap
                        let (lo, hi) = (th.lo * ow, th.hi * ow);
                        row[..lo].fill(T::ZERO);
                        row[hi..].fill(T::ZERO);
                        row[lo..hi].copy_from_slice(&xc[th.first * w..][..hi - lo]);
                        continue;
                    }
                    // one fill for the padding, then the runs: short runs (a 14-wide
                    // image) would spend more in per-run fills and memcpy calls than copying
                    row.fill(T::ZERO);
                    for (j, dst) in row[th.lo * ow..th.hi * ow].chunks_exact_mut(ow).enumerate() {
                        let src = &xc[(th.first + j * sh) * w..][..w];
                        let dst = &mut dst[tw.lo..tw.hi];
                        if sw == 1 {
                            copy_run(dst, &src[tw.first..tw.first + n]);
                        } else {
                            let src = src[tw.first..].iter().step_by(sw);
                            dst.iter_mut().zip(src).for_each(|(d, &s)| *d = s);
                        }
                    }
                }
            }
        }
    }

    /// col2im, the adjoint of [`im2col`](Self::im2col): adds each patch entry into the
    /// input position it was read from; `x` (`[channels, H, W]`) must start at zero.
    fn col2im<T: Float>(&self, col: &[T], channels: usize, x: &mut [T]) {
        let [h, w] = self.input;
        let [oh, ow] = self.output;
        let (p, sh, sw) = (oh * ow, self.stride[0], self.stride[1]);
        let mut rows = col.chunks_exact(p);
        for c in 0..channels {
            let xc = &mut x[c * h * w..(c + 1) * h * w];
            for th in &self.th {
                for tw in &self.tw {
                    let row = rows.next().expect("col has a row per channel and tap");
                    let n = tw.hi - tw.lo;
                    for (j, src) in row[th.lo * ow..th.hi * ow].chunks_exact(ow).enumerate() {
                        let dst = &mut xc[(th.first + j * sh) * w..][..w];
                        let src = &src[tw.lo..tw.hi];
                        if sw == 1 {
                            let dst = &mut dst[tw.first..tw.first + n];
                            dst.iter_mut().zip(src).for_each(|(d, &s)| *d += s);
                        } else {
                            let dst = dst[tw.first..].iter_mut().step_by(sw);
                            dst.zip(src).for_each(|(d, &s)| *d += s);
                        }
                    }
                }
            }
        }
    }

    /// True when the patch matrix is the input itself (a 1×1 kernel, stride 1, no padding).
    fn is_identity(&self) -> bool {
        self.input == self.output
            && self.th.len() == 1
            && self.tw.len() == 1
            && self.th[0].lo == 0
            && self.tw[0].lo == 0
            && self.th[0].first == 0
            && self.tw[0].first == 0
    }
}

/// `dst = src` for runs as short as an image row: eight elements at a time as fixed-size
/// copies (inlined moves, not a `memcpy` call each), then the rest.
#[inline]
fn copy_run<T: Copy>(dst: &mut [T], src: &[T]) {
    if dst.len() >= 64 {
        dst.copy_from_slice(src);
        return;
    }
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (d, s) in (&mut d).zip(&mut s) {
        let d: &mut [T; 8] = d.try_into().expect("a chunk of 8");
        *d = *<&[T; 8]>::try_from(s).expect("a chunk of 8");
    }
    for (d, s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *d = *s;
    }
}

/// Multiply-adds below which a kernel stays on the calling thread (about 0.1 ms of work).
const PARALLEL_MIN_MACS: usize = 1 << 21;

/// The largest `m·k + k·n` that `matrixmultiply` multiplies on the calling thread (its
/// heuristic gives a product one thread per 2¹⁴ of `m·k + k·n`).
const GEMM_SERIAL_MAX: usize = (1 << 15) - 1;

/// Threads for a kernel of `macs` multiply-adds over `batch` images whose per-image
/// products are `gemms` (`(k, n)` of each).
///
/// # Design
/// Two ways to use the cores: our threads over the images, each running its products on
/// one thread, or one thread and the GEMM's own threads inside each product. Nesting the
/// two was the slowest of all (conv_step's second convolution, forward and backward:
/// 6 ms split over images with serial products, 9–14 ms nested, 10–15 ms with only the
/// GEMM's threads, on 2 busy cores). So the images are split only when each product can
/// be cut into row blocks of at least 8 rows that `matrixmultiply` keeps on one thread
/// ([`gemm_rows`]); otherwise the products are large enough to thread well themselves.
fn batch_threads(batch: usize, macs: usize, gemms: &[(usize, usize)]) -> usize {
    let threads = worker_threads().min(batch);
    let serial = gemms
        .iter()
        .all(|&(k, n)| k.saturating_mul(n.saturating_add(8)) <= GEMM_SERIAL_MAX);
    if threads <= 1 || macs < PARALLEL_MIN_MACS || !serial {
        1
    } else {
        threads
    }
}

/// Runs `f(images, out)` over the batch: `out` holds `per` elements per image, split in
/// contiguous runs of images over `threads` scoped threads.
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
    std::thread::scope(|s| {
        let mut parts = out.chunks_mut(chunk * per).enumerate();
        let first = parts.next();
        for (i, part) in parts {
            let f = &f;
            s.spawn(move || f(i * chunk..(i * chunk + part.len() / per), part));
        }
        if let Some((_, part)) = first {
            f(0..part.len() / per, part);
        }
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
        let threads = batch_threads(n, n * per * kg, &[(kg, p)]);
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
        let threads = batch_threads(n, macs, &[(cig, p)]);
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
        let threads = batch_threads(n, n * size * p, &[(p, og)]).max(1);
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
/// zeros when the inner dimension is empty. With `serial`, a product `matrixmultiply`
/// would thread is cut into blocks of rows it runs on the calling thread (see
/// [`batch_threads`], which only asks this when the blocks have at least 8 rows).
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
    let room = GEMM_SERIAL_MAX.saturating_sub(k * n) / k;
    if !serial || m * k + k * n <= GEMM_SERIAL_MAX || room == 0 {
        T::gemm(m, k, n, a, sa, b, sb, c);
        return;
    }
    let blocks = m.div_ceil(room);
    let rows = m.div_ceil(blocks);
    for (i, c) in c.chunks_mut(rows * n).enumerate() {
        let r = i * rows;
        T::gemm(c.len() / n, k, n, &a[r * sa.0..], sa, b, sb, c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, one output element at a time.
    fn naive(x: &Tensor<f64>, w: &Tensor<f64>, geom: &ConvGeometry) -> Tensor<f64> {
        let shape = geom.check_conv(x.shape(), w.shape(), 2).unwrap();
        let (cg, og) = (w.shape()[1], shape[1] / geom.groups);
        let (h, wd) = (x.shape()[2] as isize, x.shape()[3] as isize);
        let mut out = vec![0.0; numel(&shape)];
        let mut idx = 0;
        for n in 0..shape[0] {
            for o in 0..shape[1] {
                for i in 0..shape[2] {
                    for j in 0..shape[3] {
                        let mut s = 0.0;
                        for c in 0..cg {
                            for p in 0..w.shape()[2] {
                                for q in 0..w.shape()[3] {
                                    let ih = (i * geom.stride[0] + p * geom.dilation[0]) as isize
                                        - geom.pad_begin[0] as isize;
                                    let iw = (j * geom.stride[1] + q * geom.dilation[1]) as isize
                                        - geom.pad_begin[1] as isize;
                                    if (0..h).contains(&ih) && (0..wd).contains(&iw) {
                                        let ci = (o / og) * cg + c;
                                        s += x.at(&[n, ci, ih as usize, iw as usize])
                                            * w.at(&[o, c, p, q]);
                                    }
                                }
                            }
                        }
                        out[idx] = s;
                        idx += 1;
                    }
                }
            }
        }
        Tensor::from_vec(out, &shape)
    }

    fn geometries() -> Vec<ConvGeometry> {
        vec![
            ConvGeometry::default(),
            ConvGeometry {
                stride: [2, 3],
                dilation: [1, 2],
                pad_begin: [1, 2],
                pad_end: [0, 3],
                groups: 2,
            },
            ConvGeometry {
                stride: [1, 2],
                dilation: [2, 1],
                pad_begin: [2, 0],
                pad_end: [-1, 1],
                groups: 1,
            },
        ]
    }

    #[test]
    fn conv2d_matches_the_definition() {
        for (k, geom) in geometries().iter().enumerate() {
            let x = Tensor::<f64>::rand_normal(&[2, 4, 7, 9], 0.0, 1.0, k as u64);
            let w = Tensor::<f64>::rand_normal(&[6, 4 / geom.groups, 3, 2], 0.0, 1.0, 9);
            let y = x.conv2d(&w, geom).unwrap();
            assert!(y.approx_eq(&naive(&x, &w, geom), 1e-12, 0.0), "{geom:?}");
        }
    }

    #[test]
    fn transposed_and_weight_kernels_are_adjoints() {
        // <conv(x, w), dy> = <x, convᵀ(dy, w)> = <w, conv_weight(x, dy)>
        for (k, geom) in geometries().iter().enumerate() {
            let x = Tensor::<f64>::rand_normal(&[2, 4, 7, 9], 0.0, 1.0, k as u64);
            let w = Tensor::<f64>::rand_normal(&[6, 4 / geom.groups, 3, 2], 0.0, 1.0, 9);
            let y = x.conv2d(&w, geom).unwrap();
            let dy = Tensor::<f64>::rand_normal(y.shape(), 0.0, 1.0, 5);
            let dot = |a: &Tensor<f64>, b: &Tensor<f64>| -> f64 {
                a.as_slice()
                    .iter()
                    .zip(b.as_slice())
                    .map(|(a, b)| a * b)
                    .sum()
            };
            let mut g = *geom;
            // the transposed output must be x's size: fold the rows no window reaches
            // into a smaller end padding
            for a in 0..2 {
                let len = g
                    .transposed_len(a, y.shape()[2 + a], w.shape()[2 + a])
                    .unwrap();
                g.pad_end[a] -= (x.shape()[2 + a] - len) as isize;
            }
            let dx = dy.conv_transpose2d(&w, &g).unwrap();
            assert_eq!(dx.shape(), x.shape());
            let dw = x.conv2d_weight(&dy, [3, 2], geom).unwrap();
            let lhs = dot(&y, &dy);
            assert!(
                (lhs - dot(&x, &dx)).abs() < 1e-9 * lhs.abs().max(1.0),
                "{geom:?}"
            );
            assert!(
                (lhs - dot(&w, &dw)).abs() < 1e-9 * lhs.abs().max(1.0),
                "{geom:?}"
            );
        }
    }

    #[test]
    fn threaded_kernels_with_row_blocks_agree_with_the_definition() {
        // conv_step's second layer on 4 images: above PARALLEL_MIN_MACS, and its products
        // (32×144 by 144×196) are cut into row blocks when the images are split
        let geom = ConvGeometry {
            pad_begin: [1, 1],
            pad_end: [1, 1],
            ..ConvGeometry::default()
        };
        let x = Tensor::<f64>::rand_normal(&[4, 16, 14, 14], 0.0, 1.0, 1);
        let w = Tensor::<f64>::rand_normal(&[32, 16, 3, 3], 0.0, 1.0, 2);
        let y = x.conv2d(&w, &geom).unwrap();
        assert!(y.approx_eq(&naive(&x, &w, &geom), 1e-10, 0.0));
        let dy = Tensor::<f64>::rand_normal(y.shape(), 0.0, 1.0, 3);
        let dot = |a: &Tensor<f64>, b: &Tensor<f64>| -> f64 {
            a.as_slice()
                .iter()
                .zip(b.as_slice())
                .map(|(a, b)| a * b)
                .sum()
        };
        let dx = dy.conv_transpose2d(&w, &geom).unwrap();
        let dw = x.conv2d_weight(&dy, [3, 3], &geom).unwrap();
        let lhs = dot(&y, &dy);
        assert!((lhs - dot(&x, &dx)).abs() < 1e-9 * lhs.abs());
        assert!((lhs - dot(&w, &dw)).abs() < 1e-9 * lhs.abs());
        // and the weight gradient matches a per-image sum done on one image at a time
        let mut sum = Tensor::<f64>::zeros(&[32, 16, 3, 3]);
        for i in 0..4 {
            let xi = x.narrow(0, i, 1).unwrap();
            let di = dy.narrow(0, i, 1).unwrap();
            let part = xi.conv2d_weight(&di, [3, 3], &geom).unwrap();
            sum = sum.zip_map(&part, |a, b| a + b).unwrap();
        }
        assert!(dw.approx_eq(&sum, 1e-10, 0.0));
    }

    #[test]
    fn empty_batches_channels_and_outputs_give_empty_or_zero_results() {
        let geom = ConvGeometry::default();
        let w = Tensor::<f64>::ones(&[3, 2, 2, 2]);
        let y = Tensor::<f64>::zeros(&[0, 2, 4, 4])
            .conv2d(&w, &geom)
            .unwrap();
        assert_eq!(y.shape(), &[0, 3, 3, 3]);
        let none = Tensor::<f64>::ones(&[0, 2, 2, 2]);
        let y = Tensor::<f64>::ones(&[1, 2, 4, 4])
            .conv2d(&none, &geom)
            .unwrap();
        assert_eq!(y.shape(), &[1, 0, 3, 3]);
        // no input channels: sums of nothing
        let y = Tensor::<f64>::ones(&[1, 0, 4, 4])
            .conv2d(&Tensor::ones(&[3, 0, 2, 2]), &geom)
            .unwrap();
        assert_eq!(y, Tensor::zeros(&[1, 3, 3, 3]));
        let dw = Tensor::<f64>::ones(&[0, 2, 4, 4])
            .conv2d_weight(&Tensor::ones(&[0, 3, 3, 3]), [2, 2], &geom)
            .unwrap();
        assert_eq!(dw, Tensor::zeros(&[3, 2, 2, 2]));
    }
}
