//! Integrated Gradients (Sundararajan et al. 2017; seed 001 eq 13):
//! IG_d(x, u) = (x_d − u_d) ∫₀¹ ∂_d t(u + α(x − u)) dα, by a quadrature rule with `steps`
//! gradient evaluations.
//!
//! The rules are those of [`crate::theory::ig::Rule`], whose weights sum to one: with n steps,
//! left, right and middle Riemann sums use n nodes of weight 1/n; the trapezoid rule uses the n
//! nodes k/(n − 1) with weights 1/(n − 1) (halved at both ends); Gauss–Legendre uses n nodes.
//! Captum's `riemann_trapezoid` takes the same nodes but weights 1/n (halved at the ends), which
//! sum to (n − 1)/n: its trapezoid IG is ours times (n − 1)/n (tests/attribution_captum.rs checks
//! exactly that relation).
//!
//! The n·N inputs are streamed in chunks of [`Budget::rows`] rows (step-major); each example's
//! integral is accumulated over the steps in their order, so the chunk size does not change a bit
//! of the result. The completeness gap Σ_d IG_d − (t(x) − t(u)) is returned per example.

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::gradient::{scalar_gradients, scalar_values};
use super::{check_batch, from_vec64, to_vec64, Attribution, Attributions, Baseline, Budget, Scalar};
use crate::error::{Error, Result};
use crate::model::Classifier;
use crate::theory::ig::Rule;

/// Quadrature rule of Integrated Gradients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IgRule {
    /// Left Riemann sum (nodes k/n, k = 0..n−1). Error O(1/n).
    Left,
    /// Right Riemann sum (nodes k/n, k = 1..n). Error O(1/n).
    Right,
    /// Midpoint rule (nodes (k + ½)/n). Error O(1/n²) on smooth paths.
    Middle,
    /// Trapezoid rule on the n nodes k/(n − 1). Error O(1/n²) on smooth paths.
    Trapezoid,
    /// Gauss–Legendre with n nodes: exact for polynomials of degree 2n − 1.
    GaussLegendre,
}

impl IgRule {
    /// Every rule.
    pub const ALL: [IgRule; 5] = [IgRule::Left, IgRule::Right, IgRule::Middle, IgRule::Trapezoid, IgRule::GaussLegendre];

    /// The rule of the theory module.
    pub fn theory(self) -> Rule {
        match self {
            IgRule::Left => Rule::Left,
            IgRule::Right => Rule::Right,
            IgRule::Middle => Rule::Middle,
            IgRule::Trapezoid => Rule::Trapezoid,
            IgRule::GaussLegendre => Rule::GaussLegendre,
        }
    }

    /// Nodes α_k and weights (summing to one) for `steps` gradient evaluations.
    pub fn nodes(self, steps: usize) -> Result<(Vec<f64>, Vec<f64>)> {
        match self {
            IgRule::Trapezoid if steps < 2 => Err(Error::param("steps", "the trapezoid rule needs at least 2 steps (both ends of the path)")),
            IgRule::Trapezoid => Rule::Trapezoid.nodes(steps - 1),
            r => r.theory().nodes(steps),
        }
    }

    /// The name on the command line and in records.
    pub fn as_str(self) -> &'static str {
        match self {
            IgRule::Left => "left",
            IgRule::Right => "right",
            IgRule::Middle => "middle",
            IgRule::Trapezoid => "trapezoid",
            IgRule::GaussLegendre => "gauss_legendre",
        }
    }
}

/// Integrated Gradients with a quadrature rule, a step count and a baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct IntegratedGradients {
    /// Quadrature rule.
    pub rule: IgRule,
    /// Gradient evaluations per example.
    pub steps: usize,
    /// Reference input.
    pub baseline: Baseline,
    /// Memory budget of one batch of gradients.
    pub budget: Budget,
}

impl IntegratedGradients {
    /// IG with the given rule and steps from the zero baseline.
    pub fn new(rule: IgRule, steps: usize) -> Self {
        IntegratedGradients { rule, steps, baseline: Baseline::Zero, budget: Budget::default() }
    }
}

