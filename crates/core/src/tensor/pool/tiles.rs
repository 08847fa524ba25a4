//! The fast path of the pooling kernels: planes whose windows tile both axes (window `o`
//! covers `o·k .. (o + 1)·k`, kernel equal to stride, no padding, dilation or clipping), the
//! common `kernel = stride` pooling. Each kernel gives exactly the general path's result,
//! operation for operation; every other geometry takes the general path in `pool.rs`.

use super::{AxisWindows, PoolGeometry};
use crate::Float;

/// Windows per block of the fast loops: one SSE vector of `f32`.
const L: usize = 4;

/// Runs `$blocks::<T, KH, KW>` for the usual kernels `KH × KW` when an output row holds
/// at least one block, else `$rows` (any kernel, a window at a time).
macro_rules! by_kernel {
    ($self:ident, $blocks:ident($($arg:expr),*), $rows:ident) => {
        match ($self.kh, $self.kw) {
            _ if $self.ow < L => $self.$rows($($arg),*),
            (2, 2) => $self.$blocks::<T, 2, 2>($($arg),*),
            (3, 3) => $self.$blocks::<T, 3, 3>($($arg),*),
            (1, 2) => $self.$blocks::<T, 1, 2>($($arg),*),
            (1, 3) => $self.$blocks::<T, 1, 3>($($arg),*),
            _ => $self.$rows($($arg),*),
        }
    };
}

impl AxisWindows {
    /// The kernel length `k` when the windows tile the start of the axis: window `o` is
    /// `o·k .. (o + 1)·k`, every tap real (`None` otherwise: padding, clipping, overlaps,
    /// gaps, dilation, or uneven adaptive bins).
    pub(super) fn tile(&self) -> Option<usize> {
        let k = *self.count.first()?;
        let contiguous = self.step == 1 || k == 1;
        let tiled = (self.first.iter().zip(&self.count))
            .enumerate()
            .all(|(o, (&first, &count))| count == k && first == o * k);
        (contiguous && tiled).then_some(k)
    }
}

/// A pooling whose windows tile both axes of every plane: `oh × ow` windows of
/// `kh × kw`, over input rows of `wi` elements. Input rows and columns past the last
/// window are read by none (and get a zero cotangent).
///
/// # Design
/// An output row is swept in blocks of [`L`] adjacent windows (the last block moved back
/// to end at the row's end, overlapping the one before: every kernel here writes each
/// output, never accumulates, so a window done twice is harmless). A block takes its
/// windows' taps as `kw` arrays of `L` (tap `j` of each window), fixed sizes the compiler
/// keeps in registers and turns into vector loads, shuffles and compares: no index table,
/// division or bounds check in the loop. Rows shorter than a block, and unusual kernel
/// widths, take a loop over windows. The tie rule is evaluated branch-free in scan order:
/// a tap equal to the maximum takes the cotangent unless an earlier tap did. A window
/// with no such tap (a NaN maximum, or a `y` that is not this plane's pooling) sends its
/// plane back to the general path, which knows those rules; in a real pooling that
/// happens only where a window holds NaN.
#[derive(Clone, Copy, Debug)]
pub(super) struct Tiles {
    kh: usize,
    kw: usize,
    wi: usize,
    oh: usize,
    ow: usize,
}

impl Tiles {
    /// The tiling of `g`, if its windows tile both axes.
    pub fn of(g: &PoolGeometry) -> Option<Self> {
        Some(Tiles {
            kh: g.h.tile()?,
            kw: g.w.tile()?,
            wi: g.w.input,
            oh: g.h.output(),
            ow: g.w.output(),
        })
    }

    /// Input row `i` of the windows of output row `oh`, the part the windows read.
    fn row(&self, oh: usize, i: usize) -> std::ops::Range<usize> {
        let start = (oh * self.kh + i) * self.wi;
        start..start + self.ow * self.kw
    }

    /// Calls `f(oh, rows, s)` for each block of [`L`] windows from window `s` of each
    /// output row `oh`, `rows` being the input rows its windows read (see [`Tiles::row`]).
    /// An output row must hold at least one block.
    #[inline(always)]
    fn for_each_block<T: Float, const KH: usize>(
        &self,
        plane: &[T],
        mut f: impl FnMut(usize, [&[T]; KH], usize),
    ) {
        let last = self.ow - L;
        for oh in 0..self.oh {
            let rows = std::array::from_fn(|i| &plane[self.row(oh, i)]);
            let mut s = 0;
            loop {
                f(oh, rows, s);
                if s == last {
                    break;
                }
                s = (s + L).min(last);
            }
        }
    }

