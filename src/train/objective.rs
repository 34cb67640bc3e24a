//! Training objectives: what a training step minimises.
//!
//! The trainer asks the objective for a scalar loss on a batch; adversarial objectives first
//! replace the batch by adversarial examples (computed on a detached copy of the model in
//! evaluation mode, so the attack leaves no parameter gradients and no batch-norm updates behind).

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Int, Tensor};
use serde::{Deserialize, Serialize};

use super::attack::{perturb, Attack};
use super::threat::ThreatModel;
use crate::error::Result;
use crate::model::grad::cross_entropy;
use crate::model::{Classifier, Mode};
use crate::rng::Seed;

/// What a training step minimises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Objective {
    /// Mean cross-entropy.
    Standard,
    /// Mean cross-entropy on adversarial examples (PGD-AT, FGSM-AT).
    Adversarial {
        /// The ball.
        threat: ThreatModel,
        /// How the inner maximisation is approximated.
        attack: Attack,
    },
}

impl Objective {
    /// A short name for tables and file names.
    pub fn name(&self) -> String {
        match self {
            Objective::Standard => "standard".into(),
            Objective::Adversarial { threat, attack } => format!(
                "{}-at-{:?}-eps{}",
                match attack {
                    Attack::Pgd(p) => format!("pgd{}", p.steps),
                    Attack::Fgsm { .. } => "fgsm".into(),
                },
                threat.norm,
                threat.eps
            )
            .to_lowercase(),
        }
    }

    /// Validates parameters.
    pub fn validate(&self) -> Result<()> {
        match self {
            Objective::Standard => Ok(()),
            Objective::Adversarial { threat, attack } => {
                ThreatModel::new(threat.norm, threat.eps, threat.range)?;
                attack.validate()
            }
        }
    }

    /// The scalar training loss `[1]` and the logits `[N, K]` it was computed from (in training
    /// mode). `seed` drives the randomness of this step (attack starts).
    ///
    /// # Shapes
    /// - `x`: `[N, D]`, `y`: `[N]`
    pub fn loss<B, M>(&self, model: &M, x: Tensor<B, 2>, y: Tensor<B, 1, Int>, seed: Seed) -> Result<(Tensor<B, 1>, Tensor<B, 2>)>
    where
        B: AutodiffBackend,
        M: Classifier<B> + AutodiffModule<B>,
        M::InnerModule: Classifier<B::InnerBackend>,
    {
        let input = match self {
            Objective::Standard => x,
            Objective::Adversarial { threat, attack } => {
                let adv = perturb::<B, M>(model, x.inner(), y.clone().inner(), threat, attack, seed)?;
                Tensor::from_inner(adv)
            }
        };
        let logits = model.forward_mode(input, Mode::Train);
        let loss = cross_entropy(logits.clone(), y).mean();
        Ok((loss, logits))
    }
}
