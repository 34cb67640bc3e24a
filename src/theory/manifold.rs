//! Off-manifold robustness — seed 004 §3, Definitions 1–3, Theorems 1/3 and 2/4, Argument 2;
//! proofs/manifold.md.
//!
//! * Linear manifolds: a k-dimensional subspace of ℝ^d with projector P and P⊥ = I − P.
//! * Definition 1: ρ₁(σ) = E(f(x + P⊥u) − f(x))² / E(f(x + u) − f(x))², u ~ N(0, σ²I).
//! * Definition 2: ρ₂ = ‖P⊥∇f‖² / ‖∇f‖². Theorem 1: ρ₁(σ) → ρ₂ as σ → 0. For f = one output of
//!   [`Mlp`] the expansion ρ₁(σ) = ρ₂ + c·σ² + O(σ⁴) has a closed-form c ([`rho1_sigma2_coefficient`]).
//! * Theorem 2: Bayes-optimal posteriors of class-conditional densities given as finite mixtures of
//!   diagonal Gaussians ([`MixtureClasses`]); gradients of log p(y | x) in closed form (the display
//!   in the proof of Theorem 4).
//! * Argument 2: ridge regression and the row span of the data.

use nalgebra::{DMatrix, DVector};
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::theory::density::{logsumexp, Mlp};

// ------------------------------------------------------------------ subspaces

/// Relative size below which a QR diagonal entry counts as zero when deciding whether a basis has
/// full rank: far above f64 rounding of an O(1)-conditioned matrix (~1e-15), far below any genuine
/// direction in the seeded problems (≥ 1e-2).
const RANK_REL: f64 = 1e-10;

/// A k-dimensional linear subspace of ℝ^d, stored as an orthonormal basis Q (d×k).
#[derive(Debug, Clone, PartialEq)]
pub struct Subspace {
    q: DMatrix<f64>,
}

impl Subspace {
    /// Orthonormalises the columns of `basis` (d×k, k ≤ d) by QR; fails if they are not linearly
    /// independent.
    pub fn new(basis: DMatrix<f64>) -> Result<Self> {
        let (d, k) = basis.shape();
        if k == 0 || k > d {
            return Err(Error::param("basis", format!("need 1 <= k <= d columns, got {d}x{k}")));
        }
        if basis.iter().any(|v| !v.is_finite()) {
            return Err(Error::param("basis", "entries must be finite"));
        }
        let scale = basis.column_iter().map(|c| c.norm()).fold(0.0, f64::max);
        let qr = basis.qr();
        let r = qr.r();
        if (0..k).any(|i| r[(i, i)].abs() <= RANK_REL * scale) {
            return Err(Error::param("basis", "columns are linearly dependent"));
        }
        Ok(Self { q: qr.q() })
    }

    /// A uniformly random k-dimensional subspace of ℝ^d: QR of a d×k standard Gaussian matrix.
    pub fn random(d: usize, k: usize, rng: &mut Rng) -> Result<Self> {
        Self::new(DMatrix::from_fn(d, k, |_, _| StandardNormal.sample(rng)))
    }

    /// The span of a set of coordinates (a coordinate "signal" subspace).
    pub fn coordinates(d: usize, coords: &[usize]) -> Result<Self> {
        if coords.iter().any(|&c| c >= d) {
            return Err(Error::param("coords", format!("coordinates must be < {d}")));
        }
        let mut b = DMatrix::zeros(d, coords.len());
        for (j, &c) in coords.iter().enumerate() {
            b[(c, j)] = 1.0;
        }
        Self::new(b)
    }

    /// Ambient dimension d.
    pub fn ambient(&self) -> usize {
        self.q.nrows()
    }
    /// Subspace dimension k.
    pub fn dim(&self) -> usize {
        self.q.ncols()
    }
    /// The orthonormal basis Q.
    pub fn basis(&self) -> &DMatrix<f64> {
        &self.q
    }
    /// P v = Q Qᵀ v.
    pub fn project(&self, v: &DVector<f64>) -> DVector<f64> {
        &self.q * (self.q.transpose() * v)
    }
    /// P⊥ v = v − Q Qᵀ v.
    pub fn project_perp(&self, v: &DVector<f64>) -> DVector<f64> {
        v - self.project(v)
    }
    /// The projector P⊥ as a matrix.
    pub fn perp_matrix(&self) -> DMatrix<f64> {
        DMatrix::identity(self.ambient(), self.ambient()) - &self.q * self.q.transpose()
    }
}

