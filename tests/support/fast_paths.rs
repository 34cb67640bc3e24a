//! The CPU fast paths against burn's own operations on `Autodiff<NdArray<E>>`: `model::fc::forward`
//! against `Linear::forward`, `model::fc::matmul_wt` against `x.matmul(w.transpose())` and
//! `model::relu::relu` against burn's `relu` — the same output and bitwise the same gradients
//! (shared by tests/fc.rs and tests/relu.rs, f32, and tests/fc_f64.rs, f64 — separate binaries
//! because burn 0.21 fixes a device's float dtype process-wide at its first use).

use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Element, Tensor, TensorData};
use inputgrad::model::{fc, relu};
use inputgrad::model::graph_lock::graph_lock;
use inputgrad::Seed;
use rand::Rng as _;

/// Which of the layer's operands are tracked: the input (input gradients, a hidden layer in
/// training), the parameters (training), or both.
#[derive(Debug, Clone, Copy)]
pub struct Tracked {
    /// Input tracked.
    pub x: bool,
    /// Weight and bias tracked.
    pub params: bool,
}

/// Panics unless `a` and `b` hold bitwise the same values, naming the first that differs
/// (f32 → f64 is exact, so comparing the f64 bits compares the original bits).
fn assert_bitwise<B: burn::tensor::backend::Backend, const D: usize>(a: Tensor<B, D>, b: Tensor<B, D>, what: &str) {
    assert_eq!(a.dims(), b.dims(), "{what}: shapes differ");
    let a: Vec<f64> = a.into_data().convert::<f64>().to_vec().expect("f64 values");
    let b: Vec<f64> = b.into_data().convert::<f64>().to_vec().expect("f64 values");
    let differing = a.iter().zip(&b).filter(|(x, y)| x.to_bits() != y.to_bits()).count();
    if let Some(i) = a.iter().zip(&b).position(|(x, y)| x.to_bits() != y.to_bits()) {
        panic!("{what}: {differing} of {} values differ; first at {i}: {:e} against burn's {:e}", a.len(), a[i], b[i]);
    }
}

/// Uniform(−1, 1) values of the given shapes in `A`'s element type, from `seed`.
fn draws<A: AutodiffBackend, const K: usize>(seed: u64, shapes: [&[usize]; K]) -> [TensorData; K] {
    let mut rng = Seed(seed).rng();
    shapes.map(|shape| {
        let v: Vec<f64> = (0..shape.iter().product()).map(|_| rng.random_range(-1.0..1.0)).collect();
        TensorData::new(v, shape.to_vec()).convert::<A::FloatElem>()
    })
}

/// Differentiates `Σ R ⊙ layer(x)` (random `R`) through both routes for a layer `[d_in, out]`
/// and a batch of `n` on the backend `A` (`Autodiff<NdArray<f32 or f64>>`), and panics unless
/// outputs and every tracked gradient agree bit for bit.
pub fn matches_burn<A: AutodiffBackend>(n: usize, d_in: usize, out: usize, seed: u64, tracked: Tracked) {
    let dev = Default::default();
    let [wd, bd, xd, rd] = draws::<A, 4>(seed, [&[d_in, out], &[out], &[n, d_in], &[n, out]]);
    let layer = || {
        let w = Tensor::<A, 2>::from_data(wd.clone(), &dev);
        let b = Tensor::<A, 1>::from_data(bd.clone(), &dev);
        let (w, b) = if tracked.params { (w.require_grad(), b.require_grad()) } else { (w, b) };
        Linear { weight: Param::from_tensor(w), bias: Some(Param::from_tensor(b)) }
    };
    let x = || {
        let x = Tensor::<A, 2>::from_data(xd.clone(), &dev);
        if tracked.x { x.require_grad() } else { x }
    };
    let r = Tensor::<A, 2>::from_data(rd.clone(), &dev);
    assert_eq!(r.dtype(), <A::FloatElem as Element>::dtype(), "the backend computes in another dtype than its element type");
    let _graph = graph_lock();
    let (ours_layer, ours_x, theirs_layer, theirs_x) = (layer(), x(), layer(), x());
    let ours = fc::forward(&ours_layer, ours_x.clone());
    let theirs = theirs_layer.forward(theirs_x.clone());
    assert_bitwise(ours.clone(), theirs.clone(), &format!("forward pass at n={n}, d_in={d_in}, out={out}"));
    let g_ours = (ours * r.clone()).sum().backward();
    let g_theirs = (theirs * r).sum().backward();
    let ctx = format!("n={n}, d_in={d_in}, out={out}, {tracked:?}");
    if tracked.x {
        let a = ours_x.grad(&g_ours).expect("input gradient");
        let b = theirs_x.grad(&g_theirs).expect("input gradient");
        assert_bitwise(a, b, &format!("input gradient, {ctx}"));
    }
    if tracked.params {
        let a = ours_layer.weight.val().grad(&g_ours).expect("weight gradient");
        let b = theirs_layer.weight.val().grad(&g_theirs).expect("weight gradient");
        assert_bitwise(a, b, &format!("weight gradient, {ctx}"));
        let a = ours_layer.bias.as_ref().unwrap().val().grad(&g_ours).expect("bias gradient");
        let b = theirs_layer.bias.as_ref().unwrap().val().grad(&g_theirs).expect("bias gradient");
        assert_bitwise(a, b, &format!("bias gradient, {ctx}"));
    }
}

