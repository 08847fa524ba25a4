//! Fusion: chains of element-wise built-in ops over values of one size, and the full sums
//! taken of them, become one kernel (`plan/fused.rs`) that runs as one loop with no
//! buffer for the values in between.
//!
//! # The rule
//! A node joins a chain when its op is one the kernel computes inline (`add`, `sub`,
//! `mul`, `div`, `neg`, `relu`, `sign`, the scalar-operand ops: the scalar path's set,
//! recognised by Rust type), its value has more than one element, and each operand is in
//! the chain or, from outside it, of the chain's size or of one element (broadcast). A
//! `sum` or `sum_to` down to one element of a chain's value joins it too: its leaves are
//! summed as the loop goes. The kernel runs where the chain's first node was, so a node
//! joins only if everything else it reads is computed before that point; otherwise it
//! starts a chain of its own, as it does when the chain holds `MAX_CHAIN` nodes already.
//! A chain of one element-wise node and no sum stays as it was. Values read outside the chain (or returned) are written to their slots; the rest
//! never leave the loop.

use crate::plan::fused::{Arg, Kernel, Member, Operand, Part, Step, What};
use crate::plan::graph::{Graph, Node, Source};
use crate::plan::scalar::{self, Kind};
use crate::tensor::numel;
use crate::Float;
use smallvec::SmallVec;
use std::collections::HashMap;

/// The most nodes in one chain: a longer one starts another. It bounds the kernel's
/// registers and inputs (numbered in `u16`) and its scratch.
const MAX_CHAIN: usize = 1024;

/// A node's place in a chain.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Alone,
    /// An element-wise step of chain `g`.
    Step(usize),
    /// A sum taken in chain `g` (available only after its loop).
    Sum(usize),
}

struct Chain {
    /// The first node's id: where the kernel runs.
    first: usize,
    /// Elements of its values.
    len: usize,
    members: Vec<usize>,
}

/// Fuses the chains of `graph`. Returns the number of nodes that went into kernels.
pub(crate) fn run<T: Float>(graph: &mut Graph<T>) -> usize {
    let n = graph.nodes.len();
    let nodes = &graph.nodes;
    let len = |id: usize| numel(&nodes[id].shape);
    let kinds: Vec<Option<Kind<T>>> = nodes.iter().map(|node| step_kind(node, nodes)).collect();
    // constants and inputs sit in their slots before anything runs
    let ready_at_start: Vec<bool> = nodes
        .iter()
        .map(|node| matches!(node.source, Source::Const(_) | Source::Input(_)))
        .collect();
    let mut readers: Vec<SmallVec<[usize; 2]>> = vec![SmallVec::new(); n];
    for (id, node) in nodes.iter().enumerate() {
        for &x in &node.inputs {
            readers[x as usize].push(id);
        }
    }
    for &y in &graph.outputs {
        readers[y as usize].push(usize::MAX); // read by the caller
    }
    let mut role = vec![Role::Alone; n];
    let mut chains: Vec<Chain> = Vec::new();
    for id in 0..n {
        let node = &nodes[id];
        if kinds[id].is_some() {
            // True when node `x` is computed before point `at` (a node id): a chain's
            // values when the chain runs before it, any other node when it comes before.
            let ready = |x: usize, at: usize, chains: &[Chain], role: &[Role]| match role[x] {
                Role::Step(h) | Role::Sum(h) => chains[h].first < at,
                Role::Alone => ready_at_start[x] || x < at,
            };
            // the chain of an operand, if the rest is ready before it runs
            let ready_before = |g: usize, chains: &[Chain], role: &[Role]| {
                node.inputs.iter().all(|&x| {
                    let x = x as usize;
                    role[x] == Role::Step(g) || ready(x, chains[g].first, chains, role)
                })
            };
            // A node read by one element-wise node only, which could not join chain `g`
            // but could join a chain started here, starts one: its value then never
            // leaves the loop (`sign(y)` of the backward of `relu` with its `dy · sign`,
            // rather than with `relu` in the forward pass, where the mask would be kept).
            let starts_better = |g: usize, chains: &[Chain], role: &[Role]| {
                let [c] = readers[id][..] else { return false };
                if c == usize::MAX || kinds[c].is_none() || len(c) != len(id) {
                    return false;
                }
                let others = || {
                    nodes[c]
                        .inputs
                        .iter()
                        .map(|&y| y as usize)
                        .filter(|&y| y != id)
                };
                let joins_g = others().all(|y| y < id && ready(y, chains[g].first, chains, role));
                let joins_here = others().all(|y| y < id && ready(y, id, chains, role));
                !joins_g && joins_here
            };
            let mut candidates: SmallVec<[usize; 2]> = node
                .inputs
                .iter()
                .filter_map(|&x| match role[x as usize] {
                    Role::Step(g) if chains[g].len == len(id) => Some(g),
                    _ => None,
                })
                .collect();
            candidates.sort_unstable_by(|a, b| b.cmp(a));
            match candidates.into_iter().find(|&g| {
                chains[g].members.len() < MAX_CHAIN
                    && ready_before(g, &chains, &role)
                    && !starts_better(g, &chains, &role)
            }) {
                Some(g) => {
                    role[id] = Role::Step(g);
                    chains[g].members.push(id);
                }
                None => {
                    role[id] = Role::Step(chains.len());
                    chains.push(Chain {
                        first: id,
                        len: len(id),
                        members: vec![id],
                    });
                }
            }
        } else if is_full_sum(node, nodes) {
            match role[node.inputs[0] as usize] {
                Role::Step(g) if chains[g].members.len() < MAX_CHAIN => {
                    role[id] = Role::Sum(g);
                    chains[g].members.push(id);
                }
                _ => {}
            }
        }
    }
    // a lone element-wise node gains nothing from a loop of its own
    let kept: Vec<bool> = chains.iter().map(|c| c.members.len() > 1).collect();
    for (g, chain) in chains.iter().enumerate() {
        if !kept[g] {
            role[chain.members[0]] = Role::Alone;
        }
    }
    // who reads each node from outside its chain (or returns it)
    let mut read_outside = vec![false; n];
    for &y in &graph.outputs {
        read_outside[y as usize] = true;
    }
    for (id, node) in nodes.iter().enumerate() {
        for &x in &node.inputs {
            let x = x as usize;
            let inside = matches!((role[x], role[id]),
                (Role::Step(g), Role::Step(h) | Role::Sum(h)) if g == h);
            if !inside {
                read_outside[x] = true;
            }
        }
    }
    let fused: usize = chains
        .iter()
        .zip(&kept)
        .filter(|(_, &k)| k)
        .map(|(c, _)| c.members.len())
        .sum();
    if fused == 0 {
        return 0;
    }
    rewrite(graph, &chains, &kept, &role, &kinds, &read_outside);
    fused
}

