//! Training objectives: what a training step minimises.
//!
//! The trainer asks the objective for a scalar loss on a batch; adversarial objectives first
//! replace the batch by adversarial examples (computed on a detached copy of the model in
//! evaluation mode, so the attack leaves no parameter gradients and no batch-norm updates behind).
//!
//! Every regulariser of seeds 001–004 is an [`Objective::Penalized`]: a base objective (standard,
//! adversarial or Gaussian noise) plus a list of [`Penalty`] terms, each computed on the clean
//! batch. Any combination is expressible, e.g. seed 002's weight + gradient penalties
//! ([`Objective::seed002`] lists its eleven models). All randomness (noise, random classes,
//! random directions, attack starts) comes from the `seed` given to [`Objective::loss`], so a run
//! is deterministic and resumes exactly.

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Int, Tensor};
use serde::{Deserialize, Serialize};

use super::attack::{perturb, Attack};
use super::penalty::{PNorm, Penalty};
use super::threat::ThreatModel;
use crate::error::{Error, Result};
use crate::attribution::target::cross_entropy;
use crate::model::init::Init;
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
    /// Adversarial training whose ball is drawn at random for each step from `choices` (seed 004
    /// B.2: "we randomly chose the perturbation budget ε ∈ {1, 4, 8}"), uniformly, from the step's
    /// seed; each choice carries its attack (e.g. PGD with step 2.5ε/10).
    AdversarialMix {
        /// (ball, attack) pairs.
        choices: Vec<(ThreatModel, Attack)>,
    },
    /// Gaussian noise augmentation, i.e. randomized-smoothing training (seed 004 B.1.3):
    /// mean over `samples` draws of the cross-entropy at x + ε, ε ~ N(0, σ²I), not clipped to the
    /// pixel range (as seed 004's code).
    GaussianNoise {
        /// Noise level σ > 0 (in the model's input units).
        sigma: f64,
        /// Noise draws per example (1 = plain noise augmentation).
        #[serde(default = "one")]
        samples: usize,
    },
    /// A base objective plus penalties on the clean batch: loss = base + Σ λ_k P_k.
    Penalized {
        /// Standard, Adversarial or GaussianNoise (not itself penalised).
        base: Box<Objective>,
        /// The terms added.
        penalties: Vec<Penalty>,
    },
}

fn one() -> usize {
    1
}

