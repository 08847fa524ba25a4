//! Plain n-d numbers: storage, shape, constructors and the kernels ops are built from.
//! Nothing here knows about tapes, variables or gradients.

mod conv;
mod display;
pub(crate) mod elementary;
pub(crate) mod gather;
pub(crate) mod gemm;
mod into;
mod kernels;
pub(crate) use kernels::{lanes_total, leaf_lanes, pairwise_sum, tree_lanes, SUM_BLOCK, SUM_LANES};
mod linalg;
mod placement;
pub(crate) mod pool;
mod random;
mod recycle;
mod shape;
pub(crate) mod simd;
mod typed_local;
mod workers;

pub use shape::{
    broadcast_shapes, broadcast_strides, broadcasts_to, contiguous_strides, for_each_offset, numel,
    resolve_axes, resolve_axis, shape_of, try_numel, Shape,
};
pub(crate) use shape::{joined, same_shape};

pub use crate::error::TensorError;
pub use conv::ConvGeometry;

use crate::error::{tensor_error, ErrorKind};
use crate::Float;
#[cfg(test)]
pub(crate) use recycle::cached_bytes;
pub(crate) use recycle::release as release_cache;
use recycle::Buffer;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;
pub(crate) use typed_local::with_typed_local;

/// An empty buffer with room for `n` elements, or an error naming the size when the memory
/// cannot be had: every constructor and kernel that makes an output allocates through here.
///
/// # Design
/// `try_reserve_exact` refuses sizes over `isize::MAX` bytes (which Rust never allocates)
/// and whatever the allocator refuses, so an impossible tensor is an `Err` like PyTorch's
/// "not enough memory" rather than an abort of the whole process. Under Linux overcommit a
/// large request may still be granted lazily; that is the system's policy, not an error.
pub(crate) fn alloc_buffer<T: Float>(n: usize) -> Result<Vec<T>, TensorError> {
    if let Some(v) = recycle::take(n) {
        return Ok(v);
    }
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        tensor_error!(
            ErrorKind::TooLarge,
            "cannot allocate {n} elements of {} ({} bytes)",
            T::NAME,
            (n as u128) * std::mem::size_of::<T>() as u128
        )
    })?;
    Ok(v)
}

/// An empty buffer with room for the elements of `shape`; `None` when it has none, so that
/// a kernel returns its empty result at once instead of looping over the outer axes of,
/// say, `[1 << 62, 0]`. An error when the count overflows or cannot be allocated.
pub(crate) fn output_buffer<T: Float>(shape: &[usize]) -> Result<Option<Vec<T>>, TensorError> {
    match try_numel(shape)? {
        0 => Ok(None),
        n => alloc_buffer(n).map(Some),
    }
}

/// `n` copies of `value` in a buffer from [`alloc_buffer`].
pub(crate) fn filled_buffer<T: Float>(n: usize, value: T) -> Result<Vec<T>, TensorError> {
    let mut v = alloc_buffer(n)?;
    v.resize(n, value);
    Ok(v)
}

/// A buffer of `n` elements for a kernel that writes every one of them: a recycled
/// buffer with its old values when there is one (see `recycle.rs`), else zeros.
fn scratch<T: Float>(n: usize) -> Vec<T> {
    recycle::take_unzeroed(n).unwrap_or_else(|| vec![T::ZERO; n])
}

/// Element storage: one element inline, more behind a shared pointer.
///
/// # Design
/// Most nodes of a scalar expression hold one number; keeping it inline means building such
/// a node never touches the heap. Larger buffers are reference counted, so cloning a tensor
/// (as the tape does for every input it hands to an op) is O(1).
#[derive(Clone)]
enum Storage<T: Float> {
    One(T),
    Many(Arc<Buffer<T>>),
}

/// An n-dimensional array of `f32` or `f64` in contiguous row-major order.
///
/// Cheap to clone: one element is stored inline, more are shared.
///
/// ```
/// use tapegrad_core::Tensor;
/// let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
/// assert_eq!(t.shape(), &[2, 3]);
/// assert_eq!(t.at(&[1, 2]), 6.0);
/// assert_eq!(t.to_string(), "[[1, 2, 3],\n [4, 5, 6]]");
/// ```
pub struct Tensor<T: Float> {
    shape: Shape,
    data: Storage<T>,
}

