//! Small statistical tests used by sampler checks: chi-square goodness of fit and the
//! one-sample Kolmogorov–Smirnov test against a known continuous CDF.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

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

/// Two-sided p-value of a standard normal statistic z: P(|Z| ≥ |z|).
pub fn normal_two_sided_p(z: f64) -> f64 {
    match Normal::new(0.0, 1.0) {
        Ok(n) => 2.0 * n.sf(z.abs()),
        Err(_) => f64::NAN,
    }
}

/// Quantile t_{p}(df) of Student's t distribution (p in (0, 1), df > 0); NaN otherwise.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    match StudentsT::new(0.0, 1.0, df) {
        Ok(t) => t.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

/// Mean and standard error (sample standard deviation / √n) of `v`; NaN standard error for n < 2.
pub fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (mean, f64::NAN);
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
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
    fn normal_and_t_helpers() {
        assert!((normal_two_sided_p(1.959963984540054) - 0.05).abs() < 1e-9);
        // Reference values: t_{0.975}(1000) = 1.962339, t_{0.9995}(19) = 3.883406 (standard tables).
        assert!((t_quantile(0.975, 1e3) - 1.962339).abs() < 1e-6);
        assert!((t_quantile(0.9995, 19.0) - 3.883406).abs() < 1e-6);
        assert!((t_quantile(0.975, 10.0) - 2.228138851986274).abs() < 1e-9);
        let (m, se) = mean_se(&[1.0, 2.0, 3.0]);
        assert!((m - 2.0).abs() < 1e-15 && (se - (1.0f64 / 3.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn chi_square_detects_bias() {
        assert!(chi_square_p(&[500, 500], &[0.5, 0.5]) > 0.9);
        assert!(chi_square_p(&[600, 400], &[0.5, 0.5]) < 1e-6);
    }
}
