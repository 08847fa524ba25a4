//! `Linear`: the affine layer `y = x·Wᵀ + b`, with the weight stored `[out, in]` as in
//! PyTorch.

use crate::caller::fail;
use crate::{Init, Module, Param, Params, Pass};
use rand::Rng;
use std::panic::Location;
use tapegrad_core::{Float, Tensor, Var};

/// `y = x·Wᵀ + b` over the last axis of `x`: `[…, in] → […, out]`.
///
/// ```
/// use tapegrad_core::{Tape, Tensor};
/// use tapegrad_nn::{Linear, Module, Pass};
/// let layer = Linear::from_tensors(
///     Tensor::from_vec(vec![1.0, 2.0, 0.0, -1.0], &[2, 2]), // W: [out, in]
///     Some(Tensor::vector(vec![0.5, 0.0])),
/// );
/// let tape = Tape::new();
/// let pass = Pass::train(&tape);
/// let y = layer.forward(&pass, tape.constant(Tensor::from_vec(vec![3.0, 4.0], &[1, 2])));
/// assert_eq!(y.value().as_slice(), &[11.5, -4.0]);
/// let grads = pass.backward(y.sum());
/// assert_eq!(grads.wrt(&layer.weight).as_slice(), &[3.0, 4.0, 3.0, 4.0]); // ∂/∂W = 1·xᵀ
/// ```
///
/// # Design
/// The weight is `[out, in]`, PyTorch's layout, so safetensors files move between the two
/// without transposing. The forward is the core's fused `linear` op (`x·Wᵀ + b`), whose
/// products read `W` transposed in place: no transposed copy is made, forward or backward.
pub struct Linear<T: Float> {
    /// `[out, in]`.
    pub weight: Param<T>,
    /// `[out]`, or `None` for a layer without bias.
    pub bias: Option<Param<T>>,
}

impl<T: Float> Linear<T> {
    /// A layer with bias and PyTorch's default initialisation: weight and bias uniform in
    /// `±1/√in`.
    pub fn new<R: Rng + ?Sized>(inputs: usize, outputs: usize, rng: &mut R) -> Self {
        let bound = 1.0 / (inputs.max(1) as f64).sqrt();
        Self::with_init(
            inputs,
            outputs,
            Init::torch_linear(),
            Some(Init::Uniform {
                low: -bound,
                high: bound,
            }),
            rng,
        )
    }

    /// A layer without bias, weight initialised as in [`new`](Self::new).
    pub fn no_bias<R: Rng + ?Sized>(inputs: usize, outputs: usize, rng: &mut R) -> Self {
        Self::with_init(inputs, outputs, Init::torch_linear(), None, rng)
    }

    /// A layer with the weight drawn from `weight` and the bias from `bias` (`None`: no
    /// bias).
    pub fn with_init<R: Rng + ?Sized>(
        inputs: usize,
        outputs: usize,
        weight: Init,
        bias: Option<Init>,
        rng: &mut R,
    ) -> Self {
        let w = weight.tensor(&[outputs, inputs], rng);
        let b = bias.map(|init| init.tensor(&[outputs], rng));
        Self::from_tensors(w, b)
    }

    /// A layer from given values: `weight` `[out, in]`, `bias` `[out]`.
    #[track_caller]
    pub fn from_tensors(weight: Tensor<T>, bias: Option<Tensor<T>>) -> Self {
        let at = Location::caller();
        if weight.ndim() != 2 {
            let shape = weight.shape();
            fail(
                "Linear",
                format!("weight must be [out, in], got {shape:?}"),
                at,
            );
        }
        if let Some(b) = bias.as_ref().filter(|b| b.shape() != [weight.shape()[0]]) {
            fail(
                "Linear",
                format!(
                    "bias of shape {:?} for weight {:?}; expected [{}]",
                    b.shape(),
                    weight.shape(),
                    weight.shape()[0]
                ),
                at,
            );
        }
        Linear {
            weight: Param::new(weight),
            bias: bias.map(Param::new),
        }
    }

