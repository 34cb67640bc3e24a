//! Seed 000 (Shah, Jain, Netrapalli 2021): ψ (eq 5), the eq (2) sampler, Theorem 1 with the
//! Chizat–Bach conditions (6)–(7), Lemma 1 and Conjecture 1 (App. E–F).
//!
//! Every registered check runs here under `cargo test` exactly as in `inputgrad verify`; the
//! property tests exercise the same closed forms on random inputs, and the "can fail" tests feed
//! the checks wrong inputs to show they would notice.

use inputgrad::prec;
use inputgrad::rng::Seed;
use inputgrad::theory::adversarial_margin as am;
use inputgrad::theory::block_data::BlockSpec;
use inputgrad::theory::max_margin::{self as mm, PStar};
use inputgrad::theory::mean_field::{Measure, Neuron};
use inputgrad::theory::psi::{psi, psi_def, psi_increment_excess};
use inputgrad::verify::{self, seed000};
use nalgebra::DVector;
use proptest::prelude::*;

mod common;

registered! {
    /// Checks 000 eq (5) closed form — proofs/psi.md
    psi_closed_form => "000.psi.closed_form", Holds;
    /// Checks 000 App. E, |ψ(a,b) − ψ(a',b)| ≤ 2|a − a'| — proofs/psi.md
    psi_lipschitz => "000.psi.lipschitz", Holds;
    /// Checks 000 App. E, ψ(a,b) − ψ(a',b) ≥ a − a' for b ≥ 0 — proofs/psi.md
    psi_increment => "000.psi.increment", Holds;
    /// Checks 000 App. E, the increment fact's failure for b < 0 — proofs/psi.md
    psi_increment_b_negative => "000.psi.increment_b_negative", Holds;
    /// Checks 000 eq (2) support — proofs/block_data.md
    eq2_support => "000.eq2.support", Holds;
    /// Checks 000 eq (2) distribution — proofs/block_data.md
    eq2_distribution => "000.eq2.distribution", Holds;
    /// Checks 000 eq (3) input gradient — proofs/thm1.md
    eq3_input_gradient => "000.eq3.input_gradient", Holds;
    /// Checks 000 Thm 1, ‖θ₁‖ = ‖θ₂‖ = 1 — proofs/thm1.md
    thm1_sphere => "000.thm1.sphere", Holds;
    /// Checks 000 condition (7) — proofs/thm1.md
    thm1_cond7 => "000.thm1.cond7", Holds;
    /// Checks 000 App. E definition of ũ_j (erratum) — proofs/thm1.md
    thm1_p_star_as_printed => "000.thm1.p_star_as_printed", Erratum;
    /// Checks 000 App. E value L(θ₁) = L(θ₂) = γ* and strong duality — proofs/thm1.md
    thm1_value => "000.thm1.value", Holds;
    /// Checks 000 condition (6) — proofs/thm1.md
    thm1_cond6 => "000.thm1.cond6", Holds;
    /// Checks 000 App. E reduction to α_i — proofs/thm1.md
    thm1_reduction => "000.thm1.reduction", Holds;
    /// Checks 000 App. E Case I reflection step — proofs/thm1.md
    thm1_case1_reflect => "000.thm1.case1_reflect", Holds;
    /// Checks 000 App. E Case I averaging step — proofs/thm1.md
    thm1_case1_average => "000.thm1.case1_average", Holds;
    /// Checks 000 App. E equal-α objective and maximiser (erratum) — proofs/thm1.md
    thm1_equal_alpha => "000.thm1.equal_alpha", Erratum;
    /// Checks 000 App. E Case II bound (erratum) — proofs/thm1.md
    thm1_case2 => "000.thm1.case2", Erratum;
    /// Checks 000 Thm 1 (i)–(ii) block gradient norms — proofs/thm1.md
    thm1_gradient => "000.thm1.gradient", Holds;
    /// Checks 000 Lemma 1 — proofs/conjecture1.md
    lemma1_gradient => "000.lemma1.gradient", Holds;
    /// Checks 000 §6, leakage of the σ-smoothed Bayes-optimal gradient (exactly ½) — proofs/leakage.md
    leakage_bayes_half => "000.leakage.bayes_half", Holds;
    /// Checks 000 eq (8)–(9): exact ℓ∞-adversarial margin of ν~ — proofs/conjecture1.md
    conj1_margin => "000.conj1.margin", Holds;
    /// Checks 000 Conjecture 1 near ε = 0.5 (refuted) — proofs/conjecture1.md
    conj1_near_half => "000.conj1.near_half", Erratum;
}

