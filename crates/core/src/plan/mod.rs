//! Plans: a computation traced once on a tape, optimised as a frozen graph, and replayed
//! on new inputs as a flat instruction list. The graph is `graph.rs`, the passes
//! `passes/`, the instruction list and its replay `program.rs`.

mod fused;
mod graph;
mod passes;
mod program;
mod scalar;

use crate::{Error, ErrorKind, Float, Tape, Tensor, Var};
use graph::Graph;
use program::Program;
use std::fmt;
use std::panic::Location;

/// A computation recorded once and replayed on new inputs: `jax.jit` for tapegrad.
///
/// [`Plan::trace`] runs your function once on a fresh tape, with leaves holding the
/// example inputs, and keeps the ops it applied. Because [`Tape::grad`] records a backward
/// pass as ordinary ops, the outputs may be a loss *and its gradients*, to any order: one
/// graph. The graph is then optimised ([`Passes`]) and laid out as a flat list of
/// instructions (op, input slots, output slot). [`Plan::run`] replays it on new values:
/// each op's [`forward`](crate::Op::forward) in turn, with no tape, no records and no
/// dispatch through one. Any op, built-in or yours, works in a plan with no extra code.
///
/// ```
/// use tapegrad_core::{Plan, Tensor};
/// // the loss of y = w·x + b on two points, and its gradient
/// let x = Tensor::vector(vec![1.0, 2.0]);
/// let y = Tensor::vector(vec![3.0, 5.0]);
/// let mut plan = Plan::trace(&[Tensor::scalar(0.0), Tensor::scalar(0.0)], |tape, p| {
///     let (x, y) = (tape.constant(x.clone()), tape.constant(y.clone()));
///     let r = p[0] * x + p[1] - y;
///     let loss = (r * r).mean();
///     let g = tape.grad(loss, p);
///     vec![loss, g[0], g[1]]
/// })
/// .unwrap();
/// let out = plan.run(&[Tensor::scalar(2.0), Tensor::scalar(1.0)]).unwrap();
/// assert_eq!(out[0].item(), 0.0); // w = 2, b = 1 fits both points
/// let out = plan.run(&[Tensor::scalar(0.0), Tensor::scalar(0.0)]).unwrap();
/// assert_eq!((out[0].item(), out[1].item(), out[2].item()), (17.0, -13.0, -8.0));
/// ```
///
/// # The rules of a trace
/// - **Control flow is frozen.** The function runs once; an `if` on a value, a loop
///   count read from a value, or `item()` used to decide anything takes the branch of
///   the example inputs at every replay. The same holds for the two VJPs that decide on
///   values at trace time: `log`'s NaN gradient below zero (only if the example had a
///   negative element) and `pow`'s guards where the base is 0 (only if the example had
///   such an element). The masks of `relu`, `abs`, `maximum`, `minimum` and the `max` and
///   `min` reductions are ops ([`sign`](Var::sign), [`winner`](Var::winner),
///   [`equal`](Var::equal)) and are recomputed at every replay.
/// - **Constants are captured by value.** Tensors that enter through
///   [`Tape::constant`], [`Var::scalar`], floats in expressions, leaves made inside the
///   function, and anything computed from them alone, are fixed at trace time (and
///   folded into constants). So are [`detach`](Var::detach)ed values and values computed
///   under [`no_grad`](Tape::no_grad): they hold the example's value at every replay.
///   Only what is computed from the plan's inputs through ops is recomputed.
/// - **Shapes are fixed.** A replay needs inputs of exactly the traced shapes; others
///   are refused with an [`ErrorKind::ShapeMismatch`] naming the input, the traced
///   shape and the given one (trace again for other shapes).
/// - **Outputs** are variables of the tape the function was given, in any number and
///   order; an output may be an input or a constant.
///
/// # Memory
/// Values live in slots given out by liveness: a value's slot passes to a later value of
/// the same size once its last reader has run (inputs keep theirs). The slots keep their
/// buffers between replays, and ops that implement
/// [`Op::forward_into`](crate::Op::forward_into) (the element-wise built-ins, `matmul`,
/// `linear`, `sum`, `sum_axes`, `sum_to`) write into them instead of allocating: a plan
/// holds what one replay needs, and a replay allocates only the outputs it hands out
/// that the caller still holds at the next one.
pub struct Plan<T: Float> {
    program: Program<T>,
    input_shapes: Vec<Vec<usize>>,
    output_shapes: Vec<Vec<usize>>,
    stats: PlanStats,
}

