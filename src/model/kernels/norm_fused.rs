//! Batch normalisation on burn-ndarray as two parallel passes forward and two backward, with its
//! own backward step.
//!
//! [`crate::model::norm::BatchNorm2d::forward_by_ops`] builds the layer from tensor operations: row sums,
//! a centring, a square, a second sum, a broadcast product and a broadcast sum, each one
//! burn-ndarray pass (most of them single-threaded) and each with its own backward step, so on a
//! ResNet the normalisation's elementwise passes are a large share of a training step (profiles
//! in benches/README.md). Here, on burn-ndarray (f32 or f64, with or
//! without autodiff):
//!
//! * forward: per channel, the batch mean and then the biased variance over `N·H·W` values
//!   (training), accumulated in f64 in one task per channel; then `y = (x − μ)·s + β` with
//!   `s = γ/√(σ² + eps)`, computed in the tensor's own precision as the operation route does, one
//!   task per (example, channel) row;
//! * backward, with `x̂ = (x − μ)/√(σ² + eps)`: `∂β = Σ ∂y`, `∂γ = Σ ∂y·x̂` per channel (f64, one
//!   task per channel), and `∂x = γ/√(σ² + eps) · (∂y − ∂β/M − x̂·∂γ/M)` in training, where
//!   `M = N·H·W` and the batch statistics depend on `x`; `∂x = γ/√(σ² + eps) · ∂y` in evaluation,
//!   where they are the running constants.
//!
//! Determinism: every per-channel sum runs inside one task in a fixed order (examples, then
//! positions, in eight interleaved partial sums added in a fixed order at the end), so the results
//! are the same bits on any thread count; tests/norm_fused.rs checks that and compares values and
//! gradients with the operation route. Any other backend takes the operation route.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::{Autodiff, NdArray};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use burn_ndarray::NdArrayTensor;
use ndarray::{Array, ArcArray, IxDyn};
use num_traits::{AsPrimitive, Float};
use rayon::prelude::*;

use super::layout::standard_layout;
use crate::primitive::{downcast, from_primitive, into_primitive, is_backend, Tracked};

/// Number of interleaved partial sums of a per-channel reduction (one AVX-512 register of f64).
const LANES: usize = 8;

/// Per-channel batch statistics of a training pass, in f64.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchStats {
    /// Mean over `N·H·W` values, `[C]`.
    pub mean: Vec<f64>,
    /// Biased variance over the same values, `[C]`.
    pub var: Vec<f64>,
}

/// Whether [`batch_norm`] runs on `B` (burn-ndarray, with or without autodiff).
pub fn supported<B: Backend>() -> bool {
    is_backend::<B, NdArray<f32>>() || is_backend::<B, NdArray<f64>>() || is_backend::<B, Autodiff<NdArray<f32>>>() || is_backend::<B, Autodiff<NdArray<f64>>>()
}

/// Batch normalisation of `x` `[N, C, H, W]` with scale `gamma` and shift `beta` `[C]`: with the
/// batch statistics when `running` is `None` (training; they are returned), else with the given
/// running mean and variance `[C]` (evaluation). `None` when `B` is not burn-ndarray or an
/// operand is not f32 or f64 of one type; the caller then takes the operation route.
///
/// # Panics
/// Debug builds, when the shapes disagree; training with `N·H·W < 2` is the caller's to refuse.
pub fn batch_norm<B: Backend>(
    x: Tensor<B, 4>,
    gamma: Tensor<B, 1>,
    beta: Tensor<B, 1>,
    running: Option<(Tensor<B, 1>, Tensor<B, 1>)>,
    eps: f64,
) -> Option<(Tensor<B, 4>, Option<BatchStats>)> {
    debug_assert_eq!(x.dims()[1], gamma.dims()[0], "batch norm: γ does not match the channels");
    let running = match running {
        Some((m, v)) => Some((host_values(m)?, host_values(v)?)),
        None => None,
    };
    if is_backend::<B, NdArray<f32>>() || is_backend::<B, NdArray<f64>>() {
        let g = host_values(gamma)?;
        let b = host_values(beta)?;
        let x = into_primitive::<NdArrayTensor, B, 4>(x);
        let (y, stats, _) = forward_tensor(&x, &g, &b, running.as_ref(), eps)?;
        return Some((from_primitive::<NdArrayTensor, B, 4>(y), stats));
    }
    if is_backend::<B, Autodiff<NdArray<f32>>>() {
        return tracked::<B, NdArray<f32>>(x, gamma, beta, running, eps);
    }
    if is_backend::<B, Autodiff<NdArray<f64>>>() {
        return tracked::<B, NdArray<f64>>(x, gamma, beta, running, eps);
    }
    None
}

