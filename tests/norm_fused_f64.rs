//! The fused batch normalisation of `model::kernels::norm_fused` in f64 (its own binary: burn 0.21 fixes a
//! device's float dtype process-wide at its first use): its gradients with respect to the input,
//! γ and β against central finite differences of `L = Σ R ⊙ BN(x)`, in training (the batch
//! statistics depend on x) and evaluation, and its outputs and gradients against the operation
//! route (`BatchNorm2d::forward_by_ops`) to f64 rounding.

use burn::backend::{Autodiff, NdArray};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use inputgrad::model::graph_lock::graph_lock;
use inputgrad::model::norm::BatchNorm2d;
use inputgrad::model::Mode;
use inputgrad::{prec, Seed};
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};

type I = NdArray<f64>;
type A = Autodiff<I>;

const DIMS: [usize; 4] = [3, 2, 3, 4];

fn values<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f64> {
    t.into_data().to_vec::<f64>().expect("f64 tensor")
}

fn normals(len: usize, seed: u64, scale: f64, shift: f64) -> Vec<f64> {
    let mut rng = Seed(seed).rng();
    (0..len).map(|_| shift + scale * Distribution::<f64>::sample(&StandardNormal, &mut rng)).collect()
}

/// γ, β, running mean, running variance of a layer over `c` channels.
fn state(c: usize, seed: u64) -> [Vec<f64>; 4] {
    let mut rng = Seed(seed).rng();
    let mut draw = |lo: f64, hi: f64| (0..c).map(|_| rng.random_range(lo..hi)).collect::<Vec<f64>>();
    [draw(0.5, 2.0), draw(-1.0, 1.0), draw(-1.0, 1.0), draw(0.5, 2.0)]
}

fn layer<B: Backend>(s: &[Vec<f64>; 4]) -> BatchNorm2d<B> {
    let dev = Default::default();
    let t = |v: &Vec<f64>| Tensor::<B, 1>::from_data(TensorData::new(v.clone(), [v.len()]), &dev);
    BatchNorm2d::from_tensors(t(&s[0]), t(&s[1]), t(&s[2]), t(&s[3]))
}

/// `L = Σ R ⊙ BN(x)` without autodiff (a fresh layer, so training passes start from the same
/// running statistics).
fn loss(x: &[f64], s: &[Vec<f64>; 4], r: &[f64], mode: Mode) -> f64 {
    let dev = Default::default();
    let y = layer::<I>(s).forward(Tensor::<I, 4>::from_data(TensorData::new(x.to_vec(), DIMS), &dev), mode);
    values(y).iter().zip(r).map(|(a, b)| a * b).sum()
}

/// Output and gradients (x, γ, β) on the autodiff backend, fused or by operations.
fn autodiff(x: &[f64], s: &[Vec<f64>; 4], r: &[f64], mode: Mode, fused: bool) -> [Vec<f64>; 4] {
    let _graph = graph_lock();
    let dev = Default::default();
    let bn = layer::<A>(s);
    let xt = Tensor::<A, 4>::from_data(TensorData::new(x.to_vec(), DIMS), &dev).require_grad();
    let rt = Tensor::<A, 4>::from_data(TensorData::new(r.to_vec(), DIMS), &dev);
    let y = if fused { bn.forward(xt.clone(), mode) } else { bn.forward_by_ops(xt.clone(), mode) };
    let grads = (y.clone() * rt).sum().backward();
    [values(y), values(xt.grad(&grads).expect("∂x")), values(bn.gamma.val().grad(&grads).expect("∂γ")), values(bn.beta.val().grad(&grads).expect("∂β"))]
}

#[test]
fn fused_gradients_match_central_differences() {
    let len: usize = DIMS.iter().product();
    let (x, r, s) = (normals(len, 1, 1.5, 0.4), normals(len, 2, 1.0, 0.0), state(DIMS[1], 3));
    let h = prec::FD_STEP;
    for mode in [Mode::Train, Mode::Eval] {
        let [_, dx, dg, db] = autodiff(&x, &s, &r, mode, true);
        // Every input entry.
        for i in 0..len {
            let (mut xp, mut xm) = (x.clone(), x.clone());
            xp[i] += h;
            xm[i] -= h;
            let fd = (loss(&xp, &s, &r, mode) - loss(&xm, &s, &r, mode)) / (2.0 * h);
            assert!((fd - dx[i]).abs() <= prec::FD_TOL * (1.0 + fd.abs()), "{mode:?} ∂x[{i}]: {} vs difference {fd}", dx[i]);
        }
        // Every γ and β entry.
        for (which, grad) in [(0, &dg), (1, &db)] {
            for ch in 0..DIMS[1] {
                let (mut sp, mut sm) = (s.clone(), s.clone());
                sp[which][ch] += h;
                sm[which][ch] -= h;
                let fd = (loss(&x, &sp, &r, mode) - loss(&x, &sm, &r, mode)) / (2.0 * h);
                assert!((fd - grad[ch]).abs() <= prec::FD_TOL * (1.0 + fd.abs()), "{mode:?} parameter {which}[{ch}]: {} vs difference {fd}", grad[ch]);
            }
        }
    }
}

#[test]
fn fused_equals_the_operation_route_to_f64_rounding() {
    let len: usize = DIMS.iter().product();
    let (x, r, s) = (normals(len, 4, 3.0, -1.0), normals(len, 5, 1.0, 0.0), state(DIMS[1], 6));
    for mode in [Mode::Train, Mode::Eval] {
        let (f, o) = (autodiff(&x, &s, &r, mode, true), autodiff(&x, &s, &r, mode, false));
        for (k, what) in ["output", "∂x", "∂γ", "∂β"].into_iter().enumerate() {
            let scale = o[k].iter().fold(1.0f64, |m, v| m.max(v.abs()));
            let gap = f[k].iter().zip(&o[k]).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max) / scale;
            assert!(gap <= prec::EXACT, "{mode:?} {what}: differs by {gap:e}");
        }
    }
}

