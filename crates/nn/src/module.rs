//! The [`Module`] trait (closures qualify) and [`Sequential`]. Layers live in their own
//! files.

use crate::{Params, Pass};
use tapegrad_core::{Float, Tape, Tensor, Var};

/// A differentiable function with (possibly no) parameters: `y = f(x; θ)`.
///
/// `forward` binds the module's parameters onto the pass's tape and composes `Var`
/// operations; the gradients come from the tape, so a module never writes a derivative.
///
/// A closure or function of the form `|pass, x| …` is a module without parameters:
///
/// ```
/// use tapegrad_core::{Tape, Tensor};
/// use tapegrad_nn::{func, Linear, Module, Sequential};
/// use rand::{rngs::StdRng, SeedableRng};
/// let mut rng = StdRng::seed_from_u64(0);
/// let model = Sequential::new()
///     .push(Linear::<f64>::new(3, 4, &mut rng))
///     .push(func(|_, x| x * x))
///     .push(Linear::new(4, 1, &mut rng));
/// let names: Vec<_> = model.parameters().names().map(String::from).collect();
/// assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
/// let y = model.predict(&Tensor::zeros(&[5, 3]));
/// assert_eq!(y.shape(), &[5, 1]);
/// ```
pub trait Module<T: Float> {
    /// Applies the module to `x`, recording on `pass`'s tape.
    ///
    /// `#[track_caller]`, so a layer that refuses its input (a wrong shape) names the
    /// user's line, also through [`Sequential`] and `dyn Module`.
    #[track_caller]
    fn forward<'t>(&self, pass: &Pass<'t, T>, x: Var<'t, T>) -> Var<'t, T>;

    /// The module's parameters, relative names (`"weight"`, `"0.bias"`), in a stable order.
    /// Nothing by default.
    fn parameters(&self) -> Params<T> {
        Params::new()
    }

    /// The module's buffers: state that is not trained but is part of the model (a batch
    /// norm's running statistics), relative names, in a stable order. Nothing by default.
    ///
    /// A buffer is held in a [`Param`](crate::Param) for its shared, updatable value, but
    /// it is not among [`parameters`](Self::parameters), so no optimizer ever steps it and
    /// [`Pass::backward`] gives it no gradient; the module updates it itself.
    fn buffers(&self) -> Params<T> {
        Params::new()
    }

    /// Everything a saved model holds, PyTorch's `state_dict()`: each module's parameters
    /// then its buffers, children in order. Save and load weights through it
    /// (`model.state().load_safetensors(path)`) so that buffers travel with the weights.
    ///
    /// The default is [`parameters`](Self::parameters) followed by
    /// [`buffers`](Self::buffers); a container nests its children's states instead.
    fn state(&self) -> Params<T> {
        let mut state = self.parameters();
        for (name, b) in self.buffers().iter() {
            state.insert(name, b);
        }
        state
    }

    /// Evaluates the module on a tensor: an evaluation pass on a fresh tape, recording
    /// nothing (`no_grad`). A layer that refuses `x` names the caller's line.
    #[track_caller]
    fn predict(&self, x: &Tensor<T>) -> Tensor<T> {
        let tape = Tape::new();
        let pass = Pass::eval(&tape);
        // a guard, not `no_grad`'s closure, which would lose the caller's location
        let _paused = tape.pause_recording();
        self.forward(&pass, tape.constant(x.clone())).value()
    }
}

impl<T: Float, F> Module<T> for F
where
    F: for<'t> Fn(&Pass<'t, T>, Var<'t, T>) -> Var<'t, T>,
{
    fn forward<'t>(&self, pass: &Pass<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        self(pass, x)
    }
}

/// Gives a closure the signature of a [`Module`], which Rust cannot infer on its own when
/// the closure goes straight into a generic argument: `func(|_, x| x * x)`.
pub fn func<T: Float, F>(f: F) -> F
where
    F: for<'t> Fn(&Pass<'t, T>, Var<'t, T>) -> Var<'t, T>,
{
    f
}

