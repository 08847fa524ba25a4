//! The tape: an arena of nodes in creation order, and `apply`, the one way every op enters
//! it. Its read-only view for tools is `view.rs`, the observer hook `observer.rs`; the
//! backward sweep lives in `backward/`.

mod observer;
mod reuse;
mod view;

pub use observer::{Observer, Observing};
pub use view::NodeView;

use crate::stored_op::StoredOp;
use crate::{Error, ErrorKind, Float, Op, Tensor, Var};
use smallvec::SmallVec;
use std::cell::{Cell, Ref, RefCell};
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering};

/// Node ids are `u32`: four billion nodes is far beyond any tape that fits in memory,
/// and it keeps `Var` and the input lists small.
pub(crate) type NodeId = u32;

/// What a node is, for the sweep and for graph dumps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// A value the user asked gradients for.
    Leaf,
    /// A value with no gradient: a constant, a detached value, anything computed under
    /// [`Tape::no_grad`] or from constants alone.
    Constant,
    /// The output of an op that depends on a leaf.
    Op,
}

/// What the tape knows about a node besides its value.
pub(crate) struct Node<T: Float> {
    /// `Some` exactly for `NodeKind::Op`; taken out briefly while its VJP runs.
    pub(crate) op: Option<StoredOp<T>>,
    pub(crate) inputs: SmallVec<[NodeId; 2]>,
    pub(crate) kind: NodeKind,
    pub(crate) site: &'static Location<'static>,
    /// The local partials `∂y/∂xᵢ` of an op node whose inputs (at most two) and value are
    /// single numbers, taken from [`Op::scalar_partials`] when the node is recorded: what
    /// `backward()` multiplies by instead of running the VJP (Jacobian taping,
    /// `backward/scalar.rs`). `None` for every other node.
    pub(crate) partials: Option<[T; 2]>,
    /// Bit `i` is set when input `i` (of the first two) needs a gradient, so that the
    /// scalar loop need not look at the input's own record.
    pub(crate) grad_inputs: u8,
}

impl<T: Float> Node<T> {
    pub(crate) fn requires_grad(&self) -> bool {
        self.kind != NodeKind::Constant
    }
}

/// A recording of a computation: values and the ops that made them, in creation order.
///
/// Creation order is already a valid backward order, so the sweep is one reverse loop.
///
/// ```
/// use tapegrad_core::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.leaf(Tensor::scalar(1.5));
/// let y = tape.leaf(Tensor::scalar(-0.5));
/// let f = (x * y).sin() + x.exp() / (y * y + 1.0);
/// let g = tape.grad(f, &[x, y]);          // gradients are variables on the tape...
/// let hxx = tape.grad(g[0], &[x])[0];     // ...so they differentiate again
/// let grads = f.backward();               // first order, as tensors
/// assert!((grads.wrt(x).item() - g[0].item()).abs() < 1e-15);
/// let want = -0.25 * (1.5f64 * -0.5).sin() + 1.5f64.exp() / 1.25;
/// assert!((hxx.item() - want).abs() < 1e-12);
/// ```
pub struct Tape<T: Float> {
    /// One entry per recorded node.
    pub(crate) nodes: RefCell<Vec<Node<T>>>,
    /// One value per node. Kept apart from `nodes` because the tensor sweep evaluates VJPs
    /// in values-only mode: their intermediate values are pushed here past the recorded
    /// nodes, with no record of their own, and dropped after each node.
    pub(crate) values: RefCell<Vec<Tensor<T>>>,
    pub(crate) recording: Cell<bool>,
    /// Set while the tensor sweep runs: every new node is a constant and only its value
    /// is kept (see `values`).
    pub(crate) values_only: Cell<bool>,
    /// True exactly when `observer` holds one: the hooks read only this flag otherwise.
    observed: Cell<bool>,
    /// The tool watching this tape, if any (see [`Observer`]).
    observer: RefCell<Option<observer::Installed<T>>>,
    /// Who this tape is, for values that outlive it (see [`TapeIdentity`]).
    identity: TapeIdentity,
    /// Set when a VJP evaluated by the tensor sweep asked for gradients itself (nested
    /// differentiation): the sweep then evaluates that VJP again, recorded.
    pub(crate) nested_request: Cell<bool>,
    /// Set when a node record or value that frees something when dropped (a tensor of
    /// several numbers, a boxed op, an op with a destructor, more than two inputs) is
    /// pushed. While it is unset, the arrays are emptied without a drop per element: a
    /// tape of single numbers is forgotten at once, not walked (see [`forget_all`]).
    holds_owned: Cell<bool>,
}

