//! model::kernels::fc's dense layer and convolution product on `Autodiff<NdArray<f64>>`: values and
//! gradients within the rounding bound of the exact ones and independent of the thread count;
//! model::kernels::relu bitwise burn's. A separate binary: burn 0.21 fixes a device's float dtype
//! process-wide at its first use (tests/support/fast_paths.rs asserts the dtype).

#[path = "support/fast_paths.rs"]
#[allow(dead_code)] // each binary uses some of the comparisons
mod fast_paths;

use fast_paths::{fc_pass, fc_within_rounding, independent_of_thread_count, matmul_wt_within_rounding, relu_matches_burn, Tracked};

type A = burn::backend::Autodiff<burn::backend::NdArray<f64>>;

#[test]
fn fc_values_and_gradients_are_within_rounding_f64() {
    for (n, d_in, out) in [(16, 784, 600), (3, 5, 300), (300, 10, 5), (600, 900, 3)] {
        for tracked in [Tracked { x: true, params: false }, Tracked { x: false, params: true }, Tracked { x: true, params: true }] {
            fc_within_rounding::<A>(n, d_in, out, 11, tracked);
        }
    }
    for (n, d_in, out) in [(392, 288, 64), (300, 64, 256)] {
        for tracked in [Tracked { x: false, params: true }, Tracked { x: true, params: true }] {
            matmul_wt_within_rounding::<A>(n, d_in, out, 13, tracked);
        }
    }
}

#[test]
fn products_are_independent_of_the_thread_count_f64() {
    for (n, d_in, out) in [(256, 784, 784), (1000, 10, 3000)] {
        independent_of_thread_count(&format!("dense layer n={n}, d_in={d_in}, out={out}"), || fc_pass::<A>(n, d_in, out, 5, Tracked { x: true, params: true }));
    }
}

#[test]
fn relu_gradient_is_bitwise_burns_f64() {
    relu_matches_burn::<A, 2>([300, 700], 17, 0);
    relu_matches_burn::<A, 4>([4, 16, 9, 9], 19, 5);
}
