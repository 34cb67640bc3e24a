//! Ranking coordinates by attribution, and the top-k / bottom-k sets every metric uses.
//!
//! * [`Grouping`]: rank coordinates individually (seed 000 §4: "without grouping them
//!   channel-wise"), or pixels, scoring a pixel by the sum, the absolute sum or the maximum of its
//!   channels.
//! * [`order`]: positions by decreasing score; equal scores (MNIST backgrounds tie massively) are
//!   ordered by a seeded uniform random permutation, so a tie never favours low indices.
//! * [`Keep`]: the kept set, with k the fraction **kept**: `Keep::Top(k)` keeps the ⌊k·n + ½⌋
//!   highest-ranked positions, `Keep::Bottom(k)` the lowest. (The reference DiffROAR code's
//!   "top" means the top positions *masked*; here the type says which positions stay.)

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::InputShape;
use crate::rng::Seed;

/// A fraction of positions kept, in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct KeepFraction(f64);

impl KeepFraction {
    /// A fraction in [0, 1]; an error naming `k` otherwise.
    pub fn new(k: f64) -> Result<Self> {
        if k.is_finite() && (0.0..=1.0).contains(&k) {
            Ok(KeepFraction(k))
        } else {
            Err(Error::param("k", format!("the fraction kept must be in [0, 1], got {k}")))
        }
    }

    /// The fraction.
    pub fn get(self) -> f64 {
        self.0
    }

    /// Positions kept out of `n`: ⌊k·n + ½⌋.
    pub fn count(self, n: usize) -> usize {
        ((self.0 * n as f64 + 0.5).floor() as usize).min(n)
    }
}

impl TryFrom<f64> for KeepFraction {
    type Error = Error;
    fn try_from(k: f64) -> Result<Self> {
        KeepFraction::new(k)
    }
}

impl From<KeepFraction> for f64 {
    fn from(k: KeepFraction) -> f64 {
        k.0
    }
}

/// Which positions are kept.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Keep {
    /// The highest-ranked fraction.
    Top(KeepFraction),
    /// The lowest-ranked fraction.
    Bottom(KeepFraction),
}

/// How a pixel's channels are combined into one score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PixelReduce {
    /// Σ_c a_c.
    Sum,
    /// Σ_c |a_c|.
    AbsSum,
    /// max_c a_c.
    Max,
}

/// What is ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// Every coordinate on its own (seed 000 §4).
    #[default]
    Coordinate,
    /// Pixels, all channels together.
    Pixel(PixelReduce),
}

/// The scores of the ranked positions of one example's attribution `a` (`[D]`, the input's
/// layout `[C, H, W]` flattened): D coordinates, or H·W pixels.
///
/// # Shapes
/// - `a`: one example, `shape.dim()` = D values; returns D scores (`Grouping::Coordinate` or
///   flat inputs) or H·W (`Grouping::Pixel` on images)
pub fn scores(a: &[f32], shape: InputShape, grouping: Grouping) -> Result<Vec<f32>> {
    if a.len() != shape.dim() {
        return Err(Error::Shape(format!("attribution of {} values for inputs of {}", a.len(), shape.dim())));
    }
    if let Some(bad) = a.iter().find(|v| v.is_nan()) {
        return Err(Error::param("attribution", format!("cannot rank a NaN score ({bad})")));
    }
    Ok(match (grouping, shape) {
        (Grouping::Coordinate, _) | (Grouping::Pixel(_), InputShape::Flat(_)) => a.to_vec(),
        (Grouping::Pixel(reduce), InputShape::Image { c, h, w }) => (0..h * w)
            .map(|p| {
                let ch = (0..c).map(|k| a[k * h * w + p]);
                match reduce {
                    PixelReduce::Sum => ch.sum(),
                    PixelReduce::AbsSum => ch.map(f32::abs).sum(),
                    PixelReduce::Max => ch.fold(f32::NEG_INFINITY, f32::max),
                }
            })
            .collect(),
    })
}

/// Positions by decreasing score, equal scores in the order of a uniform random permutation
/// drawn from `tie`.
pub fn order(scores: &[f32], tie: Seed) -> Vec<usize> {
    let mut priority: Vec<usize> = (0..scores.len()).collect();
    priority.shuffle(&mut tie.rng());
    let mut rank_of = vec![0usize; scores.len()];
    for (r, &p) in priority.iter().enumerate() {
        rank_of[p] = r;
    }
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(rank_of[a].cmp(&rank_of[b])));
    idx
}

/// Which coordinates of one example are kept (`true`), for attribution `a` of an input of
/// `shape`, ranked by `grouping`, ties broken from `tie`. With pixel grouping every channel of a
/// kept pixel is kept.
///
/// # Shapes
/// - `a`: one example, `shape.dim()` = D values; returns D flags
pub fn keep_mask(a: &[f32], shape: InputShape, grouping: Grouping, keep: Keep, tie: Seed) -> Result<Vec<bool>> {
    let s = scores(a, shape, grouping)?;
    Ok(keep_from_order(&order(&s, tie), shape, grouping, keep))
}

/// The kept coordinates from a ranking `ord` of the positions (decreasing score, as [`order`]
/// returns it): the first ⌊k·n + ½⌋ for `Keep::Top`, the last for `Keep::Bottom`; with pixel
/// grouping every channel of a kept pixel.
///
/// # Shapes
/// - `ord`: the ranked positions, D (or H·W with pixel grouping on images); returns D =
///   `shape.dim()` flags
pub fn keep_from_order(ord: &[usize], shape: InputShape, grouping: Grouping, keep: Keep) -> Vec<bool> {
    let n = ord.len();
    let (k, top) = match keep {
        Keep::Top(k) => (k.count(n), true),
        Keep::Bottom(k) => (k.count(n), false),
    };
    let chosen: &[usize] = if top { &ord[..k] } else { &ord[n - k..] };
    let mut kept_pos = vec![false; n];
    for &p in chosen {
        kept_pos[p] = true;
    }
    match (grouping, shape) {
        (Grouping::Pixel(_), InputShape::Image { c, h, w }) => (0..c * h * w).map(|i| kept_pos[i % (h * w)]).collect(),
        _ => kept_pos,
    }
}