impl<T: Float> Clone for Tensor<T> {
    fn clone(&self) -> Self {
        // `SmallVec::from_slice` copies in one go; the derived clone goes through the
        // generic `extend`, which showed up in profiles of scalar code.
        Tensor {
            shape: self.shape_copy(),
            data: self.data.clone(),
        }
    }
}

impl<T: Float> Tensor<T> {
    /// A tensor from row-major data and a shape, or an error if the lengths disagree or
    /// the shape's element count overflows.
    pub fn try_from_vec(data: Vec<T>, shape: &[usize]) -> Result<Self, TensorError> {
        let n = try_numel(shape)?;
        if data.len() != n {
            return Err(tensor_error!(
                ErrorKind::ShapeMismatch {
                    shapes: vec![vec![data.len()], shape.to_vec()]
                },
                "data has {} elements but shape {:?} needs {}",
                data.len(),
                shape,
                n
            ));
        }
        Ok(Self::from_parts(shape_of(shape), data))
    }

    /// A tensor from row-major data and a shape; panics if the lengths disagree.
    #[track_caller]
    pub fn from_vec(data: Vec<T>, shape: &[usize]) -> Self {
        or_panic("Tensor::from_vec", Self::try_from_vec(data, shape))
    }

    /// A tensor from a slice, copied, with the given shape; panics if the lengths disagree.
    #[track_caller]
    pub fn from_slice(data: &[T], shape: &[usize]) -> Self {
        Self::from_vec(data.to_vec(), shape)
    }

    /// A 1-d tensor holding `data`.
    pub fn vector(data: Vec<T>) -> Self {
        let n = data.len();
        Self::from_parts(shape_of(&[n]), data)
    }

    /// Internal constructor: trusts that `data.len() == numel(shape)`.
    pub(crate) fn from_parts(shape: Shape, data: Vec<T>) -> Self {
        debug_assert_eq!(Ok(data.len()), try_numel(&shape));
        let data = if data.len() == 1 {
            Storage::One(data[0])
        } else {
            Storage::Many(Arc::new(Buffer(data)))
        };
        Tensor { shape, data }
    }

    /// Whether dropping this tensor frees nothing: one number, with its shape inline.
    #[inline]
    pub(crate) fn drops_nothing(&self) -> bool {
        matches!(self.data, Storage::One(_)) && !self.shape.spilled()
    }

    /// Writes the rank-0 tensor `x` (what [`scalar`](Self::scalar) makes) to `dst`, field
    /// by field: for the tape's array of values, where a tensor built and then moved was
    /// staged on the stack and copied.
    ///
    /// # Safety
    /// `dst` must be valid for writes and aligned; what it held is overwritten without
    /// being dropped.
    #[inline(always)]
    pub(crate) unsafe fn write_scalar(dst: *mut Self, x: T) {
        // SAFETY: `dst` is valid for writes (the caller's promise); the fields are written
        // through field pointers, with no reference to the uninitialised tensor.
        unsafe {
            std::ptr::addr_of_mut!((*dst).shape).write(Shape::new());
            std::ptr::addr_of_mut!((*dst).data).write(Storage::One(x));
        }
    }

    /// A tensor with no elements (some axis of `shape` is 0).
    pub(crate) fn empty(shape: Shape) -> Self {
        debug_assert!(shape.contains(&0));
        Self::from_parts(shape, Vec::new())
    }

    /// A rank-0 tensor.
    pub fn scalar(x: T) -> Self {
        Tensor {
            shape: Shape::new(),
            data: Storage::One(x),
        }
    }

    /// Every element equal to `value`, or an error naming the shape when its element count
    /// overflows or the memory cannot be allocated.
    pub fn try_full(shape: &[usize], value: T) -> Result<Self, TensorError> {
        let n = try_numel(shape)?;
        if n == 1 {
            return Ok(Tensor {
                shape: shape_of(shape),
                data: Storage::One(value),
            });
        }
        let data = filled_buffer(n, value).map_err(|e| e.context(format!("shape {shape:?}")))?;
        Ok(Self::from_parts(shape_of(shape), data))
    }