/// Definition 2: ρ₂ = ‖∇f − P∇f‖² / ‖∇f‖² = ‖P⊥∇f‖²/‖∇f‖².
pub fn rho2(grad: &DVector<f64>, s: &Subspace) -> f64 {
    s.project_perp(grad).norm_squared() / grad.norm_squared()
}

/// The σ⁴ coefficient of E(f(x + σv) − f(x))² for v ~ N(0, Σ) and f = output `k` of `mlp`:
/// ¼ E(vᵀHv)² + ⅓ E[(gᵀv) T(v, v, v)] = ¼[(tr HΣ)² + 2 tr(HΣHΣ)] + T(Σg, Σ) (Isserlis), with
/// H = Σⱼ αⱼ wⱼwⱼᵀ, αⱼ = W₂₍ₖⱼ₎φ''(zⱼ) and T(a, Σ) = Σⱼ W₂₍ₖⱼ₎φ'''(zⱼ)⟨wⱼ,a⟩ wⱼᵀΣwⱼ.
pub fn sigma4_coefficient(mlp: &Mlp, k: usize, x: &DVector<f64>, cov: &DMatrix<f64>) -> f64 {
    let w1 = mlp.w1();
    let z = mlp.pre(x);
    let act = mlp.activation();
    let h = mlp.n_hidden();
    let alpha: Vec<f64> = (0..h).map(|j| mlp.w2()[(k, j)] * act.d2(z[j])).collect();
    let gamma: Vec<f64> = (0..h).map(|j| mlp.w2()[(k, j)] * act.d3(z[j])).collect();
    let m = w1 * cov * w1.transpose();
    let tr: f64 = (0..h).map(|j| alpha[j] * m[(j, j)]).sum();
    let mut tr2 = 0.0;
    for j in 0..h {
        for l in 0..h {
            tr2 += alpha[j] * alpha[l] * m[(j, l)] * m[(j, l)];
        }
    }
    let g = mlp.output_grad(k, x);
    let wsg = w1 * (cov * g);
    let t: f64 = (0..h).map(|j| gamma[j] * wsg[j] * m[(j, j)]).sum();
    0.25 * (tr * tr + 2.0 * tr2) + t
}

/// The coefficient c in ρ₁(σ) = ρ₂ + c σ² + O(σ⁴) for f = output `k` of `mlp` at x:
/// with E(Δf)² = σ²A + σ⁴B + O(σ⁶) for the full and the off-manifold noise,
/// c = (B_off − ρ₂ B)/A.
pub fn rho1_sigma2_coefficient(mlp: &Mlp, k: usize, x: &DVector<f64>, s: &Subspace) -> f64 {
    let g = mlp.output_grad(k, x);
    let a = g.norm_squared();
    let r2 = rho2(&g, s);
    let d = s.ambient();
    let b_full = sigma4_coefficient(mlp, k, x, &DMatrix::identity(d, d));
    let b_off = sigma4_coefficient(mlp, k, x, &s.perp_matrix());
    (b_off - r2 * b_full) / a
}

// ------------------------------------------------------------------ Bayes-optimal classifiers

/// A Gaussian with diagonal covariance.
#[derive(Debug, Clone, PartialEq)]
pub struct DiagGaussian {
    mean: DVector<f64>,
    var: DVector<f64>,
}