/// The values of a 1-d tensor as f64 (exact for f32 and f64); `None` for other element types.
fn host_values<B: Backend>(t: Tensor<B, 1>) -> Option<Vec<f64>> {
    let data = t.into_data();
    match data.dtype {
        burn::tensor::DType::F32 => data.to_vec::<f32>().ok().map(|v| v.into_iter().map(f64::from).collect()),
        burn::tensor::DType::F64 => data.to_vec::<f64>().ok(),
        _ => None,
    }
}

/// Geometry of the activations: `n` examples of `c` channels of `hw` positions.
#[derive(Debug, Clone, Copy)]
struct Layout {
    n: usize,
    c: usize,
    hw: usize,
}

impl Layout {
    fn of(dims: &[usize]) -> Option<Self> {
        match *dims {
            [n, c, h, w] => Some(Layout { n, c, hw: h * w }),
            _ => None,
        }
    }
}

/// The forward pass on a burn-ndarray tensor: output, batch statistics when training, and the
/// statistics used (mean, variance).
fn forward_tensor(x: &NdArrayTensor, gamma: &[f64], beta: &[f64], running: Option<&(Vec<f64>, Vec<f64>)>, eps: f64) -> Option<(NdArrayTensor, Option<BatchStats>, BatchStats)> {
    match x {
        NdArrayTensor::F32(s) => {
            let (y, batch, used) = forward_array(&s.clone().into_shared(), gamma, beta, running, eps)?;
            Some((NdArrayTensor::from(y), batch, used))
        }
        NdArrayTensor::F64(s) => {
            let (y, batch, used) = forward_array(&s.clone().into_shared(), gamma, beta, running, eps)?;
            Some((NdArrayTensor::from(y), batch, used))
        }
        _ => None,
    }
}

/// [`forward_tensor`] on an array of element type `E`.
#[allow(clippy::type_complexity)]
fn forward_array<E>(x: &ArcArray<E, IxDyn>, gamma: &[f64], beta: &[f64], running: Option<&(Vec<f64>, Vec<f64>)>, eps: f64) -> Option<(ArcArray<E, IxDyn>, Option<BatchStats>, BatchStats)>
where
    E: Float + AsPrimitive<f64> + Default + Send + Sync,
    f64: AsPrimitive<E>,
{
    let l = Layout::of(x.shape())?;
    if gamma.len() != l.c || beta.len() != l.c || running.is_some_and(|(m, v)| m.len() != l.c || v.len() != l.c) {
        return None;
    }
    let x = standard_layout(&x);
    let xs = x.as_slice().expect("standard layout is contiguous");
    let (used, batch) = match running {
        Some((m, v)) => (BatchStats { mean: m.clone(), var: v.clone() }, None),
        None => {
            let stats = batch_stats(xs, l);
            (stats.clone(), Some(stats))
        }
    };
    // Per channel, in E as the operation route: μ, s = γ/√(σ² + eps), β.
    let eps_e: E = eps.as_();
    let coef: Vec<(E, E, E)> = (0..l.c)
        .map(|ch| {
            let (m, v, g, b): (E, E, E, E) = (used.mean[ch].as_(), used.var[ch].as_(), gamma[ch].as_(), beta[ch].as_());
            (m, g / (v + eps_e).sqrt(), b)
        })
        .collect();
    let mut y = vec![E::zero(); xs.len()];
    if !y.is_empty() && l.hw > 0 {
        y.par_chunks_mut(l.hw).zip(xs.par_chunks(l.hw)).enumerate().for_each(|(row, (dst, src))| {
            let (m, s, b) = coef[row % l.c];
            for (d, &v) in dst.iter_mut().zip(src) {
                *d = (v - m) * s + b;
            }
        });
    }
    let y = Array::from_shape_vec(IxDyn(x.shape()), y).expect("length matches the shape").into_shared();
    Some((y, batch, used))
}

