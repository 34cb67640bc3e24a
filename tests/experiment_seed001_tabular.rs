//! Seed 001's tabular experiment (Table 1's Mushroom and Spambase rows, Fig 3's tabular panels,
//! Figs J.4/J.5) end to end at a tiny size on the real UCI files: the shipped spec loads at both
//! scales with the paper's values, bad values name their key, a tiny run writes every table,
//! figure and verdict, pairs each a- and l-model with the n-model of its seed, and resumes.

use std::path::{Path, PathBuf};

use inputgrad::experiment::run::load_spec;
use inputgrad::experiment::seed001_tabular::{TabularSpec, PAPER_TABLE1};
use inputgrad::experiment::{self, Registry, RunArgs, Scale, SpecFile};
use inputgrad::prec;

#[path = "data_support/mod.rs"]
mod data_support;
#[path = "support/spec.rs"]
mod spec_support;
use spec_support::{csv_rows, edit};

const ID: &str = "seed001_tabular";

/// Half a unit in the 5th decimal: the rounding of one number printed with 5 decimals (the
/// accuracy and Gini columns of Table 1).
const PRINTED: f64 = 0.5e-5;

/// Half a unit in the 3rd decimal: the rounding of AcDrop, printed in percentage points with 3
/// decimals.
const PRINTED_PP: f64 = 0.5e-3;

fn exp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments")
}

#[test]
fn shipped_spec_has_the_papers_values() {
    let reg = Registry::builtin();
    let exp = reg.find(ID).unwrap();
    assert_eq!(exp.builtin_spec(), std::fs::read_to_string(exp_dir().join(format!("{ID}.toml"))).unwrap(), "rebuild after editing the spec");
    let s = load_spec(exp, Some(&exp_dir())).unwrap();
    for scale in [Scale::Quick, Scale::Paper] {
        let spec = TabularSpec::from_keys(&s.scale(scale).unwrap()).unwrap();
        // App. J.1: Adam lr 0.01, batch 32, 30 epochs, 70/30; Table 1: ε = 0.1, λ = 0.02.
        assert_eq!((spec.lr, spec.batch, spec.epochs, spec.train_fraction), (0.01, 32, 30, 0.7), "{scale}");
        assert_eq!((spec.eps, spec.lambda), (0.1, 0.02), "{scale}");
        assert!(spec.datasets.contains(&"mushroom".to_string()) && spec.datasets.contains(&"spambase".to_string()));
    }
    assert_eq!(PAPER_TABLE1.len(), 4, "Table 1 has four tabular rows");
}

fn bad(set: &[(&str, &str)], expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{ID}.toml"));
    let text = edit(&std::fs::read_to_string(exp_dir().join(format!("{ID}.toml"))).unwrap(), "quick", set);
    let s = SpecFile::parse(&path, &text).unwrap();
    let err = TabularSpec::from_keys(&s.scale(Scale::Quick).unwrap()).unwrap_err().to_string();
    for e in expect {
        assert!(err.contains(e), "{set:?}: `{err}` lacks `{e}`");
    }
}

#[test]
fn bad_spec_values_name_their_key() {
    bad(&[("datasets", "[\"mushroom\", \"iris\"]")], &["quick.datasets[1]", "iris", "spambase-raw"]);
    bad(&[("datasets", "[]")], &["quick.datasets"]);
    bad(&[("eps_sweep", "[0.2, 0.1]")], &["quick.eps_sweep[1]", "increasing"]);
    bad(&[("train_fraction", "1.0")], &["quick.train_fraction"]);
    bad(&[("ig_steps", "1")], &["quick.ig_steps"]);
}