#[test]
fn registry_ids_unique_and_proofs_exist() {
    let checks = verify::registry();
    let mut ids: Vec<&str> = checks.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate check ids");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for c in &checks {
        assert!(root.join(c.proof).is_file(), "{} names missing {}", c.id, c.proof);
        let text = std::fs::read_to_string(root.join(c.proof)).unwrap();
        assert!(text.contains(c.id), "{} does not mention check {}", c.proof, c.id);
    }
}

// ------------------------------------------------------------------ can fail

/// Checks 000 eq (5) — proofs/psi.md: a wrong closed form (slope 1 instead of 2 inside) is caught.
#[test]
fn psi_check_catches_a_wrong_closed_form() {
    fn wrong(a: f64, b: f64) -> f64 {
        if a.abs() < b.abs() && b > 0.0 {
            a
        } else {
            psi(a, b)
        }
    }
    assert!(!seed000::check_psi_closed_form(wrong).ok);
}

/// Checks 000 eq (3) — proofs/thm1.md: dropping the σ(−yf) factor is caught.
#[test]
fn gradient_check_catches_a_missing_factor() {
    assert!(!seed000::check_input_gradient(|nu, x, y| nu.grad_f(x) * (-y)).ok);
}

/// Checks 000 condition (6) — proofs/thm1.md: a claimed maximum 1 % too low is beaten.
#[test]
fn cond6_check_catches_a_too_small_maximum() {
    let spec = BlockSpec::scalar(6, 0.0).unwrap();
    let p = mm::p_star(&spec, PStar::Corrected);
    let (excess, _) = seed000::check_cond6(&spec, &p, 0.99 * mm::gamma_star(&spec), Seed(1));
    assert!(excess > prec::OPT_EXCEED, "excess {excess}");
}

/// Checks 000 condition (7) — proofs/thm1.md: the printed p* fails (7) when η > 0.
#[test]
fn cond7_check_catches_the_printed_p_star() {
    let spec = BlockSpec::scalar(4, 0.02).unwrap();
    let (gap, _) = seed000::check_cond7(&spec, &mm::nu_star(&spec), &mm::p_star(&spec, PStar::AsPrinted), Seed(2));
    assert!(gap > prec::ERRATUM_MIN, "gap {gap}");
}

/// Checks 000 Thm 1 (i)–(ii) — proofs/thm1.md: a measure whose first layer is not ∝ z has unequal
/// block norms and mass on noise blocks.
#[test]
fn block_gradient_check_catches_a_generic_measure() {
    let spec = BlockSpec::scalar(6, 0.01).unwrap();
    let th = Neuron::new(0.7, DVector::from_vec(vec![0.3, 0.1, 0.2, 0.05, 0.1, 0.2]), 0.1);
    let nu = Measure::uniform(vec![th]).unwrap();
    let (worst, _, _) = seed000::check_block_gradients(&spec, &nu, Seed(3));
    assert!(worst > 1e3 * prec::FD_TOL, "worst {worst}");
}

/// Checks 000 Lemma 1 — proofs/conjecture1.md: the standard max-margin ν* leaks gradient onto every
/// task-relevant coordinate, so Lemma 1's property fails for it (feature leakage, Thm 1).
#[test]
fn lemma1_check_catches_feature_leakage_of_nu_star() {
    let d = 10;
    let spec = BlockSpec::scalar(d, 0.0).unwrap();
    let (off, _) = seed000::check_lemma1(&mm::nu_star(&spec), d);
    assert!(off > 1e3 * prec::FD_TOL, "off-signal {off}");
}

// ------------------------------------------------------------------ properties

