//! Sparsity detection: which Jacobian and Hessian entries of a recorded function can be
//! nonzero, from the ops' [`Structure`]s alone (no derivative is evaluated).
//!
//! One forward pass over the recording carries, for each element of each node, the set of
//! input elements it depends on (its *dependencies*). The Jacobian's row `i` is the
//! dependency set of output element `i`. For the Hessian of a one-element function, each
//! op that reaches the output adds the pairs its curvature makes nonzero: a nonlinear
//! element all pairs of its dependencies, a bilinear one (`x·y`) the pairs across its two
//! factors; linear ops add none. That is the classic *nonlinear interaction* bound: it
//! contains every entry the Hessian can have at any point, and the exact pattern for the
//! usual objectives (a product of two dependencies that happens to cancel stays in it).

use crate::structure::{Curvature, Dependence, Sources, Structure};
use crate::tape::NodeId;
use crate::tensor::numel;
use crate::{Float, NodeKind, Tape};
use std::rc::Rc;

/// Which entries of an `nrows × ncols` matrix can be nonzero, as sorted (row, column)
/// pairs, row-major. Rows and columns are flat indices: a Jacobian's rows are the
/// output's elements and its columns the inputs' elements, one input after another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sparsity {
    /// Rows and columns of the matrix.
    pub shape: [usize; 2],
    /// The row of each entry.
    pub rows: Vec<usize>,
    /// The column of each entry.
    pub cols: Vec<usize>,
}

impl Sparsity {
    /// The number of entries that can be nonzero.
    pub fn nnz(&self) -> usize {
        self.rows.len()
    }

    /// The pattern from (row, column) pairs in any order, duplicates allowed.
    pub(crate) fn from_pairs(shape: [usize; 2], pairs: Vec<(usize, usize)>) -> Self {
        Sparsity::from_pairs_mirrored(shape, &pairs, false)
    }

    /// [`from_pairs`](Self::from_pairs), with each pair also taken as (j, i) when
    /// `mirrored`: the symmetric pattern of pairs stored once.
    fn from_pairs_mirrored(shape: [usize; 2], pairs: &[(usize, usize)], mirrored: bool) -> Self {
        // Bucketed by row (a counting sort), then each short row sorted: linear in the
        // pairs for the usual few entries per row.
        let each = |visit: &mut dyn FnMut(usize, usize)| {
            for &(i, j) in pairs {
                visit(i, j);
                if mirrored && i != j {
                    visit(j, i);
                }
            }
        };
        let mut starts = vec![0usize; shape[0] + 1];
        each(&mut |i, _| starts[i + 1] += 1);
        for i in 0..shape[0] {
            starts[i + 1] += starts[i];
        }
        let mut next = starts.clone();
        let mut cols = vec![0usize; starts[shape[0]]];
        each(&mut |i, j| {
            cols[next[i]] = j;
            next[i] += 1;
        });
        let (mut rows, mut kept) = (
            Vec::with_capacity(pairs.len()),
            Vec::with_capacity(pairs.len()),
        );
        for i in 0..shape[0] {
            let row = &mut cols[starts[i]..starts[i + 1]];
            row.sort_unstable();
            for (k, &j) in row.iter().enumerate() {
                if k == 0 || j != row[k - 1] {
                    rows.push(i);
                    kept.push(j);
                }
            }
        }
        Sparsity {
            shape,
            rows,
            cols: kept,
        }
    }

    /// The transposed pattern.
    pub fn transpose(&self) -> Sparsity {
        let pairs = self.cols.iter().copied().zip(self.rows.iter().copied());
        Sparsity::from_pairs([self.shape[1], self.shape[0]], pairs.collect())
    }
}

/// Dependency sets of every element of one node.
enum Deps {
    /// Every element has the same set (a constant: the empty one; a dense op's output).
    Uniform(Vec<usize>),
    /// Element `e` has `items[starts[e]..starts[e + 1]]`, sorted.
    Each {
        starts: Vec<usize>,
        items: Vec<usize>,
    },
}

impl Deps {
    fn of(&self, e: usize) -> &[usize] {
        match self {
            Deps::Uniform(set) => set,
            Deps::Each { starts, items } => &items[starts[e]..starts[e + 1]],
        }
    }

    /// The union of every element's set.
    fn union(&self) -> Vec<usize> {
        match self {
            Deps::Uniform(set) => set.clone(),
            Deps::Each { items, .. } => sorted_unique(items.clone()),
        }
    }
}