#[test]
fn tiny_run_on_the_uci_files_writes_every_output_and_resumes() {
    if data_support::real_data("tiny_seed001_tabular", "uci/spambase.data").is_none() || data_support::real_data("tiny_seed001_tabular", "uci/agaricus-lepiota.data").is_none() {
        return;
    }
    let text = std::fs::read_to_string(exp_dir().join(format!("{ID}.toml"))).unwrap();
    let text = edit(
        &text,
        "quick",
        &[("datasets", "[\"mushroom\", \"spambase\"]"), ("epochs", "2"), ("eps_sweep", "[0.1]"), ("lambda_sweep", "[0.01]"), ("ig_steps", "64"), ("seeds", "[0, 1]")],
    );
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("experiments");
    std::fs::create_dir_all(&exp).unwrap();
    std::fs::write(exp.join(format!("{ID}.toml")), &text).unwrap();
    let args = RunArgs { experiments_dir: Some(exp), ..RunArgs::new(Scale::Quick, dir.path().join("figures")) };
    let report = experiment::run(&Registry::builtin(), ID, &args, &mut |_| {}).unwrap();
    // 2 data sets × 2 seeds × (n, a at 0.1, l at 0.01 and at Table 1's 0.02).
    assert_eq!((report.cells_total, report.cells_run), (16, 16));
    let fig = dir.path().join("figures");
    let t1 = csv_rows(&fig.join(format!("{ID}.csv")));
    assert_eq!(t1.len(), 4, "a and l rows for each data set");
    for r in &t1 {
        let (acc_n, acc_m, drop, g_n, g_m, dg): (f64, f64, f64, f64, f64, f64) =
            (r[4].parse().unwrap(), r[5].parse().unwrap(), r[6].parse().unwrap(), r[7].parse().unwrap(), r[8].parse().unwrap(), r[9].parse().unwrap());
        assert!((0.5..=1.0).contains(&acc_n) && (0.5..=1.0).contains(&acc_m), "{r:?}");
        // The table's columns agree with each other (eqs 21–22 and AcDrop as defined), up to the
        // rounding of the printed numbers.
        assert!((dg - (g_m - g_n)).abs() <= 3.0 * PRINTED, "{r:?}");
        assert!((drop - 100.0 * (acc_n - acc_m)).abs() <= PRINTED_PP + 100.0 * 2.0 * PRINTED, "{r:?}");
        assert!((0.0..1.0).contains(&g_n) && (0.0..1.0).contains(&g_m), "{r:?}");
        // IG's completeness gap is recorded; with 64 Gauss–Legendre nodes the steepest sigmoid path
        // (standardised Spambase, margins in the tens) is integrated to prec::IG_GAP_TABULAR of a
        // probability (16 nodes leave gaps of 0.04 there, 128 nodes 3e-7).
        let gap: f64 = r[13].parse().unwrap();
        assert!(gap.is_finite() && gap < prec::IG_GAP_TABULAR, "{r:?}");
        assert_ne!(&r[11], "—", "every tabular row has the paper's number beside it");
    }
    // Fig 3: n + a(0.1) + l(0.01, 0.02) per data set.
    assert_eq!(csv_rows(&fig.join(format!("{ID}_sweep.csv"))).len(), 2 * 4);
    // Figs J.4/J.5: 22 Mushroom attributes, 57 Spambase features.
    let impact = csv_rows(&fig.join(format!("{ID}_impact.csv")));
    assert_eq!(impact.iter().filter(|r| &r[0] == "mushroom").count(), 22);
    assert_eq!(impact.iter().filter(|r| &r[0] == "spambase").count(), 57);
    for suffix in ["_fig2", "_fig3_mushroom", "_fig3_spambase", "_impact_mushroom", "_impact_spambase"] {
        let p = fig.join(format!("{ID}{suffix}.png"));
        assert!(p.is_file() && std::fs::metadata(&p).unwrap().len() > 1000, "{} missing", p.display());
    }
    let claims: serde_json::Value = serde_json::from_slice(&std::fs::read(fig.join(format!("{ID}.claims.json"))).unwrap()).unwrap();
    let rows = claims["claims"].as_array().unwrap_or_else(|| panic!("{claims}"));
    assert_eq!(rows.len(), 8);
    for c in rows {
        assert_ne!(c["verdict"], "not_run", "every claim has its rows in this grid: {c}");
    }
    let again = experiment::run(&Registry::builtin(), ID, &args, &mut |_| {}).unwrap();
    assert_eq!((again.cells_run, again.cells_loaded), (0, 16));
}
