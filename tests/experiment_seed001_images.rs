//! Seed 001's image experiments (Table 1's MNIST, Fashion-MNIST and CIFAR-10 rows, Figs 2–3,
//! J.6–J.10) end to end at a tiny size: the shipped specs load at both scales with the paper's
//! values, bad values name their key, a tiny MNIST run on the real files writes every table,
//! figure and verdict and resumes, and the CIFAR-10 paper spec runs through the CLI on generated
//! files in the real binary format.

use std::path::{Path, PathBuf};
use std::process::Command;

use inputgrad::experiment::run::load_spec;
use inputgrad::experiment::seed001_images::ImagesSpec;
use inputgrad::experiment::{self, Registry, RunArgs, Scale, SpecFile};

#[path = "data_support/mod.rs"]
mod data_support;
#[path = "support/spec.rs"]
mod spec_support;
use spec_support::{csv_rows, edit};

const IDS: [&str; 3] = ["seed001_mnist", "seed001_fmnist", "seed001_cifar10"];

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
fn shipped_specs_have_the_papers_values() {
    let reg = Registry::builtin();
    for id in IDS {
        let exp = reg.find(id).unwrap();
        assert_eq!(exp.builtin_spec(), std::fs::read_to_string(exp_dir().join(format!("{id}.toml"))).unwrap(), "{id}: rebuild after editing the spec");
        let s = load_spec(exp, Some(&exp_dir())).unwrap();
        let paper = ImagesSpec::from_keys(&s.scale(Scale::Paper).unwrap()).unwrap();
        let quick = ImagesSpec::from_keys(&s.scale(Scale::Quick).unwrap()).unwrap();
        assert_eq!(paper.data, quick.data);
        assert!(!paper.finetune, "{id}: the paper trains a-models from scratch");
        assert_eq!(paper.natural.limit, 0, "{id}: the paper uses the whole training set");
        match id {
            // App. J.1: Adam 1e-4, batch 50, 25 000 and 100 000 steps; ε 0.3 / 0.1; λ 0.01 on the
            // batch-sum loss = 2e-4 on the batch mean.
            "seed001_mnist" | "seed001_fmnist" => {
                assert_eq!((paper.natural.optimizer.as_str(), paper.natural.lr, paper.natural.batch), ("adam", 1e-4, 50), "{id}");
                assert_eq!((paper.pgd_steps, paper.lambda), (0, 2e-4), "{id}: App. J.1's PGD recipe; λ = 0.01/50");
                assert_eq!(paper.eps, if id == "seed001_mnist" { 0.3 } else { 0.1 });
                assert_eq!(paper.natural.epochs, (25_000 * 50 + 30_000) / 60_000, "{id}: 25 000 steps of 50, rounded");
                assert_eq!(paper.adversarial.epochs, (100_000 * 50 + 30_000) / 60_000, "{id}: 100 000 steps of 50, rounded");
                assert!(paper.deepshap && quick.deepshap);
            }
            _ => {
                assert_eq!((paper.natural.optimizer.as_str(), paper.natural.lr, paper.natural.batch, paper.natural.weight_decay), ("sgd", 0.1, 128, 2e-4));
                assert_eq!((paper.eps, paper.pgd_steps, paper.pgd_step_fraction, paper.lambda), (1.0 / 255.0, 2, 1.0, 1e-5), "ε = 1 on 0–255, ε + 1 steps of 1");
                assert_eq!(paper.natural.epochs, 70_000 * 128 / 50_000, "70 000 steps of 128");
                assert!(!paper.deepshap, "the paper has no DeepSHAP on CIFAR-10");
            }
        }
    }
}

fn bad(set: &[(&str, &str)], expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed001_mnist.toml");
    let text = edit(&std::fs::read_to_string(exp_dir().join("seed001_mnist.toml")).unwrap(), "quick", set);
    let s = SpecFile::parse(&path, &text).unwrap();
    let err = ImagesSpec::from_keys(&s.scale(Scale::Quick).unwrap()).unwrap_err().to_string();
    for e in expect {
        assert!(err.contains(e), "{set:?}: `{err}` lacks `{e}`");
    }
}

