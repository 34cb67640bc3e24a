//! The burn-ndarray fast paths of the unrolled convolution's patch matrix (`model::kernels::im2col`) and
//! of max-pooling (`model::kernels::pool`), f32, against the routes built from tensor operations: the same
//! patch matrix and input gradient bit for bit (integer-valued inputs, so that every sum is
//! exact whatever its order), the same pooling as burn's in evaluation mode, and the same bits
//! on 1, 2 and 3 threads. tests/conv_ops.rs compares whole convolutions and poolings with burn's
//! own under autodiff; tests/im2col_f64.rs repeats the first check in f64.

use burn::backend::{Autodiff, NdArray};
use burn::tensor::{Distribution, Tensor, TensorData};
use inputgrad::model::conv::max_pool2d;
use inputgrad::model::graph_lock::graph_lock;
use inputgrad::model::kernels::im2col::{unfold, unfold_by_slices, Patches};
use inputgrad::Seed;
use proptest::prelude::*;
use rand::Rng as _;

type I = NdArray<f32>;
type A = Autodiff<I>;

fn bits<B: burn::tensor::backend::Backend, const D: usize>(t: Tensor<B, D>) -> Vec<u32> {
    t.into_data().to_vec::<f32>().expect("f32 tensor").into_iter().map(f32::to_bits).collect()
}

/// `len` integers in −4..=4 from `seed`, as f32.
fn integers(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Seed(seed).rng();
    (0..len).map(|_| rng.random_range(-4i32..=4) as f32).collect()
}

fn geometry() -> impl Strategy<Value = Patches> {
    (1usize..3, 1usize..5, 1usize..10, 1usize..10, 1usize..8, 1usize..8, 1usize..4, 1usize..4, 0usize..4, 0usize..4, 0usize..4, 0usize..4)
        .prop_filter_map("padded input smaller than the kernel", |(n, c, h, w, kh, kw, sh, sw, t, l, b, r)| {
            Patches::new([n, c, h, w], [kh, kw], [sh, sw], [t, l, b, r])
        })
}

