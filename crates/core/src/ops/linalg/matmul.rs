//! `matmul`: matrix products with NumPy's rules (vectors, matrices, broadcast batches),
//! on top of one op, `MatMul`, that can read either operand transposed for free.

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
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].matmul_t(xs[1], self.ta, self.tb)
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
        let da = if self.ta {
            mm(self.tb, true, b, dy)
        } else {
            mm(false, !self.tb, dy, b)
        };
        let db = if self.tb {
            mm(true, self.ta, dy, a)
        } else {
            mm(!self.ta, false, a, dy)
        };
        [Some(da), Some(db)].into()
    }
    fn label(&self) -> String {
        match (self.ta, self.tb) {
            (false, false) => "matmul".into(),
            (ta, tb) => format!("matmul(ta={ta}, tb={tb})"),
        }
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

#[cfg(test)]
mod tests {
    use crate::testing::{assert_gradients, tensor_in};
    use crate::{Tape, Tensor};
    use proptest::prelude::*;

    #[test]
    fn matmul_matches_literal() {
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2]));
        let b = tape.leaf(Tensor::from_vec(vec![5., 6., 7., 8.], &[2, 2]));
        let c = a.matmul(b);
        assert_eq!(c.value().as_slice(), &[19., 22., 43., 50.]);
        // d Σ(AB)/dA = 1·Bᵀ: row sums of B; d/dB = Aᵀ·1: column sums of A
        let g = c.sum().backward();
        assert_eq!(g.wrt(a).as_slice(), &[11., 15., 11., 15.]);
        assert_eq!(g.wrt(b).as_slice(), &[4., 4., 6., 6.]);
    }

    #[test]
    fn vector_cases_drop_the_vector_axis() {
        let tape = Tape::<f64>::new();
        let v = tape.leaf(Tensor::vector(vec![1., 2., 3.]));
        assert_eq!(v.matmul(v).shape().as_slice(), &[] as &[usize]);
        assert_eq!(v.matmul(v).item(), 14.0);
        let m = tape.leaf(Tensor::ones(&[4, 3, 2]));
        assert_eq!(v.matmul(m).shape().as_slice(), &[4, 2]);
    }

    #[test]
    fn matmul_rejects_inner_mismatch_with_callers_line() {
        let tape = Tape::<f32>::new();
        let a = tape.leaf(Tensor::zeros(&[2, 3]));
        let b = tape.leaf(Tensor::zeros(&[4, 5]));
        let e = a.try_matmul(b).unwrap_err();
        let line = line!() - 1;
        assert_eq!(
            e.to_string(),
            format!(
                "matmul: inner dimensions differ: [2, 3] x [4, 5] (at {}:{line}:19)",
                file!()
            )
        );
        let v = tape.leaf(Tensor::zeros(&[4]));
        assert_eq!(
            a.try_matmul(v).unwrap_err().message,
            "inner dimensions differ: [2, 3] x [4]"
        );
    }

    #[test]
    fn matmul_gradcheck_order2() {
        let a = Tensor::rand_normal(&[2, 3], 0.0, 1.0, 1);
        let b = Tensor::rand_normal(&[3, 2], 0.0, 1.0, 2);
        assert_gradients(
            |x| {
                let c = x[0].matmul(x[1]);
                c * c
            },
            &[a.clone(), b],
            2,
        );
        // the same variable on both sides
        let sq = Tensor::rand_normal(&[3, 3], 0.0, 1.0, 3);
        assert_gradients(|x| x[0].matmul(x[0]), &[sq], 2);
        let v = Tensor::rand_normal(&[3], 0.0, 1.0, 4);
        assert_gradients(
            |x| {
                let c = x[0].matmul(x[1]);
                c * c
            },
            &[a, v],
            2,
        );
    }

    #[test]
    fn hessian_vector_product_of_quadratic_form_is_a_v() {
        // f(x) = ½ xᵀAx with A symmetric: ∇f = Ax, and ∇(∇f·v) = Av.
        let tape = Tape::<f64>::new();
        let a = tape.constant(Tensor::from_vec(
            vec![2., 1., 0., 1., 3., -1., 0., -1., 4.],
            &[3, 3],
        ));
        let x = tape.leaf(Tensor::vector(vec![0.5, -1.0, 2.0]));
        let v = tape.constant(Tensor::vector(vec![1.0, 0.0, -2.0]));
        let f = x.matmul(a.matmul(x)) * 0.5;
        let g = tape.grad(f, &[x])[0];
        let hv = tape.grad((g * v).sum(), &[x])[0];
        assert_eq!(hv.value().as_slice(), &[2.0, 3.0, -8.0]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20))]
        #[test]
        fn matmul_gradients_match_finite_differences(
            (a, b) in (1usize..=3, 1usize..=3, 1usize..=3, 0usize..=2, any::<bool>())
                .prop_flat_map(|(m, k, n, batch, bcast)| {
                    let mut sa = vec![2; batch];
                    let mut sb = vec![if bcast { 1 } else { 2 }; batch];
                    sa.extend([m, k]);
                    sb.extend([k, n]);
                    (tensor_in(sa, -1.5, 1.5), tensor_in(sb, -1.5, 1.5))
                })
        ) {
            assert_gradients(|x| { let c = x[0].matmul(x[1]); c * c }, &[a, b], 2);
        }
    }
}
