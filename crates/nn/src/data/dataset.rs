//! `Dataset` (inputs and targets, row-aligned), its splits, and the batch iterator.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use tapegrad_core::{Float, Tensor};

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
    /// A dataset; panics unless `x` and `y` have rank ≥ 1 and the same first axis.
    #[track_caller]
    pub fn new(x: Tensor<T>, y: Tensor<T>) -> Self {
        assert!(
            x.ndim() >= 1 && y.ndim() >= 1 && x.shape()[0] == y.shape()[0],
            "Dataset::new: inputs {:?} and targets {:?} need the same first axis",
            x.shape(),
            y.shape()
        );
        Dataset { x, y }
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

    /// The examples at `indices`, in that order.
    #[track_caller]
    pub fn select(&self, indices: &[usize]) -> Self {
        let pick = |t: &Tensor<T>| {
            t.index_select(0, indices)
                .unwrap_or_else(|e| panic!("Dataset::select: {e}"))
        };
        Dataset {
            x: pick(&self.x),
            y: pick(&self.y),
        }
    }

    /// A shuffled split into `(train, test)` with `round(test_fraction · n)` test examples,
    /// reproducible from `seed`.
    pub fn split(&self, test_fraction: f64, seed: u64) -> (Self, Self) {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(&mut StdRng::seed_from_u64(seed));
        let n_test = (test_fraction * self.len() as f64).round() as usize;
        let (test, train) = order.split_at(n_test.min(self.len()));
        (self.select(train), self.select(test))
    }

    /// A split that keeps each class's share: the targets are class labels (one per
    /// example), each class contributes `round(test_fraction · its count)` test examples,
    /// and both parts are shuffled. Reproducible from `seed`.
    #[track_caller]
    pub fn stratified_split(&self, test_fraction: f64, seed: u64) -> (Self, Self) {
        let labels = crate::metrics::labels(&self.y);
        let mut by_class: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, &c) in labels.iter().enumerate() {
            by_class.entry(c).or_default().push(i);
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
        (self.select(&train), self.select(&test))
    }

    /// Batches of `size` examples in order; see [`Batches`] for shuffling and the last
    /// batch.
    #[track_caller]
    pub fn batches(&self, size: usize) -> Batches<'_, T> {
        assert!(size > 0, "Dataset::batches: batch size must be positive");
        Batches {
            data: self,
            order: (0..self.len()).collect(),
            size,
            pos: 0,
            last: LastBatch::Keep,
        }
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
}
