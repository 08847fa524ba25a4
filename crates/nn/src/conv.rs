//! `Conv1d` and `Conv2d`: convolution layers with PyTorch's parameter names, layouts and
//! default initialisation, on the core's `conv1d`/`conv2d` ops. The transposed layer is in
//! `conv_transpose.rs`; pooling is elsewhere.

use crate::caller::fail;
use crate::{Init, Module, Param, Params, Pass};
use rand::Rng;
use std::panic::Location;
use tapegrad_core::ops::conv::ConvOptions;
use tapegrad_core::{Error, Float, Tensor, Var};

/// Draws a convolution's weight of `shape` and, when asked, its bias of `[bias_len]` as
/// PyTorch does by default: `kaiming_uniform_(a=√5)`, i.e. uniform in `±1/√fan_in` with
/// `fan_in = shape[1]·Π kernel`, and the bias uniform in the same bound.
pub(crate) fn torch_default<T: Float, R: Rng + ?Sized>(
    shape: &[usize],
    bias_len: Option<usize>,
    rng: &mut R,
) -> (Tensor<T>, Option<Tensor<T>>) {
    let weight = Init::torch_linear().tensor(shape, rng);
    let fan_in = crate::init::fans(shape).0;
    let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
    let bias = bias_len.map(|n| {
        Init::Uniform {
            low: -bound,
            high: bound,
        }
        .tensor(&[n], rng)
    });
    (weight, bias)
}

/// Checks a layer's weight rank and bias length at construction; panics naming `layer`.
#[track_caller]
pub(crate) fn check_params<T: Float>(
    layer: &str,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
    rank: usize,
    bias_len: impl Fn(&[usize]) -> usize,
    layout: &str,
) {
    let at = Location::caller();
    let w = weight.shape();
    if w.len() != rank {
        fail(layer, format!("weight must be {layout}, got {w:?}"), at);
    }
    if let Some(b) = bias.filter(|b| b.shape() != [bias_len(w)]) {
        let shape = b.shape();
        let n = bias_len(w);
        fail(
            layer,
            format!("bias of shape {shape:?} for weight {w:?}; expected [{n}]"),
            at,
        );
    }
}

/// Panics with a convolution's error restated under the layer's name, at the caller.
#[track_caller]
pub(crate) fn or_fail<'t, T: Float>(
    layer: String,
    result: Result<Var<'t, T>, Error>,
) -> Var<'t, T> {
    match result {
        Ok(y) => y,
        Err(e) => fail(
            &layer,
            format!("{}: {}", e.op, e.message),
            Location::caller(),
        ),
    }
}

/// Checks that `groups` divides both channel counts; panics naming `layer` otherwise.
#[track_caller]
fn check_groups(layer: &str, inputs: usize, outputs: usize, groups: usize) {
    if groups == 0 || !inputs.is_multiple_of(groups) || !outputs.is_multiple_of(groups) {
        let message =
            format!("groups {groups} must divide the {inputs} input and {outputs} output channels");
        fail(layer, message, Location::caller());
    }
}

/// The 2-d convolution layer, PyTorch's `nn.Conv2d`: `[N, C_in, H, W] → [N, C_out, H', W']`
/// with `weight` `[C_out, C_in/groups, KH, KW]` and `bias` `[C_out]`. The options (stride,
/// padding incl. `Same`, dilation, groups) are the core's [`ConvOptions`].
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// use tapegrad_core::ops::conv::{ConvOptions, Padding};
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::{Conv2d, Module};
/// let layer = Conv2d::<f32>::new(3, 8, 3, ConvOptions::default().padding(Padding::Same),
///     &mut StdRng::seed_from_u64(0));
/// assert_eq!(layer.weight.shape(), [8, 3, 3, 3]);
/// let y = layer.predict(&Tensor::zeros(&[2, 3, 10, 10]));
/// assert_eq!(y.shape(), &[2, 8, 10, 10]);
/// ```
pub struct Conv2d<T: Float> {
    /// `[C_out, C_in/groups, KH, KW]`.
    pub weight: Param<T>,
    /// `[C_out]`, or `None` for a layer without bias.
    pub bias: Option<Param<T>>,
    /// Stride, padding, dilation and groups.
    pub options: ConvOptions,
}

