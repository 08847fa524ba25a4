//! `Dataset` (inputs and targets, row-aligned), its splits, and the batch iterator.

use crate::caller::{error_at, fail, or_panic};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::panic::Location;
use tapegrad_core::{Error, ErrorKind, Float, Tensor};

/// Inputs `x` and targets `y` whose first axes are the same `n` examples.
///
/// ```
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::data::{Dataset, LastBatch};
/// use rand::{rngs::StdRng, SeedableRng};
/// let data = Dataset::new(Tensor::<f64>::arange(10).reshape(&[5, 2]).unwrap(), Tensor::arange(5));
/// let mut rng = StdRng::seed_from_u64(0);
/// let sizes: Vec<usize> = data.batches(2).shuffled(&mut rng).map(|(x, _)| x.shape()[0]).collect();
/// assert_eq!(sizes, [2, 2, 1]);
/// assert_eq!(data.batches(2).last_batch(LastBatch::Drop).count(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct Dataset<T: Float> {
    x: Tensor<T>,
    y: Tensor<T>,
}

impl<T: Float> Dataset<T> {
    /// A dataset; panics where [`try_new`](Self::try_new) returns an error.
    #[track_caller]
    pub fn new(x: Tensor<T>, y: Tensor<T>) -> Self {
        or_panic(Self::try_new(x, y))
    }

    /// A dataset, or an error unless `x` and `y` have rank ≥ 1 and the same first axis.
    #[track_caller]
    pub fn try_new(x: Tensor<T>, y: Tensor<T>) -> Result<Self, Error> {
        if x.ndim() >= 1 && y.ndim() >= 1 && x.shape()[0] == y.shape()[0] {
            Ok(Dataset { x, y })
        } else {
            Err(error_at(
                ErrorKind::ShapeMismatch {
                    shapes: vec![x.shape().to_vec(), y.shape().to_vec()],
                },
                "Dataset::new",
                format!(
                    "inputs {:?} and targets {:?} need the same first axis",
                    x.shape(),
                    y.shape()
                ),
                Location::caller(),
            ))
        }
    }

    /// The inputs.
    pub fn x(&self) -> &Tensor<T> {
        &self.x
    }

    /// The targets.
    pub fn y(&self) -> &Tensor<T> {
        &self.y
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.x.shape()[0]
    }

    /// True when there are no examples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The examples at `indices`, in that order; panics where
    /// [`try_select`](Self::try_select) returns an error.
    #[track_caller]
    pub fn select(&self, indices: &[usize]) -> Self {
        or_panic(self.try_select(indices))
    }

    /// The examples at `indices`, in that order, or an error naming the first index out of
    /// range.
    #[track_caller]
    pub fn try_select(&self, indices: &[usize]) -> Result<Self, Error> {
        let at = Location::caller();
        if let Some((k, i)) = indices.iter().enumerate().find(|(_, &i)| i >= self.len()) {
            return Err(error_at(
                ErrorKind::IndexOutOfRange {
                    index: *i,
                    size: self.len(),
                },
                "Dataset::select",
                format!(
                    "index {i} (position {k}) is out of range for {} examples",
                    self.len()
                ),
                at,
            ));
        }
        let pick = |t: &Tensor<T>| {
            t.index_select(0, indices)
                .map_err(|e| Error::from_tensor("Dataset::select", e, at))
        };
        Ok(Dataset {
            x: pick(&self.x)?,
            y: pick(&self.y)?,
        })
    }

    /// A shuffled split into `(train, test)`; panics where
    /// [`try_split`](Self::try_split) returns an error.
    #[track_caller]
    pub fn split(&self, test_fraction: f64, seed: u64) -> (Self, Self) {
        or_panic(self.try_split(test_fraction, seed))
    }

    /// A shuffled split into `(train, test)` with `round(test_fraction · n)` test examples,
    /// reproducible from `seed`, or an error unless `0 ≤ test_fraction ≤ 1`.
    #[track_caller]
    pub fn try_split(&self, test_fraction: f64, seed: u64) -> Result<(Self, Self), Error> {
        check_fraction("Dataset::split", test_fraction, Location::caller())?;
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(&mut StdRng::seed_from_u64(seed));
        let n_test = (test_fraction * self.len() as f64).round() as usize;
        let (test, train) = order.split_at(n_test);
        Ok((self.select(train), self.select(test)))
    }

