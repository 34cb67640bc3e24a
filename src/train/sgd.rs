//! SGD with momentum and weight decay, updating each parameter and its velocity in one pass.
//!
//! The arithmetic is burn's `Sgd` exactly — g ← g + wd·θ, v ← (1 − dampening)·g + μ·v (v ← g on
//! the first step), the Nesterov direction μ·v + g if asked, θ ← θ − lr·d — in f32, operation by
//! operation in the same order, so the weights are bitwise those burn's optimiser gives (a test
//! checks it). The state record has the same field names as burn's (`momentum`, `velocity`), so
//! checkpoints written by either load in the other.
//!
//! On the CPU backend ([`Cpu`](super::Cpu)) the update runs in place on the parameter's and the
//! velocity's buffers, on all cores; burn's version runs five to seven separate tensor operations,
//! most allocating a fresh buffer the size of the parameter (for the 14.7M parameters of the
//! seed-000 MLP that was a third of a training step). On any other backend it runs burn's tensor
//! operations.

use std::any::Any;

use burn::optim::SimpleOptimizer;
use burn::record::Record;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorPrimitive};
use burn_flex::{FlexTensor, Layout};
use rayon::prelude::*;

/// Elements per parallel chunk of the in-place update (large enough to amortise scheduling,
/// small enough to spread a 3136-wide layer over two cores).
const CHUNK: usize = 1 << 16;

/// SGD hyperparameters as burn's optimiser stores them (f32, as burn converts them).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FusedSgd {
    /// (μ, dampening, Nesterov).
    momentum: Option<(f32, f32, bool)>,
    /// L2 penalty added to the gradient.
    weight_decay: Option<f32>,
}

impl FusedSgd {
    /// `momentum` = 0 and `weight_decay` = 0 switch the terms off, as in the trainer's
    /// optimiser specification.
    pub(crate) fn new(momentum: f64, dampening: f64, nesterov: bool, weight_decay: f64) -> Self {
        FusedSgd {
            // burn stores μ as the backend's float element and multiplies by (1 − dampening)
            // converted to it.
            momentum: (momentum > 0.0).then_some((momentum as f32, (1.0 - dampening) as f32, nesterov)),
            weight_decay: (weight_decay > 0.0).then_some(weight_decay as f32),
        }
    }
}

/// The velocity of one parameter (burn's `MomentumState`, same record layout).
#[derive(Record, Clone)]
pub(crate) struct MomentumState<B: Backend, const D: usize> {
    velocity: Tensor<B, D>,
}

/// Per-parameter state (burn's `SgdState`, same record layout).
#[derive(Record, Clone)]
pub(crate) struct SgdState<B: Backend, const D: usize> {
    momentum: Option<MomentumState<B, D>>,
}

/// The CPU tensor behind `t`, if `B` is the CPU backend.
fn as_flex<B: Backend, const D: usize>(t: Tensor<B, D>) -> Result<FlexTensor, Tensor<B, D>> {
    let mut slot = Some(t.into_primitive().tensor());
    match (&mut slot as &mut dyn Any).downcast_mut::<Option<FlexTensor>>() {
        Some(flex) => Ok(flex.take().expect("just filled")),
        None => Err(Tensor::from_primitive(TensorPrimitive::Float(slot.expect("not taken")))),
    }
}

/// Undoes [`as_flex`].
fn back<B: Backend, const D: usize>(t: Result<FlexTensor, Tensor<B, D>>) -> Tensor<B, D> {
    t.map_or_else(|t| t, from_flex)
}

/// `t` back as a tensor of `B` (which is the CPU backend).
fn from_flex<B: Backend, const D: usize>(t: FlexTensor) -> Tensor<B, D> {
    let mut slot = Some(t);
    let prim = (&mut slot as &mut dyn Any)
        .downcast_mut::<Option<B::FloatTensorPrimitive>>()
        .and_then(Option::take)
        .expect("from_flex is only called when B is the CPU backend");
    Tensor::from_primitive(TensorPrimitive::Float(prim))
}

/// A contiguous tensor that owns its whole buffer: `t` itself if it is one, else a copy. A
/// buffer shared with another tensor is copied here (copy-on-write), never written through.
fn owned(mut t: FlexTensor) -> FlexTensor {
    let n = t.layout().num_elements();
    if t.layout().contiguous_offsets() != Some((0, n)) || t.bytes().len() != 4 * n {
        t = t.to_contiguous();
    }
    let _ = t.storage_mut::<f32>();
    t
}

fn is_f32(t: &FlexTensor) -> bool {
    t.dtype() == burn::tensor::DType::F32
}

