//! The flat instruction list a plan replays: op, input slots, output slot. Slots are
//! given out by liveness, so a value's slot is taken by a later value of the same size
//! once its last reader has run, and that value is written into its buffer.

use super::fused::Kernel;
use super::graph::{Graph, Node, Source};
use super::scalar::{self, Kind, ScalarInstr};
use super::ReplayStep;
use crate::stored_op::StoredOp;
use crate::{Activation, Error, Float, Op, Tensor};
use smallvec::SmallVec;
use std::panic::Location;

/// What an instruction runs.
pub(crate) enum Exec<T: Float> {
    /// An op: `slots[outs[0]] = op(slots[args])`.
    Op(StoredOp<T>),
    /// A fused chain: `slots[outs] = kernel(slots[args])`.
    Fused(Box<Kernel<T>>),
    /// An op and, in place on its value, the one-operand element-wise op that is its
    /// only reader (`linear` then `relu`): `slots[outs[0]] = then(op(slots[args]))`.
    OpThen(StoredOp<T>, Box<Epilogue<T>>),
}

/// The element-wise op an [`Exec::OpThen`] applies in place.
pub(crate) struct Epilogue<T: Float> {
    /// Its arithmetic (the op's `forward` to the bit).
    pub(crate) then: Then<T>,
    /// The traced op, for listings and observed replays.
    pub(crate) op: StoredOp<T>,
    pub(crate) site: &'static Location<'static>,
}

/// What an epilogue computes.
#[derive(Clone, Copy)]
pub(crate) enum Then<T> {
    /// One of the kinds [`scalar::is_in_place`] accepts (`relu` among them).
    Step(Kind<T>),
    /// An activation that is no scalar step (`tanh`, `gelu`).
    Activation(Activation),
}

impl<T: Float> Then<T> {
    /// The epilogue of node `node`: its op is `tanh` or `gelu`, or takes its value in
    /// place.
    fn of(node: &Node<T>) -> Option<Self> {
        match node.builtin() {
            Some("tanh") => Some(Then::Activation(Activation::Tanh)),
            Some("gelu") => Some(Then::Activation(Activation::Gelu)),
            _ => {
                let kind = scalar::kind_of(node);
                scalar::is_in_place(kind).then_some(Then::Step(kind))
            }
        }
    }

    /// The activation an op may apply as it writes its value
    /// ([`Op::forward_into_then`]), if this is one.
    fn activation(self) -> Option<Activation> {
        match self {
            Then::Step(Kind::Relu) => Some(Activation::Relu),
            Then::Step(_) => None,
            Then::Activation(act) => Some(act),
        }
    }

    /// The epilogue on every value of `xs`, in place.
    fn apply_in_place(self, xs: &mut [T]) {
        match self {
            Then::Step(kind) => scalar::map_in_place(kind, xs),
            Then::Activation(act) => act.apply_in_place(xs),
        }
    }
}

/// One step of the replay.
pub(crate) struct Instr<T: Float> {
    pub(crate) exec: Exec<T>,
    pub(crate) args: SmallVec<[u32; 2]>,
    pub(crate) outs: SmallVec<[u32; 2]>,
    /// The traced node's shape and creation site (a fused chain's: its first node's),
    /// for listings and errors.
    pub(crate) shape: Vec<usize>,
    pub(crate) site: &'static Location<'static>,
}

impl<T: Float> Instr<T> {
    /// The op's label, or the fused chain's (`fused(mul, add, sum_to([]))`).
    pub(crate) fn label(&self) -> String {
        match &self.exec {
            Exec::Op(op) => op.get().label(),
            Exec::Fused(kernel) => kernel.label(),
            Exec::OpThen(op, then) => format!("{} → {}", op.get().label(), then.op.get().label()),
        }
    }
}

/// The compiled plan: instructions over an array of value slots.
pub(crate) struct Program<T: Float> {
    pub(crate) instrs: Vec<Instr<T>>,
    /// Slots `0..constants` hold the constants for good; the rest are scratch.
    pub(crate) slots: Vec<Tensor<T>>,
    pub(crate) constants: usize,
    /// Where each plan input goes (`None`: no output needs it).
    pub(crate) input_slots: Vec<Option<u32>>,
    pub(crate) outputs: Vec<u32>,
    /// The scalar path, when every value is rank 0: the instructions over `regs`.
    pub(crate) scalar: Option<Vec<ScalarInstr<T>>>,
    /// One number per slot, for the scalar path (constants in place).
    pub(crate) regs: Vec<T>,
    /// True until the first replay has given every slot its buffer.
    pub(crate) first_run: bool,
}

