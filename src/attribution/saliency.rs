//! Saliency: the input gradient of the chosen output (Simonyan et al. 2014), signed.
//!
//! Seed 000 ranks coordinates by |∇ₓ f_ŷ(x)| (§3) or |∇ₓ loss| (App. C.5); seed 004 takes the
//! gradient of the sum of logits (B.3). The map is signed; the magnitude and the other
//! transforms are explicit ([`super::transform`]).

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::Tensor;

use super::gradient::scalar_gradients;
use super::{check_batch, Attribution, Attributions, Budget, Scalar};
use crate::error::Result;
use crate::model::Classifier;

/// ∇ₓ t(x) for the target scalar t.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Saliency {
    /// Memory budget of one batch of gradients.
    pub budget: Budget,
}

impl<B, M> Attribution<B, M> for Saliency
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    fn name(&self) -> String {
        "saliency".into()
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "memory_bytes": self.budget.bytes })
    }

    fn attribute(&self, model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar) -> Result<Attributions<B::InnerBackend>> {
        check_batch(&x, target)?;
        let (g, _) = scalar_gradients::<B, M>(model, x, target)?;
        Ok(Attributions { values: g, gap: None })
    }
}
