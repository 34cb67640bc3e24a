//! Marginal-density gradients — seed 003 §4–6, eq (1)–(8); proofs/density.md.
//!
//! A classifier f: ℝⁿ → ℝ^C defines Z_f(x) = Σᵢ exp fᵢ(x) and, after Bridle, the densities
//! p(x, y = i) = e^{fᵢ(x)}/Z_θ, p(y = i | x) = e^{fᵢ(x)}/Z_f(x) and p(x) = Z_f(x)/Z_θ (eq 1–3).
//! The input gradient of the log marginal is ∇ log Z_f = Σᵢ softmaxᵢ ∇fᵢ (eq 4); the paper's
//! "stable" form writes it as ∇fᵢ − ∇ log softmaxᵢ for any class i (eq 5) and its "efficient" form
//! as ∇(fᵢ − log softmaxᵢ) (eq 6). Eq (7)–(8) identify ∇fᵢ with ∇ log p(x | y = i).
//!
//! This file holds the objects those identities are about: a one-hidden-layer MLP with an analytic
//! input Jacobian (and, for seed 004, analytic second and third derivatives of one output), a
//! forward-mode dual number used as an independent differentiator, stable log-sum-exp, and the
//! Gaussian-logit model in which every density of eq (1)–(8) has a closed form.

use nalgebra::{DMatrix, DVector};
use rand_distr::{Distribution, StandardNormal};

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::theory::mean_field::sigmoid;

// ------------------------------------------------------------------ scalars

/// Numerically stable log Σᵢ exp vᵢ: the maximum is factored out, so no term overflows
/// (Blanchard, Higham & Higham 2021, cited by the paper). −∞ for an empty slice.
pub fn logsumexp(v: &[f64]) -> f64 {
    let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// softmax(v) = e^{v−m}/Σ e^{v−m} with m = max v: no overflow, and each weight has a relative
/// error of a few ulp (exp(v − logsumexp v) would inherit the absolute rounding of logsumexp,
/// a relative error ~ε·|v| in every weight).
pub fn softmax(v: &[f64]) -> Vec<f64> {
    let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return vec![f64::NAN; v.len()];
    }
    let e: Vec<f64> = v.iter().map(|x| (x - m).exp()).collect();
    let t: f64 = e.iter().sum();
    e.iter().map(|x| x / t).collect()
}

/// A first-order dual number a + b·ε with ε² = 0: evaluating a program on duals gives its value
/// and its directional derivative to rounding (forward-mode automatic differentiation). Used as a
/// differentiator independent of the hand-written Jacobians.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dual {
    /// Value.
    pub v: f64,
    /// Derivative along the seeded direction.
    pub d: f64,
}

impl Dual {
    /// A constant (zero derivative).
    pub fn cst(v: f64) -> Self {
        Self { v, d: 0.0 }
    }
    /// exp.
    pub fn exp(self) -> Self {
        let e = self.v.exp();
        Self { v: e, d: e * self.d }
    }
    /// Natural logarithm.
    pub fn ln(self) -> Self {
        Self { v: self.v.ln(), d: self.d / self.v }
    }
}

impl std::ops::Add for Dual {
    type Output = Dual;
    fn add(self, o: Dual) -> Dual {
        Dual { v: self.v + o.v, d: self.d + o.d }
    }
}

impl std::ops::Sub for Dual {
    type Output = Dual;
    fn sub(self, o: Dual) -> Dual {
        Dual { v: self.v - o.v, d: self.d - o.d }
    }
}

impl std::ops::Mul for Dual {
    type Output = Dual;
    fn mul(self, o: Dual) -> Dual {
        Dual { v: self.v * o.v, d: self.d * o.v + self.v * o.d }
    }
}

/// Stable log-sum-exp on duals, written as an autodiff framework evaluates it:
/// m + ln Σ exp(vᵢ − m) with the maximum m held constant.
pub fn logsumexp_dual(v: &[Dual]) -> Dual {
    let m = v.iter().map(|x| x.v).fold(f64::NEG_INFINITY, f64::max);
    let mut s = Dual::cst(0.0);
    for x in v {
        s = s + (*x - Dual::cst(m)).exp();
    }
    Dual::cst(m) + s.ln()
}

// ------------------------------------------------------------------ MLP