/// `Σ f(i)` over one channel's values, in [`LANES`] interleaved partial sums added in order.
fn channel_sum(l: Layout, ch: usize, mut f: impl FnMut(usize) -> f64) -> f64 {
    let mut acc = [0.0f64; LANES];
    for ex in 0..l.n {
        let start = (ex * l.c + ch) * l.hw;
        let full = l.hw / LANES * LANES;
        for base in (0..full).step_by(LANES) {
            for (k, a) in acc.iter_mut().enumerate() {
                *a += f(start + base + k);
            }
        }
        for (k, i) in (full..l.hw).enumerate() {
            acc[k] += f(start + i);
        }
    }
    acc.iter().sum()
}

/// Per-channel mean and biased variance (two passes) of `x` laid out as `l`, in f64.
fn batch_stats<E: Float + AsPrimitive<f64> + Send + Sync>(x: &[E], l: Layout) -> BatchStats {
    let count = (l.n * l.hw) as f64;
    let (mean, var) = (0..l.c)
        .into_par_iter()
        .map(|ch| {
            let mean = channel_sum(l, ch, |i| x[i].as_()) / count;
            let var = channel_sum(l, ch, |i| {
                let d = x[i].as_() - mean;
                d * d
            }) / count;
            (mean, var)
        })
        .unzip();
    BatchStats { mean, var }
}

/// Gradients of the layer: `(∂x, ∂γ, ∂β)`, `∂x` only when `want_x`; the per-channel sums are
/// skipped (and `∂γ`, `∂β` empty) in evaluation when only `∂x` is wanted (module documentation).
#[allow(clippy::type_complexity)]
fn backward_array<E>(x: &ArcArray<E, IxDyn>, dy: &ArcArray<E, IxDyn>, st: &State, want_x: bool, want_params: bool) -> (Option<ArcArray<E, IxDyn>>, Vec<f64>, Vec<f64>)
where
    E: Float + AsPrimitive<f64> + Default + Send + Sync,
    f64: AsPrimitive<E>,
{
    let l = Layout::of(x.shape()).expect("the forward pass checked the rank");
    let x = standard_layout(&x);
    let dy = standard_layout(&dy);
    let (xs, ds) = (x.as_slice().expect("contiguous"), dy.as_slice().expect("contiguous"));
    let inv_std: Vec<f64> = st.used.var.iter().map(|v| 1.0 / (v + st.eps).sqrt()).collect();
    let sums = want_params || st.train;
    let (dbeta, dgamma): (Vec<f64>, Vec<f64>) = (0..if sums { l.c } else { 0 })
        .into_par_iter()
        .map(|ch| {
            let m = st.used.mean[ch];
            let sum_dy = channel_sum(l, ch, |i| ds[i].as_());
            let sum_dy_xc = channel_sum(l, ch, |i| ds[i].as_() * (xs[i].as_() - m));
            (sum_dy, sum_dy_xc * inv_std[ch])
        })
        .unzip();
    if !want_x {
        return (None, dgamma, dbeta);
    }
    let count = (l.n * l.hw) as f64;
    let mut dx = vec![E::zero(); xs.len()];
    if !dx.is_empty() && l.hw > 0 {
        dx.par_chunks_mut(l.hw).zip(xs.par_chunks(l.hw).zip(ds.par_chunks(l.hw))).enumerate().for_each(|(row, (dst, (xr, dr)))| {
            let ch = row % l.c;
            let (m, r) = (st.used.mean[ch], inv_std[ch]);
            let k = st.gamma[ch] * r;
            if st.train {
                let (a, b) = (dbeta[ch] / count, dgamma[ch] / count);
                for ((d, &xv), &g) in dst.iter_mut().zip(xr).zip(dr) {
                    let xhat = (xv.as_() - m) * r;
                    *d = (k * (g.as_() - a - xhat * b)).as_();
                }
            } else {
                for (d, &g) in dst.iter_mut().zip(dr) {
                    *d = (k * g.as_()).as_();
                }
            }
        });
    }
    let dx = Array::from_shape_vec(IxDyn(x.shape()), dx).expect("length matches the shape").into_shared();
    (Some(dx), dgamma, dbeta)
}