    /// Every element equal to `value`; panics at the caller's line if the shape is too large.
    #[track_caller]
    pub fn full(shape: &[usize], value: T) -> Self {
        or_panic("Tensor::full", Self::try_full(shape, value))
    }

    /// All zeros, or an error when the shape is too large (see [`try_full`](Self::try_full)).
    pub fn try_zeros(shape: &[usize]) -> Result<Self, TensorError> {
        Self::try_full(shape, T::ZERO)
    }

    /// All zeros; panics at the caller's line if the shape is too large.
    #[track_caller]
    pub fn zeros(shape: &[usize]) -> Self {
        or_panic("Tensor::zeros", Self::try_zeros(shape))
    }

    /// All ones, or an error when the shape is too large (see [`try_full`](Self::try_full)).
    pub fn try_ones(shape: &[usize]) -> Result<Self, TensorError> {
        Self::try_full(shape, T::ONE)
    }

    /// All ones; panics at the caller's line if the shape is too large.
    #[track_caller]
    pub fn ones(shape: &[usize]) -> Self {
        or_panic("Tensor::ones", Self::try_ones(shape))
    }

    /// Element `i` (row-major) is `f(i)`, or an error when the shape is too large.
    pub fn try_from_fn(shape: &[usize], f: impl FnMut(usize) -> T) -> Result<Self, TensorError> {
        let n = try_numel(shape)?;
        let mut data = alloc_buffer(n).map_err(|e| e.context(format!("shape {shape:?}")))?;
        data.extend((0..n).map(f));
        Ok(Self::from_parts(shape_of(shape), data))
    }

    /// Element `i` (row-major) is `f(i)`; panics at the caller's line if the shape is too
    /// large.
    #[track_caller]
    pub fn from_fn(shape: &[usize], f: impl FnMut(usize) -> T) -> Self {
        or_panic("Tensor::from_fn", Self::try_from_fn(shape, f))
    }

    /// `0, 1, …, n-1` as a 1-d tensor; panics at the caller's line if `n` is too large.
    #[track_caller]
    pub fn arange(n: usize) -> Self {
        let t = Self::try_from_fn(&[n], |i| T::from_f64(i as f64));
        or_panic("Tensor::arange", t)
    }

