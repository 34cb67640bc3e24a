//! SHAP estimators over a background set of baselines.
//!
//! * **GradientSHAP / Expected Gradients** (Lundberg & Lee 2017; Erion et al. 2021; Captum's
//!   `GradientShap`): for n samples per example, a baseline b drawn uniformly from the background
//!   set, a point α ~ U(0, 1) on the path, and optional input noise z ~ N(0, σ²I),
//!   A = (1/n) Σ_j (x + z_j − b_j) ⊙ ∇t(α_j (x + z_j) + (1 − α_j) b_j). With one baseline and no
//!   noise its expectation over α is Integrated Gradients from that baseline.
//! * **DeepSHAP** (Captum's `DeepLiftShap`; seed 001's "SH"): DeepLIFT-Rescale from every
//!   background baseline, averaged. It sums to t(x) − mean_b t(b); the remainder is its gap.
//!
//! The draws of example i come from [`super::example_seed`]; [`GradientShap::attribute_with_draws`]
//! takes given draws (tests give Captum's).

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::Tensor;
use ndarray::Array2;
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};

use super::deeplift::{deeplift, DEFAULT_EPS};
use super::propagate::Composition;
use super::gradient::scalar_gradients;
use super::{check_batch, example_seed, from_vec64, rows_of, to_vec64, Attribution, Attributions, Budget, Scalar};
use crate::error::{Error, Result};
use crate::model::Classifier;
use crate::rng::Seed;

fn check_background(bg: &Array2<f32>, d: usize) -> Result<()> {
    if bg.nrows() == 0 {
        return Err(Error::param("background", "the background set is empty"));
    }
    if bg.ncols() != d {
        return Err(Error::Shape(format!("background rows have {} coordinates, inputs {d}", bg.ncols())));
    }
    if bg.iter().any(|v| !v.is_finite()) {
        return Err(Error::param("background", "the background set has non-finite values"));
    }
    Ok(())
}

fn record_background(bg: &Array2<f32>) -> serde_json::Value {
    let bytes: Vec<u8> = bg.iter().flat_map(|v| v.to_le_bytes()).collect();
    serde_json::json!({ "rows": bg.nrows(), "md5": crate::checksum::md5_hex(&bytes) })
}

/// GradientSHAP (Expected Gradients when `sigma` is 0).
#[derive(Debug, Clone, PartialEq)]
pub struct GradientShap {
    /// Background baselines `[B, D]`.
    pub background: Array2<f32>,
    /// Samples per example.
    pub samples: usize,
    /// Standard deviation of the input noise (input units; 0 = none).
    pub sigma: f64,
    /// Seed of the draws.
    pub seed: Seed,
    /// Memory budget of one batch of gradients.
    pub budget: Budget,
}

/// The random draws of GradientSHAP for N examples, example-major (row q = i·n + j).
#[derive(Debug, Clone, PartialEq)]
pub struct ShapDraws {
    /// Background row of each sample.
    pub baseline: Vec<usize>,
    /// Path point α of each sample.
    pub alpha: Vec<f32>,
    /// Input noise of each sample, `[N·n·D]` (empty: none).
    pub noise: Vec<f64>,
}

/// One sample of GradientSHAP: the background row, α, and the input noise written into a row.
type DrawFn<'a> = dyn FnMut(usize, usize, &mut [f64]) -> (usize, f32) + 'a;

impl GradientShap {
    fn check_sigma(&self) -> Result<()> {
        if self.sigma.is_finite() && self.sigma >= 0.0 {
            Ok(())
        } else {
            Err(Error::param("sigma", format!("must be finite and >= 0, got {}", self.sigma)))
        }
    }

    /// One random stream per example; `next(i, noise)` draws example i's next sample (background
    /// row, α, then D noise values when σ > 0).
    fn streams(&self, rows: &[Vec<f64>]) -> Vec<crate::rng::Rng> {
        rows.iter().map(|r| example_seed(self.seed, r).rng()).collect()
    }

