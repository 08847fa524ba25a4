//! Newton's method with `func::hessian`: maximum-likelihood logistic regression on the
//! diabetes data set (Efron et al. 2004). Does a patient's disease progress more than the
//! median within a year, given 10 standardised baseline measurements? Each iteration takes
//! the gradient and the 11 × 11 Hessian of the mean negative log-likelihood in one call
//! each and solves `H Δ = -g`; near the optimum the gradient's norm roughly squares from
//! one iteration to the next (quadratic convergence).
//!
//! ```text
//! cargo run --release --example newton
//! ```

use tapegrad::core::func;
use tapegrad::nn::data::{read_csv, Standardizer};
use tapegrad::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let table = read_csv::<f64>(concat!(env!("CARGO_MANIFEST_DIR"), "/data/diabetes.csv"))?;
    let data = table.dataset("progression")?;
    let x = Standardizer::fit(data.x()).transform(data.x());
    let (n, features) = (x.shape()[0], x.shape()[1]);
    let y = above_median(data.y().as_slice());
    println!("diabetes: {n} patients, {features} features; target: progression above the median");

    // θ = (w, b). Loss: mean over patients of softplus(z) - y z, z = x·w + b (the negative
    // log-likelihood of a Bernoulli with logit z).
    let negative_log_likelihood = func::function(|theta: &[Var<'_, f64>]| {
        let w = theta[0].narrow(0, 0, features).reshape(&[features, 1]);
        let b = theta[0].narrow(0, features, 1);
        let z = theta[0].constant(x.clone()).matmul(w).reshape(&[n]) + b;
        (z.softplus() - theta[0].constant(y.clone()) * z).mean()
    });

    let mut theta = Tensor::zeros(&[features + 1]);
    println!("iter  loss                  |gradient|   |step|");
    for iter in 0..20 {
        let at = [theta.clone()];
        let (loss, grad) = func::value_and_grad(negative_log_likelihood, &at)?;
        let grad_norm = norm(grad[0].as_slice());
        if grad_norm < 1e-12 {
            println!(
                "{iter:>4}  {:<20.15}  {grad_norm:.3e}  converged",
                loss.item()
            );
            break;
        }
        let hessian = func::hessian(negative_log_likelihood, &at)?;
        let step = solve(hessian[0][0].as_slice(), grad[0].as_slice());
        println!(
            "{iter:>4}  {:<20.15}  {grad_norm:.3e}  {:.3e}",
            loss.item(),
            norm(&step)
        );
        theta = Tensor::from_fn(&[features + 1], |i| theta.as_slice()[i] - step[i]);
    }

    let columns = table.columns();
    println!(
        "\nfitted logits per standard deviation (intercept {:+.4}):",
        theta.as_slice()[features]
    );
    for (name, w) in columns.iter().take(features).zip(theta.as_slice()) {
        println!("  {name:>4} {w:+.4}");
    }
    Ok(())
}

/// 1 where a value is above the median of all values, else 0.
fn above_median(values: &[f64]) -> Tensor<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    Tensor::vector(
        values
            .iter()
            .map(|&v| f64::from(u8::from(v > median)))
            .collect(),
    )
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// `A⁻¹ b` for a symmetric positive-definite `A` (row-major), by Cholesky: `A = L Lᵀ`,
/// then two triangular solves. The Hessian of this convex loss is such a matrix.
fn solve(a: &[f64], b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            l[i * n + j] = if i == j {
                (a[i * n + i] - dot).sqrt()
            } else {
                (a[i * n + j] - dot) / l[j * n + j]
            };
        }
    }
    let mut z = vec![0.0; n]; // L z = b
    for i in 0..n {
        z[i] = (b[i] - (0..i).map(|k| l[i * n + k] * z[k]).sum::<f64>()) / l[i * n + i];
    }
    let mut x = vec![0.0; n]; // Lᵀ x = z
    for i in (0..n).rev() {
        x[i] = (z[i] - (i + 1..n).map(|k| l[k * n + i] * x[k]).sum::<f64>()) / l[i * n + i];
    }
    x
}
