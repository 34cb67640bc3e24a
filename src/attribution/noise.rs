//! Noise wrappers around any method (Captum's `NoiseTunnel`): SmoothGrad (Smilkov et al. 2017),
//! SmoothGrad² and VarGrad (Adebayo et al. 2018).
//!
//! For n samples z_j ~ N(0, σ²I) per example, with A the wrapped method:
//! * SmoothGrad: (1/n) Σ_j A(x + z_j);
//! * SmoothGrad²: (1/n) Σ_j A(x + z_j)²;
//! * VarGrad: the variance (1/n) Σ_j (A(x + z_j) − mean)², accumulated by Welford's update, whose
//!   terms are products of two numbers of the same sign, so it is ≥ 0 in floating point too
//!   (Captum's E\[A²\] − E\[A\]² can round below zero).
//!
//! σ is given either in input units ([`Sigma::Absolute`]) or as a fraction of each example's
//! range max_d x_d − min_d x_d ([`Sigma::Relative`], the "noise level" of the SmoothGrad paper);
//! the choice is typed and recorded. The noise of example i comes from [`super::example_seed`].
//! The target is the one resolved at the clean input (the noisy copies explain the same class).

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::Tensor;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::{check_batch, example_seed, from_vec64, rows_of, to_vec64, Attribution, Attributions, Budget, Scalar};
use crate::error::{Error, Result};
use crate::model::Classifier;
use crate::rng::Seed;

/// How the samples are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoiseKind {
    /// Mean of the attributions.
    #[serde(rename = "smoothgrad")]
    SmoothGrad,
    /// Mean of the squared attributions.
    #[serde(rename = "smoothgrad_sq")]
    SmoothGradSq,
    /// Variance of the attributions.
    #[serde(rename = "vargrad")]
    VarGrad,
}

impl NoiseKind {
    /// Captum's `nt_type` name.
    pub fn as_str(self) -> &'static str {
        match self {
            NoiseKind::SmoothGrad => "smoothgrad",
            NoiseKind::SmoothGradSq => "smoothgrad_sq",
            NoiseKind::VarGrad => "vargrad",
        }
    }
}

/// The noise's standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sigma {
    /// σ in input units.
    Absolute(f64),
    /// σ = this fraction of each example's range (max − min over its coordinates).
    Relative(f64),
}

impl Sigma {
    fn validate(self) -> Result<()> {
        let v = match self {
            Sigma::Absolute(v) | Sigma::Relative(v) => v,
        };
        if v.is_finite() && v >= 0.0 {
            Ok(())
        } else {
            Err(Error::param("sigma", format!("must be finite and >= 0, got {v}")))
        }
    }

    /// σ for an example with coordinates `row`.
    ///
    /// # Shapes
    /// - `row`: one example's D values
    pub fn for_row(self, row: &[f64]) -> f64 {
        match self {
            Sigma::Absolute(s) => s,
            Sigma::Relative(f) => {
                let (lo, hi) = row.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
                if lo.is_finite() {
                    f * (hi - lo)
                } else {
                    0.0
                }
            }
        }
    }
}

/// A noise wrapper around `inner`.
#[derive(Debug, Clone)]
pub struct NoiseTunnel<A> {
    /// The wrapped method.
    pub inner: A,
    /// How samples are combined.
    pub kind: NoiseKind,
    /// Samples per example.
    pub samples: usize,
    /// Noise level.
    pub sigma: Sigma,
    /// Seed of the noise.
    pub seed: Seed,
    /// Memory budget: at most this many noisy copies are attributed at once.
    pub budget: Budget,
}

impl<A> NoiseTunnel<A> {
    /// The noise of every example: `[N][n·D]`, sample-major within an example (standard normal
    /// f32 draws times σ) — what [`Attribution::attribute`] draws, sample by sample, as it goes.
    ///
    /// # Shapes
    /// - `rows`: N examples of D values; returns N vectors of n·D (n = `samples`)
    pub fn draw_noise(&self, rows: &[Vec<f64>]) -> Result<Vec<Vec<f64>>> {
        let mut streams = self.streams(rows)?;
        Ok(rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let mut z = vec![0.0; self.samples * row.len()];
                z.chunks_mut(row.len()).for_each(|s| streams.fill(i, s));
                z
            })
            .collect())
    }

    fn streams(&self, rows: &[Vec<f64>]) -> Result<NoiseStreams> {
        self.sigma.validate()?;
        Ok(NoiseStreams { rngs: rows.iter().map(|r| example_seed(self.seed, r).rng()).collect(), sigma: rows.iter().map(|r| self.sigma.for_row(r)).collect() })
    }
}

/// One random stream per example, drawn from sample by sample.
struct NoiseStreams {
    rngs: Vec<crate::rng::Rng>,
    sigma: Vec<f64>,
}

impl NoiseStreams {
    /// Example i's next noise sample into `out`.
    fn fill(&mut self, i: usize, out: &mut [f64]) {
        let s = self.sigma[i];
        for v in out {
            let z: f32 = StandardNormal.sample(&mut self.rngs[i]);
            *v = f64::from(z) * s;
        }
    }
}

