//! `Mlp`: a builder for multi-layer perceptrons, `Linear → activation (→ Dropout)` per
//! hidden layer and a final `Linear`, as a [`Sequential`].

use crate::caller::fail;
use crate::{Dropout, Init, Linear, Module, Relu, Sequential};
use rand::Rng;
use std::panic::Location;
use tapegrad_core::Float;

/// Builds `Linear(sizes[0], sizes[1]) → act → … → Linear(sizes[n-2], sizes[n-1])`, with
/// an optional dropout after each activation, as a [`Sequential`] whose parameter names
/// match PyTorch's `nn.Sequential` of the same layers (`"0.weight"`, `"2.bias"`, …).
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::{Mlp, Module, Tanh};
/// let mlp = Mlp::new(&[4, 16, 16, 3]).activation(Tanh).build::<f32, _>(&mut StdRng::seed_from_u64(0));
/// assert_eq!(mlp.len(), 5); // Linear, Tanh, Linear, Tanh, Linear
/// assert_eq!(mlp.parameters().numel(), 4 * 16 + 16 + 16 * 16 + 16 + 16 * 3 + 3);
/// assert_eq!(mlp.predict(&Tensor::zeros(&[2, 4])).shape(), &[2, 3]);
/// ```
#[derive(Clone, Debug)]
pub struct Mlp<A = Relu> {
    sizes: Vec<usize>,
    activation: A,
    dropout: Option<(f64, u64)>,
    init: Option<Init>,
}

impl Mlp<Relu> {
    /// Layer widths from input to output (at least two); ReLU between layers, no
    /// dropout, PyTorch's default initialisation.
    #[track_caller]
    pub fn new(sizes: &[usize]) -> Self {
        if sizes.len() < 2 {
            fail(
                "Mlp",
                format!("needs at least an input and an output width, got {sizes:?}"),
                Location::caller(),
            );
        }
        Mlp {
            sizes: sizes.to_vec(),
            activation: Relu,
            dropout: None,
            init: None,
        }
    }
}

impl<A: Clone> Mlp<A> {
    /// The activation between layers (any parameter-free module that can be cloned).
    pub fn activation<B: Clone>(self, activation: B) -> Mlp<B> {
        Mlp {
            sizes: self.sizes,
            activation,
            dropout: self.dropout,
            init: self.init,
        }
    }

    /// Dropout with probability `p` after every activation; layer `k`'s masks are seeded
    /// with `seed + k`.
    pub fn dropout(mut self, p: f64, seed: u64) -> Self {
        self.dropout = Some((p, seed));
        self
    }

    /// Initialises weights with `init` and biases with zeros (instead of PyTorch's
    /// default, uniform `±1/√in` for both).
    pub fn init(mut self, init: Init) -> Self {
        self.init = Some(init);
        self
    }

    /// The network, with parameters drawn from `rng`.
    pub fn build<T: Float, R: Rng + ?Sized>(&self, rng: &mut R) -> Sequential<T>
    where
        A: Module<T> + 'static,
    {
        let mut seq = Sequential::new();
        let layers = self.sizes.len() - 1;
        for (k, pair) in self.sizes.windows(2).enumerate() {
            let (i, o) = (pair[0], pair[1]);
            seq.add(match self.init {
                Some(init) => Linear::with_init(i, o, init, Some(Init::Zeros), rng),
                None => Linear::new(i, o, rng),
            });
            if k + 1 < layers {
                seq.add(self.activation.clone());
                if let Some((p, seed)) = self.dropout {
                    seq.add(Dropout::new(p, seed + k as u64));
                }
            }
        }
        seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Pass, Sigmoid};
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use tapegrad_core::{Tape, Tensor};

    #[test]
    fn mlp_layout_and_names_follow_pytorch() {
        let mlp = Mlp::new(&[3, 5, 2])
            .dropout(0.5, 0)
            .build::<f64, _>(&mut StdRng::seed_from_u64(1));
        assert_eq!(mlp.len(), 4); // Linear, ReLU, Dropout, Linear
        assert_eq!(
            mlp.parameters().names().collect::<Vec<_>>(),
            ["0.weight", "0.bias", "3.weight", "3.bias"]
        );
    }

    #[test]
    fn mlp_forward_is_the_composition_of_its_layers() {
        let mut rng = StdRng::seed_from_u64(2);
        let mlp = Mlp::new(&[2, 3, 1])
            .activation(Sigmoid)
            .init(Init::xavier_uniform())
            .build::<f64, _>(&mut rng);
        let ps = mlp.parameters();
        let (w1, b1) = (
            ps.get("0.weight").unwrap().value(),
            ps.get("0.bias").unwrap().value(),
        );
        let (w2, b2) = (
            ps.get("2.weight").unwrap().value(),
            ps.get("2.bias").unwrap().value(),
        );
        assert_eq!(b1.as_slice(), &[0.0; 3]);
        let x = [0.3, -1.2];
        // by hand: h = σ(W1 x + b1), y = W2 h + b2
        let h: Vec<f64> = (0..3)
            .map(|j| {
                let a = w1.at(&[j, 0]) * x[0] + w1.at(&[j, 1]) * x[1] + b1.at(&[j]);
                1.0 / (1.0 + (-a).exp())
            })
            .collect();
        let y = (0..3).map(|j| w2.at(&[0, j]) * h[j]).sum::<f64>() + b2.at(&[0]);
        let tape = Tape::new();
        let got = mlp.forward(
            &Pass::eval(&tape),
            tape.constant(Tensor::from_vec(x.to_vec(), &[1, 2])),
        );
        assert!((got.item() - y).abs() < 1e-14);
    }
}