impl DiagGaussian {
    /// Validates equal lengths ≥ 1, finite means and variances > 0.
    pub fn new(mean: DVector<f64>, var: DVector<f64>) -> Result<Self> {
        if mean.is_empty() || mean.len() != var.len() {
            return Err(Error::Shape(format!("mean {} vs variance {}", mean.len(), var.len())));
        }
        if mean.iter().any(|v| !v.is_finite()) || var.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(Error::param("var", "means must be finite and variances finite and > 0"));
        }
        Ok(Self { mean, var })
    }
    /// Isotropic N(mean, v·I).
    pub fn iso(mean: DVector<f64>, v: f64) -> Result<Self> {
        let n = mean.len();
        Self::new(mean, DVector::from_element(n, v))
    }
    /// Dimension.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }
    /// The mean.
    pub fn mean(&self) -> &DVector<f64> {
        &self.mean
    }
    /// log density.
    pub fn ln_pdf(&self, x: &DVector<f64>) -> f64 {
        let mut s = 0.0;
        for i in 0..self.dim() {
            let r = x[i] - self.mean[i];
            s += -0.5 * r * r / self.var[i] - 0.5 * (2.0 * std::f64::consts::PI * self.var[i]).ln();
        }
        s
    }
    /// ∇ log density = −(x − μ)/v.
    pub fn grad_ln_pdf(&self, x: &DVector<f64>) -> DVector<f64> {
        DVector::from_fn(self.dim(), |i, _| -(x[i] - self.mean[i]) / self.var[i])
    }
    /// One draw.
    pub fn sample(&self, rng: &mut Rng) -> DVector<f64> {
        DVector::from_fn(self.dim(), |i, _| {
            let z: f64 = StandardNormal.sample(rng);
            self.mean[i] + self.var[i].sqrt() * z
        })
    }
    /// Concatenation (product density) of two Gaussians on disjoint coordinate blocks.
    pub fn concat(&self, other: &DiagGaussian) -> DiagGaussian {
        let mean = DVector::from_iterator(self.dim() + other.dim(), self.mean.iter().chain(other.mean.iter()).cloned());
        let var = DVector::from_iterator(self.dim() + other.dim(), self.var.iter().chain(other.var.iter()).cloned());
        DiagGaussian { mean, var }
    }
}

/// A finite mixture Σ_c w_c N(x; m_c, diag v_c) with weights summing to one.
#[derive(Debug, Clone, PartialEq)]
pub struct Mixture {
    comps: Vec<(f64, DiagGaussian)>,
}

/// Tolerance on Σ w_c = 1 for user-given mixture weights (they are typically typed decimals).
const WEIGHT_SUM_TOL: f64 = 1e-9;

impl Mixture {
    /// Validates ≥ 1 component, equal dimensions, weights > 0 summing to one.
    pub fn new(comps: Vec<(f64, DiagGaussian)>) -> Result<Self> {
        let Some(first) = comps.first() else {
            return Err(Error::param("mixture", "needs at least one component"));
        };
        let d = first.1.dim();
        if comps.iter().any(|(_, g)| g.dim() != d) {
            return Err(Error::Shape("mixture components of different dimensions".into()));
        }
        if comps.iter().any(|(w, _)| !(w.is_finite() && *w > 0.0)) || (comps.iter().map(|(w, _)| w).sum::<f64>() - 1.0).abs() > WEIGHT_SUM_TOL {
            return Err(Error::param("weights", "must be > 0 and sum to 1"));
        }
        Ok(Self { comps })
    }
    /// A single Gaussian.
    pub fn single(g: DiagGaussian) -> Self {
        Self { comps: vec![(1.0, g)] }
    }
    /// Dimension.
    pub fn dim(&self) -> usize {
        self.comps[0].1.dim()
    }
    /// The components.
    pub fn components(&self) -> &[(f64, DiagGaussian)] {
        &self.comps
    }
    /// Per-component log w_c + log N_c(x).
    fn comp_logs(&self, x: &DVector<f64>) -> Vec<f64> {
        self.comps.iter().map(|(w, g)| w.ln() + g.ln_pdf(x)).collect()
    }
    /// log density (stable log-sum-exp over components).
    pub fn ln_pdf(&self, x: &DVector<f64>) -> f64 {
        logsumexp(&self.comp_logs(x))
    }
    /// ∇ log density = Σ_c r_c(x) ∇ log N_c(x), r the component responsibilities.
    pub fn grad_ln_pdf(&self, x: &DVector<f64>) -> DVector<f64> {
        let l = self.comp_logs(x);
        let tot = logsumexp(&l);
        let mut g = DVector::zeros(self.dim());
        for ((_, c), lc) in self.comps.iter().zip(&l) {
            g += c.grad_ln_pdf(x) * (lc - tot).exp();
        }
        g
    }
    /// One draw and the index of the component it came from.
    pub fn sample(&self, rng: &mut Rng) -> (DVector<f64>, usize) {
        let u: f64 = rng.random();
        let mut acc = 0.0;
        let mut idx = self.comps.len() - 1;
        for (c, (w, _)) in self.comps.iter().enumerate() {
            acc += w;
            if u < acc {
                idx = c;
                break;
            }
        }
        (self.comps[idx].1.sample(rng), idx)
    }
    /// Product with a mixture on the following coordinates: (a, b) ↦ p(a) q(b), as a mixture
    /// over all pairs of components.
    pub fn product(&self, other: &Mixture) -> Mixture {
        let mut comps = Vec::new();
        for (w, g) in &self.comps {
            for (v, h) in &other.comps {
                comps.push((w * v, g.concat(h)));
            }
        }
        Mixture { comps }
    }
}