/// Recording stays off while this lives: see [`Tape::pause_recording`].
#[must_use = "recording resumes as soon as the guard is dropped"]
pub struct PausedRecording<'a> {
    recording: &'a Cell<bool>,
    was: bool,
}

impl Drop for PausedRecording<'_> {
    fn drop(&mut self) {
        self.recording.set(self.was);
    }
}

/// Which tape, and which recording of it, a value came from.
///
/// A [`Var`] borrows its tape, so it cannot outlive it or a [`Tape::clear`]; but gradients
/// ([`Grads`](crate::Grads)) are plain data and can. They carry this identity, and every
/// place that takes a variable together with them compares it, so gradients kept from
/// one computation never answer for another, even when a new tape is allocated at the
/// address of a dropped one.
///
/// # Design
/// Both numbers come from one process-wide counter: `tape` is drawn when the tape is
/// made, `recording` again at every [`Tape::clear`]. The address of a tape is no identity
/// (the allocator hands it out again at once, and a tape on the stack in a loop has the
/// same address every time round).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TapeIdentity {
    tape: u64,
    recording: u64,
}

impl TapeIdentity {
    fn fresh() -> Self {
        let tape = next_identity();
        TapeIdentity {
            tape,
            recording: tape,
        }
    }

    /// Why a value of identity `self` cannot be used with a tape of identity `tape`, or
    /// `None` if it can: `Some(Cleared(true))` when `tape` is the same tape cleared since.
    pub(crate) fn mismatch(self, tape: TapeIdentity) -> Option<Cleared> {
        if self == tape {
            None
        } else {
            Some(Cleared(self.tape == tape.tape))
        }
    }
}

/// How two tape identities differ: the same tape cleared in between (`true`), or two tapes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cleared(pub(crate) bool);

impl Cleared {
    /// Says whose a value (gradients) of the older identity is.
    pub(crate) fn whose(self) -> &'static str {
        if self.0 {
            "belong to a cleared tape (computed before `Tape::clear`)"
        } else {
            "belong to another tape (one that has ended, or another one in use)"
        }
    }

    /// The error kind for a value of the older identity.
    pub(crate) fn kind(self) -> ErrorKind {
        if self.0 {
            ErrorKind::ClearedTape
        } else {
            ErrorKind::ForeignTape
        }
    }
}

fn next_identity() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl<T: Float> Drop for Tape<T> {
    /// Hands the emptied arrays to the next tape on this thread (see `reuse.rs`).
    fn drop(&mut self) {
        self.forget_all();
        reuse::give((
            std::mem::take(self.nodes.get_mut()),
            std::mem::take(self.values.get_mut()),
        ));
    }
}

impl<T: Float> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Tape<T> {
    /// An empty tape.
    pub fn new() -> Self {
        // room for a small expression without regrowing (a training step builds a fresh
        // tape every time)
        Self::with_capacity(16)
    }

    /// An empty tape with room for `n` nodes.
    ///
    /// The arrays of the last tape dropped on this thread are reused when there are some
    /// (`reuse.rs`), so that a loop recording a fresh tape each time does not grow them
    /// from nothing again.
    pub fn with_capacity(n: usize) -> Self {
        let (mut nodes, mut values) = reuse::take().unwrap_or_default();
        nodes.reserve(n);
        values.reserve(n);
        Tape {
            nodes: RefCell::new(nodes),
            values: RefCell::new(values),
            recording: Cell::new(true),
            values_only: Cell::new(false),
            observed: Cell::new(false),
            observer: RefCell::new(None),
            identity: TapeIdentity::fresh(),
            holds_owned: Cell::new(false),
            nested_request: Cell::new(false),
        }
    }

    /// This tape's identity, which changes at every [`clear`](Self::clear).
    pub(crate) fn identity(&self) -> TapeIdentity {
        self.identity
    }

    /// Number of nodes recorded so far.
    pub fn len(&self) -> usize {
        self.values.borrow().len()
    }

