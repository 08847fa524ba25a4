//! Parameters: shareable tensors with a stable id, and [`Params`], a model's parameters
//! under hierarchical names in insertion order. Binding onto a tape lives in `pass.rs`.

use indexmap::IndexMap;
use std::cell::{Ref, RefCell};
use std::fmt;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use tapegrad_core::{Float, Tensor};

/// A parameter's identity: unique for the process's lifetime, never reused.
///
/// Optimizer state and gradients are keyed by it, so renaming or re-registering a
/// parameter never mixes up its moments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamId(u64);

impl fmt::Display for ParamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "param#{}", self.0)
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A trainable tensor. Cloning gives another handle to the *same* parameter (same id, same
/// value), which is how weights are shared between layers.
///
/// ```
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::Param;
/// let w = Param::new(Tensor::<f64>::zeros(&[2, 3]));
/// let tied = w.clone();
/// tied.set(Tensor::ones(&[2, 3]));
/// assert_eq!(w.value().as_slice(), &[1.0; 6]);
/// assert_eq!(w.id(), tied.id());
/// ```
///
/// # Design
/// `Rc<RefCell<…>>` rather than `Arc<Mutex<…>>`: a tape is single-threaded anyway, and the
/// optimizer's in-place update needs no lock. Values are read by a cheap tensor clone, so a
/// tape node and the parameter share one buffer until the optimizer writes (copy on write).
pub struct Param<T: Float> {
    inner: Rc<Inner<T>>,
}

struct Inner<T: Float> {
    id: ParamId,
    value: RefCell<Tensor<T>>,
}

impl<T: Float> Clone for Param<T> {
    fn clone(&self) -> Self {
        Param {
            inner: Rc::clone(&self.inner),
        }
    }
}

impl<T: Float> Param<T> {
    /// A new parameter with a fresh id.
    pub fn new(value: Tensor<T>) -> Self {
        Param {
            inner: Rc::new(Inner {
                id: ParamId(NEXT_ID.fetch_add(1, Ordering::Relaxed)),
                value: RefCell::new(value),
            }),
        }
    }

    /// The stable id.
    pub fn id(&self) -> ParamId {
        self.inner.id
    }

    /// The current value (a cheap clone: the buffer is shared until someone writes).
    pub fn value(&self) -> Tensor<T> {
        self.inner.value.borrow().clone()
    }

    /// Borrows the current value without cloning.
    pub fn borrow(&self) -> Ref<'_, Tensor<T>> {
        self.inner.value.borrow()
    }

    /// The shape of the value.
    pub fn shape(&self) -> Vec<usize> {
        self.inner.value.borrow().shape().to_vec()
    }

    /// Number of scalars.
    pub fn numel(&self) -> usize {
        self.inner.value.borrow().len()
    }

    /// Replaces the value; panics if the shape changes, since a layer's shape is part of
    /// its definition.
    #[track_caller]
    pub fn set(&self, value: Tensor<T>) {
        let mut v = self.inner.value.borrow_mut();
        assert!(
            v.shape() == value.shape(),
            "Param::set: {} has shape {:?}, new value has {:?}",
            self.inner.id,
            v.shape(),
            value.shape()
        );
        *v = value;
    }

    /// Edits the elements in place (row-major). The optimizers' door.
    pub fn update(&self, f: impl FnOnce(&mut [T])) {
        f(self.inner.value.borrow_mut().as_mut_slice());
    }

    /// True when both handles are the same parameter.
    pub fn same(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

impl<T: Float> fmt::Debug for Param<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Param({}, {:?})", self.inner.id, self.shape())
    }
}

/// A model's parameters under hierarchical names (`"0.weight"`, `"mlp.2.bias"`), in the
/// order they were registered (PyTorch's `named_parameters()`).
///
/// A parameter registered twice (tied weights) keeps its first name only, so an optimizer
/// walking the registry updates it once.
///
/// ```
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::{Param, Params};
/// let w = Param::new(Tensor::<f32>::zeros(&[3, 2]));
/// let b = Param::new(Tensor::zeros(&[3]));
/// let layer = Params::new().with("weight", &w).with("bias", &b);
/// let model = Params::new().nested("mlp.0", &layer);
/// let names: Vec<&str> = model.names().collect();
/// assert_eq!(names, ["mlp.0.weight", "mlp.0.bias"]);
/// assert_eq!(model.numel(), 9);
/// ```
pub struct Params<T: Float> {
    by_name: IndexMap<String, Param<T>>,
}

impl<T: Float> Clone for Params<T> {
    fn clone(&self) -> Self {
        Params {
            by_name: self.by_name.clone(),
        }
    }
}

impl<T: Float> Default for Params<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Params<T> {
    /// An empty registry.
    pub fn new() -> Self {
        Params {
            by_name: IndexMap::new(),
        }
    }

