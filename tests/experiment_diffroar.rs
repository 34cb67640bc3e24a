//! The DiffROAR experiments (seed 000 Fig 3 and App. C) end to end at a tiny size: the shipped
//! specs load at both scales; a tiny Fashion-MNIST grid writes every table, figure and claim
//! verdict, resumes without recomputing, and gives the same bytes when split into shards; the
//! paper-scale SVHN, CIFAR-10 and ImageNet-10 specs run through the CLI on generated files in
//! the real formats (the paper table with only its sizes reduced); without data the CLI says
//! "not run" with the fetch hint.

use std::path::{Path, PathBuf};
use std::process::Command;

use inputgrad::data::mat::{encode_mat, EncodeData};
use inputgrad::experiment::run::load_spec;
use inputgrad::experiment::seed000_diffroar::DiffRoarSpec;
use inputgrad::experiment::{self, Registry, RunArgs, Scale, Shard, SpecFile};
use inputgrad::prec;

#[path = "data_support/mod.rs"]
mod data_support;
#[path = "support/spec.rs"]
mod spec_support;
use data_support::pixel;
use spec_support::{csv_rows, edit};

const IDS: [&str; 4] = ["seed000_diffroar_fmnist", "seed000_diffroar_svhn", "seed000_diffroar_cifar10", "seed000_diffroar_imagenet10"];

fn exp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments")
}

#[test]
fn shipped_specs_load_at_both_scales_with_the_papers_architectures() {
    let reg = Registry::builtin();
    for id in IDS {
        let exp = reg.find(id).unwrap();
        assert!(exp.gpu(), "{id} runs on any backend");
        // The compiled-in spec is the shipped file.
        assert_eq!(exp.builtin_spec(), std::fs::read_to_string(exp_dir().join(format!("{id}.toml"))).unwrap(), "{id}: rebuild after editing the spec");
        let s = load_spec(exp, Some(&exp_dir())).unwrap();
        for scale in [Scale::Quick, Scale::Paper] {
            let spec = DiffRoarSpec::from_keys(&s.scale(scale).unwrap()).unwrap();
            assert!(spec.runs.len() >= 3, "{id} {scale}: at least 3 runs");
            assert!(spec.models.iter().any(|m| m.norm.is_none()) && spec.models.len() >= 2, "{id}: a standard and a robust model");
            if scale == Scale::Paper {
                // Seed 000 §4 and App. C.1.
                assert_eq!(spec.runs.len(), 5);
                assert_eq!((spec.train.batch, spec.train.lr, spec.train.momentum, spec.train.weight_decay), (256, 0.1, 0.9, 5e-4));
                assert_eq!((spec.train.lr_every, spec.train.lr_factor, spec.train.epochs, spec.train.stop_below), (20, 0.75, 500, 1e-3));
                assert_eq!(spec.retrain[0].epochs, 500);
                assert_eq!(spec.k.len(), 10, "k ∈ {{5, 10, 20, …, 90}} % (100 % is 0 by definition)");
                let (arch, hidden) = (spec.arch.as_str(), spec.hidden.clone());
                match id {
                    "seed000_diffroar_fmnist" => assert_eq!((arch, hidden), ("mlp", vec![1568, 1568])),
                    "seed000_diffroar_svhn" => assert_eq!((arch, hidden), ("mlp", vec![6144, 6144])),
                    "seed000_diffroar_cifar10" => assert_eq!(arch, "resnet50"),
                    _ => assert_eq!((arch, spec.image_size), ("resnet18", Some(224))),
                }
            }
        }
    }
}


fn bad(id: &str, set: &[(&str, &str)], expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{id}.toml"));
    let text = edit(&std::fs::read_to_string(exp_dir().join(format!("{id}.toml"))).unwrap(), "quick", set);
    let s = SpecFile::parse(&path, &text).unwrap();
    let err = DiffRoarSpec::from_keys(&s.scale(Scale::Quick).unwrap()).unwrap_err().to_string();
    for e in expect {
        assert!(err.contains(e), "{set:?}: `{err}` lacks `{e}`");
    }
}

