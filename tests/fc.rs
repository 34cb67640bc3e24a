//! model::kernels::fc: the fully connected layer and the unrolled convolution's product x Wᵀ, whose
//! products on burn-ndarray read their operands through strided views with the gemm crate's
//! kernels: outputs and every gradient within the rounding bound of the exact values, and
//! bitwise the same under any thread count, f32 (f64: tests/fc_f64.rs).

#[path = "support/fast_paths.rs"]
#[allow(dead_code)] // each binary uses some of the comparisons
mod fast_paths;

use fast_paths::{fc_pass, fc_within_rounding, independent_of_thread_count, matmul_wt_pass, matmul_wt_within_rounding, Tracked};
use proptest::prelude::*;

type A = burn::backend::Autodiff<burn::backend::NdArray<f32>>;

const ALL: [Tracked; 3] = [Tracked { x: true, params: false }, Tracked { x: false, params: true }, Tracked { x: true, params: true }];

/// The seed-000 MLP's layers at a smaller batch and its output layer, the mean-field MLP's layers
/// at a smaller width, summed dimensions past gemm's depth blocks and products large enough for
/// its threads; one-element and one-row edges.
#[test]
fn fc_values_and_gradients_are_within_rounding_f32() {
    for (n, d_in, out) in [(16, 1568, 784), (32, 784, 784), (64, 1024, 1024), (3, 5, 600), (300, 10, 5), (256, 3136, 2), (1000, 10, 5000), (1000, 5000, 2), (520, 2000, 40), (1, 1, 1), (1, 700, 3)] {
        for tracked in ALL {
            fc_within_rounding::<A>(n, d_in, out, 7, tracked);
        }
    }
}

/// The unrolled convolution's product `x Wᵀ`: patch rows of 3 × 3 and 1 × 1 layers.
#[test]
fn conv_product_values_and_gradients_are_within_rounding_f32() {
    for (n, d_in, out) in [(2 * 14 * 14, 9 * 32, 64), (512, 9 * 64, 64), (300, 64, 256), (300, 256, 64), (5, 3, 3)] {
        for tracked in ALL {
            matmul_wt_within_rounding::<A>(n, d_in, out, 5, tracked);
        }
    }
}

/// Same numbers on 1, 2 and 3 threads, on shapes where gemm runs threaded (the MLP's layers and
/// a convolution's patch product) and on narrow ones where it does not.
#[test]
fn products_are_independent_of_the_thread_count_f32() {
    let both = Tracked { x: true, params: true };
    for (n, d_in, out) in [(256, 1568, 784), (64, 1024, 1024), (1000, 10, 5000), (1000, 5000, 2), (256, 3136, 2), (1, 3000, 1)] {
        independent_of_thread_count(&format!("dense layer n={n}, d_in={d_in}, out={out}"), || fc_pass::<A>(n, d_in, out, 3, both));
    }
    for (n, d_in, out) in [(4 * 14 * 14, 9 * 32, 64), (2048, 576, 64)] {
        independent_of_thread_count(&format!("x Wᵀ n={n}, d_in={d_in}, out={out}"), || matmul_wt_pass::<A>(n, d_in, out, 4, both));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn fc_values_and_gradients_are_within_rounding_any_shape(n in 1usize..12, d_in in 1usize..96, out in 1usize..600, seed in 0u64..1000, t in 0usize..3) {
        fc_within_rounding::<A>(n, d_in, out, seed, ALL[t]);
    }

    /// Narrow layers on large batches.
    #[test]
    fn fc_values_and_gradients_are_within_rounding_narrow_layers(n in 1usize..700, d_in in 1usize..300, out in 1usize..8, seed in 0u64..1000, t in 0usize..3) {
        fc_within_rounding::<A>(n, d_in, out, seed, ALL[t]);
    }

    #[test]
    fn conv_product_values_and_gradients_are_within_rounding_any_shape(n in 1usize..300, d_in in 1usize..96, out in 1usize..96, seed in 0u64..1000, t in 0usize..3) {
        matmul_wt_within_rounding::<A>(n, d_in, out, seed, ALL[t]);
    }
}
