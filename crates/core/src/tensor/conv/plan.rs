//! The index plan of a convolution: where each kernel tap reads along each axis, and
//! im2col/col2im built on it, which copy contiguous runs with no per-element index
//! arithmetic.

use super::ConvGeometry;
use crate::Float;

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
pub(super) struct Plan {
    th: Vec<Tap>,
    tw: Vec<Tap>,
    /// Input grid (H, W) and output grid (OH, OW).
    input: [usize; 2],
    output: [usize; 2],
    stride: [usize; 2],
}

impl Plan {
    pub(super) fn new(
        geom: &ConvGeometry,
        input: [usize; 2],
        output: [usize; 2],
        kernel: [usize; 2],
    ) -> Self {
        Plan {
            th: taps(geom, 0, input[0], output[0], kernel[0]),
            tw: taps(geom, 1, input[1], output[1], kernel[1]),
            input,
            output,
            stride: geom.stride,
        }
    }

    /// Rows of the patch matrix per channel (the kernel's taps).
    pub(super) fn taps_per_channel(&self) -> usize {
        self.th.len() * self.tw.len()
    }

    /// im2col: `col[(c, kh, kw), (oh, ow)] = x[c, ih, iw]` (zero in the padding) for the
    /// `channels` channels of `x`; `col` is `[channels·KH·KW, OH·OW]`.
    pub(super) fn im2col<T: Float>(&self, x: &[T], channels: usize, col: &mut [T]) {
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
    pub(super) fn col2im<T: Float>(&self, col: &[T], channels: usize, x: &mut [T]) {
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
    pub(super) fn is_identity(&self) -> bool {
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