#[test]
fn bad_spec_values_name_their_key() {
    let id = "seed000_diffroar_fmnist";
    bad(id, &[("k", "[0.1, 1.0]")], &["quick.k[1]", "strictly between 0 and 1"]);
    bad(id, &[("models", "[\"standard\", \"l3:1\"]")], &["quick.models[1]", "l2 or linf"]);
    bad(id, &[("models", "[\"standard\", \"l2:-1\"]")], &["quick.models[1]", "> 0"]);
    bad(id, &[("extra_models", "[\"l2:3\"]")], &["quick.extra_models[0]", "not one of `models`"]);
    bad(id, &[("extra_sources", "[\"deeplift\"]")], &["quick.extra_sources[0]", "loss"]);
    bad(id, &[("image_size", "64")], &["quick.image_size", "ImageNet-10"]);
    bad(id, &[("fill", "\"noise\"")], &["quick.fill", "road"]);
    bad(id, &[("variant_lr", "[0.0]")], &["quick.variant_lr", "> 0"]);
    bad(id, &[("arch", "\"vgg\"")], &["quick.arch"]);
    bad("seed000_diffroar_imagenet10", &[("data", "\"cifar10\"")], &["quick.image_size"]);
}


/// A tiny Fashion-MNIST grid: every source of the attribution layer the spec can name, a recipe
/// variant, two radii per norm.
fn tiny_fmnist() -> String {
    let text = std::fs::read_to_string(exp_dir().join("seed000_diffroar_fmnist.toml")).unwrap();
    let text = edit(
        &text,
        "quick",
        &[
            ("train_limit", "300"),
            ("test_limit", "200"),
            ("validation", "0.2"),
            ("hidden", "[16]"),
            ("models", "[\"standard\", \"l2:1\", \"l2:2\"]"),
            ("k", "[0.1, 0.5]"),
            ("runs", "[0, 1]"),
            ("extra_sources", "[\"loss\", \"signed\", \"ig\", \"smoothgrad\"]"),
            ("extra_models", "[\"standard\", \"l2:2\"]"),
            ("extra_k", "[0.2]"),
            ("variant_lr", "[0.01]"),
            ("variant_momentum", "[0.0]"),
            ("eval_l2", "[0.0, 1.0]"),
            ("eval_linf", "[0.0, 0.1]"),
            ("eval_examples", "40"),
        ],
    );
    let text = edit(&text, "quick.train", &[("epochs", "2")]);
    edit(&text, "quick.retrain", &[("epochs", "2")])
}

fn run_tiny(dir: &Path, text: &str, shard: Option<Shard>) -> experiment::RunReport {
    let exp = dir.join("experiments");
    std::fs::create_dir_all(&exp).unwrap();
    std::fs::write(exp.join("seed000_diffroar_fmnist.toml"), text).unwrap();
    let args = RunArgs { experiments_dir: Some(exp), shard, ..RunArgs::new(Scale::Quick, dir.join("figures")) };
    experiment::run(&Registry::builtin(), "seed000_diffroar_fmnist", &args, &mut |_| {}).unwrap()
}

