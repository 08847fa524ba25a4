//! `select`: element-wise choice between two variables by a constant mask (NumPy's
//! `where`). The mask is data, not a variable: it has no gradient.

use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = cond ? on_true : on_false`, element-wise, with `cond`, `on_true` and `on_false`
/// broadcast together; a nonzero mask element (NaN included) means "true".
///
/// `d on_true = select(cond, dy, 0)`, `d on_false = select(cond, 0, dy)`: the cotangent
/// reaches only the branch that was taken.
///
/// # The branch not taken, and the "double where" remedy
/// The branch not taken is still computed and still differentiated, with a zero
/// cotangent. Where its own derivative is infinite or NaN (`1/x`, `sqrt`, `log` at 0), its
/// VJP computes `0 · inf = NaN`, and that NaN reaches every input of the branch: for
/// `select(x ≠ 0, 1/x, 0)` the gradient at `x = 0` is NaN, not 0. Every chain-rule engine
/// behaves so (see CONVENTIONS.md). The remedy is to sanitise the *input* of the dead
/// branch so it is evaluated where it is harmless:
///
/// ```
/// use tapegrad_core::{Tape, Tensor, Var};
/// let tape = Tape::<f64>::new();
/// let x = tape.leaf(Tensor::vector(vec![0.0, 2.0]));
/// let live = Tensor::vector(vec![0.0, 1.0]); // x ≠ 0
/// let one = tape.constant(Tensor::scalar(1.0));
/// let zero = tape.constant(Tensor::scalar(0.0));
/// let x_safe = Var::select(&live, x, one); // 1 where the branch is dead
/// let y = Var::select(&live, one / x_safe, zero);
/// assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.0, -0.25]);
/// ```
///
/// # Design
/// The VJP is itself a `select`, not a product with the mask (as in PyTorch and JAX): a
/// NaN or infinite cotangent at a position the branch did not supply then stays out of
/// that branch instead of becoming `0 · NaN`. That is what makes the remedy above work
/// when the sanitised input feeds further ops (the guards of `pow` rely on it).
pub struct Select<T: Float> {
    /// The condition: nonzero picks `on_true`.
    pub mask: Tensor<T>,
}

impl<T: Float> Op<T> for Select<T> {
    fn name(&self) -> &str {
        "select"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        self.mask
            .zip3_map(xs[0], xs[1], |c, t, f| if c != T::ZERO { t } else { f })
            .map_err(|e| {
                // the kind (the three shapes) stays; the message names the arguments
                TensorError::new(
                    e.kind().clone(),
                    format!(
                        "mask {:?}, on_true {:?} and on_false {:?} do not broadcast",
                        self.mask.shape(),
                        xs[0].shape(),
                        xs[1].shape()
                    ),
                )
            })
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let zero = dy.scalar(T::ZERO);
        let d_true = Var::select(&self.mask, dy, zero);
        let d_false = Var::select(&self.mask, zero, dy);
        [Some(d_true), Some(d_false)].into()
    }
    fn label(&self) -> String {
        format!("select(mask {:?})", self.mask.shape())
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// `cond ? on_true : on_false` element-wise (NumPy's `where`), or the error when the
    /// three shapes do not broadcast together. See [`Select`] for the gradient and the
    /// "double where" remedy.
    #[track_caller]
    pub fn try_select(cond: &Tensor<T>, on_true: Self, on_false: Self) -> Result<Self, Error> {
        on_true
            .tape
            .try_apply(Select { mask: cond.clone() }, &[on_true, on_false])
    }

    /// `cond ? on_true : on_false` element-wise (NumPy's `where`), with broadcasting; a
    /// nonzero `cond` element picks `on_true`. Gradients reach only the branch taken.
    #[track_caller]
    pub fn select(cond: &Tensor<T>, on_true: Self, on_false: Self) -> Self {
        Self::try_select(cond, on_true, on_false).unwrap_or_else(|e| panic!("{e}"))
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_gradients, broadcast_pair, tensor_in};
    use crate::{Tape, Tensor, Var};
    use proptest::prelude::*;

    #[test]
    fn select_matches_literal() {
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::vector(vec![1.0, 2.0, 3.0]));
        let b = tape.leaf(Tensor::scalar(10.0));
        let cond = Tensor::vector(vec![1.0, 0.0, -2.0]);
        let y = Var::select(&cond, a * a, b);
        assert_eq!(y.value().as_slice(), &[1.0, 10.0, 9.0]);
        // d/da = 2a where taken, 0 elsewhere; d/db = number of positions that took b
        let g = y.sum().backward();
        assert_eq!(g.wrt(a).as_slice(), &[2.0, 0.0, 6.0]);
        assert_eq!(g.wrt(b).item(), 1.0);
    }

    #[test]
    fn select_mask_broadcasts_against_both_branches() {
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
        let b = tape.leaf(Tensor::vector(vec![-1.0, -2.0]));
        let cond = Tensor::from_vec(vec![1.0, 0.0], &[2, 1]); // row 0 from a, row 1 from b
        let y = Var::select(&cond, a, b);
        assert_eq!(y.value().as_slice(), &[1.0, 2.0, -1.0, -2.0]);
        let g = y.sum().backward();
        assert_eq!(g.wrt(a).as_slice(), &[1.0, 1.0, 0.0, 0.0]);
        assert_eq!(g.wrt(b).as_slice(), &[1.0, 1.0]);
    }

