//! Pearson and Spearman correlation of paired samples (seed 000 App. D.3, Fig 24: input gradients
//! before vs after training). Spearman's ρ is Pearson's r of the ranks, ties given their average
//! rank (the definition scipy.stats.spearmanr uses).

use crate::error::{Error, Result};

fn check(x: &[f64], y: &[f64]) -> Result<()> {
    if x.len() != y.len() {
        return Err(Error::Shape(format!("correlation of {} values with {}", x.len(), y.len())));
    }
    if x.len() < 2 {
        return Err(Error::param("samples", format!("a correlation needs at least two pairs, got {}", x.len())));
    }
    if x.iter().chain(y).any(|v| !v.is_finite()) {
        return Err(Error::param("samples", "a correlation needs finite values"));
    }
    Ok(())
}

/// Pearson's r; `None` when either sample is constant.
pub fn pearson(x: &[f64], y: &[f64]) -> Result<Option<f64>> {
    check(x, y)?;
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (da, db) = (a - mx, b - my);
        sxy += da * db;
        sxx += da * da;
        syy += db * db;
    }
    Ok((sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0)))
}

/// Ranks 1..=n, tied values sharing their average rank.
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            ranks[k] = r;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's ρ; `None` when either sample is constant.
pub fn spearman(x: &[f64], y: &[f64]) -> Result<Option<f64>> {
    check(x, y)?;
    pearson(&average_ranks(x), &average_ranks(y))
}
