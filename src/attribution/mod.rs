//! Attributions: what a trained model's explanation of each input is.
//!
//! Every method implements [`Attribution`]: given a model, a batch of flattened inputs `[N, D]`
//! and a [`Scalar`] (the output explained, fixed per example by [`Target::resolve`]), it returns
//! one attribution per input coordinate `[N, D]`, and for path methods the completeness gap.
//!
//! | method | file | papers |
//! |---|---|---|
//! | gradient of a chosen output | [`saliency`] | 000 §3, C.5; 004 B.3 |
//! | magnitude, sgn(x)·g, x·g | [`transform`] | 000 C.6 |
//! | Integrated Gradients (5 rules, 5 baselines) | [`integrated`] | 001 eq 13; 003 eq 9 |
//! | SmoothGrad, SmoothGrad², VarGrad around any method | [`noise`] | 000 D.4 |
//! | GradientSHAP / Expected Gradients, DeepSHAP | [`shap`] | 001 App. J |
//! | DeepLIFT (rescale) | [`deeplift`] | 001 App. J |
//! | Guided Backprop | [`guided`] | 000 D.4 |
//! | LRP (ε, z⁺) | [`lrp`] | 000 D.4 |
//! | Occlusion | [`occlusion`] | 000 D.4 |
//! | random and linear-model controls | [`control`] | 000 Fig 3 |
//! | ranking, top-k / bottom-k sets | [`rank`] | 000 §3 (DiffROAR), App. D.1 |
//!
//! Conventions shared by every method:
//! * **Evaluation mode.** Batch normalisation uses its running statistics; nothing is updated.
//! * **Memory.** Inputs are streamed in chunks of [`Budget::rows`] rows; a result never depends on
//!   the chunk size, on the other examples of the batch, or on the thread count.
//! * **Randomness.** Noise, random baselines and tie-breaks of example i come from a stream seeded
//!   by the method's seed and the bits of example i ([`example_seed`]): an attribution is a
//!   function of (model, example, seed), whatever batch it is computed in.
//! * **Rules that are not defined** for a model (LRP through a residual block, Guided Backprop
//!   through SoftPlus, …) fail with an error naming the method and the layer; never a silent
//!   plain gradient.

pub mod baseline;
pub mod budget;
pub mod control;
pub mod deeplift;
pub mod gradient;
pub mod guided;
pub mod integrated;
pub mod lrp;
pub mod method;
pub mod noise;
pub mod occlusion;
pub mod propagate;
pub mod rank;
pub mod saliency;
pub mod shap;
pub mod target;
pub mod transform;

use burn::module::AutodiffModule;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;

pub use baseline::Baseline;
pub use budget::Budget;
pub use control::{LinearModelAttribution, RandomAttribution};
pub use deeplift::DeepLift;
pub use gradient::input_gradient;
pub use guided::GuidedBackprop;
pub use integrated::{IgRule, IntegratedGradients};
pub use lrp::{Lrp, LrpRule};
pub use method::Method;
pub use noise::{NoiseKind, NoiseTunnel, Sigma};
pub use occlusion::Occlusion;
pub use rank::{Grouping, Keep, KeepFraction};
pub use saliency::Saliency;
pub use shap::{DeepShap, GradientShap};
pub use target::{Class, GradTarget, Scalar, Target};
pub use transform::{Transform, Transformed};

use crate::error::{Error, Result};
use crate::model::Classifier;
use crate::rng::Seed;

/// What a method returns for a batch.
#[derive(Debug, Clone)]
pub struct Attributions<I: Backend> {
    /// One attribution per input coordinate.
    ///
    /// # Shapes
    /// `[N, D]`, the layout of the inputs.
    pub values: Tensor<I, 2>,
    /// Completeness gap per example, Σ_d A_d − (F(x) − F(u)), for methods that have one
    /// (Integrated Gradients, DeepLIFT).
    pub gap: Option<Vec<f64>>,
}

/// An attribution method.
///
/// `B` is the autodiff backend the model runs on; inputs and outputs live on its inner backend.
pub trait Attribution<B: AutodiffBackend, M>: Send + Sync {
    /// The method's name (`saliency`, `integrated_gradients`, …).
    fn name(&self) -> String;

    /// Its parameters, as recorded beside results.
    fn params(&self) -> serde_json::Value;

    /// Attributions of `target` for the inputs `x`.
    ///
    /// # Shapes
    /// - `x`: `[N, D]` flattened inputs; `target` covers the same N examples
    /// - returns values `[N, D]`
    fn attribute(&self, model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar) -> Result<Attributions<B::InnerBackend>>;
}