impl FusedSgd {
    /// The update on f32 CPU tensors of equal shapes, in place.
    fn step_cpu(&self, lr: f32, p: FlexTensor, g: FlexTensor, v: Option<FlexTensor>) -> (FlexTensor, Option<FlexTensor>) {
        let shape = p.layout().shape().clone();
        let mut p = owned(p);
        let g = g.to_contiguous();
        let n = p.layout().num_elements();
        let gs: &[f32] = &g.as_slice::<f32>().expect("contiguous")[..n];
        let wd = self.weight_decay;
        let decayed = move |g: f32, p: f32| match wd {
            Some(wd) => p * wd + g,
            None => g,
        };
        match (self.momentum, v) {
            (None, _) => {
                let ps = &mut p.storage_mut::<f32>()[..n];
                ps.par_chunks_mut(CHUNK).zip(gs.par_chunks(CHUNK)).for_each(|(ps, gs)| {
                    for (p, &g) in ps.iter_mut().zip(gs) {
                        *p -= decayed(g, *p) * lr;
                    }
                });
                (p, None)
            }
            (Some((mu, _, nesterov)), None) => {
                // First step: v ← g (burn applies no dampening to the first velocity).
                let mut v = vec![0f32; n];
                let ps = &mut p.storage_mut::<f32>()[..n];
                ps.par_chunks_mut(CHUNK).zip(v.par_chunks_mut(CHUNK)).zip(gs.par_chunks(CHUNK)).for_each(|((ps, vs), gs)| {
                    for ((p, v), &g) in ps.iter_mut().zip(vs.iter_mut()).zip(gs) {
                        let g = decayed(g, *p);
                        *v = g;
                        let d = if nesterov { *v * mu + g } else { *v };
                        *p -= d * lr;
                    }
                });
                let v = FlexTensor::new(burn::tensor::Bytes::from_elems(v), Layout::contiguous(shape), burn::tensor::DType::F32);
                (p, Some(v))
            }
            (Some((mu, damp, nesterov)), Some(v)) => {
                let mut v = owned(v);
                let ps = &mut p.storage_mut::<f32>()[..n];
                let vs = &mut v.storage_mut::<f32>()[..n];
                ps.par_chunks_mut(CHUNK).zip(vs.par_chunks_mut(CHUNK)).zip(gs.par_chunks(CHUNK)).for_each(|((ps, vs), gs)| {
                    for ((p, v), &g) in ps.iter_mut().zip(vs.iter_mut()).zip(gs) {
                        let g = decayed(g, *p);
                        *v = g * damp + *v * mu;
                        let d = if nesterov { *v * mu + g } else { *v };
                        *p -= d * lr;
                    }
                });
                (p, Some(v))
            }
        }
    }

    /// burn's `Sgd` step, as tensor operations (any backend).
    fn step_generic<B: Backend, const D: usize>(&self, lr: f64, p: Tensor<B, D>, mut g: Tensor<B, D>, v: Option<Tensor<B, D>>) -> (Tensor<B, D>, Option<Tensor<B, D>>) {
        if let Some(wd) = self.weight_decay {
            g = p.clone().mul_scalar(wd).add(g);
        }
        let mut velocity = None;
        if let Some((mu, damp, nesterov)) = self.momentum {
            let v = match v {
                Some(v) => g.clone().mul_scalar(damp).add(v.mul_scalar(mu)),
                None => g.clone(),
            };
            g = if nesterov { v.clone().mul_scalar(mu).add(g) } else { v.clone() };
            velocity = Some(v);
        }
        (p - g.mul_scalar(lr), velocity)
    }
}

impl<B: Backend> SimpleOptimizer<B> for FusedSgd {
    type State<const D: usize> = SgdState<B, D>;

    fn step<const D: usize>(&self, lr: f64, tensor: Tensor<B, D>, grad: Tensor<B, D>, state: Option<Self::State<D>>) -> (Tensor<B, D>, Option<Self::State<D>>) {
        let v = state.and_then(|s| s.momentum).map(|m| m.velocity);
        let wrap = |v: Option<Tensor<B, D>>| Some(SgdState { momentum: v.map(|velocity| MomentumState { velocity }) });
        // The CPU fast path for f32 tensors; anything else takes burn's route.
        let (p, g, v) = match (as_flex(tensor), as_flex(grad), v.map(as_flex).transpose()) {
            (Ok(p), Ok(g), Ok(v)) if is_f32(&p) && is_f32(&g) && v.as_ref().is_none_or(is_f32) && p.layout().shape() == g.layout().shape() => {
                let (p, v) = self.step_cpu(lr as f32, p, g, v);
                return (from_flex(p), wrap(v.map(from_flex)));
            }
            (p, g, v) => (back(p), back(g), v.map_or_else(|t| Some(back(Err(t))), |v| v.map(|v| back(Ok(v))))),
        };
        let (p, v) = self.step_generic(lr, p, g, v);
        (p, wrap(v))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &B::Device) -> Self::State<D> {
        SgdState { momentum: state.momentum.map(|m| MomentumState { velocity: m.velocity.to_device(device) }) }
    }
}