/// Modules applied one after another; parameters are named by position (`"0.weight"`,
/// `"2.bias"`), as in PyTorch's `nn.Sequential`, so weights map one to one.
pub struct Sequential<T: Float> {
    layers: Vec<Box<dyn Module<T>>>,
}

impl<T: Float> Default for Sequential<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Sequential<T> {
    /// No layers: the identity.
    pub fn new() -> Self {
        Sequential { layers: Vec::new() }
    }

    /// Appends a layer, builder style.
    pub fn push(mut self, layer: impl Module<T> + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// Appends a layer.
    pub fn add(&mut self, layer: impl Module<T> + 'static) {
        self.layers.push(Box::new(layer));
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// True when there are no layers.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Layer `i`.
    pub fn layer(&self, i: usize) -> Option<&dyn Module<T>> {
        self.layers.get(i).map(|l| &**l)
    }
}

impl<T: Float> Module<T> for Sequential<T> {
    #[track_caller]
    fn forward<'t>(&self, pass: &Pass<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        // a loop, not a fold: a closure would lose the caller's location
        let mut x = x;
        for layer in &self.layers {
            x = layer.forward(pass, x);
        }
        x
    }

    fn parameters(&self) -> Params<T> {
        let mut ps = Params::new();
        for (i, layer) in self.layers.iter().enumerate() {
            ps.nest(&i.to_string(), &layer.parameters());
        }
        ps
    }

    fn buffers(&self) -> Params<T> {
        let mut bs = Params::new();
        for (i, layer) in self.layers.iter().enumerate() {
            bs.nest(&i.to_string(), &layer.buffers());
        }
        bs
    }

    fn state(&self) -> Params<T> {
        let mut state = Params::new();
        for (i, layer) in self.layers.iter().enumerate() {
            state.nest(&i.to_string(), &layer.state());
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Param;

    /// `y = a·x`: a module with one parameter, to test composition without `Linear`.
    struct Scale(Param<f64>);

    impl Module<f64> for Scale {
        fn forward<'t>(&self, pass: &Pass<'t, f64>, x: Var<'t, f64>) -> Var<'t, f64> {
            pass.bind(&self.0) * x
        }
        fn parameters(&self) -> Params<f64> {
            Params::new().with("a", &self.0)
        }
    }

    fn cube<'t>(_: &Pass<'t, f64>, x: Var<'t, f64>) -> Var<'t, f64> {
        x * x * x
    }

    #[test]
    fn sequential_composes_in_order_and_names_by_position() {
        let a = Param::new(Tensor::scalar(2.0));
        let model = Sequential::new()
            .push(Scale(a.clone()))
            .push(cube)
            .push(Scale(Param::new(Tensor::scalar(0.5))));
        assert_eq!(
            model.parameters().names().collect::<Vec<_>>(),
            ["0.a", "2.a"]
        );
        let tape = Tape::new();
        let pass = Pass::train(&tape);
        let y = model.forward(&pass, tape.constant(Tensor::scalar(3.0)));
        assert_eq!(y.item(), 0.5 * 216.0); // 0.5·(2·3)³
                                           // dy/da = 0.5 · 3(a x)² · x = 0.5 · 3 · 36 · 3
        assert_eq!(pass.backward(y).wrt(&a).item(), 162.0);
    }

    #[test]
    fn shared_layer_used_twice_gets_one_summed_gradient() {
        let a = Param::new(Tensor::scalar(3.0));
        let model = Sequential::new()
            .push(Scale(a.clone()))
            .push(Scale(a.clone()));
        assert_eq!(model.parameters().len(), 1);
        let tape = Tape::new();
        let pass = Pass::train(&tape);
        let y = model.forward(&pass, tape.constant(Tensor::scalar(2.0)));
        // y = a²x, dy/da = 2ax = 12
        assert_eq!(pass.backward(y).wrt(&a).item(), 12.0);
    }

    #[test]
    fn predict_records_no_gradient_and_matches_forward() {
        let model = Sequential::new().push(Scale(Param::new(Tensor::scalar(-1.5))));
        assert_eq!(
            model.predict(&Tensor::vector(vec![2.0])).as_slice(),
            &[-3.0]
        );
    }
}
