//! Max-pooling on burn-ndarray in one pass, with a backward pass that routes each output's
//! gradient to the input element that won its window.
//!
//! [`crate::model::conv::max_pool2d`] built from tensor operations takes the maximum over k² strided
//! windows stacked along a new axis; its backward pass splits the gradient into k² slices and
//! runs k² slice backwards, each a zero fill and assignment of the whole padded input plus an
//! addition (burn-autodiff's `cat` and `slice` steps), so one 3×3 pooling layer costs a visible
//! share of an input-gradient pass through a ResNet with the ImageNet stem (profiles in
//! benches/README.md). Here, on burn-ndarray (f32 or f64, with or without autodiff), the forward pass
//! records for every output the input position that won (the first maximum in the window's row
//! order, padding never winning), and the backward pass adds each output's gradient there, one
//! (example, channel) plane per task in output order, so the sums are the same on any thread
//! count. tests/conv_ops.rs compares values and gradients with burn's `max_pool2d`. Any other
//! backend, an input with a NaN, or a window on padding alone takes the slice route
//! ([`crate::model::conv::max_pool2d`]).

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::{Autodiff, NdArray};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use burn_ndarray::NdArrayTensor;
use ndarray::{ArcArray, Array, IxDyn};
use rayon::prelude::*;

use super::im2col::Patches;
use super::layout::standard_layout;
use crate::primitive::{downcast, from_primitive, into_primitive, is_backend, Tracked};

/// The maximum of every pooling window `p` of `x` (padding never wins), or `x` back when `B`
/// is not burn-ndarray or `x` holds a NaN (the caller then takes the slice route).
pub fn max_pool_fast<B: Backend>(x: Tensor<B, 4>, p: &Patches) -> Result<Tensor<B, 4>, Tensor<B, 4>> {
    if is_backend::<B, NdArray<f32>>() || is_backend::<B, NdArray<f64>>() {
        let x = into_primitive::<NdArrayTensor, B, 4>(x);
        return match pool_ndarray(x.clone(), p) {
            Some((out, _)) => Ok(from_primitive::<NdArrayTensor, B, 4>(out)),
            None => Err(from_primitive::<NdArrayTensor, B, 4>(x)),
        };
    }
    if is_backend::<B, Autodiff<NdArray<f32>>>() {
        return tracked_pool::<B, NdArray<f32>>(x, p);
    }
    if is_backend::<B, Autodiff<NdArray<f64>>>() {
        return tracked_pool::<B, NdArray<f64>>(x, p);
    }
    Err(x)
}

/// Output `[n, c, oh, ow]` and, per output, the winning position within its input plane.
fn pool_ndarray(x: NdArrayTensor, p: &Patches) -> Option<(NdArrayTensor, Vec<u32>)> {
    match x {
        NdArrayTensor::F32(x) => pool_array(&x.into_shared(), p).map(|(o, i)| (NdArrayTensor::from(o), i)),
        NdArrayTensor::F64(x) => pool_array(&x.into_shared(), p).map(|(o, i)| (NdArrayTensor::from(o), i)),
        _ => None,
    }
}

/// Max-pooling of `x` (any layout) and the winners' positions; `None` if `x` has a NaN, a
/// window lies on padding alone, or a plane is too large for 32-bit positions.
fn pool_array<E: Copy + PartialOrd + Default + Send + Sync>(x: &ArcArray<E, IxDyn>, p: &Patches) -> Option<(ArcArray<E, IxDyn>, Vec<u32>)> {
    let plane = p.h * p.w;
    if u32::try_from(plane).is_err() {
        return None;
    }
    // A window on padding alone (padding as large as the kernel, which PyTorch refuses) has no
    // winner: the slice route gives −∞ there.
    let covered = (0..p.oh).all(|oy| (0..p.kh).any(|i| p.in_row(oy, i).is_some())) && (0..p.ow).all(|ox| (0..p.kw).any(|j| p.in_col(ox, j).is_some()));
    if !covered {
        return None;
    }
    let x = standard_layout(&x);
    let x = x.as_slice().expect("standard layout is contiguous");
    // NaN is the one value that is not equal to itself.
    #[allow(clippy::eq_op)]
    if x.par_iter().any(|v| v != v) {
        return None;
    }
    let out_plane = p.oh * p.ow;
    let mut out = vec![E::default(); p.n * p.c * out_plane];
    let mut arg = vec![0u32; out.len()];
    if !out.is_empty() {
        out.par_chunks_mut(out_plane).zip(arg.par_chunks_mut(out_plane)).enumerate().for_each(|(bc, (dst, at))| {
            let src = &x[bc * plane..(bc + 1) * plane];
            for oy in 0..p.oh {
                for ox in 0..p.ow {
                    let mut best: Option<(E, usize)> = None;
                    for i in 0..p.kh {
                        let Some(y) = p.in_row(oy, i) else { continue };
                        for j in 0..p.kw {
                            let Some(xx) = p.in_col(ox, j) else { continue };
                            let v = src[y * p.w + xx];
                            if best.is_none_or(|(b, _)| v > b) {
                                best = Some((v, y * p.w + xx));
                            }
                        }
                    }
                    // Every window holds an input element (checked above).
                    let (v, k) = best.expect("a pooling window covers at least one input element");
                    dst[oy * p.ow + ox] = v;
                    at[oy * p.ow + ox] = k as u32;
                }
            }
        });
    }
    let out = Array::from_shape_vec(IxDyn(&[p.n, p.c, p.oh, p.ow]), out).expect("length matches the shape").into_shared();
    Some((out, arg))
}