impl<B, M, A> Attribution<B, M> for NoiseTunnel<A>
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
    A: Attribution<B, M>,
{
    fn name(&self) -> String {
        format!("{}({})", self.kind.as_str(), self.inner.name())
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": self.kind, "samples": self.samples, "sigma": self.sigma, "seed": self.seed.0,
            "method": self.inner.name(), "method_params": self.inner.params(), "memory_bytes": self.budget.bytes,
        })
    }

    fn attribute(&self, model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar) -> Result<Attributions<B::InnerBackend>> {
        check_batch(&x, target)?;
        let mut streams = self.streams(&rows_of(&x)?)?;
        self.run(model, x, target, &mut |i, _, out| streams.fill(i, out))
    }
}

impl<A> NoiseTunnel<A> {
    /// The wrapper with the given noise: `noise[i]` holds example i's n samples, `[n·D]`
    /// sample-major (what [`NoiseTunnel::draw_noise`] draws; tests give Captum's draws).
    ///
    /// # Shapes
    /// - `x`: `[N, D]`; `noise`: N vectors of n·D; returns `[N, D]`
    pub fn attribute_with_noise<B, M>(&self, model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar, noise: &[Vec<f64>]) -> Result<Attributions<B::InnerBackend>>
    where
        B: AutodiffBackend,
        M: Classifier<B> + AutodiffModule<B>,
        A: Attribution<B, M>,
    {
        let [n, d] = check_batch(&x, target)?;
        let m = self.samples;
        if noise.len() != n || noise.iter().any(|z| z.len() != m * d) {
            return Err(Error::Shape(format!("noise for {n} examples of {m} samples × {d} coordinates expected")));
        }
        self.run(model, x, target, &mut |i, j, out| out.copy_from_slice(&noise[i][j * d..(j + 1) * d]))
    }

    /// The wrapper with example i's j-th noise sample written by `noise(i, j, out)`, called for
    /// j = 0..n−1 in order for each example.
    fn run<B, M>(&self, model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar, noise: &mut dyn FnMut(usize, usize, &mut [f64])) -> Result<Attributions<B::InnerBackend>>
    where
        B: AutodiffBackend,
        M: Classifier<B> + AutodiffModule<B>,
        A: Attribution<B, M>,
    {
        let [n, d] = check_batch(&x, target)?;
        let m = self.samples;
        if m == 0 {
            return Err(Error::param("samples", "a noise wrapper needs at least 1 sample"));
        }
        let device = x.device();
        let xs = rows_of(&x)?;
        let total = n * m;
        let chunk = super::staging_rows(&self.budget, model, d);
        // Per-example accumulators on the host (f64): example i's samples are met in the order
        // j = 0..n−1 whatever the chunking, so the chunk size does not change a bit.
        let mut sum = vec![0f64; n * d];
        let mut mean = vec![0f64; n * d];
        let mut m2 = vec![0f64; n * d];
        // Rows q = i·n + j (example-major).
        let mut r = 0;
        while r < total {
            let end = (r + chunk).min(total);
            let mut vals = vec![0.0; (end - r) * d];
            for (q, row) in (r..end).zip(vals.chunks_mut(d)) {
                let (i, j) = (q / m, q % m);
                noise(i, j, row);
                row.iter_mut().zip(&xs[i]).for_each(|(v, a)| *v += a);
            }
            let noisy = from_vec64::<B::InnerBackend>(vals, [end - r, d], &device);
            let a = to_vec64(&self.inner.attribute(model, noisy, &target.rows((r..end).map(|q| q / m)))?.values)?;
            for q in r..end {
                let (i, j) = (q / m, q % m);
                let row = &a[(q - r) * d..(q - r + 1) * d];
                let s = &mut sum[i * d..(i + 1) * d];
                match self.kind {
                    NoiseKind::SmoothGrad => s.iter_mut().zip(row).for_each(|(s, a)| *s += a),
                    NoiseKind::SmoothGradSq => s.iter_mut().zip(row).for_each(|(s, a)| *s += a * a),
                    NoiseKind::VarGrad => {
                        // Welford: mean_j = mean_{j−1} + (a − mean_{j−1})/j; M2 += (a − mean_{j−1})(a − mean_j).
                        let count = (j + 1) as f64;
                        for ((mu, v), a) in mean[i * d..(i + 1) * d].iter_mut().zip(&mut m2[i * d..(i + 1) * d]).zip(row) {
                            let delta = a - *mu;
                            *mu += delta / count;
                            *v += delta * (a - *mu);
                        }
                    }
                }
            }
            r = end;
        }
        let out = match self.kind {
            NoiseKind::SmoothGrad | NoiseKind::SmoothGradSq => sum.into_iter().map(|s| s / m as f64).collect(),
            NoiseKind::VarGrad => m2.into_iter().map(|v| v / m as f64).collect(),
        };
        let values = from_vec64::<B::InnerBackend>(out, [n, d], &device);
        Ok(Attributions { values, gap: None })
    }
}
