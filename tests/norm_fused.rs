//! The fused batch normalisation of `model::kernels::norm_fused` (f32) against the route built from tensor
//! operations (`BatchNorm2d::forward_by_ops`): outputs, running statistics and the gradients with
//! respect to the input, γ and β, in training and evaluation, on random shapes; a constant channel
//! normalised to β exactly; and the same bits on 1, 2 and 3 threads. tests/norm_fused_f64.rs
//! checks the gradients against finite differences in f64; tests/models_conv.rs checks the
//! layer's outputs and running statistics against a hand computation.

use burn::backend::{Autodiff, NdArray};
use burn::module::Module;
use burn::tensor::{Tensor, TensorData};
use inputgrad::model::graph_lock::graph_lock;
use inputgrad::model::norm::BatchNorm2d;
use inputgrad::model::Mode;
use inputgrad::{prec, Seed};
use proptest::prelude::*;
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};

type I = NdArray<f32>;
type A = Autodiff<I>;

fn values<B: burn::tensor::backend::Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f64> {
    t.into_data().to_vec::<f32>().expect("f32 tensor").into_iter().map(f64::from).collect()
}

fn bits<B: burn::tensor::backend::Backend, const D: usize>(t: Tensor<B, D>) -> Vec<u32> {
    t.into_data().to_vec::<f32>().expect("f32 tensor").into_iter().map(f32::to_bits).collect()
}

/// `len` draws of `shift + scale·N(0, 1)` from `seed`.
fn normals(len: usize, seed: u64, scale: f32, shift: f32) -> Vec<f32> {
    let mut rng = Seed(seed).rng();
    (0..len).map(|_| shift + scale * Distribution::<f64>::sample(&StandardNormal, &mut rng) as f32).collect()
}

/// A layer over `c` channels with γ, β and running statistics away from their initial values.
fn layer<B: burn::tensor::backend::Backend>(c: usize, seed: u64) -> BatchNorm2d<B> {
    let dev = Default::default();
    let mut rng = Seed(seed).rng();
    let mut draw = |lo: f32, hi: f32| Tensor::<B, 1>::from_data(TensorData::new((0..c).map(|_| rng.random_range(lo..hi)).collect::<Vec<f32>>(), [c]), &dev);
    let (gamma, beta, mean, var) = (draw(0.5, 2.0), draw(-1.0, 1.0), draw(-1.0, 1.0), draw(0.5, 2.0));
    BatchNorm2d::from_tensors(gamma, beta, mean, var)
}

/// Output, input gradient, γ and β gradients and running statistics of one pass of
/// `L = Σ R ⊙ BN(x)`, fused or by operations.
struct Pass {
    y: Vec<f64>,
    dx: Vec<f64>,
    dgamma: Vec<f64>,
    dbeta: Vec<f64>,
    running: Vec<f64>,
}

fn pass(dims: [usize; 4], mode: Mode, fused: bool, seed: u64) -> Pass {
    let _graph = graph_lock();
    let dev = Default::default();
    let len = dims.iter().product();
    let bn = layer::<A>(dims[1], seed);
    let x = Tensor::<A, 4>::from_data(TensorData::new(normals(len, seed + 1, 1.5, 0.7), dims), &dev).require_grad();
    let r = Tensor::<A, 4>::from_data(TensorData::new(normals(len, seed + 2, 1.0, 0.0), dims), &dev);
    let y = if fused { bn.forward(x.clone(), mode) } else { bn.forward_by_ops(x.clone(), mode) };
    let grads = (y.clone() * r).sum().backward();
    let (rm, rv) = bn.running_stats();
    Pass {
        y: values(y),
        dx: values(x.grad(&grads).expect("input gradient")),
        dgamma: values(bn.gamma.val().grad(&grads).expect("γ gradient")),
        dbeta: values(bn.beta.val().grad(&grads).expect("β gradient")),
        running: values(rm).into_iter().chain(values(rv)).collect(),
    }
}

/// Largest |a − b| relative to the reference's largest entry (at least 1).
fn rel_gap(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max) / scale
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn fused_batch_norm_equals_the_operation_route(n in 1usize..5, c in 1usize..6, h in 1usize..7, w in 1usize..7, train in any::<bool>(), seed in 0u64..1000) {
        prop_assume!(!train || n * h * w > 1);
        let mode = if train { Mode::Train } else { Mode::Eval };
        let dims = [n, c, h, w];
        let (f, o) = (pass(dims, mode, true, seed), pass(dims, mode, false, seed));
        for (what, a, b) in [("output", &f.y, &o.y), ("∂x", &f.dx, &o.dx), ("∂γ", &f.dgamma, &o.dgamma), ("∂β", &f.dbeta, &o.dbeta), ("running stats", &f.running, &o.running)] {
            let gap = rel_gap(a, b);
            prop_assert!(gap <= prec::F32_EXACT, "{:?} {:?}: {} differs by {:e}", dims, mode, what, gap);
        }
    }
}