#[test]
fn fmnist_tiny_grid_writes_every_output_resumes_and_shards_bit_for_bit() {
    if data_support::real_data("fmnist_tiny_grid", "fashion-mnist").is_none() {
        return;
    }
    let text = tiny_fmnist();
    let dir = tempfile::tempdir().unwrap();
    let report = run_tiny(dir.path(), &text, None);
    // 3 robustness cells; (3 models + random + linear) × 2 k × 2 runs; standard and l2 eps=2 ×
    // (4 sources + 2 recipes) × 1 k × 2 runs.
    assert_eq!(report.cells_total, 3 + 5 * 2 * 2 + 2 * 6 * 2);
    assert_eq!(report.cells_run, report.cells_total);
    let fig = dir.path().join("figures");
    let id = "seed000_diffroar_fmnist";
    for suffix in ["_diffroar", "_sources", "_recipes", "_predpower", "_noretrain", "_robustness_l2", "_robustness_linf"] {
        for ext in ["png", "svg"] {
            let p = fig.join(format!("{id}{suffix}.{ext}"));
            assert!(p.is_file() && std::fs::metadata(&p).unwrap().len() > 1000, "{} missing or empty", p.display());
        }
    }
    let main = csv_rows(&fig.join(format!("{id}.csv")));
    // One row per (scheme, source, recipe, k): 5 × 2 + 2 × 6 × 1.
    assert_eq!(main.len(), 22);
    for r in &main {
        let (top, bottom, diff) = (r[7].parse::<f64>().unwrap(), r[9].parse::<f64>().unwrap(), r[5].parse::<f64>().unwrap());
        assert!((0.0..=1.0).contains(&top) && (0.0..=1.0).contains(&bottom), "{r:?}");
        assert!((top - bottom - diff).abs() < prec::EXACT, "DiffROAR = top − bottom, paired by run: {r:?}");
        assert_eq!(&r[4], "2");
        assert!(r[6].parse::<f64>().unwrap() >= 0.0, "a CI over 2 runs: {r:?}");
    }
    let sources: std::collections::BTreeSet<String> = main.iter().map(|r| r[1].to_string()).collect();
    assert_eq!(sources.into_iter().collect::<Vec<_>>(), ["-", "ig", "logit", "loss", "signed", "smoothgrad"]);
    let per_run = csv_rows(&fig.join(format!("{id}_predpower.csv")));
    assert_eq!(per_run.len(), report.cells_total - 3);
    for r in &per_run {
        let (e_top, e_bottom) = (r[8].parse::<usize>().unwrap(), r[9].parse::<usize>().unwrap());
        assert!((1..=2).contains(&e_top) && (1..=2).contains(&e_bottom), "epoch chosen on validation among the 2 trained: {r:?}");
    }
    // No-retraining rows (first run, base recipe): model schemes (3 models + linear) × 2 k, and
    // the 4 extra sources of 2 models at 1 k.
    assert_eq!(csv_rows(&fig.join(format!("{id}_noretrain.csv"))).len(), 4 * 2 + 2 * 4);
    // Robustness: 3 models × (2 ℓ2 + 2 ℓ∞ radii); at ε = 0 the robust accuracy is the clean one.
    let rb = csv_rows(&fig.join(format!("{id}_robustness.csv")));
    assert_eq!(rb.len(), 12);
    // Every claim of the experiment is evaluated: holds or fails, none "not run" on this grid.
    let claims: serde_json::Value = serde_json::from_slice(&std::fs::read(fig.join(format!("{id}.claims.json"))).unwrap()).unwrap();
    let rows = claims.as_array().or_else(|| claims["claims"].as_array()).unwrap();
    assert_eq!(rows.len(), 10);
    for c in rows {
        let v = c["verdict"].as_str().unwrap();
        assert!(v == "holds" || v == "fails", "{}: {v} ({})", c["id"], c["detail"]);
    }
    let csv_bytes = std::fs::read(fig.join(format!("{id}.csv"))).unwrap();

    // Re-running loads every cell.
    let again = run_tiny(dir.path(), &text, None);
    assert_eq!((again.cells_run, again.cells_loaded), (0, report.cells_total));
    assert_eq!(std::fs::read(fig.join(format!("{id}.csv"))).unwrap(), csv_bytes);

    // Two shards in a fresh folder (each trains the shared models it needs) and a merge: the
    // same bytes as the single run.
    let sharded = tempfile::tempdir().unwrap();
    for i in 0..2 {
        run_tiny(sharded.path(), &text, Some(Shard { index: i, count: 2 }));
    }
    let args = RunArgs { experiments_dir: Some(sharded.path().join("experiments")), ..RunArgs::new(Scale::Quick, sharded.path().join("figures")) };
    experiment::merge(&Registry::builtin(), id, &args, &mut |_| {}).unwrap();
    for t in ["", "_predpower", "_noretrain", "_robustness"] {
        let name = format!("{id}{t}.csv");
        assert_eq!(std::fs::read(sharded.path().join("figures").join(&name)).unwrap(), std::fs::read(fig.join(&name)).unwrap(), "{name} differs between shards+merge and one run");
    }
}

// ---------- generated data in the real formats ----------

/// Pixel of class `label` at (channel, row, column) of image `i`: the class sets the brightness
/// of a band, the rest is a deterministic texture.
fn write_svhn(root: &Path, n_train: usize, n_test: usize) {
    let d = root.join("svhn");
    std::fs::create_dir_all(&d).unwrap();
    for (name, n) in [("train_32x32.mat", n_train), ("test_32x32.mat", n_test)] {
        // X is 32×32×3×n column-major; y holds 1..=10 (10 = digit 0).
        let mut x = vec![0u8; 32 * 32 * 3 * n];
        let mut y = Vec::with_capacity(n);
        for i in 0..n {
            let label = (i * 3 + n) % 10;
            y.push(if label == 0 { 10 } else { label as u8 });
            for ch in 0..3 {
                for c in 0..32 {
                    for r in 0..32 {
                        x[r + 32 * c + 1024 * ch + 3072 * i] = pixel(label, i, ch, r, c);
                    }
                }
            }
        }
        std::fs::write(d.join(name), encode_mat(&[("X", &[32, 32, 3, n], EncodeData::U8(&x)), ("y", &[n, 1], EncodeData::F64AsU8(&y))], true)).unwrap();
    }
}


/// The paper table of `id` with only its sizes reduced (and `also` replaced), as a quick table
/// for a run on generated files.
fn paper_reduced(id: &str, also: &[(&str, &str)]) -> String {
    let text = std::fs::read_to_string(exp_dir().join(format!("{id}.toml"))).unwrap();
    let mut doc: toml::Table = text.parse().unwrap();
    let paper = doc.remove("paper").unwrap();
    doc.insert("quick".into(), paper);
    let mut set: Vec<(&str, &str)> = vec![("k", "[0.2]"), ("runs", "[0, 1]"), ("eval_examples", "4"), ("validation", "0.2")];
    set.extend_from_slice(also);
    let text = edit(&toml::to_string(&doc).unwrap(), "quick", &set);
    let text = edit(&text, "quick.train", &[("epochs", "1"), ("batch", "8")]);
    edit(&text, "quick.retrain", &[("epochs", "1"), ("batch", "8")])
}

