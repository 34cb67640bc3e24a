//! Small statistical tests used by sampler checks: chi-square goodness of fit and the
//! one-sample Kolmogorov–Smirnov test against a known continuous CDF.

use statrs::distribution::{ChiSquared, ContinuousCDF};

/// p-value of Pearson's chi-square test that `counts` come from the distribution `probs`.
pub fn chi_square_p(counts: &[u64], probs: &[f64]) -> f64 {
    let n: u64 = counts.iter().sum();
    let stat: f64 = counts
        .iter()
        .zip(probs)
        .map(|(&c, &p)| {
            let e = p * n as f64;
            (c as f64 - e).powi(2) / e
        })
        .sum();
    let df = (counts.len() - 1) as f64;
    if df < 1.0 {
        return 1.0;
    }
    match ChiSquared::new(df) {
        Ok(chi) => 1.0 - chi.cdf(stat),
        Err(_) => f64::NAN,
    }
}

/// Kolmogorov–Smirnov statistic D_n = sup |F_n − F| of `samples` against `cdf`.
pub fn ks_statistic(samples: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len() as f64;
    s.iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
        })
        .fold(0.0, f64::max)
}

/// Terms of the Kolmogorov series: exp(−2k²t²) is below 1e-300 long before k = 100 for t > 0.1.
const KOLMOGOROV_TERMS: usize = 100;

/// Asymptotic p-value P(√n D_n > t) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²t²} (Kolmogorov's series, with
/// Stephens' small-sample correction t = D(√n + 0.12 + 0.11/√n)).
pub fn ks_p(d: f64, n: usize) -> f64 {
    let sn = (n as f64).sqrt();
    let t = d * (sn + 0.12 + 0.11 / sn);
    if t < 0.1 {
        return 1.0;
    }
    let mut p = 0.0;
    for k in 1..=KOLMOGOROV_TERMS {
        let kf = k as f64;
        let term = (-2.0 * kf * kf * t * t).exp();
        p += if k % 2 == 1 { 2.0 * term } else { -2.0 * term };
    }
    p.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_rejects_wrong_distribution_and_accepts_right_one() {
        // Evenly spaced quantiles of U(0,1) fit perfectly; their squares do not.
        let n = 2000;
        let u: Vec<f64> = (0..n).map(|i| (i as f64 + 0.5) / n as f64).collect();
        assert!(ks_p(ks_statistic(&u, |x| x), n) > 0.99);
        let sq: Vec<f64> = u.iter().map(|x| x * x).collect();
        assert!(ks_p(ks_statistic(&sq, |x| x), n) < 1e-10);
    }

    #[test]
    fn chi_square_detects_bias() {
        assert!(chi_square_p(&[500, 500], &[0.5, 0.5]) > 0.9);
        assert!(chi_square_p(&[600, 400], &[0.5, 0.5]) < 1e-6);
    }
}