/// Hidden-layer nonlinearity of [`Mlp`]; both are smooth, so every identity holds pointwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// tanh.
    Tanh,
    /// softplus(z) = ln(1 + eᶻ).
    Softplus,
}

impl Activation {
    /// φ(z).
    pub fn value(self, z: f64) -> f64 {
        match self {
            Activation::Tanh => z.tanh(),
            // ln(1 + e^z) without overflow: max(z, 0) + ln(1 + e^{−|z|}).
            Activation::Softplus => z.max(0.0) + (-z.abs()).exp().ln_1p(),
        }
    }
    /// φ'(z).
    pub fn d1(self, z: f64) -> f64 {
        match self {
            Activation::Tanh => {
                let t = z.tanh();
                1.0 - t * t
            }
            Activation::Softplus => sigmoid(z),
        }
    }
    /// φ''(z).
    pub fn d2(self, z: f64) -> f64 {
        match self {
            Activation::Tanh => {
                let t = z.tanh();
                -2.0 * t * (1.0 - t * t)
            }
            Activation::Softplus => {
                let s = sigmoid(z);
                s * (1.0 - s)
            }
        }
    }
    /// φ'''(z).
    pub fn d3(self, z: f64) -> f64 {
        match self {
            Activation::Tanh => {
                let t = z.tanh();
                (6.0 * t * t - 2.0) * (1.0 - t * t)
            }
            Activation::Softplus => {
                let s = sigmoid(z);
                s * (1.0 - s) * (1.0 - 2.0 * s)
            }
        }
    }
    /// φ on a dual number (chain rule with φ').
    pub fn dual(self, z: Dual) -> Dual {
        Dual { v: self.value(z.v), d: self.d1(z.v) * z.d }
    }
}

/// f(x) = W₂ φ(W₁x + b₁) + b₂: ℝⁿ → ℝ^C, one smooth hidden layer, in f64.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    w1: DMatrix<f64>,
    b1: DVector<f64>,
    w2: DMatrix<f64>,
    b2: DVector<f64>,
    act: Activation,
}

impl Mlp {
    /// Validates shapes (W₁: h×n, b₁: h, W₂: C×h, b₂: C, all ≥ 1) and finiteness.
    pub fn new(w1: DMatrix<f64>, b1: DVector<f64>, w2: DMatrix<f64>, b2: DVector<f64>, act: Activation) -> Result<Self> {
        let (h, n) = w1.shape();
        if h == 0 || n == 0 || w2.nrows() == 0 {
            return Err(Error::param("mlp", "every layer needs at least one unit"));
        }
        if b1.len() != h || w2.ncols() != h || b2.len() != w2.nrows() {
            return Err(Error::Shape(format!("W1 {h}x{n}, b1 {}, W2 {}x{}, b2 {}", b1.len(), w2.nrows(), w2.ncols(), b2.len())));
        }
        if w1.iter().chain(b1.iter()).chain(w2.iter()).chain(b2.iter()).any(|v| !v.is_finite()) {
            return Err(Error::param("mlp", "weights must be finite"));
        }
        Ok(Self { w1, b1, w2, b2, act })
    }

    /// A random MLP with n inputs, h hidden units and C outputs. Weights are Gaussian with standard
    /// deviation `scale/√fan-in` (LeCun initialisation times `scale`, so pre-activations and logits
    /// are O(scale)); biases are standard Gaussian times `scale`.
    pub fn random(n: usize, h: usize, c: usize, act: Activation, scale: f64, rng: &mut Rng) -> Result<Self> {
        if !(scale.is_finite() && scale > 0.0) {
            return Err(Error::param("scale", format!("must be finite and > 0, got {scale}")));
        }
        if n == 0 || h == 0 || c == 0 {
            return Err(Error::param("mlp", format!("sizes must be >= 1, got n={n}, h={h}, C={c}")));
        }
        let mut g = |r: usize, k: usize, s: f64| -> DMatrix<f64> {
            DMatrix::from_fn(r, k, |_, _| {
                let z: f64 = StandardNormal.sample(rng);
                s * z
            })
        };
        let w1 = g(h, n, scale / (n as f64).sqrt());
        let b1 = g(h, 1, scale).column(0).into_owned();
        let w2 = g(c, h, scale / (h as f64).sqrt());
        let b2 = g(c, 1, scale).column(0).into_owned();
        Self::new(w1, b1, w2, b2, act)
    }

