//! Seed 003's BlockMNIST experiment (Table 1, Figs 4, 7, 11, Table 3) end to end at a tiny size:
//! the shipped spec holds the paper's values at paper scale, bad values name their key, and a tiny
//! run through the CLI on generated MNIST files writes every table, figure and verdict, keeps the
//! leakage variants consistent with each other, shows the three implementations of the regularizer
//! agreeing on an MLP, and resumes without recomputing.

use std::path::{Path, PathBuf};

use inputgrad::experiment::run::load_spec;
use inputgrad::experiment::seed003_leakage::{LeakageSpec, ModelKey, PAPER_TABLE1};
use inputgrad::experiment::{Registry, Scale, SpecFile};
use inputgrad::prec;

#[path = "data_support/mod.rs"]
mod data_support;
#[path = "support/spec.rs"]
mod spec_support;
use spec_support::{csv_rows, edit, run_spec_cli};

const ID: &str = "seed003_leakage";

fn exp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments")
}

fn shipped() -> String {
    std::fs::read_to_string(exp_dir().join(format!("{ID}.toml"))).unwrap()
}

#[test]
fn shipped_spec_has_the_papers_values() {
    let reg = Registry::builtin();
    let exp = reg.find(ID).unwrap();
    assert_eq!(exp.builtin_spec(), shipped(), "rebuild after editing the spec");
    let s = load_spec(exp, Some(&exp_dir())).unwrap();
    let paper = LeakageSpec::from_keys(&s.scale(Scale::Paper).unwrap()).unwrap();
    let quick = LeakageSpec::from_keys(&s.scale(Scale::Quick).unwrap()).unwrap();
    // A.8.2: two hidden layers, 80 epochs at 1e-4 on the whole training set; PGD-3 training;
    // PGD-20 evaluation at ℓ∞ 0.3 and ℓ2 1.0 with steps 0.01 and 0.2.
    assert_eq!(paper.hidden.len(), 2);
    assert_eq!((paper.mlp.epochs, paper.mlp.lr, paper.mlp.limit), (80, 1e-4, 0));
    assert_eq!((paper.cnn.epochs, paper.cnn.lr, paper.cnn.limit), (80, 1e-4, 0), "VGG11: 80 epochs at 1e-4");
    assert_eq!((paper.at_steps, paper.eval_steps), (3, 20));
    assert_eq!((paper.linf_eps, paper.linf_step, paper.l2_eps, paper.l2_step), (0.3, 0.01, 1.0, 0.2));
    assert_eq!((paper.test_limit, paper.eval_examples), (0, 10_000), "the whole test set");
    // A.2's p sweep from 1.2 to 2.8 at λ 0.1 and 0.2; Table 3's networks.
    assert_eq!((paper.p_sweep.first(), paper.p_sweep.last()), (Some(&1.2), Some(&2.8)));
    assert_eq!(paper.p_lambdas, vec![0.1, 0.2]);
    assert_eq!(paper.table3_archs, vec!["vgg11".to_string(), "resnet18".to_string()]);
    // The quick scale keeps the method list, the attacks and the p range; it shrinks sizes only.
    assert_eq!((quick.linf_eps, quick.l2_eps, quick.at_steps, quick.eval_steps), (paper.linf_eps, paper.l2_eps, paper.at_steps, paper.eval_steps));
    assert_eq!((quick.p_sweep.first(), quick.p_sweep.last()), (Some(&1.2), Some(&2.8)));
    assert!(quick.seeds.len() >= 2, "Fig 4 asks for at least 2 seeds with bands");
    assert_eq!(PAPER_TABLE1.len(), 7, "Table 1's seven methods");
}

fn bad(table: &str, set: &[(&str, &str)], expect: &[&str]) {
    let text = edit(&shipped(), table, set);
    let s = SpecFile::parse(&PathBuf::from("x.toml"), &text).unwrap();
    let err = LeakageSpec::from_keys(&s.scale(Scale::Quick).unwrap()).unwrap_err().to_string();
    for e in expect {
        assert!(err.contains(e), "{set:?}: `{err}` lacks `{e}`");
    }
}

#[test]
fn bad_spec_values_name_their_key() {
    bad("quick", &[("table3_archs", "[\"mlp\"]")], &["quick.table3_archs", "cnn-bn"]);
    bad("quick", &[("maps", "1000")], &["quick.maps", "eval_examples"]);
    bad("quick", &[("p_sweep", "[0.5, 2.0]")], &["quick.p_sweep"]);
    bad("quick", &[("lambda_sweep", "[1.0, 0.1]")], &["quick.lambda_sweep[1]", "increasing"]);
    bad("quick.mlp", &[("lr", "0.0")], &["quick.mlp.lr"]);
    bad("quick.cnn", &[("batch", "0")], &["quick.cnn.batch"]);
}