    /// The maximum of every window (as [`PoolGeometry::max_plane`]: from `-inf`, an element
    /// replaces the best when larger or NaN, in scan order).
    pub fn max_plane<T: Float>(&self, plane: &[T], y: &mut [T]) {
        by_kernel!(self, max_blocks(plane, y), max_rows)
    }

    fn max_blocks<T: Float, const KH: usize, const KW: usize>(&self, plane: &[T], y: &mut [T]) {
        let ow = self.ow;
        self.for_each_block::<T, KH>(plane, |oh, rows, s| {
            let mut best = [T::NEG_INFINITY; L];
            for row in rows {
                for tap in block::<T, KW>(row, s) {
                    for (b, &v) in best.iter_mut().zip(&tap) {
                        *b = pick(*b, v);
                    }
                }
            }
            y[oh * ow + s..][..L].copy_from_slice(&best);
        });
    }

    fn max_rows<T: Float>(&self, plane: &[T], y: &mut [T]) {
        y.fill(T::NEG_INFINITY);
        for (oh, best) in y.chunks_exact_mut(self.ow).enumerate() {
            for i in 0..self.kh {
                let row = &plane[self.row(oh, i)];
                for (b, taps) in best.iter_mut().zip(row.chunks_exact(self.kw)) {
                    *b = taps.iter().fold(*b, |b, &v| pick(b, v));
                }
            }
        }
    }

    /// [`PoolGeometry::scatter_plane`] for tiles: `dx` (zeros) gets `0 + dy[o]` at the
    /// first tap of window `o` equal to `y[o]` and `0` at its other taps, written once each
    /// since the windows do not overlap. False, with `dx` partly written, when some window
    /// has no such tap: the general path must redo the plane.
    pub fn scatter_plane<T: Float>(&self, plane: &[T], y: &[T], dy: &[T], dx: &mut [T]) -> bool {
        by_kernel!(self, scatter_blocks(plane, y, dy, dx), scatter_rows)
    }

    fn scatter_blocks<T: Float, const KH: usize, const KW: usize>(
        &self,
        plane: &[T],
        y: &[T],
        dy: &[T],
        dx: &mut [T],
    ) -> bool {
        let (ow, mut missed) = (self.ow, [T::ZERO; L]);
        self.for_each_block::<T, KH>(plane, |oh, rows, s| {
            let o = oh * ow + s;
            let y = lanes(&y[o..o + L]);
            // `0 + g`, as the general path's `+=` into zeros (−0 becomes +0)
            let g = lanes(&dy[o..o + L]).map(|g| T::ZERO + g);
            let mut wanted = y;
            for (i, row) in rows.iter().enumerate() {
                let taps = block::<T, KW>(row, s);
                let mut out = [[T::ZERO; L]; KW];
                for (tap, out) in taps.iter().zip(&mut out) {
                    for w in 0..L {
                        let hit = tap[w] == wanted[w];
                        out[w] = if hit { g[w] } else { T::ZERO };
                        wanted[w] = if hit { T::NAN } else { wanted[w] };
                    }
                }
                unblock(&out, &mut dx[self.row(oh, i)], s);
            }
            note_misses(&y, &wanted, &mut missed);
        });
        missed == [T::ZERO; L]
    }

    fn scatter_rows<T: Float>(&self, plane: &[T], y: &[T], dy: &[T], dx: &mut [T]) -> bool {
        let (kw, mut found) = (self.kw, vec![false; self.ow]);
        let rows = y.chunks_exact(self.ow).zip(dy.chunks_exact(self.ow));
        for (oh, (y, dy)) in rows.enumerate() {
            found.fill(false);
            for i in 0..self.kh {
                let range = self.row(oh, i);
                let row = &plane[range.clone()];
                let out = &mut dx[range];
                let windows = found.iter_mut().zip(y).zip(dy);
                for (((f, &best), &g), (taps, out)) in
                    windows.zip(row.chunks_exact(kw).zip(out.chunks_exact_mut(kw)))
                {
                    for (&v, d) in taps.iter().zip(out) {
                        let hit = v == best;
                        *d = if hit & !*f { T::ZERO + g } else { T::ZERO };
                        *f |= hit;
                    }
                }
            }
            if found.iter().any(|&f| !f) {
                return false;
            }
        }
        true
    }