    /// The same network with every logit shifted by `c` (b₂ + c); softmax is unchanged, so every
    /// gradient identity is too, but the exponentials e^{fᵢ} scale by e^c.
    pub fn shifted(&self, c: f64) -> Mlp {
        Mlp { b2: self.b2.add_scalar(c), ..self.clone() }
    }

    /// Input dimension n.
    pub fn n_in(&self) -> usize {
        self.w1.ncols()
    }
    /// Number of outputs C.
    pub fn n_out(&self) -> usize {
        self.w2.nrows()
    }
    /// Hidden width h.
    pub fn n_hidden(&self) -> usize {
        self.w1.nrows()
    }
    /// The activation.
    pub fn activation(&self) -> Activation {
        self.act
    }
    /// First-layer weights W₁ (h×n).
    pub fn w1(&self) -> &DMatrix<f64> {
        &self.w1
    }
    /// Output weights W₂ (C×h).
    pub fn w2(&self) -> &DMatrix<f64> {
        &self.w2
    }

    fn check_len(&self, x: &DVector<f64>) -> Result<()> {
        if x.len() != self.n_in() {
            return Err(Error::Shape(format!("input has {} coordinates, the MLP takes {}", x.len(), self.n_in())));
        }
        Ok(())
    }

    /// Hidden pre-activations z = W₁x + b₁.
    ///
    /// # Shapes
    /// x: n → z: h. Panics on a wrong length (use [`Mlp::try_logits`] for checked input).
    pub fn pre(&self, x: &DVector<f64>) -> DVector<f64> {
        &self.w1 * x + &self.b1
    }

    /// Logits f(x).
    ///
    /// # Shapes
    /// x: n → C. Panics on a wrong length (internal use on validated inputs).
    pub fn logits(&self, x: &DVector<f64>) -> DVector<f64> {
        let a = self.pre(x).map(|z| self.act.value(z));
        &self.w2 * a + &self.b2
    }

    /// Logits with the input length checked.
    pub fn try_logits(&self, x: &DVector<f64>) -> Result<DVector<f64>> {
        self.check_len(x)?;
        Ok(self.logits(x))
    }