    /// `n` evenly spaced values from `start` to `end`, both included (NumPy's `linspace`);
    /// panics at the caller's line if `n` is too large.
    ///
    /// ```
    /// use tapegrad_core::Tensor;
    /// let t = Tensor::<f64>::linspace(-1.0, 1.0, 5);
    /// assert_eq!(t.as_slice(), &[-1.0, -0.5, 0.0, 0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn linspace(start: T, end: T, n: usize) -> Self {
        let (a, b) = (start.to_f64(), end.to_f64());
        let step = if n > 1 { (b - a) / (n - 1) as f64 } else { 0.0 };
        let t = Self::try_from_fn(&[n], |i| {
            if n > 1 && i == n - 1 {
                end
            } else {
                T::from_f64(a + step * i as f64)
            }
        });
        or_panic("Tensor::linspace", t)
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of axes.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.data {
            Storage::One(_) => 1,
            Storage::Many(v) => v.len(),
        }
    }

    /// True when the tensor has no elements (some axis is 0).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements in row-major order.
    pub fn as_slice(&self) -> &[T] {
        match &self.data {
            Storage::One(x) => std::slice::from_ref(x),
            Storage::Many(v) => v,
        }
    }

    /// Mutable access to the elements, copying the buffer first if it is shared.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        match &mut self.data {
            Storage::One(x) => std::slice::from_mut(x),
            Storage::Many(v) => Arc::make_mut(v).as_mut_slice(),
        }
    }

    /// The elements as a `Vec`, without copying when the buffer is not shared.
    pub fn into_vec(self) -> Vec<T> {
        match self.data {
            Storage::One(x) => vec![x],
            Storage::Many(v) => match Arc::try_unwrap(v) {
                Ok(mut b) => std::mem::take(&mut b.0),
                Err(v) => v.0.clone(),
            },
        }
    }

    /// The elements copied into a `Vec`.
    pub fn to_vec(&self) -> Vec<T> {
        self.as_slice().to_vec()
    }

    /// The element at a multi-index, or `None` if the index is out of range.
    pub fn get(&self, index: &[usize]) -> Option<T> {
        if index.len() != self.ndim() || index.iter().zip(&self.shape).any(|(&i, &d)| i >= d) {
            return None;
        }
        let strides = contiguous_strides(&self.shape);
        let off: usize = index.iter().zip(&strides).map(|(i, s)| i * s).sum();
        Some(self.as_slice()[off])
    }

    /// The element at a multi-index; panics if it is out of range.
    #[track_caller]
    pub fn at(&self, index: &[usize]) -> T {
        match self.get(index) {
            Some(x) => x,
            None => panic!(
                "index {:?} out of range for shape {:?}",
                index,
                self.shape()
            ),
        }
    }

    /// The single element of a one-element tensor; panics otherwise.
    #[track_caller]
    pub fn item(&self) -> T {
        match &self.data {
            Storage::One(x) => *x,
            Storage::Many(v) => panic!(
                "item: tensor of shape {:?} has {} elements, not 1",
                self.shape(),
                v.len()
            ),
        }
    }

    /// The number of a rank-0 tensor, `None` for any other (what the sweep's scalar loop
    /// reads: one check instead of a rank test and [`item`](Self::item)'s).
    pub(crate) fn rank0(&self) -> Option<T> {
        match &self.data {
            Storage::One(x) if self.shape.is_empty() => Some(*x),
            _ => None,
        }
    }

    /// A copy of this tensor's shape, built without a copy loop for rank 0 (most values of
    /// scalar code): what the one-element fast paths give their results.
    #[inline]
    pub(crate) fn shape_copy(&self) -> Shape {
        if self.shape.is_empty() {
            Shape::new()
        } else {
            Shape::from_slice(&self.shape)
        }
    }

    /// The same elements under a new shape with the same element count.
    pub fn reshape(&self, shape: &[usize]) -> Result<Self, TensorError> {
        let n = try_numel(shape)
            .map_err(|e| e.context(format!("cannot reshape {:?} to {:?}", self.shape(), shape)))?;
        if n != self.len() {
            return Err(tensor_error!(
                ErrorKind::ShapeMismatch {
                    shapes: vec![self.shape().to_vec(), shape.to_vec()]
                },
                "cannot reshape {:?} ({} elements) to {:?} ({} elements)",
                self.shape(),
                self.len(),
                shape,
                n
            ));
        }
        Ok(Tensor {
            shape: shape_of(shape),
            data: self.data.clone(),
        })
    }

    /// Applies `f` to every element; large tensors are split over the worker threads
    /// (see [`worker_threads`]).
    pub fn map(&self, f: impl Fn(T) -> T + Sync) -> Self {
        match &self.data {
            Storage::One(x) => Tensor {
                shape: self.shape_copy(),
                data: Storage::One(f(*x)),
            },
            Storage::Many(v) => {
                Self::from_parts(Shape::from_slice(&self.shape), parallel_map(v, &f))
            }
        }
    }

    /// Applies an element-wise slice kernel (`kernel(src, dst)` writes `dst[i]` from
    /// `src[i]`, slices of one length) to every element; long tensors are split over
    /// threads as in [`map`](Self::map). For kernels that work on many elements at once,
    /// such as the vectorised `exp` and `tanh`.
    pub fn map_slices(&self, kernel: impl Fn(&[T], &mut [T]) + Sync) -> Self {
        let src = match &self.data {
            Storage::One(x) => {
                let mut y = [T::ZERO];
                kernel(std::slice::from_ref(x), &mut y);
                return Tensor {
                    shape: self.shape_copy(),
                    data: Storage::One(y[0]),
                };
            }
            Storage::Many(v) => v,
        };
        let mut out = scratch(src.len());
        if split_over_threads(src.len()) {
            in_chunks(src, &mut out, &kernel);
        } else {
            kernel(src, &mut out);
        }
        Self::from_parts(Shape::from_slice(&self.shape), out)
    }

    /// Converts every element to another float type.
    pub fn cast<U: Float>(&self) -> Tensor<U> {
        Tensor::from_parts(
            Shape::from_slice(&self.shape),
            self.as_slice()
                .iter()
                .map(|x| U::from_f64(x.to_f64()))
                .collect(),
        )
    }

    /// The largest `|a - b|` over all elements; `None` if the shapes differ.
    /// NaN in either tensor makes the result NaN.
    pub fn max_abs_diff(&self, other: &Self) -> Option<f64> {
        if !same_shape(self.shape(), other.shape()) {
            return None;
        }
        let mut worst = 0.0f64;
        for (a, b) in self.as_slice().iter().zip(other.as_slice()) {
            let d = (a.to_f64() - b.to_f64()).abs();
            if d.is_nan() || d > worst {
                worst = d;
            }
            if d.is_nan() {
                break;
            }
        }
        Some(worst)
    }

    /// True when the shapes agree and every pair satisfies `|a - b| <= atol + rtol·|b|`.
    /// Infinities of the same sign compare equal; NaN equals nothing.
    ///
    /// ```
    /// use tapegrad_core::Tensor;
    /// let a = Tensor::vector(vec![1.0, 2.0]);
    /// assert!(a.approx_eq(&Tensor::vector(vec![1.0 + 1e-9, 2.0]), 1e-8, 0.0));
    /// ```
    pub fn approx_eq(&self, other: &Self, atol: f64, rtol: f64) -> bool {
        same_shape(self.shape(), other.shape())
            && self.as_slice().iter().zip(other.as_slice()).all(|(a, b)| {
                let (a, b) = (a.to_f64(), b.to_f64());
                a == b || (a - b).abs() <= atol + rtol * b.abs()
            })
    }
}