    /// [`PoolGeometry::gather_plane`] for tiles: `out[o]` is `v` at the first tap of window
    /// `o` equal to `y[o]`. False when some window has no such tap, as
    /// [`scatter_plane`](Self::scatter_plane).
    pub fn gather_plane<T: Float>(&self, plane: &[T], y: &[T], v: &[T], out: &mut [T]) -> bool {
        by_kernel!(self, gather_blocks(plane, y, v, out), gather_rows)
    }

    fn gather_blocks<T: Float, const KH: usize, const KW: usize>(
        &self,
        plane: &[T],
        y: &[T],
        v: &[T],
        out: &mut [T],
    ) -> bool {
        let (ow, mut missed) = (self.ow, [T::ZERO; L]);
        self.for_each_block::<T, KH>(plane, |oh, rows, s| {
            let o = oh * ow + s;
            let y = lanes(&y[o..o + L]);
            let (mut wanted, mut read) = (y, [T::ZERO; L]);
            for (i, row) in rows.iter().enumerate() {
                let values = block::<T, KW>(&v[self.row(oh, i)], s);
                for (tap, value) in block::<T, KW>(row, s).iter().zip(&values) {
                    for w in 0..L {
                        let hit = tap[w] == wanted[w];
                        read[w] = if hit { value[w] } else { read[w] };
                        wanted[w] = if hit { T::NAN } else { wanted[w] };
                    }
                }
            }
            out[o..o + L].copy_from_slice(&read);
            note_misses(&y, &wanted, &mut missed);
        });
        missed == [T::ZERO; L]
    }

    fn gather_rows<T: Float>(&self, plane: &[T], y: &[T], v: &[T], out: &mut [T]) -> bool {
        let (kw, mut found) = (self.kw, vec![false; self.ow]);
        let rows = y.chunks_exact(self.ow).zip(out.chunks_exact_mut(self.ow));
        for (oh, (y, out)) in rows.enumerate() {
            found.fill(false);
            for i in 0..self.kh {
                let range = self.row(oh, i);
                let (row, values) = (&plane[range.clone()], &v[range]);
                let windows = found.iter_mut().zip(y).zip(out.iter_mut());
                for (((f, &best), o), (taps, values)) in
                    windows.zip(row.chunks_exact(kw).zip(values.chunks_exact(kw)))
                {
                    for (&t, &x) in taps.iter().zip(values) {
                        let hit = t == best;
                        *o = if hit & !*f { x } else { *o };
                        *f |= hit;
                    }
                }
            }
            if found.iter().any(|&f| !f) {
                return false;
            }
        }
        true
    }

    /// [`PoolGeometry::sum_plane`] for tiles: each window's sum from zero in scan order,
    /// times its scale.
    pub fn sum_plane<T: Float>(&self, plane: &[T], scales: &[T], out: &mut [T]) {
        by_kernel!(self, sum_blocks(plane, scales, out), sum_rows)
    }

    fn sum_blocks<T: Float, const KH: usize, const KW: usize>(
        &self,
        plane: &[T],
        scales: &[T],
        out: &mut [T],
    ) {
        let ow = self.ow;
        self.for_each_block::<T, KH>(plane, |oh, rows, s| {
            let o = oh * ow + s;
            let mut acc = [T::ZERO; L];
            for row in rows {
                for tap in block::<T, KW>(row, s) {
                    for (a, &v) in acc.iter_mut().zip(&tap) {
                        *a += v;
                    }
                }
            }
            for (w, a) in acc.iter_mut().enumerate() {
                *a *= scales[o + w];
            }
            out[o..o + L].copy_from_slice(&acc);
        });
    }

    fn sum_rows<T: Float>(&self, plane: &[T], scales: &[T], out: &mut [T]) {
        out.fill(T::ZERO);
        let rows = out
            .chunks_exact_mut(self.ow)
            .zip(scales.chunks_exact(self.ow));
        for (oh, (acc, scales)) in rows.enumerate() {
            for i in 0..self.kh {
                let row = &plane[self.row(oh, i)];
                for (a, taps) in acc.iter_mut().zip(row.chunks_exact(self.kw)) {
                    *a = taps.iter().fold(*a, |a, &v| a + v);
                }
            }
            for (a, &s) in acc.iter_mut().zip(scales) {
                *a *= s;
            }
        }
    }

