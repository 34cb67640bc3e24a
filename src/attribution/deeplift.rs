//! DeepLIFT with the rescale rule (Shrikumar et al. 2017), as Captum's `DeepLift` computes it:
//! multipliers propagated from the target logit, with g·Δy/Δx at every nonlinearity (the plain
//! gradient where |Δx| < eps), Captum's rule at max-pooling, and the chain rule through linear
//! layers; the attribution is (x − u) ⊙ multiplier. It sums to t(x) − t(u) (summation to delta),
//! and the remainder is returned as the completeness gap.
//!
//! Where a ReLU feeds a max-pool (the Madry CNN, the ImageNet stem of the ResNets), Captum 0.9
//! does not chain the two rules: its ReLU hook reads the gradient recorded before the max-pool's
//! hook rewrote it, and its attributions no longer sum to t(x) − t(u) (captum#1104). Here the
//! multipliers are chained as the DeepLIFT paper defines them; [`Composition::Captum`]
//! reproduces Captum's numbers for cross-checks (tests/attribution_captum.rs does both).

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::Tensor;

use super::gradient::{blocks, padded, row_block};
use super::integrated::row_sums;
use super::propagate::{propagate, Composition, Rules};
use super::{check_batch, to_vec64, Attribution, Attributions, Baseline, Budget, Scalar};
use crate::error::{Error, Result};
use crate::model::Classifier;

/// Captum's default `eps` of `DeepLift`: below this |Δx| a nonlinearity's plain gradient is used.
pub const DEFAULT_EPS: f64 = 1e-10;

/// DeepLIFT-Rescale from a logit (or the sum of logits) against a baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct DeepLift {
    /// Reference input.
    pub baseline: Baseline,
    /// Threshold on |Δx|.
    pub eps: f64,
    /// How adjacent nonlinearities' rules compose ([`Composition::Chain`] unless reproducing
    /// Captum).
    pub composition: Composition,
    /// Memory budget of one batch.
    pub budget: Budget,
}

impl Default for DeepLift {
    fn default() -> Self {
        DeepLift { baseline: Baseline::Zero, eps: DEFAULT_EPS, composition: Composition::Chain, budget: Budget::default() }
    }
}

impl<B, M> Attribution<B, M> for DeepLift
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    fn name(&self) -> String {
        "deeplift".into()
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "baseline": self.baseline.record(), "eps": self.eps, "composition": self.composition, "memory_bytes": self.budget.bytes })
    }

    fn attribute(&self, model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar) -> Result<Attributions<B::InnerBackend>> {
        check_batch(&x, target)?;
        let u = self.baseline.make(&x, model.input_shape())?;
        deeplift::<B, M>(model, x, u, target, self.eps, self.composition)
    }
}

/// DeepLIFT of `target` at `x` against the per-example references `u`.
///
/// # Shapes
/// - `x`, `u`: `[N, D]`; returns values `[N, D]` and N gaps
pub fn deeplift<B, M>(model: &M, x: Tensor<B::InnerBackend, 2>, u: Tensor<B::InnerBackend, 2>, target: &Scalar, eps: f64, composition: Composition) -> Result<Attributions<B::InnerBackend>>
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    let [n, d] = check_batch(&x, target)?;
    if u.dims() != [n, d] {
        return Err(Error::Shape(format!("baseline {:?} for inputs {:?}", u.dims(), [n, d])));
    }
    if !(eps.is_finite() && eps >= 0.0) {
        return Err(Error::param("eps", format!("must be finite and >= 0, got {eps}")));
    }
    let r = row_block(model);
    let mut parts = Vec::with_capacity(n.div_ceil(r));
    let mut delta = Vec::with_capacity(n);
    for (start, end) in blocks(n, r) {
        let len = end - start;
        let (xc, idx) = padded(&x, start, end, r);
        let (uc, _) = padded(&u, start, end, r);
        let t = target.rows(idx);
        let p = propagate::<B, M>(model, xc.clone(), Some(uc.clone()), &t, Rules::DeepLift { eps, composition })?;
        let u_logits = p.ref_logits.ok_or_else(|| Error::Shape("deeplift: the reference's logits are missing".into()))?;
        let k = p.logits.dims()[1];
        let cot = t.logit_cotangent::<B::InnerBackend>(k, "deeplift", &p.logits.device())?;
        let fx = to_vec64(&(p.logits * cot.clone()).sum_dim(1))?;
        let fu = to_vec64(&(u_logits * cot).sum_dim(1))?;
        delta.extend(fx.iter().zip(&fu).take(len).map(|(a, b)| a - b));
        parts.push(((xc - uc) * p.input_map).slice([0..len]));
    }
    let values = Tensor::cat(parts, 0);
    let sums = row_sums(&values)?;
    let gap = sums.iter().zip(&delta).map(|(s, d)| s - d).collect();
    Ok(Attributions { values, gap: Some(gap) })
}