    /// True when nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every node, keeping the allocation. Needs `&mut`, so no `Var` of this tape
    /// can outlive it; gradients computed before are refused afterwards ("belongs to a
    /// cleared tape").
    pub fn clear(&mut self) {
        self.forget_all();
        self.nodes.get_mut().clear();
        self.values.get_mut().clear();
        self.identity.recording = next_identity();
    }

    /// A variable the user wants gradients for.
    #[track_caller]
    pub fn leaf(&self, value: Tensor<T>) -> Var<'_, T> {
        self.push_value(value, NodeKind::Leaf, Location::caller())
    }

    /// A value that gets no gradient.
    #[track_caller]
    pub fn constant(&self, value: Tensor<T>) -> Var<'_, T> {
        self.push_value(value, NodeKind::Constant, Location::caller())
    }

    /// A node with a value and no op: a leaf or a constant.
    #[inline]
    pub(crate) fn push_value(
        &self,
        value: Tensor<T>,
        kind: NodeKind,
        site: &'static Location<'static>,
    ) -> Var<'_, T> {
        self.push(value, kind, site)
    }

    /// Runs `f` without recording: every op applied inside yields a constant.
    ///
    /// ```
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::scalar(3.0));
    /// let y = tape.no_grad(|| x * x);
    /// assert_eq!(y.item(), 9.0);
    /// assert_eq!(tape.grad(y, &[x])[0].item(), 0.0);
    /// assert!(y.try_backward(None).is_err()); // nothing to differentiate, as in PyTorch
    /// ```
    pub fn no_grad<R>(&self, f: impl FnOnce() -> R) -> R {
        let _paused = self.pause_recording();
        f()
    }

    /// Stops recording until the returned guard is dropped: [`no_grad`](Self::no_grad)
    /// without a closure, for code whose `#[track_caller]` locations must reach the ops
    /// (a closure does not pass them on).
    ///
    /// ```
    /// use tapegrad_core::{NodeKind, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::scalar(3.0));
    /// let paused = tape.pause_recording();
    /// let y = x * x;
    /// drop(paused);
    /// assert_eq!(y.kind(), NodeKind::Constant);
    /// assert!(tape.is_recording());
    /// ```
    pub fn pause_recording(&self) -> PausedRecording<'_> {
        PausedRecording {
            recording: &self.recording,
            was: self.recording.replace(false),
        }
    }

    /// True unless inside [`no_grad`](Self::no_grad).
    pub fn is_recording(&self) -> bool {
        self.recording.get()
    }

    /// Applies an op to variables of this tape, returning the error if the op refuses.
    ///
    /// The node remembers the caller's source line, so errors and graph dumps point there.
    #[track_caller]
    pub fn try_apply<'t>(&'t self, op: impl Op<T>, xs: &[Var<'t, T>]) -> Result<Var<'t, T>, Error> {
        self.try_apply_at(op, xs, Location::caller())
    }

    /// Applies an op; panics with the op's error message (which names the caller's line).
    #[track_caller]
    #[inline]
    pub fn apply<'t>(&'t self, op: impl Op<T>, xs: &[Var<'t, T>]) -> Var<'t, T> {
        match self.try_apply_at(op, xs, Location::caller()) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    #[inline]
    pub(crate) fn try_apply_at<'t>(
        &'t self,
        op: impl Op<T>,
        xs: &[Var<'t, T>],
        site: &'static Location<'static>,
    ) -> Result<Var<'t, T>, Error> {
        for &x in xs {
            self.check_owns(op.name(), x, site)?;
        }
        let values_only = self.values_only.get();
        // The node records are borrowed once, for the inputs' needs and the new record,
        // and not at all in the tensor sweep (which keeps values only).
        let nodes = (!values_only).then(|| room_for_one(self.nodes.borrow_mut()));
        // Recorded only when recording and some input needs a gradient.
        let grad_inputs = match &nodes {
            Some(nodes) if self.recording.get() => {
                xs.iter().enumerate().fold(0u8, |mask, (i, x)| {
                    let needs = nodes[x.id as usize].requires_grad();
                    mask | (u8::from(needs) << i.min(7))
                })
            }
            _ => 0,
        };
        let record = grad_inputs != 0;
        // # Design
        // `forward` sees only tensors and has no way to reach the tape, so holding the
        // borrows across it is safe and spares cloning the inputs; the result goes
        // straight into the array under the same borrow. The common arities are spelled
        // out so the hot path builds no collection. On single numbers, an op that gives
        // `scalar_forward` computes without tensors (scalar code spends most of its
        // recording here otherwise). A recorded node of single numbers takes its local
        // partials now, while its inputs are at hand (Jacobian taping): the first-order
        // sweep then only multiplies. Each branch pushes its own value, built where it
        // lands: a value carried out of the branches was staged on the stack and copied.
        let mut values = room_for_one(self.values.borrow_mut());
        // single numbers in and an op that computes on numbers: no tensor but the result
        let numbers = scalar_inputs(&values, xs);
        let scalar = numbers.and_then(|(ins, n)| Some((op.scalar_forward(&ins[..n])?, ins, n)));
        // what the op's partials are taken at, for a recorded node of single numbers
        let mut at_numbers = None;
        let id = match scalar {
            Some((y, ins, n)) => {
                if record {
                    at_numbers = Some((ins, n, y));
                }
                push_number(&mut values, y)
            }
            None => {
                let y = {
                    let values = &*values;
                    let value = |x: &Var<'t, T>| &values[x.id as usize];
                    match xs {
                        [a] => op.forward(&[value(a)]),
                        [a, b] => op.forward(&[value(a), value(b)]),
                        _ => op.forward(&xs.iter().map(value).collect::<Vec<_>>()),
                    }
                };
                let y = match y {
                    Ok(y) => y,
                    Err(e) => return Err(Error::from_tensor(op.name(), e, site)),
                };
                if let (true, Some((ins, n)), Some(y0)) = (record, numbers, y.rank0()) {
                    at_numbers = Some((ins, n, y0));
                }
                self.note_value(&y);
                push_reserved(&mut values, y)
            }
        };
        drop(values);
        let y = Var { tape: self, id };
        // The tensor sweep's intermediates are not nodes: observers see its VJPs instead.
        let Some(mut nodes) = nodes else {
            return Ok(y);
        };
        if record {
            let mut inputs = SmallVec::new();
            for x in xs {
                inputs.push(x.id);
            }
            // The op moves into its node; the observer gets it back from there.
            if inputs.spilled() || !drops_nothing(&op) {
                self.holds_owned.set(true);
            }
            let partials = at_numbers.and_then(|(ins, n, y)| op.scalar_partials(&ins[..n], y));
            push_op_node(&mut nodes, op, inputs, site, partials, grad_inputs);
            drop(nodes);
            if let Some(w) = self.watcher() {
                let node = self.node(y.id()).expect("just pushed");
                w.applied(node.op().expect("op node"), xs, y);
            }
        } else {
            push_plain_node(&mut nodes, NodeKind::Constant, site);
            drop(nodes);
            if let Some(w) = self.watcher() {
                w.applied(&op, xs, y);
            }
        }
        Ok(y)
    }

    /// A node with a value and no op (a leaf or a constant) or, in the tensor sweep, a
    /// bare value.
    #[inline]
    fn push(
        &self,
        value: Tensor<T>,
        kind: NodeKind,
        site: &'static Location<'static>,
    ) -> Var<'_, T> {
        self.note_value(&value);
        let id = push_reserved(&mut *room_for_one(self.values.borrow_mut()), value);
        if !self.values_only.get() {
            push_plain_node(&mut *room_for_one(self.nodes.borrow_mut()), kind, site);
        }
        Var { tape: self, id }
    }

    /// Shared access to one node's value, without cloning it.
    pub(crate) fn value_ref(&self, id: NodeId) -> Ref<'_, Tensor<T>> {
        Ref::map(self.values.borrow(), |v| &v[id as usize])
    }

    /// The error if `v` is not a variable of this tape.
    ///
    /// A `Var` borrows its tape, so it cannot outlive it or a [`clear`](Self::clear): two
    /// tapes alive at once have different addresses, and comparing addresses is enough.
    #[inline]
    pub(crate) fn check_owns(
        &self,
        op: &str,
        v: Var<'_, T>,
        site: &'static Location<'static>,
    ) -> Result<(), Error> {
        if std::ptr::eq(v.tape, self) {
            return Ok(());
        }
        Err(Error::at(
            ErrorKind::ForeignTape,
            op,
            format!(
                "variable #{} belongs to another tape; variables of two tapes cannot be mixed",
                v.id
            ),
            site,
        ))
    }

    /// What kind of node `v` is. Panics if `v` belongs to another tape.
    #[track_caller]
    pub fn kind(&self, v: Var<'_, T>) -> NodeKind {
        if let Err(e) = self.check_owns("kind", v, Location::caller()) {
            panic!("{e}");
        }
        match self.nodes.borrow().get(v.id as usize) {
            Some(node) => node.kind,
            None => NodeKind::Constant, // an intermediate value of the tensor sweep
        }
    }

    /// The error (naming `op` and the caller's line) if `v` is not a variable of this
    /// tape: how a tool that takes variables refuses another tape's.
    #[track_caller]
    pub fn check_var(&self, op: &str, v: Var<'_, T>) -> Result<(), Error> {
        self.check_owns(op, v, Location::caller())
    }

    /// Runs `f`, then forgets every node recorded meanwhile: a scratch computation (a
    /// recorded gradient read as tensors, say) that should not grow the tape.
    ///
    /// The result is `'static`, so no variable made inside comes out through it; one
    /// smuggled out otherwise must not be used afterwards (its node is gone).
    ///
    /// ```
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::scalar(3.0));
    /// let y = x * x;
    /// let before = tape.len();
    /// let dx = tape.scratch(|| tape.grad(y, &[x])[0].value());
    /// assert_eq!((dx.item(), tape.len()), (6.0, before));
    /// ```
    pub fn scratch<R: 'static>(&self, f: impl FnOnce() -> R) -> R {
        let mark = self.len();
        let out = f();
        self.truncate(mark);
        out
    }

    /// Notes a value about to be pushed (see `holds_owned`).
    #[inline]
    fn note_value(&self, value: &Tensor<T>) {
        if !value.drops_nothing() {
            self.holds_owned.set(true);
        }
    }

    /// Empties the arrays without a drop per element when no element frees anything when
    /// dropped (see `holds_owned`); otherwise leaves them to be cleared element by element.
    fn forget_all(&mut self) {
        if !self.holds_owned.get() {
            // Forgetting elements is always sound; here it leaks nothing either, because
            // every push of an element that frees something set `holds_owned`.
            // SAFETY: a length of 0 is within the capacity and covers no element.
            unsafe {
                self.nodes.get_mut().set_len(0);
                self.values.get_mut().set_len(0);
            }
        }
        self.holds_owned.set(false);
    }

    /// Forgets every node past `len` (a checker that read a recorded gradient and wants
    /// the tape small again). No `Var` past `len` may be used afterwards.
    pub(crate) fn truncate(&self, len: usize) {
        self.nodes.borrow_mut().truncate(len);
        self.values.borrow_mut().truncate(len);
    }

    /// Drops the values past `len` (the tensor sweep's intermediates).
    pub(crate) fn truncate_values(&self, len: usize) {
        self.values.borrow_mut().truncate(len);
    }
}