/// Stream offsets below a step's objective seed: penalty k draws from `PENALTY_STREAM + k`, the
/// base objective from the seed itself (so a penalised objective with no penalties is its base).
const PENALTY_STREAM: u64 = 100;
const NOISE_STREAM: u64 = 1;
/// Stream of an adversarial mixture's choice of ball.
const MIX_STREAM: u64 = 2;

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
            Objective::AdversarialMix { choices } => {
                let eps: Vec<String> = choices.iter().map(|(t, _)| t.eps.to_string()).collect();
                let first = choices.first().map_or("none".to_string(), |(t, a)| match a {
                    Attack::Pgd(p) => format!("pgd{}-at-{:?}", p.steps, t.norm),
                    Attack::Fgsm { .. } => format!("fgsm-at-{:?}", t.norm),
                });
                format!("{first}-eps{}", eps.join("|")).to_lowercase()
            }
            Objective::GaussianNoise { sigma, samples } => {
                if *samples == 1 {
                    format!("noise-sigma{sigma}")
                } else {
                    format!("noise-sigma{sigma}-x{samples}")
                }
            }
            Objective::Penalized { base, penalties } => {
                let mut parts = vec![base.name()];
                parts.extend(penalties.iter().map(Penalty::name));
                parts.join("+")
            }
        }
    }

    /// `base` plus `penalties`.
    pub fn penalized(base: Objective, penalties: Vec<Penalty>) -> Self {
        Objective::Penalized { base: Box::new(base), penalties }
    }

    /// The standard loss plus one penalty.
    pub fn with(penalty: Penalty) -> Self {
        Objective::penalized(Objective::Standard, vec![penalty])
    }

    /// Seed 002's eleven one-hidden-layer models (§III.B), as (name, objective): standard; ℓ1, ℓ2,
    /// ℓ∞ weight penalties (strength `lambda_w`); ℓ1, ℓ2, ℓ∞ input-gradient penalties (strength
    /// `lambda_g`, gradient of the loss); and the four combinations of an ℓ1 or ℓ2 weight penalty
    /// with an ℓ1 or ℓ2 gradient penalty ("we combined ℓ1 and ℓ2 weight and gradient
    /// regularisation"; the paper does not list them one by one — this is the reading under which
    /// the count is eleven). ℓ2 terms are squared ("ℓ2 is proportional to the square of the weights
    /// or gradients", §IV). The paper gives no λ.
    pub fn seed002(lambda_w: f64, lambda_g: f64) -> Vec<(String, Objective)> {
        let w = |p: PNorm| match p {
            PNorm::L1 => Penalty::weight_l1(lambda_w),
            PNorm::L2 => Penalty::weight_l2(lambda_w),
            _ => Penalty::weight_linf(lambda_w),
        };
        let g = |p: PNorm| Penalty::grad(p, lambda_g);
        let label = |p: PNorm| match p {
            PNorm::L1 => "l1",
            PNorm::L2 => "l2",
            _ => "linf",
        };
        let norms = [PNorm::L1, PNorm::L2, PNorm::LINF];
        let mut out = vec![("standard".to_string(), Objective::Standard)];
        out.extend(norms.iter().map(|&p| (format!("weight-{}", label(p)), Objective::with(w(p)))));
        out.extend(norms.iter().map(|&p| (format!("grad-{}", label(p)), Objective::with(g(p)))));
        for pw in [PNorm::L1, PNorm::L2] {
            for pg in [PNorm::L1, PNorm::L2] {
                out.push((format!("weight-{}+grad-{}", label(pw), label(pg)), Objective::penalized(Objective::Standard, vec![w(pw), g(pg)])));
            }
        }
        out
    }

    /// Validates parameters.
    pub fn validate(&self) -> Result<()> {
        match self {
            Objective::Standard => Ok(()),
            Objective::Adversarial { threat, attack } => {
                ThreatModel::new(threat.norm, threat.eps, threat.range)?;
                attack.validate()
            }
            Objective::AdversarialMix { choices } => {
                if choices.is_empty() {
                    return Err(Error::param("choices", "an adversarial mixture needs at least one ball"));
                }
                for (threat, attack) in choices {
                    ThreatModel::new(threat.norm, threat.eps, threat.range)?;
                    attack.validate()?;
                }
                Ok(())
            }
            Objective::GaussianNoise { sigma, samples } => {
                if !(sigma.is_finite() && *sigma > 0.0) {
                    return Err(Error::param("sigma", format!("must be finite and > 0, got {sigma}")));
                }
                if *samples == 0 {
                    return Err(Error::param("samples", "must be at least 1"));
                }
                Ok(())
            }
            Objective::Penalized { base, penalties } => {
                if matches!(**base, Objective::Penalized { .. }) {
                    return Err(Error::param("base", "a penalised objective's base must not itself be penalised; list all penalties in one"));
                }
                base.validate()?;
                for (k, p) in penalties.iter().enumerate() {
                    p.validate_as(&format!("penalties[{k}]."))?;
                }
                Ok(())
            }
        }
    }

    /// The scalar training loss `[1]` and the logits `[N, K]` it was computed from (in training
    /// mode; for Gaussian noise, the logits of the first noise draw). `seed` drives the randomness
    /// of this step (attack starts, noise, random classes and directions of penalties).
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
            Objective::AdversarialMix { choices } => {
                let pick = rand::Rng::random_range(&mut seed.derive(MIX_STREAM).rng(), 0..choices.len().max(1));
                let (threat, attack) = choices.get(pick).ok_or_else(|| Error::param("choices", "an adversarial mixture needs at least one ball"))?;
                let adv = perturb::<B, M>(model, x.inner(), y.clone().inner(), threat, attack, seed)?;
                Tensor::from_inner(adv)
            }
            Objective::GaussianNoise { sigma, samples } => {
                let mut total: Option<Tensor<B, 1>> = None;
                let mut first = None;
                for s in 0..*samples {
                    let eps = Init::<B>::new(seed.derive(NOISE_STREAM).derive(s as u64), &x.device()).normal(x.dims(), *sigma);
                    let logits = model.forward_mode(x.clone() + eps, Mode::Train);
                    let ce = cross_entropy(logits.clone(), y.clone()).mean();
                    total = Some(match total {
                        Some(t) => t + ce,
                        None => ce,
                    });
                    first.get_or_insert(logits);
                }
                let (Some(total), Some(logits)) = (total, first) else {
                    return Err(Error::param("samples", "must be at least 1"));
                };
                return Ok((total.div_scalar(*samples as f64), logits));
            }
            Objective::Penalized { base, penalties } => {
                let (mut loss, logits) = base.loss(model, x.clone(), y.clone(), seed)?;
                for (k, p) in penalties.iter().enumerate() {
                    loss = loss + p.loss(model, x.clone(), y.clone(), seed.derive(PENALTY_STREAM + k as u64))?;
                }
                return Ok((loss, logits));
            }
        };
        let logits = model.forward_mode(input, Mode::Train);
        let loss = cross_entropy(logits.clone(), y).mean();
        Ok((loss, logits))
    }
}