fn cli_run(data: &Path, work: &Path, id: &str, text: Option<&str>) -> std::process::Output {
    std::fs::create_dir_all(work).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_inputgrad"));
    cmd.args(["run", id, "--figures-dir"]).arg(work.join("figures")).current_dir(work).env("INPUTGRAD_DATA", data);
    // Without a spec of its own the run takes the one compiled into the binary.
    if let Some(t) = text {
        let exp = work.join("experiments");
        std::fs::create_dir_all(&exp).unwrap();
        std::fs::write(exp.join(format!("{id}.toml")), t).unwrap();
        cmd.arg("--experiments-dir").arg(&exp);
    }
    cmd.output().unwrap()
}

fn assert_ran(out: &std::process::Output, work: &Path, id: &str) {
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{id}: {stdout}\n{stderr}");
    for f in [format!("{id}.csv"), format!("{id}_robustness.csv"), format!("{id}_diffroar.png"), format!("{id}.claims.json"), format!("{id}.meta.json")] {
        assert!(work.join("figures").join(&f).is_file(), "{id}: {f} missing\n{stdout}\n{stderr}");
    }
    assert!(stdout.contains("claims:"), "{id}: no verdicts printed\n{stdout}");
}

#[test]
fn slow_svhn_paper_spec_runs_on_generated_mat_files() {
    let dir = tempfile::tempdir().unwrap();
    write_svhn(&dir.path().join("data"), 30, 10);
    let id = "seed000_diffroar_svhn";
    // The paper's 3072 → 6144 → 6144 MLP, two of the paper's models.
    let text = paper_reduced(id, &[("models", "[\"standard\", \"l2:0.25\"]"), ("eval_l2", "[0.0, 0.25]"), ("eval_linf", "[0.0]"), ("runs", "[0]")]);
    let out = cli_run(&dir.path().join("data"), &dir.path().join("work"), id, Some(&text));
    assert_ran(&out, &dir.path().join("work"), id);
}

#[test]
fn slow_cifar10_paper_spec_runs_on_generated_binary_batches() {
    let dir = tempfile::tempdir().unwrap();
    data_support::write_cifar10(&dir.path().join("data"), 4, 8);
    let id = "seed000_diffroar_cifar10";
    // ResNet50 with the CIFAR stem and crop augmentation, standard model only (the robust path
    // is the same code the Fashion-MNIST test runs) and its loss-gradient companion.
    let text = paper_reduced(id, &[("models", "[\"standard\"]"), ("extra_models", "[\"standard\"]"), ("extra_sources", "[\"loss\"]"), ("variant_lr", ""), ("variant_momentum", ""), ("eval_l2", "[0.0]"), ("runs", "[0]")]);
    let out = cli_run(&dir.path().join("data"), &dir.path().join("work"), id, Some(&text));
    assert_ran(&out, &dir.path().join("work"), id);
}

#[test]
fn imagenet10_paper_spec_runs_on_generated_image_folders() {
    let dir = tempfile::tempdir().unwrap();
    data_support::write_imagenet10(&dir.path().join("data"), 2, 1);
    let id = "seed000_diffroar_imagenet10";
    // ResNet18 with the ImageNet stem, JPEG and PNG decoding, resize and centre crop; 32-pixel
    // crops instead of 224 keep the test short.
    let text = paper_reduced(id, &[("image_size", "32"), ("models", "[\"standard\"]"), ("extra_models", "[\"standard\"]"), ("eval_linf", "[0.0]"), ("runs", "[0]")]);
    let out = cli_run(&dir.path().join("data"), &dir.path().join("work"), id, Some(&text));
    assert_ran(&out, &dir.path().join("work"), id);
}

#[test]
fn missing_data_is_reported_as_not_run_with_the_fetch_hint() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("no-data");
    std::fs::create_dir_all(&empty).unwrap();
    for (id, hint) in [("seed000_diffroar_svhn", "inputgrad data fetch svhn"), ("seed000_diffroar_cifar10", "inputgrad data fetch cifar10"), ("seed000_diffroar_imagenet10", "imagenet10")] {
        let out = cli_run(&empty, &dir.path().join(id), id, None);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(3), "{id}: {stdout} {}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("not run: data missing") && stdout.contains(hint), "{id}: {stdout}");
    }
}
