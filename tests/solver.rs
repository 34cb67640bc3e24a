//! The max-margin game solver (theory/mm_solver.rs) — proofs/mm_solver.md.

use inputgrad::prec;
use inputgrad::theory::adversarial_margin as am;
use inputgrad::theory::block_data::BlockSpec;
use inputgrad::theory::max_margin::{self as mm, nnls, polish_neuron};
use inputgrad::theory::mean_field::{Neuron, PointMeasure};
use inputgrad::theory::mm_solver::{self as ms, Ball, Game};
use inputgrad::verify::solver::THM1_SOLVER;
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;

mod common;

registered! {
    /// Checks the LP master (zero-sum game duality) — proofs/mm_solver.md
    matrix_game => "000.solver.matrix_game", Holds;
    /// Checks the exact ℓ∞ adversary of eq (8) — proofs/mm_solver.md
    adversary_exact => "000.solver.adversary_exact", Holds;
    /// Checks 000 Thm 1 / eq (4) value by the certified solver — proofs/mm_solver.md
    thm1_value => "000.solver.thm1_value", Holds;
    /// Checks 000 Thm 1's value beyond its hypothesis (d = 4, ε = 0.2, 1/3) — proofs/mm_solver.md
    thm1_beyond => "000.solver.thm1_beyond", Holds;
    /// Checks 000 Conjecture 1 at ε = 1/3, d = 6 (refuted by a witness) — proofs/mm_solver.md
    conj1_witness_one_third => "000.conj1.witness_one_third", Erratum;
}

/// Checks 000 eq (4) — proofs/mm_solver.md: the certificate is tight enough to reject a value 1 %
/// off Theorem 1's γ*.
#[test]
fn certificate_rejects_a_wrong_value() {
    let d = 4;
    let spec = BlockSpec::scalar(d, 0.0).unwrap();
    let points = am::support_points(d).into_iter().map(|(x, y, _)| (x, y)).collect();
    let c = ms::solve(&Game { points, ball: Ball::None }, THM1_SOLVER).unwrap();
    let wrong = 1.01 * mm::gamma_star(&spec);
    assert!(wrong > c.upper, "upper {} does not exclude {wrong}", c.upper);
    // The certificate's parts are consistent: ν is a probability measure on the sphere and the
    // best response really attains `upper` against p.
    assert!(c.nu.sphere_defect() < prec::EXACT);
    assert!((c.p.neuron_value(&c.best_response) - c.upper).abs() < prec::EXACT);
    assert!((c.p.atoms.iter().map(|a| a.0).sum::<f64>() - 1.0).abs() < prec::EXACT);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// NNLS optimality (KKT): λ ≥ 0, Aᵀ(Aλ − b) ≥ 0, complementary slackness.
    #[test]
    fn prop_nnls_kkt(v in proptest::collection::vec(-1.0f64..1.0, 4 * 6 + 4), cols in 1usize..6) {
        let a = DMatrix::from_column_slice(4, cols, &v[..4 * cols]);
        let b = DVector::from_column_slice(&v[24..28]);
        let l = nnls(&a, &b);
        let grad = a.transpose() * (&a * &l - &b);
        for j in 0..cols {
            prop_assert!(l[j] >= 0.0);
            prop_assert!(grad[j] >= -prec::NNLS_KKT, "grad {}", grad[j]);
            prop_assert!((l[j] * grad[j]).abs() <= prec::NNLS_KKT);
        }
    }

    /// Polishing only ever proposes better neurons, and they stay on the sphere.
    #[test]
    fn prop_polish_never_worse(v in proptest::collection::vec(-1.0f64..1.0, 5 + 3 * 4), ws in proptest::collection::vec(0.05f64..1.0, 3)) {
        let th = Neuron::from_vec(&(DVector::from_column_slice(&v[..5]) / DVector::from_column_slice(&v[..5]).norm()));
        let tot: f64 = ws.iter().sum();
        let atoms = (0..3).map(|k| (ws[k] / tot, DVector::from_column_slice(&v[5 + 4 * k..5 + 4 * k + 3]), if v[8 + 4 * k] > 0.0 { 1.0 } else { -1.0 })).collect();
        let p = PointMeasure { atoms };
        let (val, out) = polish_neuron(&p, &th);
        prop_assert!(val >= p.neuron_value(&th) - prec::F64_FEW_OPS);
        prop_assert!((out.norm() - 1.0).abs() < prec::EXACT);
        prop_assert!((p.neuron_value(&out) - val).abs() < prec::F64_FEW_OPS);
    }
}

#[test]
fn solver_is_deterministic() {
    let points: Vec<_> = am::support_points(2).into_iter().map(|(x, y, _)| (x, y)).collect();
    let a = ms::solve(&Game { points: points.clone(), ball: Ball::Linf(0.1) }, THM1_SOLVER).unwrap();
    let b = ms::solve(&Game { points, ball: Ball::Linf(0.1) }, THM1_SOLVER).unwrap();
    assert_eq!(a.lower.to_bits(), b.lower.to_bits());
    assert_eq!(a.upper.to_bits(), b.upper.to_bits());
}

/// Checks 000 eq (8) — proofs/mm_solver.md: the exact adversary reproduces ν~'s closed-form margin,
/// so the witness comparison would notice a ν~ with a larger margin.
#[test]
fn exact_adversary_reproduces_nu_tilde_margin() {
    use inputgrad::verify::solver::exact_dataset_margin;
    for d in [4usize, 6] {
        for eps in [0.1, 1.0 / 3.0, 0.45] {
            let m = exact_dataset_margin(&am::nu_tilde(d).unwrap(), d, eps).unwrap();
            assert!((m - am::nu_tilde_margin_closed_form(d, eps)).abs() < prec::LP_AGREE, "d={d} eps={eps}: {m}");
        }
    }
}

#[test]
fn witness_file_errors_name_the_key() {
    use inputgrad::verify::solver::witness_measure;
    let err = witness_measure(r#"{"d": 2, "atoms": []}"#).unwrap_err().to_string();
    assert!(err.contains("eps"), "{err}");
    let err = witness_measure(r#"{"d": 2, "eps": 0.1, "atoms": [{"mass": 1.0, "w": 1.0, "b": 0.0, "r": [1.0]}]}"#).unwrap_err().to_string();
    assert!(err.contains("wrong length"), "{err}");
}