/// A classification problem given by class priors πᵧ and class-conditional densities p(x | y);
/// its Bayes-optimal classifier is p(y | x) = πᵧ p(x | y) / Σⱼ πⱼ p(x | j).
#[derive(Debug, Clone, PartialEq)]
pub struct MixtureClasses {
    priors: Vec<f64>,
    classes: Vec<Mixture>,
}

impl MixtureClasses {
    /// Validates ≥ 2 classes of one dimension and priors > 0 summing to one.
    pub fn new(priors: Vec<f64>, classes: Vec<Mixture>) -> Result<Self> {
        if classes.len() < 2 || priors.len() != classes.len() {
            return Err(Error::param("classes", format!("need >= 2 classes with one prior each, got {} and {}", classes.len(), priors.len())));
        }
        let d = classes[0].dim();
        if classes.iter().any(|c| c.dim() != d) {
            return Err(Error::Shape("class-conditional densities of different dimensions".into()));
        }
        if priors.iter().any(|p| !(p.is_finite() && *p > 0.0)) || (priors.iter().sum::<f64>() - 1.0).abs() > WEIGHT_SUM_TOL {
            return Err(Error::param("priors", "must be > 0 and sum to 1"));
        }
        Ok(Self { priors, classes })
    }
    /// Input dimension.
    pub fn dim(&self) -> usize {
        self.classes[0].dim()
    }
    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.classes.len()
    }
    /// The class-conditional density of class y.
    pub fn class(&self, y: usize) -> &Mixture {
        &self.classes[y]
    }
    /// log πᵧ + log p(x | y) for every class.
    fn joint_logs(&self, x: &DVector<f64>) -> Vec<f64> {
        self.priors.iter().zip(&self.classes).map(|(p, c)| p.ln() + c.ln_pdf(x)).collect()
    }
    /// log p(y | x), computed from the full joint density (including every coordinate).
    pub fn log_posterior(&self, x: &DVector<f64>, y: usize) -> f64 {
        let l = self.joint_logs(x);
        l[y] - logsumexp(&l)
    }
    /// p(· | x).
    pub fn posterior(&self, x: &DVector<f64>) -> Vec<f64> {
        let l = self.joint_logs(x);
        let t = logsumexp(&l);
        l.iter().map(|v| (v - t).exp()).collect()
    }
    /// ∇ log p(y | x) = ∇ log p(x | y) − Σⱼ p(j | x) ∇ log p(x | j) (proof of Theorem 4).
    pub fn grad_log_posterior(&self, x: &DVector<f64>, y: usize) -> DVector<f64> {
        let post = self.posterior(x);
        let scores: Vec<DVector<f64>> = self.classes.iter().map(|c| c.grad_ln_pdf(x)).collect();
        let mut g = scores[y].clone();
        for (p, s) in post.iter().zip(&scores) {
            g -= s * *p;
        }
        g
    }
    /// One draw (x, y, component index within class y).
    pub fn sample(&self, rng: &mut Rng) -> (DVector<f64>, usize, usize) {
        let u: f64 = rng.random();
        let mut acc = 0.0;
        let mut y = self.priors.len() - 1;
        for (c, p) in self.priors.iter().enumerate() {
            acc += p;
            if u < acc {
                y = c;
                break;
            }
        }
        let (x, comp) = self.classes[y].sample(rng);
        (x, y, comp)
    }
}