/// What one forward pass over the recording found.
pub(crate) struct Detection {
    deps: Vec<Rc<Deps>>,
    /// Pairs (i, j), i ≤ j, that nonlinear ops make interact (only when asked).
    pairs: Vec<(usize, usize)>,
    /// Elements in all inputs.
    columns: usize,
}

/// Runs the detection over `tape`'s nodes up to `output`, with `inputs` as the leaves
/// differentiated by (their elements numbered one input after another). With `hessian`,
/// also collects the pairs of nonlinear interactions of the nodes `output` depends on.
pub(crate) fn detect<T: Float>(
    tape: &Tape<T>,
    inputs: &[NodeId],
    output: NodeId,
    hessian: bool,
) -> Detection {
    let count = output as usize + 1;
    let live = if hessian {
        ancestors(tape, output)
    } else {
        Vec::new()
    };
    let mut deps: Vec<Rc<Deps>> = Vec::with_capacity(count);
    let mut pairs = Vec::new();
    let mut columns = 0;
    let mut first_column = vec![None; count];
    for &x in inputs {
        first_column[x as usize] = Some(columns);
        columns += numel(
            tape.node(x as usize)
                .expect("input on tape")
                .value()
                .shape(),
        );
    }
    let mut marks = Marks::new(columns);
    for node in tape.nodes().take(count) {
        let len = numel(node.value().shape());
        let found = match (node.kind(), node.op()) {
            (NodeKind::Leaf, _) => match first_column[node.id()] {
                Some(first) => Rc::new(Deps::Each {
                    starts: (0..=len).collect(),
                    items: (first..first + len).collect(),
                }),
                // A leaf `f` made itself: a constant to these derivatives.
                None => Rc::new(Deps::Uniform(Vec::new())),
            },
            (NodeKind::Op, Some(op)) => {
                let ids: Vec<usize> = node.inputs().collect();
                let shapes: Vec<Vec<usize>> = ids
                    .iter()
                    .map(|&i| {
                        tape.node(i)
                            .expect("input on tape")
                            .value()
                            .shape()
                            .to_vec()
                    })
                    .collect();
                let shape_refs: Vec<&[usize]> = shapes.iter().map(Vec::as_slice).collect();
                let out_shape = node.value().shape().to_vec();
                let structure = op.structure(&shape_refs, &out_shape);
                let inputs: Vec<&Rc<Deps>> = ids.iter().map(|&i| &deps[i]).collect();
                let wanted = hessian && live[node.id()];
                propagate(
                    &structure,
                    &inputs,
                    &shape_refs,
                    &out_shape,
                    wanted,
                    &mut pairs,
                    &mut marks,
                )
            }
            _ => Rc::new(Deps::Uniform(Vec::new())),
        };
        deps.push(found);
    }
    Detection {
        deps,
        pairs,
        columns,
    }
}

impl Detection {
    /// The Jacobian pattern of node `output` (of `rows` elements).
    pub(crate) fn jacobian(&self, output: NodeId, rows: usize) -> Sparsity {
        let deps = &self.deps[output as usize];
        let mut pairs = Vec::new();
        for i in 0..rows {
            pairs.extend(deps.of(i).iter().map(|&j| (i, j)));
        }
        Sparsity::from_pairs([rows, self.columns], pairs)
    }

    /// The Hessian pattern (symmetric) of the one-element output detected with `hessian`.
    pub(crate) fn hessian(self) -> Sparsity {
        Sparsity::from_pairs_mirrored([self.columns, self.columns], &self.pairs, true)
    }
}

/// Marks the nodes `output` depends on (itself included).
fn ancestors<T: Float>(tape: &Tape<T>, output: NodeId) -> Vec<bool> {
    let mut live = vec![false; output as usize + 1];
    live[output as usize] = true;
    for id in (0..=output as usize).rev() {
        if live[id] {
            for i in tape.node(id).expect("node on tape").inputs() {
                live[i] = true;
            }
        }
    }
    live
}

/// Where each output element of an op comes from.
enum Origins<'a> {
    /// As listed by the op.
    Listed(&'a Sources),
    /// One element of each input: the same index (`None`), or through a broadcast map.
    Elementwise(Vec<Option<Vec<usize>>>),
}