#[test]
fn model_keys_keep_only_the_parameters_a_method_has() {
    // Standard training has no λ, p or implementation: asking for it with any is the same model.
    assert_eq!(ModelKey::new("st", "mlp", 0.1, 2.0, "plain", 0), ModelKey::new("st", "mlp", 0.0, 0.0, "", 0));
    assert_eq!(ModelKey::new("st-inputgrad", "mlp", 0.1, 2.0, "plain", 0).p, 0.0);
    assert_ne!(ModelKey::new("st-md", "mlp", 0.1, 2.0, "plain", 0), ModelKey::new("st-md", "mlp", 0.1, 2.0, "stable", 0));
}


/// Half a unit in the 5th decimal: the rounding of one number printed with 5 decimals.
const PRINTED: f64 = 0.5e-5;

fn num(r: &csv::StringRecord, i: usize) -> f64 {
    r[i].parse().unwrap_or_else(|_| panic!("column {i} of {r:?} is not a number"))
}

#[test]
fn slow_tiny_run_writes_every_table_figure_and_verdict_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    data_support::write_synthetic_mnist(&data.join("mnist"), 120, 40);
    let text = edit(
        &shipped(),
        "quick",
        &[
            ("hidden", "[12, 12]"),
            ("cnn_channels", "[2, 3]"),
            ("lambda_sweep", "[0.1]"),
            ("p_sweep", "[1.5, 2.0]"),
            ("p_lambdas", "[0.1]"),
            ("table3_archs", "[\"cnn-bn\"]"),
            ("test_limit", "30"),
            ("eval_examples", "5"),
            ("ig_steps", "4"),
            ("insertion_steps", "4"),
            ("maps", "2"),
            ("seeds", "[0, 1]"),
        ],
    );
    let text = edit(&text, "quick.mlp", &[("epochs", "1"), ("limit", "60"), ("batch", "20")]);
    let text = edit(&text, "quick.cnn", &[("epochs", "1"), ("limit", "40"), ("batch", "20")]);
    let fig = dir.path().join("figures");
    let run = || run_spec_cli(ID, &text, dir.path(), &fig, &data);
    let stdout = run();
    assert!(stdout.contains("claims:"), "{stdout}");
    // Per seed: Table 1's 7 models, p = 1.5 (p = 2 at λ 0.1 is Table 1's), the MLP's stable and
    // plain implementations, and cnn-bn's st, InputGrad and three implementations: 15.
    let table1 = csv_rows(&fig.join(format!("{ID}.csv")));
    assert_eq!(table1.len(), 7);
    for (r, paper) in table1.iter().zip(PAPER_TABLE1) {
        assert_eq!(&r[0], paper.0);
        assert_eq!(&r[1], "2", "two seeds");
        for c in [2, 4, 5, 6, 7, 15] {
            assert!(num(r, c).is_finite() && num(r, c) >= 0.0, "{r:?}");
        }
        assert!(num(r, 7) <= 1.0, "the insertion AUC of a probability is at most 1: {r:?}");
        for c in [4, 5, 6] {
            assert!(num(r, c) <= 1.0, "accuracies are fractions: {r:?}");
        }
        assert_eq!(num(r, 8), paper.1, "the paper's leakage beside ours");
    }
    // The leakage variants: the default (image path, logit, mean) is Table 1's column, and every
    // sum is the mean times the 5 attributed images.
    let variants = csv_rows(&fig.join(format!("{ID}_variants.csv")));
    assert_eq!(variants.len(), 7 * 3 * 2);
    for r in &table1 {
        let mean = variants.iter().find(|v| v[0] == r[0] && &v[1] == "image" && &v[2] == "logit" && &v[3] == "mean").unwrap();
        assert_eq!(&mean[4], &r[2], "Table 1's column is the default variant");
        for (path, output) in [("image", "logit"), ("null_block", "logit"), ("image", "probability")] {
            let m = variants.iter().find(|v| v[0] == r[0] && &v[1] == path && &v[2] == output && &v[3] == "mean").unwrap();
            let s = variants.iter().find(|v| v[0] == r[0] && &v[1] == path && &v[2] == output && &v[3] == "sum").unwrap();
            // Both printed with 5 decimals: the sum's rounding plus 5 times the mean's.
            assert!((num(s, 4) - 5.0 * num(m, 4)).abs() <= 6.0 * PRINTED, "{m:?} {s:?}");
        }
    }
    let lambda = csv_rows(&fig.join(format!("{ID}_lambda.csv")));
    assert_eq!(lambda.len(), 2, "InputGrad and marginal density at λ = 0.1");
    let p = csv_rows(&fig.join(format!("{ID}_p.csv")));
    assert_eq!(p.iter().map(|r| r[2].to_string()).collect::<Vec<_>>(), ["1.5", "2"]);
    // Table 3: the MLP's three implementations compute one vector on the exact route, so models
    // trained from the same seed agree to rounding.
    let t3 = csv_rows(&fig.join(format!("{ID}_table3.csv")));
    assert_eq!(t3.len(), 2 * 5, "mlp and cnn-bn × st, InputGrad, three implementations");
    let md: Vec<f64> = t3.iter().filter(|r| &r[0] == "mlp" && &r[1] == "st-md").map(|r| num(r, 4)).collect();
    assert_eq!(md.len(), 3);
    // Three steps from one seed: each step's penalty vectors agree to prec::DENSITY_FORMS_AGREE, and
    // the printed leakage carries 5 decimals.
    for v in &md {
        assert!((v - md[0]).abs() <= prec::DENSITY_FORMS_AGREE * md[0] + 2.0 * PRINTED, "implementations disagree on the MLP: {md:?}");
    }
    eprintln!("MLP leakage of the three implementations: {md:?}");
    assert!(t3.iter().any(|r| &r[0] == "cnn-bn" && &r[8] == "resnet18"), "the small CNN with batch norm is printed beside ResNet-18");
    let maps = csv_rows(&fig.join(format!("{ID}_maps.csv")));
    assert_eq!(maps.len(), 2 * 4, "2 images × (input, ST, InputGrad, marginal density)");
    for r in &maps {
        assert_eq!(r[5].split(' ').count(), 56 * 28);
    }
    for f in ["_fig4_leakage.png", "_fig4_robust_linf.png", "_fig4_robust_l2.png", "_fig4_accuracy.png", "_fig7_leakage.png", "_fig7_robust_l2.png", "_fig7_accuracy.png", "_fig11.png"] {
        let path = fig.join(format!("{ID}{f}"));
        assert!(path.is_file() && std::fs::metadata(&path).unwrap().len() > 500, "{} missing", path.display());
    }
    let claims: serde_json::Value = serde_json::from_slice(&std::fs::read(fig.join(format!("{ID}.claims.json"))).unwrap()).unwrap();
    let rows = claims["claims"].as_array().unwrap_or_else(|| panic!("{claims}"));
    assert_eq!(rows.len(), 10);
    for c in rows {
        assert!(c["verdict"] == "holds" || c["verdict"] == "fails", "every claim is evaluated: {c}");
    }
    assert!(stdout.contains("30 cells computed, 0 loaded"), "{stdout}");
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(fig.join(format!("{ID}.meta.json"))).unwrap()).unwrap();
    assert_eq!(meta["cells"]["total"], 30, "{meta}");
    let again = run();
    assert!(again.contains("0 cells computed, 30 loaded"), "{again}");
}