/// The value, or a panic naming `what`, the error and the caller's line (the message
/// itself carries the line, so it survives `catch_unwind` and log scraping).
#[track_caller]
fn or_panic<T>(what: &str, result: Result<T, TensorError>) -> T {
    match result {
        Ok(t) => t,
        Err(e) => panic!("{what}: {e} (at {})", Location::caller()),
    }
}

/// The value of a kernel called on arguments an op's `forward` has already accepted (a VJP
/// or a kink test recomputing a mask from the same inputs): shapes and axes are known to
/// fit, so only memory can run out, and that panics at the caller's line as the infallible
/// constructors do.
#[track_caller]
pub(crate) fn accepted<V>(result: Result<V, TensorError>) -> V {
    or_panic("tensor kernel", result)
}

impl<T: Float> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor<{}>{:?} {}", T::NAME, self.shape(), self)
    }
}

impl<T: Float> PartialEq for Tensor<T> {
    fn eq(&self, other: &Self) -> bool {
        same_shape(self.shape(), other.shape()) && self.as_slice() == other.as_slice()
    }
}

impl<T: Float> From<T> for Tensor<T> {
    fn from(x: T) -> Self {
        Tensor::scalar(x)
    }
}

/// Below this many elements an element-wise map stays on the calling thread: starting a
/// thread costs tens of microseconds, which only pays for long maps (a 512×512 `tanh` takes
/// milliseconds). At 2¹⁶ the ReLUs of `mlp_step` (128×512) were split too, and the step got
/// slower: cheap maps, and the threads competed with the GEMM's pool.
const PARALLEL_MAP_MIN: usize = 1 << 18;

/// Threads for element-wise work and matrix products: `RAYON_NUM_THREADS` (the harness's
/// knob), else `MATMUL_NUM_THREADS`, else the machine's parallelism. Read once.
pub fn worker_threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| {
        ["RAYON_NUM_THREADS", "MATMUL_NUM_THREADS"]
            .iter()
            .find_map(|k| std::env::var(k).ok()?.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    })
}

/// Whether an element-wise pass over `len` elements is split over the worker threads.
fn split_over_threads(len: usize) -> bool {
    len >= PARALLEL_MAP_MIN && worker_threads() > 1
}

