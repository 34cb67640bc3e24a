//! SGD with momentum and weight decay, updating each parameter and its velocity in one pass.
//!
//! The arithmetic is burn's `Sgd` exactly — g ← g + wd·θ, v ← (1 − dampening)·g + μ·v (v ← g on
//! the first step), the Nesterov direction μ·v + g if asked, θ ← θ − lr·d — in f32, operation by
//! operation in the same order, so the weights are bitwise those burn's optimiser gives (a test
//! checks it). The state record has the same field names as burn's (`momentum`, `velocity`), so
//! checkpoints written by either load in the other.
//!
//! On the CPU backends (burn-ndarray, and burn-flex with `--features flex`; f32 tensors) the update
//! runs in place on the parameter's and the velocity's buffers, on all cores; burn's version runs
//! five to seven separate tensor operations, most allocating a fresh buffer the size of the
//! parameter (for the 14.7M parameters of the seed-000 MLP that was a third of a burn-flex training
//! step). On any other backend or element type it runs burn's tensor operations.

use burn::optim::SimpleOptimizer;
use burn::record::Record;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
#[cfg(feature = "flex")]
use burn_flex::{FlexTensor, Layout};
use burn_ndarray::NdArrayTensor;
use rayon::prelude::*;

use crate::model::kernels::layout::into_standard_layout;
use crate::primitive::{from_primitive, into_primitive, is_primitive};

/// Elements per parallel chunk of the in-place update (large enough to amortise scheduling,
/// small enough to spread a 3136-wide layer over two cores).
const CHUNK: usize = 1 << 16;

/// SGD hyperparameters as burn's optimiser stores them: μ and 1 − dampening in f64, converted to
/// the tensor's element type where they are used (as burn's `mul_scalar` does); the weight-decay
/// penalty in f32 (burn's `WeightDecayConfig` holds an f32).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FusedSgd {
    /// (μ, 1 − dampening, Nesterov).
    momentum: Option<(f64, f64, bool)>,
    /// L2 penalty added to the gradient.
    weight_decay: Option<f32>,
}