    /// [`PoolGeometry::spread_plane`] for tiles: every tap of window `o` in `dx` (zeros)
    /// set to `0 + dy[o]·scale[o]`, once each.
    pub fn spread_plane<T: Float>(&self, dy: &[T], scales: &[T], dx: &mut [T]) {
        let mut v = vec![T::ZERO; self.ow];
        let rows = dy.chunks_exact(self.ow).zip(scales.chunks_exact(self.ow));
        for (oh, (dy, scales)) in rows.enumerate() {
            for ((x, &d), &s) in v.iter_mut().zip(dy).zip(scales) {
                *x = T::ZERO + d * s;
            }
            for i in 0..self.kh {
                let row = &mut dx[self.row(oh, i)];
                for (&x, taps) in v.iter().zip(row.chunks_exact_mut(self.kw)) {
                    taps.fill(x);
                }
            }
        }
    }
}

/// The taps of the [`L`] windows from window `s` of one input row, as `K` arrays: tap `j`
/// of each window (the de-interleaving the compiler does with shuffles).
#[inline(always)]
fn block<T: Float, const K: usize>(row: &[T], s: usize) -> [[T; L]; K] {
    let taps = &row[s * K..(s + L) * K];
    std::array::from_fn(|j| std::array::from_fn(|w| taps[w * K + j]))
}

/// `L` elements as an array (`src` must hold exactly `L`).
#[inline(always)]
fn lanes<T: Float>(src: &[T]) -> [T; L] {
    std::array::from_fn(|w| src[w])
}

/// The inverse of [`block`]: the taps of `L` windows written back into one row of the
/// plane, from window `s`.
#[inline(always)]
fn unblock<T: Float, const K: usize>(taps: &[[T; L]; K], row: &mut [T], s: usize) {
    let out = &mut row[s * K..(s + L) * K];
    for w in 0..L {
        for (j, tap) in taps.iter().enumerate() {
            out[w * K + j] = tap[w];
        }
    }
}

/// Sets `missed[w]` to 1 where window `w` of a block found no tap equal to its maximum
/// `y[w]`. `wanted` is `y` with every found one replaced by NaN, which equals no tap, so
/// later taps could not match again (the first in scan order won); a NaN `y` never
/// matched. Lanes of floats, not booleans: the compiler keeps them in vector registers.
#[inline(always)]
fn note_misses<T: Float>(y: &[T; L], wanted: &[T; L], missed: &mut [T; L]) {
    for w in 0..L {
        let found = wanted[w].is_nan() & !y[w].is_nan();
        missed[w] = if found { missed[w] } else { T::ONE };
    }
}

