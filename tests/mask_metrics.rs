//! The ground-truth-mask metrics (src/metric/mask.rs: seed 000 App. D.1's null-block proxy and the
//! Quantus-named relevance mass / rank accuracy and pointing game) and the correlations of
//! src/metric/correlation.rs (seed 000 Fig 24), on hand-made inputs whose answers are known.

use inputgrad::attribution::rank::KeepFraction;
use inputgrad::metric::correlation::{average_ranks, pearson, spearman};
use inputgrad::metric::mask::{block_shares, mass_share, null_block_proxy, pointing_game, relevance_mass_accuracy, relevance_rank_accuracy};
use inputgrad::prec;
use inputgrad::rng::Seed;
use proptest::prelude::*;

const NULL: [bool; 8] = [false, false, false, false, true, true, true, true];

fn k(v: f64) -> KeepFraction {
    KeepFraction::new(v).unwrap()
}

#[test]
fn null_block_proxy_counts_the_top_k_magnitudes_in_the_null_block() {
    // |a| order: 0 (8), 1 (−7), 4 (6), 5 (5), 2 (1), 3 (0.5), 7 (0.2), 6 (0.1).
    let a = [8.0, -7.0, 1.0, 0.5, 6.0, -5.0, 0.1, 0.2];
    let p = |f: f64| null_block_proxy(&a, &NULL, k(f), Seed(0)).unwrap().unwrap();
    assert_eq!(p(0.25), 0.0, "top 2 = {{0, 1}}: none in the null block");
    assert_eq!(p(0.5), 0.5, "top 4 = {{0, 1, 4, 5}}");
    assert_eq!(p(0.75), 2.0 / 6.0, "top 6 adds 2 and 3");
    assert_eq!(p(1.0), 0.5, "all coordinates: the null block's share");
    assert_eq!(null_block_proxy(&a, &NULL, k(0.01), Seed(0)).unwrap(), None, "k keeps no coordinate");
}

#[test]
fn an_all_zero_attribution_scores_the_random_reference_on_average() {
    // Ties are broken by a uniform permutation: over seeds, the proxy of a constant map is the
    // hypergeometric mean |null| / D = ½; its standard error over 4000 seeds bounds the check.
    let d = 40;
    let null: Vec<bool> = (0..d).map(|i| i % 3 == 0).collect();
    let share = null.iter().filter(|&&m| m).count() as f64 / d as f64;
    let a = vec![0.0f32; d];
    let n = 4000;
    let vals: Vec<f64> = (0..n).map(|s| null_block_proxy(&a, &null, k(0.25), Seed(s)).unwrap().unwrap()).collect();
    let mean = vals.iter().sum::<f64>() / n as f64;
    // Hypergeometric variance of the fraction: p(1−p)(D−m)/(m(D−1)) with m = 10 drawn.
    let m = 10.0;
    let sd = (share * (1.0 - share) * (d as f64 - m) / (m * (d as f64 - 1.0))).sqrt() / (n as f64).sqrt();
    assert!((mean - share).abs() < prec::SE_BAND * sd, "mean {mean} vs {share} ({} se = {})", prec::SE_BAND, prec::SE_BAND * sd);
    assert!(vals.iter().any(|&v| v != vals[0]), "ties must not always break the same way");
}

#[test]
fn relevance_mass_rank_and_pointing_on_known_maps() {
    let signal = [true, true, false, false];
    let a = [1.0, -3.0, 0.0, 4.0];
    assert_eq!(relevance_mass_accuracy(&a, &signal).unwrap(), Some(0.5), "(1 + 3) / 8");
    // K = 2: the two largest |a| are 3 (−3, inside) and 4 (outside).
    assert_eq!(relevance_rank_accuracy(&a, &signal, Seed(0)).unwrap(), Some(0.5));
    assert_eq!(pointing_game(&a, &signal).unwrap(), Some(false), "max |a| = 4 at coordinate 3");
    assert_eq!(pointing_game(&a, &[false, false, false, true]).unwrap(), Some(true));
    assert_eq!(pointing_game(&[2.0, -2.0, 0.0], &[false, true, false]).unwrap(), Some(true), "a tie counts as a hit when any maximum is inside");
    assert_eq!(relevance_mass_accuracy(&[0.0; 4], &signal).unwrap(), None);
    assert_eq!(pointing_game(&[0.0; 4], &signal).unwrap(), None);
    assert_eq!(relevance_rank_accuracy(&a, &[false; 4], Seed(0)).unwrap(), None, "empty mask");
    // A perfect attribution: all of its mass and rank inside.
    let perfect = [0.3, -0.9, 0.0, 0.0];
    assert_eq!(relevance_mass_accuracy(&perfect, &signal).unwrap(), Some(1.0));
    assert_eq!(relevance_rank_accuracy(&perfect, &signal, Seed(3)).unwrap(), Some(1.0));
}

