//! Out-of-distribution detection by a score (Hendrycks & Gimpel 2016; seed 003 A.4, Table 6): the
//! area under the ROC curve of telling in-distribution from out-of-distribution examples by
//! "higher score ⇒ in-distribution".
//!
//! [`auroc`] is the Mann–Whitney statistic: the probability that a random in-distribution score
//! exceeds a random out-of-distribution score, ties counted ½ — equal to the trapezoid area under
//! the ROC curve. The opposite orientation ("lower score ⇒ in-distribution") scores 1 − AUROC.

use crate::error::{Error, Result};

/// P(s_in > s_out) + ½ P(s_in = s_out) over all pairs, in O((m + n) log(m + n)).
pub fn auroc(inside: &[f64], outside: &[f64]) -> Result<f64> {
    if inside.is_empty() || outside.is_empty() {
        return Err(Error::param("scores", format!("AUROC needs scores of both kinds, got {} in- and {} out-of-distribution", inside.len(), outside.len())));
    }
    if let Some(bad) = inside.iter().chain(outside).find(|v| !v.is_finite()) {
        return Err(Error::param("scores", format!("AUROC needs finite scores, got {bad}")));
    }
    // Rank-sum with mid-ranks for ties: U = R_in − m(m + 1)/2.
    let mut all: Vec<(f64, bool)> = inside.iter().map(|&v| (v, true)).chain(outside.iter().map(|&v| (v, false))).collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum = 0.0f64;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        // Positions i..=j share the mid-rank (i + j)/2 + 1.
        let mid = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += mid * all[i..=j].iter().filter(|t| t.1).count() as f64;
        i = j + 1;
    }
    let (m, n) = (inside.len() as f64, outside.len() as f64);
    Ok((rank_sum - m * (m + 1.0) / 2.0) / (m * n))
}