    /// Input features.
    pub fn inputs(&self) -> usize {
        self.weight.shape()[1]
    }

    /// Output features.
    pub fn outputs(&self) -> usize {
        self.weight.shape()[0]
    }
}

impl<T: Float> Module<T> for Linear<T> {
    #[track_caller]
    fn forward<'t>(&self, pass: &Pass<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        let shape = x.shape();
        let (inputs, outputs) = (self.inputs(), self.outputs());
        if shape.last() != Some(&inputs) {
            fail(
                &format!("Linear(in={inputs}, out={outputs})"),
                format!(
                    "input of shape {:?} does not end in {inputs}",
                    shape.as_slice()
                ),
                Location::caller(),
            );
        }
        // Flatten leading axes into one batch axis: one GEMM whatever the rank.
        let rows = shape[..shape.len() - 1].iter().product::<usize>();
        let x2 = x.reshape(&[rows, inputs]);
        let w = pass.bind(&self.weight);
        let b = self.bias.as_ref().map(|b| pass.bind(b));
        let y = x2.linear(w, b);
        let mut out: Vec<usize> = shape[..shape.len() - 1].to_vec();
        out.push(outputs);
        if out.as_slice() == [rows, outputs] {
            y
        } else {
            y.reshape(&out)
        }
    }

    fn parameters(&self) -> Params<T> {
        let mut ps = Params::new().with("weight", &self.weight);
        if let Some(b) = &self.bias {
            ps.insert("bias", b);
        }
        ps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use tapegrad_check::gradcheck::check_gradients;
    use tapegrad_core::ops::linalg::MatMul;
    use tapegrad_core::Tape;

    fn empty_layer_works_forward_and_backward<T: Float>() {
        // Linear(3, 0): a [0, 3] weight and a [0] bias; the output has no features
        let l = Linear::<T>::new(3, 0, &mut StdRng::seed_from_u64(1));
        let tape = Tape::new();
        let pass = Pass::train(&tape);
        let x = tape.leaf(Tensor::ones(&[2, 3]));
        let y = l.forward(&pass, x);
        assert_eq!(y.shape().as_slice(), &[2, 0]);
        let g = pass.backward(y.sum());
        assert_eq!(g.wrt(&l.weight).shape(), &[0, 3]);
        assert_eq!(g.wrt(l.bias.as_ref().unwrap()).shape(), &[0]);
        // and an empty batch through a real layer: zero gradients, as in PyTorch
        let l = Linear::<T>::new(3, 2, &mut StdRng::seed_from_u64(2));
        let tape = Tape::new();
        let pass = Pass::train(&tape);
        let y = l.forward(&pass, tape.leaf(Tensor::zeros(&[0, 3])));
        assert_eq!(y.shape().as_slice(), &[0, 2]);
        let g = pass.backward(y.sum());
        assert_eq!(g.wrt(&l.weight), Tensor::zeros(&[2, 3]));
        assert_eq!(g.wrt(l.bias.as_ref().unwrap()), Tensor::zeros(&[2]));
    }

    #[test]
    fn linear_with_no_outputs_or_no_rows_works_forward_and_backward() {
        empty_layer_works_forward_and_backward::<f32>();
        empty_layer_works_forward_and_backward::<f64>();
    }

    fn layer() -> Linear<f64> {
        Linear::from_tensors(
            Tensor::from_vec(vec![1.0, -1.0, 2.0, 0.5, 0.0, 3.0], &[2, 3]),
            Some(Tensor::vector(vec![0.1, -0.2])),
        )
    }

    #[test]
    fn linear_matches_literal_for_every_rank() {
        let l = layer();
        let tape = Tape::new();
        let pass = Pass::eval(&tape);
        // x = [1, 2, 3]: y = [1 - 2 + 6 + 0.1, 0.5 + 0 + 9 - 0.2]
        let x1 = tape.constant(Tensor::vector(vec![1.0, 2.0, 3.0]));
        assert_eq!(l.forward(&pass, x1).value().as_slice(), &[5.1, 9.3]);
        let x3 = tape.constant(Tensor::from_vec(
            vec![1.0, 2.0, 3.0, 0.0, 0.0, 0.0],
            &[2, 1, 3],
        ));
        let y3 = l.forward(&pass, x3);
        assert_eq!(y3.shape().as_slice(), &[2, 1, 2]);
        assert_eq!(y3.value().as_slice(), &[5.1, 9.3, 0.1, -0.2]);
    }

    #[test]
    fn linear_gradients_match_hand_values() {
        let l = layer();
        let tape = Tape::new();
        let pass = Pass::train(&tape);
        let x = tape.constant(Tensor::from_vec(
            vec![1.0, 2.0, 3.0, -1.0, 0.0, 1.0],
            &[2, 3],
        ));
        let g = pass.backward(l.forward(&pass, x).sum());
        // ∂Σy/∂W[o,i] = Σ_n x[n,i] = [0, 2, 4] for each output; ∂Σy/∂b = n = 2
        assert_eq!(g.wrt(&l.weight).as_slice(), &[0.0, 2.0, 4.0, 0.0, 2.0, 4.0]);
        assert_eq!(g.wrt(l.bias.as_ref().unwrap()).as_slice(), &[2.0, 2.0]);
    }

    #[test]
    fn linear_gradcheck_order2() {
        // with respect to the input, through `forward`
        let l = layer();
        check_gradients(
            |xs| {
                let y = l.forward(&Pass::train(xs[0].tape()), xs[0]);
                y * y
            },
            &[Tensor::rand_normal(&[2, 2, 3], 0.0, 1.0, 7)],
            2,
        )
        .unwrap();
        // with respect to (x, W, b), the same product and sum as `forward`
        let inputs = [
            Tensor::rand_normal(&[4, 3], 0.0, 1.0, 1),
            Tensor::rand_normal(&[2, 3], 0.0, 1.0, 2),
            Tensor::rand_normal(&[2], 0.0, 1.0, 3),
        ];
        check_gradients(
            |xs| {
                let y = xs[0].tape().apply(
                    MatMul {
                        ta: false,
                        tb: true,
                    },
                    &[xs[0], xs[1]],
                ) + xs[2];
                y * y
            },
            &inputs,
            2,
        )
        .unwrap();
    }

    #[test]
    fn no_bias_layer_has_only_a_weight() {
        let l = Linear::<f32>::no_bias(3, 2, &mut StdRng::seed_from_u64(0));
        assert!(l.bias.is_none());
        assert_eq!(l.parameters().names().collect::<Vec<_>>(), ["weight"]);
        assert_eq!(l.weight.shape(), [2, 3]);
        let y = l.predict(&Tensor::zeros(&[5, 3]));
        assert_eq!(y.as_slice(), &[0.0; 10]);
    }

    #[test]
    fn default_init_is_uniform_within_one_over_sqrt_fan_in() {
        let l = Linear::<f64>::new(16, 8, &mut StdRng::seed_from_u64(4));
        let bound = 0.25;
        assert!(l.weight.value().as_slice().iter().all(|w| w.abs() <= bound));
        assert!(l
            .bias
            .unwrap()
            .value()
            .as_slice()
            .iter()
            .all(|b| b.abs() <= bound));
    }

    #[test]
    #[should_panic(expected = "Linear(in=3, out=2): input of shape [4, 5] does not end in 3")]
    fn linear_rejects_wrong_feature_count() {
        let tape = Tape::new();
        layer().forward(&Pass::eval(&tape), tape.constant(Tensor::zeros(&[4, 5])));
    }
}
