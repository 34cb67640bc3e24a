//! Control attributions for evaluating attributions (seed 000 Fig 3's two baselines).
//!
//! * [`RandomAttribution`]: model-agnostic; each example gets a uniformly random permutation of
//!   its coordinates as scores (values 0..D−1), seeded per example by [`super::example_seed`]. Any
//!   top-k set it induces is a uniform random k-subset, so E\[DiffROAR\] = 0 (seed 000 §3).
//! * [`LinearModelAttribution`]: input-agnostic; the input gradient of a (trained) linear model's
//!   logit of the target class, i.e. its weight column — the same map for every input of a class.

use burn::tensor::backend::AutodiffBackend;
use burn::tensor::Tensor;
use ndarray::Array2;
use rand::seq::SliceRandom;

use super::{check_batch, example_seed, from_vec, rows_of, Attribution, Attributions, Scalar};
use crate::error::{Error, Result};
use crate::rng::Seed;

/// A seeded uniform random permutation of the coordinates per example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RandomAttribution {
    /// Seed of the permutations.
    pub seed: Seed,
}

impl<B: AutodiffBackend, M> Attribution<B, M> for RandomAttribution {
    fn name(&self) -> String {
        "random".into()
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "seed": self.seed.0 })
    }

    fn attribute(&self, _model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar) -> Result<Attributions<B::InnerBackend>> {
        let [n, d] = check_batch(&x, target)?;
        let mut out = Vec::with_capacity(n * d);
        for row in rows_of(&x)? {
            let mut perm: Vec<f32> = (0..d).map(|i| i as f32).collect();
            perm.shuffle(&mut example_seed(self.seed, &row).rng());
            out.extend(perm);
        }
        Ok(Attributions { values: from_vec(out, [n, d], &x.device()), gap: None })
    }
}

/// The input gradient of a linear model's target logit: its weight column `W[:, k]` (or, for the
/// sum of logits, the row sums of W).
#[derive(Debug, Clone, PartialEq)]
pub struct LinearModelAttribution {
    /// The linear model's weights `[D, K]` (logits = x W + b).
    pub weights: Array2<f32>,
}

impl<B: AutodiffBackend, M> Attribution<B, M> for LinearModelAttribution {
    fn name(&self) -> String {
        "linear_model".into()
    }

    fn params(&self) -> serde_json::Value {
        let bytes: Vec<u8> = self.weights.iter().flat_map(|v| v.to_le_bytes()).collect();
        serde_json::json!({ "weights_shape": self.weights.shape(), "weights_md5": crate::checksum::md5_hex(&bytes) })
    }

    fn attribute(&self, _model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar) -> Result<Attributions<B::InnerBackend>> {
        let [n, d] = check_batch(&x, target)?;
        let (wd, k) = self.weights.dim();
        if wd != d {
            return Err(Error::Shape(format!("the linear model has {wd} inputs, the examples {d}")));
        }
        let mut out = Vec::with_capacity(n * d);
        match target {
            Scalar::Logit(c) => {
                for &class in c {
                    if class >= k {
                        return Err(Error::param("target", format!("class {class} out of range for a linear model with {k} classes")));
                    }
                    out.extend(self.weights.column(class).iter().copied());
                }
            }
            Scalar::SumLogits(_) => {
                let sums: Vec<f32> = self.weights.rows().into_iter().map(|r| r.sum()).collect();
                (0..n).for_each(|_| out.extend_from_slice(&sums));
            }
            other => return Err(Error::param("target", format!("the linear-model control explains a logit or the sum of logits, not `{}`", other.kind()))),
        }
        Ok(Attributions { values: from_vec(out, [n, d], &x.device()), gap: None })
    }
}
