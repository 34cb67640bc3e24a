//! Seed 000's wide-network experiments (Fig 5, Fig 31, the feature-leakage table) through the
//! experiment layer at a tiny scale: shipped specs load, runs write every output, and the
//! qualitative results hold even at width 400 — the standard MLP's gradient spreads over the task
//! blocks as Theorem 1 says (signal share 2/d), the robust one concentrates on j*(x), adversarial
//! training makes biases negative.

use std::path::{Path, PathBuf};

use inputgrad::experiment::seed000_fig31::Fig31Spec;
use inputgrad::experiment::seed000_fig5::Fig5Spec;
use inputgrad::experiment::seed000_leakage::LeakageSpec;
use inputgrad::experiment::seed000_maxmargin::MaxMarginSpec;
use inputgrad::experiment::run::load_spec;
use inputgrad::experiment::{self, Registry, RunArgs, Scale, SpecFile};
use inputgrad::prec;

#[path = "support/spec.rs"]
mod spec;
use spec::{csv_rows, tiny};

fn exp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments")
}


#[test]
fn shipped_specs_load_at_both_scales() {
    let reg = Registry::builtin();
    let load_spec = |_: &PathBuf, id: &str| load_spec(reg.find(id).unwrap(), Some(&exp_dir()));
    for scale in [Scale::Quick, Scale::Paper] {
        let s = load_spec(&exp_dir(), "seed000_fig5").unwrap();
        Fig5Spec::from_keys(&s.scale(scale).unwrap()).unwrap();
        let s = load_spec(&exp_dir(), "seed000_fig31").unwrap();
        let f = Fig31Spec::from_keys(&s.scale(scale).unwrap()).unwrap();
        assert_eq!((f.d, f.width), (10, 50_000), "Fig 31 is width 50,000 on d = 10 at every scale");
        let s = load_spec(&exp_dir(), "seed000_leakage").unwrap();
        LeakageSpec::from_keys(&s.scale(scale).unwrap()).unwrap();
        let s = load_spec(&exp_dir(), "seed000_maxmargin").unwrap();
        MaxMarginSpec::from_keys(&s.scale(scale).unwrap()).unwrap();
    }
}

#[test]
fn bad_keys_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed000_fig31.toml");
    let text = tiny("seed000_fig31", &[("eps", "0.7")]);
    std::fs::write(&path, &text).unwrap();
    let s = SpecFile::parse(&path, &text).unwrap();
    let err = Fig31Spec::from_keys(&s.scale(Scale::Quick).unwrap()).unwrap_err().to_string();
    assert!(err.contains("quick.eps") && err.contains("seed000_fig31.toml"), "{err}");
    let text = tiny("seed000_leakage", &[("bayes_sigma", "0.01")]);
    let s = SpecFile::parse(&path, &text).unwrap();
    let err = LeakageSpec::from_keys(&s.scale(Scale::Quick).unwrap()).unwrap_err().to_string();
    assert!(err.contains("quick.bayes_sigma"), "{err}");
}

fn run(id: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("experiments");
    std::fs::create_dir_all(&exp).unwrap();
    std::fs::write(exp.join(format!("{id}.toml")), text).unwrap();
    let fig = dir.path().join("figures");
    let args = RunArgs { experiments_dir: Some(exp), ..RunArgs::new(Scale::Quick, &fig) };
    experiment::run(&Registry::builtin(), id, &args, &mut |_| {}).unwrap();
    (dir, fig)
}

/// Fig 5 at width 400: all models separate the data; the standard MLP's signal share is Theorem 1's
/// 2/d (its gradient is ∝ z, spread evenly over the d/2 task blocks); the robust MLP's is far
/// above it; the linear model's is 2/d too (its gradient is the same for every input).
#[test]
fn fig5_tiny_reproduces_the_pattern() {
    let text = tiny("seed000_fig5", &[("width", "400"), ("steps_standard", "300"), ("steps_robust", "600"), ("linear_steps", "300"), ("lr", "1.0")]);
    let (_dir, fig) = run("seed000_fig5", &text);
    for f in ["seed000_fig5.csv", "seed000_fig5_gradients.csv", "seed000_fig5_gradients.png", "seed000_fig5_gradients.svg", "seed000_fig5.meta.json"] {
        assert!(fig.join(f).is_file(), "{f} missing");
    }
    let rows = csv_rows(&fig.join("seed000_fig5.csv"));
    let share = |m: &str| -> f64 { rows.iter().find(|r| &r[0] == m).unwrap()[2].parse().unwrap() };
    for r in &rows {
        assert_eq!(&r[1], "1", "{} does not separate the support points", &r[0]);
    }
    let two_over_d = 2.0 / 10.0;
    assert!((share("standard MLP") - two_over_d).abs() < 0.02, "standard MLP signal share {}", share("standard MLP"));
    assert!((share("linear") - two_over_d).abs() < prec::EXACT, "linear signal share {}", share("linear"));
    assert!(share("robust MLP") > 0.5, "robust MLP signal share {}", share("robust MLP"));
    // plot redraws from the CSVs alone.
    std::fs::remove_file(fig.join("seed000_fig5_gradients.png")).unwrap();
    experiment::plot(&Registry::builtin(), "seed000_fig5", &fig).unwrap();
    assert!(fig.join("seed000_fig5_gradients.png").is_file());
}