impl<B, M> Attribution<B, M> for IntegratedGradients
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    fn name(&self) -> String {
        "integrated_gradients".into()
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "rule": self.rule, "steps": self.steps, "baseline": self.baseline.record(), "memory_bytes": self.budget.bytes })
    }

    fn attribute(&self, model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar) -> Result<Attributions<B::InnerBackend>> {
        let [_, d] = check_batch(&x, target)?;
        let u = self.baseline.make(&x, model.input_shape())?;
        integrate::<B, M>(model, x, u, target, self.rule, self.steps, super::staging_rows(&self.budget, model, d))
    }
}

/// IG of `target` from baselines `u` to inputs `x`, staging at most `rows` gradient rows at once.
///
/// # Shapes
/// - `x`, `u`: `[N, D]`; returns values `[N, D]` and N completeness gaps
pub fn integrate<B, M>(model: &M, x: Tensor<B::InnerBackend, 2>, u: Tensor<B::InnerBackend, 2>, target: &Scalar, rule: IgRule, steps: usize, rows: usize) -> Result<Attributions<B::InnerBackend>>
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    let [n, d] = check_batch(&x, target)?;
    if u.dims() != [n, d] {
        return Err(Error::Shape(format!("baseline {:?} for inputs {:?}", u.dims(), [n, d])));
    }
    let (alphas, weights) = rule.nodes(steps)?;
    let device = x.device();
    let diff = x.clone() - u.clone();
    // The integral of example i's gradient, accumulated over the steps in their order in f64 on
    // the host: the chunking decides only which rows are differentiated together.
    let mut acc = vec![0f64; n * d];
    let total = alphas.len() * n;
    let rows = rows.max(1);
    let mut r = 0;
    while r < total {
        let end = (r + rows).min(total);
        // Pieces (step k, examples i0..i1) of rows r..end, in row order r = k·N + i.
        let mut pieces = Vec::new();
        let mut s = r;
        while s < end {
            let k = s / n;
            let i0 = s - k * n;
            let i1 = (end - k * n).min(n);
            pieces.push((k, i0, i1));
            s = k * n + i1;
        }
        let inputs: Vec<Tensor<B::InnerBackend, 2>> =
            pieces.iter().map(|&(k, i0, i1)| u.clone().slice([i0..i1]) + diff.clone().slice([i0..i1]).mul_scalar(alphas[k])).collect();
        let scalar = target.rows(pieces.iter().flat_map(|&(_, i0, i1)| i0..i1));
        let (g, _) = scalar_gradients::<B, M>(model, Tensor::cat(inputs, 0), &scalar)?;
        let g = to_vec64(&g)?;
        let mut offset = 0;
        for &(k, i0, i1) in &pieces {
            let w = weights[k];
            let len = (i1 - i0) * d;
            for (a, gv) in acc[i0 * d..i1 * d].iter_mut().zip(&g[offset..offset + len]) {
                *a += gv * w;
            }
            offset += len;
        }
        r = end;
    }
    let values = from_vec64::<B::InnerBackend>(acc, [n, d], &device) * diff;
    let fx = to_vec64(&scalar_values::<B, M>(model, x, target)?)?;
    let fu = to_vec64(&scalar_values::<B, M>(model, u, target)?)?;
    let sums = row_sums(&values)?;
    let gap = (0..n).map(|i| sums[i] - (fx[i] - fu[i])).collect();
    Ok(Attributions { values, gap: Some(gap) })
}

/// Row sums of `[N, D]` in f64.
pub(crate) fn row_sums<I: burn::tensor::backend::Backend>(t: &Tensor<I, 2>) -> Result<Vec<f64>> {
    let [n, d] = t.dims();
    let v = to_vec64(t)?;
    Ok((0..n).map(|i| v[i * d..(i + 1) * d].iter().sum()).collect())
}