    fn next(&self, rng: &mut crate::rng::Rng, noise: &mut [f64]) -> (usize, f32) {
        let b = rng.random_range(0..self.background.nrows().max(1));
        let a = rng.random::<f32>();
        for v in noise.iter_mut() {
            *v = if self.sigma > 0.0 {
                let z: f32 = StandardNormal.sample(rng);
                f64::from(z) * self.sigma
            } else {
                0.0
            };
        }
        (b, a)
    }

    /// The draws of the examples `rows` (what [`Attribution::attribute`] draws as it goes).
    ///
    /// # Shapes
    /// - `rows`: N examples of D values; returns N·n baselines and α, and N·n·D noise values
    ///   (none when σ = 0)
    pub fn draw(&self, rows: &[Vec<f64>]) -> Result<ShapDraws> {
        self.check_sigma()?;
        let mut streams = self.streams(rows);
        let mut out = ShapDraws { baseline: Vec::new(), alpha: Vec::new(), noise: Vec::new() };
        for (i, row) in rows.iter().enumerate() {
            let mut z = vec![0.0; row.len()];
            for _ in 0..self.samples {
                let (b, a) = self.next(&mut streams[i], &mut z);
                out.baseline.push(b);
                out.alpha.push(a);
                if self.sigma > 0.0 {
                    out.noise.extend_from_slice(&z);
                }
            }
        }
        Ok(out)
    }

    /// GradientSHAP with the given draws.
    ///
    /// # Shapes
    /// - `x`: `[N, D]`; returns `[N, D]`
    pub fn attribute_with_draws<B, M>(&self, model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar, draws: &ShapDraws) -> Result<Attributions<B::InnerBackend>>
    where
        B: AutodiffBackend,
        M: Classifier<B> + AutodiffModule<B>,
    {
        let [n, d] = check_batch(&x, target)?;
        let total = n * self.samples;
        if draws.baseline.len() != total || draws.alpha.len() != total || !(draws.noise.is_empty() || draws.noise.len() == total * d) {
            return Err(Error::Shape(format!("draws for {n} examples × {} samples expected", self.samples)));
        }
        if let Some(&b) = draws.baseline.iter().find(|&&b| b >= self.background.nrows()) {
            return Err(Error::param("background", format!("drawn row {b} is outside the {} background rows", self.background.nrows())));
        }
        let m = self.samples;
        self.run(model, x, target, &mut |i, j, out| {
            let q = i * m + j;
            if draws.noise.is_empty() {
                out.fill(0.0);
            } else {
                out.copy_from_slice(&draws.noise[q * d..(q + 1) * d]);
            }
            (draws.baseline[q], draws.alpha[q])
        })
    }

    /// GradientSHAP with example i's j-th sample drawn by `draw(i, j, noise)`, called for
    /// j = 0..n−1 in order for each example.
    fn run<B, M>(&self, model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar, draw: &mut DrawFn<'_>) -> Result<Attributions<B::InnerBackend>>
    where
        B: AutodiffBackend,
        M: Classifier<B> + AutodiffModule<B>,
    {
        let [n, d] = check_batch(&x, target)?;
        check_background(&self.background, d)?;
        let m = self.samples;
        if m == 0 {
            return Err(Error::param("samples", "GradientSHAP needs at least 1 sample"));
        }
        let total = n * m;
        let device = x.device();
        let xs = rows_of(&x)?;
        let bg: Vec<f64> = self.background.iter().map(|&v| f64::from(v)).collect();
        let rows = super::staging_rows(&self.budget, model, d);
        let mut sum = vec![0f64; n * d];
        let mut noise = vec![0.0; d];
        let mut r = 0;
        while r < total {
            let end = (r + rows).min(total);
            let len = end - r;
            let (mut points, mut diffs) = (Vec::with_capacity(len * d), Vec::with_capacity(len * d));
            for q in r..end {
                let (i, j) = (q / m, q % m);
                let (bi, a) = draw(i, j, &mut noise);
                let b = &bg[bi * d..(bi + 1) * d];
                let a = f64::from(a);
                for c in 0..d {
                    let xi = xs[i][c] + noise[c];
                    // Captum's `_scale_input`: α·x + (1 − α)·b.
                    points.push(a * xi + (1.0 - a) * b[c]);
                    diffs.push(xi - b[c]);
                }
            }
            let scalar = target.rows((r..end).map(|q| q / m));
            let (g, _) = scalar_gradients::<B, M>(model, from_vec64::<B::InnerBackend>(points, [len, d], &device), &scalar)?;
            let g = to_vec64(&g)?;
            for q in r..end {
                let i = q / m;
                let off = (q - r) * d;
                for c in 0..d {
                    sum[i * d + c] += diffs[off + c] * g[off + c];
                }
            }
            r = end;
        }
        let values = sum.into_iter().map(|s| s / m as f64).collect();
        Ok(Attributions { values: from_vec64::<B::InnerBackend>(values, [n, d], &device), gap: None })
    }
}

impl<B, M> Attribution<B, M> for GradientShap
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    fn name(&self) -> String {
        "gradient_shap".into()
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "background": record_background(&self.background), "samples": self.samples, "sigma": self.sigma, "seed": self.seed.0, "memory_bytes": self.budget.bytes })
    }

    fn attribute(&self, model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar) -> Result<Attributions<B::InnerBackend>> {
        check_batch(&x, target)?;
        self.check_sigma()?;
        let mut streams = self.streams(&rows_of(&x)?);
        self.run(model, x, target, &mut |i, _, noise| self.next(&mut streams[i], noise))
    }
}

