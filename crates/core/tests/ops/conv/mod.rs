//! Tests of `src/ops/conv/`, one file per op file, and their shared helpers: the PyTorch
//! reference values (`torch_reference.txt`, made by `torch_reference.py`), the same input
//! patterns, and a by-definition convolution to compare the kernels with.

mod conv1d;
mod conv2d;
mod conv2d_weight;
mod conv_transpose1d;
mod conv_transpose2d;

use tapegrad_core::ops::conv::ConvOptions;
use tapegrad_core::{Error, ErrorKind, Tape, Tensor, Var};

/// `((i·a) mod m − d) / s` for `i = 0, 1, …` in row-major order (as `pattern` in the
/// Python script): exact binary fractions, so both engines start from the same numbers.
pub fn pattern(shape: &[usize], a: usize, m: usize, d: f64, s: f64) -> Tensor<f64> {
    Tensor::from_fn(shape, |i| ((i * a) % m) as f64 - d).map(|v| v / s)
}

/// One case of `torch_reference.txt`: the output shape and the rows `y`, `dx`, `dw`, `db`.
pub struct Reference {
    pub shape: Vec<usize>,
    pub rows: Vec<(String, Vec<f64>)>,
}

impl Reference {
    pub fn row(&self, label: &str) -> &[f64] {
        &self.rows.iter().find(|(l, _)| l == label).unwrap().1
    }
}

/// The case `name` of the PyTorch fixture.
pub fn reference(name: &str) -> Reference {
    let text = include_str!("torch_reference.txt");
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix("case ") else {
            continue;
        };
        let (case, shape) = rest.split_once(' ').unwrap();
        if case != name {
            continue;
        }
        let shape = shape
            .trim_matches(|c| c == '[' || c == ']')
            .split(", ")
            .map(|d| d.parse().unwrap())
            .collect();
        let mut rows = Vec::new();
        for line in lines.by_ref() {
            if line.starts_with("case ") {
                break;
            }
            let mut parts = line.split(' ');
            let label = parts.next().unwrap().to_string();
            rows.push((label, parts.map(|v| v.parse().unwrap()).collect()));
        }
        return Reference { shape, rows };
    }
    panic!("no case {name} in torch_reference.txt");
}

/// Checks a case against the fixture: the value of `f(x, w, b)` and the gradients of
/// `Σ y·c` with the fixture's input and cotangent patterns. The values are exact binary
/// fractions and sums of few products, so agreement is to rounding.
pub fn assert_matches_torch(
    name: &str,
    x: &[usize],
    w: &[usize],
    bias: Option<usize>,
    f: impl for<'t> Fn(Var<'t, f64>, Var<'t, f64>, Option<Var<'t, f64>>) -> Var<'t, f64>,
) {
    let r = reference(name);
    let tape = Tape::<f64>::new();
    let xv = tape.leaf(pattern(x, 7, 11, 5.0, 4.0));
    let wv = tape.leaf(pattern(w, 5, 9, 4.0, 8.0));
    let bv = bias.map(|o| tape.leaf(pattern(&[o], 3, 5, 2.0, 2.0)));
    let y = f(xv, wv, bv);
    assert_eq!(y.shape().as_slice(), &r.shape[..], "{name}: output shape");
    let c = tape.constant(pattern(&r.shape, 3, 7, 3.0, 2.0));
    let g = (y * c).sum().backward();
    let close = |got: &[f64], want: &[f64], what: &str| {
        assert_eq!(got.len(), want.len(), "{name}: {what} length");
        for (i, (a, b)) in got.iter().zip(want).enumerate() {
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                "{name}: {what}[{i}] = {a}, torch {b}"
            );
        }
    };
    close(y.value().as_slice(), r.row("y"), "y");
    close(g.wrt(xv).as_slice(), r.row("dx"), "dx");
    close(g.wrt(wv).as_slice(), r.row("dw"), "dw");
    if let Some(b) = bv {
        close(g.wrt(b).as_slice(), r.row("db"), "db");
    }
}

