//! Adversarial attacks: PGD (steps, step size, restarts, random start) and FGSM, generic over the
//! [`ThreatModel`].
//!
//! Attacks maximise the per-example cross-entropy in evaluation mode on a copy of the model whose
//! parameters are detached: they never produce parameter gradients and never touch batch-norm
//! statistics. PGD returns, per example, the best point it visited (highest loss over all
//! iterates and restarts), so it never does worse than its starting point.

use burn::module::AutodiffModule;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor};
use serde::{Deserialize, Serialize};

use super::threat::ThreatModel;
use crate::error::{Error, Result};
use crate::attribution::gradient::input_gradient;
use crate::attribution::target::{cross_entropy, GradTarget};
use crate::model::Classifier;
use crate::rng::Seed;

/// Projected gradient ascent on the loss.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pgd {
    /// Gradient steps per restart.
    pub steps: usize,
    /// Step size α (in the threat model's norm).
    pub step_size: f64,
    /// Independent runs; the best per example is kept. Restarts after the first always start at a
    /// random point.
    #[serde(default = "one")]
    pub restarts: usize,
    /// Whether the first run starts at a random point of the ball (otherwise at x).
    #[serde(default)]
    pub random_start: bool,
}

fn one() -> usize {
    1
}

/// An attack algorithm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Attack {
    /// Projected gradient descent.
    Pgd(Pgd),
    /// One signed (ℓ∞) or normalised (ℓ2) gradient step of size ε (Goodfellow et al. 2015), or of
    /// `step_size` after a random start (Wong et al. 2020's "fast" FGSM).
    Fgsm {
        /// Random start in the ball before the step.
        #[serde(default)]
        random_start: bool,
        /// Step size; `None` = ε.
        #[serde(default)]
        step_size: Option<f64>,
    },
}

impl Attack {
    /// Seed 000 App. C.1's PGD adversarial training: step ε/4, 8 steps, no random initialisation.
    pub fn seed000_training(eps: f64) -> Self {
        Attack::Pgd(Pgd { steps: 8, step_size: eps / 4.0, restarts: 1, random_start: false })
    }

    /// Seed 000 App. C.1's evaluation attack: twice the training steps (16), same step size.
    pub fn seed000_eval(eps: f64) -> Self {
        Attack::Pgd(Pgd { steps: 16, step_size: eps / 4.0, restarts: 1, random_start: false })
    }

    /// Seed 001 App. J.1 (MNIST): random start, ⌊ε·100⌋ + 10 steps of size 0.01 (ε on the [0, 1]
    /// pixel scale).
    pub fn seed001_training(eps: f64) -> Self {
        Attack::Pgd(Pgd { steps: (eps * 100.0).floor() as usize + 10, step_size: 0.01, restarts: 1, random_start: true })
    }

    /// PGD-20 as used in seed 003's tables, with Madry et al.'s step 2.5ε/steps and a random start.
    pub fn pgd20(eps: f64) -> Self {
        Attack::Pgd(Pgd { steps: 20, step_size: 2.5 * eps / 20.0, restarts: 1, random_start: true })
    }

    /// Validates the parameters.
    pub fn validate(&self) -> Result<()> {
        match self {
            Attack::Pgd(p) => {
                if p.steps == 0 {
                    return Err(Error::InvalidParam { name: "pgd.steps".into(), reason: "must be at least 1".into() });
                }
                if p.restarts == 0 {
                    return Err(Error::InvalidParam { name: "pgd.restarts".into(), reason: "must be at least 1".into() });
                }
                if !(p.step_size.is_finite() && p.step_size >= 0.0) {
                    return Err(Error::InvalidParam { name: "pgd.step_size".into(), reason: format!("must be finite and >= 0, got {}", p.step_size) });
                }
            }
            Attack::Fgsm { step_size: Some(s), .. } if !(s.is_finite() && *s >= 0.0) => {
                return Err(Error::InvalidParam { name: "fgsm.step_size".into(), reason: format!("must be finite and >= 0, got {s}") });
            }
            Attack::Fgsm { .. } => {}
        }
        Ok(())
    }

    /// Gradient evaluations per example (the attack's cost in backward passes).
    pub fn gradient_evaluations(&self) -> usize {
        match self {
            Attack::Pgd(p) => p.steps * p.restarts,
            Attack::Fgsm { .. } => 1,
        }
    }
}

/// Per-example losses `[N]` in evaluation mode, without gradients.
fn eval_loss<B: Backend, M: Classifier<B>>(model: &M, x: Tensor<B, 2>, y: Tensor<B, 1, Int>) -> Tensor<B, 1> {
    cross_entropy(model.logits(x), y)
}

/// Keeps, row by row, the candidate whose loss is larger. Returns the merged points and losses.
fn keep_best<B: Backend>(
    best_x: Tensor<B, 2>,
    best_l: Tensor<B, 1>,
    cand_x: Tensor<B, 2>,
    cand_l: Tensor<B, 1>,
) -> (Tensor<B, 2>, Tensor<B, 1>) {
    let [n, d] = best_x.dims();
    let better = cand_l.clone().greater(best_l.clone());
    let l = best_l.mask_where(better.clone(), cand_l);
    let x = best_x.mask_where(better.reshape([n, 1]).expand([n, d]), cand_x);
    (x, l)
}

/// Adversarial examples for `x` with labels `y` within `threat`, from the attack's random stream
/// `seed` (random starts only). The model is the autodiff version; it is copied with detached
/// parameters.
///
/// # Shapes
/// - `x`: `[N, D]`, `y`: `[N]`; returns `[N, D]` on the inner backend
pub fn perturb<B, M>(
    model: &M,
    x: Tensor<B::InnerBackend, 2>,
    y: Tensor<B::InnerBackend, 1, Int>,
    threat: &ThreatModel,
    attack: &Attack,
    seed: Seed,
) -> Result<Tensor<B::InnerBackend, 2>>
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
    M::InnerModule: Classifier<B::InnerBackend>,
{
    attack.validate()?;
    if threat.eps == 0.0 {
        return Ok(x);
    }
    let target = GradTarget::Loss(y.clone());
    match attack {
        Attack::Fgsm { random_start, step_size } => {
            let start = if *random_start { threat.random_init(&x, seed) } else { x.clone() };
            let (g, _) = input_gradient::<B, M>(model, start.clone(), &target)?;
            let alpha = step_size.unwrap_or(threat.eps);
            Ok(threat.project(&x, threat.step(start, g, alpha)))
        }
        Attack::Pgd(p) => {
            let inner = model.valid();
            let mut best: Option<(Tensor<B::InnerBackend, 2>, Tensor<B::InnerBackend, 1>)> = None;
            for r in 0..p.restarts {
                let mut cur = if p.random_start || r > 0 {
                    threat.random_init(&x, seed.derive(r as u64))
                } else {
                    x.clone()
                };
                for _ in 0..p.steps {
                    let (g, l) = input_gradient::<B, M>(model, cur.clone(), &target)?;
                    best = Some(match best {
                        None => (cur.clone(), l),
                        Some((bx, bl)) => keep_best(bx, bl, cur.clone(), l),
                    });
                    cur = threat.project(&x, threat.step(cur, g, p.step_size));
                }
                let l = eval_loss(&inner, cur.clone(), y.clone());
                best = Some(match best {
                    None => (cur, l),
                    Some((bx, bl)) => keep_best(bx, bl, cur, l),
                });
            }
            best.map(|(bx, _)| bx).ok_or_else(|| Error::InvalidParam { name: "pgd.steps".into(), reason: "no iterate".into() })
        }
    }
}