/// As [`matches_burn`] for [`fc::matmul_wt`] — `x` `[n, d_in]` times the transpose of `w`
/// `[out, d_in]`, the unrolled convolution's product — against burn's `x.matmul(w.transpose())`
/// (`tracked.params` tracks `w`).
pub fn matmul_wt_matches_burn<A: AutodiffBackend>(n: usize, d_in: usize, out: usize, seed: u64, tracked: Tracked) {
    let dev = Default::default();
    let [wd, xd, rd] = draws::<A, 3>(seed, [&[out, d_in], &[n, d_in], &[n, out]]);
    let make = |d: &TensorData, track: bool| {
        let t = Tensor::<A, 2>::from_data(d.clone(), &dev);
        if track { t.require_grad() } else { t }
    };
    let r = Tensor::<A, 2>::from_data(rd, &dev);
    assert_eq!(r.dtype(), <A::FloatElem as Element>::dtype(), "the backend computes in another dtype than its element type");
    let _graph = graph_lock();
    let (ours_x, ours_w, theirs_x, theirs_w) = (make(&xd, tracked.x), make(&wd, tracked.params), make(&xd, tracked.x), make(&wd, tracked.params));
    let ours = fc::matmul_wt(ours_x.clone(), ours_w.clone());
    let theirs = theirs_x.clone().matmul(theirs_w.clone().transpose());
    let ctx = format!("x Wᵀ, n={n}, d_in={d_in}, out={out}, {tracked:?}");
    assert_bitwise(ours.clone(), theirs.clone(), &format!("forward pass, {ctx}"));
    let g_ours = (ours * r.clone()).sum().backward();
    let g_theirs = (theirs * r).sum().backward();
    if tracked.x {
        assert_bitwise(ours_x.grad(&g_ours).expect("input gradient"), theirs_x.grad(&g_theirs).expect("input gradient"), &format!("input gradient, {ctx}"));
    }
    if tracked.params {
        assert_bitwise(ours_w.grad(&g_ours).expect("weight gradient"), theirs_w.grad(&g_theirs).expect("weight gradient"), &format!("weight gradient, {ctx}"));
    }
}

/// Differentiates `Σ R ⊙ relu(x)` (random `R`) through `model::relu::relu` and burn's `relu` for
/// an input of `shape` drawn from `seed`, every `special_every`-th element replaced in turn by
/// `0`, `−0`, NaN, the smallest positive and negative subnormals and ±∞ (none when 0); panics
/// unless outputs and input gradients agree bit for bit. Returns how many input elements were
/// `≤ 0` (where the gradient is zeroed).
pub fn relu_matches_burn<A: AutodiffBackend, const D: usize>(shape: [usize; D], seed: u64, special_every: usize) -> usize {
    let dev = Default::default();
    let n: usize = shape.iter().product();
    let mut rng = Seed(seed).rng();
    let specials = [0.0, -0.0, f64::NAN, f64::from(f32::from_bits(1)), -f64::from(f32::from_bits(1)), f64::INFINITY, f64::NEG_INFINITY];
    let values: Vec<f64> = (0..n)
        .map(|i| match special_every {
            k if k > 0 && i % k == 0 => specials[(i / k) % specials.len()],
            _ => rng.random_range(-1.0..1.0),
        })
        .collect();
    let upstream: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
    let xd = TensorData::new(values, shape.to_vec()).convert::<A::FloatElem>();
    let rd = TensorData::new(upstream, shape.to_vec()).convert::<A::FloatElem>();
    let r = Tensor::<A, D>::from_data(rd, &dev);
    assert_eq!(r.dtype(), <A::FloatElem as Element>::dtype(), "the backend computes in another dtype than its element type");
    let _graph = graph_lock();
    let (ours_x, theirs_x) = (Tensor::<A, D>::from_data(xd.clone(), &dev).require_grad(), Tensor::<A, D>::from_data(xd.clone(), &dev).require_grad());
    let ours = relu::relu(ours_x.clone());
    let theirs = burn::tensor::activation::relu(theirs_x.clone());
    let ctx = format!("relu, shape {shape:?}, seed {seed}, specials every {special_every}");
    assert_bitwise(ours.clone(), theirs.clone(), &format!("forward pass, {ctx}"));
    let g_ours = (ours * r.clone()).sum().backward();
    let g_theirs = (theirs * r).sum().backward();
    assert_bitwise(ours_x.grad(&g_ours).expect("input gradient"), theirs_x.grad(&g_theirs).expect("input gradient"), &format!("input gradient, {ctx}"));
    let x: Vec<f64> = xd.convert::<f64>().to_vec().expect("f64 values");
    x.iter().filter(|v| **v <= 0.0).count()
}
