//! Colouring a sparsity pattern so that a few sweeps give the whole matrix: columns that
//! share no row can be seeded together, since each row then sees at most one of them.

use super::pattern::Sparsity;

/// A colour for each column (or row) of a pattern, such that no two columns (rows) of
/// one colour have an entry in the same row (column): one sweep per colour recovers the
/// matrix directly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Colouring {
    /// The colour of each column (or row), from 0.
    pub colours: Vec<usize>,
    /// How many colours: the number of sweeps.
    pub count: usize,
}

impl Colouring {
    /// The 0/1 seed of colour `c`: 1 at the columns (rows) of that colour.
    pub(crate) fn seed(&self, c: usize) -> impl Iterator<Item = bool> + '_ {
        self.colours.iter().map(move |&k| k == c)
    }
}

impl Sparsity {
    /// Colours the columns greedily, in order: each column takes the smallest colour no
    /// column sharing a row with it has (an empty column takes colour 0 and no sweep). A band of width `w` gets `w` colours (a
    /// tridiagonal matrix 3), which is optimal for it.
    ///
    /// Cost: the sum over rows of their entry count squared.
    ///
    /// ```
    /// use tapegrad_core::func::Sparsity;
    /// // The 5 × 5 tridiagonal pattern.
    /// let (mut rows, mut cols) = (vec![], vec![]);
    /// for i in 0..5usize {
    ///     for j in i.saturating_sub(1)..(i + 2).min(5) {
    ///         rows.push(i);
    ///         cols.push(j);
    ///     }
    /// }
    /// let pattern = Sparsity { shape: [5, 5], rows, cols };
    /// let colouring = pattern.colour_columns();
    /// assert_eq!((colouring.count, colouring.colours), (3, vec![0, 1, 2, 0, 1]));
    /// ```
    pub fn colour_columns(&self) -> Colouring {
        let [nrows, ncols] = self.shape;
        // The pattern is row-major already: its rows need no grouping, only their starts.
        let cols_of_row = Grouped::sorted(nrows, &self.rows, &self.cols);
        let rows_of_col = Grouped::new(ncols, &self.cols, &self.rows);
        let mut colours = vec![0; ncols];
        // `taken[c] == j + 1`: colour c is used by a neighbour of column j.
        let mut taken = vec![0usize; ncols + 1];
        let mut count = 0;
        for j in 0..ncols {
            if rows_of_col.of(j).is_empty() {
                // An empty column needs no sweep: colour 0, not counted.
                continue;
            }
            for &i in rows_of_col.of(j) {
                for &other in cols_of_row.of(i) {
                    if other < j {
                        taken[colours[other]] = j + 1;
                    }
                }
            }
            let colour = (0..).find(|&c| taken[c] != j + 1).expect("a free colour");
            colours[j] = colour;
            count = count.max(colour + 1);
        }
        Colouring { colours, count }
    }

    /// Colours the rows (the columns of the transposed pattern): rows of one colour share
    /// no column, so one reverse sweep per colour recovers them.
    pub fn colour_rows(&self) -> Colouring {
        self.transpose().colour_columns()
    }
}

/// Values grouped by key (a counting sort): `of(k)` lists the values paired with `k`.
struct Grouped<'a> {
    starts: Vec<usize>,
    values: std::borrow::Cow<'a, [usize]>,
}

impl<'a> Grouped<'a> {
    /// Groups `values[e]` under `keys[e]` when `keys` is sorted: `values` is borrowed.
    fn sorted(len: usize, keys: &[usize], values: &'a [usize]) -> Self {
        Grouped {
            starts: starts_of(len, keys),
            values: values.into(),
        }
    }

    /// Groups `values[e]` under `keys[e]`, for keys below `len`.
    fn new(len: usize, keys: &[usize], values: &[usize]) -> Self {
        let starts = starts_of(len, keys);
        let mut next = starts[..len].to_vec();
        let mut grouped = vec![0usize; values.len()];
        for (&k, &v) in keys.iter().zip(values) {
            grouped[next[k]] = v;
            next[k] += 1;
        }
        Grouped {
            starts,
            values: grouped.into(),
        }
    }

    fn of(&self, k: usize) -> &[usize] {
        &self.values[self.starts[k]..self.starts[k + 1]]
    }
}

/// Where each key's group starts, for keys below `len` (a counting sort's first pass).
fn starts_of(len: usize, keys: &[usize]) -> Vec<usize> {
    let mut starts = vec![0usize; len + 1];
    for &k in keys {
        starts[k + 1] += 1;
    }
    for k in 0..len {
        starts[k + 1] += starts[k];
    }
    starts
}