    /// Analytic input Jacobian J = W₂ diag(φ'(z)) W₁ (row i is ∇ₓfᵢ).
    ///
    /// # Shapes
    /// x: n → C×n.
    pub fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let d = self.pre(x).map(|z| self.act.d1(z));
        let mut scaled = self.w1.clone();
        for (i, mut row) in scaled.row_iter_mut().enumerate() {
            row *= d[i];
        }
        &self.w2 * scaled
    }

    /// |W₂| diag(|φ'(z)|) |W₁|: the entrywise bound on the terms summed in [`Mlp::jacobian`], and so
    /// the natural scale of its rounding error (|fl(AB) − AB| ≤ γₙ|A||B|).
    ///
    /// # Shapes
    /// x: n → C×n.
    pub fn jacobian_abs(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let d = self.pre(x).map(|z| self.act.d1(z).abs());
        let mut scaled = self.w1.abs();
        for (i, mut row) in scaled.row_iter_mut().enumerate() {
            row *= d[i];
        }
        self.w2.abs() * scaled
    }

    /// Forward-mode evaluation of the logits on duals x + ε·dir (independent of
    /// [`Mlp::jacobian`]: the derivative is propagated through each operation).
    pub fn logits_dual(&self, x: &DVector<f64>, dir: &DVector<f64>) -> Vec<Dual> {
        let (h, n) = self.w1.shape();
        let mut hidden = Vec::with_capacity(h);
        for j in 0..h {
            let mut z = Dual::cst(self.b1[j]);
            for k in 0..n {
                z = z + Dual::cst(self.w1[(j, k)]) * Dual { v: x[k], d: dir[k] };
            }
            hidden.push(self.act.dual(z));
        }
        (0..self.n_out())
            .map(|i| {
                let mut o = Dual::cst(self.b2[i]);
                for (j, a) in hidden.iter().enumerate() {
                    o = o + Dual::cst(self.w2[(i, j)]) * *a;
                }
                o
            })
            .collect()
    }

    /// Value of output `k` (a scalar function for seed 004's Theorem 1).
    pub fn output(&self, k: usize, x: &DVector<f64>) -> f64 {
        let a = self.pre(x).map(|z| self.act.value(z));
        self.w2.row(k).dot(&a.transpose()) + self.b2[k]
    }

    /// Analytic gradient of output `k`: W₁ᵀ (W₂₍ₖ,:₎ ⊙ φ'(z)).
    pub fn output_grad(&self, k: usize, x: &DVector<f64>) -> DVector<f64> {
        let z = self.pre(x);
        let v = DVector::from_fn(self.n_hidden(), |j, _| self.w2[(k, j)] * self.act.d1(z[j]));
        self.w1.transpose() * v
    }

    /// Analytic Hessian of output `k`: Σⱼ W₂₍ₖⱼ₎ φ''(zⱼ) wⱼwⱼᵀ, wⱼ the j-th row of W₁.
    pub fn output_hessian(&self, k: usize, x: &DVector<f64>) -> DMatrix<f64> {
        let z = self.pre(x);
        let alpha = DVector::from_fn(self.n_hidden(), |j, _| self.w2[(k, j)] * self.act.d2(z[j]));
        let mut scaled = self.w1.clone();
        for (j, mut row) in scaled.row_iter_mut().enumerate() {
            row *= alpha[j];
        }
        self.w1.transpose() * scaled
    }

    /// Third derivative of output `k` applied to (a, b, b): Σⱼ W₂₍ₖⱼ₎ φ'''(zⱼ) ⟨wⱼ,a⟩⟨wⱼ,b⟩².
    pub fn output_third(&self, k: usize, x: &DVector<f64>, a: &DVector<f64>, b: &DVector<f64>) -> f64 {
        let z = self.pre(x);
        let wa = &self.w1 * a;
        let wb = &self.w1 * b;
        (0..self.n_hidden()).map(|j| self.w2[(k, j)] * self.act.d3(z[j]) * wa[j] * wb[j] * wb[j]).sum()
    }
}

// ------------------------------------------------------------------ eq (4)–(6)

/// log Z_f(x) = logsumexp f(x), stable.
pub fn log_z(mlp: &Mlp, x: &DVector<f64>) -> f64 {
    logsumexp(mlp.logits(x).as_slice())
}

/// Eq (4): ∇ log Z_f(x) = Σᵢ softmaxᵢ(x) ∇fᵢ(x) = Jᵀ softmax, with the stable softmax.
pub fn grad_log_z(mlp: &Mlp, x: &DVector<f64>) -> DVector<f64> {
    let s = DVector::from_vec(softmax(mlp.logits(x).as_slice()));
    mlp.jacobian(x).transpose() * s
}

/// Eq (4) literally as printed: Σᵢ ∇e^{fᵢ} / Σᵢ e^{fᵢ}, without the max shift. Identical to
/// [`grad_log_z`] in exact arithmetic; overflows (inf/inf = NaN) once a logit exceeds ln(f64::MAX)
/// ≈ 709.78 — the instability §5 sets out to fix.
pub fn grad_log_z_naive(mlp: &Mlp, x: &DVector<f64>) -> DVector<f64> {
    let f = mlp.logits(x);
    let e = f.map(f64::exp);
    mlp.jacobian(x).transpose() * &e / e.sum()
}

/// ∇ log softmaxᵢ(x) = ∇fᵢ − Σⱼ softmaxⱼ ∇fⱼ.
pub fn grad_log_softmax(mlp: &Mlp, x: &DVector<f64>, i: usize) -> DVector<f64> {
    let j = mlp.jacobian(x);
    let s = DVector::from_vec(softmax(mlp.logits(x).as_slice()));
    j.row(i).transpose() - j.transpose() * s
}

/// Eq (5), middle expression: ∇fᵢ − ∇(log e^{fᵢ} − log Z_f) = ∇fᵢ − ∇ log softmaxᵢ, for class i.
pub fn eq5_stable(mlp: &Mlp, x: &DVector<f64>, i: usize) -> DVector<f64> {
    mlp.jacobian(x).row(i).transpose() - grad_log_softmax(mlp, x, i)
}

