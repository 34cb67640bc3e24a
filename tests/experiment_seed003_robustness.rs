//! Seed 003's App. A.3–A.5 analogues end to end at a tiny size: the shipped spec is complete at both
//! scales, a run through the CLI on generated MNIST and Fashion-MNIST files writes the three tables,
//! the four figures and five verdicts, the tables' numbers are in range and the flipped AUROC is
//! one minus the AUROC, and a rerun computes nothing.

use std::path::{Path, PathBuf};

use inputgrad::experiment::run::load_spec;
use inputgrad::experiment::seed003_robustness::RobustnessSpec;
use inputgrad::experiment::{Registry, Scale};

#[path = "data_support/mod.rs"]
mod data_support;
#[path = "support/spec.rs"]
mod spec_support;
use spec_support::{csv_rows, edit, run_spec_cli};

const ID: &str = "seed003_robustness";

/// Half a unit in the 5th decimal: the rounding of one number printed with 5 decimals.
const PRINTED: f64 = 0.5e-5;

fn shipped() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("experiments/{ID}.toml"))).unwrap()
}

#[test]
fn shipped_spec_loads_at_both_scales() {
    let reg = Registry::builtin();
    let exp = reg.find(ID).unwrap();
    assert_eq!(exp.builtin_spec(), shipped(), "rebuild after editing the spec");
    let s = load_spec(exp, Some(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("experiments"))).unwrap();
    let paper = RobustnessSpec::from_keys(&s.scale(Scale::Paper).unwrap()).unwrap();
    let quick = RobustnessSpec::from_keys(&s.scale(Scale::Quick).unwrap()).unwrap();
    assert_eq!((paper.training.epochs, paper.training.lr, paper.training.limit), (80, 1e-4, 0), "A.8.2's recipe on the whole set");
    assert_eq!((quick.l2_budgets.len(), quick.linf_budgets.len()), (3, 3), "three budgets per norm, as Tables 4 and 5");
    assert_eq!(quick.eval_steps, 20);
}


#[test]
fn tiny_run_writes_the_three_tables_figures_and_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    data_support::write_synthetic_mnist(&data.join("mnist"), 100, 40);
    data_support::write_synthetic_mnist(&data.join("fashion-mnist"), 100, 40);
    let text = edit(&shipped(), "quick", &[("hidden", "[8]"), ("test_limit", "20"), ("eval_examples", "6"), ("ood_examples", "10"), ("sigmas", "[0.05, 0.1]"), ("seeds", "[0]")]);
    let text = edit(&text, "quick.training", &[("epochs", "1"), ("limit", "50"), ("batch", "25")]);
    let fig = dir.path().join("figures");
    let run = || run_spec_cli(ID, &text, dir.path(), &fig, &data);
    let stdout = run();
    assert!(stdout.contains("6 cells computed, 0 loaded"), "2 data sets × 3 methods: {stdout}");
    let t = csv_rows(&fig.join(format!("{ID}.csv")));
    assert_eq!(t.len(), 3 * 6, "3 methods × 6 budgets");
    for r in &t {
        let (rob, acc): (f64, f64) = (r[4].parse().unwrap(), r[6].parse().unwrap());
        assert!((0.0..=1.0).contains(&rob) && (0.0..=1.0).contains(&acc), "{r:?}");
        assert_ne!(&r[8], "—", "the paper's number beside ours: {r:?}");
    }
    let noise = csv_rows(&fig.join(format!("{ID}_noise.csv")));
    assert_eq!(noise.len(), 3 * 2);
    for r in &noise {
        let (g, d): (f64, f64) = (r[2].parse().unwrap(), r[4].parse().unwrap());
        assert!(g >= 0.0 && g.is_finite() && d > 0.0 && d.is_finite(), "{r:?}");
    }
    let ood = csv_rows(&fig.join(format!("{ID}_ood.csv")));
    assert_eq!(ood.len(), 3 * 2, "3 methods × 2 scores");
    for r in &ood {
        let (a, flipped): (f64, f64) = (r[3].parse().unwrap(), r[5].parse().unwrap());
        // Both printed with 5 decimals (each off by at most half a unit of the last).
        assert!((0.0..=1.0).contains(&a) && (a + flipped - 1.0).abs() <= 2.0 * PRINTED, "{r:?}");
    }
    for f in ["_robust_l2.png", "_robust_linf.png", "_fig8_gradient.png", "_fig8_density.png"] {
        let p = fig.join(format!("{ID}{f}"));
        assert!(p.is_file() && std::fs::metadata(&p).unwrap().len() > 500, "{} missing", p.display());
    }
    let claims: serde_json::Value = serde_json::from_slice(&std::fs::read(fig.join(format!("{ID}.claims.json"))).unwrap()).unwrap();
    let rows = claims["claims"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|c| c["verdict"] == "holds" || c["verdict"] == "fails"), "{claims}");
    assert!(run().contains("0 cells computed, 6 loaded"));
}
