//! Over shapes of rank 0 to 3: Jacobian shapes are the output's followed by the input's,
//! reverse and forward agree, `jvp` is `jacobian · v`, and the Hessian is symmetric.

use crate::support::{assert_close, contract, smooth, smooth_scalar};
use proptest::prelude::*;
use tapegrad_check::testing::{shape, tensor_in};
use tapegrad_core::{func, Tensor};

fn two_inputs() -> impl Strategy<Value = (Tensor<f64>, Tensor<f64>, Tensor<f64>)> {
    (shape(3), shape(3)).prop_flat_map(|(a, b)| {
        (
            tensor_in(a.clone(), -1.5, 1.5),
            tensor_in(b, -1.5, 1.5),
            tensor_in(a, -1.0, 1.0),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn transforms_agree_over_shapes((x0, x1, v0) in two_inputs()) {
        let xs = [x0.clone(), x1.clone()];
        let rev = func::jacrev(smooth, &xs).unwrap();
        let fwd = func::jacfwd(smooth, &xs).unwrap();
        for (i, x) in xs.iter().enumerate() {
            let want: Vec<usize> = x0.shape().iter().chain(x.shape()).copied().collect();
            prop_assert_eq!(rev[i].shape(), &want[..]);
            assert_close(&fwd[i], &rev[i], 1e-12);
        }
        let v = [v0, Tensor::zeros(x1.shape())];
        let (_, jv) = func::jvp(smooth, &xs, &v).unwrap();
        assert_close(&jv, &Tensor::from_vec(contract(&rev[0], &v[0]), x0.shape()), 1e-12);

        let h = func::hessian(smooth_scalar, &xs).unwrap();
        let n0 = x0.len();
        for a in 0..n0 {
            for b in 0..n0 {
                let (hab, hba) = (h[0][0].as_slice()[a * n0 + b], h[0][0].as_slice()[b * n0 + a]);
                prop_assert!((hab - hba).abs() <= 1e-12 * hab.abs().max(1.0));
            }
        }
    }
}