#[test]
fn bad_spec_values_name_their_key() {
    bad(&[("model", "\"vgg11\"")], &["quick.model", "madry-cnn"]);
    bad(&[("data", "\"svhn\"")], &["quick.data", "cifar10"]);
    bad(&[("maps", "500")], &["quick.maps", "eval_examples"]);
    bad(&[("lambda_sweep", "[0.1, 0.01]")], &["quick.lambda_sweep[1]", "increasing"]);
    let dir = tempfile::tempdir().unwrap();
    let text = edit(&std::fs::read_to_string(exp_dir().join("seed001_mnist.toml")).unwrap(), "quick.natural", &[("optimizer", "\"rmsprop\"")]);
    let s = SpecFile::parse(&dir.path().join("x.toml"), &text).unwrap();
    let err = ImagesSpec::from_keys(&s.scale(Scale::Quick).unwrap()).unwrap_err().to_string();
    assert!(err.contains("quick.natural.optimizer") && err.contains("sgd"), "{err}");
}


fn tiny(text: &str) -> String {
    let text = edit(
        text,
        "quick",
        &[("eval_examples", "6"), ("maps", "3"), ("ig_steps", "8"), ("eps_sweep", "[0.3]"), ("lambda_sweep", "[0.0002]"), ("test_limit", "200")],
    );
    let text = edit(&text, "quick.natural", &[("limit", "500")]);
    edit(&text, "quick.adversarial", &[("limit", "100")])
}