/// The input gradient of max-pooling: each output's gradient added at its winner's position.
fn unpool_array<E: Copy + Default + std::ops::AddAssign + Send + Sync>(g: &ArcArray<E, IxDyn>, arg: &[u32], p: &Patches) -> ArcArray<E, IxDyn> {
    let g = standard_layout(&g);
    let g = g.as_slice().expect("standard layout is contiguous");
    let (plane, out_plane) = (p.h * p.w, p.oh * p.ow);
    let mut dx = vec![E::default(); p.n * p.c * plane];
    if !dx.is_empty() {
        dx.par_chunks_mut(plane).enumerate().for_each(|(bc, dst)| {
            let (gs, at) = (&g[bc * out_plane..(bc + 1) * out_plane], &arg[bc * out_plane..(bc + 1) * out_plane]);
            for (v, &k) in gs.iter().zip(at) {
                dst[k as usize] += *v;
            }
        });
    }
    Array::from_shape_vec(IxDyn(&[p.n, p.c, p.h, p.w]), dx).expect("length matches the shape").into_shared()
}

/// [`max_pool_fast`] on `B` = `Autodiff<I>`, `I` burn-ndarray, with [`PoolBackward`].
fn tracked_pool<B: Backend, I: Backend>(x: Tensor<B, 4>, p: &Patches) -> Result<Tensor<B, 4>, Tensor<B, 4>> {
    let x = into_primitive::<Tracked<I>, B, 4>(x);
    let Some((out, arg)) = pool_ndarray(downcast(x.primitive.clone()), p) else {
        return Err(from_primitive::<Tracked<I>, B, 4>(x));
    };
    let out: I::FloatTensorPrimitive = downcast(out);
    let out = match PoolBackward.prepare::<NoCheckpointing>([x.node.clone()]).compute_bound().stateful() {
        OpsKind::Tracked(prep) => prep.finish(PoolState { patches: *p, winners: std::sync::Arc::new(arg) }, out),
        OpsKind::UnTracked(prep) => prep.finish(out),
    };
    Ok(from_primitive::<Tracked<I>, B, 4>(out))
}

/// What [`PoolBackward`] keeps: the geometry and the winners' positions.
#[derive(Debug, Clone)]
struct PoolState {
    patches: Patches,
    winners: std::sync::Arc<Vec<u32>>,
}

/// Backward step of [`max_pool_fast`]: [`unpool_array`].
#[derive(Debug)]
struct PoolBackward;

impl<I: Backend> Backward<I, 1> for PoolBackward {
    type State = PoolState;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let [node] = ops.parents;
        let grad = grads.consume::<I>(&ops.node);
        let Some(node) = node else { return };
        let PoolState { patches, winners } = &ops.state;
        let gx = match downcast::<_, NdArrayTensor>(grad) {
            NdArrayTensor::F32(g) => NdArrayTensor::from(unpool_array(&g.into_shared(), winners, patches)),
            NdArrayTensor::F64(g) => NdArrayTensor::from(unpool_array(&g.into_shared(), winners, patches)),
            // The forward pass ran only on f32 or f64 inputs, and a gradient has its output's type.
            _ => unreachable!("the gradient of an f32 or f64 pooling output is f32 or f64"),
        };
        grads.register::<I>(node.id, downcast(gx));
    }
}