/// The dependency sets of an op's output from its inputs', adding its interaction pairs
/// when `wanted`. `marks` is scratch space for unions of many sets.
#[allow(clippy::too_many_arguments)]
fn propagate(
    structure: &Structure,
    inputs: &[&Rc<Deps>],
    shapes: &[&[usize]],
    out_shape: &[usize],
    wanted: bool,
    pairs: &mut Vec<(usize, usize)>,
    marks: &mut Marks,
) -> Rc<Deps> {
    let len = numel(out_shape);
    let curvature = structure.curvature;
    let origins = match &structure.dependence {
        Dependence::Dense => None,
        Dependence::Elementwise => elementwise(shapes, out_shape).map(Origins::Elementwise),
        // Listed sources that do not fit the shapes are not trusted: dense instead.
        Dependence::Listed(sources) => {
            fits(sources, shapes, len).then_some(Origins::Listed(sources))
        }
    };
    let Some(origins) = origins else {
        let all: Vec<Vec<usize>> = inputs.iter().map(|d| d.union()).collect();
        if wanted {
            add_pairs(curvature, &all, pairs);
        }
        return Rc::new(Deps::Uniform(sorted_unique(all.concat())));
    };
    if let Some(shared) = shared_by_all(&origins, inputs) {
        // y = g(x) or g(x, x, c) element-wise: the sets are x's, shared, not copied. A
        // bilinear op interacts x with itself only if x is both factors (x·x, not x·c).
        let square = inputs.len() >= 2 && Rc::ptr_eq(inputs[0], inputs[1]);
        let curved = match curvature {
            Curvature::Linear => false,
            Curvature::Bilinear => square,
            Curvature::Nonlinear => true,
        };
        if wanted && curved {
            pairs.reserve(2 * len);
            for e in 0..len {
                let set = shared.of(e);
                for (k, &i) in set.iter().enumerate() {
                    pairs.extend(set[k..].iter().map(|&j| (i, j)));
                }
            }
        }
        return Rc::clone(shared);
    }
    let bilinear = wanted && curvature == Curvature::Bilinear;
    let nonlinear = wanted && curvature == Curvature::Nonlinear;
    if bilinear || nonlinear {
        pairs.reserve(2 * len);
    }
    let mut starts = Vec::with_capacity(len + 1);
    let mut items = Vec::with_capacity(2 * len);
    starts.push(0);
    // The dependencies through input 0 and input 1 of one listed element (bilinear pairs).
    let mut factors = [Vec::new(), Vec::new()];
    for e in 0..len {
        let begin = items.len();
        match &origins {
            Origins::Elementwise(maps) => {
                // Inputs in order: input 0's sets end at `ends[0]`, input 1's at `ends[1]`.
                let mut ends = [begin; 2];
                for (k, map) in maps.iter().enumerate() {
                    let element = map.as_ref().map_or(e, |m| m[e]);
                    push_set(&mut items, inputs[k].of(element));
                    if k < 2 {
                        ends[k] = items.len();
                    }
                }
                if bilinear {
                    cross_pairs(&items[begin..ends[0]], &items[ends[0]..ends[1]], pairs);
                }
            }
            Origins::Listed(sources) => {
                for s in sources.of(e) {
                    let set = inputs[s.input].of(s.element);
                    push_set(&mut items, set);
                    if bilinear && s.input < 2 {
                        factors[s.input].extend_from_slice(set);
                    }
                }
                if bilinear {
                    let [a, b] = &mut factors;
                    cross_pairs(a, b, pairs);
                    a.clear();
                    b.clear();
                }
            }
        }
        marks.sort_unique_from(&mut items, begin);
        if nonlinear {
            let set = &items[begin..];
            for (k, &i) in set.iter().enumerate() {
                pairs.extend(set[k..].iter().map(|&j| (i, j)));
            }
        }
        starts.push(items.len());
    }
    Rc::new(Deps::Each { starts, items })
}