/// Which optimisation passes [`Plan::trace_with`] runs (all of them by default), in this
/// order: constant folding, common-subexpression elimination, algebraic simplification,
/// common-subexpression elimination again, dead-node elimination, fusion; then the
/// scalar path when every value is rank 0. Slots are always given out by liveness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Passes {
    /// Evaluate once the ops that depend on no input.
    pub fold: bool,
    /// Merge repeated computations (the rule is in the `cse` pass: same built-in op, same
    /// label, same inputs; user ops are never merged).
    pub cse: bool,
    /// Remove `·1`, `+0`, shape no-ops, summed broadcasts, double negations and chained
    /// permutations (the rules are listed on the `simplify` pass).
    pub simplify: bool,
    /// Keep only the nodes the outputs need. Without it every traced op is replayed.
    pub dce: bool,
    /// Run each chain of element-wise ops over values of one size (`add`, `sub`, `mul`,
    /// `div`, `neg`, `relu`, `sign`, the scalar-operand ops), with the full sums taken of
    /// them, as one loop with no buffer for the values in between (the rule is on the
    /// `fuse` pass). The values are those of the unfused ops to the bit.
    pub fuse: bool,
    /// Run a one-operand element-wise op (`relu`, `sign`, `neg`, the scalar-operand ops)
    /// whose operand is the op just before it, and read by nothing else, in that op's
    /// instruction, in place on its value: `linear` then `relu` with one dispatch, one
    /// buffer and the value still in cache. The values are the unfused ones to the bit.
    pub epilogues: bool,
    /// Run a plan whose values are all rank 0 as a flat stream over an array of numbers
    /// (common scalar ops inline, any other through its `forward`).
    pub scalar_path: bool,
}

impl Default for Passes {
    fn default() -> Self {
        Passes::all()
    }
}

impl Passes {
    /// Every pass.
    pub fn all() -> Self {
        Passes {
            fold: true,
            cse: true,
            simplify: true,
            dce: true,
            fuse: true,
            epilogues: true,
            scalar_path: true,
        }
    }

    /// No pass: the trace replayed as recorded.
    pub fn none() -> Self {
        Passes {
            fold: false,
            cse: false,
            simplify: false,
            dce: false,
            fuse: false,
            epilogues: false,
            scalar_path: false,
        }
    }
}

/// One op of an observed replay ([`Plan::run_observed`]): a traced op (each op of a
/// fused chain on its own), the values it read and the value it made.
pub struct ReplayStep<'a, T: Float> {
    /// The instruction's index in the plan's listing (the ops of a fused chain share one).
    pub instruction: usize,
    /// The op's label (`"div"`, `"mul_scalar(0.5)"`).
    pub op: String,
    /// The line of the user's code (or of a VJP, for an op of the backward pass) that
    /// applied the op at trace time.
    pub site: &'static Location<'static>,
    /// The values it read, in order.
    pub inputs: Vec<&'a Tensor<T>>,
    /// The value it made.
    pub output: &'a Tensor<T>,
}

/// One instruction of a plan ([`Plan::instructions`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanInstruction {
    /// The op's label, or a fused chain's (`fused(mul, add, sum_to([]))`).
    pub op: String,
    /// The slots it reads.
    pub inputs: Vec<usize>,
    /// The slots it writes (a fused chain may write several).
    pub outputs: Vec<usize>,
    /// Its (first) value's shape.
    pub shape: Vec<usize>,
    /// The line that applied the op (a chain's first op) at trace time.
    pub site: &'static Location<'static>,
}

/// What tracing and optimising did: node counts before and after, per pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlanStats {
    /// Op nodes on the traced tape.
    pub traced_ops: usize,
    /// Ops evaluated at optimisation time (depending on no input).
    pub folded: usize,
    /// Nodes merged into an identical earlier one.
    pub merged: usize,
    /// Nodes rewritten by a simplification rule.
    pub simplified: usize,
    /// Nodes dropped because no output needs them (constants and inputs included).
    pub dropped: usize,
    /// Nodes that went into fused chains (each chain is one instruction).
    pub fused: usize,
    /// Instructions replayed per run.
    pub instructions: usize,
    /// Value slots (constants included): what liveness made of the nodes.
    pub slots: usize,
    /// Slots holding constants.
    pub constants: usize,
    /// True when the plan runs on the scalar path (every value rank 0).
    pub scalar: bool,
}