/// Fig 31 at width 400, 600 steps: adversarial training puts most of the mass on negative-bias,
/// axis-aligned neurons; standard training on positive-bias ones (Theorem 1's ν*, b > 0).
#[test]
fn fig31_tiny_shows_negative_aligned_neurons() {
    let text = tiny("seed000_fig31", &[("width", "400"), ("steps", "600"), ("lr", "1.0"), ("record_every", "100"), ("scatter_neurons", "100")]);
    let (_dir, fig) = run("seed000_fig31", &text);
    for f in ["seed000_fig31.csv", "seed000_fig31_history.csv", "seed000_fig31_neurons.csv", "seed000_fig31_bias.csv", "seed000_fig31_a.png", "seed000_fig31_b.png", "seed000_fig31_margin.png", "seed000_fig31.meta.json"] {
        assert!(fig.join(f).is_file(), "{f} missing");
    }
    let rows = csv_rows(&fig.join("seed000_fig31.csv"));
    let get = |o: &str, c: usize| -> f64 { rows.iter().find(|r| &r[0] == o).unwrap()[c].parse().unwrap() };
    // Columns: 6 negative_bias_mass, 7 aligned_mass.
    assert!(get("adversarial", 6) > 0.8, "adversarial negative-bias mass {}", get("adversarial", 6));
    assert!(get("standard", 6) < 0.2, "standard negative-bias mass {}", get("standard", 6));
    assert!(get("adversarial", 7) > get("standard", 7) + 0.3, "aligned mass {} vs {}", get("adversarial", 7), get("standard", 7));
    assert_eq!(csv_rows(&fig.join("seed000_fig31_neurons.csv")).len(), 200, "100 neurons per objective");
}

/// The leakage table at width 300 with η = 0 and 0.1: every model and reference has a row per η;
/// the theory's ν* has Theorem 1's shares exactly at η = 0, ν~ Lemma 1's.
#[test]
fn leakage_tiny_table() {
    let text = tiny(
        "seed000_leakage",
        &[("etas", "[0.0, 0.1]"), ("width", "300"), ("train_size", "40"), ("test_size", "100"), ("steps_standard", "100"), ("steps_robust", "100"), ("linear_steps", "100")],
    );
    let (_dir, fig) = run("seed000_leakage", &text);
    let rows = csv_rows(&fig.join("seed000_leakage.csv"));
    assert_eq!(rows.len(), 2 * 6, "six models at two η");
    let at = |eta: &str, m: &str| rows.iter().find(|r| &r[0] == eta && r[1].starts_with(m)).unwrap().clone();
    let nu_star = at("0", "max-margin");
    assert_eq!((&nu_star[4], &nu_star[5], &nu_star[6]), ("0.2000", "0.8000", "0.0000"));
    let tilde = at("0", "ν~");
    assert_eq!((&tilde[4], &tilde[6]), ("1.0000", "0.0000"));
    // At η = 0 the smoothed Bayes log-odds gradient at y·e_{j*} is (1/σ²)(p_{j*} e_{j*} + Σ_j q_j e_j)
    // with p = softmax((2x − 1)/2σ²) ≈ e_{j*} and q = softmax((−2x − 1)/2σ²) ≈ uniform on the other
    // task blocks (proofs/leakage.md): signal share exactly ½ up to e^{−1/σ²} = e^{−100}.
    let bayes = at("0", "Bayes");
    assert_eq!((&bayes[4], &bayes[5]), ("0.5000", "0.5000"));
    let bayes = at("0.1", "Bayes");
    assert_eq!(&bayes[6], "0.0000", "the Bayes-optimal gradient never touches noise blocks");
    assert!(fig.join("seed000_leakage.png").is_file());
}

/// The max-margin grid at d = 4, ε ∈ {0, 0.2}, 80 rounds: each certified bracket contains
/// Theorem 1's value γ*(η = ε) (proofs/mm_solver.md: for ε < 2/d the ℓ∞ value is γ*(η = ε)), the
/// solution spreads its gradient evenly over the task coordinates (share 2/d, the leaking structure),
/// and ν~ is refuted (the certified lower bound exceeds its exact margin).
#[test]
fn maxmargin_tiny_grid_brackets_theorem1() {
    let text = tiny("seed000_maxmargin", &[("ds", "[4]"), ("eps", "[0.0, 0.2]"), ("max_rounds", "80")]);
    let (_dir, fig) = run("seed000_maxmargin", &text);
    let rows = csv_rows(&fig.join("seed000_maxmargin.csv"));
    assert_eq!(rows.len(), 2);
    for r in &rows {
        let (lower, upper, thm1): (f64, f64, f64) = (r[2].parse().unwrap(), r[3].parse().unwrap(), r[8].parse().unwrap());
        assert!(lower <= thm1 + prec::OPT_EXCEED && thm1 <= upper + prec::OPT_EXCEED, "ε = {}: [{lower}, {upper}] does not contain γ*(η = ε) = {thm1}", &r[1]);
        assert_eq!(&r[9], "true", "ν~ not refuted at ε = {}", &r[1]);
        let share: f64 = r[14].parse().unwrap();
        assert!((share - 0.5).abs() < 0.01, "signal share {share} at ε = {}", &r[1]);
    }
    assert!(fig.join("seed000_maxmargin_d4.png").is_file());
}