/// The scalar whose gradient eq (5)'s last expression takes *as printed*: fᵢ − log(fᵢ/Z_f).
/// NaN where fᵢ ≤ 0 (the logarithm of a non-positive number).
pub fn eq5_printed_scalar(mlp: &Mlp, x: &DVector<f64>, i: usize) -> f64 {
    let f = mlp.logits(x);
    if f[i] <= 0.0 {
        return f64::NAN;
    }
    f[i] - (f[i].ln() - logsumexp(f.as_slice()))
}

/// Gradient of eq (5)'s last expression as printed, ∇fᵢ − ∇ log(fᵢ/Z_f)
/// = ∇fᵢ − ∇fᵢ/fᵢ + ∇ log Z_f. None where fᵢ ≤ 0.
pub fn eq5_as_printed(mlp: &Mlp, x: &DVector<f64>, i: usize) -> Option<DVector<f64>> {
    let f = mlp.logits(x);
    if f[i] <= 0.0 {
        return None;
    }
    let gi = mlp.jacobian(x).row(i).transpose();
    Some(&gi - &gi / f[i] + grad_log_z(mlp, x))
}

/// The scalar of eq (6)'s right-hand side: fᵢ − log softmaxᵢ(f), with the stable log-softmax.
pub fn eq6_scalar(mlp: &Mlp, x: &DVector<f64>, i: usize) -> f64 {
    let f = mlp.logits(x);
    f[i] - (f[i] - logsumexp(f.as_slice()))
}

/// Eq (6) left-hand side: the difference of the two gradients ∇fᵢ − ∇ log softmaxᵢ, each
/// computed analytically (this is eq 5's stable form).
pub fn eq6_lhs(mlp: &Mlp, x: &DVector<f64>, i: usize) -> DVector<f64> {
    eq5_stable(mlp, x, i)
}

/// Eq (6) right-hand side: the gradient of the difference, ∇(fᵢ − log softmaxᵢ), by forward-mode
/// differentiation of the scalar program [`eq6_scalar`] (one dual pass per input coordinate).
pub fn eq6_rhs(mlp: &Mlp, x: &DVector<f64>, i: usize) -> DVector<f64> {
    let n = mlp.n_in();
    DVector::from_fn(n, |k, _| {
        let e = DVector::from_fn(n, |r, _| if r == k { 1.0 } else { 0.0 });
        let f = mlp.logits_dual(x, &e);
        let log_sm = f[i] - logsumexp_dual(&f);
        (f[i] - log_sm).d
    })
}

// ------------------------------------------------------------------ eq (1), (3), (7), (8)

/// Gaussian logits fᵢ(x) = −‖x − μᵢ‖²/(2s²) + bᵢ: the one family in which every density of
/// eq (1)–(8) is normalisable in closed form. With the joint of eq (1) normalised over x and y,
/// p(x, y = i) = πᵢ N(x; μᵢ, s²I) with πᵢ = e^{bᵢ}/Σⱼe^{bⱼ}.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianLogits {
    means: Vec<DVector<f64>>,
    s: f64,
    b: Vec<f64>,
}