/// `kernel(src, dst)` over matching chunks of `src` and `dst`, one per worker thread (the
/// first on the calling thread, the others on the worker pool).
fn in_chunks<T: Float>(src: &[T], dst: &mut [T], kernel: &(impl Fn(&[T], &mut [T]) + Sync)) {
    let chunk = src.len().div_ceil(worker_threads());
    workers::for_each_chunk_mut(dst, chunk, &|i, to| {
        kernel(&src[i * chunk..i * chunk + to.len()], to)
    });
}

/// `src.map(f)` into a new vector, in chunks on the worker pool when it is long.
fn parallel_map<T: Float>(src: &[T], f: &(impl Fn(T) -> T + Sync)) -> Vec<T> {
    if !split_over_threads(src.len()) {
        let mut out = alloc_buffer(src.len()).unwrap_or_default();
        out.extend(src.iter().map(|&x| f(x)));
        return out;
    }
    let mut out = scratch(src.len());
    in_chunks(src, &mut out, &|from: &[T], to: &mut [T]| {
        to.iter_mut().zip(from).for_each(|(t, &x)| *t = f(x))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_maps_split_over_threads_agree_with_a_plain_map() {
        let t = Tensor::<f64>::rand_normal(&[PARALLEL_MAP_MIN + 7], 0.0, 1.0, 3);
        let want: Vec<f64> = t.as_slice().iter().map(|x| x.tanh() * 2.0).collect();
        assert_eq!(t.map(|x| x.tanh() * 2.0).as_slice(), &want[..]);
        assert_eq!(
            parallel_map(t.as_slice(), &|x: f64| -x)[PARALLEL_MAP_MIN],
            -t.as_slice()[PARALLEL_MAP_MIN]
        );
    }

    #[test]
    fn slice_maps_agree_with_element_maps_long_short_and_scalar() {
        let long = Tensor::<f32>::rand_normal(&[PARALLEL_MAP_MIN + 7], 0.0, 3.0, 5);
        for t in [
            long,
            Tensor::vector(vec![0.5, -2.0, 0.0]),
            Tensor::scalar(0.25),
        ] {
            let want = t.map(f32::tanh);
            let got = t.map_slices(|src, dst| {
                for (d, &s) in dst.iter_mut().zip(src) {
                    *d = s.tanh();
                }
            });
            assert_eq!(got.shape(), t.shape());
            assert_eq!(got.as_slice(), want.as_slice());
        }
    }

    #[test]
    fn from_vec_rejects_wrong_length() {
        let err = Tensor::<f64>::try_from_vec(vec![1.0, 2.0], &[3]).unwrap_err();
        assert!(err.message().contains("[3]"), "{err}");
    }

    #[test]
    fn one_element_tensors_are_inline_and_clone_cheaply() {
        let t = Tensor::<f32>::full(&[1, 1], 2.5);
        assert_eq!(t.item(), 2.5);
        assert_eq!(t.shape(), &[1, 1]);
    }

    #[test]
    fn clone_shares_then_copies_on_write() {
        let a = Tensor::<f64>::arange(4);
        let mut b = a.clone();
        b.as_mut_slice()[0] = 9.0;
        assert_eq!(a.as_slice()[0], 0.0);
        assert_eq!(b.as_slice()[0], 9.0);
    }

    #[test]
    fn get_checks_bounds() {
        let t = Tensor::<f64>::arange(6).reshape(&[2, 3]).unwrap();
        assert_eq!(t.get(&[1, 0]), Some(3.0));
        assert_eq!(t.get(&[2, 0]), None);
        assert_eq!(t.get(&[0]), None);
    }

    #[test]
    fn linspace_hits_both_ends() {
        let t = Tensor::<f32>::linspace(0.0, 1.0, 3);
        assert_eq!(t.as_slice(), &[0.0, 0.5, 1.0]);
    }

    #[test]
    fn approx_eq_needs_same_shape_and_close_values() {
        let a = Tensor::<f64>::vector(vec![1.0, f64::INFINITY]);
        assert!(a.approx_eq(&a.clone(), 0.0, 0.0));
        assert!(!a.approx_eq(&Tensor::vector(vec![1.1, f64::INFINITY]), 1e-3, 0.0));
        assert!(!Tensor::<f64>::scalar(f64::NAN).approx_eq(&Tensor::scalar(f64::NAN), 1.0, 1.0));
    }
}