fn spec_strategy() -> impl Strategy<Value = BlockSpec> {
    (1usize..=5, 1usize..=3, 0.0f64..1.0, proptest::collection::vec(-1.0f64..1.0, 3)).prop_filter_map("unit u*", |(h, dt, frac, u)| {
        let u = DVector::from_vec(u[..dt].to_vec());
        let n = u.norm();
        if n < 1e-3 {
            return None;
        }
        let d = 2 * h;
        BlockSpec::new(d, u / n, frac / (10.0 * d as f64)).ok()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Checks 000 eq (5) — proofs/psi.md
    #[test]
    fn prop_psi_closed_form(a in -1e3f64..1e3, b in -1e3f64..1e3) {
        prop_assert!((psi(a, b) - psi_def(a, b)).abs() <= prec::EXACT * (1.0 + a.abs() + b.abs()));
    }

    /// Checks 000 App. E ψ facts, with their exact scope — proofs/psi.md
    #[test]
    fn prop_psi_increment_exact(x1 in -10f64..10.0, x2 in -10f64..10.0, b in -10f64..10.0) {
        let (a, a2) = if x1 >= x2 { (x1, x2) } else { (x2, x1) };
        let inc = psi(a, b) - psi(a2, b);
        let scale = prec::EXACT * (1.0 + a.abs() + a2.abs() + b.abs());
        prop_assert!(inc.abs() <= 2.0 * (a - a2) + scale);
        prop_assert!((inc - (a - a2) - psi_increment_excess(a, a2, b)).abs() <= scale);
        if b >= 0.0 {
            prop_assert!(inc >= (a - a2) - scale);
        }
    }

    /// Checks 000 eq (2) support — proofs/block_data.md
    #[test]
    fn prop_sampler_support(spec in spec_strategy(), seed in any::<u64>()) {
        let mut rng = Seed(seed).rng();
        for s in spec.sample_n(20, &mut rng) {
            prop_assert!(s.j_star < spec.half());
            let g = &s.x - spec.centre(s.j_star, s.y);
            for n in spec.block_norms(&g) {
                prop_assert!(n <= spec.eta() * (1.0 + prec::EXACT));
            }
        }
    }

    /// Checks 000 condition (7) — proofs/thm1.md: no point of the support has a margin below the
    /// exact minimum, and the minimiser returned is in the support and attains it.
    #[test]
    fn prop_exact_support_minimum(spec in spec_strategy(), seed in any::<u64>()) {
        let nu = mm::nu_star(&spec);
        let min = mm::min_margin_rank1(&nu, &spec).unwrap();
        prop_assert!((nu.margin(&min.x, min.y) - min.margin).abs() <= prec::EXACT);
        let g = &min.x - spec.centre(min.j, min.y);
        for n in spec.block_norms(&g) {
            prop_assert!(n <= spec.eta() * (1.0 + prec::EXACT) + prec::EXACT);
        }
        let mut rng = Seed(seed).rng();
        for s in spec.sample_n(50, &mut rng) {
            prop_assert!(nu.margin(&s.x, s.y) >= min.margin - prec::EXACT);
        }
        prop_assert!((min.margin - mm::gamma_star(&spec)).abs() <= prec::EXACT);
    }

    /// Checks 000 App. E reduction — proofs/thm1.md
    #[test]
    fn prop_reduction(spec in spec_strategy(), v in proptest::collection::vec(-1.0f64..1.0, 34)) {
        let n = spec.dim() + 2;
        let th = Neuron::from_vec(&DVector::from_vec(v[..n].to_vec()));
        let p = mm::p_star(&spec, PStar::Corrected);
        let a = mm::alphas(&spec, &th.r);
        prop_assert!((p.neuron_value(&th) - mm::reduced_value(&spec, th.w, &a, th.b)).abs() <= prec::EXACT);
    }

    /// Checks 000 App. E Case II, corrected bound — proofs/thm1.md
    #[test]
    fn prop_case2_bound(spec in spec_strategy(), v in proptest::collection::vec(-1.0f64..1.0, 34)) {
        let n = spec.dim() + 2;
        let mut x = DVector::from_vec(v[..n].to_vec());
        x[n - 1] = -x[n - 1].abs();
        let nrm = x.norm();
        prop_assume!(nrm > 1e-6);
        let th = Neuron::from_vec(&(x / nrm));
        let p = mm::p_star(&spec, PStar::Corrected);
        prop_assert!(p.neuron_value(&th) <= mm::case2_bound(&spec) + prec::EXACT);
        prop_assert!(mm::case2_bound(&spec) < mm::gamma_star(&spec));
    }

    /// Checks 000 eq (3) gradient against finite differences — proofs/thm1.md
    #[test]
    fn prop_input_gradient(v in proptest::collection::vec(-1.0f64..1.0, 3 * 6 + 4), y in prop::bool::ANY) {
        let dim = 4;
        let neurons: Vec<Neuron> = (0..3).map(|k| Neuron::from_vec(&DVector::from_vec(v[k * 6..k * 6 + 6].to_vec()))).collect();
        let nu = Measure::uniform(neurons).unwrap();
        let x = DVector::from_vec(v[18..18 + dim].to_vec());
        prop_assume!(nu.atoms().iter().all(|(_, th)| (th.r.dot(&x) + th.b).abs() > 1e-3));
        let y = if y { 1.0 } else { -1.0 };
        let fd = seed000::fd_gradient(|p| nu.loss(p, y), &x);
        prop_assert!((nu.grad_loss(&x, y) - fd).amax() <= prec::FD_TOL);
    }

    /// Checks 000 eq (8): exact ℓ∞ inner minimisation (separable) against brute-force enumeration of
    /// the arrangement's vertices, for random axis-aligned measures — proofs/conjecture1.md
    #[test]
    fn prop_linf_margin_exact(h in 1usize..=3, t in 0.0f64..std::f64::consts::TAU, eps in 0.0f64..0.7, xs in proptest::collection::vec(-1.5f64..1.5, 6), y in prop::bool::ANY) {
        let d = 2 * h;
        let nu = am::axis_aligned_angle(d, t).unwrap();
        let x = DVector::from_vec(xs[..d].to_vec());
        let y = if y { 1.0 } else { -1.0 };
        let (sep, arg) = am::linf_margin_axis_aligned(&nu, &x, y, eps).unwrap();
        let brute = am::linf_margin_enumerate(&nu, &x, y, eps).unwrap();
        prop_assert!((sep - brute).abs() <= prec::EXACT);
        prop_assert!((&arg - &x).amax() <= eps + prec::EXACT);
        prop_assert!((nu.margin(&arg, y) - sep).abs() <= prec::EXACT);
    }
}

/// Checks 000 eq (9) — proofs/conjecture1.md: ν~ is a probability measure on the unit sphere.
#[test]
fn nu_tilde_on_sphere() {
    for d in (2..=12).step_by(2) {
        assert!(am::nu_tilde(d).unwrap().sphere_defect() <= prec::EXACT);
    }
}

#[test]
fn bad_parameters_are_errors_not_panics() {
    assert!(BlockSpec::scalar(3, 0.0).is_err());
    assert!(BlockSpec::scalar(4, -0.1).is_err());
    assert!(BlockSpec::new(4, DVector::from_vec(vec![1.0, 1.0]), 0.0).is_err());
    assert!(am::axis_aligned(4, 1.0, 1.0).is_err());
    assert!(Measure::new(vec![]).is_err());
    assert!(Measure::new(vec![(0.5, Neuron::new(1.0, DVector::zeros(2), 0.0))]).is_err());
    let err = BlockSpec::scalar(5, 0.0).unwrap_err().to_string();
    assert!(err.contains("`d`"), "{err}");
}

/// Checks 000 Conjecture 1 — proofs/conjecture1.md: for d ≥ 6 and ε in [(d+2)/(3d), ½) the
/// threshold measure ν_{a, aε} has the positive margin (1 − 2ε)/(d√2·sqrt(2(1 + ε²))) while ν~'s
/// margin is ≤ 0.
#[test]
fn threshold_measure_beats_nu_tilde_near_half() {
    for d in (6..=12).step_by(2) {
        let start = am::nu_tilde_breakdown_radius(d);
        for k in 0..10 {
            let eps = start + (0.5 - start) * k as f64 / 10.0;
            let a = 1.0 / (2.0 * (1.0 + eps * eps)).sqrt();
            let nu = am::axis_aligned(d, a, a * eps).unwrap();
            let m = am::dataset_linf_margin(&nu, d, eps).unwrap();
            let formula = (1.0 - 2.0 * eps) / (d as f64 * 2f64.sqrt() * (2.0 * (1.0 + eps * eps)).sqrt());
            assert!((m - formula).abs() <= prec::EXACT, "d={d} eps={eps}: {m} vs {formula}");
            assert!(m > 0.0);
            let tilde = am::dataset_linf_margin(&am::nu_tilde(d).unwrap(), d, eps).unwrap();
            assert!(tilde <= prec::EXACT, "nu~ margin {tilde} at d={d}, eps={eps}");
        }
    }
}
