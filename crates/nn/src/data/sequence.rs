//! Series into training data for sequence models: sliding [`windows`] (window → next
//! value), [`batchify`] (one series into equal-length parallel streams) and
//! [`bptt_chunks`] (those streams cut for truncated backpropagation through time).

use super::Dataset;
use crate::caller::{error_at, or_panic};
use std::panic::Location;
use tapegrad_core::{Error, ErrorKind, Float, Tensor};

/// A series `[len]` or `[len, features]` as `(len, features)`, or the error.
fn series_shape<T: Float>(
    op: &str,
    series: &Tensor<T>,
    at: &'static Location<'static>,
) -> Result<(usize, usize), Error> {
    match *series.shape() {
        [len] => Ok((len, 1)),
        [len, features] => Ok((len, features)),
        ref s => Err(error_at(
            ErrorKind::ShapeMismatch {
                shapes: vec![s.to_vec()],
            },
            op,
            format!("series of shape {s:?}: expected [len] or [len, features]"),
            at,
        )),
    }
}

fn invalid(op: &str, message: String, at: &'static Location<'static>) -> Error {
    error_at(ErrorKind::InvalidArgument, op, message, at)
}

/// Sliding windows of a series and the value after each: example `i` has input
/// `series[i..i + window]` and target `series[i + window]`.
///
/// `series` is `[len]` or `[len, features]`; the dataset's inputs are
/// `[len − window, window, features]` (batch-first sequences, ready for a recurrent layer
/// with `batch_first`, or to flatten for a linear model) and its targets
/// `[len − window, features]`. Panics where [`try_windows`] returns the error.
///
/// ```
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::data::windows;
/// let d = windows(&Tensor::<f64>::vector(vec![1.0, 2.0, 3.0, 4.0, 5.0]), 3);
/// assert_eq!(d.x().shape(), &[2, 3, 1]);
/// assert_eq!(d.x().as_slice(), &[1.0, 2.0, 3.0, 2.0, 3.0, 4.0]);
/// assert_eq!(d.y().as_slice(), &[4.0, 5.0]);
/// ```
#[track_caller]
pub fn windows<T: Float>(series: &Tensor<T>, window: usize) -> Dataset<T> {
    or_panic(try_windows(series, window))
}

/// [`windows`], or the error when the series is not `[len]`/`[len, features]`, the window
/// is 0, or the series has no value after its first window.
#[track_caller]
pub fn try_windows<T: Float>(series: &Tensor<T>, window: usize) -> Result<Dataset<T>, Error> {
    let at = Location::caller();
    let (len, f) = series_shape("windows", series, at)?;
    if window == 0 || window >= len {
        return Err(invalid(
            "windows",
            format!("window {window} for a series of {len} values: needs 1 ≤ window < {len}"),
            at,
        ));
    }
    let n = len - window;
    let s = series.as_slice();
    let x = Tensor::from_fn(&[n, window, f], |k| {
        let (i, rest) = (k / (window * f), k % (window * f));
        s[i * f + rest]
    });
    let y = Tensor::from_fn(&[n, f], |k| s[(k / f + window) * f + k % f]);
    Dataset::try_new(x, y)
}

/// One series cut into `batch` contiguous streams of equal length, side by side:
/// `[len / batch, batch, features]`, stream `b` holding `series[b·m .. (b + 1)·m]` with
/// `m = len / batch` (the last `len mod batch` values are dropped). The layout of
/// PyTorch's word-language-model example: a recurrent layer carries each stream's state
/// from one chunk to the next ([`bptt_chunks`]). Panics where [`try_batchify`] returns
/// the error.
///
/// ```
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::data::batchify;
/// let s = batchify(&Tensor::<f64>::arange(7), 2); // 0..7 → streams 0,1,2 and 3,4,5
/// assert_eq!(s.shape(), &[3, 2, 1]);
/// assert_eq!(s.as_slice(), &[0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
/// ```
#[track_caller]
pub fn batchify<T: Float>(series: &Tensor<T>, batch: usize) -> Tensor<T> {
    or_panic(try_batchify(series, batch))
}

/// [`batchify`], or the error when the series is not `[len]`/`[len, features]` or is
/// shorter than `batch` (or `batch` is 0).
#[track_caller]
pub fn try_batchify<T: Float>(series: &Tensor<T>, batch: usize) -> Result<Tensor<T>, Error> {
    let at = Location::caller();
    let (len, f) = series_shape("batchify", series, at)?;
    if batch == 0 || batch > len {
        return Err(invalid(
            "batchify",
            format!("{batch} streams from a series of {len} values: needs 1 ≤ batch ≤ {len}"),
            at,
        ));
    }
    let m = len / batch;
    let s = series.as_slice();
    Ok(Tensor::from_fn(&[m, batch, f], |k| {
        let (t, b, j) = (k / (batch * f), k / f % batch, k % f);
        s[(b * m + t) * f + j]
    }))
}