impl<B: AutodiffBackend, M, A: Attribution<B, M> + ?Sized> Attribution<B, M> for Box<A> {
    fn name(&self) -> String {
        (**self).name()
    }
    fn params(&self) -> serde_json::Value {
        (**self).params()
    }
    fn attribute(&self, model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar) -> Result<Attributions<B::InnerBackend>> {
        (**self).attribute(model, x, target)
    }
}

/// Resolves `target` at the clean inputs `x` (with `labels` where it needs them) and runs
/// `method`.
///
/// # Shapes
/// - `x`: `[N, D]`; `labels`: N entries; returns values `[N, D]`
pub fn attribute<B, M>(method: &dyn Attribution<B, M>, model: &M, x: Tensor<B::InnerBackend, 2>, target: Target, labels: Option<&[usize]>) -> Result<(Attributions<B::InnerBackend>, Scalar)>
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    let logits = gradient::logits::<B, M>(model, x.clone())?;
    let scalar = target.resolve(&logits, labels)?;
    let out = method.attribute(model, x, &scalar)?;
    Ok((out, scalar))
}

/// The seed of example `row`'s random stream for a method seeded with `seed`: a function of the
/// example's bits, so that the same example gets the same draws in any batch and at any position.
///
/// The bits hashed are those of the values rounded to f32, so an f32 and an f64 model see the
/// same draws for the same data.
///
/// # Shapes
/// - `row`: one example's D flattened input values
pub fn example_seed(seed: Seed, row: &[f64]) -> Seed {
    // FNV-1a over the bits, then the SplitMix64 mixing of `Seed::derive`.
    const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = FNV_OFFSET;
    for v in row {
        for b in (*v as f32).to_bits().to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(FNV_PRIME);
        }
    }
    seed.derive(h)
}

/// The rows of `[N, D]` tensor `t` as f64 vectors (host copy, exact for f32 and f64 backends).
///
/// # Shapes
/// - `t`: `[N, D]`; returns N rows of D values
pub fn rows_of<I: Backend>(t: &Tensor<I, 2>) -> Result<Vec<Vec<f64>>> {
    let [n, d] = t.dims();
    let flat = to_vec64(t)?;
    Ok((0..n).map(|i| flat[i * d..(i + 1) * d].to_vec()).collect())
}

/// A tensor's values as one f32 vector (host copy).
///
/// # Shapes
/// - `t`: any shape; returns its values flattened row-major
pub fn to_vec<I: Backend, const D: usize>(t: &Tensor<I, D>) -> Result<Vec<f32>> {
    t.clone().into_data().convert::<f32>().to_vec::<f32>().map_err(|e| Error::Shape(format!("reading a tensor back: {e:?}")))
}

/// A tensor's values as one f64 vector (host copy; exact for f32 and f64 backends).
///
/// # Shapes
/// - `t`: any shape; returns its values flattened row-major
pub fn to_vec64<I: Backend, const D: usize>(t: &Tensor<I, D>) -> Result<Vec<f64>> {
    t.clone().into_data().convert::<f64>().to_vec::<f64>().map_err(|e| Error::Shape(format!("reading a tensor back: {e:?}")))
}

/// `[N, D]` tensor from f64 values on `device` (rounded to the backend's precision).
///
/// # Shapes
/// - `v`: N·D values, row-major, for `shape` = `[N, D]`; returns `[N, D]`
pub fn from_vec64<I: Backend>(v: Vec<f64>, shape: [usize; 2], device: &I::Device) -> Tensor<I, 2> {
    Tensor::from_data(burn::tensor::TensorData::new(v, shape), device)
}

/// `[N, D]` tensor from f32 values on `device`.
///
/// # Shapes
/// - `v`: N·D values, row-major, for `shape` = `[N, D]`; returns `[N, D]`
pub fn from_vec<I: Backend>(v: Vec<f32>, shape: [usize; 2], device: &I::Device) -> Tensor<I, 2> {
    Tensor::from_data(burn::tensor::TensorData::new(v, shape), device)
}

/// Rows staged at once by a method on `model` with inputs of `d` coordinates under `budget`: a
/// whole number of evaluation blocks.
pub(crate) fn staging_rows<B: Backend, M: Classifier<B>>(budget: &Budget, model: &M, d: usize) -> usize {
    budget.rows(model).min(budget.array_rows(d, gradient::row_block(model)))
}

/// Checks that `target` covers the N examples of `x` and returns `[N, D]`.
pub(crate) fn check_batch<I: Backend>(x: &Tensor<I, 2>, target: &Scalar) -> Result<[usize; 2]> {
    let dims = x.dims();
    if target.len() != dims[0] {
        return Err(Error::Shape(format!("the target covers {} examples, the batch has {}", target.len(), dims[0])));
    }
    if dims[0] == 0 {
        return Err(Error::param("inputs", "no examples to attribute"));
    }
    Ok(dims)
}