impl<T: Float> Conv2d<T> {
    /// A layer with bias and PyTorch's default initialisation (weight and bias uniform in
    /// `±1/√fan_in`, `fan_in = C_in/groups·KH·KW`); `kernel` is a number or `[KH, KW]`.
    /// Panics naming the layer when `groups` does not divide both channel counts.
    #[track_caller]
    pub fn new<R: Rng + ?Sized>(
        inputs: usize,
        outputs: usize,
        kernel: impl Into<tapegrad_core::ops::conv::Size2>,
        options: ConvOptions,
        rng: &mut R,
    ) -> Self {
        Self::build(inputs, outputs, kernel.into().0, options, true, rng)
    }

    /// A layer without bias, weight initialised as in [`new`](Self::new).
    #[track_caller]
    pub fn no_bias<R: Rng + ?Sized>(
        inputs: usize,
        outputs: usize,
        kernel: impl Into<tapegrad_core::ops::conv::Size2>,
        options: ConvOptions,
        rng: &mut R,
    ) -> Self {
        Self::build(inputs, outputs, kernel.into().0, options, false, rng)
    }

    #[track_caller]
    fn build<R: Rng + ?Sized>(
        inputs: usize,
        outputs: usize,
        [kh, kw]: [usize; 2],
        options: ConvOptions,
        bias: bool,
        rng: &mut R,
    ) -> Self {
        check_groups("Conv2d", inputs, outputs, options.groups);
        let shape = [outputs, inputs / options.groups, kh, kw];
        let (w, b) = torch_default(&shape, bias.then_some(outputs), rng);
        Self::from_tensors(w, b, options)
    }

    /// A layer from given values: `weight` `[C_out, C_in/groups, KH, KW]`, `bias`
    /// `[C_out]` (a PyTorch state dict's tensors as they are).
    #[track_caller]
    pub fn from_tensors(weight: Tensor<T>, bias: Option<Tensor<T>>, options: ConvOptions) -> Self {
        let layout = "[C_out, C_in/groups, KH, KW]";
        check_params("Conv2d", &weight, bias.as_ref(), 4, |w| w[0], layout);
        Conv2d {
            weight: Param::new(weight),
            bias: bias.map(Param::new),
            options,
        }
    }

    /// Input channels.
    pub fn inputs(&self) -> usize {
        self.weight.shape()[1] * self.options.groups
    }

    /// Output channels.
    pub fn outputs(&self) -> usize {
        self.weight.shape()[0]
    }

    fn describe(&self) -> String {
        let w = self.weight.shape();
        format!(
            "Conv2d(in={}, out={}, kernel=[{}, {}])",
            self.inputs(),
            w[0],
            w[2],
            w[3]
        )
    }
}

impl<T: Float> Module<T> for Conv2d<T> {
    #[track_caller]
    fn forward<'t>(&self, pass: &Pass<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        let w = pass.bind(&self.weight);
        let b = self.bias.as_ref().map(|b| pass.bind(b));
        or_fail(self.describe(), x.try_conv2d(w, b, self.options))
    }

    fn parameters(&self) -> Params<T> {
        let mut ps = Params::new().with("weight", &self.weight);
        if let Some(b) = &self.bias {
            ps.insert("bias", b);
        }
        ps
    }
}

/// The 1-d convolution layer, PyTorch's `nn.Conv1d`: `[N, C_in, L] → [N, C_out, L']` with
/// `weight` `[C_out, C_in/groups, K]` and `bias` `[C_out]`. The options' second components
/// (or the single number given) apply.
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// use tapegrad_core::ops::conv::ConvOptions;
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::{Conv1d, Module};
/// let layer = Conv1d::<f64>::new(2, 4, 5, ConvOptions::default().stride(2),
///     &mut StdRng::seed_from_u64(0));
/// assert_eq!(layer.weight.shape(), [4, 2, 5]);
/// assert_eq!(layer.predict(&Tensor::zeros(&[1, 2, 11])).shape(), &[1, 4, 4]);
/// ```
pub struct Conv1d<T: Float> {
    /// `[C_out, C_in/groups, K]`.
    pub weight: Param<T>,
    /// `[C_out]`, or `None` for a layer without bias.
    pub bias: Option<Param<T>>,
    /// Stride, padding, dilation and groups (second components).
    pub options: ConvOptions,
}