/// How the kernel computes the node, if it is an element-wise step it can fuse.
fn step_kind<T: Float>(node: &Node<T>, nodes: &[Node<T>]) -> Option<Kind<T>> {
    let kind = scalar::kind_of(node);
    let size = numel(&node.shape);
    let arity = match kind {
        Kind::Generic => return None,
        Kind::Add | Kind::Sub | Kind::Mul | Kind::Div | Kind::TanhGrad => 2,
        _ => 1,
    };
    let operands_fit = node.inputs.iter().all(|&x| {
        let m = numel(&nodes[x as usize].shape);
        m == size || m == 1
    });
    (size > 1 && node.inputs.len() == arity && operands_fit).then_some(kind)
}

/// True for a built-in `sum` or `sum_to` of a value of several elements down to one: the
/// pairwise sum of all of them.
fn is_full_sum<T: Float>(node: &Node<T>, nodes: &[Node<T>]) -> bool {
    matches!(node.builtin(), Some("sum" | "sum_to"))
        && node.inputs.len() == 1
        && numel(&node.shape) == 1
        && numel(&nodes[node.inputs[0] as usize].shape) > 1
}

/// Replaces each kept chain by a `Fused` node at its first member's place, followed by
/// one `Part` node per value it hands out; renumbers the rest.
fn rewrite<T: Float>(
    graph: &mut Graph<T>,
    chains: &[Chain],
    kept: &[bool],
    role: &[Role],
    kinds: &[Option<Kind<T>>],
    read_outside: &[bool],
) {
    let old = std::mem::take(&mut graph.nodes);
    let n = old.len();
    let chain_at: Vec<Option<usize>> = {
        let mut at = vec![None; n];
        for (g, c) in chains.iter().enumerate() {
            if kept[g] {
                at[c.first] = Some(g);
            }
        }
        at
    };
    let mut new_id = vec![u32::MAX; n];
    let mut nodes: Vec<Node<T>> = Vec::with_capacity(n);
    let lens: Vec<usize> = old.iter().map(|node| numel(&node.shape)).collect();
    let mut old: Vec<Option<Node<T>>> = old.into_iter().map(Some).collect();
    // constants and inputs first: a kernel may read one the trace made after its chain
    // began (`tape.constant(y)` in the middle of an expression)
    for id in 0..n {
        if let Some(node) =
            old[id].take_if(|node| node.inputs.is_empty() && !matches!(node.source, Source::Op(_)))
        {
            new_id[id] = nodes.len() as u32;
            nodes.push(node);
        }
    }
    for id in 0..n {
        if old[id].is_none() {
            continue; // placed above
        }
        if let Some(g) = chain_at[id] {
            let chain = &chains[g];
            let (kernel, inputs, parts) = build(chain, g, &old, &lens, role, kinds, read_outside);
            let first = old[chain.first].as_ref().expect("not yet moved");
            let fused = Node {
                source: Source::Fused(Box::new(kernel)),
                inputs: inputs.iter().map(|&x| new_id[x]).collect(),
                shape: first.shape.clone(),
                site: first.site,
            };
            let f = nodes.len() as u32;
            nodes.push(fused);
            for &member in &parts {
                let m = old[member].as_ref().expect("not yet moved");
                new_id[member] = nodes.len() as u32;
                nodes.push(Node {
                    source: Source::Part,
                    inputs: [f].into_iter().collect(),
                    shape: m.shape.clone(),
                    site: m.site,
                });
            }
        }
        match role[id] {
            Role::Step(g) | Role::Sum(g) if kept[g] => {
                old[id] = None; // in the kernel now
            }
            _ => {
                let mut node = old[id].take().expect("each node once");
                for x in &mut node.inputs {
                    *x = new_id[*x as usize];
                }
                new_id[id] = nodes.len() as u32;
                nodes.push(node);
            }
        }
    }
    graph.nodes = nodes;
    for y in &mut graph.outputs {
        *y = new_id[*y as usize];
    }
}

