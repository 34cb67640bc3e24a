//! Seed 001 (Chalasani et al. 2020): losses, Lemmas 2–3, FEAT-TRANS, Theorem 3.1, Integrated
//! Gradients (Lemma 4.1, completeness, quadrature), Theorem 5.1 and the Gini index.

use inputgrad::prec;
use inputgrad::rng::Seed;
use inputgrad::theory::gini::{gini, gini_abs, lorenz_area, sparseness_improvement};
use inputgrad::theory::ig::{self, Rule};
use inputgrad::theory::linear_adv::{self as la, StdLoss};
use inputgrad::verify::seed001;
use nalgebra::DVector;
use proptest::prelude::*;

mod common;

registered! {
    /// Checks 001 App. B.1, LOSS-CVX — proofs/linear_adv.md
    losses => "001.loss.assumptions", Holds;
    /// Checks 001 Lemma 2, eq (7)–(8) — proofs/linear_adv.md
    lemma2 => "001.lemma2.adv_loss", Holds;
    /// Checks 001 Lemma 3, eq (9) — proofs/linear_adv.md
    lemma3 => "001.lemma3.gradient", Holds;
    /// Checks 001 App. B.2, eq (B.23)–(B.25) — proofs/linear_adv.md
    feat_trans => "001.feat_trans.identities", Holds;
    /// Checks 001 Thm 3.1, eq (11) — proofs/linear_adv.md
    thm31_eq11 => "001.thm31.eq11", Holds;
    /// Checks 001 Thm 3.1, eq (12) — proofs/linear_adv.md
    thm31_eq12 => "001.thm31.eq12", Holds;
    /// Checks 001 Thm 3.1, eq (12), Monte Carlo — proofs/linear_adv.md
    thm31_mc => "001.thm31.monte_carlo", Holds;
    /// Checks 001 eq (13) quadrature — proofs/ig.md
    quadrature => "001.ig.quadrature", Holds;
    /// Checks 001 Lemma 4.1, eq (15) — proofs/ig.md
    lemma41 => "001.lemma41.closed_form", Holds;
    /// Checks 001 eq (13) completeness — proofs/ig.md
    completeness => "001.ig.completeness", Holds;
    /// Checks 001 Thm 5.1, eq (18) — proofs/ig.md
    thm51 => "001.thm51.equivalence", Holds;
    /// Checks 001 App. I, Lorenz-curve definition (erratum) — proofs/gini.md
    gini_lorenz => "001.gini.lorenz", Erratum;
    /// Checks 001 App. I, extremes (erratum) — proofs/gini.md
    gini_extremes => "001.gini.extremes", Erratum;
    /// Checks 001 eq (I.67), Hurley–Rickard properties — proofs/gini.md
    gini_hurley_rickard => "001.gini.hurley_rickard", Holds;
}

// ------------------------------------------------------------------ can fail

/// Checks 001 Thm 3.1 eq (12) — proofs/linear_adv.md: the bound with the wrong sign of ε
/// (ḡ'(a_S^w + ε)) is violated, so the gap computation can see a failure.
#[test]
fn thm31_gap_detects_a_wrong_bound() {
    let mut rng = Seed(5).rng();
    let g = StdLoss::Logistic;
    let dist = seed001::random_split(&mut rng, 2, 2, 2).feat_trans();
    let w = DVector::from_vec(vec![0.5, -0.4, 0.8, 0.3]);
    let eps = 0.3;
    let gap = seed001::thm31_gap(&g, &dist, &w, eps);
    let gbar = la::g_bar_prime(&g, &dist, &w, eps);
    // gap = Δ̄_S^w − ḡ'(a_S^w − ε) ≤ 0. A bound with ε's sign flipped, ḡ'(a_S^w + ε), differs by
    // 2εḡ'; the true update must lie below the right bound and the check must see the difference.
    assert!(gap <= 0.0);
    assert!(gap + 2.0 * eps * gbar > 0.0, "wrong bound would not be violated: gap {gap}, 2 eps g' {}", 2.0 * eps * gbar);
}