/// Definition 3 with a fixed mask: p(x | y) = p_sig(s | y) · q(d), the signal s = the first
/// `signal[y].dim()` coordinates, the distractor d the rest, q the same for every class.
pub fn signal_distractor(priors: Vec<f64>, signal: Vec<Mixture>, distractor: &Mixture) -> Result<MixtureClasses> {
    let classes = signal.iter().map(|s| s.product(distractor)).collect();
    MixtureClasses::new(priors, classes)
}

/// BlockMNIST-like two-location problem on two blocks A = 0..m, B = m..2m: with probability ½
/// the signal N(μᵧ, s²I) sits in block A and the distractor N(ν, t²I) in block B, otherwise the
/// other way round. Component 0 of each class is "signal in A", component 1 "signal in B".
pub fn two_location(priors: Vec<f64>, signal_means: &[DVector<f64>], s2: f64, null: &DVector<f64>, t2: f64) -> Result<MixtureClasses> {
    let dist = DiagGaussian::iso(null.clone(), t2)?;
    let mut classes = Vec::new();
    for mu in signal_means {
        if mu.len() != null.len() {
            return Err(Error::Shape(format!("signal mean has {} coordinates, null pattern {}", mu.len(), null.len())));
        }
        let sig = DiagGaussian::iso(mu.clone(), s2)?;
        classes.push(Mixture::new(vec![(0.5, sig.concat(&dist)), (0.5, dist.concat(&sig))])?);
    }
    MixtureClasses::new(priors, classes)
}

// ------------------------------------------------------------------ ridge regression

/// Ridge regression w = (XᵀX + λI)⁻¹Xᵀy (primal, d×d Cholesky solve). X is N×d, one row per point.
pub fn ridge_primal(x: &DMatrix<f64>, y: &DVector<f64>, lambda: f64) -> Result<DVector<f64>> {
    check_ridge(x, y, lambda)?;
    let d = x.ncols();
    let a = x.transpose() * x + DMatrix::identity(d, d) * lambda;
    let chol = a.cholesky().ok_or_else(|| Error::param("lambda", "XᵀX + λI is not positive definite"))?;
    Ok(chol.solve(&(x.transpose() * y)))
}

/// Ridge regression in representer form: w = Xᵀα, α = (XXᵀ + λI)⁻¹y (N×N Cholesky solve) — the
/// "w = Σᵢ αᵢxᵢ" of Argument 2.
pub fn ridge_dual(x: &DMatrix<f64>, y: &DVector<f64>, lambda: f64) -> Result<(DVector<f64>, DVector<f64>)> {
    check_ridge(x, y, lambda)?;
    let n = x.nrows();
    let a = x * x.transpose() + DMatrix::identity(n, n) * lambda;
    let chol = a.cholesky().ok_or_else(|| Error::param("lambda", "XXᵀ + λI is not positive definite"))?;
    let alpha = chol.solve(y);
    Ok((x.transpose() * &alpha, alpha))
}

fn check_ridge(x: &DMatrix<f64>, y: &DVector<f64>, lambda: f64) -> Result<()> {
    if x.nrows() == 0 || x.ncols() == 0 || x.nrows() != y.len() {
        return Err(Error::Shape(format!("X is {}x{}, y has {}", x.nrows(), x.ncols(), y.len())));
    }
    if !(lambda.is_finite() && lambda > 0.0) {
        return Err(Error::param("lambda", format!("must be finite and > 0, got {lambda}")));
    }
    Ok(())
}

/// Largest accepted ‖X − X·QQᵀ‖_max relative to σ_max when verifying a computed row span: rows
/// projected onto a correct span move by ~1e-15 relative; 1e-10 only rejects a wrong span.
const SPAN_RESIDUAL_REL: f64 = 1e-10;

/// Relative eigenvalue threshold of the Gram matrix XᵀX = VΣ²Vᵀ for the numerical rank: its
/// eigenvalues carry rounding ~d·ε·σ_max² ≈ 1e-14 σ_max², so 1e-10 σ_max² (singular values above
/// 1e-5 σ_max) separates the null space with a margin of 1e4, while every genuine direction of the
/// seeded data has σ ≥ 1e-2 σ_max.
const GRAM_RANK_REL: f64 = 1e-10;