impl<T: Float> Program<T> {
    /// Lays `graph` out: constants first, then inputs and op values in slots reused by
    /// liveness and size. An op's output never takes the slot of one of its own inputs,
    /// so the op writes into a dead buffer while it reads them. With `epilogues`, a
    /// one-operand element-wise op whose operand is the op just before it, read by nothing
    /// else, runs in that op's instruction, in place on its value ([`Exec::OpThen`]).
    pub(crate) fn compile(graph: Graph<T>, scalar_path: bool, epilogues: bool) -> Self {
        let n = graph.nodes.len();
        let all_rank0 = graph.nodes.iter().all(|node| node.shape.is_empty());
        let mut scalar_code = Vec::new();
        const FOREVER: usize = usize::MAX;
        let mut last_use = vec![0usize; n];
        for (id, node) in graph.nodes.iter().enumerate() {
            for &x in &node.inputs {
                last_use[x as usize] = id;
            }
        }
        for &y in &graph.outputs {
            last_use[y as usize] = FOREVER;
        }
        // the nodes that run as the epilogue of the op before them (itself not one)
        let mut epilogue_of: Vec<Option<Then<T>>> = vec![None; n];
        for id in 1..n {
            let node = &graph.nodes[id];
            let fits = epilogues
                && !(all_rank0 && scalar_path)
                && matches!(node.source, Source::Op(_))
                && node.inputs.as_slice() == [id as u32 - 1]
                && matches!(graph.nodes[id - 1].source, Source::Op(_))
                && epilogue_of[id - 1].is_none()
                && last_use[id - 1] == id;
            if fits {
                epilogue_of[id] = Then::of(node);
            }
        }
        let mut slots = Vec::new();
        let mut slot_of = vec![u32::MAX; n];
        for (id, node) in graph.nodes.iter().enumerate() {
            if let Source::Const(c) = &node.source {
                slot_of[id] = slots.len() as u32;
                slots.push(c.clone());
                last_use[id] = FOREVER; // constant slots are never given away
            }
        }
        let constants = slots.len();
        let mut free: Vec<u32> = Vec::new();
        let mut input_slots = vec![None; graph.input_count];
        let mut instrs = Vec::new();
        // the element count of the values each slot holds: a slot passes only to a value
        // of its own size, so that its buffer fits every value it holds at every replay
        let mut slot_len: Vec<usize> = slots.iter().map(|c| c.len()).collect();
        let take = |free: &mut Vec<u32>,
                    slots: &mut Vec<Tensor<T>>,
                    slot_len: &mut Vec<usize>,
                    shape: &[usize]| {
            let len = shape.iter().product::<usize>();
            match free.iter().rposition(|&s| slot_len[s as usize] == len) {
                Some(k) => free.remove(k),
                None => {
                    slots.push(Tensor::scalar(T::ZERO));
                    slot_len.push(len);
                    (slots.len() - 1) as u32
                }
            }
        };
        // the part nodes' shapes, read when their kernel is laid out
        let part_shapes: Vec<Option<Vec<usize>>> = graph
            .nodes
            .iter()
            .map(|node| matches!(node.source, Source::Part).then(|| node.shape.clone()))
            .collect();
        // frees the slots of `inputs` read for the last time by node `id` (an input read
        // twice, as in `x · x`, is freed once)
        fn release(
            inputs: &[u32],
            id: usize,
            last_use: &[usize],
            slot_of: &[u32],
            free: &mut Vec<u32>,
        ) {
            for (k, &x) in inputs.iter().enumerate() {
                if last_use[x as usize] == id && !inputs[..k].contains(&x) {
                    free.push(slot_of[x as usize]);
                }
            }
        }
        for (id, node) in graph.nodes.into_iter().enumerate() {
            match node.source {
                Source::Const(_) => {}
                Source::Input(i) => {
                    // an input's slot is its own: it holds the caller's tensor (a shared
                    // buffer no op could write into), replaced at every replay
                    let s = take(&mut free, &mut slots, &mut slot_len, &node.shape);
                    slot_of[id] = s;
                    input_slots[i] = Some(s);
                    last_use[id] = FOREVER;
                }
                Source::Op(_) if epilogue_of[id].is_some() => {
                    let Source::Op(op) = node.source else {
                        unreachable!()
                    };
                    let then = Epilogue {
                        then: epilogue_of[id].expect("an epilogue"),
                        op,
                        site: node.site,
                    };
                    let head: Instr<T> = instrs.pop().expect("the op before it");
                    let Exec::Op(op) = head.exec else {
                        unreachable!("an epilogue follows an op")
                    };
                    instrs.push(Instr {
                        exec: Exec::OpThen(op, Box::new(then)),
                        ..head
                    });
                    // its value takes the op's slot, which only it read
                    slot_of[id] = slot_of[id - 1];
                }
                Source::Op(_) => {
                    let kind = if all_rank0 && scalar_path {
                        scalar::kind_of(&node)
                    } else {
                        Kind::Generic
                    };
                    let Source::Op(op) = node.source else {
                        unreachable!()
                    };
                    let args: SmallVec<[u32; 2]> =
                        node.inputs.iter().map(|&x| slot_of[x as usize]).collect();
                    // the output's slot is taken before the inputs read for the last time
                    // here are freed: it is never one of them, so the op can write into
                    // the dead buffer the slot holds while reading its inputs
                    let out = take(&mut free, &mut slots, &mut slot_len, &node.shape);
                    slot_of[id] = out;
                    release(&node.inputs, id, &last_use, &slot_of, &mut free);
                    scalar_code.push(ScalarInstr {
                        kind,
                        a: args.first().copied().unwrap_or(0),
                        b: args.get(1).copied().unwrap_or(0),
                        out,
                        index: instrs.len() as u32,
                    });
                    instrs.push(Instr {
                        exec: Exec::Op(op),
                        args,
                        outs: [out].into_iter().collect(),
                        shape: node.shape,
                        site: node.site,
                    });
                }
                Source::Fused(kernel) => {
                    let args = node.inputs.iter().map(|&x| slot_of[x as usize]).collect();
                    // its values are the part nodes that follow it, all written here
                    let mut outs = SmallVec::new();
                    for (part, shape) in part_shapes.iter().enumerate().skip(id + 1) {
                        let Some(shape) = shape else { break };
                        let s = take(&mut free, &mut slots, &mut slot_len, shape);
                        slot_of[part] = s;
                        outs.push(s);
                    }
                    release(&node.inputs, id, &last_use, &slot_of, &mut free);
                    instrs.push(Instr {
                        exec: Exec::Fused(kernel),
                        args,
                        outs,
                        shape: node.shape,
                        site: node.site,
                    });
                }
                Source::Part => {} // given its slot with its kernel
            }
        }
        let outputs = graph.outputs.iter().map(|&y| slot_of[y as usize]).collect();
        let regs = slots
            .iter()
            .map(|s| s.as_slice().first().copied().unwrap_or(T::ZERO))
            .collect();
        Program {
            instrs,
            slots,
            constants,
            input_slots,
            outputs,
            scalar: (all_rank0 && scalar_path).then_some(scalar_code),
            regs,
            first_run: true,
        }
    }