/// The paper scale's Table 3 networks (VGG11 and ResNet-18 with batch norm, the penalties on the
/// finite-difference route) train and are scored on BlockMNIST's 56×28 images.
#[test]
fn slow_paper_scale_table3_networks_run_on_blockmnist_images() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    data_support::write_synthetic_mnist(&data.join("mnist"), 30, 10);
    let mut doc: toml::Table = shipped().parse().unwrap();
    let paper = doc.remove("paper").unwrap();
    doc.insert("quick".into(), paper);
    let text = edit(
        &toml::to_string(&doc).unwrap(),
        "quick",
        &[
            ("hidden", "[6, 6]"),
            ("lambda_sweep", "[0.1]"),
            ("p_sweep", "[2.0]"),
            ("p_lambdas", "[0.1]"),
            ("test_limit", "6"),
            ("eval_examples", "3"),
            ("ig_steps", "2"),
            ("insertion_steps", "2"),
            ("maps", "1"),
            ("eval_steps", "2"),
            ("seeds", "[0]"),
        ],
    );
    let text = edit(&text, "quick.mlp", &[("epochs", "1"), ("limit", "12"), ("batch", "6")]);
    let text = edit(&text, "quick.cnn", &[("epochs", "1"), ("limit", "6"), ("batch", "3")]);
    let fig = dir.path().join("figures");
    run_spec_cli(ID, &text, dir.path(), &fig, &data);
    let t3 = csv_rows(&fig.join(format!("{ID}_table3.csv")));
    for arch in ["vgg11", "resnet18"] {
        let rows: Vec<_> = t3.iter().filter(|r| &r[0] == arch).collect();
        assert_eq!(rows.len(), 5, "{arch}: st, InputGrad, three implementations");
        assert!(rows.iter().all(|r| num(r, 4).is_finite()), "{arch}: {rows:?}");
        // The paper's Table 3 has every row but the plain implementation for these networks.
        assert!(rows.iter().all(|r| (&r[8] == arch) == (&r[2] != "plain")), "{arch}: {rows:?}");
    }
}