    /// A split that keeps each class's share; panics where
    /// [`try_stratified_split`](Self::try_stratified_split) returns an error.
    #[track_caller]
    pub fn stratified_split(&self, test_fraction: f64, seed: u64) -> (Self, Self) {
        or_panic(self.try_stratified_split(test_fraction, seed))
    }

    /// A split that keeps each class's share: the targets are class labels (one per
    /// example), each class contributes `round(test_fraction · its count)` test examples,
    /// and both parts are shuffled. Reproducible from `seed`. An error unless
    /// `0 ≤ test_fraction ≤ 1` and every target is a class index (a non-negative integer).
    #[track_caller]
    pub fn try_stratified_split(
        &self,
        test_fraction: f64,
        seed: u64,
    ) -> Result<(Self, Self), Error> {
        let at = Location::caller();
        check_fraction("Dataset::stratified_split", test_fraction, at)?;
        if self.y.len() != self.len() {
            return Err(error_at(
                ErrorKind::ShapeMismatch {
                    shapes: vec![self.y.shape().to_vec()],
                },
                "Dataset::stratified_split",
                format!(
                    "needs one class label per example, got targets of shape {:?}",
                    self.y.shape()
                ),
                at,
            ));
        }
        let mut by_class: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, &v) in self.y.as_slice().iter().enumerate() {
            let c = v.to_f64();
            if !(c >= 0.0 && c.fract() == 0.0) {
                return Err(error_at(
                    ErrorKind::InvalidArgument,
                    "Dataset::stratified_split",
                    format!("target {i} is `{c}`, not a class index"),
                    at,
                ));
            }
            by_class.entry(c as usize).or_default().push(i);
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for members in by_class.values_mut() {
            members.shuffle(&mut rng);
            let k = (test_fraction * members.len() as f64).round() as usize;
            test.extend_from_slice(&members[..k]);
            train.extend_from_slice(&members[k..]);
        }
        train.shuffle(&mut rng);
        test.shuffle(&mut rng);
        Ok((self.select(&train), self.select(&test)))
    }

    /// Batches of `size` examples in order; see [`Batches`] for shuffling and the last
    /// batch. Panics if `size` is 0.
    #[track_caller]
    pub fn batches(&self, size: usize) -> Batches<'_, T> {
        if size == 0 {
            fail(
                "Dataset::batches",
                "batch size must be positive, got 0",
                Location::caller(),
            );
        }
        Batches {
            data: self,
            order: (0..self.len()).collect(),
            size,
            pos: 0,
            last: LastBatch::Keep,
        }
    }
}

/// Refuses a test fraction outside `[0, 1]` (or NaN): it is a mistake, not a request for
/// "all" or "none".
fn check_fraction(op: &str, f: f64, at: &'static Location<'static>) -> Result<(), Error> {
    if (0.0..=1.0).contains(&f) {
        Ok(())
    } else {
        Err(error_at(
            ErrorKind::InvalidArgument,
            op,
            format!("test fraction {f} is not in [0, 1]"),
            at,
        ))
    }
}

/// What to do with a final batch smaller than the batch size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LastBatch {
    /// Yield it (the default).
    #[default]
    Keep,
    /// Skip it, so every batch has the same size.
    Drop,
}

/// An iterator over `(x, y)` batches of a [`Dataset`], built by [`Dataset::batches`].
pub struct Batches<'a, T: Float> {
    data: &'a Dataset<T>,
    order: Vec<usize>,
    size: usize,
    pos: usize,
    last: LastBatch,
}

impl<T: Float> Batches<'_, T> {
    /// Visits the examples in an order drawn from `rng`; a generator seeded once and used
    /// for every epoch gives a different, reproducible order each epoch.
    pub fn shuffled<R: Rng + ?Sized>(mut self, rng: &mut R) -> Self {
        self.order.shuffle(rng);
        self
    }

    /// Sets the policy for a short final batch.
    pub fn last_batch(mut self, policy: LastBatch) -> Self {
        self.last = policy;
        self
    }
}