    /// Registers `param` under `name`. Panics if the name is taken by another parameter;
    /// registering the same parameter again (under any name) is a no-op.
    #[track_caller]
    pub fn insert(&mut self, name: impl Into<String>, param: &Param<T>) {
        let name = name.into();
        if self.by_name.values().any(|p| p.same(param)) {
            return;
        }
        assert!(
            !self.by_name.contains_key(&name),
            "Params::insert: the name `{name}` is already taken"
        );
        self.by_name.insert(name, param.clone());
    }

    /// [`insert`](Self::insert), builder style.
    #[track_caller]
    pub fn with(mut self, name: impl Into<String>, param: &Param<T>) -> Self {
        self.insert(name, param);
        self
    }

    /// Registers every parameter of `other` under `prefix.name`.
    #[track_caller]
    pub fn nest(&mut self, prefix: &str, other: &Params<T>) {
        for (name, p) in other.iter() {
            self.insert(format!("{prefix}.{name}"), p);
        }
    }

    /// [`nest`](Self::nest), builder style.
    #[track_caller]
    pub fn nested(mut self, prefix: &str, other: &Params<T>) -> Self {
        self.nest(prefix, other);
        self
    }

    /// The parameter registered under `name`.
    pub fn get(&self, name: &str) -> Option<&Param<T>> {
        self.by_name.get(name)
    }

    /// The name `param` is registered under.
    pub fn name_of(&self, param: &Param<T>) -> Option<&str> {
        self.by_name
            .iter()
            .find(|(_, p)| p.same(param))
            .map(|(n, _)| n.as_str())
    }

    /// `(name, param)` pairs in registration order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Param<T>)> {
        self.by_name.iter().map(|(n, p)| (n.as_str(), p))
    }

    /// The names in registration order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    /// The parameters in registration order.
    pub fn params(&self) -> impl Iterator<Item = &Param<T>> {
        self.by_name.values()
    }

    /// Number of parameters (tensors).
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// True when nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Total number of scalars over all parameters.
    pub fn numel(&self) -> usize {
        self.by_name.values().map(Param::numel).sum()
    }

    /// The current values, by name: a snapshot that [`restore`](Self::restore) puts back.
    pub fn snapshot(&self) -> Vec<(String, Tensor<T>)> {
        self.iter()
            .map(|(n, p)| (n.to_string(), p.value()))
            .collect()
    }

    /// Puts back values taken with [`snapshot`](Self::snapshot); panics on an unknown name
    /// or a shape change.
    #[track_caller]
    pub fn restore(&self, snapshot: &[(String, Tensor<T>)]) {
        for (name, value) in snapshot {
            match self.get(name) {
                Some(p) => p.set(value.clone()),
                None => panic!("Params::restore: no parameter named `{name}`"),
            }
        }
    }
}

impl<T: Float> fmt::Debug for Params<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(n, p)| (n, p.shape())))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_ids_are_unique_and_survive_clone() {
        let a = Param::new(Tensor::<f64>::zeros(&[2]));
        let b = Param::new(Tensor::<f64>::zeros(&[2]));
        assert_ne!(a.id(), b.id());
        assert_eq!(a.clone().id(), a.id());
        assert!(a.same(&a.clone()) && !a.same(&b));
    }

    #[test]
    #[should_panic(expected = "has shape [2], new value has [3]")]
    fn param_set_rejects_shape_change() {
        Param::new(Tensor::<f64>::zeros(&[2])).set(Tensor::zeros(&[3]));
    }

    #[test]
    fn params_keep_insertion_order_and_skip_tied_duplicates() {
        let w = Param::new(Tensor::<f64>::zeros(&[2, 2]));
        let b = Param::new(Tensor::<f64>::zeros(&[2]));
        let mut ps = Params::new().with("z.weight", &w).with("a.bias", &b);
        ps.insert("decoder.weight", &w);
        assert_eq!(ps.names().collect::<Vec<_>>(), ["z.weight", "a.bias"]);
        assert_eq!(ps.name_of(&w), Some("z.weight"));
        assert_eq!(ps.numel(), 6);
    }

    #[test]
    #[should_panic(expected = "the name `w` is already taken")]
    fn params_reject_a_taken_name() {
        let _ = Params::new()
            .with("w", &Param::new(Tensor::<f64>::zeros(&[1])))
            .with("w", &Param::new(Tensor::<f64>::zeros(&[1])));
    }

    #[test]
    fn snapshot_and_restore_round_trip() {
        let w = Param::new(Tensor::<f64>::vector(vec![1.0, 2.0]));
        let ps = Params::new().with("w", &w);
        let snap = ps.snapshot();
        w.update(|v| v[0] = 9.0);
        assert_eq!(w.value().as_slice(), &[9.0, 2.0]);
        ps.restore(&snap);
        assert_eq!(w.value().as_slice(), &[1.0, 2.0]);
    }
}
