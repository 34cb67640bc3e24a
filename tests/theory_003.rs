//! Seed 003 (marginal-density regularisation): eq (1), (4)–(8) and the App. A.1 argument for eq (6).
//!
//! Every registered check runs here under `cargo test` exactly as in `inputgrad verify`; the
//! property tests exercise the same closed forms on random models, and the "can fail" tests feed
//! the checks wrong formulas to show they would notice.

use inputgrad::prec;
use inputgrad::rng::Seed;
use inputgrad::theory::density::{self as dn, Activation, GaussianLogits, Mlp};
use inputgrad::verify::{seed000, seed003};
use nalgebra::DVector;
use proptest::prelude::*;
use rand_distr::{Distribution, StandardNormal};

mod common;

registered! {
    /// Checks 003 eq (1) normaliser Z_θ (erratum) — proofs/density.md
    eq1_normaliser => "003.eq1.normaliser", Erratum;
    /// Checks 003 eq (4) ∇ log Z_f = Σ softmaxᵢ ∇fᵢ — proofs/density.md
    eq4_marginal_gradient => "003.eq4.marginal_gradient", Holds;
    /// Checks 003 eq (5), middle expression, every class — proofs/density.md
    eq5_stable_form => "003.eq5.stable_form", Holds;
    /// Checks 003 eq (5), last expression as printed (erratum) — proofs/density.md
    eq5_as_printed => "003.eq5.as_printed", Erratum;
    /// Checks 003 eq (6) is an identity, not an approximation — proofs/density.md
    eq6_exact => "003.eq6.exact", Holds;
    /// Checks 003 eq (7) class-conditional density — proofs/density.md
    eq7_conditional_density => "003.eq7.conditional_density", Holds;
    /// Checks 003 eq (8) InputGrad = ∇ log p(x | y) — proofs/density.md
    eq8_input_gradient => "003.eq8.input_gradient", Holds;
}

fn models() -> Vec<Mlp> {
    seed003::random_mlps(20, 1.0, Seed(11))
}

// ------------------------------------------------------------------ can fail

/// Checks 003 eq (4) — proofs/density.md: dropping the softmax weights (a plain average of the
/// class gradients) is rejected.
#[test]
fn eq4_check_catches_missing_softmax_weights() {
    let wrong = |m: &Mlp, x: &DVector<f64>| m.jacobian(x).transpose() * DVector::from_element(m.n_out(), 1.0 / m.n_out() as f64);
    assert!(!seed003::check_eq4(wrong, &models(), Seed(12)).ok);
    assert!(seed003::check_eq4(dn::grad_log_z, &models(), Seed(12)).ok);
}

/// Checks 003 eq (5) — proofs/density.md: keeping only ∇fᵢ (dropping the log-softmax term) and
/// the printed log(fᵢ/z) form are both rejected.
#[test]
fn eq5_check_catches_wrong_forms() {
    let only_fi = |m: &Mlp, x: &DVector<f64>, i: usize| m.jacobian(x).row(i).transpose();
    assert!(!seed003::check_eq5(only_fi, &models(), Seed(13)).ok);
    let printed = |m: &Mlp, x: &DVector<f64>, i: usize| dn::eq5_as_printed(m, x, i).unwrap_or_else(|| DVector::from_element(m.n_in(), f64::NAN));
    let r = seed003::check_eq5(printed, &models(), Seed(13));
    assert!(!r.ok || r.statistic.is_nan());
}

/// Checks 003 eq (6) — proofs/density.md: an LHS that drops the softmax-weighted term (what a
/// genuinely approximate identity could look like) is far outside rounding.
#[test]
fn eq6_check_catches_an_approximation() {
    let wrong = |m: &Mlp, x: &DVector<f64>, i: usize| m.jacobian(x).row(i).transpose() * 0.999 + dn::grad_log_z(m, x) * 0.001;
    let (rel, _, _, _) = seed003::check_eq6(wrong, &models(), false, Seed(14));
    assert!(rel > 1e3 * prec::EXACT, "rel {rel}");
    let (rel, _, _, _) = seed003::check_eq6(dn::eq6_lhs, &models(), false, Seed(14));
    assert!(rel <= prec::EXACT, "rel {rel}");
}