/// The kernel of chain `g`: its steps over registers given out by liveness, its inputs
/// (old ids) and the members it hands out, in part order. `nodes` holds the chain's
/// members still (the nodes before its first have moved); `lens` every node's size.
fn build<T: Float>(
    chain: &Chain,
    g: usize,
    nodes: &[Option<Node<T>>],
    lens: &[usize],
    role: &[Role],
    kinds: &[Option<Kind<T>>],
    read_outside: &[bool],
) -> (Kernel<T>, Vec<usize>, Vec<usize>) {
    let node = |id: usize| nodes[id].as_ref().expect("not yet moved");
    let in_chain = |x: usize| role[x] == Role::Step(g);
    // the last step reading each member's register; values handed out or summed are
    // read after the last step, so theirs is never given away
    let mut last_read = vec![0usize; chain.members.len()];
    // each member's place in the chain (a chain may hold thousands of nodes)
    let place: HashMap<usize, usize> = chain
        .members
        .iter()
        .enumerate()
        .map(|(k, &m)| (m, k))
        .collect();
    let pos = |id: usize| place.get(&id).copied();
    for (k, &m) in chain.members.iter().enumerate() {
        for &x in &node(m).inputs {
            if let Some(p) = pos(x as usize) {
                last_read[p] = if role[m] == Role::Sum(g) || read_outside[x as usize] {
                    usize::MAX
                } else {
                    last_read[p].max(k)
                };
            }
        }
        if read_outside[m] {
            last_read[k] = usize::MAX;
        }
    }
    let mut inputs: Vec<usize> = Vec::new();
    let mut input_of: HashMap<usize, u16> = HashMap::new();
    let mut reg_of = vec![u16::MAX; chain.members.len()];
    let mut free: Vec<u16> = Vec::new();
    let mut registers = 0u16;
    let mut steps = Vec::new();
    let mut parts = Vec::new();
    let mut handed = Vec::new();
    let mut members = Vec::new();
    let mut part_members = Vec::new();
    for (k, &m) in chain.members.iter().enumerate() {
        let nm = node(m);
        let member = |what| Member {
            label: nm.op().map_or_else(String::new, |op| op.label()),
            site: nm.site,
            shape: nm.shape.clone(),
            what,
        };
        if role[m] == Role::Sum(g) {
            let source = pos(nm.inputs[0] as usize).expect("a sum of a chain member");
            parts.push((Part::Sum(reg_of[source]), nm.shape.clone()));
            handed.push(m);
            part_members.push(k);
            members.push(member(What::Sum(source)));
            continue;
        }
        let mut arg = |x: usize| -> Arg {
            if in_chain(x) {
                return Arg::Reg(reg_of[pos(x).expect("a member")]);
            }
            let i = *input_of.entry(x).or_insert_with(|| {
                inputs.push(x);
                (inputs.len() - 1) as u16
            });
            if lens[x] == chain.len {
                Arg::Full(i)
            } else {
                Arg::One(i)
            }
        };
        let a = arg(nm.inputs[0] as usize);
        let b = nm.inputs.get(1).map_or(a, |&x| arg(x as usize));
        let source = |x: u32| match pos(x as usize) {
            Some(p) if in_chain(x as usize) => Operand::Member(p),
            _ => Operand::Input(input_of[&(x as usize)] as usize),
        };
        let (sa, sb) = (
            source(nm.inputs[0]),
            source(*nm.inputs.get(1).unwrap_or(&nm.inputs[0])),
        );
        let kind = kinds[m].expect("a step kind");
        members.push(member(What::Step(kind, sa, sb)));
        // the output's register is taken before the operands' are freed, so a step
        // never writes the register it reads
        let out = free.pop().unwrap_or_else(|| {
            registers += 1;
            registers - 1
        });
        reg_of[k] = out;
        for (j, &x) in nm.inputs.iter().enumerate() {
            // an operand read twice by this step (`x · x`) is freed once
            let repeated = nm.inputs[..j].contains(&x);
            match pos(x as usize) {
                Some(p) if last_read[p] == k && !repeated => free.push(reg_of[p]),
                _ => {}
            }
        }
        steps.push(Step { kind, a, b, out });
        if read_outside[m] {
            parts.push((Part::Values(out), nm.shape.clone()));
            handed.push(m);
            part_members.push(k);
        }
    }
    let kernel = Kernel::new(
        chain.len,
        steps,
        registers as usize,
        parts,
        members,
        part_members,
    );
    (kernel, inputs, handed)
}
