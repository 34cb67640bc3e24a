//! model::fc's dense layer and convolution product, and model::relu, on `Autodiff<NdArray<f64>>`:
//! bitwise burn's values and gradients. A separate binary: burn 0.21 fixes a device's float
//! dtype process-wide at its first use (tests/support/fast_paths.rs asserts the dtype).

#[path = "support/fast_paths.rs"]
#[allow(dead_code)] // each binary uses some of the comparisons
mod fast_paths;

use fast_paths::{matches_burn, matmul_wt_matches_burn, relu_matches_burn, Tracked};

type A = burn::backend::Autodiff<burn::backend::NdArray<f64>>;

#[test]
fn fc_gradients_are_bitwise_burns_f64() {
    for (n, d_in, out) in [(16, 784, 600), (3, 5, 300), (300, 10, 5), (600, 900, 3)] {
        for tracked in [Tracked { x: true, params: false }, Tracked { x: false, params: true }, Tracked { x: true, params: true }] {
            matches_burn::<A>(n, d_in, out, 11, tracked);
        }
    }
    for (n, d_in, out) in [(392, 288, 64), (300, 64, 256)] {
        for tracked in [Tracked { x: false, params: true }, Tracked { x: true, params: true }] {
            matmul_wt_matches_burn::<A>(n, d_in, out, 13, tracked);
        }
    }
}

#[test]
fn relu_gradient_is_bitwise_burns_f64() {
    relu_matches_burn::<A, 2>([300, 700], 17, 0);
    relu_matches_burn::<A, 4>([4, 16, 9, 9], 19, 5);
}
