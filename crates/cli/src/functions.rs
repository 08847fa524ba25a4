//! The functions of the language and the engine method each one calls. This is the only
//! file that knows which `Var` method implements which name.

use tapegrad_core::Var;

/// A variable of the command's tape.
pub type V<'t> = Var<'t, f64>;

/// A function callable as `name(args)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Sin,
    Cos,
    Tan,
    Exp,
    Log,
    Sqrt,
    Tanh,
    Sigmoid,
    Relu,
    Abs,
    Pow,
    Max,
    Min,
}

impl Func {
    /// Every function, in the order `--help` lists them.
    pub const ALL: [Func; 13] = [
        Func::Sin,
        Func::Cos,
        Func::Tan,
        Func::Exp,
        Func::Log,
        Func::Sqrt,
        Func::Tanh,
        Func::Sigmoid,
        Func::Relu,
        Func::Abs,
        Func::Pow,
        Func::Max,
        Func::Min,
    ];

    /// The name it is called by.
    pub fn name(self) -> &'static str {
        match self {
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Tan => "tan",
            Func::Exp => "exp",
            Func::Log => "log",
            Func::Sqrt => "sqrt",
            Func::Tanh => "tanh",
            Func::Sigmoid => "sigmoid",
            Func::Relu => "relu",
            Func::Abs => "abs",
            Func::Pow => "pow",
            Func::Max => "max",
            Func::Min => "min",
        }
    }

    /// The function called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }

    /// How many arguments it takes.
    pub fn arity(self) -> usize {
        match self {
            Func::Pow | Func::Max | Func::Min => 2,
            _ => 1,
        }
    }

    /// One line for `--help`.
    pub fn summary(self) -> &'static str {
        match self {
            Func::Sin => "sin(u)        sine (radians)",
            Func::Cos => "cos(u)        cosine",
            Func::Tan => "tan(u)        tangent",
            Func::Exp => "exp(u)        e^u",
            Func::Log => "log(u)        natural logarithm; log(0) = -inf",
            Func::Sqrt => "sqrt(u)       square root; derivative +inf at 0",
            Func::Tanh => "tanh(u)       hyperbolic tangent",
            Func::Sigmoid => "sigmoid(u)    1 / (1 + e^-u)",
            Func::Relu => "relu(u)       max(u, 0); derivative 0 at u = 0",
            Func::Abs => "abs(u)        |u|; derivative 0 at u = 0",
            Func::Pow => "pow(a, b)     the same as a^b",
            Func::Max => "max(a, b)     the larger; at a tie each side gets half the derivative",
            Func::Min => "min(a, b)     the smaller; ties as max",
        }
    }

    /// Applies the function to its arguments. `integer_exponent` is `pow`'s exponent when it
    /// is written as an integer literal (see [`power`]); other functions ignore it.
    pub fn apply<'t>(self, args: &[V<'t>], integer_exponent: Option<i32>) -> V<'t> {
        let u = args[0];
        match self {
            Func::Sin => u.sin(),
            Func::Cos => u.cos(),
            Func::Tan => u.tan(),
            Func::Exp => u.exp(),
            Func::Log => u.log(),
            Func::Sqrt => u.sqrt(),
            Func::Tanh => u.tanh(),
            Func::Sigmoid => u.sigmoid(),
            Func::Relu => u.relu(),
            Func::Abs => u.abs(),
            Func::Pow => power(u, args[1], integer_exponent),
            Func::Max => u.maximum(args[1]),
            Func::Min => u.minimum(args[1]),
        }
    }
}

/// `base^exponent`: an integer power (any base, `powi`) when the exponent is written as an
/// integer literal, otherwise the real power (`pow`, base > 0, differentiable in both).
///
/// # Design
/// The choice follows how the exponent is *written*, not its value: `x^2` is defined at
/// x < 0 while `x^2.0` and `x^(1+1)` are real powers. That keeps `d/db` of a real power
/// (`a^b ln a`) available whenever the exponent could vary.
pub fn power<'t>(base: V<'t>, exponent: V<'t>, integer: Option<i32>) -> V<'t> {
    match integer {
        Some(n) => base.powi(n),
        None => base.pow(exponent),
    }
}