/// The max-pooling step: `v` replaces the best so far when larger or NaN.
#[inline(always)]
fn pick<T: Float>(b: T, v: T) -> T {
    if v > b || v.is_nan() {
        v
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::super::{shape_of, AxisWindows, PoolGeometry};
    use super::Tiles;
    use crate::tensor::Tensor;
    use crate::Float;
    use proptest::prelude::*;

    /// Tiles of `kernel` over `[n, c, h, w]`, `out` windows per axis plus `extra` input
    /// positions no window reads, as PyTorch's `kernel = stride` pooling builds them (or
    /// its adaptive one, where the input divides evenly).
    fn geometry(
        (n, c): (usize, usize),
        kernel: [usize; 2],
        out: [usize; 2],
        extra: [usize; 2],
        adaptive: bool,
    ) -> PoolGeometry {
        let axis = |a: usize| {
            let input = out[a] * kernel[a] + extra[a] % kernel[a];
            if adaptive {
                AxisWindows::adaptive(out[a] * kernel[a], out[a])
            } else {
                AxisWindows::sliding(input, kernel[a], kernel[a], 0, 1, false, true).unwrap()
            }
        };
        let (h, w) = (axis(0), axis(1));
        PoolGeometry::new(&[n, c, h.input, w.input], 2, h, w)
    }

    /// Values full of ties, signed zeros, infinities and NaN, or spread-out ones whose sums
    /// round differently in another order.
    fn values(len: usize) -> impl Strategy<Value = Vec<f64>> {
        let special = [0.0, -0.0, 1.0, 2.0, -1.0, f64::INFINITY, f64::NEG_INFINITY];
        let tied = prop_oneof![
            12 => prop::sample::select(special.to_vec()),
            1 => Just(f64::NAN),
            1 => Just(-f64::NAN),
        ];
        let spread = (-1e3f64..1e3).prop_map(|v| v * v.abs().powf(0.5));
        prop_oneof![
            prop::collection::vec(tied, len),
            prop::collection::vec(spread, len),
        ]
    }

    /// A tiled pooling, its input `x`, a cotangent `dy` shaped like the output, a `v`
    /// shaped like the input, and a `y` that is either the pooling of `x` (`None`) or
    /// arbitrary values (so windows may match no tap).
    #[allow(clippy::type_complexity)]
    fn case(
    ) -> impl Strategy<Value = (PoolGeometry, Vec<f64>, Vec<f64>, Vec<f64>, Option<Vec<f64>>)> {
        let shape = (
            (1usize..=2, 1usize..=2),
            [1usize..=4, 1usize..=4],
            [1usize..=3, 1usize..=11],
            [0usize..=3, 0usize..=3],
            prop::bool::weighted(0.2),
        );
        shape.prop_flat_map(|(nc, k, o, e, adaptive)| {
            let g = geometry(nc, k, o, e, adaptive);
            let (len_in, len_out) = (g.batch * g.plane_in(), g.batch * g.plane_out());
            let foreign = prop::option::weighted(0.25, values(len_out));
            let parts = (values(len_in), values(len_out), values(len_in), foreign);
            (Just(g), parts).prop_map(|(g, (x, dy, v, y))| (g, x, dy, v, y))
        })
    }

    /// Bits, so signed zeros and, from the kernels that only select (max and gather), NaN
    /// payloads count; arithmetic NaNs are all one (their payload and sign are not
    /// specified: the compiler may swap the operands of `+`).
    fn bits<T: Float>(t: &Tensor<T>, select: bool) -> Vec<u64> {
        let bits = |v: T| match v.to_f64() {
            v if v.is_nan() && !select => f64::NAN.to_bits(),
            v => v.to_bits(),
        };
        t.as_slice().iter().map(|&v| bits(v)).collect()
    }

    /// Runs `f(plane, out)` of the general path over every plane into zeros of `len` a
    /// plane.
    fn planes<T: Float>(
        batch: usize,
        len: usize,
        shape: &[usize],
        f: impl Fn(usize, &mut [T]),
    ) -> Tensor<T> {
        let mut data = vec![T::ZERO; batch * len];
        for (b, out) in data.chunks_mut(len).enumerate() {
            f(b, out);
        }
        Tensor::from_parts(shape_of(shape), data)
    }

    /// Every kernel through [`Tiles`] (the `Tensor` methods) against the general path, bit
    /// for bit, in `T`.
    fn assert_tiles_match_general<T: Float>(
        g: &PoolGeometry,
        x: &[f64],
        dy: &[f64],
        v: &[f64],
        y: Option<&[f64]>,
    ) {
        assert!(Tiles::of(g).is_some(), "{g:?}");
        let cast = |s: &[f64], shape: &[usize]| {
            Tensor::<T>::from_parts(shape_of(shape), s.iter().map(|&a| T::from_f64(a)).collect())
        };
        let (x, dy, v) = (cast(x, &g.input), cast(dy, &g.output), cast(v, &g.input));
        let (pin, pout) = (g.plane_in(), g.plane_out());
        let (xs, dys, vs) = (x.as_slice(), dy.as_slice(), v.as_slice());
        let plane = |b: usize| &xs[b * pin..(b + 1) * pin];

        let general = planes(g.batch, pout, &g.output, |b, y| g.max_plane(plane(b), y));
        let pooled = x.max_pool(g).unwrap();
        assert_eq!(bits(&pooled, true), bits(&general, true), "max_pool");

        // the fast path itself finds every argmax of a real pooling without NaN; the
        // `Tensor` methods below may fall back to the general path, so check it here
        let real = y.is_none();
        let y = y.map_or(pooled, |y| cast(y, &g.output));
        let (ys, t) = (y.as_slice(), Tiles::of(g).unwrap());
        for b in 0..g.batch {
            let (y, dy) = (
                &ys[b * pout..(b + 1) * pout],
                &dys[b * pout..(b + 1) * pout],
            );
            let mut dx = vec![T::ZERO; pin];
            let mut out = vec![T::ZERO; pout];
            let v = &vs[b * pin..(b + 1) * pin];
            let scattered = t.scatter_plane(plane(b), y, dy, &mut dx);
            let gathered = t.gather_plane(plane(b), y, v, &mut out);
            if real && !y.iter().any(|v| v.is_nan()) {
                assert!(scattered && gathered, "plane {b} of {y:?}");
            }
            let (mut want_dx, mut want_out) = (vec![T::ZERO; pin], vec![T::ZERO; pout]);
            g.scatter_plane(plane(b), y, dy, &mut want_dx);
            g.gather_plane(plane(b), y, v, &mut want_out);
            let same = |a: &[T], b: &[T]| {
                let bits = |v: &T| {
                    if v.is_nan() {
                        u64::MAX
                    } else {
                        v.to_f64().to_bits()
                    }
                };
                a.iter().map(bits).eq(b.iter().map(bits))
            };
            assert!(!scattered || same(&dx, &want_dx), "plane {b}: {dx:?}");
            assert!(!gathered || same(&out, &want_out), "plane {b}: {out:?}");
        }
        let want = planes(g.batch, pin, &g.input, |b, dx| {
            let (y, dy) = (
                &ys[b * pout..(b + 1) * pout],
                &dys[b * pout..(b + 1) * pout],
            );
            g.scatter_plane(plane(b), y, dy, dx);
        });
        let got = dy.max_pool_scatter(&x, &y, g).unwrap();
        assert_eq!(bits(&got, false), bits(&want, false), "max_pool_scatter");
        let want = planes(g.batch, pout, &g.output, |b, out| {
            let (y, v) = (&ys[b * pout..(b + 1) * pout], &vs[b * pin..(b + 1) * pin]);
            g.gather_plane(plane(b), y, v, out);
        });
        let got = v.max_pool_gather(&x, &y, g).unwrap();
        assert_eq!(bits(&got, true), bits(&want, true), "max_pool_gather");

        let scales = g.scales::<T>();
        let want = planes(g.batch, pout, &g.output, |b, out| {
            g.sum_plane(plane(b), &scales, out)
        });
        let got = x.avg_pool(g).unwrap();
        assert_eq!(bits(&got, false), bits(&want, false), "avg_pool");
        let want = planes(g.batch, pin, &g.input, |b, dx| {
            g.spread_plane(&dys[b * pout..(b + 1) * pout], &scales, dx)
        });
        let got = dy.avg_pool_transpose(g).unwrap();
        assert_eq!(bits(&got, false), bits(&want, false), "avg_pool_transpose");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn tiled_pooling_matches_the_general_path((g, x, dy, v, y) in case()) {
            assert_tiles_match_general::<f64>(&g, &x, &dy, &v, y.as_deref());
            assert_tiles_match_general::<f32>(&g, &x, &dy, &v, y.as_deref());
        }
    }

    #[test]
    fn tile_accepts_only_windows_that_tile_the_axis() {
        let sliding = |l, k, s, p, d, ceil| AxisWindows::sliding(l, k, s, p, d, ceil, true);
        assert_eq!(sliding(28, 2, 2, 0, 1, false).unwrap().tile(), Some(2));
        // a leftover position no window reads still tiles; a clipped last window does not
        assert_eq!(sliding(7, 3, 3, 0, 1, false).unwrap().tile(), Some(3));
        assert_eq!(sliding(7, 3, 3, 0, 1, true).unwrap().tile(), None);
        assert_eq!(sliding(8, 2, 1, 0, 1, false).unwrap().tile(), None); // overlaps
        assert_eq!(sliding(8, 2, 3, 0, 1, false).unwrap().tile(), None); // gaps
        assert_eq!(sliding(8, 3, 3, 1, 1, false).unwrap().tile(), None); // padding
        assert_eq!(sliding(8, 2, 2, 0, 2, false).unwrap().tile(), None); // dilation
        assert_eq!(sliding(8, 1, 1, 0, 3, false).unwrap().tile(), Some(1));
        assert_eq!(AxisWindows::adaptive(12, 4).tile(), Some(3));
        assert_eq!(AxisWindows::adaptive(5, 2).tile(), None);
        assert_eq!(AxisWindows::single().tile(), Some(1));
    }
}