impl<T: Float> Conv1d<T> {
    /// A layer with bias and PyTorch's default initialisation (uniform in `±1/√fan_in`,
    /// `fan_in = C_in/groups·K`). Panics naming the layer when `groups` does not divide
    /// both channel counts.
    #[track_caller]
    pub fn new<R: Rng + ?Sized>(
        inputs: usize,
        outputs: usize,
        kernel: usize,
        options: ConvOptions,
        rng: &mut R,
    ) -> Self {
        check_groups("Conv1d", inputs, outputs, options.groups);
        let shape = [outputs, inputs / options.groups, kernel];
        let (w, b) = torch_default(&shape, Some(outputs), rng);
        Self::from_tensors(w, b, options)
    }

    /// A layer from given values: `weight` `[C_out, C_in/groups, K]`, `bias` `[C_out]`.
    #[track_caller]
    pub fn from_tensors(weight: Tensor<T>, bias: Option<Tensor<T>>, options: ConvOptions) -> Self {
        check_params(
            "Conv1d",
            &weight,
            bias.as_ref(),
            3,
            |w| w[0],
            "[C_out, C_in/groups, K]",
        );
        Conv1d {
            weight: Param::new(weight),
            bias: bias.map(Param::new),
            options,
        }
    }

    fn describe(&self) -> String {
        let w = self.weight.shape();
        let inputs = w[1] * self.options.groups;
        format!("Conv1d(in={inputs}, out={}, kernel={})", w[0], w[2])
    }
}

impl<T: Float> Module<T> for Conv1d<T> {
    #[track_caller]
    fn forward<'t>(&self, pass: &Pass<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        let w = pass.bind(&self.weight);
        let b = self.bias.as_ref().map(|b| pass.bind(b));
        or_fail(self.describe(), x.try_conv1d(w, b, self.options))
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
    use tapegrad_core::ops::conv::Padding;
    use tapegrad_core::Tape;

    #[test]
    fn conv2d_layer_is_the_conv2d_op_with_its_parameters() {
        let opts = ConvOptions::default().stride(2).padding(1).groups(2);
        let layer = Conv2d::<f64>::new(4, 6, [3, 2], opts, &mut StdRng::seed_from_u64(1));
        assert_eq!(layer.weight.shape(), [6, 2, 3, 2]);
        let names: Vec<_> = layer.parameters().names().map(String::from).collect();
        assert_eq!(names, ["weight", "bias"]);
        let x = Tensor::rand_normal(&[2, 4, 5, 5], 0.0, 1.0, 2);
        let tape = Tape::new();
        let want = tape
            .constant(x.clone())
            .conv2d(
                tape.constant(layer.weight.value()),
                Some(tape.constant(layer.bias.as_ref().unwrap().value())),
                opts,
            )
            .value();
        assert_eq!(layer.predict(&x), want);
        // gradients reach both parameters
        let tape = Tape::new();
        let pass = Pass::train(&tape);
        let y = layer.forward(&pass, tape.constant(x));
        let g = pass.backward((y * y).sum());
        assert!(g.wrt(&layer.weight).as_slice().iter().any(|v| *v != 0.0));
        assert_eq!(g.wrt(layer.bias.as_ref().unwrap()).shape(), &[6]);
    }

    #[test]
    fn default_init_is_uniform_within_one_over_sqrt_fan_in() {
        // fan_in = 16/4 · 3 · 3 = 36: bound 1/6 for weight and bias
        let opts = ConvOptions::default().groups(4);
        let layer = Conv2d::<f64>::new(16, 32, 3, opts, &mut StdRng::seed_from_u64(3));
        let w = layer.weight.value();
        let max = w.as_slice().iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(max <= 1.0 / 6.0 && max > 0.95 / 6.0, "{max}");
        let b = layer.bias.as_ref().unwrap().value();
        assert!(b.as_slice().iter().all(|v| v.abs() <= 1.0 / 6.0));
        let l1 = Conv1d::<f64>::new(
            2,
            8,
            8,
            ConvOptions::default(),
            &mut StdRng::seed_from_u64(4),
        );
        let max = l1
            .weight
            .value()
            .as_slice()
            .iter()
            .fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(max <= 0.25 && max > 0.2, "{max}"); // fan_in 16
    }

    #[test]
    fn conv_layers_gradcheck_order2() {
        let layer = Conv2d::<f64>::new(
            2,
            3,
            2,
            ConvOptions::default().padding(Padding::Same),
            &mut StdRng::seed_from_u64(5),
        );
        check_gradients(
            |xs| {
                let y = layer.forward(&Pass::train(xs[0].tape()), xs[0]);
                y * y
            },
            &[Tensor::rand_normal(&[2, 2, 3, 4], 0.0, 1.0, 6)],
            2,
        )
        .unwrap();
        let l1 = Conv1d::<f64>::new(
            2,
            2,
            3,
            ConvOptions::default().dilation(2),
            &mut StdRng::seed_from_u64(7),
        );
        check_gradients(
            |xs| {
                let y = l1.forward(&Pass::train(xs[0].tape()), xs[0]);
                y * y
            },
            &[Tensor::rand_normal(&[2, 2, 6], 0.0, 1.0, 8)],
            2,
        )
        .unwrap();
    }