/// What [`NormBackward`] keeps: the input, the statistics the forward pass used, γ, eps and
/// whether those statistics were the batch's.
#[derive(Debug, Clone)]
struct State {
    x: NdArrayTensor,
    used: BatchStats,
    gamma: Vec<f64>,
    eps: f64,
    train: bool,
}

/// [`batch_norm`] on `B` = `Autodiff<I>`, `I` burn-ndarray, with [`NormBackward`].
fn tracked<B: Backend, I: Backend>(x: Tensor<B, 4>, gamma: Tensor<B, 1>, beta: Tensor<B, 1>, running: Option<(Vec<f64>, Vec<f64>)>, eps: f64) -> Option<(Tensor<B, 4>, Option<BatchStats>)> {
    let g = host_values(gamma.clone())?;
    let b = host_values(beta.clone())?;
    let x = into_primitive::<Tracked<I>, B, 4>(x);
    let (gamma, beta) = (into_primitive::<Tracked<I>, B, 1>(gamma), into_primitive::<Tracked<I>, B, 1>(beta));
    let xa: NdArrayTensor = downcast(x.primitive.clone());
    let (y, batch, used) = forward_tensor(&xa, &g, &b, running.as_ref(), eps)?;
    let y: I::FloatTensorPrimitive = downcast(y);
    let out = match NormBackward.prepare::<NoCheckpointing>([x.node.clone(), gamma.node.clone(), beta.node.clone()]).compute_bound().stateful() {
        OpsKind::Tracked(prep) => prep.finish(State { x: xa, used, gamma: g, eps, train: running.is_none() }, y),
        OpsKind::UnTracked(prep) => prep.finish(y),
    };
    Some((from_primitive::<Tracked<I>, B, 4>(out), batch))
}

/// Backward step of [`batch_norm`]: [`backward_array`].
#[derive(Debug)]
struct NormBackward;

/// A `[C]` gradient as a burn-ndarray tensor of element type `E`.
fn channel_grad<E: Copy + 'static>(v: &[f64]) -> ArcArray<E, IxDyn>
where
    f64: AsPrimitive<E>,
{
    Array::from_shape_vec(IxDyn(&[v.len()]), v.iter().map(|g| g.as_()).collect()).expect("length matches the shape").into_shared()
}

impl<I: Backend> Backward<I, 3> for NormBackward {
    type State = State;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let [node_x, node_g, node_b] = ops.parents;
        let grad = grads.consume::<I>(&ops.node);
        let st = &ops.state;
        let (want_x, want_params) = (node_x.is_some(), node_g.is_some() || node_b.is_some());
        let (dx, dg, db) = match (&st.x, downcast::<_, NdArrayTensor>(grad)) {
            (NdArrayTensor::F32(x), NdArrayTensor::F32(g)) => {
                let (dx, dg, db) = backward_array(&x.clone().into_shared(), &g.into_shared(), st, want_x, want_params);
                (dx.map(NdArrayTensor::from), NdArrayTensor::from(channel_grad::<f32>(&dg)), NdArrayTensor::from(channel_grad::<f32>(&db)))
            }
            (NdArrayTensor::F64(x), NdArrayTensor::F64(g)) => {
                let (dx, dg, db) = backward_array(&x.clone().into_shared(), &g.into_shared(), st, want_x, want_params);
                (dx.map(NdArrayTensor::from), NdArrayTensor::from(channel_grad::<f64>(&dg)), NdArrayTensor::from(channel_grad::<f64>(&db)))
            }
            // The forward pass ran only on f32 or f64 inputs, and a gradient has its output's type.
            _ => unreachable!("the gradient of an f32 or f64 batch norm output has the input's type"),
        };
        if let (Some(node), Some(dx)) = (node_x, dx) {
            grads.register::<I>(node.id, downcast(dx));
        }
        if let Some(node) = node_g {
            grads.register::<I>(node.id, downcast(dg));
        }
        if let Some(node) = node_b {
            grads.register::<I>(node.id, downcast(db));
        }
    }
}