/// Checks 003 eq (7) — proofs/density.md: without equal priors eq (7) is off by log(C πᵢ).
#[test]
fn eq7_check_detects_unequal_priors() {
    assert!(seed003::check_eq7(&seed003::gaussian_models(false, Seed(15)), Seed(16)) > prec::ERRATUM_MIN);
    assert!(seed003::check_eq7(&seed003::gaussian_models(true, Seed(15)), Seed(16)) <= prec::EXACT);
}

/// Checks 003 eq (8) — proofs/density.md: the marginal gradient ∇ log Z_f is not ∇ log p(x|y=i).
#[test]
fn eq8_check_catches_the_marginal_gradient() {
    let marginal = |g: &GaussianLogits, x: &DVector<f64>, _i: usize| {
        let l = g.logits(x);
        let s = dn::softmax(&l);
        (0..g.classes()).fold(DVector::zeros(g.dim()), |acc, j| acc + g.grad_logit(x, j) * s[j])
    };
    let models = seed003::gaussian_models(false, Seed(17));
    assert!(seed003::check_eq8(marginal, &models, Seed(18)) > 1e3 * prec::FD_TOL);
    assert!(seed003::check_eq8(|g, x, i| g.grad_logit(x, i), &models, Seed(18)) <= prec::FD_TOL);
}

/// Checks 003 eq (1) — proofs/density.md: the quadrature resolves a normaliser error of 1e-9.
#[test]
fn eq1_quadrature_detects_a_tiny_normaliser_error() {
    let g = GaussianLogits::new(vec![DVector::from_vec(vec![0.3, -0.2]), DVector::from_vec(vec![-1.0, 0.5])], 0.7, vec![0.0, 0.4]).unwrap();
    let z = g.joint_normaliser();
    let mass = seed003::quad2(&g, |x| g.logits(x).iter().map(|v| v.exp()).sum::<f64>() / z);
    assert!((mass - 1.0).abs() <= prec::EXACT);
    let off = seed003::quad2(&g, |x| g.logits(x).iter().map(|v| v.exp()).sum::<f64>() / (z * (1.0 - 1e-9)));
    assert!((off - 1.0).abs() > prec::EXACT);
}

/// Checks 003 eq (4) as printed — proofs/density.md: without the max shift the printed form
/// overflows past ln(f64::MAX) while the stable form does not.
#[test]
fn printed_eq4_overflows_stable_form_does_not() {
    let m = models().remove(0).shifted(800.0);
    let x = DVector::from_element(m.n_in(), 0.1);
    assert!(dn::grad_log_z_naive(&m, &x).iter().any(|v| !v.is_finite()));
    assert!(dn::grad_log_z(&m, &x).iter().all(|v| v.is_finite()));
    let m0 = models().remove(0);
    assert!((dn::grad_log_z(&m, &x) - dn::grad_log_z(&m0, &x)).amax() <= prec::EXACT);
}

// ------------------------------------------------------------------ properties

