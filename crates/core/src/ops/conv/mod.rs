//! Convolutions: `conv2d`, its adjoint `conv_transpose2d` and the weight gradient
//! `conv2d_weight` (three ops closed under differentiation), and the 1-d forms, which are
//! the 2-d ops on a grid of height 1. The kernels are in `tensor/conv/`.

mod conv1d;
mod conv2d;
mod conv2d_weight;
mod conv_transpose1d;
mod conv_transpose2d;
mod options;

pub use conv2d::Conv2d;
pub use conv2d_weight::Conv2dWeight;
pub use conv_transpose2d::ConvTranspose2d;
pub use options::{ConvOptions, Padding, Size2};

use crate::tensor::ConvGeometry;
use crate::{Float, Tensor, TensorError, Var};

/// Adds `b[c]` to every element of channel `c` of `y` (`[N, C, …]`), or the error naming
/// the op's inputs `xs` (input, weight, bias) when `b` is not `[C]`.
fn add_bias<T: Float>(mut y: Tensor<T>, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
    let (c, b) = (y.shape()[1], xs[2]);
    if b.shape() != [c] {
        return Err(TensorError::new(
            crate::ErrorKind::ShapeMismatch {
                shapes: xs.iter().map(|x| x.shape().to_vec()).collect(),
            },
            format!(
                "bias {:?} for an output of {c} channels: input {:?}, weight {:?}",
                b.shape(),
                xs[0].shape(),
                xs[1].shape(),
            ),
        ));
    }
    let per = y.shape()[2..].iter().product::<usize>();
    let b = b.as_slice();
    if per > 0 {
        for (i, run) in y.as_mut_slice().chunks_exact_mut(per).enumerate() {
            let bi = b[i % c];
            run.iter_mut().for_each(|v| *v += bi);
        }
    }
    Ok(y)
}

/// The geometry whose transposed convolution maps a grid of `out` positions back onto
/// exactly `input` positions along each axis (kernel `kernel`): the end padding absorbs the
/// trailing rows no window reached. For the VJPs, which must return `x`'s shape.
fn fitted(geom: &ConvGeometry, input: &[usize], out: &[usize], kernel: &[usize]) -> ConvGeometry {
    let mut g = *geom;
    for a in 0..2 {
        let reach = (out[a] as isize - 1) * geom.stride[a] as isize
            + geom.dilation[a] as isize * (kernel[a] as isize - 1)
            + 1;
        g.pad_end[a] = reach - geom.pad_begin[a] as isize - input[a] as isize;
    }
    g
}

/// `dy`'s zeros for an input `x` with no elements or a cotangent with none: the kernels'
/// grids would be empty, and the gradient is zero at every order.
fn zeros_like<'t, T: Float>(dy: Var<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
    dy.constant(Tensor::zeros(&x.shape()))
}