#[test]
fn slow_tiny_mnist_run_writes_every_output_and_resumes() {
    if data_support::real_data("tiny_seed001_mnist", "mnist").is_none() {
        return;
    }
    let id = "seed001_mnist";
    let text = tiny(&std::fs::read_to_string(exp_dir().join(format!("{id}.toml"))).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("experiments");
    std::fs::create_dir_all(&exp).unwrap();
    std::fs::write(exp.join(format!("{id}.toml")), &text).unwrap();
    let args = RunArgs { experiments_dir: Some(exp), ..RunArgs::new(Scale::Quick, dir.path().join("figures")) };
    let report = experiment::run(&Registry::builtin(), id, &args, &mut |_| {}).unwrap();
    assert_eq!((report.cells_total, report.cells_run), (3, 3), "n, a (ε = 0.3), l (λ = 2e-4)");
    let fig = dir.path().join("figures");
    let t1 = csv_rows(&fig.join(format!("{id}.csv")));
    assert_eq!(t1.len(), 4, "IG and SHAP × a and l");
    for r in &t1 {
        let (acc_n, acc_m, drop, g_n, g_m, dg): (f64, f64, f64, f64, f64, f64) =
            (r[4].parse().unwrap(), r[5].parse().unwrap(), r[6].parse().unwrap(), r[9].parse().unwrap(), r[10].parse().unwrap(), r[11].parse().unwrap());
        assert!((0.0..=1.0).contains(&acc_n) && (0.0..=1.0).contains(&acc_m), "{r:?}");
        // PGD-20 accuracy at Table 1's ε, on the attributed images: a fraction.
        let (rob_n, rob_m): (f64, f64) = (r[7].parse().unwrap(), r[8].parse().unwrap());
        assert!((0.0..=1.0).contains(&rob_n) && (0.0..=1.0).contains(&rob_m), "{r:?}");
        // One seed: the mean of pointwise differences is the difference of means, up to the
        // rounding of the three printed numbers; AcDrop is 100 × the accuracy difference up to its
        // own rounding and 100 × that of the two accuracies.
        assert!((dg - (g_m - g_n)).abs() <= 3.0 * PRINTED, "{r:?}");
        assert!((drop - 100.0 * (acc_n - acc_m)).abs() <= PRINTED_PP + 100.0 * 2.0 * PRINTED, "{r:?}");
        assert_eq!(&r[3], "6", "six attributed images");
        assert_ne!(&r[13], "—", "every MNIST row has the paper's number beside it");
    }
    // The maps table holds up to 3 inputs (those every model classifies correctly) and for each
    // a map per model and method, each with its Gini.
    let maps = csv_rows(&fig.join(format!("{id}_maps.csv")));
    let inputs = maps.iter().filter(|r| &r[0] == "input").count();
    assert!((1..=3).contains(&inputs), "{inputs} inputs shown");
    assert_eq!(maps.iter().filter(|r| &r[0] != "input").count(), inputs * 3 * 2);
    for r in maps.iter().filter(|r| &r[0] != "input") {
        let g: f64 = r[4].parse().unwrap();
        assert!((0.0..1.0).contains(&g), "{r:?}");
        assert_eq!(r[5].split(' ').count(), 784);
    }
    for f in ["_fig2.png", "_fig3.png", "_maps_ig.png", "_maps_shap.png", ".claims.json"] {
        let p = fig.join(format!("{id}{f}"));
        assert!(p.is_file() && std::fs::metadata(&p).unwrap().len() > 500, "{} missing", p.display());
    }
    let claims: serde_json::Value = serde_json::from_slice(&std::fs::read(fig.join(format!("{id}.claims.json"))).unwrap()).unwrap();
    let rows = claims["claims"].as_array().unwrap_or_else(|| panic!("{claims}"));
    assert_eq!(rows.len(), 4);
    for c in rows {
        assert_ne!(c["verdict"], "not_run", "{c}");
    }
    let again = experiment::run(&Registry::builtin(), id, &args, &mut |_| {}).unwrap();
    assert_eq!((again.cells_run, again.cells_loaded), (0, 3));
}

#[test]
fn slow_cifar10_paper_spec_runs_on_generated_binary_batches() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    data_support::write_cifar10(&data, 4, 8);
    let id = "seed001_cifar10";
    // The paper table (ResNet18, SGD, crop-flip augmentation, ε = 1/255 with 2 PGD steps, IG only)
    // with only the sizes reduced.
    let text = std::fs::read_to_string(exp_dir().join(format!("{id}.toml"))).unwrap();
    let mut doc: toml::Table = text.parse().unwrap();
    let paper = doc.remove("paper").unwrap();
    doc.insert("quick".into(), paper);
    let text = edit(&toml::to_string(&doc).unwrap(), "quick", &[("eval_examples", "4"), ("maps", "2"), ("ig_steps", "4"), ("test_limit", "8")]);
    let text = edit(&text, "quick.natural", &[("epochs", "1"), ("batch", "8")]);
    let text = edit(&text, "quick.adversarial", &[("epochs", "1"), ("batch", "8")]);
    let work = dir.path().join("work");
    let exp = work.join("experiments");
    std::fs::create_dir_all(&exp).unwrap();
    std::fs::write(exp.join(format!("{id}.toml")), text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_inputgrad"))
        .args(["run", id, "--figures-dir"])
        .arg(work.join("figures"))
        .arg("--experiments-dir")
        .arg(&exp)
        .env("INPUTGRAD_DATA", &data)
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("claims:"), "{stdout}");
    let t1 = csv_rows(&work.join("figures").join(format!("{id}.csv")));
    assert_eq!(t1.len(), 2, "IG only: a and l");
    // Maps are shown only for images every model classifies correctly; models trained one epoch
    // on 20 generated images may have none: the figure exists exactly when the table has rows.
    let maps = csv_rows(&work.join("figures").join(format!("{id}_maps.csv")));
    let inputs: Vec<_> = maps.iter().filter(|r| &r[0] == "input").collect();
    assert!(inputs.iter().all(|r| r[5].split(' ').count() == 3 * 32 * 32), "RGB inputs");
    assert_eq!(maps.len(), inputs.len() * 4, "per input: n, l and a IG maps");
    assert_eq!(work.join("figures").join(format!("{id}_maps_ig.png")).is_file(), !inputs.is_empty());
    assert!(!work.join("figures").join(format!("{id}_maps_shap.png")).exists());
    // Without the data: not run, with the fetch hint, exit 3.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_inputgrad")).args(["run", id, "--figures-dir"]).arg(dir.path().join("f2")).env("INPUTGRAD_DATA", &empty).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("inputgrad data fetch cifar10") || String::from_utf8_lossy(&out.stderr).contains("inputgrad data fetch cifar10"));
}