impl FusedSgd {
    /// `momentum` = 0 and `weight_decay` = 0 switch the terms off, as in the trainer's
    /// optimiser specification.
    pub(crate) fn new(momentum: f64, dampening: f64, nesterov: bool, weight_decay: f64) -> Self {
        FusedSgd {
            momentum: (momentum > 0.0).then_some((momentum, 1.0 - dampening, nesterov)),
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

/// Parameter, gradient and velocity of one backend tensor type, handed back by a fast path that
/// does not apply (another element type, or shapes that differ).
type Operands<T> = (T, T, Option<T>);

/// A fast path: the updated parameter and velocity, or the operands unchanged.
type FastStep<T> = Result<(T, Option<T>), Box<Operands<T>>>;

#[cfg(feature = "flex")]
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

#[cfg(feature = "flex")]
fn is_f32(t: &FlexTensor) -> bool {
    t.dtype() == burn::tensor::DType::F32
}

/// The velocity buffer of one update, if the rule has momentum.
enum Velocity<'a> {
    /// No momentum.
    Off,
    /// First step: the buffer is filled with the (decayed) gradient.
    First(&'a mut [f32]),
    /// Later steps: the buffer holds the previous velocity and is updated in place.
    Next(&'a mut [f32]),
}

impl FusedSgd {
    /// The update on f32 slices of equal length, in place, on all cores.
    fn update(&self, lr: f32, ps: &mut [f32], gs: &[f32], v: Velocity<'_>) {
        let wd = self.weight_decay;
        let decayed = move |g: f32, p: f32| match wd {
            Some(wd) => p * wd + g,
            None => g,
        };
        // burn converts μ to the element type once (f32 here) and 1 − dampening at each use.
        let momentum = self.momentum.map(|(mu, damp, nesterov)| (mu as f32, damp as f32, nesterov));
        match (momentum, v) {
            (None, _) | (_, Velocity::Off) => {
                ps.par_chunks_mut(CHUNK).zip(gs.par_chunks(CHUNK)).for_each(|(ps, gs)| {
                    for (p, &g) in ps.iter_mut().zip(gs) {
                        *p -= decayed(g, *p) * lr;
                    }
                });
            }
            (Some((mu, _, nesterov)), Velocity::First(vs)) => {
                // First step: v ← g (burn applies no dampening to the first velocity).
                ps.par_chunks_mut(CHUNK).zip(vs.par_chunks_mut(CHUNK)).zip(gs.par_chunks(CHUNK)).for_each(|((ps, vs), gs)| {
                    for ((p, v), &g) in ps.iter_mut().zip(vs.iter_mut()).zip(gs) {
                        let g = decayed(g, *p);
                        *v = g;
                        let d = if nesterov { *v * mu + g } else { *v };
                        *p -= d * lr;
                    }
                });
            }
            (Some((mu, damp, nesterov)), Velocity::Next(vs)) => {
                ps.par_chunks_mut(CHUNK).zip(vs.par_chunks_mut(CHUNK)).zip(gs.par_chunks(CHUNK)).for_each(|((ps, vs), gs)| {
                    for ((p, v), &g) in ps.iter_mut().zip(vs.iter_mut()).zip(gs) {
                        let g = decayed(g, *p);
                        *v = g * damp + *v * mu;
                        let d = if nesterov { *v * mu + g } else { *v };
                        *p -= d * lr;
                    }
                });
            }
        }
    }

    /// The update on f32 burn-flex tensors of equal shapes, in place; the operands come back
    /// unchanged as `Err` when a tensor is not f32 or the shapes differ.
    #[cfg(feature = "flex")]
    fn step_flex(&self, lr: f32, p: FlexTensor, g: FlexTensor, v: Option<FlexTensor>) -> FastStep<FlexTensor> {
        if !(is_f32(&p) && is_f32(&g) && v.as_ref().is_none_or(is_f32) && p.layout().shape() == g.layout().shape()) {
            return Err(Box::new((p, g, v)));
        }
        let shape = p.layout().shape().clone();
        let mut p = owned(p);
        let g = g.to_contiguous();
        let n = p.layout().num_elements();
        let gs: &[f32] = &g.as_slice::<f32>().expect("contiguous")[..n];
        let ps = &mut p.storage_mut::<f32>()[..n];
        match (self.momentum, v) {
            (None, _) => {
                self.update(lr, ps, gs, Velocity::Off);
                Ok((p, None))
            }
            (Some(_), None) => {
                let mut v = vec![0f32; n];
                self.update(lr, ps, gs, Velocity::First(&mut v));
                let v = FlexTensor::new(burn::tensor::Bytes::from_elems(v), Layout::contiguous(shape), burn::tensor::DType::F32);
                Ok((p, Some(v)))
            }
            (Some(_), Some(v)) => {
                let mut v = owned(v);
                self.update(lr, ps, gs, Velocity::Next(&mut v.storage_mut::<f32>()[..n]));
                Ok((p, Some(v)))
            }
        }
    }

    /// The update on f32 burn-ndarray tensors of equal shapes, in place where the parameter's and
    /// the velocity's arrays are not shared (ndarray copies a shared array on write, never writes
    /// through it); a non-standard layout is copied into one. The operands come back unchanged as
    /// `Err` when a tensor is not f32 or the shapes differ (the caller then takes burn's route).
    fn step_ndarray(&self, lr: f32, p: NdArrayTensor, g: NdArrayTensor, v: Option<NdArrayTensor>) -> FastStep<NdArrayTensor> {
        let (p, g, v) = match (p, g, v) {
            (NdArrayTensor::F32(p), NdArrayTensor::F32(g), None) => (p, g, None),
            (NdArrayTensor::F32(p), NdArrayTensor::F32(g), Some(NdArrayTensor::F32(v))) => (p, g, Some(v)),
            other => return Err(Box::new(other)),
        };
        if p.shape() != g.shape() || v.as_ref().is_some_and(|v| v.shape() != p.shape()) {
            return Err(Box::new((NdArrayTensor::F32(p), NdArrayTensor::F32(g), v.map(NdArrayTensor::F32))));
        }
        let mut pa = p.into_owned();
        if !pa.is_standard_layout() {
            pa = into_standard_layout(pa);
        }
        let mut ga = g.into_owned();
        if !ga.is_standard_layout() {
            ga = into_standard_layout(ga);
        }
        let gs = ga.as_slice().expect("standard layout");
        let ps = pa.as_slice_mut().expect("standard layout");
        let v = match (self.momentum, v) {
            (None, _) => {
                self.update(lr, ps, gs, Velocity::Off);
                None
            }
            (Some(_), None) => {
                // v ← g: a copy of the gradient's array, then filled by the update.
                let mut va = ga.clone();
                self.update(lr, ps, gs, Velocity::First(va.as_slice_mut().expect("standard layout")));
                Some(va)
            }
            (Some(_), Some(v)) => {
                let mut va = v.into_owned();
                if !va.is_standard_layout() {
                    va = into_standard_layout(va);
                }
                self.update(lr, ps, gs, Velocity::Next(va.as_slice_mut().expect("standard layout")));
                Some(va)
            }
        };
        Ok((NdArrayTensor::F32(pa.into()), v.map(|v| NdArrayTensor::F32(v.into()))))
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

impl FusedSgd {
    /// `path` on `B`'s own tensors (which are `T`), burn's route if it hands them back.
    fn fast<T: 'static, B: Backend, const D: usize>(&self, lr: f64, p: Tensor<B, D>, g: Tensor<B, D>, v: Option<Tensor<B, D>>, path: impl Fn(&Self, f32, T, T, Option<T>) -> FastStep<T>) -> (Tensor<B, D>, Option<Tensor<B, D>>) {
        match path(self, lr as f32, into_primitive(p), into_primitive(g), v.map(into_primitive)) {
            Ok((p, v)) => (from_primitive(p), v.map(from_primitive)),
            Err(operands) => {
                let (p, g, v) = *operands;
                self.step_generic(lr, from_primitive(p), from_primitive(g), v.map(from_primitive))
            }
        }
    }
}

impl<B: Backend> SimpleOptimizer<B> for FusedSgd {
    type State<const D: usize> = SgdState<B, D>;

    fn step<const D: usize>(&self, lr: f64, tensor: Tensor<B, D>, grad: Tensor<B, D>, state: Option<Self::State<D>>) -> (Tensor<B, D>, Option<Self::State<D>>) {
        let v = state.and_then(|s| s.momentum).map(|m| m.velocity);
        let wrap = |v: Option<Tensor<B, D>>| Some(SgdState { momentum: v.map(|velocity| MomentumState { velocity }) });
        // The CPU fast paths for f32 tensors; anything else takes burn's route.
        #[cfg(feature = "flex")]
        if is_primitive::<FlexTensor, B>() {
            let (p, v) = self.fast(lr, tensor, grad, v, Self::step_flex);
            return (p, wrap(v));
        }
        let (p, v) = if is_primitive::<NdArrayTensor, B>() { self.fast(lr, tensor, grad, v, Self::step_ndarray) } else { self.step_generic(lr, tensor, grad, v) };
        (p, wrap(v))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &B::Device) -> Self::State<D> {
        SgdState { momentum: state.momentum.map(|m| MomentumState { velocity: m.velocity.to_device(device) }) }
    }
}
