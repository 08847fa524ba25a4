//! Value, gradient and Hessian of a few dozen expressions against closed forms worked out
//! by hand (each case's derivation is in its closures), read from `--json --hessian`.

use crate::cli_support::{close, json};

type F = Box<dyn Fn(&[f64]) -> f64>;
type G = Box<dyn Fn(&[f64]) -> Vec<f64>>;
type H = Box<dyn Fn(&[f64]) -> Vec<Vec<f64>>>;

struct Case {
    expr: &'static str,
    at: &'static str,
    f: F,
    g: G,
    h: H,
}

fn case(
    expr: &'static str,
    at: &'static str,
    f: impl Fn(&[f64]) -> f64 + 'static,
    g: impl Fn(&[f64]) -> Vec<f64> + 'static,
    h: impl Fn(&[f64]) -> Vec<Vec<f64>> + 'static,
) -> Case {
    Case {
        expr,
        at,
        f: Box::new(f),
        g: Box::new(g),
        h: Box::new(h),
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

const LN2: f64 = std::f64::consts::LN_2;

fn cases() -> Vec<Case> {
    vec![
        case(
            "x^3 - 2*x",
            "x=1",
            |v| v[0].powi(3) - 2.0 * v[0],
            |v| vec![3.0 * v[0] * v[0] - 2.0],
            |v| vec![vec![6.0 * v[0]]],
        ),
        case(
            "sin(x*y) + exp(x)/(1 + y^2)",
            "x=1.5,y=-0.5",
            |v| (v[0] * v[1]).sin() + v[0].exp() / (1.0 + v[1] * v[1]),
            |v| {
                let (x, y) = (v[0], v[1]);
                let q = 1.0 + y * y;
                vec![
                    y * (x * y).cos() + x.exp() / q,
                    x * (x * y).cos() - 2.0 * y * x.exp() / (q * q),
                ]
            },
            |v| {
                let (x, y) = (v[0], v[1]);
                let (q, e, s, c) = (1.0 + y * y, x.exp(), (x * y).sin(), (x * y).cos());
                let xy = c - x * y * s - 2.0 * y * e / (q * q);
                vec![
                    vec![-y * y * s + e / q, xy],
                    vec![xy, -x * x * s + e * (6.0 * y * y - 2.0) / (q * q * q)],
                ]
            },
        ),
        case(
            "tanh(w*x + b)",
            "w=0.5,x=2,b=-0.3",
            |v| (v[0] * v[1] + v[2]).tanh(),
            |v| {
                let s = 1.0 - (v[0] * v[1] + v[2]).tanh().powi(2);
                vec![v[1] * s, v[0] * s, s]
            },
            |v| {
                // tanh'' = -2 t s; u = wx + b has u_wx = 1.
                let t = (v[0] * v[1] + v[2]).tanh();
                let s = 1.0 - t * t;
                let d = [v[1], v[0], 1.0];
                (0..3)
                    .map(|i| {
                        (0..3)
                            .map(|j| -2.0 * t * s * d[i] * d[j] + if i + j == 1 { s } else { 0.0 })
                            .collect()
                    })
                    .collect()
            },
        ),
        case(
            "x/y",
            "x=3,y=2",
            |v| v[0] / v[1],
            |v| vec![1.0 / v[1], -v[0] / (v[1] * v[1])],
            |v| {
                let (x, y) = (v[0], v[1]);
                vec![
                    vec![0.0, -1.0 / (y * y)],
                    vec![-1.0 / (y * y), 2.0 * x / y.powi(3)],
                ]
            },
        ),
        case(
            "log(x)*sqrt(y)",
            "x=2,y=3",
            |v| v[0].ln() * v[1].sqrt(),
            |v| vec![v[1].sqrt() / v[0], v[0].ln() / (2.0 * v[1].sqrt())],
            |v| {
                let (x, y) = (v[0], v[1]);
                let xy = 1.0 / (2.0 * x * y.sqrt());
                vec![
                    vec![-y.sqrt() / (x * x), xy],
                    vec![xy, -x.ln() / (4.0 * y.powf(1.5))],
                ]
            },
        ),
        case(
            "sigmoid(x)",
            "x=0.3",
            |v| sigmoid(v[0]),
            |v| vec![sigmoid(v[0]) * (1.0 - sigmoid(v[0]))],
            |v| {
                let s = sigmoid(v[0]);
                vec![vec![s * (1.0 - s) * (1.0 - 2.0 * s)]]
            },
        ),
        case(
            "x^-2",
            "x=-1.5",
            |v| v[0].powi(-2),
            |v| vec![-2.0 * v[0].powi(-3)],
            |v| vec![vec![6.0 * v[0].powi(-4)]],
        ),
        case(
            "pow(x, y)",
            "x=1.7,y=2.3",
            |v| v[0].powf(v[1]),
            |v| vec![v[1] * v[0].powf(v[1] - 1.0), v[0].powf(v[1]) * v[0].ln()],
            |v| {
                let (x, y) = (v[0], v[1]);
                let xy = x.powf(y - 1.0) * (1.0 + y * x.ln());
                vec![
                    vec![y * (y - 1.0) * x.powf(y - 2.0), xy],
                    vec![xy, x.powf(y) * x.ln().powi(2)],
                ]
            },
        ),
        case(
            "max(x, y)*min(x, y)",
            "x=2,y=3",
            |v| v[0] * v[1],
            |v| vec![v[1], v[0]],
            |_| vec![vec![0.0, 1.0], vec![1.0, 0.0]],
        ),
        case(
            "relu(x - 1) + abs(y)",
            "x=2,y=-3",
            |v| (v[0] - 1.0) + v[1].abs(),
            |_| vec![1.0, -1.0],
            |_| vec![vec![0.0, 0.0], vec![0.0, 0.0]],
        ),
        case(
            "tan(x)",
            "x=0.4",
            |v| v[0].tan(),
            |v| vec![1.0 + v[0].tan().powi(2)],
            |v| {
                let t = v[0].tan();
                vec![vec![2.0 * t * (1.0 + t * t)]]
            },
        ),
        case(
            "exp(-x^2/2)",
            "x=0.8",
            |v| (-v[0] * v[0] / 2.0).exp(),
            |v| vec![-v[0] * (-v[0] * v[0] / 2.0).exp()],
            |v| vec![vec![(v[0] * v[0] - 1.0) * (-v[0] * v[0] / 2.0).exp()]],
        ),
        case(
            "sqrt(x^2 + y^2)",
            "x=3,y=4",
            |v| v[0].hypot(v[1]),
            |v| vec![v[0] / 5.0, v[1] / 5.0],
            |v| {
                let (x, y, r3) = (v[0], v[1], 125.0);
                vec![vec![y * y / r3, -x * y / r3], vec![-x * y / r3, x * x / r3]]
            },
        ),
        case(
            "x*y*z",
            "x=2,y=3,z=5",
            |v| v[0] * v[1] * v[2],
            |v| vec![v[1] * v[2], v[0] * v[2], v[0] * v[1]],
            |v| {
                vec![
                    vec![0.0, v[2], v[1]],
                    vec![v[2], 0.0, v[0]],
                    vec![v[1], v[0], 0.0],
                ]
            },
        ),
        case(
            "-x^2",
            "x=3",
            |v| -v[0] * v[0],
            |v| vec![-2.0 * v[0]],
            |_| vec![vec![-2.0]],
        ),
        case(
            "2^x^2",
            "x=1.2",
            |v| 2f64.powf(v[0] * v[0]),
            |v| vec![2f64.powf(v[0] * v[0]) * LN2 * 2.0 * v[0]],
            |v| {
                let x = v[0];
                vec![vec![2f64.powf(x * x) * LN2 * (4.0 * x * x * LN2 + 2.0)]]
            },
        ),
        case(
            "1/(1 + exp(-x))",
            "x=-0.7",
            |v| sigmoid(v[0]),
            |v| vec![sigmoid(v[0]) * (1.0 - sigmoid(v[0]))],
            |v| {
                let s = sigmoid(v[0]);
                vec![vec![s * (1.0 - s) * (1.0 - 2.0 * s)]]
            },
        ),
        case(
            "log(1 + x^2)",
            "x=0.5",
            |v| (1.0 + v[0] * v[0]).ln(),
            |v| vec![2.0 * v[0] / (1.0 + v[0] * v[0])],
            |v| {
                vec![vec![
                    (2.0 - 2.0 * v[0] * v[0]) / (1.0 + v[0] * v[0]).powi(2),
                ]]
            },
        ),
        case(
            "x - (y - z)",
            "x=1,y=2,z=3",
            |v| v[0] - (v[1] - v[2]),
            |_| vec![1.0, -1.0, 1.0],
            |_| vec![vec![0.0; 3]; 3],
        ),
        case(
            "(x + y)^3",
            "x=1,y=-2",
            |v| (v[0] + v[1]).powi(3),
            |v| vec![3.0 * (v[0] + v[1]).powi(2); 2],
            |v| vec![vec![6.0 * (v[0] + v[1]); 2]; 2],
        ),
        case(
            "exp(x)*sin(y)",
            "x=0.3,y=1.1",
            |v| v[0].exp() * v[1].sin(),
            |v| vec![v[0].exp() * v[1].sin(), v[0].exp() * v[1].cos()],
            |v| {
                let (e, s, c) = (v[0].exp(), v[1].sin(), v[1].cos());
                vec![vec![e * s, e * c], vec![e * c, -e * s]]
            },
        ),
        case(
            "tanh(x)",
            "x=2",
            |v| v[0].tanh(),
            |v| vec![1.0 - v[0].tanh().powi(2)],
            |v| {
                let t = v[0].tanh();
                vec![vec![-2.0 * t * (1.0 - t * t)]]
            },
        ),
        case(
            "min(x^2, 4)",
            "x=1.5",
            |v| v[0] * v[0],
            |v| vec![2.0 * v[0]],
            |_| vec![vec![2.0]],
        ),
        case(
            "abs(x)^3",
            "x=-2",
            |v| v[0].abs().powi(3),
            |v| vec![3.0 * v[0] * v[0] * v[0].signum()],
            |v| vec![vec![6.0 * v[0].abs()]],
        ),
        case(
            "sin(x)/x",
            "x=0.5",
            |v| v[0].sin() / v[0],
            |v| {
                let x = v[0];
                vec![(x * x.cos() - x.sin()) / (x * x)]
            },
            |v| {
                let x = v[0];
                vec![vec![
                    -x.sin() / x - 2.0 * x.cos() / (x * x) + 2.0 * x.sin() / x.powi(3),
                ]]
            },
        ),
        case(
            "x^0.5 * y^-1",
            "x=4,y=2",
            |v| v[0].sqrt() / v[1],
            |_| vec![0.125, -0.5],
            |_| vec![vec![-0.015625, -0.0625], vec![-0.0625, 0.5]],
        ),
        case(
            "3*x^2*y - y^3",
            "x=1,y=2",
            |v| 3.0 * v[0] * v[0] * v[1] - v[1].powi(3),
            |v| vec![6.0 * v[0] * v[1], 3.0 * v[0] * v[0] - 3.0 * v[1] * v[1]],
            |v| vec![vec![6.0 * v[1], 6.0 * v[0]], vec![6.0 * v[0], -6.0 * v[1]]],
        ),
        case(
            "exp(sin(cos(x)))",
            "x=0.6",
            |v| v[0].cos().sin().exp(),
            |v| {
                let (s, c) = (v[0].sin(), v[0].cos());
                vec![c.sin().exp() * c.cos() * -s]
            },
            |v| {
                // f = e^A, A = sin(cos x), A' = -B s, A'' = -A s² - B c, f'' = e^A (A'² + A'').
                let (s, c) = (v[0].sin(), v[0].cos());
                let (a, b) = (c.sin(), c.cos());
                vec![vec![a.exp() * (b * b * s * s - a * s * s - b * c)]]
            },
        ),
        case(
            "cos(x)^2 + sin(x)^2",
            "x=0.9",
            |_| 1.0,
            |_| vec![0.0],
            |_| vec![vec![0.0]],
        ),
        case(
            "1e-3*x + 2.5e-2",
            "x=4",
            |v| 1e-3 * v[0] + 2.5e-2,
            |_| vec![1e-3],
            |_| vec![vec![0.0]],
        ),
        case(
            "x*x - x/y + y^2",
            "x=-1.25,y=0.5",
            |v| v[0] * v[0] - v[0] / v[1] + v[1] * v[1],
            |v| vec![2.0 * v[0] - 1.0 / v[1], v[0] / (v[1] * v[1]) + 2.0 * v[1]],
            |v| {
                let (x, y) = (v[0], v[1]);
                vec![
                    vec![2.0, 1.0 / (y * y)],
                    vec![1.0 / (y * y), -2.0 * x / y.powi(3) + 2.0],
                ]
            },
        ),
        case(
            "sigmoid(a)*tanh(b) - relu(a*b)",
            "a=0.4,b=-1.3",
            |v| sigmoid(v[0]) * v[1].tanh(),
            |v| {
                let (s, t) = (sigmoid(v[0]), v[1].tanh());
                vec![s * (1.0 - s) * t, s * (1.0 - t * t)]
            },
            |v| {
                let (s, t) = (sigmoid(v[0]), v[1].tanh());
                let (ds, dt) = (s * (1.0 - s), 1.0 - t * t);
                vec![
                    vec![ds * (1.0 - 2.0 * s) * t, ds * dt],
                    vec![ds * dt, s * -2.0 * t * dt],
                ]
            },
        ),
        case(
            "max(x, x)",
            "x=1.5",
            |v| v[0],
            |_| vec![1.0], // a tie: half of the cotangent to each side, 1/2 + 1/2
            |_| vec![vec![0.0]],
        ),
    ]
}

#[test]
fn values_gradients_and_hessians_match_closed_forms() {
    let cases = cases();
    assert!(cases.len() >= 30);
    let mut failures = Vec::new();
    for c in &cases {
        let names: Vec<&str> =
            c.at.split(',')
                .map(|p| p.split('=').next().unwrap())
                .collect();
        let v: Vec<f64> =
            c.at.split(',')
                .map(|p| p.split('=').nth(1).unwrap().parse().unwrap())
                .collect();
        let out = json(c.expr, c.at, &["--hessian"]);
        assert_eq!(out.get("grad").keys(), names, "{}: --at order", c.expr);
        let (want_g, want_h) = ((c.g)(&v), (c.h)(&v));
        let mut check = |what: String, got: f64, want: f64| {
            if !close(got, want, 1e-12) {
                failures.push(format!(
                    "{} at {}: {what} = {got}, want {want}",
                    c.expr, c.at
                ));
            }
        };
        check("value".into(), out.get("value").num(), (c.f)(&v));
        for (i, a) in names.iter().enumerate() {
            check(format!("d/d{a}"), out.get("grad").get(a).num(), want_g[i]);
            for (j, b) in names.iter().enumerate() {
                let got = out.get("hessian").get(a).get(b).num();
                check(format!("d2/d{a}d{b}"), got, want_h[i][j]);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn output_follows_the_order_of_at_not_of_the_expression() {
    let out = json("x*y^2 + z", "z=1,y=3,x=2", &["--hessian"]);
    assert_eq!(out.keys(), ["value", "grad", "hessian"]);
    assert_eq!(out.get("grad").keys(), ["z", "y", "x"]);
    assert_eq!(out.get("hessian").keys(), ["z", "y", "x"]);
    assert_eq!(out.get("hessian").get("y").keys(), ["z", "y", "x"]);
    assert_eq!(out.get("grad").get("y").num(), 12.0); // 2xy
    assert_eq!(out.get("hessian").get("y").get("x").num(), 6.0); // 2y
}
