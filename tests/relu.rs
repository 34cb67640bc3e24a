//! model::kernels::relu: ReLU whose backward pass on burn-ndarray zeroes the gradient in place in one
//! parallel pass gives bitwise burn's values and input gradients, f32 (f64: tests/fc_f64.rs) —
//! on the shapes the models use (hidden activations, convolution feature maps, the mean-field
//! MLP's wide layer at a smaller width), with signed zeros, NaN, subnormals and infinities.

#[path = "support/fast_paths.rs"]
#[allow(dead_code)] // each binary uses some of the comparisons
mod fast_paths;

use fast_paths::relu_matches_burn;
use proptest::prelude::*;

type A = burn::backend::Autodiff<burn::backend::NdArray<f32>>;

#[test]
fn relu_gradient_is_bitwise_burns_f32() {
    // Roughly half of uniform(−1, 1) draws are ≤ 0; every count must be seen and positive.
    let nonpositive = relu_matches_burn::<A, 2>([256, 3136], 3, 0);
    assert!(nonpositive > 256 * 3136 / 3, "{nonpositive} non-positive inputs: the mask was barely exercised");
    relu_matches_burn::<A, 2>([1000, 5000], 4, 997);
    relu_matches_burn::<A, 4>([8, 32, 14, 14], 5, 7);
    relu_matches_burn::<A, 4>([2, 64, 7, 4], 6, 1);
    relu_matches_burn::<A, 1>([1], 7, 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn relu_gradient_is_bitwise_burns_any_shape(a in 1usize..40, b in 1usize..300, seed in 0u64..1000, every in 0usize..9) {
        relu_matches_burn::<A, 2>([a, b], seed, every);
    }
}