/// For an element-wise op without broadcasting whose inputs are all one node or
/// constants, that node's sets: the output's are the same.
fn shared_by_all<'a>(origins: &Origins<'_>, inputs: &[&'a Rc<Deps>]) -> Option<&'a Rc<Deps>> {
    let Origins::Elementwise(maps) = origins else {
        return None;
    };
    if maps.iter().any(Option::is_some) {
        return None;
    }
    let mut varying = inputs
        .iter()
        .filter(|d| !matches!(d.as_ref(), Deps::Uniform(set) if set.is_empty()));
    let first = varying.next()?;
    varying.all(|d| Rc::ptr_eq(d, first)).then_some(*first)
}

/// Appends a set: the usual one or two elements without a copy call.
#[inline]
fn push_set(items: &mut Vec<usize>, set: &[usize]) {
    match *set {
        [] => {}
        [a] => items.push(a),
        [a, b] => {
            items.push(a);
            items.push(b);
        }
        _ => items.extend_from_slice(set),
    }
}

/// The pairs (i, j), i ≤ j, of `i` in `a` and `j` in `b`.
fn cross_pairs(a: &[usize], b: &[usize], pairs: &mut Vec<(usize, usize)>) {
    for &i in a {
        for &j in b {
            pairs.push((i.min(j), i.max(j)));
        }
    }
}

/// A bit per column: unions of many sets are deduplicated by marking, not sorting.
pub(crate) struct Marks {
    words: Vec<u64>,
}

impl Marks {
    /// Above this many items a union is marked instead of sorted.
    const SORT_LIMIT: usize = 64;

    pub(crate) fn new(columns: usize) -> Self {
        Marks {
            words: vec![0; columns.div_ceil(64)],
        }
    }

    /// Sorts `items[begin..]` and drops its repeats, in place.
    fn sort_unique_from(&mut self, items: &mut Vec<usize>, begin: usize) {
        let set = &mut items[begin..];
        match set.len() {
            0 | 1 => {}
            2 => {
                // The common case of element-wise binary ops, without a sort call.
                if set[0] == set[1] {
                    items.truncate(begin + 1);
                } else if set[0] > set[1] {
                    set.swap(0, 1);
                }
            }
            n if n <= Self::SORT_LIMIT => {
                set.sort_unstable();
                let mut kept = begin + 1;
                for r in begin + 1..items.len() {
                    if items[r] != items[kept - 1] {
                        items[kept] = items[r];
                        kept += 1;
                    }
                }
                items.truncate(kept);
            }
            _ => {
                for &c in set.iter() {
                    self.words[c / 64] |= 1 << (c % 64);
                }
                items.truncate(begin);
                for (w, word) in self.words.iter_mut().enumerate() {
                    while *word != 0 {
                        items.push(w * 64 + word.trailing_zeros() as usize);
                        *word &= *word - 1;
                    }
                }
            }
        }
    }
}

/// The interaction pairs of one element: for `Nonlinear`, all pairs within the union of
/// `groups`; for `Bilinear`, the pairs across `groups[0]` and `groups[1]`.
fn add_pairs(curvature: Curvature, groups: &[Vec<usize>], pairs: &mut Vec<(usize, usize)>) {
    let ordered = |i: usize, j: usize| if i <= j { (i, j) } else { (j, i) };
    match curvature {
        Curvature::Linear => {}
        Curvature::Bilinear => {
            if let [a, b, ..] = groups {
                for &i in a {
                    pairs.extend(b.iter().map(|&j| ordered(i, j)));
                }
            }
        }
        Curvature::Nonlinear => {
            let all = sorted_unique(groups.concat());
            for (k, &i) in all.iter().enumerate() {
                pairs.extend(all[k..].iter().map(|&j| (i, j)));
            }
        }
    }
}

/// For an element-wise op, the one element of each input that broadcasting pairs with
/// each output element (`None`: the same index); `None` if an input does not broadcast.
fn elementwise(shapes: &[&[usize]], out_shape: &[usize]) -> Option<Vec<Option<Vec<usize>>>> {
    let mut maps = Vec::with_capacity(shapes.len());
    for s in shapes {
        maps.push(if *s == out_shape {
            None
        } else {
            let moved = Sources::moved(&[s], |xs| xs[0].broadcast_to(out_shape)).ok()?;
            Some((0..moved.len()).map(|e| moved.of(e)[0].element).collect())
        });
    }
    Some(maps)
}

/// Whether listed `sources` fit an op's inputs of these shapes and its output of `len`
/// elements.
fn fits(sources: &Sources, shapes: &[&[usize]], len: usize) -> bool {
    let sizes: Vec<usize> = shapes.iter().map(|s| numel(s)).collect();
    sources.len() == len
        && (0..len).all(|e| {
            (sources.of(e).iter()).all(|s| sizes.get(s.input).is_some_and(|&n| s.element < n))
        })
}

/// `items` sorted, without repeats.
fn sorted_unique(mut items: Vec<usize>) -> Vec<usize> {
    items.sort_unstable();
    items.dedup();
    items
}
