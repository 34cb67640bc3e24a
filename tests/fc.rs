//! model::fc: the fully connected layer whose input gradient on burn-ndarray is computed as
//! (W gᵀ)ᵀ instead of g Wᵀ (no transposed copy of the weight), and the unrolled convolution's
//! product x Wᵀ whose weight gradient is computed as gᵀ x instead of (xᵀ g)ᵀ (no transposed copy
//! of the patch matrix), give bitwise burn's values and gradients, f32 (f64: tests/fc_f64.rs).

#[path = "support/fc.rs"]
mod fc;

use fc::{matches_burn, matmul_wt_matches_burn, Tracked};
use proptest::prelude::*;

type A = burn::backend::Autodiff<burn::backend::NdArray<f32>>;

const ALL: [Tracked; 3] = [Tracked { x: true, params: false }, Tracked { x: false, params: true }, Tracked { x: true, params: true }];

/// Shapes on both sides of the route's rule, including the seed-000 MLP's layers at a smaller
/// batch, summed dimensions past matrixmultiply's depth block (256) and products large enough
/// for its threads.
#[test]
fn fc_gradients_are_bitwise_burns_f32() {
    for (n, d_in, out, transposed) in [(16, 1568, 784, true), (32, 784, 784, true), (64, 1024, 1024, true), (3, 5, 600, true), (300, 10, 5, false), (256, 3136, 2, false), (1, 1, 1, false)] {
        for tracked in ALL {
            assert_eq!(matches_burn::<A>(n, d_in, out, 7, tracked), transposed, "route for n={n}, d_in={d_in}, out={out}");
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

    #[test]
    fn conv_product_gradients_are_bitwise_burns_any_shape(n in 1usize..300, d_in in 1usize..96, out in 1usize..96, seed in 0u64..1000, t in 0usize..3) {
        matmul_wt_matches_burn::<A>(n, d_in, out, seed, ALL[t]);
    }
}
