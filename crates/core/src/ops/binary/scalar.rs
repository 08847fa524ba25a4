//! Arithmetic with a plain float operand: `x + c`, `c·x`, `x / c`, `c / x`.
//!
//! # Design
//! `x * 1.5` could be a constant node and a broadcasting `mul`, but then every float in an
//! expression costs a node and the VJP of `mul` computes a gradient for the constant that
//! nobody wants. These one-input ops halve the tape of scalar-heavy code.

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = x + c`. `dx = dy`.
pub struct AddScalar<T>(pub T);

/// `y = c·x`. `dx = c·dy`.
pub struct MulScalar<T>(pub T);

/// `y = x / c`. `dx = dy / c`.
pub struct XOverScalar<T>(pub T);

/// `y = c / x`. `dx = -dy·y / x` (`= -dy·c/x²`).
pub struct ScalarOverX<T>(pub T);

impl<T: Float> Op<T> for AddScalar<T> {
    fn name(&self) -> &str {
        "add_scalar"
    }
    fn scalar_partials(&self, _xs: &[T], _y: T) -> Option<[T; 2]> {
        Some([T::ONE, T::ZERO])
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(xs[0] + self.0)
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let c = self.0;
        Ok(xs[0].map(|x| x + c))
    }
    fn forward_into(&self, xs: &[&Tensor<T>], out: &mut Tensor<T>) -> Result<(), TensorError> {
        let c = self.0;
        xs[0].map_into(out, |x| x + c);
        Ok(())
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy)].into()
    }
    fn label(&self) -> String {
        format!("add_scalar({})", self.0)
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Linear)
    }
}

impl<T: Float> Op<T> for MulScalar<T> {
    fn name(&self) -> &str {
        "mul_scalar"
    }
    fn scalar_partials(&self, _xs: &[T], _y: T) -> Option<[T; 2]> {
        Some([self.0, T::ZERO])
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(xs[0] * self.0)
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let c = self.0;
        Ok(xs[0].map(|x| x * c))
    }
    fn forward_into(&self, xs: &[&Tensor<T>], out: &mut Tensor<T>) -> Result<(), TensorError> {
        let c = self.0;
        xs[0].map_into(out, |x| x * c);
        Ok(())
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy * self.0)].into()
    }
    fn label(&self) -> String {
        format!("mul_scalar({})", self.0)
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Linear)
    }
}

impl<T: Float> Op<T> for XOverScalar<T> {
    fn name(&self) -> &str {
        "x_over_scalar"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(xs[0] / self.0)
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let c = self.0;
        Ok(xs[0].map(|x| x / c))
    }
    fn forward_into(&self, xs: &[&Tensor<T>], out: &mut Tensor<T>) -> Result<(), TensorError> {
        let c = self.0;
        xs[0].map_into(out, |x| x / c);
        Ok(())
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy / self.0)].into()
    }
    fn label(&self) -> String {
        format!("x_over_scalar({})", self.0)
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Linear)
    }
}

impl<T: Float> Op<T> for ScalarOverX<T> {
    fn name(&self) -> &str {
        "scalar_over_x"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(self.0 / xs[0])
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let c = self.0;
        Ok(xs[0].map(|x| c / x))
    }
    fn forward_into(&self, xs: &[&Tensor<T>], out: &mut Tensor<T>) -> Result<(), TensorError> {
        let c = self.0;
        xs[0].map_into(out, |x| c / x);
        Ok(())
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(-(dy * y / xs[0]))].into()
    }
    fn label(&self) -> String {
        format!("scalar_over_x({})", self.0)
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

/// `var ∘ float` and `float ∘ var` for `+ - * /`, through the ops above.
macro_rules! float_operands {
    ($t:ty) => {
        impl<'t> std::ops::Add<Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn add(self, rhs: Var<'t, $t>) -> Var<'t, $t> {
                rhs + self
            }
        }
        impl<'t> std::ops::Sub<Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn sub(self, rhs: Var<'t, $t>) -> Var<'t, $t> {
                -rhs + self
            }
        }
        impl<'t> std::ops::Mul<Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn mul(self, rhs: Var<'t, $t>) -> Var<'t, $t> {
                rhs * self
            }
        }
        impl<'t> std::ops::Div<Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn div(self, rhs: Var<'t, $t>) -> Var<'t, $t> {
                rhs.tape.apply(ScalarOverX(self), &[rhs])
            }
        }
    };
}

float_operands!(f32);
float_operands!(f64);

impl<'t, T: Float> std::ops::Add<T> for Var<'t, T> {
    type Output = Self;
    /// `x + c`.
    #[track_caller]
    fn add(self, c: T) -> Self {
        self.tape.apply(AddScalar(c), &[self])
    }
}

impl<'t, T: Float> std::ops::Sub<T> for Var<'t, T> {
    type Output = Self;
    /// `x - c` (exactly `x + (-c)` in IEEE arithmetic).
    #[track_caller]
    fn sub(self, c: T) -> Self {
        self.tape.apply(AddScalar(-c), &[self])
    }
}

impl<'t, T: Float> std::ops::Mul<T> for Var<'t, T> {
    type Output = Self;
    /// `c·x`.
    #[track_caller]
    fn mul(self, c: T) -> Self {
        self.tape.apply(MulScalar(c), &[self])
    }
}

impl<'t, T: Float> std::ops::Div<T> for Var<'t, T> {
    type Output = Self;
    /// `x / c`.
    #[track_caller]
    fn div(self, c: T) -> Self {
        self.tape.apply(XOverScalar(c), &[self])
    }
}