    #[test]
    fn conv_layers_name_themselves_and_the_callers_line_on_bad_input() {
        let layer = Conv2d::<f32>::new(
            3,
            4,
            3,
            ConvOptions::default(),
            &mut StdRng::seed_from_u64(0),
        );
        let line = line!() + 2;
        let msg = panic_message(std::panic::AssertUnwindSafe(|| {
            drop(layer.predict(&Tensor::zeros(&[1, 2, 5, 5])))
        }));
        assert!(
            msg.starts_with("Conv2d(in=3, out=4, kernel=[3, 3]): conv2d: input has 2 channels"),
            "{msg}"
        );
        assert!(
            msg.contains("[1, 2, 5, 5]") && msg.contains(&format!("{}:{line}:", file!())),
            "{msg}"
        );
        let msg = panic_message(std::panic::AssertUnwindSafe(|| {
            drop(layer.predict(&Tensor::zeros(&[1, 3, 2, 2])))
        }));
        assert!(msg.contains("larger than the padded input"), "{msg}");
        let msg = panic_message(|| {
            Conv2d::<f32>::new(
                3,
                4,
                3,
                ConvOptions::default().groups(2),
                &mut StdRng::seed_from_u64(0),
            );
        });
        assert!(
            msg.starts_with("Conv2d: groups 2 must divide the 3 input and 4 output"),
            "{msg}"
        );
        let msg = panic_message(|| {
            Conv1d::<f32>::from_tensors(
                Tensor::zeros(&[4, 3, 3]),
                Some(Tensor::zeros(&[3])),
                ConvOptions::default(),
            );
        });
        assert!(
            msg.contains("bias of shape [3] for weight [4, 3, 3]; expected [4]"),
            "{msg}"
        );
        let l1 = Conv1d::<f32>::new(
            3,
            4,
            3,
            ConvOptions::default(),
            &mut StdRng::seed_from_u64(0),
        );
        let msg = panic_message(std::panic::AssertUnwindSafe(|| {
            drop(l1.predict(&Tensor::zeros(&[1, 3, 5, 5])))
        }));
        assert!(
            msg.starts_with("Conv1d(in=3, out=4, kernel=3): conv1d:"),
            "{msg}"
        );
    }

    /// A PyTorch state dict of Conv2d → ReLU → ConvTranspose2d → ReLU → Conv2d (made by
    /// `tests/fixtures/conv_net.py`) loads into the same layers by name, and the network
    /// gives PyTorch's output on its input.
    #[cfg(feature = "safetensors")]
    #[test]
    fn conv_state_dict_from_pytorch_loads_and_gives_its_output() {
        use crate::{ConvTranspose2d, Relu, Sequential};
        let mut rng = StdRng::seed_from_u64(0);
        let d = ConvOptions::default();
        let net = Sequential::<f32>::new()
            .push(Conv2d::new(2, 4, 3, d.padding(1).groups(2), &mut rng))
            .push(Relu)
            .push(ConvTranspose2d::new(
                4,
                3,
                3,
                d.stride(2).padding(1).output_padding(1),
                &mut rng,
            ))
            .push(Relu)
            .push(Conv2d::new(
                3,
                2,
                [2, 3],
                d.stride(2).dilation([1, 2]),
                &mut rng,
            ));
        let state = include_bytes!("../tests/fixtures/conv_net.safetensors");
        net.parameters().load_safetensors_bytes(state).unwrap();
        let (x, y) = (
            Param::new(Tensor::zeros(&[2, 2, 5, 6])),
            Param::new(Tensor::zeros(&[2, 2, 5, 4])),
        );
        let io = Params::new().with("input", &x).with("output", &y);
        io.load_safetensors_bytes(include_bytes!("../tests/fixtures/conv_net_io.safetensors"))
            .unwrap();
        let got = net.predict(&x.value());
        assert!(
            got.approx_eq(&y.value(), 1e-5, 1e-5),
            "{got:?} vs {:?}",
            y.value()
        );
    }
}