/// Checks 001 Lemma 4.1 — proofs/ig.md: a left Riemann sum with few steps misses completeness, so
/// the closed-form comparison is sensitive to the quadrature.
#[test]
fn coarse_riemann_ig_is_detected() {
    let w = DVector::from_vec(vec![1.0, -2.0, 0.5]);
    let x = DVector::from_vec(vec![1.0, 1.0, 1.0]);
    let u = DVector::zeros(3);
    let quad = ig::integrated_gradients(|z| &w * z.dot(&w).exp(), &x, &u, Rule::Left, 5).unwrap();
    let closed = ig::ig_linear_closed_form(f64::exp, f64::exp, &w, &x, &u);
    assert!((quad - closed).amax() > 1e-3);
}

// ------------------------------------------------------------------ properties

fn loss_strategy() -> impl Strategy<Value = StdLoss> {
    prop::sample::select(StdLoss::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Checks 001 Lemma 2, eq (8) — proofs/linear_adv.md
    #[test]
    fn prop_lemma2(g in loss_strategy(), v in proptest::collection::vec(-1.0f64..1.0, 16), y in prop::bool::ANY, eps in 0.0f64..1.0) {
        let d = 8;
        let w = DVector::from_vec(v[..d].to_vec());
        let x = DVector::from_vec(v[d..].to_vec());
        let y = if y { 1.0 } else { -1.0 };
        let (brute, _) = la::adv_loss_enumerate(&g, &w, &x, y, eps).unwrap();
        prop_assert!((la::adv_loss(&g, &w, &x, y, eps) - brute).abs() <= prec::EXACT * (1.0 + brute.abs()));
    }

    /// Checks 001 Lemma 4.1, eq (15) — proofs/ig.md
    #[test]
    fn prop_lemma41(v in proptest::collection::vec(-1.0f64..1.0, 15)) {
        let w = DVector::from_vec(v[..5].to_vec());
        let x = DVector::from_vec(v[5..10].to_vec());
        let u = DVector::from_vec(v[10..].to_vec());
        let sig = inputgrad::theory::mean_field::sigmoid;
        let quad = ig::integrated_gradients(|z| &w * (sig(w.dot(z)) * (1.0 - sig(w.dot(z)))), &x, &u, Rule::GaussLegendre, 64).unwrap();
        let closed = ig::ig_linear_closed_form(sig, |t| sig(t) * (1.0 - sig(t)), &w, &x, &u);
        // The closed form divides A(⟨w, x⟩) − A(⟨w, u⟩) by s = ⟨x − u, w⟩: near s = 0 the rounding of
        // the difference (four roundings of numbers ≤ 1, the sigmoid's range) is amplified by 1/|s|
        // and scaled by |(x − u) ⊙ w|. The quadrature has no such cancellation.
        let s = (&x - &u).dot(&w).abs();
        let cancellation = 4.0 * f64::EPSILON * (&x - &u).component_mul(&w).amax() / s;
        let err = (quad - closed).amax();
        prop_assert!(err <= prec::EXACT + cancellation, "s = {s:e}: {err:e}");
    }

    /// Checks 001 eq (I.67), D2 scaling and D4 cloning — proofs/gini.md
    #[test]
    fn prop_gini_scale_clone(v in proptest::collection::vec(0.0f64..10.0, 1..40), s in 0.01f64..100.0) {
        prop_assume!(v.iter().sum::<f64>() > 0.0);
        let g = gini(&v).unwrap();
        prop_assert!((0.0..1.0).contains(&g) || g.abs() <= prec::EXACT);
        prop_assert!(g <= 1.0 - 1.0 / v.len() as f64 + prec::EXACT);
        let scaled: Vec<f64> = v.iter().map(|x| x * s).collect();
        prop_assert!((gini(&scaled).unwrap() - g).abs() <= prec::EXACT);
        let cloned: Vec<f64> = v.iter().chain(v.iter()).cloned().collect();
        prop_assert!((gini(&cloned).unwrap() - g).abs() <= prec::EXACT);
        prop_assert!((g - (1.0 - 2.0 * lorenz_area(&v).unwrap())).abs() <= prec::EXACT);
    }

    /// Checks 001 eq (I.67), P2 babies and D3 rising tide — proofs/gini.md
    #[test]
    fn prop_gini_babies_tide(v in proptest::collection::vec(0.01f64..10.0, 2..40), c in 0.01f64..5.0) {
        let g = gini(&v).unwrap();
        let mut babies = v.clone();
        babies.push(0.0);
        prop_assert!(gini(&babies).unwrap() > g);
        let constant = v.iter().all(|x| (x - v[0]).abs() < prec::EXACT);
        let tide: Vec<f64> = v.iter().map(|x| x + c).collect();
        if !constant {
            prop_assert!(gini(&tide).unwrap() < g);
        }
    }
}

#[test]
fn gini_rejects_bad_input_by_name() {
    assert!(gini(&[]).is_err());
    assert!(gini(&[0.0, 0.0]).unwrap_err().to_string().contains("all-zero"));
    assert!(gini(&[1.0, -1.0]).unwrap_err().to_string().contains("v[1]"));
    assert!(gini(&[1.0, f64::NAN]).is_err());
    assert!((gini_abs(&[0.0, -2.0, 0.0, 0.0]).unwrap() - 0.75).abs() < prec::EXACT);
    let imp = sparseness_improvement(&[vec![0.0, 1.0]], &[vec![1.0, 1.0]]).unwrap();
    assert!((imp - 0.5).abs() < prec::EXACT);
    assert!(Rule::Left.nodes(0).is_err());
}

registered! {
    /// Checks 001 App. E, FEAT-EXP for k ≥ 3 — proofs/multiclass_adv.md
    thm_e1_feat_exp => "001.thmE1.feat_exp", Holds;
    /// Checks 001 Thm E.1 part 1 (erratum) — proofs/multiclass_adv.md
    thm_e1_part1 => "001.thmE1.part1", Erratum;
}

/// Checks 001 Thm E.1 part 1 — proofs/multiclass_adv.md: the counterexample's update is exactly
/// ε·g'(0)/3, by hand: δ* = +ε for classes 1 and 3, −ε for class 2.
#[test]
fn thm_e1_counterexample_value() {
    use inputgrad::theory::multiclass_adv as mc;
    let (dist, w) = seed001::e1_counterexample([0.5, -0.25]);
    for (g, gp0) in [(StdLoss::Logistic, 0.5), (StdLoss::Hinge, 1.0)] {
        let upd = mc::expected_update(&g, &dist, &w, 0.1, 0, 0, prec::FD_STEP).unwrap();
        assert!((upd - 0.1 * gp0 / 3.0).abs() < prec::FD_TOL, "{upd}");
    }
    assert!(dist.feat_exp_violation() <= prec::EXACT);
}

/// How our Gini (eq I.67) relates to the formula seed 001's code and Quantus compute — proofs/gini.md.
/// They evaluate Σ_i (2i − n − 1)·a_(i) / (n·Σa) on a = |x| + 1e-7, sorted ascending. That is eq
/// I.67 on the shifted vector exactly (the two forms are one polynomial identity), and the shift
/// moves the value by at most 2·n·1e-7/‖x‖₁ — here checked on vectors with many exact zeros, as
/// one-hot IG maps have, where the shift matters most.
#[test]
fn gini_matches_the_reference_codes_formula() {
    const SHIFT: f64 = 1e-7;
    let reference = |x: &[f64]| -> f64 {
        let mut a: Vec<f64> = x.iter().map(|v| v.abs() + SHIFT).collect();
        a.sort_by(f64::total_cmp);
        let n = a.len() as f64;
        let total: f64 = a.iter().sum();
        a.iter().enumerate().map(|(i, v)| (2.0 * (i + 1) as f64 - n - 1.0) * v).sum::<f64>() / (n * total)
    };
    let mut rng = Seed(11).rng();
    use rand::Rng as _;
    for case in 0..200 {
        let n = 2 + case % 120;
        let x: Vec<f64> = (0..n).map(|_| if rng.random_bool(0.6) { 0.0 } else { rng.random_range(-2.0..2.0) }).collect();
        if x.iter().all(|v| *v == 0.0) {
            continue;
        }
        let shifted: Vec<f64> = x.iter().map(|v| v.abs() + SHIFT).collect();
        let r = reference(&x);
        assert!((gini(&shifted).unwrap() - r).abs() < prec::EXACT, "case {case}: eq I.67 on |x| + 1e-7 must equal the reference formula");
        let l1: f64 = x.iter().map(|v| v.abs()).sum();
        let ours = gini_abs(&x).unwrap();
        assert!((ours - r).abs() <= 2.0 * n as f64 * SHIFT / l1 + prec::EXACT, "case {case}: shift effect {} beyond its bound", (ours - r).abs());
    }
    // The all-zero vector: the reference formula returns 0 (every entry is the shift), ours refuses.
    assert!((reference(&[0.0; 5])).abs() < prec::EXACT);
    assert!(gini_abs(&[0.0; 5]).is_err());
}
