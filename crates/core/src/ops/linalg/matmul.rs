//! `matmul`: matrix products with NumPy's rules (vectors, matrices, broadcast batches),
//! on top of one op, `MatMul`, that can read either operand transposed for free.

use crate::structure::{Curvature, Sources, Structure};
use crate::{Error, ErrorKind, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `C = op(A)·op(B)` over the last two axes, batch axes broadcasting, where `op`
/// transposes the last two axes when `ta`/`tb` is set. Both inputs have rank ≥ 2.
///
/// With `dC` the cotangent: `d op(A) = dC·op(B)ᵀ` and `d op(B) = op(A)ᵀ·dC`, each again a
/// `MatMul` with suitable flags, so no transpose is ever materialised.
pub struct MatMul {
    /// Read `A` transposed.
    pub ta: bool,
    /// Read `B` transposed.
    pub tb: bool,
}

impl<T: Float> Op<T> for MatMul {
    fn name(&self) -> &str {
        "matmul"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].matmul_t(xs[1], self.ta, self.tb)
    }
    fn forward_into(&self, xs: &[&Tensor<T>], out: &mut Tensor<T>) -> Result<(), TensorError> {
        xs[0].matmul_t_into(xs[1], self.ta, self.tb, out)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let (a, b) = (xs[0], xs[1]);
        if dy.shape().contains(&0) {
            // An empty product (0 rows, columns or batches): both gradients are zeros
            // whatever the inputs, so constants are exact at every order. The products
            // below would broadcast the empty batch of `[usize::MAX, 0, 3] x [3, 2]` against
            // `b` into a `[usize::MAX, 3, 2]` that cannot even be counted.
            let zeros = |x: Var<'t, T>| dy.constant(Tensor::zeros(&x.shape()));
            return [Some(zeros(a)), Some(zeros(b))].into();
        }
        let mm = |ta, tb, l: Var<'t, T>, r: Var<'t, T>| l.tape.apply(MatMul { ta, tb }, &[l, r]);
        // A constant operand's gradient would be dropped: it is not computed.
        let da = a.needs_grad().then(|| {
            if self.ta {
                mm(self.tb, true, b, dy)
            } else {
                mm(false, !self.tb, dy, b)
            }
        });
        let db = b.needs_grad().then(|| {
            if self.tb {
                mm(true, self.ta, dy, a)
            } else {
                mm(!self.ta, false, a, dy)
            }
        });
        [da, db].into()
    }
    fn label(&self) -> String {
        match (self.ta, self.tb) {
            (false, false) => "matmul".into(),
            (ta, tb) => format!("matmul(ta={ta}, tb={tb})"),
        }
    }
    fn structure(&self, inputs: &[&[usize]], output: &[usize]) -> Structure {
        let sources = Sources::matmul(inputs[0], inputs[1], self.ta, self.tb, output);
        Structure::listed(sources, Curvature::Bilinear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// The matrix product with NumPy's `matmul` rules, or the error naming both shapes:
    /// 1-d operands act as a row (left) or column (right) vector and that axis is dropped
    /// from the result; leading batch axes broadcast.
    #[track_caller]
    pub fn try_matmul(self, rhs: Self) -> Result<Self, Error> {
        // The foreign-tape error first: the reshapes below would otherwise hide it.
        self.tape
            .check_owns("matmul", rhs, std::panic::Location::caller())?;
        let (sa, sb) = (self.shape(), rhs.shape());
        if sa.is_empty() || sb.is_empty() {
            let shapes = vec![sa.to_vec(), sb.to_vec()];
            return Err(Error::of_kind(
                ErrorKind::ShapeMismatch { shapes },
                "matmul",
                format!("operands must have rank >= 1: {sa:?} x {sb:?}"),
            ));
        }
        let a = if sa.len() == 1 {
            self.try_reshape(&[1, sa[0]])?
        } else {
            self
        };
        let b = if sb.len() == 1 {
            rhs.try_reshape(&[sb[0], 1])?
        } else {
            rhs
        };
        let c = self
            .tape
            .try_apply(
                MatMul {
                    ta: false,
                    tb: false,
                },
                &[a, b],
            )
            .map_err(|mut e| {
                // Report the caller's shapes, not the reshaped ones.
                if (sa.len() == 1 || sb.len() == 1) && e.message.starts_with("inner dimensions") {
                    e.message = format!("inner dimensions differ: {sa:?} x {sb:?}");
                    let shapes = vec![sa.to_vec(), sb.to_vec()];
                    e = e.with_kind(ErrorKind::ShapeMismatch { shapes });
                }
                e
            })?;
        if sa.len() > 1 && sb.len() > 1 {
            return Ok(c);
        }
        // c is [..., m, n]; drop n for a vector on the right, then m for one on the left
        let mut shape = c.shape();
        let m_axis = shape.len() - 2;
        if sb.len() == 1 {
            shape.pop();
        }
        if sa.len() == 1 {
            shape.remove(m_axis);
        }
        c.try_reshape(&shape)
    }

    /// The matrix product (NumPy's `matmul` rules); panics with the shapes on mismatch.
    ///
    /// ```
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let a = tape.leaf(Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2]));
    /// let v = tape.leaf(Tensor::vector(vec![1., 1.]));
    /// assert_eq!(a.matmul(v).value().as_slice(), &[3., 7.]);
    /// assert_eq!(v.matmul(a).value().as_slice(), &[4., 6.]);
    /// ```
    #[track_caller]
    pub fn matmul(self, rhs: Self) -> Self {
        self.try_matmul(rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
