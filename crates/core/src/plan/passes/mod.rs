//! The passes on a frozen graph, one per file. Each rewrites the graph in place and says
//! how many nodes it changed; nodes it makes unreachable are left for [`dce`] to drop.

pub(crate) mod cse;
pub(crate) mod dce;
pub(crate) mod fold;
pub(crate) mod fuse;
pub(crate) mod simplify;

/// The identity map on `n` nodes, for a pass that replaces nodes by earlier ones.
pub(crate) fn identity(n: usize) -> Vec<u32> {
    (0..n as u32).collect()
}
