//! ψ(a, b) = φ(a + b) − φ(−a + b) — seed 000, App. E, eq (5); proofs/psi.md.
//!
//! φ is the ReLU. ψ is the contribution of the pair of neurons (w, r, b), (−w, −r, b) to
//! y·f(ν, x) at ⟨r, x⟩ = a; the proof of Theorem 1 reduces every margin to sums of ψ.

/// The ReLU φ(t) = max(t, 0).
#[inline]
pub fn relu(t: f64) -> f64 {
    t.max(0.0)
}

/// Derivative of the ReLU, with the convention φ'(0) = 0 (the subgradient autodiff frameworks
/// use).
#[inline]
pub fn relu_prime(t: f64) -> f64 {
    if t > 0.0 {
        1.0
    } else {
        0.0
    }
}

/// ψ from its definition, φ(a + b) − φ(−a + b).
#[inline]
pub fn psi_def(a: f64, b: f64) -> f64 {
    relu(a + b) - relu(-a + b)
}

/// ψ from the piecewise closed form of eq (5):
/// a − b if a ≤ −|b|; 0 if b ≤ 0 and |a| ≤ |b|; 2a if b ≥ 0 and |a| ≤ |b|; a + b if a ≥ |b|.
pub fn psi(a: f64, b: f64) -> f64 {
    if a <= -b.abs() {
        a - b
    } else if a >= b.abs() {
        a + b
    } else if b <= 0.0 {
        0.0
    } else {
        2.0 * a
    }
}

/// ∂ψ/∂a away from the kinks a = ±b: 1 outside [−|b|, |b|], 2 inside when b > 0, 0 inside when
/// b < 0.
pub fn psi_slope(a: f64, b: f64) -> f64 {
    if a.abs() > b.abs() {
        1.0
    } else if b > 0.0 {
        2.0
    } else {
        0.0
    }
}

/// Exact value of ψ(a, b) − ψ(a', b) − (a − a') for a > a': minus the length of the part of
/// [a', a] that lies in the dead zone (−|b|, |b|) when b < 0, plus that length when b > 0.
///
/// This makes precise where the proof's monotonicity fact "ψ(a,b) − ψ(a',b) ≥ a − a' for a > a'"
/// holds: always when b ≥ 0, and for b < 0 exactly when [a', a] misses (b, −b).
pub fn psi_increment_excess(a: f64, a_prime: f64, b: f64) -> f64 {
    let lo = a_prime.max(-b.abs());
    let hi = a.min(b.abs());
    let overlap = (hi - lo).max(0.0);
    if b >= 0.0 {
        overlap
    } else {
        -overlap
    }
}
