//! Attribution metrics against a ground-truth mask of the discriminative coordinates.
//!
//! * [`null_block_proxy`] — seed 000 App. D.1: the fraction of an example's top-k coordinates
//!   by |attribution| that fall in the null block (a mask of non-discriminative coordinates);
//!   a random attribution scores the null block's share of the input (½ on BlockMNIST).
//! * The general forms over any signal mask, as Quantus names them: [`relevance_mass_accuracy`]
//!   (Arras et al. 2022: Σ_{mask} |a| / Σ |a|), [`relevance_rank_accuracy`] (the fraction of the
//!   K = |mask| highest-|a| coordinates inside the mask) and [`pointing_game`] (Zhang et al.
//!   2018: is the highest-|a| coordinate inside the mask).
//! * [`null_norm`], [`leakage_baseline`], [`m_leakage`] — seed 003's M_leakage (eq 9): the
//!   Frobenius norm of an example's Integrated-Gradients attribution on its null block, aggregated
//!   over the examples ([`Aggregation`]); eq 9's path α·x_nrob read two ways ([`LeakagePath`]).
//! * [`block_shares`] — the gradient-mass shares (signal block, other task blocks, noise blocks)
//!   of the eq (2) studies (seed 000 §6, Fig 5; the leakage table), as [`mass_share`]s.
//!
//! Ranking is by magnitude with the seeded tie-breaking of [`crate::attribution::rank::order`],
//! so an all-zero attribution ranks its coordinates uniformly at random and scores as the random
//! reference, not as the low indices.

use crate::attribution::rank::{order, KeepFraction};
use crate::error::{Error, Result};
use crate::rng::Seed;

fn check(a: &[f32], mask: &[bool]) -> Result<()> {
    if a.len() != mask.len() {
        return Err(Error::Shape(format!("attribution of {} values for a mask of {}", a.len(), mask.len())));
    }
    if let Some(bad) = a.iter().find(|v| !v.is_finite()) {
        return Err(Error::param("attribution", format!("a mask metric needs finite values, got {bad}")));
    }
    Ok(())
}

fn magnitudes(a: &[f32]) -> Vec<f32> {
    a.iter().map(|v| v.abs()).collect()
}

/// Fraction of the ⌊k·D + ½⌋ highest-|a| coordinates of `a` that lie in `null` (seed 000 App.
/// D.1); ties broken uniformly from `tie`. `None` when k keeps no coordinate.
///
/// # Shapes
/// - `a`, `null`: one example, D entries each
pub fn null_block_proxy(a: &[f32], null: &[bool], k: KeepFraction, tie: Seed) -> Result<Option<f64>> {
    check(a, null)?;
    let n = k.count(a.len());
    if n == 0 {
        return Ok(None);
    }
    let ord = order(&magnitudes(a), tie);
    Ok(Some(ord[..n].iter().filter(|&&i| null[i]).count() as f64 / n as f64))
}

/// Relevance mass accuracy: the share of Σ|a| inside `signal`; `None` for an all-zero `a`.
///
/// # Shapes
/// - `a`, `signal`: one example, D entries each
pub fn relevance_mass_accuracy(a: &[f32], signal: &[bool]) -> Result<Option<f64>> {
    check(a, signal)?;
    let (mut inside, mut total) = (0.0f64, 0.0f64);
    for (v, &m) in a.iter().zip(signal) {
        let v = f64::from(v.abs());
        total += v;
        if m {
            inside += v;
        }
    }
    Ok((total > 0.0).then(|| inside / total))
}

/// Relevance rank accuracy: with K the number of coordinates in `signal`, the fraction of the K
/// highest-|a| coordinates that lie inside it (ties broken from `tie`); `None` for an empty mask.
///
/// # Shapes
/// - `a`, `signal`: one example, D entries each
pub fn relevance_rank_accuracy(a: &[f32], signal: &[bool], tie: Seed) -> Result<Option<f64>> {
    check(a, signal)?;
    let k = signal.iter().filter(|&&m| m).count();
    if k == 0 {
        return Ok(None);
    }
    let ord = order(&magnitudes(a), tie);
    Ok(Some(ord[..k].iter().filter(|&&i| signal[i]).count() as f64 / k as f64))
}