impl GaussianLogits {
    /// Validates ≥ 1 class, equal mean lengths ≥ 1, s > 0, one finite bias per class.
    pub fn new(means: Vec<DVector<f64>>, s: f64, b: Vec<f64>) -> Result<Self> {
        let n = means.first().map(|m| m.len()).unwrap_or(0);
        if n == 0 || means.iter().any(|m| m.len() != n) {
            return Err(Error::param("means", "need >= 1 class means of one common length >= 1"));
        }
        if !(s.is_finite() && s > 0.0) {
            return Err(Error::param("s", format!("scale must be finite and > 0, got {s}")));
        }
        if b.len() != means.len() || b.iter().any(|v| !v.is_finite()) {
            return Err(Error::param("b", format!("need {} finite biases, got {}", means.len(), b.len())));
        }
        Ok(Self { means, s, b })
    }
    /// Input dimension n.
    pub fn dim(&self) -> usize {
        self.means[0].len()
    }
    /// Number of classes C.
    pub fn classes(&self) -> usize {
        self.means.len()
    }
    /// Class means μᵢ.
    pub fn means(&self) -> &[DVector<f64>] {
        &self.means
    }
    /// The common scale s.
    pub fn scale(&self) -> f64 {
        self.s
    }
    /// Logit fᵢ(x).
    pub fn logit(&self, x: &DVector<f64>, i: usize) -> f64 {
        -(x - &self.means[i]).norm_squared() / (2.0 * self.s * self.s) + self.b[i]
    }
    /// All logits.
    pub fn logits(&self, x: &DVector<f64>) -> Vec<f64> {
        (0..self.classes()).map(|i| self.logit(x, i)).collect()
    }
    /// Analytic ∇fᵢ(x) = −(x − μᵢ)/s².
    pub fn grad_logit(&self, x: &DVector<f64>, i: usize) -> DVector<f64> {
        -(x - &self.means[i]) / (self.s * self.s)
    }
    /// ∫ e^{fᵢ(x)} dx = e^{bᵢ}(2πs²)^{n/2} — eq (1)'s Z_θ *as printed* (one class).
    pub fn class_integral(&self, i: usize) -> f64 {
        self.b[i].exp() * (2.0 * std::f64::consts::PI * self.s * self.s).powf(self.dim() as f64 / 2.0)
    }
    /// ∫ Σᵢ e^{fᵢ(x)} dx = Σᵢ [`Self::class_integral`] — the normaliser that makes eq (1) a joint
    /// density over (x, y) and eq (3) a density over x.
    pub fn joint_normaliser(&self) -> f64 {
        (0..self.classes()).map(|i| self.class_integral(i)).sum()
    }
    /// Class prior p(y = i) = ∫ p(x, y = i) dx = e^{bᵢ}/Σⱼe^{bⱼ}.
    pub fn prior(&self, i: usize) -> f64 {
        softmax(&self.b)[i]
    }
    /// Eq (7)'s right-hand side e^{fᵢ(x)}/(Z_θ/C) with Z_θ the joint normaliser.
    pub fn eq7_rhs(&self, x: &DVector<f64>, i: usize) -> f64 {
        self.logit(x, i).exp() / (self.joint_normaliser() / self.classes() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Seed;

    #[test]
    fn logsumexp_is_shift_covariant_and_finite_for_huge_logits() {
        let v = [1.0, 2.0, 3.0];
        let naive = v.iter().map(|x: &f64| x.exp()).sum::<f64>().ln();
        assert!((logsumexp(&v) - naive).abs() < 1e-15);
        let big: Vec<f64> = v.iter().map(|x| x + 1e4).collect();
        assert!((logsumexp(&big) - logsumexp(&v) - 1e4).abs() < 1e-9);
        assert_eq!(logsumexp(&[]), f64::NEG_INFINITY);
    }

    #[test]
    fn activation_derivatives_match_differences() {
        for act in [Activation::Tanh, Activation::Softplus] {
            for z in [-3.0, -0.5, 0.0, 0.7, 2.5] {
                let h = 1e-5;
                let fd = |f: &dyn Fn(f64) -> f64| (f(z + h) - f(z - h)) / (2.0 * h);
                assert!((fd(&|t| act.value(t)) - act.d1(z)).abs() < 1e-9);
                assert!((fd(&|t| act.d1(t)) - act.d2(z)).abs() < 1e-9);
                assert!((fd(&|t| act.d2(t)) - act.d3(z)).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn constructors_validate() {
        let mut rng = Seed(1).rng();
        assert!(Mlp::random(0, 3, 2, Activation::Tanh, 1.0, &mut rng).is_err());
        assert!(Mlp::random(2, 3, 2, Activation::Tanh, -1.0, &mut rng).is_err());
        assert!(Mlp::new(DMatrix::zeros(3, 2), DVector::zeros(2), DMatrix::zeros(2, 3), DVector::zeros(2), Activation::Tanh).is_err());
        let m = Mlp::random(2, 3, 2, Activation::Tanh, 1.0, &mut rng).unwrap();
        assert!(m.try_logits(&DVector::zeros(3)).is_err());
        assert!(GaussianLogits::new(vec![], 1.0, vec![]).is_err());
        assert!(GaussianLogits::new(vec![DVector::zeros(2)], 0.0, vec![0.0]).is_err());
        assert!(GaussianLogits::new(vec![DVector::zeros(2)], 1.0, vec![0.0, 1.0]).is_err());
    }
}
