//! Activation layers (`Relu`, `Tanh`, `Sigmoid`, `Gelu`, `Softplus`) and the [`gelu`]
//! function. Each is a thin module over `Var` ops; none has parameters.

use crate::{Module, Pass};
use tapegrad_core::{Float, Var};

/// GELU, tanh approximation (Hendrycks & Gimpel 2016; PyTorch's `approximate="tanh"`):
/// `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`, the core's `gelu` op
/// ([`Var::gelu`](tapegrad_core::Var::gelu)): one pass, and in a plan after a layer it
/// runs in the layer's product.
///
/// ```
/// use tapegrad_core::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.leaf(Tensor::vector(vec![0.0, 1.0]));
/// let y = tapegrad_nn::gelu(x);
/// assert_eq!(y.value().as_slice()[0], 0.0);
/// assert!((y.value().as_slice()[1] - 0.8411919906082768).abs() < 1e-15);
/// ```
pub fn gelu<'t, T: Float>(x: Var<'t, T>) -> Var<'t, T> {
    x.gelu()
}

macro_rules! activation {
    ($(#[$doc:meta])* $name:ident, |$x:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name;

        impl<T: Float> Module<T> for $name {
            fn forward<'t>(&self, _pass: &Pass<'t, T>, $x: Var<'t, T>) -> Var<'t, T> {
                $body
            }
        }
    };
}

activation!(
    /// `max(x, 0)`, with `relu'(0) = 0`.
    Relu,
    |x| x.relu()
);
activation!(
    /// `tanh(x)`.
    Tanh,
    |x| x.tanh()
);
activation!(
    /// `1 / (1 + e⁻ˣ)`, stable for inputs of any size.
    Sigmoid,
    |x| x.sigmoid()
);
activation!(
    /// GELU, tanh approximation: see [`gelu`].
    Gelu,
    |x| gelu(x)
);
activation!(
    /// `ln(1 + eˣ)`, stable for inputs of any size.
    Softplus,
    |x| x.softplus()
);

#[cfg(test)]
mod tests {
    use super::*;
    use tapegrad_check::gradcheck::check_gradients;
    use tapegrad_core::{Tape, Tensor};

    fn apply(m: &dyn Module<f64>, xs: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let tape = Tape::new();
        let pass = Pass::train(&tape);
        let x = tape.leaf(Tensor::vector(xs.to_vec()));
        let y = m.forward(&pass, x);
        (y.value().to_vec(), y.sum().backward().wrt(x).to_vec())
    }

    #[test]
    fn activations_match_literal() {
        let (y, dy) = apply(&Relu, &[-1.0, 0.0, 2.0]);
        assert_eq!((y, dy), (vec![0.0, 0.0, 2.0], vec![0.0, 0.0, 1.0]));
        // tanh'(0) = 1
        let (y, dy) = apply(&Tanh, &[0.0]);
        assert_eq!((y, dy), (vec![0.0], vec![1.0]));
        // σ(0) = 1/2, σ'(0) = 1/4
        let (y, dy) = apply(&Sigmoid, &[0.0]);
        assert_eq!((y, dy), (vec![0.5], vec![0.25]));
        // softplus(0) = ln 2, softplus'(0) = 1/2
        let (y, dy) = apply(&Softplus, &[0.0]);
        assert_eq!((y, dy), (vec![std::f64::consts::LN_2], vec![0.5]));
        // gelu'(0) = 1/2 (the tanh term vanishes, its derivative is multiplied by x = 0)
        let (y, dy) = apply(&Gelu, &[0.0]);
        assert_eq!((y, dy), (vec![0.0], vec![0.5]));
    }

    #[test]
    fn gelu_matches_pytorch_tanh_approximation() {
        // the formula evaluated independently (Python's math.tanh, f64) at -3, -1, 0.5, 3;
        // it is what torch.nn.functional.gelu(x, approximate="tanh") computes
        let want = [
            -0.0036373920817729943,
            -0.15880800939172324,
            0.34571400982514394,
            2.996362607918227,
        ];
        let (y, _) = apply(&Gelu, &[-3.0, -1.0, 0.5, 3.0]);
        for (a, b) in y.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }

    #[test]
    fn activations_gradcheck_order2() {
        let x = Tensor::from_vec(vec![-2.1, -0.7, 0.3, 1.6, 3.2, -0.05], &[2, 3]);
        for m in [&Relu as &dyn Module<f64>, &Tanh, &Sigmoid, &Gelu, &Softplus] {
            check_gradients(
                |xs| m.forward(&Pass::train(xs[0].tape()), xs[0]),
                std::slice::from_ref(&x),
                2,
            )
            .unwrap();
        }
    }

    #[test]
    fn activations_saturate_without_nan() {
        for m in [&Tanh as &dyn Module<f64>, &Sigmoid, &Softplus, &Gelu] {
            let (y, dy) = apply(m, &[-1000.0, 1000.0]);
            assert!(y.iter().chain(&dy).all(|v| v.is_finite()), "{y:?} {dy:?}");
        }
    }
}
