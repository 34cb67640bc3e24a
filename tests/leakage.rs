//! The σ-smoothed Bayes-optimal classifier of eq (2) (theory/block_bayes.rs, proofs/leakage.md)
//! and the leakage shares of the feature-leakage table (experiment/seed000_leakage.rs).

use inputgrad::experiment::seed000_zoo::shares;
use inputgrad::prec;
use inputgrad::theory::block_bayes::SmoothedBayes;
use proptest::prelude::*;

/// q(t) = (1/2η) ∫_{−η}^{η} N(t − s; 0, σ²) ds by composite Simpson quadrature (η > 0), or the
/// Gaussian density (η = 0) — the per-coordinate density of the smoothed data, computed without
/// the closed form's normal CDFs.
fn q_quadrature(t: f64, eta: f64, sigma: f64) -> f64 {
    let pdf = |u: f64| (-0.5 * (u / sigma).powi(2)).exp() / (sigma * (2.0 * std::f64::consts::PI).sqrt());
    if eta == 0.0 {
        return pdf(t);
    }
    let n = 4000;
    let h = 2.0 * eta / n as f64;
    let mut s = pdf(t + eta) + pdf(t - eta);
    for k in 1..n {
        let w = if k % 2 == 1 { 4.0 } else { 2.0 };
        s += w * pdf(t - (-eta + k as f64 * h));
    }
    s * h / 3.0 / (2.0 * eta)
}

/// log p(x | +1) − log p(x | −1) from the full mixture over j* ∈ [d/2] with every coordinate's
/// density (signal and noise blocks), nothing cancelled by hand.
fn log_odds_direct(x: &[f64], eta: f64, sigma: f64) -> f64 {
    let d = x.len();
    let class = |y: f64| -> f64 {
        (0..d / 2).map(|j| (0..d).map(|i| q_quadrature(x[i] - if i == j { y } else { 0.0 }, eta, sigma)).product::<f64>()).sum::<f64>()
    };
    class(1.0).ln() - class(-1.0).ln()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// The closed form (noise factors cancelled, CDF differences) equals the direct mixture density
    /// by quadrature; relative agreement limited by the quadrature (Simpson, 4000 panels:
    /// [`prec::SIMPSON_REL`]).
    #[test]
    fn prop_bayes_log_odds_matches_quadrature(
        d2 in 1usize..4, eta in prop_oneof![Just(0.0), 0.001f64..0.3], sigma in 0.1f64..0.5,
        x in proptest::collection::vec(-1.3f64..1.3, 8),
    ) {
        let d = 2 * d2;
        let x = &x[..d];
        let b = SmoothedBayes::new(d, eta, sigma).unwrap();
        let (lo, _) = b.log_odds_and_grad(x).unwrap();
        let direct = log_odds_direct(x, eta, sigma);
        prop_assert!((lo - direct).abs() <= prec::SIMPSON_REL * (1.0 + direct.abs()), "closed form {} vs quadrature {}", lo, direct);
    }

    /// Habit 4: its gradient equals central finite differences; it is exactly zero on noise blocks.
    #[test]
    fn prop_bayes_gradient_matches_fd(
        d2 in 1usize..6, eta in prop_oneof![Just(0.0), 0.001f64..0.3], sigma in 0.1f64..0.5,
        x in proptest::collection::vec(-1.3f64..1.3, 12),
    ) {
        let d = 2 * d2;
        let x = &x[..d];
        let b = SmoothedBayes::new(d, eta, sigma).unwrap();
        let (_, g) = b.log_odds_and_grad(x).unwrap();
        for j in 0..d {
            let h = prec::FD_STEP;
            let mut xp = x.to_vec();
            xp[j] += h;
            let mut xm = x.to_vec();
            xm[j] -= h;
            let fd = (b.log_odds_and_grad(&xp).unwrap().0 - b.log_odds_and_grad(&xm).unwrap().0) / (2.0 * h);
            // The log-odds is O(1/σ²) ≤ 100 in scale: relative FD tolerance.
            prop_assert!((fd - g[j]).abs() <= prec::FD_TOL_STEEP * (1.0 + fd.abs()), "coordinate {}: fd {} vs {}", j, fd, g[j]);
            if j >= d / 2 {
                prop_assert_eq!(g[j], 0.0);
            }
        }
    }
}

#[test]
fn shares_of_known_gradients() {
    let d = 6;
    // Row 0: all mass on j* = 1; row 1: spread evenly on the task blocks (Theorem 1's pattern);
    // row 2: half on noise.
    let g = [0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 1.0, -1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.5, -0.5, 0.0];
    let (s, t, n) = shares(&g, d, &[1, 0, 0]);
    assert!((s - (1.0 + 1.0 / 3.0 + 0.5) / 3.0).abs() < prec::EXACT);
    assert!((t - (2.0 / 3.0) / 3.0).abs() < prec::EXACT);
    assert!((n - 0.5 / 3.0).abs() < prec::EXACT);
}

#[test]
fn bayes_rejects_bad_parameters() {
    assert!(SmoothedBayes::new(3, 0.0, 0.2).unwrap_err().to_string().contains('d'));
    assert!(SmoothedBayes::new(4, 0.6, 0.2).unwrap_err().to_string().contains("eta"));
    assert!(SmoothedBayes::new(4, 0.1, 0.01).unwrap_err().to_string().contains("sigma"));
    assert!(SmoothedBayes::new(4, 0.1, 0.2).unwrap().log_odds_and_grad(&[0.0; 3]).is_err());
}