/// The inputs' numbers when there are at most two and each is a single number.
#[inline]
fn scalar_inputs<T: Float>(values: &[Tensor<T>], xs: &[Var<'_, T>]) -> Option<([T; 2], usize)> {
    match xs {
        [a] => Some(([values[a.id as usize].rank0()?, T::ZERO], 1)),
        [a, b] => Some((
            [
                values[a.id as usize].rank0()?,
                values[b.id as usize].rank0()?,
            ],
            2,
        )),
        _ => None,
    }
}

/// Whether `op`, stored in a node, frees nothing when dropped.
fn drops_nothing<T: Float, O: Op<T>>(_: &O) -> bool {
    StoredOp::<T>::drops_nothing::<O>()
}

/// The array, with room made for one more element (see [`push_reserved`]).
#[inline(always)]
fn room_for_one<E, A: std::ops::DerefMut<Target = Vec<E>>>(mut array: A) -> A {
    array.reserve(1);
    array
}

/// Appends an element where [`room_for_one`] made room, returning its index as a node id.
///
/// # Design
/// Room is made before the element is computed, and the element is written where it
/// lands, with no call in between. With `Vec::push`, an element is computed before the
/// call that may grow the array, so it is kept on the stack across that call and copied
/// from there: on scalar code the copies of node records and values, stored field by
/// field and read back in 16-byte pieces (which the processor cannot forward from the
/// narrower stores, and waits for), took over half of the recording's time.
#[inline(always)]
fn push_reserved<E>(array: &mut Vec<E>, element: E) -> NodeId {
    let (len, id) = next_id(array);
    // SAFETY: the slot is the first free element within the capacity, valid for writes and
    // aligned; the write initialises it, so `len` may then be raised past it.
    unsafe {
        next_slot(array).write(element);
        array.set_len(len + 1);
    }
    id
}

/// The length of `array`, and the node id of the element appended next.
#[inline(always)]
fn next_id<E>(array: &[E]) -> (usize, NodeId) {
    let len = array.len();
    let id = NodeId::try_from(len).expect("tape holds more than u32::MAX nodes");
    (len, id)
}

/// The first free element of `array`, where [`room_for_one`] made room.
#[inline(always)]
fn next_slot<E>(array: &mut Vec<E>) -> *mut E {
    let Some(slot) = array.spare_capacity_mut().first_mut() else {
        unreachable!("room is made before an element is computed");
    };
    slot.as_mut_ptr()
}

/// Appends the rank-0 value `y` where [`room_for_one`] made room, returning its node id.
#[inline(always)]
fn push_number<T: Float>(values: &mut Vec<Tensor<T>>, y: T) -> NodeId {
    let (len, id) = next_id(values);
    // SAFETY: the slot is the first free element within the capacity, valid for writes and
    // aligned; `write_scalar` initialises it, so `len` may then be raised past it.
    unsafe {
        Tensor::write_scalar(next_slot(values), y);
        values.set_len(len + 1);
    }
    id
}

/// Appends the record of an op node where [`room_for_one`] made room, field by field.
///
/// # Design
/// Built as one `Node` and moved, the record was assembled on the stack and copied from
/// there (see [`push_reserved`]) wherever the compiler did not inline the whole
/// application into its caller.
#[inline(always)]
fn push_op_node<T: Float, O: Op<T>>(
    nodes: &mut Vec<Node<T>>,
    op: O,
    inputs: SmallVec<[NodeId; 2]>,
    site: &'static Location<'static>,
    partials: Option<[T; 2]>,
    grad_inputs: u8,
) {
    let len = nodes.len();
    let node = next_slot(nodes);
    // SAFETY: `node` is the first free element within the capacity, valid for writes and
    // aligned; every field is written once, so the record is initialised when `len` is
    // raised past it.
    unsafe {
        StoredOp::write_some(std::ptr::addr_of_mut!((*node).op), op);
        write_fields(node, NodeKind::Op, site, inputs, partials, grad_inputs);
        nodes.set_len(len + 1);
    }
}

/// Appends the record of a node without an op (a leaf or a constant) where
/// [`room_for_one`] made room, field by field (see [`push_op_node`]).
#[inline(always)]
fn push_plain_node<T: Float>(
    nodes: &mut Vec<Node<T>>,
    kind: NodeKind,
    site: &'static Location<'static>,
) {
    let len = nodes.len();
    let node = next_slot(nodes);
    // SAFETY: as in `push_op_node`.
    unsafe {
        std::ptr::addr_of_mut!((*node).op).write(None);
        write_fields(node, kind, site, SmallVec::new(), None, 0);
        nodes.set_len(len + 1);
    }
}

/// Writes every field of a node record but its op, through field pointers (no reference
/// to the uninitialised record is made).
///
/// # Safety
/// `node` must be valid for writes and aligned; what its fields held is overwritten
/// without being dropped.
#[inline(always)]
unsafe fn write_fields<T: Float>(
    node: *mut Node<T>,
    kind: NodeKind,
    site: &'static Location<'static>,
    inputs: SmallVec<[NodeId; 2]>,
    partials: Option<[T; 2]>,
    grad_inputs: u8,
) {
    // SAFETY: `node` is valid for writes (the caller's promise).
    unsafe {
        std::ptr::addr_of_mut!((*node).inputs).write(inputs);
        std::ptr::addr_of_mut!((*node).kind).write(kind);
        std::ptr::addr_of_mut!((*node).site).write(site);
        std::ptr::addr_of_mut!((*node).partials).write(partials);
        std::ptr::addr_of_mut!((*node).grad_inputs).write(grad_inputs);
    }
}
