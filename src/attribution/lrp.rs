//! Layer-wise relevance propagation (Bach et al. 2015) as Captum's `LRP` computes it.
//!
//! The relevance starts as the one-hot target on the logits; at every dense, convolution,
//! batch-norm and pooling layer z = op(x) it is redistributed as
//! R_in = x ⊙ (∂op/∂x)ᵀ (R_out / (z + ε·sign z)) (sign 0 taken as 1), passes ReLUs unchanged,
//! and the input relevance is finally multiplied by the target logit f_t(x) (Captum normalises
//! the same way). Rules:
//! * **ε** ([`LrpRule::Epsilon`]) everywhere; ε = 1e-9 by default (Captum's `EpsilonRule`).
//! * **z⁺** ([`LrpRule::ZPlus`]) on dense and convolution layers: weights clamped at 0 and the
//!   bias dropped (Montavon et al. 2017's z⁺ rule; Captum's `Alpha1_Beta0_Rule` with
//!   `set_bias_to_zero=True`), the ε rule on pooling layers.
//!
//! Not defined, and refused with the layer's name: residual sums (no rule for the addition),
//! SoftPlus activations, and z⁺ through batch normalisation.

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::gradient::{blocks, padded, row_block};
use super::propagate::{propagate, Rules};
use super::{check_batch, Attribution, Attributions, Budget, Scalar};
use crate::error::{Error, Result};
use crate::model::Classifier;

/// Captum's default stabiliser ε of the `EpsilonRule`.
pub const DEFAULT_EPS: f64 = 1e-9;

/// Which LRP rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LrpRule {
    /// The ε rule everywhere.
    Epsilon,
    /// z⁺ on dense and convolution layers, ε on pooling and batch norm.
    ZPlus,
}

/// LRP from a logit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lrp {
    /// The rule.
    pub rule: LrpRule,
    /// Stabiliser ε.
    pub eps: f64,
    /// Memory budget of one batch.
    pub budget: Budget,
}

impl Default for Lrp {
    fn default() -> Self {
        Lrp { rule: LrpRule::Epsilon, eps: DEFAULT_EPS, budget: Budget::default() }
    }
}

impl<B, M> Attribution<B, M> for Lrp
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    fn name(&self) -> String {
        match self.rule {
            LrpRule::Epsilon => "lrp_epsilon".into(),
            LrpRule::ZPlus => "lrp_zplus".into(),
        }
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "rule": self.rule, "eps": self.eps, "memory_bytes": self.budget.bytes })
    }

    fn attribute(&self, model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar) -> Result<Attributions<B::InnerBackend>> {
        let [n, _] = check_batch(&x, target)?;
        if !matches!(target, Scalar::Logit(_)) {
            return Err(Error::param("target", format!("LRP starts from one logit; the target `{}` is not a logit", target.kind())));
        }
        if !(self.eps.is_finite() && self.eps >= 0.0) {
            return Err(Error::param("eps", format!("must be finite and >= 0, got {}", self.eps)));
        }
        let rules = Rules::Lrp { eps: self.eps, z_plus: self.rule == LrpRule::ZPlus };
        let r = row_block(model);
        let mut parts = Vec::with_capacity(n.div_ceil(r));
        for (start, end) in blocks(n, r) {
            let (xb, idx) = padded(&x, start, end, r);
            let t = target.rows(idx);
            let p = propagate::<B, M>(model, xb, None, &t, rules)?;
            // Multiply by the target logit f_t(x), as Captum does after its normalised pass.
            let classes = t.classes().map(|c| c.to_vec()).unwrap_or_default();
            let idx = burn::tensor::Tensor::<B::InnerBackend, 1, burn::tensor::Int>::from_data(
                burn::tensor::TensorData::new(classes.iter().map(|&c| c as i64).collect::<Vec<_>>(), [classes.len()]),
                &p.logits.device(),
            );
            let f = p.logits.gather(1, idx.reshape([r, 1]));
            parts.push((p.input_map * f).slice([0..end - start]));
        }
        Ok(Attributions { values: Tensor::cat(parts, 0), gap: None })
    }
}