/// Patch matrix and input gradient of `Σ R ⊙ unfold(x)` on `Autodiff<NdArray<f32>>`, by the fast
/// path or by slices.
fn patch_pass(p: &Patches, fast: bool, x: &[f32], r: &[f32]) -> (Vec<u32>, Vec<u32>) {
    let _graph = graph_lock();
    let dev = Default::default();
    let xa = Tensor::<A, 4>::from_data(TensorData::new(x.to_vec(), [p.n, p.c, p.h, p.w]), &dev).require_grad();
    let cols = if fast { unfold(xa.clone(), p) } else { unfold_by_slices(xa.clone(), p) };
    let rt = Tensor::<A, 2>::from_data(TensorData::new(r.to_vec(), [p.rows(), p.cols()]), &dev);
    let grads = (cols.clone() * rt).sum().backward();
    (bits(cols), bits(xa.grad(&grads).expect("input gradient")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn patch_matrix_and_its_gradient_equal_the_slice_route(p in geometry(), seed in 0u64..1000) {
        let x = integers(p.n * p.c * p.h * p.w, seed);
        let r = integers(p.rows() * p.cols(), seed + 1);
        let (cols, grad) = patch_pass(&p, true, &x, &r);
        let (cols_ref, grad_ref) = patch_pass(&p, false, &x, &r);
        prop_assert_eq!(cols.len(), p.rows() * p.cols());
        prop_assert!(cols == cols_ref, "{:?}: patch matrices differ", p);
        prop_assert!(grad == grad_ref, "{:?}: input gradients differ", p);
        // Without autodiff (evaluation, attacks' inner backend) the same matrix.
        let xi = Tensor::<I, 4>::from_data(TensorData::new(x.clone(), [p.n, p.c, p.h, p.w]), &Default::default());
        prop_assert!(bits(unfold(xi, &p)) == cols_ref, "{:?}: inner-backend patch matrix differs", p);
    }

    #[test]
    fn max_pool_without_autodiff_equals_burn(
        n in 1usize..3, c in 1usize..4, h in 1usize..10, w in 1usize..10,
        kh in 1usize..4, kw in 1usize..4, sh in 1usize..4, sw in 1usize..4, pad in any::<bool>(), seed in 0u64..1000,
    ) {
        let (h, w) = (h.max(kh), w.max(kw));
        let padding = if pad { [kh / 2, kw / 2] } else { [0, 0] };
        let mut rng = Seed(seed).rng();
        let x: Vec<f32> = (0..n * c * h * w).map(|_| rng.random::<f32>() - 0.5).collect();
        let xi = Tensor::<I, 4>::from_data(TensorData::new(x, [n, c, h, w]), &Default::default());
        let ours = max_pool2d(xi.clone(), [kh, kw], [sh, sw], padding);
        let reference = burn::tensor::module::max_pool2d(xi, [kh, kw], [sh, sw], padding, [1, 1], false);
        prop_assert_eq!(ours.dims(), reference.dims());
        prop_assert!(bits(ours) == bits(reference));
    }
}

/// Patch matrix, its input gradient, and a pooling's output and input gradient for one layer
/// shape, with random (non-integer) values, so that the order of every sum shows in the bits.
fn layer_pass(dims: [usize; 4], kernel: [usize; 2], stride: [usize; 2], pad: usize) -> Vec<Vec<u32>> {
    let _graph = graph_lock();
    let dev = Default::default();
    let p = Patches::new(dims, kernel, stride, [pad; 4]).expect("valid geometry");
    let x = Tensor::<A, 4>::random(dims, Distribution::Normal(0.0, 1.0), &dev).into_data();
    let xa = Tensor::<A, 4>::from_data(x, &dev).require_grad();
    let cols = unfold(xa.clone(), &p);
    let r = Tensor::<A, 2>::random([p.rows(), p.cols()], Distribution::Normal(0.0, 1.0), &dev);
    let pooled = max_pool2d(xa.clone(), kernel, stride, [kernel[0] / 2, kernel[1] / 2]);
    let rp = Tensor::<A, 4>::random(pooled.dims(), Distribution::Normal(0.0, 1.0), &dev);
    let grads = ((cols.clone() * r).sum() + (pooled.clone() * rp).sum()).backward();
    vec![bits(cols), bits(pooled), bits(xa.grad(&grads).expect("input gradient"))]
}

/// The same bits on 1, 2 and 3 threads for the shapes of the BlockMNIST ResNets' layers (the
/// ImageNet stem's 7×7 stride-2 convolution and 3×3 pooling, a 3×3 stage layer, a strided one).
#[test]
fn fast_paths_are_independent_of_the_thread_count() {
    let cases = [([4, 1, 56, 28], [7, 7], [2, 2], 3), ([4, 16, 14, 7], [3, 3], [1, 1], 1), ([3, 8, 9, 5], [3, 3], [2, 2], 1)];
    for (dims, kernel, stride, pad) in cases {
        let runs: Vec<Vec<Vec<u32>>> = [1, 2, 3]
            .iter()
            .map(|&threads| {
                // burn's random draws depend on its global seed: reseed before each run.
                <A as burn::tensor::backend::Backend>::seed(&Default::default(), 7);
                rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("rayon pool").install(|| layer_pass(dims, kernel, stride, pad))
            })
            .collect();
        for (threads, run) in [2, 3].iter().zip(&runs[1..]) {
            for (what, (a, b)) in ["patch matrix", "pooling", "input gradient"].iter().zip(run.iter().zip(&runs[0])) {
                assert!(a == b, "{dims:?} {kernel:?}: {what} on {threads} threads differs from 1 thread");
            }
        }
    }
}

/// Padding as wide as the kernel (PyTorch refuses it) leaves windows on padding alone: the fast
/// pooling has no winner there and hands over to the slice route, which gives −∞; the rest is
/// the input itself (1×1 windows).
#[test]
fn pooling_windows_on_padding_alone_give_minus_infinity() {
    let x: Vec<f32> = (0..6).map(|v| v as f32 - 2.5).collect();
    let xi = Tensor::<I, 4>::from_data(TensorData::new(x.clone(), [1, 1, 2, 3]), &Default::default());
    let out = max_pool2d(xi, [1, 1], [1, 1], [1, 1]);
    assert_eq!(out.dims(), [1, 1, 4, 5]);
    let v = out.into_data().to_vec::<f32>().expect("f32");
    for (k, value) in v.iter().enumerate() {
        let (y, xx) = (k / 5, k % 5);
        let inside = (1..3).contains(&y) && (1..4).contains(&xx);
        let expected = if inside { x[(y - 1) * 3 + xx - 1] } else { f32::NEG_INFINITY };
        assert_eq!(*value, expected, "output ({y}, {xx})");
    }
}