/// The row span of X (the span of the data points): the right singular vectors of X with nonzero
/// singular value, computed as the eigenvectors of the Gram matrix XᵀX = VΣ²Vᵀ (symmetric
/// eigendecomposition), and verified: every row of X lies in the returned span, whose dimension is
/// the numerical rank, so it *is* the row space.
///
/// Not nalgebra's `svd`: in 0.34 its singular vectors are unreliable on rank-deficient matrices
/// (cf. dimforge/nalgebra#1172). Measured: a 7×10 rank-3 X recomposed with error 5e-2, a 50×20
/// rank-5 X with 4e-4, and even the kept (nonzero-σ) singular vectors, taken from the tall
/// orientation, missed the rows of random rank-deficient N×10 matrices by up to 7e-2.
pub fn row_span(x: &DMatrix<f64>) -> Result<Subspace> {
    if x.iter().any(|v| !v.is_finite()) {
        return Err(Error::param("x", "data must be finite"));
    }
    let eig = nalgebra::SymmetricEigen::new(x.transpose() * x);
    let lmax = eig.eigenvalues.iter().cloned().fold(0.0, f64::max);
    if lmax <= 0.0 {
        return Err(Error::param("x", "data matrix is zero"));
    }
    let keep: Vec<usize> = (0..eig.eigenvalues.len()).filter(|&i| eig.eigenvalues[i] > GRAM_RANK_REL * lmax).collect();
    let basis = DMatrix::from_fn(x.ncols(), keep.len(), |r, c| eig.eigenvectors[(r, keep[c])]);
    let span = Subspace::new(basis)?;
    let residual = (x - x * span.basis() * span.basis().transpose()).amax();
    if residual > SPAN_RESIDUAL_REL * lmax.sqrt() {
        return Err(Error::Diverged { step: 0, reason: format!("row span misses the data by {residual:e} (singular values up to {:e})", lmax.sqrt()) });
    }
    Ok(span)
}

/// Points on a subspace: rows zᵢᵀQᵀ with zᵢ standard Gaussian in ℝᵏ (N×d).
pub fn points_on(s: &Subspace, n: usize, rng: &mut Rng) -> DMatrix<f64> {
    let z: DMatrix<f64> = DMatrix::from_fn(n, s.dim(), |_, _| StandardNormal.sample(rng));
    z * s.basis().transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Seed;

    #[test]
    fn projector_is_orthogonal_and_idempotent() {
        let mut rng = Seed(3).rng();
        let s = Subspace::random(7, 3, &mut rng).unwrap();
        let v = DVector::from_fn(7, |_, _| StandardNormal.sample(&mut rng));
        let p = s.project(&v);
        assert!((s.project(&p) - &p).amax() < 1e-12);
        assert!(p.dot(&s.project_perp(&v)).abs() < 1e-12);
        assert!((s.basis().transpose() * s.basis() - DMatrix::identity(3, 3)).amax() < 1e-12);
    }

    #[test]
    fn constructors_validate() {
        assert!(Subspace::new(DMatrix::zeros(3, 0)).is_err());
        assert!(Subspace::new(DMatrix::from_row_slice(3, 2, &[1.0, 2.0, 1.0, 2.0, 1.0, 2.0])).is_err());
        assert!(Subspace::coordinates(3, &[3]).is_err());
        assert!(DiagGaussian::new(DVector::zeros(2), DVector::from_element(2, 0.0)).is_err());
        let g = DiagGaussian::iso(DVector::zeros(2), 1.0).unwrap();
        assert!(Mixture::new(vec![(0.4, g.clone())]).is_err());
        assert!(MixtureClasses::new(vec![1.0], vec![Mixture::single(g.clone())]).is_err());
        assert!(ridge_primal(&DMatrix::zeros(2, 2), &DVector::zeros(3), 1.0).is_err());
        assert!(ridge_primal(&DMatrix::zeros(2, 2), &DVector::zeros(2), 0.0).is_err());
        assert!(two_location(vec![0.5, 0.5], &[DVector::zeros(2), DVector::zeros(3)], 1.0, &DVector::zeros(2), 1.0).is_err());
    }
}