    /// Runs every instruction on inputs already checked against the traced shapes.
    pub(crate) fn run(
        &mut self,
        inputs: &[Tensor<T>],
        caller: &'static Location<'static>,
    ) -> Result<Vec<Tensor<T>>, Error> {
        if self.scalar.is_some() {
            return self.run_scalar(inputs, caller);
        }
        for (slot, x) in self.input_slots.iter().zip(inputs) {
            if let Some(s) = slot {
                self.slots[*s as usize] = x.clone();
            }
        }
        let slots = &mut self.slots;
        for ins in &mut self.instrs {
            let (op, then) = match &mut ins.exec {
                Exec::Op(op) => (op.get(), None),
                Exec::OpThen(op, then) => (op.get(), Some(then.then)),
                Exec::Fused(kernel) => {
                    // the outputs' dead values: their buffers are the kernel's to reuse
                    // pushed, not collected: SmallVec's generic `extend` is slow
                    let mut ys: SmallVec<[Tensor<T>; 4]> = SmallVec::new();
                    for &o in &ins.outs {
                        let dead =
                            std::mem::replace(&mut slots[o as usize], Tensor::scalar(T::ZERO));
                        ys.push(dead);
                    }
                    let mut xs: SmallVec<[&Tensor<T>; 8]> = SmallVec::new();
                    for &a in &ins.args {
                        xs.push(&slots[a as usize]);
                    }
                    kernel.run(&xs, &mut ys);
                    drop(xs);
                    for (&o, y) in ins.outs.iter().zip(ys) {
                        slots[o as usize] = y;
                    }
                    continue;
                }
            };
            let out = ins.outs[0] as usize;
            // the slot's dead value: its buffer is the op's to reuse
            let mut y = std::mem::replace(&mut slots[out], Tensor::scalar(T::ZERO));
            // the op, and the activation after it by the op itself if it can (`linear`,
            // in its product's tiles): whether it did
            let forward =
                |xs: &[&Tensor<T>], y: &mut Tensor<T>| match then.and_then(Then::activation) {
                    Some(act) => op.forward_into_then(xs, y, act),
                    None => op.forward_into(xs, y).map(|()| false),
                };
            let done = {
                let at = |k: usize| &slots[ins.args[k] as usize];
                match ins.args.len() {
                    1 => forward(&[at(0)], &mut y),
                    2 => forward(&[at(0), at(1)], &mut y),
                    n => forward(&(0..n).map(at).collect::<SmallVec<[_; 4]>>(), &mut y),
                }
            };
            match done {
                Ok(applied) => {
                    if let Some(then) = then.filter(|_| !applied) {
                        then.apply_in_place(y.as_mut_slice());
                    }
                    slots[out] = y
                }
                Err(e) => return Err(replay_error(op.name(), e, ins.site, caller)),
            }
        }
        // The scratch values stay in their slots: the next replay writes into their
        // buffers (an output handed out is shared, so its slot gets a fresh one).
        let outputs = self
            .outputs
            .iter()
            .map(|&s| self.slots[s as usize].clone())
            .collect();
        // The inputs' slots let go of the caller's tensors, so that the caller may update
        // them in place (an optimizer's step) without a copy.
        for s in self.input_slots.iter().flatten() {
            self.slots[*s as usize] = Tensor::scalar(T::ZERO);
        }
        if std::mem::take(&mut self.first_run) {
            // Every slot holds its buffer now. What this thread's buffer cache still holds
            // is the trace's values, which no replay asks for: freed, or a plan would keep
            // the memory of an eager step on top of its own.
            crate::tensor::release_cache::<T>();
        }
        Ok(outputs)
    }
}

