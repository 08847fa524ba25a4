//! The nodes a sweep is asked to keep the gradients of (the `xs` of [`Tape::grad`] and of
//! the batched backward), and the reading of those gradients from what the sweep kept.
//!
//! [`Tape::grad`]: crate::Tape::grad

use crate::tape::NodeId;

/// Which of the ids a sweep visits (`lowest..=top`) were asked for, as one flag per id.
///
/// # Design
/// The sweep asks for every node it reaches: with a list of the `xs`, a gradient with
/// respect to many variables (every weight of a model, or each of a hundred thousand
/// numbers) cost the number of nodes times the number of `xs`.
pub(super) struct Wanted {
    lowest: NodeId,
    flags: Vec<bool>,
}

impl Wanted {
    /// The ids `xs` among `lowest..=top` (ids above `top` cannot be reached from it).
    pub(super) fn new(xs: impl IntoIterator<Item = NodeId>, lowest: NodeId, top: NodeId) -> Self {
        let mut flags = vec![false; (top - lowest) as usize + 1];
        for id in xs {
            if (lowest..=top).contains(&id) {
                flags[(id - lowest) as usize] = true;
            }
        }
        Wanted { lowest, flags }
    }

    /// Whether node `id` (one the sweep visits) was asked for.
    pub(super) fn contains(&self, id: NodeId) -> bool {
        id.checked_sub(self.lowest)
            .and_then(|i| self.flags.get(i as usize))
            .copied()
            .unwrap_or(false)
    }
}

/// The gradient a sweep kept for node `id`, from its list by descending id.
pub(super) fn kept_for<G>(kept: &[(NodeId, G)], id: NodeId) -> Option<&G> {
    let at = kept.binary_search_by(|&(k, _)| id.cmp(&k)).ok()?;
    Some(&kept[at].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_only_the_asked_ids_in_range() {
        let wanted = Wanted::new([3, 7, 3, 12], 3, 10);
        let asked: Vec<NodeId> = (0..15).filter(|&id| wanted.contains(id)).collect();
        assert_eq!(asked, [3, 7]);
    }

    #[test]
    fn finds_kept_gradients_by_descending_id() {
        let kept = [(9, 'a'), (5, 'b'), (2, 'c')];
        assert_eq!(kept_for(&kept, 9), Some(&'a'));
        assert_eq!(kept_for(&kept, 5), Some(&'b'));
        assert_eq!(kept_for(&kept, 2), Some(&'c'));
        assert_eq!(kept_for(&kept, 4), None);
        assert_eq!(kept_for(&kept, 10), None);
    }
}
