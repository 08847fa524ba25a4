//! `conv2d_weight`: the gradient of `conv2d` with respect to its weight, a convolution of
//! the input with the output's cotangent. An op of its own so that the three convolution
//! ops are closed under differentiation.

use super::{fitted, zeros_like, Conv2d, ConvTranspose2d};
use crate::tensor::ConvGeometry;
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `dw[o, c, p, q] = Σ_{n, i, j} u[n, o, i, j] · x[n, g·C/G + c, i·s₀ + p·d₀ − pad₀,
/// j·s₁ + q·d₁ − pad₁]` for inputs `x: [N, C, H, W]` and `u: [N, O, OH, OW]` (a cotangent
/// of [`Conv2d`]'s output), giving `[O, C/G, KH, KW]` for `kernel = [KH, KW]`: PyTorch's
/// `torch.nn.grad.conv2d_weight`. It is the correlation of `x` with `u` as the kernel
/// (stride and dilation exchanged), computed with the same im2col as the forward.
///
/// It is bilinear, `⟨v, conv2d_weight(x, u)⟩ = ⟨conv2d(x, v), u⟩`, so with `dw` its
/// cotangent: `dx = conv_transpose2d(u, dw)` (fitted to `x`'s size) and
/// `du = conv2d(x, dw)`.
///
/// # Design
/// Writing it as `conv2d` on permuted tensors (batch and channel axes exchanged, the
/// result cropped to the kernel) would need permutes around each call and an extra
/// crop in every higher order; a third op on the shared kernel layer keeps each VJP one
/// line and costs one GEMM per image and group.
pub struct Conv2dWeight {
    /// The geometry of the convolution whose weight gradient this is.
    pub geometry: ConvGeometry,
    /// The kernel's spatial size `[KH, KW]`.
    pub kernel: [usize; 2],
}

impl<T: Float> Op<T> for Conv2dWeight {
    fn name(&self) -> &str {
        "conv2d_weight"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].conv2d_weight(xs[1], self.kernel, &self.geometry)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dw: Var<'t, T>) -> InputGrads<'t, T> {
        let (x, u) = (xs[0], xs[1]);
        let (sx, su) = (x.shape(), u.shape());
        let empty = sx.contains(&0) || su.contains(&0) || dw.shape().contains(&0);
        let dx = x.needs_grad().then(|| {
            if empty {
                return zeros_like(dw, x);
            }
            let geometry = fitted(&self.geometry, &sx[2..], &su[2..], &self.kernel);
            dw.tape.apply(ConvTranspose2d { geometry }, &[u, dw])
        });
        let du = u.needs_grad().then(|| match empty {
            true => zeros_like(dw, u),
            false => dw.tape.apply(
                Conv2d {
                    geometry: self.geometry,
                },
                &[x, dw],
            ),
        });
        [dx, du].into()
    }
    fn label(&self) -> String {
        format!(
            "conv2d_weight(kernel={:?}, {})",
            self.kernel,
            self.geometry.describe(2)
        )
    }
}
