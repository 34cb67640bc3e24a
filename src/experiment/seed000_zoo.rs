//! The classifiers seed 000's wide-network experiments compare (Fig 5 and the feature-leakage
//! table): a linear model, a standard and an ℓ∞-robust wide mean-field MLP trained by full-batch
//! GD ([`train_zoo`]), the theory's infinite-width measures and the smoothed Bayes-optimal
//! classifier ([`Model`]), and the split of input-gradient mass over the blocks ([`shares`]).

use nalgebra::DVector;
use serde::{Deserialize, Serialize};

use super::spec::Keys;
use crate::error::Result;
use crate::rng::Seed;
use crate::theory::block_bayes::SmoothedBayes;
use crate::theory::mean_field::Measure;
use crate::train::wide::{train_linear, train_wide, Batch, LinfAdversary, WideNet, WideTrainConfig};

/// Stream of a wide net's initialisation below its seed.
const STREAM_INIT: u64 = 2;

/// How the wide MLPs and the linear model are trained (shared with Fig 5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZooSpec {
    /// Hidden width of the MLPs.
    pub width: usize,
    /// ℓ∞ radius of the robust MLP.
    pub eps: f64,
    /// Full-batch GD steps of the standard MLP.
    pub steps_standard: usize,
    /// Full-batch GD steps of the robust MLP.
    pub steps_robust: usize,
    /// Learning rate in mean-field time.
    pub lr: f64,
    /// Initial E‖θ_k‖.
    pub init_scale: f64,
    /// PGD steps of the training attack (step ε/4, seed 000 App. C.1).
    pub pgd_steps: usize,
    /// GD steps of the linear model.
    pub linear_steps: usize,
    /// Its learning rate.
    pub linear_lr: f64,
}

impl ZooSpec {
    /// Reads the keys of a zoo from a scale table.
    pub fn from_keys(k: &Keys<'_>) -> Result<Self> {
        Ok(ZooSpec {
            width: k.usize_min("width", 1)?,
            eps: k.f64_in("eps", 0.0, 0.5)?,
            steps_standard: k.usize_min("steps_standard", 1)?,
            steps_robust: k.usize_min("steps_robust", 1)?,
            lr: k.f64_in("lr", f64::MIN_POSITIVE, f64::MAX)?,
            init_scale: k.f64_in("init_scale", f64::MIN_POSITIVE, f64::MAX)?,
            pgd_steps: k.usize_min("pgd_steps", 1)?,
            linear_steps: k.usize_min("linear_steps", 1)?,
            linear_lr: k.f64_in("linear_lr", f64::MIN_POSITIVE, f64::MAX)?,
        })
    }

    fn adversary(&self) -> LinfAdversary {
        LinfAdversary { eps: self.eps, steps: self.pgd_steps, step_fraction: 0.25 }
    }
}

/// A classifier of the zoo.
#[derive(Debug, Clone)]
pub enum Model {
    /// f(x) = ⟨w, x⟩ + b.
    Linear(Vec<f64>, f64),
    /// A trained wide net.
    Wide(WideNet),
    /// An infinite-width measure of the theory.
    Measure(Measure),
    /// The σ-smoothed Bayes-optimal log-odds.
    Bayes(SmoothedBayes),
}

impl Model {
    /// (logit, ∇ₓ logit) at every row of `x` (row-major n × d).
    ///
    /// # Shapes
    /// - `x`: `[N, d]` row-major; returns N logits and gradients `[N, d]` row-major
    pub fn logits_and_grads(&self, x: &[f64], d: usize) -> Result<(Vec<f64>, Vec<f64>)> {
        match self {
            Model::Linear(w, b) => {
                let f = x.chunks(d).map(|r| r.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() + b).collect();
                let g = x.chunks(d).flat_map(|_| w.iter().copied()).collect();
                Ok((f, g))
            }
            Model::Wide(net) => net.logits_and_input_grads(x),
            Model::Measure(nu) => {
                let (mut f, mut g) = (Vec::new(), Vec::new());
                for r in x.chunks(d) {
                    let v = DVector::from_column_slice(r);
                    f.push(nu.f(&v));
                    g.extend(nu.grad_f(&v).iter().copied());
                }
                Ok((f, g))
            }
            Model::Bayes(b) => {
                let (mut f, mut g) = (Vec::new(), Vec::new());
                for r in x.chunks(d) {
                    let (l, gr) = b.log_odds_and_grad(r)?;
                    f.push(l);
                    g.extend(gr);
                }
                Ok((f, g))
            }
        }
    }
}

/// Trains the linear model, the standard MLP and the robust MLP on `batch` (seed `seed`); returns
/// (name, model, training seconds).
pub fn train_zoo(zoo: &ZooSpec, batch: &Batch<'_>, seed: u64, log: &mut dyn FnMut(&str)) -> Result<Vec<(String, Model, f64)>> {
    let d = batch.d;
    let mut out = Vec::new();
    let t0 = std::time::Instant::now();
    let (w, b) = train_linear(batch, zoo.linear_steps, zoo.linear_lr)?;
    out.push(("linear".to_string(), Model::Linear(w, b), t0.elapsed().as_secs_f64()));
    for (name, adversary, steps) in [("standard MLP", None, zoo.steps_standard), ("robust MLP", Some(zoo.adversary()), zoo.steps_robust)] {
        let t0 = std::time::Instant::now();
        let mut net = WideNet::init(d, zoo.width, zoo.init_scale, Seed(seed).derive(STREAM_INIT))?;
        let cfg = WideTrainConfig { steps, lr: zoo.lr, adversary, record_every: steps };
        let h = train_wide(&mut net, batch, &cfg, &mut |_| {})?;
        let secs = t0.elapsed().as_secs_f64();
        if let Some(l) = h.last() {
            log(&format!("  {name}: {steps} steps in {secs:.1}s, margin {:.5}, attacked margin {:.5}", l.margin, l.adv_margin));
        }
        out.push((name.to_string(), Model::Wide(net), secs));
    }
    Ok(out)
}

pub use crate::metric::mask::block_shares as shares;