/// The 2-d convolution by its definition, one output element at a time, with symmetric
/// explicit padding: the independent reference for the proptests.
pub fn naive_conv2d(x: &Tensor<f64>, w: &Tensor<f64>, o: &ConvOptions) -> Tensor<f64> {
    let (xs, ws) = (x.shape(), w.shape());
    let pad = match o.padding {
        tapegrad_core::ops::conv::Padding::Explicit(p) => p,
        _ => panic!("naive_conv2d takes explicit padding"),
    };
    let out =
        |a: usize| (xs[2 + a] + 2 * pad[a] - o.dilation[a] * (ws[2 + a] - 1) - 1) / o.stride[a] + 1;
    let (oh, ow) = (out(0), out(1));
    let (cg, og) = (ws[1], ws[0] / o.groups);
    let mut data = Vec::new();
    for n in 0..xs[0] {
        for oc in 0..ws[0] {
            for i in 0..oh {
                for j in 0..ow {
                    let mut s = 0.0;
                    for c in 0..cg {
                        for p in 0..ws[2] {
                            for q in 0..ws[3] {
                                let ih = (i * o.stride[0] + p * o.dilation[0]) as isize
                                    - pad[0] as isize;
                                let iw = (j * o.stride[1] + q * o.dilation[1]) as isize
                                    - pad[1] as isize;
                                if ih >= 0
                                    && iw >= 0
                                    && (ih as usize) < xs[2]
                                    && (iw as usize) < xs[3]
                                {
                                    let ci = (oc / og) * cg + c;
                                    s += x.at(&[n, ci, ih as usize, iw as usize])
                                        * w.at(&[oc, c, p, q]);
                                }
                            }
                        }
                    }
                    data.push(s);
                }
            }
        }
    }
    Tensor::from_vec(data, &[xs[0], ws[0], oh, ow])
}

/// The transposed 2-d convolution by its definition: each input element stamps the
/// scaled kernel onto the output (symmetric explicit padding, `output_padding`).
pub fn naive_conv_transpose2d(x: &Tensor<f64>, w: &Tensor<f64>, o: &ConvOptions) -> Tensor<f64> {
    let (xs, ws) = (x.shape(), w.shape());
    let pad = match o.padding {
        tapegrad_core::ops::conv::Padding::Explicit(p) => p,
        _ => panic!("naive_conv_transpose2d takes explicit padding"),
    };
    let size = |a: usize| {
        ((xs[2 + a] - 1) * o.stride[a] + o.dilation[a] * (ws[2 + a] - 1) + o.output_padding[a] + 1)
            - 2 * pad[a]
    };
    let (h, wd) = (size(0), size(1));
    let (cig, cog) = (xs[1] / o.groups, ws[1]);
    let shape = [xs[0], cog * o.groups, h, wd];
    let mut y = vec![0.0; shape.iter().product()];
    for n in 0..xs[0] {
        for k in 0..xs[1] {
            let g = k / cig;
            for i in 0..xs[2] {
                for j in 0..xs[3] {
                    for c in 0..cog {
                        for p in 0..ws[2] {
                            for q in 0..ws[3] {
                                let oh = (i * o.stride[0] + p * o.dilation[0]) as isize
                                    - pad[0] as isize;
                                let ow = (j * o.stride[1] + q * o.dilation[1]) as isize
                                    - pad[1] as isize;
                                if oh >= 0 && ow >= 0 && (oh as usize) < h && (ow as usize) < wd {
                                    let at = ((n * shape[1] + g * cog + c) * h + oh as usize) * wd
                                        + ow as usize;
                                    y[at] += x.at(&[n, k, i, j]) * w.at(&[k, c, p, q]);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    Tensor::from_vec(y, &shape)
}

/// Asserts that `e` comes from `op` at `line` of this file, has `kind`, says `what` and
/// names every shape in `shapes` and the parameters; `line` is in the caller's file.
#[track_caller]
pub fn assert_refusal(e: Error, op: &str, line: u32, what: &str, kind: ErrorKind, shapes: &[&str]) {
    let text = e.to_string();
    assert_eq!(e.op, op, "{text}");
    assert_eq!(e.kind(), &kind, "{text}");
    assert!(text.contains(what), "{text}");
    for s in shapes {
        assert!(text.contains(s), "{text} does not name {s}");
    }
    assert!(text.contains("stride") && text.contains("groups"), "{text}");
    let file = std::panic::Location::caller().file();
    assert!(text.contains(&format!("(at {file}:{line}:")), "{text}");
}
