//! The Gini index of sparseness — seed 001 App. I, eq (I.67), after Hurley & Rickard (2009) — and
//! the sparseness improvements dG of eq (19)–(22); proofs/gini.md.

use crate::error::{Error, Result};

/// G(v) = 1 − 2 Σ_k (v_(k)/‖v‖₁)·((d − k + ½)/d) with v sorted non-decreasingly (eq I.67).
///
/// Errors (naming the argument) on an empty vector, a negative or non-finite entry, and on the
/// all-zero vector, for which the formula is 0/0: a vector with no mass has no sparseness to speak
/// of, and any number would bias averages such as eq (21). Callers that average over a data set
/// decide how to treat such inputs.
///
/// Range: 0 for a constant vector, 1 − 1/d for a one-hot vector (the largest value), so G ∈ [0, 1)
/// for every finite d.
pub fn gini(v: &[f64]) -> Result<f64> {
    if v.is_empty() {
        return Err(Error::param("v", "Gini index of an empty vector"));
    }
    if let Some((i, x)) = v.iter().enumerate().find(|(_, x)| !(x.is_finite() && **x >= 0.0)) {
        return Err(Error::param(format!("v[{i}]"), format!("Gini index needs finite non-negative entries, got {x}")));
    }
    let total: f64 = v.iter().sum();
    if total == 0.0 {
        return Err(Error::param("v", "Gini index of the all-zero vector is 0/0 (undefined)"));
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let d = s.len() as f64;
    let weighted: f64 = s.iter().enumerate().map(|(k, x)| x / total * ((d - (k + 1) as f64 + 0.5) / d)).sum();
    Ok(1.0 - 2.0 * weighted)
}

/// G(|a|) for a signed attribution vector (§6.2: the Gini of the absolute values).
pub fn gini_abs(a: &[f64]) -> Result<f64> {
    let v: Vec<f64> = a.iter().map(|x| x.abs()).collect();
    gini(&v)
}

/// The area under the Lorenz curve of v: the piecewise-linear curve through (k/d, Σ_{i≤k} v_(i)/‖v‖₁),
/// k = 0..d (trapezoid rule, exact for a piecewise-linear curve). App. I's second definition.
pub fn lorenz_area(v: &[f64]) -> Result<f64> {
    gini(v)?; // same validation
    let total: f64 = v.iter().sum();
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let d = s.len() as f64;
    let mut prev = 0.0;
    let mut area = 0.0;
    for x in s {
        let cur = prev + x / total;
        area += 0.5 * (prev + cur) / d;
        prev = cur;
    }
    Ok(area)
}

/// Average sparseness improvement, eq (21)–(22): mean G over one model's attributions minus the
/// mean over the reference (natural) model's, each averaged over its own vectors.
pub fn sparseness_improvement(model: &[Vec<f64>], natural: &[Vec<f64>]) -> Result<f64> {
    let mean = |vs: &[Vec<f64>], name: &str| -> Result<f64> {
        if vs.is_empty() {
            return Err(Error::param(name, "no attribution vectors"));
        }
        let mut s = 0.0;
        for v in vs {
            s += gini_abs(v)?;
        }
        Ok(s / vs.len() as f64)
    };
    Ok(mean(model, "model")? - mean(natural, "natural")?)
}

/// Per-example improvement dG(x), eq (19)–(20).
pub fn sparseness_improvement_at(model: &[f64], natural: &[f64]) -> Result<f64> {
    Ok(gini_abs(model)? - gini_abs(natural)?)
}