#[test]
fn bad_inputs_are_errors_naming_the_problem() {
    let e = null_block_proxy(&[1.0, 2.0], &NULL, k(0.5), Seed(0)).unwrap_err().to_string();
    assert!(e.contains("2 values") && e.contains("mask of 8"), "{e}");
    let e = relevance_mass_accuracy(&[f32::NAN, 1.0], &[true, false]).unwrap_err().to_string();
    assert!(e.contains("attribution") && e.contains("finite"), "{e}");
    let e = pearson(&[1.0], &[2.0]).unwrap_err().to_string();
    assert!(e.contains("at least two"), "{e}");
}

#[test]
fn block_shares_split_the_gradient_mass_of_eq_2_blocks() {
    // d = 4: task blocks {0, 1}, noise blocks {2, 3}.
    let g = [1.0, 1.0, 1.0, 1.0, /* row 2 */ 0.0, 2.0, 0.0, 2.0];
    let (s, t, n) = block_shares(&g, 4, &[0, 1]);
    assert_eq!((s, t, n), ((0.25 + 0.5) / 2.0, (0.25 + 0.0) / 2.0, (0.5 + 0.5) / 2.0));
    assert_eq!(mass_share(&[0.0, 0.0], [0]), None);
}

#[test]
fn correlations_match_closed_forms() {
    let x = [1.0, 2.0, 3.0, 4.0, 5.0];
    assert_eq!(pearson(&x, &x.map(|v| 3.0 * v - 1.0)).unwrap(), Some(1.0));
    assert_eq!(pearson(&x, &x.map(|v| -v)).unwrap(), Some(-1.0));
    // A monotone but non-linear map: Spearman 1, Pearson below 1.
    let y = x.map(|v: f64| v.powi(3));
    assert_eq!(spearman(&x, &y).unwrap(), Some(1.0));
    assert!(pearson(&x, &y).unwrap().unwrap() < 0.99);
    // Pearson of (1,2,3) with (1,3,2): cov 0.5·(...) — r = 0.5 by hand.
    assert!((pearson(&[1.0, 2.0, 3.0], &[1.0, 3.0, 2.0]).unwrap().unwrap() - 0.5).abs() < prec::F64_FEW_OPS);
    // Ties share their average rank (scipy.stats.rankdata's "average").
    assert_eq!(average_ranks(&[10.0, 20.0, 10.0, 30.0]), vec![1.5, 3.0, 1.5, 4.0]);
    // Spearman with ties, by hand: ranks x (1.5, 1.5, 3, 4), y (1, 2, 3, 4) → r = 0.9486832980505138
    // (= 3.5/√(4.5·5) · … computed with the Pearson formula on the ranks).
    let r = spearman(&[1.0, 1.0, 2.0, 3.0], &[1.0, 2.0, 3.0, 4.0]).unwrap().unwrap();
    let (rx, ry) = ([1.5, 1.5, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]);
    let (mx, my) = (2.5, 2.5);
    let sxy: f64 = rx.iter().zip(&ry).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = rx.iter().map(|a| (a - mx) * (a - mx)).sum();
    let syy: f64 = ry.iter().map(|b| (b - my) * (b - my)).sum();
    assert!((r - sxy / (sxx * syy).sqrt()).abs() < prec::F64_FEW_OPS && (r - 0.9486832980505138).abs() < prec::EXACT, "{r}");
    assert_eq!(pearson(&[1.0, 1.0], &[1.0, 2.0]).unwrap(), None, "a constant sample has no correlation");
}

proptest! {
    #[test]
    fn mass_accuracy_of_a_mask_and_its_complement_sum_to_one(a in proptest::collection::vec(-10.0f32..10.0, 2..40), seed in 0u64..1000) {
        let mask: Vec<bool> = (0..a.len()).map(|i| (i as u64 * 2654435761 + seed) % 3 == 0).collect();
        let not: Vec<bool> = mask.iter().map(|m| !m).collect();
        if let (Some(x), Some(y)) = (relevance_mass_accuracy(&a, &mask).unwrap(), relevance_mass_accuracy(&a, &not).unwrap()) {
            prop_assert!((x + y - 1.0).abs() < prec::EXACT);
        }
        // The proxy of the top-k in `not` plus that in `mask` is 1 for the same ranking.
        let kk = KeepFraction::new(0.5).unwrap();
        if let (Some(p), Some(q)) = (null_block_proxy(&a, &mask, kk, Seed(seed)).unwrap(), null_block_proxy(&a, &not, kk, Seed(seed)).unwrap()) {
            prop_assert!((p + q - 1.0).abs() < prec::EXACT);
        }
    }
}