/// DeepSHAP: DeepLIFT averaged over a background set.
#[derive(Debug, Clone, PartialEq)]
pub struct DeepShap {
    /// Background baselines `[B, D]`.
    pub background: Array2<f32>,
    /// DeepLIFT's threshold on |Δx|.
    pub eps: f64,
    /// How DeepLIFT's rules of adjacent nonlinearities compose.
    pub composition: Composition,
    /// Memory budget of one batch.
    pub budget: Budget,
}

impl DeepShap {
    /// DeepSHAP over `background` with Captum's default threshold and chained rules.
    ///
    /// # Shapes
    /// - `background`: `[B, D]` baselines
    pub fn new(background: Array2<f32>) -> Self {
        DeepShap { background, eps: DEFAULT_EPS, composition: Composition::Chain, budget: Budget::default() }
    }
}

impl<B, M> Attribution<B, M> for DeepShap
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    fn name(&self) -> String {
        "deep_shap".into()
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "background": record_background(&self.background), "eps": self.eps, "composition": self.composition, "memory_bytes": self.budget.bytes })
    }

    fn attribute(&self, model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar) -> Result<Attributions<B::InnerBackend>> {
        let [n, d] = check_batch(&x, target)?;
        check_background(&self.background, d)?;
        let nb = self.background.nrows();
        let device = x.device();
        let xs = rows_of(&x)?;
        let bg: Vec<f64> = self.background.iter().map(|&v| f64::from(v)).collect();
        let total = n * nb;
        let rows = super::staging_rows(&self.budget, model, d);
        let mut sum = vec![0f64; n * d];
        let mut gap = vec![0f64; n];
        let mut r = 0;
        while r < total {
            let end = (r + rows).min(total);
            let len = end - r;
            let (mut xr, mut ur) = (Vec::with_capacity(len * d), Vec::with_capacity(len * d));
            for q in r..end {
                xr.extend_from_slice(&xs[q / nb]);
                ur.extend_from_slice(&bg[(q % nb) * d..(q % nb + 1) * d]);
            }
            let scalar = target.rows((r..end).map(|q| q / nb));
            let a = deeplift::<B, M>(model, from_vec64(xr, [len, d], &device), from_vec64(ur, [len, d], &device), &scalar, self.eps, self.composition)?;
            let v = to_vec64(&a.values)?;
            let g = a.gap.unwrap_or_default();
            for q in r..end {
                let i = q / nb;
                for c in 0..d {
                    sum[i * d + c] += v[(q - r) * d + c];
                }
                gap[i] += g.get(q - r).copied().unwrap_or(0.0) / nb as f64;
            }
            r = end;
        }
        let values = sum.into_iter().map(|s| s / nb as f64).collect();
        Ok(Attributions { values: from_vec64::<B::InnerBackend>(values, [n, d], &device), gap: Some(gap) })
    }
}
