//! Infinite-width one-hidden-layer ReLU networks as finite measures — seed 000 §6, eq (3).
//!
//! A network is a probability measure ν over neurons θ = (w, r, b) ∈ ℝ × ℝ^n × ℝ with
//! f(ν, x) = E_{θ∼ν}[w φ(⟨r, x⟩ + b)] and L(ν, (x, y)) = log(1 + exp(−y f(ν, x))).
//! Finite measures (weighted atoms) are exact; a width-m net with 1/m output scaling is the
//! uniform measure on its m neurons.

use nalgebra::DVector;

use crate::error::{Error, Result};
use crate::theory::psi::{relu, relu_prime};

/// One hidden neuron θ = (w, r, b).
#[derive(Debug, Clone, PartialEq)]
pub struct Neuron {
    /// Output weight w.
    pub w: f64,
    /// Input weights r.
    pub r: DVector<f64>,
    /// Bias b.
    pub b: f64,
}

impl Neuron {
    /// A neuron from its parts.
    pub fn new(w: f64, r: DVector<f64>, b: f64) -> Self {
        Self { w, r, b }
    }

    /// ‖θ‖ = sqrt(w² + ‖r‖² + b²), the norm whose unit sphere 𝕊 eq (4) optimises over.
    pub fn norm(&self) -> f64 {
        (self.w * self.w + self.r.norm_squared() + self.b * self.b).sqrt()
    }

    /// The neuron's output w φ(⟨r, x⟩ + b).
    pub fn output(&self, x: &DVector<f64>) -> f64 {
        self.w * relu(self.r.dot(x) + self.b)
    }

    /// The flat vector (w, r, b).
    pub fn to_vec(&self) -> DVector<f64> {
        let n = self.r.len();
        DVector::from_fn(n + 2, |i, _| if i == 0 { self.w } else if i <= n { self.r[i - 1] } else { self.b })
    }

    /// The neuron of a flat vector (w, r, b).
    pub fn from_vec(v: &DVector<f64>) -> Self {
        let n = v.len() - 2;
        Self { w: v[0], r: v.rows(1, n).into_owned(), b: v[n + 1] }
    }
}

/// Tolerance on the total mass of a probability measure given by the user: masses that are
/// themselves rounded fractions (1/d, …) sum to one within a few ulp per atom.
const MASS_TOL: f64 = 1e-9;

/// A finite probability measure ν = Σ_k m_k δ_{θ_k} over neurons.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    atoms: Vec<(f64, Neuron)>,
    dim: usize,
}

impl Measure {
    /// Validates: at least one atom, masses ≥ 0 summing to one, all inputs of one dimension, all
    /// numbers finite.
    pub fn new(atoms: Vec<(f64, Neuron)>) -> Result<Self> {
        let first = atoms.first().ok_or_else(|| Error::param("atoms", "a measure needs at least one atom"))?;
        let dim = first.1.r.len();
        let mut total = 0.0;
        for (k, (m, th)) in atoms.iter().enumerate() {
            if !(m.is_finite() && *m >= 0.0) {
                return Err(Error::param(format!("atoms[{k}].mass"), format!("must be finite and >= 0, got {m}")));
            }
            if th.r.len() != dim {
                return Err(Error::Shape(format!("atom {k} has input dimension {}, atom 0 has {dim}", th.r.len())));
            }
            if !(th.w.is_finite() && th.b.is_finite() && th.r.iter().all(|v| v.is_finite())) {
                return Err(Error::param(format!("atoms[{k}]"), "neuron parameters must be finite"));
            }
            total += m;
        }
        if (total - 1.0).abs() > MASS_TOL {
            return Err(Error::param("atoms", format!("masses must sum to 1, sum to {total}")));
        }
        Ok(Self { atoms, dim })
    }

    /// The uniform measure on the given neurons (a width-m net with 1/m output scaling).
    pub fn uniform(neurons: Vec<Neuron>) -> Result<Self> {
        let m = neurons.len() as f64;
        Self::new(neurons.into_iter().map(|n| (1.0 / m, n)).collect())
    }

    /// The atoms (mass, neuron).
    pub fn atoms(&self) -> &[(f64, Neuron)] {
        &self.atoms
    }

    /// Input dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// f(ν, x) = E_ν[w φ(⟨r, x⟩ + b)].
    pub fn f(&self, x: &DVector<f64>) -> f64 {
        self.atoms.iter().map(|(m, th)| m * th.output(x)).sum()
    }

    /// ∇ₓ f(ν, x) = E_ν[w φ'(⟨r, x⟩ + b) r], with φ'(0) = 0.
    pub fn grad_f(&self, x: &DVector<f64>) -> DVector<f64> {
        let mut g = DVector::zeros(self.dim);
        for (m, th) in &self.atoms {
            let s = m * th.w * relu_prime(th.r.dot(x) + th.b);
            if s != 0.0 {
                g.axpy(s, &th.r, 1.0);
            }
        }
        g
    }

    /// The margin y·f(ν, x).
    pub fn margin(&self, x: &DVector<f64>, y: f64) -> f64 {
        y * self.f(x)
    }

    /// Cross-entropy loss log(1 + exp(−y f(ν, x))), computed stably.
    pub fn loss(&self, x: &DVector<f64>, y: f64) -> f64 {
        softplus(-y * self.f(x))
    }

    /// ∇ₓ L(ν, (x, y)) = −y σ(−y f) ∇ₓ f.
    pub fn grad_loss(&self, x: &DVector<f64>, y: f64) -> DVector<f64> {
        let c = -y * sigmoid(-y * self.f(x));
        self.grad_f(x) * c
    }

    /// The largest |‖θ‖ − 1| over the atoms: zero when ν lives on the unit sphere as eq (4) asks.
    pub fn sphere_defect(&self) -> f64 {
        self.atoms.iter().map(|(_, th)| (th.norm() - 1.0).abs()).fold(0.0, f64::max)
    }
}

/// log(1 + eᵗ) without overflow.
pub fn softplus(t: f64) -> f64 {
    if t > 0.0 {
        t + (-t).exp().ln_1p()
    } else {
        t.exp().ln_1p()
    }
}

/// The logistic function 1 / (1 + e^{−t}) without overflow.
pub fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// A finite distribution p over labelled points, as in the Chizat–Bach conditions (6)–(7).
#[derive(Debug, Clone, PartialEq)]
pub struct PointMeasure {
    /// (mass, x, y) triples.
    pub atoms: Vec<(f64, DVector<f64>, f64)>,
}

impl PointMeasure {
    /// The neuron functional J_p(θ) = E_{(x,y)∼p}[y w φ(⟨r, x⟩ + b)] — the quantity condition (6)
    /// maximises over the sphere.
    pub fn neuron_value(&self, th: &Neuron) -> f64 {
        self.atoms.iter().map(|(m, x, y)| m * y * th.output(x)).sum()
    }

    /// A subgradient of J_p at θ, as a flat (w, r, b) vector.
    pub fn neuron_grad(&self, th: &Neuron) -> DVector<f64> {
        let n = th.r.len();
        let mut g = DVector::zeros(n + 2);
        for (m, x, y) in &self.atoms {
            let pre = th.r.dot(x) + th.b;
            g[0] += m * y * relu(pre);
            let s = m * y * th.w * relu_prime(pre);
            if s != 0.0 {
                for i in 0..n {
                    g[i + 1] += s * x[i];
                }
                g[n + 1] += s;
            }
        }
        g
    }
}