#[test]
fn input_gradient_alone_equals_the_one_with_parameter_gradients() {
    // Attributions differentiate with the parameters untracked; the evaluation backward then
    // skips the per-channel sums, and training needs them for ∂x anyway.
    for mode in [Mode::Eval, Mode::Train] {
        let dims = [3, 4, 5, 6];
        let with = pass(dims, mode, true, 7).dx;
        let _graph = graph_lock();
        let dev = Default::default();
        let bn = layer::<A>(dims[1], 7).no_grad();
        let len = dims.iter().product();
        let x = Tensor::<A, 4>::from_data(TensorData::new(normals(len, 8, 1.5, 0.7), dims), &dev).require_grad();
        let r = Tensor::<A, 4>::from_data(TensorData::new(normals(len, 9, 1.0, 0.0), dims), &dev);
        let grads = (bn.forward(x.clone(), mode) * r).sum().backward();
        assert_eq!(values(x.grad(&grads).expect("input gradient")), with, "{mode:?}");
    }
}

#[test]
fn fused_batch_norm_without_autodiff_equals_the_operation_route() {
    let dims = [4, 3, 5, 2];
    let dev = Default::default();
    let x = Tensor::<I, 4>::from_data(TensorData::new(normals(dims.iter().product(), 11, 2.0, -0.5), dims), &dev);
    for mode in [Mode::Train, Mode::Eval] {
        let (a, b) = (layer::<I>(3, 12), layer::<I>(3, 12));
        let ya = values(a.forward(x.clone(), mode));
        let yb = values(b.forward_by_ops(x.clone(), mode));
        assert!(rel_gap(&ya, &yb) <= prec::F32_EXACT, "{mode:?}: outputs differ by {:e}", rel_gap(&ya, &yb));
        let stats = |l: &BatchNorm2d<I>| {
            let (m, v) = l.running_stats();
            values(m).into_iter().chain(values(v)).collect::<Vec<_>>()
        };
        assert!(rel_gap(&stats(&a), &stats(&b)) <= prec::F32_EXACT, "{mode:?}: running statistics differ");
    }
}

#[test]
fn a_constant_channel_normalises_to_beta_exactly() {
    // The batch mean of equal values is that value exactly (an f64 sum of at most 2^29 equal f32
    // values is exact), so x − μ = 0 and y = β however large 1/√(0 + eps) is.
    let _graph = graph_lock();
    let dev = Default::default();
    let dims = [3, 2, 4, 5];
    let mut x = normals(dims.iter().product(), 13, 1.0, 0.0);
    for ex in 0..3 {
        x[(ex * 2 + 1) * 20..(ex * 2 + 2) * 20].fill(0.3);
    }
    let bn = layer::<A>(2, 14);
    let beta = values(bn.beta.val());
    let y = values(bn.forward(Tensor::<A, 4>::from_data(TensorData::new(x, dims), &dev), Mode::Train));
    for ex in 0..3 {
        assert!(y[(ex * 2 + 1) * 20..(ex * 2 + 2) * 20].iter().all(|&v| v == beta[1]), "example {ex}: {:?}", &y[(ex * 2 + 1) * 20..(ex * 2 + 2) * 20]);
    }
}

/// Bits of the output, input gradient and γ gradient of a training pass of a ResNet-sized layer.
fn layer_bits(dims: [usize; 4], mode: Mode) -> Vec<Vec<u32>> {
    let _graph = graph_lock();
    let dev = Default::default();
    let len = dims.iter().product();
    let bn = layer::<A>(dims[1], 15);
    let x = Tensor::<A, 4>::from_data(TensorData::new(normals(len, 16, 1.0, 0.2), dims), &dev).require_grad();
    let r = Tensor::<A, 4>::from_data(TensorData::new(normals(len, 17, 1.0, 0.0), dims), &dev);
    let y = bn.forward(x.clone(), mode);
    let grads = (y.clone() * r).sum().backward();
    vec![bits(y), bits(x.grad(&grads).expect("input gradient")), bits(bn.gamma.val().grad(&grads).expect("γ gradient"))]
}

#[test]
fn fused_batch_norm_is_independent_of_the_thread_count() {
    // The ResNet18 stem's normalisation on BlockMNIST (batch 8 of 64 × 28 × 14) and a layer with
    // fewer channels than threads.
    for dims in [[8, 64, 28, 14], [5, 2, 9, 11]] {
        for mode in [Mode::Train, Mode::Eval] {
            let runs: Vec<Vec<Vec<u32>>> = [1, 2, 3]
                .into_iter()
                .map(|threads| rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("rayon pool").install(|| layer_bits(dims, mode)))
                .collect();
            assert!(runs[1] == runs[0] && runs[2] == runs[0], "{dims:?} {mode:?}: results depend on the thread count");
        }
    }
}