impl<T: Float> Program<T> {
    /// [`run`](Self::run) on the tensor path, showing `observe` every op as it runs (the
    /// ops of a fused chain one by one, computed unfused with the same arithmetic).
    pub(crate) fn run_observed(
        &mut self,
        inputs: &[Tensor<T>],
        caller: &'static Location<'static>,
        observe: &mut dyn FnMut(&ReplayStep<'_, T>),
    ) -> Result<Vec<Tensor<T>>, Error> {
        for (slot, x) in self.input_slots.iter().zip(inputs) {
            if let Some(s) = slot {
                self.slots[*s as usize] = x.clone();
            }
        }
        let slots = &mut self.slots;
        for (index, ins) in self.instrs.iter().enumerate() {
            let xs: Vec<&Tensor<T>> = ins.args.iter().map(|&a| &slots[a as usize]).collect();
            match &ins.exec {
                Exec::Op(op) => {
                    let y = forward_observed(op.get(), xs, (index, ins.site, caller), observe)?;
                    slots[ins.outs[0] as usize] = y;
                }
                Exec::OpThen(op, then) => {
                    let at = (index, ins.site, caller);
                    let y = forward_observed(op.get(), xs, at, observe)?;
                    let at = (index, then.site, caller);
                    let z = forward_observed(then.op.get(), vec![&y], at, observe)?;
                    slots[ins.outs[0] as usize] = z;
                }
                Exec::Fused(kernel) => {
                    let (values, parts) = kernel.expand(&xs);
                    for (k, (m, y)) in kernel.members.iter().zip(&values).enumerate() {
                        observe(&ReplayStep {
                            instruction: index,
                            op: m.label.clone(),
                            site: m.site,
                            inputs: kernel.operands(k, &values, &xs).to_vec(),
                            output: y,
                        });
                    }
                    for (&o, y) in ins.outs.iter().zip(parts) {
                        slots[o as usize] = y;
                    }
                }
            }
        }
        let outputs = self
            .outputs
            .iter()
            .map(|&s| self.slots[s as usize].clone())
            .collect();
        for s in self.input_slots.iter().flatten() {
            self.slots[*s as usize] = Tensor::scalar(T::ZERO);
        }
        if std::mem::take(&mut self.first_run) {
            // Every slot holds its buffer now. What this thread's buffer cache still holds
            // is the trace's values, which no replay asks for: freed, or a plan would keep
            // the memory of an eager step on top of its own.
            crate::tensor::release_cache::<T>();
        }
        Ok(outputs)
    }

    /// The scalar path: every value a number in `regs`. Never inlined, so that its loop's
    /// place in the code depends on this function alone: inlined into `run`, a change to
    /// the buffer cache (called from the tensor path) moved the deep chain's replay from
    /// 4.8 to 5.2 ns an op with the same instructions (callgrind); out of line, 4.8–5.0.
    #[inline(never)]
    fn run_scalar(
        &mut self,
        inputs: &[Tensor<T>],
        caller: &'static Location<'static>,
    ) -> Result<Vec<Tensor<T>>, Error> {
        let regs = &mut self.regs;
        for (slot, x) in self.input_slots.iter().zip(inputs) {
            if let Some(s) = slot {
                regs[*s as usize] = x.item();
            }
        }
        let code = self.scalar.as_deref().unwrap_or_default();
        for ins in code {
            let y = match ins.kind {
                Kind::Generic => {
                    let full = &self.instrs[ins.index as usize];
                    let Exec::Op(op) = &full.exec else {
                        unreachable!("the scalar path has no fused chains")
                    };
                    let op = op.get();
                    scalar::generic(op, regs, &full.args)
                        .map_err(|e| replay_error(op.name(), e, full.site, caller))?
                }
                kind => scalar::step(kind, regs[ins.a as usize], regs[ins.b as usize]),
            };
            regs[ins.out as usize] = y;
        }
        Ok(self
            .outputs
            .iter()
            .map(|&s| Tensor::scalar(regs[s as usize]))
            .collect())
    }
}

/// `op(inputs)`, shown to `observe` as instruction `index`, traced at `site`; an error
/// names the op, that line and the `caller`'s.
fn forward_observed<T: Float>(
    op: &dyn Op<T>,
    inputs: Vec<&Tensor<T>>,
    (index, site, caller): (
        usize,
        &'static Location<'static>,
        &'static Location<'static>,
    ),
    observe: &mut dyn FnMut(&ReplayStep<'_, T>),
) -> Result<Tensor<T>, Error> {
    let y = op
        .forward(&inputs)
        .map_err(|e| replay_error(op.name(), e, site, caller))?;
    observe(&ReplayStep {
        instruction: index,
        op: op.label(),
        site,
        inputs,
        output: &y,
    });
    Ok(y)
}

/// An op that refused during a replay (it accepted the same shapes at trace time, so
/// only a user op that looks at values can): its name, the traced line, the caller's.
fn replay_error(
    op: &str,
    e: crate::TensorError,
    site: &'static Location<'static>,
    caller: &'static Location<'static>,
) -> Error {
    let message = format!(
        "{} (in a plan replay; the op was traced at {}:{})",
        e.message(),
        site.file(),
        site.line()
    );
    Error::at(e.kind().clone(), op, message, caller)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_plans_first_replay_frees_what_its_trace_left_in_the_cache() {
        let bytes = crate::tensor::cached_bytes::<f32>;
        let x = crate::Tensor::<f32>::from_fn(&[1 << 17], |i| i as f32 * 1e-6);
        let mut plan = crate::Plan::trace(std::slice::from_ref(&x), |tape, xs| {
            let y = (xs[0] * 2.0).exp().sum();
            let mut out = vec![y];
            out.extend(tape.grad(y, xs));
            out
        })
        .unwrap();
        assert!(bytes() > 0, "the trace's values went to the cache");
        let first = plan.run(std::slice::from_ref(&x)).unwrap();
        assert_eq!(bytes(), 0);
        drop(first);
        // later replays trade buffers with the cache (an op that cannot write in place
        // takes one and gives its old one back), but do not make it grow
        drop(plan.run(std::slice::from_ref(&x)).unwrap());
        let steady = bytes();
        let again = plan.run(std::slice::from_ref(&x)).unwrap();
        assert_eq!(again[1].shape(), &[1 << 17]);
        assert_eq!(bytes(), steady);
    }
}