impl<T: Float> Plan<T> {
    /// Traces `f` at `inputs` and optimises it with every pass.
    ///
    /// `f` gets the tape and one leaf per input, and returns the outputs. The error is an
    /// op's refusal during the trace, or an output from another tape.
    #[track_caller]
    pub fn trace<F>(inputs: &[Tensor<T>], f: F) -> Result<Self, Error>
    where
        F: for<'t> FnOnce(&'t Tape<T>, &[Var<'t, T>]) -> Vec<Var<'t, T>>,
    {
        Self::build(inputs, Passes::all(), Location::caller(), |t, xs| {
            Ok(f(t, xs))
        })
    }

    /// [`trace`](Self::trace) for a function that can fail (using `try_` ops and `?`).
    #[track_caller]
    pub fn try_trace<F>(inputs: &[Tensor<T>], f: F) -> Result<Self, Error>
    where
        F: for<'t> FnOnce(&'t Tape<T>, &[Var<'t, T>]) -> Result<Vec<Var<'t, T>>, Error>,
    {
        Self::build(inputs, Passes::all(), Location::caller(), f)
    }

    /// [`trace`](Self::trace) with a chosen set of passes (to see what each does, or to
    /// replay a trace exactly as recorded with [`Passes::none`]).
    #[track_caller]
    pub fn trace_with<F>(inputs: &[Tensor<T>], passes: Passes, f: F) -> Result<Self, Error>
    where
        F: for<'t> FnOnce(&'t Tape<T>, &[Var<'t, T>]) -> Vec<Var<'t, T>>,
    {
        Self::build(inputs, passes, Location::caller(), |t, xs| Ok(f(t, xs)))
    }

    fn build<F>(
        inputs: &[Tensor<T>],
        passes: Passes,
        site: &'static Location<'static>,
        f: F,
    ) -> Result<Self, Error>
    where
        F: for<'t> FnOnce(&'t Tape<T>, &[Var<'t, T>]) -> Result<Vec<Var<'t, T>>, Error>,
    {
        let tape = Tape::new();
        let (outputs, output_shapes) = {
            let leaves: Vec<Var<'_, T>> = inputs.iter().map(|x| tape.leaf(x.clone())).collect();
            let ys = f(&tape, &leaves)?;
            for &y in &ys {
                tape.check_owns("plan", y, site)?;
            }
            let shapes = ys.iter().map(|y| y.value().shape().to_vec()).collect();
            (ys.iter().map(|y| y.id).collect(), shapes)
        };
        let mut graph = Graph::from_tape(&tape, inputs.len(), outputs);
        let mut stats = PlanStats {
            traced_ops: graph.op_count(),
            ..PlanStats::default()
        };
        if passes.fold {
            stats.folded = passes::fold::run(&mut graph)?;
        }
        if passes.cse {
            stats.merged = passes::cse::run(&mut graph);
        }
        if passes.simplify {
            stats.simplified = passes::simplify::run(&mut graph);
            if passes.cse {
                stats.merged += passes::cse::run(&mut graph);
            }
        }
        if passes.dce {
            stats.dropped = passes::dce::run(&mut graph);
        }
        if passes.fuse {
            stats.fused = passes::fuse::run(&mut graph);
        }
        let program = Program::compile(graph, passes.scalar_path, passes.epilogues);
        stats.instructions = program.instrs.len();
        stats.slots = program.slots.len();
        stats.constants = program.constants;
        stats.scalar = program.scalar.is_some();
        Ok(Plan {
            program,
            input_shapes: inputs.iter().map(|x| x.shape().to_vec()).collect(),
            output_shapes,
            stats,
        })
    }

    /// Replays the plan on new inputs of the traced shapes, returning its outputs.
    ///
    /// Refused with [`ErrorKind::ShapeMismatch`] (naming the input, the traced shape and
    /// the given one) or [`ErrorKind::InvalidArgument`] (a wrong number of inputs),
    /// attributed to the caller's line.
    #[track_caller]
    pub fn run(&mut self, inputs: &[Tensor<T>]) -> Result<Vec<Tensor<T>>, Error> {
        let caller = Location::caller();
        self.check_inputs(inputs, caller)?;
        self.program.run(inputs, caller)
    }

    /// [`run`](Self::run), showing `observe` each op as it runs, with the values it read
    /// and the value it made: what anomaly mode for plans (in `tapegrad-check`) watches.
    /// The ops of a fused chain are shown one by one, computed unfused (the same values,
    /// at the cost of their buffers); a plan on the scalar path runs on tensors here.
    ///
    /// ```
    /// use tapegrad_core::{Plan, Tensor};
    /// let mut plan = Plan::trace(&[Tensor::<f64>::vector(vec![1.0, 2.0])], |_, x| {
    ///     vec![(x[0].log() * 2.0).sum()]
    /// })
    /// .unwrap();
    /// let mut seen = Vec::new();
    /// let at = [Tensor::vector(vec![-1.0, 2.0])];
    /// plan.run_observed(&at, |step| {
    ///     let nan = step.output.as_slice().iter().any(|v| v.is_nan());
    ///     seen.push((step.op.clone(), nan, step.site.line()));
    /// })
    /// .unwrap();
    /// assert_eq!(seen[0].0, "log");
    /// assert!(seen[0].1); // log(-1)
    /// assert_eq!(seen[0].2, line!() - 12);
    /// ```
    #[track_caller]
    pub fn run_observed(
        &mut self,
        inputs: &[Tensor<T>],
        mut observe: impl FnMut(&ReplayStep<'_, T>),
    ) -> Result<Vec<Tensor<T>>, Error> {
        let caller = Location::caller();
        self.check_inputs(inputs, caller)?;
        self.program.run_observed(inputs, caller, &mut observe)
    }

    fn check_inputs(
        &self,
        inputs: &[Tensor<T>],
        caller: &'static Location<'static>,
    ) -> Result<(), Error> {
        if inputs.len() != self.input_shapes.len() {
            return Err(Error::at(
                ErrorKind::InvalidArgument,
                "plan.run",
                format!(
                    "the plan was traced with {} inputs, given {}",
                    self.input_shapes.len(),
                    inputs.len()
                ),
                caller,
            ));
        }
        for (i, (x, traced)) in inputs.iter().zip(&self.input_shapes).enumerate() {
            if !crate::tensor::same_shape(x.shape(), traced) {
                return Err(Error::at(
                    ErrorKind::ShapeMismatch {
                        shapes: vec![traced.clone(), x.shape().to_vec()],
                    },
                    "plan.run",
                    format!(
                        "input {i} was traced with shape {traced:?} but is given shape {:?}; \
                         a plan replays fixed shapes (trace again for others)",
                        x.shape()
                    ),
                    caller,
                ));
            }
        }
        Ok(())
    }

    /// The traced input shapes, in order.
    pub fn input_shapes(&self) -> &[Vec<usize>] {
        &self.input_shapes
    }

    /// The output shapes, in order.
    pub fn output_shapes(&self) -> &[Vec<usize>] {
        &self.output_shapes
    }

    /// What the passes did and the size of the result.
    pub fn stats(&self) -> PlanStats {
        self.stats
    }

    /// The op labels of the instructions, in replay order (what tests and tools look at);
    /// a fused chain is `fused(…)` with the labels of its ops.
    pub fn ops(&self) -> Vec<String> {
        self.program.instrs.iter().map(|i| i.label()).collect()
    }

    /// The instructions in replay order, with the slots they read and write: what a graph
    /// export draws (slots `0..stats().constants` hold constants; see
    /// [`input_slots`](Self::input_slots) and [`output_slots`](Self::output_slots)). A
    /// slot is reused once its value is dead, so an edge goes from the instruction that
    /// last wrote a slot.
    pub fn instructions(&self) -> Vec<PlanInstruction> {
        self.program
            .instrs
            .iter()
            .map(|i| PlanInstruction {
                op: i.label(),
                inputs: i.args.iter().map(|&a| a as usize).collect(),
                outputs: i.outs.iter().map(|&o| o as usize).collect(),
                shape: i.shape.clone(),
                site: i.site,
            })
            .collect()
    }

    /// The slot each input is written to (`None`: no output needs it).
    pub fn input_slots(&self) -> Vec<Option<usize>> {
        let slots = &self.program.input_slots;
        slots.iter().map(|s| s.map(|s| s as usize)).collect()
    }

    /// The slot each output is read from.
    pub fn output_slots(&self) -> Vec<usize> {
        self.program.outputs.iter().map(|&s| s as usize).collect()
    }

    /// Writes the instruction listing (see [`Display`](fmt::Display)) to `s`.
    fn list(&self, s: &mut impl fmt::Write) -> fmt::Result {
        let p = &self.program;
        writeln!(
            s,
            "plan: {} inputs, {} constants, {} instructions, {} slots",
            self.input_shapes.len(),
            p.constants,
            p.instrs.len(),
            p.slots.len()
        )?;
        for (i, slot) in p.input_slots.iter().enumerate() {
            match slot {
                Some(s_) => writeln!(s, "  %{s_} = input {i} {:?}", self.input_shapes[i])?,
                None => writeln!(s, "  (input {i} unused)")?,
            }
        }
        /// `%a, %b, …`
        fn slots(s: &mut impl fmt::Write, slots: &[impl fmt::Display]) -> fmt::Result {
            for (k, slot) in slots.iter().enumerate() {
                write!(s, "{}%{slot}", if k == 0 { "" } else { ", " })?;
            }
            Ok(())
        }
        for ins in &p.instrs {
            write!(s, "  ")?;
            slots(s, &ins.outs)?;
            write!(s, " = {}(", ins.label())?;
            slots(s, &ins.args)?;
            let site = ins.site;
            writeln!(s, ") {:?}  at {}:{}", ins.shape, site.file(), site.line())?;
        }
        write!(s, "  outputs: ")?;
        slots(s, &p.outputs)
    }
}

/// The instruction listing: one line per instruction with its slots, shape and the
/// traced line that created it (the optimised plan, for graph dumps).
impl<T: Float> fmt::Display for Plan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.list(f)
    }
}