/// Streams `[steps, batch, features]` (from [`batchify`]) cut into chunks of at most `k`
/// steps for truncated backpropagation through time: `(input, target)` pairs with input
/// `streams[i .. i + k]` and target `streams[i + 1 .. i + k + 1]` (the next value at every
/// step), `i = 0, k, 2k, …`; the last chunk may be shorter. Train on them in order,
/// carrying the state from one chunk to the next detached (`h.detach()`), so the
/// gradient reaches back at most `k` steps while the state remembers everything.
///
/// ```
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::data::{batchify, bptt_chunks};
/// let streams = batchify(&Tensor::<f64>::arange(10), 2); // [5, 2, 1]: 0..5 and 5..10
/// let chunks = bptt_chunks(&streams, 3);
/// assert_eq!(chunks.len(), 2); // steps 0..3 → 1..4, then 3..4 → 4..5
/// assert_eq!(chunks[0].0.shape(), &[3, 2, 1]);
/// assert_eq!(chunks[1].0.as_slice(), &[3.0, 8.0]);
/// assert_eq!(chunks[1].1.as_slice(), &[4.0, 9.0]);
/// ```
#[track_caller]
pub fn bptt_chunks<T: Float>(streams: &Tensor<T>, k: usize) -> Vec<(Tensor<T>, Tensor<T>)> {
    or_panic(try_bptt_chunks(streams, k))
}

/// [`bptt_chunks`], or the error when `streams` is not 3-d with at least two steps or `k`
/// is 0.
#[track_caller]
#[allow(clippy::type_complexity)]
pub fn try_bptt_chunks<T: Float>(
    streams: &Tensor<T>,
    k: usize,
) -> Result<Vec<(Tensor<T>, Tensor<T>)>, Error> {
    let at = Location::caller();
    let shape = streams.shape().to_vec();
    if shape.len() != 3 || shape[0] < 2 {
        return Err(error_at(
            ErrorKind::ShapeMismatch {
                shapes: vec![shape.clone()],
            },
            "bptt_chunks",
            format!("streams of shape {shape:?}: expected [steps ≥ 2, batch, features]"),
            at,
        ));
    }
    if k == 0 {
        return Err(invalid("bptt_chunks", "chunk length 0".into(), at));
    }
    let cut = |start: usize, len: usize| {
        streams
            .narrow(0, start, len)
            .expect("the range lies inside the streams")
    };
    Ok((0..shape[0] - 1)
        .step_by(k)
        .map(|i| {
            let len = k.min(shape[0] - 1 - i);
            (cut(i, len), cut(i + 1, len))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caller::panic_message;

    #[test]
    fn windows_of_a_multi_feature_series_keep_rows_aligned() {
        // series[t] = [t, 10 t]
        let s = Tensor::<f64>::from_fn(&[6, 2], |k| {
            ((k / 2) * if k % 2 == 0 { 1 } else { 10 }) as f64
        });
        let d = windows(&s, 4);
        assert_eq!(d.x().shape(), &[2, 4, 2]);
        assert_eq!(d.x().at(&[1, 3, 1]), 40.0); // example 1, step 3 = series[4]
        assert_eq!(d.y().as_slice(), &[4.0, 40.0, 5.0, 50.0]);
    }

    #[test]
    fn bptt_chunks_cover_every_step_once() {
        let streams = batchify(&Tensor::<f64>::arange(23), 3); // [7, 3, 1]
        let chunks = bptt_chunks(&streams, 4);
        let steps: usize = chunks.iter().map(|(x, _)| x.shape()[0]).sum();
        assert_eq!(steps, 6); // 7 values per stream: 6 (input, next) pairs
        for (x, y) in &chunks {
            for (a, b) in x.as_slice().iter().zip(y.as_slice()) {
                assert_eq!(*b, a + 1.0);
            }
        }
    }

    #[test]
    fn bad_series_and_sizes_are_refused_with_the_op_name() {
        let s = Tensor::<f64>::arange(5);
        let msg = panic_message(|| drop(windows(&s, 5)));
        assert!(
            msg.starts_with("windows: window 5 for a series of 5 values: needs 1 ≤ window < 5"),
            "{msg}"
        );
        let msg = panic_message(|| drop(batchify(&s, 0)));
        assert!(
            msg.starts_with("batchify: 0 streams from a series of 5 values"),
            "{msg}"
        );
        let e = try_windows(&Tensor::<f64>::zeros(&[2, 2, 2]), 1).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "windows: series of shape [2, 2, 2]: expected [len] or [len, features]"
            ),
            "{e}"
        );
        let msg = panic_message(|| drop(bptt_chunks(&batchify(&s, 5), 2)));
        assert!(
            msg.starts_with("bptt_chunks: streams of shape [1, 5, 1]"),
            "{msg}"
        );
    }
}