/// Pointing game: whether a coordinate of maximal |a| lies in `signal` (with several maxima, a hit
/// when any of them does, as Quantus counts it). `None` for an all-zero `a` (nothing is pointed at).
///
/// # Shapes
/// - `a`, `signal`: one example, D entries each
pub fn pointing_game(a: &[f32], signal: &[bool]) -> Result<Option<bool>> {
    check(a, signal)?;
    let max = a.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if max == 0.0 {
        return Ok(None);
    }
    Ok(Some(a.iter().zip(signal).any(|(v, &m)| m && v.abs() == max)))
}

/// The share of Σ|g| on the coordinates `idx` of `g`; `None` for an all-zero `g`.
pub fn mass_share(g: &[f64], idx: impl IntoIterator<Item = usize>) -> Option<f64> {
    let total: f64 = g.iter().map(|v| v.abs()).sum();
    (total > 0.0).then(|| idx.into_iter().map(|i| g[i].abs()).sum::<f64>() / total)
}

/// Mean gradient-mass shares (signal block, other task blocks, noise blocks) over the rows of `g`
/// (`[n × d]`, one scalar per block: eq (2) with d̃ = 1) whose signal blocks are `j_star`; the task
/// blocks are the first d/2. A row with a zero gradient counts as all-zero shares.
///
/// # Shapes
/// - `g`: `[N, d]` row-major; `j_star`: N signal-block indices
pub fn block_shares(g: &[f64], d: usize, j_star: &[usize]) -> (f64, f64, f64) {
    let (mut s, mut t, mut n) = (0.0, 0.0, 0.0);
    for (row, &j) in g.chunks(d).zip(j_star) {
        if let (Some(sig), Some(task), Some(noise)) = (mass_share(row, [j]), mass_share(row, (0..d / 2).filter(|&k| k != j)), mass_share(row, d / 2..d)) {
            s += sig;
            t += task;
            n += noise;
        }
    }
    let c = j_star.len().max(1) as f64;
    (s / c, t / c, n / c)
}

/// How seed 003 eq 9's IG path f(α·x_nrob) is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeakagePath {
    /// The whole image scales from the zero image (IG with a zero baseline, §7.1's "IG … to
    /// re-investigate the feature leakage"), and the null block's share is read off.
    Image,
    /// Only the null block scales: the baseline is the image with its null block zeroed, so the
    /// signal block stays in place along the path (eq 9 taken literally).
    NullBlock,
}

impl LeakagePath {
    /// Both readings.
    pub const ALL: [LeakagePath; 2] = [LeakagePath::Image, LeakagePath::NullBlock];

    /// A short name for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            LeakagePath::Image => "image",
            LeakagePath::NullBlock => "null_block",
        }
    }
}

/// How eq 9's Σ over the data is aggregated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// The mean over examples (the scale of the paper's values, 2–4).
    Mean,
    /// The sum over examples (eq 9 as written).
    Sum,
}

/// The IG baseline of `path` for image `x` with null mask `null` (true on the null block): zeros,
/// or `x` with its null coordinates set to 0 (eq 9's α = 0, "the absence" of x_nrob).
///
/// # Shapes
/// - `x`, `null`: one example, D entries each; returns D values
pub fn leakage_baseline(x: &[f32], null: &[bool], path: LeakagePath) -> Result<Vec<f32>> {
    check(x, null)?;
    Ok(match path {
        LeakagePath::Image => vec![0.0; x.len()],
        LeakagePath::NullBlock => x.iter().zip(null).map(|(&v, &m)| if m { 0.0 } else { v }).collect(),
    })
}

/// ‖a_nrob‖_F: the Euclidean norm of the attribution `a` restricted to the null coordinates.
///
/// # Shapes
/// - `a`, `null`: one example, D entries each
pub fn null_norm(a: &[f32], null: &[bool]) -> Result<f64> {
    check(a, null)?;
    Ok(a.iter().zip(null).filter(|(_, &m)| m).map(|(&v, _)| f64::from(v) * f64::from(v)).sum::<f64>().sqrt())
}

/// M_leakage (seed 003 eq 9) from the per-example null norms ([`null_norm`]); an error for none.
pub fn m_leakage(norms: &[f64], aggregation: Aggregation) -> Result<f64> {
    if norms.is_empty() {
        return Err(Error::param("examples", "M_leakage needs at least one example"));
    }
    let sum: f64 = norms.iter().sum();
    Ok(match aggregation {
        Aggregation::Sum => sum,
        Aggregation::Mean => sum / norms.len() as f64,
    })
}