impl<T: Float> Iterator for Batches<'_, T> {
    type Item = (Tensor<T>, Tensor<T>);

    fn next(&mut self) -> Option<Self::Item> {
        let left = self.order.len() - self.pos;
        if left == 0 || (left < self.size && self.last == LastBatch::Drop) {
            return None;
        }
        let take = left.min(self.size);
        let batch = self.data.select(&self.order[self.pos..self.pos + take]);
        self.pos += take;
        Some((batch.x, batch.y))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.order.len() - self.pos;
        let n = match self.last {
            LastBatch::Keep => left.div_ceil(self.size),
            LastBatch::Drop => left / self.size,
        };
        (n, Some(n))
    }
}

impl<T: Float> ExactSizeIterator for Batches<'_, T> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caller::panic_message;

    fn toy(n: usize) -> Dataset<f64> {
        // x[i] = [i, 10 i], y[i] = i: rows stay aligned through every reordering
        let x = Tensor::from_fn(&[n, 2], |k| {
            ((k / 2) * if k % 2 == 0 { 1 } else { 10 }) as f64
        });
        Dataset::new(x, Tensor::arange(n))
    }

    fn rows_aligned(d: &Dataset<f64>) -> bool {
        (0..d.len()).all(|i| {
            let y = d.y().at(&[i]);
            d.x().at(&[i, 0]) == y && d.x().at(&[i, 1]) == 10.0 * y
        })
    }

    #[test]
    fn batches_cover_every_example_once_and_keep_rows_aligned() {
        let d = toy(7);
        let mut rng = StdRng::seed_from_u64(5);
        let batches: Vec<_> = d.batches(3).shuffled(&mut rng).collect();
        assert_eq!(batches.len(), 3);
        let mut seen: Vec<f64> = Vec::new();
        for (x, y) in &batches {
            assert!(rows_aligned(&Dataset::new(x.clone(), y.clone())));
            seen.extend_from_slice(y.as_slice());
        }
        assert_ne!(
            seen,
            (0..7).map(|i| i as f64).collect::<Vec<_>>(),
            "not shuffled"
        );
        seen.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(seen, (0..7).map(|i| i as f64).collect::<Vec<_>>());
    }

    #[test]
    fn shuffling_is_reproducible_and_differs_between_epochs() {
        let d = toy(20);
        let epoch = |rng: &mut StdRng| -> Vec<f64> {
            d.batches(20).shuffled(rng).next().unwrap().1.to_vec()
        };
        let (mut a, mut b) = (StdRng::seed_from_u64(1), StdRng::seed_from_u64(1));
        let (a1, b1) = (epoch(&mut a), epoch(&mut b));
        assert_eq!(a1, b1);
        assert_ne!(epoch(&mut a), a1);
    }

    #[test]
    fn last_batch_policy() {
        let d = toy(5);
        let keep: Vec<usize> = d.batches(2).map(|(x, _)| x.shape()[0]).collect();
        assert_eq!(keep, [2, 2, 1]);
        let drop = d.batches(2).last_batch(LastBatch::Drop);
        assert_eq!(drop.len(), 2);
        assert_eq!(drop.map(|(x, _)| x.shape()[0]).collect::<Vec<_>>(), [2, 2]);
        assert_eq!(d.batches(5).last_batch(LastBatch::Drop).count(), 1);
    }

    #[test]
    fn split_partitions_reproducibly() {
        let d = toy(10);
        let (train, test) = d.split(0.3, 42);
        assert_eq!((train.len(), test.len()), (7, 3));
        assert!(rows_aligned(&train) && rows_aligned(&test));
        let mut all: Vec<f64> = train.y().to_vec();
        all.extend(test.y().as_slice());
        all.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(all, (0..10).map(|i| i as f64).collect::<Vec<_>>());
        assert_eq!(d.split(0.3, 42).1.y().to_vec(), test.y().to_vec());
        assert_ne!(d.split(0.3, 43).1.y().to_vec(), test.y().to_vec());
    }

    #[test]
    fn stratified_split_keeps_class_shares() {
        // 10 of class 0, 20 of class 1, 30 of class 2
        let labels: Vec<f64> = (0..60)
            .map(|i| {
                if i < 10 {
                    0.0
                } else if i < 30 {
                    1.0
                } else {
                    2.0
                }
            })
            .collect();
        let d = Dataset::new(Tensor::arange(60), Tensor::vector(labels));
        let (train, test) = d.stratified_split(0.2, 7);
        let count = |t: &Tensor<f64>, c: f64| t.as_slice().iter().filter(|&&v| v == c).count();
        assert_eq!([0.0, 1.0, 2.0].map(|c| count(test.y(), c)), [2, 4, 6]);
        assert_eq!([0.0, 1.0, 2.0].map(|c| count(train.y(), c)), [8, 16, 24]);
        // x and y are the same index here, so alignment is x == index of its label
        assert!(test
            .x()
            .as_slice()
            .iter()
            .zip(test.y().as_slice())
            .all(|(&x, &y)| {
                (y == 0.0 && x < 10.0)
                    || (y == 1.0 && (10.0..30.0).contains(&x))
                    || (y == 2.0 && x >= 30.0)
            }));
    }

    #[test]
    #[should_panic(expected = "inputs [3, 2] and targets [4] need the same first axis")]
    fn dataset_rejects_misaligned_tensors() {
        Dataset::new(Tensor::<f64>::zeros(&[3, 2]), Tensor::zeros(&[4]));
    }

    fn fractions_outside_0_1_are_refused<T: Float>() {
        let d = Dataset::new(Tensor::<T>::zeros(&[4, 2]), Tensor::zeros(&[4]));
        for f in [1.5, -0.1, f64::NAN] {
            let e = d.try_stratified_split(f, 0).unwrap_err();
            assert_eq!(e.op, "Dataset::stratified_split");
            assert_eq!(e.message, format!("test fraction {f} is not in [0, 1]"));
            assert!(d.try_split(f, 0).is_err());
        }
        let (train, test) = d.try_stratified_split(1.0, 0).unwrap();
        assert_eq!((train.len(), test.len()), (0, 4));
        let (train, test) = d.try_split(0.0, 0).unwrap();
        assert_eq!((train.len(), test.len()), (4, 0));
    }

    #[test]
    fn fractions_outside_0_1_are_refused_f32() {
        fractions_outside_0_1_are_refused::<f32>();
    }

    #[test]
    fn fractions_outside_0_1_are_refused_f64() {
        fractions_outside_0_1_are_refused::<f64>();
    }

    #[test]
    fn stratified_split_refuses_targets_that_are_not_labels() {
        let d = Dataset::new(
            Tensor::<f64>::zeros(&[3, 1]),
            Tensor::vector(vec![0.0, 1.5, 1.0]),
        );
        let e = d.try_stratified_split(0.5, 0).unwrap_err();
        assert_eq!(e.message, "target 1 is `1.5`, not a class index");
        let d = Dataset::new(Tensor::<f32>::zeros(&[3, 1]), Tensor::zeros(&[3, 2]));
        assert!(d.try_stratified_split(0.5, 0).is_err());
    }

    #[test]
    fn select_refuses_an_index_out_of_range() {
        let e = toy(3).try_select(&[0, 3]).unwrap_err();
        assert_eq!(
            e.message,
            "index 3 (position 1) is out of range for 3 examples"
        );
    }

    #[test]
    fn dataset_panics_point_at_the_caller() {
        let d = toy(3);
        let at = |line: u32| format!("(at {}:{line}:", file!());
        let line = line!() + 1;
        let m = panic_message(|| drop(d.select(&[5])));
        assert!(m.starts_with("Dataset::select: index 5"), "{m}");
        assert!(m.contains(&at(line)), "{m}");
        let (x, y) = (Tensor::<f32>::zeros(&[2]), Tensor::zeros(&[3]));
        let line = line!() + 1;
        let m = panic_message(move || drop(Dataset::new(x, y)));
        assert!(m.contains(&at(line)), "{m}");
        let line = line!() + 1;
        let m = panic_message(|| drop(d.batches(0)));
        assert!(
            m.starts_with("Dataset::batches: batch size must be positive"),
            "{m}"
        );
        assert!(m.contains(&at(line)), "{m}");
        let line = line!() + 1;
        let m = panic_message(|| drop(d.stratified_split(2.0, 1)));
        assert!(m.contains(&at(line)), "{m}");
    }
}
