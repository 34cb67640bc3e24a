//! model::fc: the fully connected layer whose input gradient on burn-ndarray is computed as
//! (W gᵀ)ᵀ instead of g Wᵀ (no transposed copy of the weight) and whose weight gradient is
//! computed as (gᵀ x)ᵀ instead of xᵀ g (no transposed copy of a wide input), and the unrolled convolution's
//! product x Wᵀ whose weight gradient is computed as gᵀ x instead of (xᵀ g)ᵀ (no transposed copy
//! of the patch matrix), give bitwise burn's values and gradients, f32 (f64: tests/fc_f64.rs).

#[path = "support/fast_paths.rs"]
#[allow(dead_code)] // each binary uses some of the comparisons
mod fast_paths;

use fast_paths::{matches_burn, matmul_wt_matches_burn, Routes, Tracked};
use proptest::prelude::*;

type A = burn::backend::Autodiff<burn::backend::NdArray<f32>>;

const ALL: [Tracked; 3] = [Tracked { x: true, params: false }, Tracked { x: false, params: true }, Tracked { x: true, params: true }];

/// Shapes on both sides of each route's rule, including the seed-000 MLP's layers at a smaller
/// batch and its output layer, the mean-field MLP's output layer at a smaller width, summed
/// dimensions past matrixmultiply's depth block (256) and products large enough for its threads.
#[test]
fn fc_gradients_are_bitwise_burns_f32() {
    let r = |input, weight| Routes { input, weight };
    for (n, d_in, out, routes) in [
        (16, 1568, 784, r(true, false)),
        (32, 784, 784, r(true, false)),
        (64, 1024, 1024, r(true, false)),
        (3, 5, 600, r(true, false)),
        (300, 10, 5, r(false, true)),
        (256, 3136, 2, r(false, true)),
        (1000, 5000, 2, r(false, true)),
        (520, 2000, 40, r(false, true)),
        (300, 40, 40, r(false, false)),
        (1, 1, 1, r(false, false)),
    ] {
        for tracked in ALL {
            assert_eq!(matches_burn::<A>(n, d_in, out, 7, tracked), routes, "routes for n={n}, d_in={d_in}, out={out}");
        }
    }
}

/// The unrolled convolution's product `x Wᵀ`: patch rows of 3 × 3 and 1 × 1 layers (the weight
/// gradient's route is taken when the layer has fewer output channels than patch columns).
#[test]
fn conv_product_gradients_are_bitwise_burns_f32() {
    for (n, d_in, out, transposed) in [(2 * 14 * 14, 9 * 32, 64, true), (512, 9 * 64, 64, true), (300, 64, 256, false), (300, 256, 64, true), (5, 3, 3, false)] {
        for tracked in ALL {
            assert_eq!(matmul_wt_matches_burn::<A>(n, d_in, out, 5, tracked), transposed, "route for n={n}, d_in={d_in}, out={out}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn fc_gradients_are_bitwise_burns_any_shape(n in 1usize..12, d_in in 1usize..96, out in 1usize..600, seed in 0u64..1000, t in 0usize..3) {
        matches_burn::<A>(n, d_in, out, seed, ALL[t]);
    }

    /// Narrow layers on large batches, where the weight gradient's route is taken.
    #[test]
    fn fc_gradients_are_bitwise_burns_narrow_layers(n in 1usize..700, d_in in 1usize..300, out in 1usize..8, seed in 0u64..1000, t in 0usize..3) {
        matches_burn::<A>(n, d_in, out, seed, ALL[t]);
    }

    #[test]
    fn conv_product_gradients_are_bitwise_burns_any_shape(n in 1usize..300, d_in in 1usize..96, out in 1usize..96, seed in 0u64..1000, t in 0usize..3) {
        matmul_wt_matches_burn::<A>(n, d_in, out, seed, ALL[t]);
    }
}