    #[test]
    fn select_dead_branch_with_infinite_derivative_gives_nan() {
        // CONVENTIONS.md: the branch not taken still gets a zero cotangent, and
        // 0 · (d/dx 1/x at 0 = -inf) is NaN.
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![0.0, 2.0]));
        let live = Tensor::vector(vec![0.0, 1.0]);
        let one = tape.constant(Tensor::scalar(1.0));
        let zero = tape.constant(Tensor::scalar(0.0));
        let y = Var::select(&live, one / x, zero);
        assert_eq!(y.value().as_slice(), &[0.0, 0.5]);
        let g = y.sum().backward().wrt(x);
        assert!(g.as_slice()[0].is_nan(), "{g:?}");
        assert_eq!(g.as_slice()[1], -0.25);
    }

    #[test]
    fn select_double_where_remedy_gives_finite_gradients() {
        // Sanitise the dead branch's input: 1/x is evaluated at 1 where it is not taken.
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![0.0, 2.0]));
        let live = Tensor::vector(vec![0.0, 1.0]);
        let one = tape.constant(Tensor::scalar(1.0));
        let zero = tape.constant(Tensor::scalar(0.0));
        let y = Var::select(&live, one / Var::select(&live, x, one), zero);
        assert_eq!(y.value().as_slice(), &[0.0, 0.5]);
        assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.0, -0.25]);
        // and to second order: d²/dx² 1/x = 2/x³ = 0.25 at 2, 0 in the dead position
        let dx = tape.grad(y.sum(), &[x])[0];
        let ddx = tape.grad(dx.sum(), &[x])[0];
        assert_eq!(ddx.value().as_slice(), &[0.0, 0.25]);
    }

    #[test]
    fn select_keeps_nan_cotangent_out_of_the_branch_not_taken() {
        // y = select(c, a, b) · w, with w = inf where b was taken: the cotangent there is
        // inf·… and must not reach `a` as 0·inf.
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::vector(vec![1.0, 2.0]));
        let b = tape.leaf(Tensor::vector(vec![0.0, 0.0]));
        let w = tape.constant(Tensor::vector(vec![3.0, f64::INFINITY]));
        let y = Var::select(&Tensor::vector(vec![1.0, 0.0]), a, b) * w;
        let g = y.sum().backward();
        assert_eq!(g.wrt(a).as_slice(), &[3.0, 0.0]);
        assert_eq!(g.wrt(b).as_slice(), &[0.0, f64::INFINITY]);
    }

    #[test]
    fn select_rejects_incompatible_shapes() {
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::zeros(&[2, 3]));
        let b = tape.leaf(Tensor::zeros(&[3]));
        let e = Var::try_select(&Tensor::zeros(&[4]), a, b).unwrap_err();
        assert_eq!(e.op, "select");
        assert!(
            e.message.contains("[4]") && e.message.contains("[2, 3]") && e.message.contains("[3]"),
            "{e}"
        );
        assert!(e.location.file().ends_with("select.rs"), "{e}");
        let e = Var::try_select(&Tensor::zeros(&[3]), a, tape.leaf(Tensor::zeros(&[2])));
        assert!(e.is_err());
    }

    #[test]
    fn select_gradcheck_order2() {
        let a = Tensor::from_vec(vec![0.1, -0.4, 0.9, 1.3, -2.0, 0.5], &[2, 3]);
        let b = Tensor::vector(vec![0.3, 0.7, -1.1]);
        let cond = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 1.0, 0.0], &[2, 3]);
        assert_gradients(
            move |x| Var::select(&cond, x[0] * x[1], x[1] * x[1] * x[0]),
            &[a, b],
            2,
        );
    }

    /// Three shapes that broadcast together: a pair for the branches and, for the mask,
    /// one of them or their common shape.
    fn mask_and_branches() -> impl Strategy<Value = (Tensor<f64>, Tensor<f64>, Tensor<f64>)> {
        broadcast_pair(4).prop_flat_map(|(sa, sb)| {
            let full = crate::tensor::broadcast_shapes(&sa, &sb).unwrap().to_vec();
            let mask_shape = prop_oneof![Just(sa.clone()), Just(sb.clone()), Just(full)];
            let mask = mask_shape.prop_flat_map(|s| {
                let n = crate::tensor::numel(&s);
                proptest::collection::vec(any::<bool>(), n).prop_map(move |bits| {
                    Tensor::from_vec(bits.into_iter().map(f64::from).collect(), &s)
                })
            });
            (mask, tensor_in(sa, -2.0, 2.0), tensor_in(sb, -2.0, 2.0))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn select_gradients_match_finite_differences((cond, a, b) in mask_and_branches()) {
            let c = cond.clone();
            assert_gradients(move |x| Var::select(&c, x[0] * x[1], x[1]) * x[0], &[a.clone(), b], 2);
            // the same variable in both branches
            let c = cond.clone();
            assert_gradients(move |x| Var::select(&c, x[0] * x[0], x[0]), &[a], 2);
        }
    }
}
