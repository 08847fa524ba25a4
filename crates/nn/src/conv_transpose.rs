//! `ConvTranspose2d`: the transposed convolution layer with PyTorch's parameter names,
//! layout (`[C_in, C_out/groups, KH, KW]`) and default initialisation.

use crate::caller::fail;
use crate::conv::{check_params, or_fail, torch_default};
use crate::{Module, Param, Params, Pass};
use rand::Rng;
use std::panic::Location;
use tapegrad_core::ops::conv::{ConvOptions, Size2};
use tapegrad_core::{Float, Tensor, Var};

/// The transposed 2-d convolution layer, PyTorch's `nn.ConvTranspose2d`:
/// `[N, C_in, H, W] → [N, C_out, H', W']`, `H' = (H − 1)·stride − 2·padding +
/// dilation·(KH − 1) + output_padding + 1`, with `weight` `[C_in, C_out/groups, KH, KW]`
/// and `bias` `[C_out]`.
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// use tapegrad_core::ops::conv::ConvOptions;
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::{ConvTranspose2d, Module};
/// let up = ConvTranspose2d::<f32>::new(8, 4, 2, ConvOptions::default().stride(2),
///     &mut StdRng::seed_from_u64(0));
/// assert_eq!(up.weight.shape(), [8, 4, 2, 2]);
/// assert_eq!(up.predict(&Tensor::zeros(&[1, 8, 5, 5])).shape(), &[1, 4, 10, 10]);
/// ```
pub struct ConvTranspose2d<T: Float> {
    /// `[C_in, C_out/groups, KH, KW]`.
    pub weight: Param<T>,
    /// `[C_out]`, or `None` for a layer without bias.
    pub bias: Option<Param<T>>,
    /// Stride, padding, output padding, dilation and groups.
    pub options: ConvOptions,
}

impl<T: Float> ConvTranspose2d<T> {
    /// A layer with bias and PyTorch's default initialisation: weight and bias uniform in
    /// `±1/√fan_in` with PyTorch's `fan_in = C_out/groups·KH·KW` (the weight's second
    /// axis). Panics naming the layer when `groups` does not divide both channel counts.
    #[track_caller]
    pub fn new<R: Rng + ?Sized>(
        inputs: usize,
        outputs: usize,
        kernel: impl Into<Size2>,
        options: ConvOptions,
        rng: &mut R,
    ) -> Self {
        let g = options.groups;
        if g == 0 || !inputs.is_multiple_of(g) || !outputs.is_multiple_of(g) {
            let message =
                format!("groups {g} must divide the {inputs} input and {outputs} output channels");
            fail("ConvTranspose2d", message, Location::caller());
        }
        let [kh, kw] = kernel.into().0;
        let (w, b) = torch_default(&[inputs, outputs / g, kh, kw], Some(outputs), rng);
        Self::from_tensors(w, b, options)
    }

    /// A layer from given values: `weight` `[C_in, C_out/groups, KH, KW]`, `bias`
    /// `[C_out]`.
    #[track_caller]
    pub fn from_tensors(weight: Tensor<T>, bias: Option<Tensor<T>>, options: ConvOptions) -> Self {
        let groups = options.groups;
        let layout = "[C_in, C_out/groups, KH, KW]";
        check_params(
            "ConvTranspose2d",
            &weight,
            bias.as_ref(),
            4,
            |w| w[1] * groups,
            layout,
        );
        ConvTranspose2d {
            weight: Param::new(weight),
            bias: bias.map(Param::new),
            options,
        }
    }

    fn describe(&self) -> String {
        let w = self.weight.shape();
        let outputs = w[1] * self.options.groups;
        format!(
            "ConvTranspose2d(in={}, out={outputs}, kernel=[{}, {}])",
            w[0], w[2], w[3]
        )
    }
}

impl<T: Float> Module<T> for ConvTranspose2d<T> {
    #[track_caller]
    fn forward<'t>(&self, pass: &Pass<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        let w = pass.bind(&self.weight);
        let b = self.bias.as_ref().map(|b| pass.bind(b));
        or_fail(self.describe(), x.try_conv_transpose2d(w, b, self.options))
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
    use crate::caller::panic_message;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use tapegrad_check::gradcheck::check_gradients;

    #[test]
    fn conv_transpose2d_layer_has_pytorch_layout_and_init() {
        let opts = ConvOptions::default().stride(2).groups(2);
        let layer = ConvTranspose2d::<f64>::new(4, 6, 3, opts, &mut StdRng::seed_from_u64(1));
        assert_eq!(layer.weight.shape(), [4, 3, 3, 3]);
        assert_eq!(layer.bias.as_ref().unwrap().shape(), [6]);
        // PyTorch's fan_in for this weight is 3·3·3 = 27
        let bound = 1.0 / 27f64.sqrt();
        let w = layer.weight.value();
        let max = w.as_slice().iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(max <= bound && max > 0.9 * bound, "{max} vs {bound}");
        let y = layer.predict(&Tensor::zeros(&[1, 4, 3, 3]));
        assert_eq!(y.shape(), &[1, 6, 7, 7]);
    }

    #[test]
    fn conv_transpose2d_layer_gradcheck_order2() {
        let opts = ConvOptions::default()
            .stride(2)
            .padding(1)
            .output_padding(1);
        let layer = ConvTranspose2d::<f64>::new(2, 2, 3, opts, &mut StdRng::seed_from_u64(2));
        check_gradients(
            |xs| {
                let y = layer.forward(&Pass::train(xs[0].tape()), xs[0]);
                y * y
            },
            &[Tensor::rand_normal(&[1, 2, 2, 3], 0.0, 1.0, 3)],
            2,
        )
        .unwrap();
    }

    #[test]
    fn conv_transpose2d_layer_names_itself_on_bad_input() {
        let layer = ConvTranspose2d::<f32>::new(
            4,
            2,
            2,
            ConvOptions::default(),
            &mut StdRng::seed_from_u64(0),
        );
        let msg = panic_message(std::panic::AssertUnwindSafe(|| {
            drop(layer.predict(&Tensor::zeros(&[1, 3, 4, 4])))
        }));
        assert!(
            msg.starts_with("ConvTranspose2d(in=4, out=2, kernel=[2, 2]): conv_transpose2d: input has 3 channels"),
            "{msg}"
        );
    }
}