fn random_mlp(seed: u64, n: usize, h: usize, c: usize, tanh: bool, scale: f64) -> (Mlp, DVector<f64>) {
    let mut rng = Seed(seed).rng();
    let act = if tanh { Activation::Tanh } else { Activation::Softplus };
    let m = Mlp::random(n, h, c, act, scale, &mut rng).unwrap();
    let x = DVector::from_fn(n, |_, _| {
        let z: f64 = StandardNormal.sample(&mut rng);
        z
    });
    (m, x)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Checks 003 eq (8) for general f — proofs/density.md: the analytic Jacobian against central
    /// finite differences (every row is an InputGrad ∇fᵢ).
    #[test]
    fn prop_jacobian_fd(seed in any::<u64>(), n in 1usize..6, h in 1usize..10, c in 1usize..6, tanh in any::<bool>()) {
        let (m, x) = random_mlp(seed, n, h, c, tanh, 1.0);
        let j = m.jacobian(&x);
        for i in 0..c {
            let fd = seed000::fd_gradient(|p| m.logits(p)[i], &x);
            prop_assert!((j.row(i).transpose() - fd).amax() <= prec::FD_TOL);
        }
    }

    /// Checks 003 eq (4) and (5) — proofs/density.md: the marginal gradient and the stable form for
    /// every class against finite differences of log Z_f.
    #[test]
    fn prop_eq4_eq5(seed in any::<u64>(), n in 1usize..6, h in 1usize..10, c in 2usize..8, tanh in any::<bool>()) {
        let (m, x) = random_mlp(seed, n, h, c, tanh, 1.0);
        let fd = seed000::fd_gradient(|p| dn::log_z(&m, p), &x);
        prop_assert!((dn::grad_log_z(&m, &x) - &fd).amax() <= prec::FD_TOL);
        for i in 0..c {
            prop_assert!((dn::eq5_stable(&m, &x, i) - &fd).amax() <= prec::FD_TOL);
        }
    }

    /// Checks 003 eq (6) — proofs/density.md: LHS (analytic) and RHS (forward mode) agree to
    /// rounding at any logit scale.
    #[test]
    fn prop_eq6_identity(seed in any::<u64>(), n in 1usize..6, h in 1usize..10, c in 2usize..8, tanh in any::<bool>(), scale in 0.1f64..300.0) {
        let (m, x) = random_mlp(seed, n, h, c, tanh, scale);
        let round = m.jacobian_abs(&x).amax() * (1.0 + m.pre(&x).amax());
        for i in 0..c {
            prop_assert!((dn::eq6_lhs(&m, &x, i) - dn::eq6_rhs(&m, &x, i)).amax() <= prec::EXACT * round);
        }
    }

    /// Checks 003 eq (5)–(6) — proofs/density.md: stable log-sum-exp and softmax.
    #[test]
    fn prop_logsumexp(v in proptest::collection::vec(-50f64..50.0, 1..10), shift in -1e4f64..1e4) {
        let shifted: Vec<f64> = v.iter().map(|x| x + shift).collect();
        prop_assert!((dn::logsumexp(&shifted) - dn::logsumexp(&v) - shift).abs() <= prec::EXACT * (1.0 + shift.abs()));
        let s = dn::softmax(&shifted);
        prop_assert!((s.iter().sum::<f64>() - 1.0).abs() <= prec::EXACT);
        let naive = v.iter().map(|x| x.exp()).sum::<f64>().ln();
        prop_assert!((dn::logsumexp(&v) - naive).abs() <= prec::EXACT * (1.0 + naive.abs()));
    }

    /// Checks 003 eq (8) — proofs/density.md: ∇fᵢ = ∇ log N(x; μᵢ, s²I) for Gaussian logits.
    #[test]
    fn prop_eq8_gaussian(m in proptest::collection::vec(-2f64..2.0, 6), x in proptest::collection::vec(-3f64..3.0, 3), s in 0.5f64..2.0, b in proptest::collection::vec(-2f64..2.0, 2)) {
        let g = GaussianLogits::new(vec![DVector::from_vec(m[..3].to_vec()), DVector::from_vec(m[3..].to_vec())], s, b).unwrap();
        let x = DVector::from_vec(x);
        for i in 0..2 {
            let fd = seed000::fd_gradient(|p| seed003::ln_class_conditional(&g, p, i), &x);
            prop_assert!((g.grad_logit(&x, i) - fd).amax() <= prec::FD_TOL);
        }
    }
}

#[test]
fn bad_parameters_are_errors_not_panics() {
    let mut rng = Seed(1).rng();
    assert!(Mlp::random(0, 2, 2, Activation::Tanh, 1.0, &mut rng).is_err());
    assert!(Mlp::random(2, 2, 2, Activation::Tanh, f64::NAN, &mut rng).is_err());
    assert!(GaussianLogits::new(vec![DVector::zeros(2), DVector::zeros(3)], 1.0, vec![0.0, 0.0]).is_err());
    let m = Mlp::random(2, 2, 2, Activation::Tanh, 1.0, &mut rng).unwrap();
    let err = m.try_logits(&DVector::zeros(5)).unwrap_err().to_string();
    assert!(err.contains("shape"), "{err}");
}
