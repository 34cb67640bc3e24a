//! The experiment layer: specs load and reject bad input by file and key; `run` writes the CSVs,
//! figures and meta.json, and a rerun resumes; `plot` redraws from the CSVs; and seed 002's toy
//! result at a tiny scale.

use std::path::{Path, PathBuf};

use inputgrad::experiment::seed002::{self, ToySpec};
use inputgrad::experiment::{self, CellSpec, Registry, RunArgs, Scale, Shard, SpecFile, Verdict};
use inputgrad::Error;

#[path = "support/spec.rs"]
mod spec;

/// The shipped spec.
fn shipped() -> PathBuf {
    spec::shipped("seed002_toy")
}

/// A tiny quick scale: width 32, a few epochs, a short ε grid; everything else as shipped.
fn tiny_spec_text() -> String {
    spec::tiny(
        "seed002_toy",
        &[("width", "32"), ("epochs", "150"), ("train_size", "200"), ("test_size", "60"), ("eps", "[0.0, 0.2]"), ("pgd_steps", "5"), ("pgd_restarts", "1")],
    )
}

fn write_spec(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("seed002_toy.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn spec_error(text: &str) -> (PathBuf, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = write_spec(dir.path(), text);
    let spec = match SpecFile::parse(&path, text) {
        Ok(s) => s,
        Err(Error::Spec { file, key, reason }) => return (file, key, reason),
        Err(e) => panic!("expected a spec error, got {e}"),
    };
    let err = match spec.scale(Scale::Quick).and_then(|k| ToySpec::from_keys(&k)) {
        Err(e) => e,
        Ok(_) => panic!("spec accepted:\n{text}"),
    };
    match err {
        Error::Spec { file, key, reason } => (file, key, reason),
        e => panic!("expected a spec error, got {e}"),
    }
}

#[test]
fn shipped_spec_loads_at_both_scales() {
    let text = std::fs::read_to_string(shipped()).unwrap();
    let spec = SpecFile::parse(&shipped(), &text).unwrap();
    assert_eq!(spec.id, "seed002_toy");
    assert_eq!(spec.md5.len(), 32);
    let quick = ToySpec::from_keys(&spec.scale(Scale::Quick).unwrap()).unwrap();
    let paper = ToySpec::from_keys(&spec.scale(Scale::Paper).unwrap()).unwrap();
    // Seed 002 §III.C: width 25 000, 4000 epochs, lr 0.1 × 0.75 every 50 epochs down to 0.001.
    assert_eq!((paper.width, paper.epochs, paper.lr, paper.lr_factor, paper.lr_every, paper.lr_min), (25_000, 4000, 0.1, 0.75, 50, 0.001));
    assert_eq!((quick.d, paper.d), (10, 10));
    assert!(quick.width < paper.width);
    assert_eq!(quick.models().len(), 11);
    assert_eq!(quick.heatmap_points, 40);
}

#[test]
fn bad_specs_name_file_and_key() {
    let good = std::fs::read_to_string(shipped()).unwrap();
    let cases: [(&str, &str, &str); 6] = [
        ("width = 1000", "width = 0", "quick.width"),
        ("width = 1000", "width = \"wide\"", "quick.width"),
        ("momentum = 0.0\n", "momentum = 0.0\nwidht = 3\n", "quick.widht"),
        ("signal = \"all\"\n", "signal = \"middle\"\n", "quick.signal"),
        ("grad_l1 = 0.1\n", "grad_l1 = -1.0\n", "quick.lambda.grad_l1"),
        ("eps = [0.0, 0.05,", "eps = [0.05, 0.0,", "quick.eps[1]"),
    ];
    for (from, to, key) in cases {
        assert!(good.contains(from), "{from}");
        let bad = good.replacen(from, to, 1);
        let (file, got, reason) = spec_error(&bad);
        assert_eq!(file.file_name().unwrap(), "seed002_toy.toml");
        assert_eq!(got, key, "{to}: {reason}");
    }
    // A missing key, a missing scale table, an unknown top-level key, broken TOML.
    assert_eq!(spec_error(&good.replacen("batch_size = 100\n", "", 1)).1, "quick.batch_size");
    let (_, key, _) = spec_error("title = \"t\"\n[paper]\nd = 10\n");
    assert_eq!(key, "quick");
    assert_eq!(spec_error(&format!("colour = 1\n{good}")).1, "colour");
    let (_, key, reason) = spec_error(&good.replacen("lr = 0.1", "lr = = 0.1", 1));
    assert_eq!(key, "quick.lr", "{reason}");
}

#[test]
fn unknown_id_lists_known_ids() {
    let err = Registry::builtin().find("seed999").map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("seed999") && err.contains("seed002_toy"), "{err}");
}

fn mtimes(dir: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    let mut v: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).map(|p| {
        let t = std::fs::metadata(&p).unwrap().modified().unwrap();
        (p, t)
    }).collect();
    v.sort();
    v
}

/// `run` at a tiny scale writes every output; a rerun trains nothing and leaves the cell files
/// untouched; `plot` redraws from the CSVs alone; the heat-map CSV has models × points × d rows.
#[test]
fn run_writes_outputs_resumes_and_plot_redraws() {
    let dir = tempfile::tempdir().unwrap();
    let exp_dir = dir.path().join("experiments");
    let fig_dir = dir.path().join("figures");
    std::fs::create_dir_all(&exp_dir).unwrap();
    write_spec(&exp_dir, &tiny_spec_text());
    let reg = Registry::builtin();
    let args = RunArgs { experiments_dir: Some(exp_dir.clone()), ..RunArgs::new(Scale::Quick, &fig_dir) };
    let first = experiment::run(&reg, "seed002_toy", &args, &mut |_| {}).unwrap();
    assert_eq!((first.cells_run, first.cells_loaded), (11, 0));
    for f in ["seed002_toy.csv", "seed002_toy_gradients.csv", "seed002_toy_accuracy.csv", "seed002_toy_gradients.png", "seed002_toy_gradients.svg", "seed002_toy_accuracy.png", "seed002_toy_accuracy.svg", "seed002_toy.meta.json", "seed002_toy.claims.json"] {
        let p = fig_dir.join(f);
        assert!(p.is_file(), "{f} missing");
        assert!(std::fs::metadata(&p).unwrap().len() > 100, "{f} is nearly empty");
    }
    let png = std::fs::read(fig_dir.join("seed002_toy_gradients.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(fig_dir.join("seed002_toy.meta.json")).unwrap()).unwrap();
    for key in ["spec_md5", "git_revision", "seeds", "backend", "wall_seconds", "scale", "cells"] {
        assert!(meta.get(key).is_some(), "meta.json lacks {key}");
    }
    assert_eq!(meta["spec_md5"].as_str().unwrap().len(), 32);
    assert_eq!(meta["seeds"], serde_json::json!([0]));

    // Heat-map CSV: 11 models × 40 points × d = 10 features, normalised values in [0, 1] with a 1
    // in every (model, point) row.
    let mut r = csv::Reader::from_path(fig_dir.join("seed002_toy_gradients.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header, seed002::GRADIENT_HEADER);
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 11 * 40 * 10);
    for chunk in rows.chunks(10) {
        let v: Vec<f64> = chunk.iter().map(|r| r[8].parse().unwrap()).collect();
        assert!(v.iter().all(|x| (0.0..=1.0).contains(x)));
        assert!(v.contains(&1.0), "{chunk:?}");
    }

    // Seed 002 §III.D on Fig 2: the standard model's gradients do not single out the coordinate
    // that carries the label. Measured as the share of gradient mass on the signal coordinate
    // (1/d when spread evenly, 1 for a perfect highlight): well below 2/d at this scale, i.e.
    // the signal coordinate gets no more than an even share. (The paper's other claim, that the
    // ℓ2 weight penalty makes the gradients highlight the signal, does not hold in our runs; see
    // proofs/seed002_toy.md.)
    let mut r = csv::Reader::from_path(fig_dir.join("seed002_toy.csv")).unwrap();
    let summary: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(summary.len(), 11);
    let standard = summary.iter().find(|r| &r[0] == "standard").unwrap();
    assert_eq!(standard[2].parse::<f64>().unwrap(), 1.0, "clean accuracy");
    let share: f64 = standard[3].parse().unwrap();
    assert!(share < 2.0 / 10.0, "standard model's signal share {share}");
    eprintln!("tiny scale signal shares: {:?}", summary.iter().map(|r| (r[0].to_string(), r[3].to_string())).collect::<Vec<_>>());

    // Rerun: every cell loaded, cell files untouched.
    let cells = fig_dir.join("cells/seed002_toy/quick");
    let before: Vec<_> = mtimes(&cells).into_iter().filter(|(p, _)| p.extension().is_some_and(|e| e == "json")).collect();
    assert_eq!(before.len(), 11);
    let csv_before = std::fs::read(fig_dir.join("seed002_toy_accuracy.csv")).unwrap();
    let second = experiment::run(&reg, "seed002_toy", &args, &mut |_| {}).unwrap();
    assert_eq!((second.cells_run, second.cells_loaded), (0, 11));
    assert_eq!(mtimes(&cells).into_iter().filter(|(p, _)| p.extension().is_some_and(|e| e == "json")).collect::<Vec<_>>(), before);
    assert_eq!(std::fs::read(fig_dir.join("seed002_toy_accuracy.csv")).unwrap(), csv_before, "same cells, same table");

    // Plot from the CSVs alone: the figures come back byte for byte.
    let png_path = fig_dir.join("seed002_toy_accuracy.png");
    let old = std::fs::read(&png_path).unwrap();
    std::fs::remove_file(&png_path).unwrap();
    std::fs::remove_file(fig_dir.join("seed002_toy_gradients.svg")).unwrap();
    let files = experiment::plot(&reg, "seed002_toy", &fig_dir).unwrap();
    assert_eq!(files.len(), 4);
    assert_eq!(std::fs::read(&png_path).unwrap(), old);
    assert!(fig_dir.join("seed002_toy_gradients.svg").is_file());

    // Without CSVs, plot says which file is missing.
    let empty = dir.path().join("nothing");
    std::fs::create_dir_all(&empty).unwrap();
    let err = experiment::plot(&reg, "seed002_toy", &empty).unwrap_err().to_string();
    assert!(err.contains("seed002_toy.csv"), "{err}");
}

/// The tiny spec at 5 epochs.
fn five_epoch_toy() -> ToySpec {
    let dir = tempfile::tempdir().unwrap();
    let text = tiny_spec_text().replace("epochs = 150", "epochs = 5");
    let path = write_spec(dir.path(), &text);
    let spec = SpecFile::parse(&path, &text).unwrap();
    ToySpec::from_keys(&spec.scale(Scale::Quick).unwrap()).unwrap()
}

/// Every cell result of a toy run, each model trained from scratch (a fresh scratch folder, so
/// no checkpoint is resumed).
fn toy_numbers(toy: &ToySpec) -> Vec<seed002::CellResult> {
    let scratch = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    for &seed in &toy.seeds {
        for (i, (name, objective)) in toy.models().iter().enumerate() {
            let dir = scratch.path().join(format!("{seed}-{i}"));
            out.push(seed002::compute_cell::<inputgrad::train::CpuAutodiff>(toy, name, objective, seed, &dir, &Default::default()).unwrap());
        }
    }
    out
}

/// A cell's id covers the backend that computes it: a run on another backend (other last bits for
/// the same seed) computes its cells again instead of mixing them into tables that meta.json
/// would label with its own backend.
#[test]
fn cell_ids_cover_parameters_and_backend() {
    let c = CellSpec::new("m-seed0", serde_json::json!({ "lr": 0.1 })).unwrap();
    let d = CellSpec::new("m-seed0", serde_json::json!({ "lr": 0.2 })).unwrap();
    assert_eq!(c.id("x", "backend a"), c.id("x", "backend a"));
    assert_ne!(c.id("x", "backend a"), c.id("x", "backend b"));
    assert_ne!(c.id("x", "backend a"), d.id("x", "backend a"));
    assert_ne!(c.id("x", "backend a"), c.id("y", "backend a"));
}

/// Same spec, same seed ⇒ the same numbers.
#[test]
fn same_seed_same_numbers() {
    let toy = five_epoch_toy();
    assert_eq!(toy_numbers(&toy), toy_numbers(&toy));
}

/// Runs in parallel threads give the sequential run's numbers: every autodiff graph is built and
/// backpropagated under `model::graph_lock` (burn-autodiff 0.21's backward sweep can otherwise
/// free steps of a graph another thread is building and drop a gradient term; the weight-penalty
/// models showed it). Three threads, three rounds; with the lock taken out, 1 of 6 runs of this
/// test failed on a loaded 2-core machine (and `same_seed_same_numbers` failed in CI).
#[test]
fn concurrent_runs_match_the_sequential_run() {
    let toy = std::sync::Arc::new(five_epoch_toy());
    let reference = toy_numbers(&toy);
    for round in 0..3 {
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let toy = toy.clone();
                std::thread::spawn(move || toy_numbers(&toy))
            })
            .collect();
        for (i, t) in threads.into_iter().enumerate() {
            assert_eq!(t.join().unwrap(), reference, "round {round}, thread {i}");
        }
    }
}

/// The tiny toy spec at 5 epochs, written into a fresh experiments folder; returns (tempdir,
/// run arguments with figures in `figures`).
fn tiny_args() -> (tempfile::TempDir, RunArgs) {
    let dir = tempfile::tempdir().unwrap();
    let exp_dir = dir.path().join("experiments");
    std::fs::create_dir_all(&exp_dir).unwrap();
    // 5 epochs do not reach the 100 % the spec requires: the requirement is lifted here.
    let text = tiny_spec_text().replace("epochs = 150", "epochs = 5");
    let text = spec::set(&text, "quick", "required_accuracy", "0.0");
    write_spec(&exp_dir, &text);
    let args = RunArgs { experiments_dir: Some(exp_dir), ..RunArgs::new(Scale::Quick, dir.path().join("figures")) };
    (dir, args)
}

/// Every file of the figures folder but meta.json (wall time) and the cell folder, by name.
fn outputs(fig: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(fig)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.to_string_lossy().ends_with(".meta.json"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    v.sort();
    v
}

/// Three shards and a merge give the single run's CSVs, figures and claims bit for bit; a shard
/// computes only its own cells and writes no tables; merge before the last shard fails naming
/// the missing cells.
#[test]
fn shards_and_merge_equal_a_single_run_bit_for_bit() {
    let reg = Registry::builtin();
    let (_single_dir, single) = tiny_args();
    experiment::run(&reg, "seed002_toy", &single, &mut |_| {}).unwrap();
    let (_dir, mut args) = tiny_args();
    let mut computed = 0;
    for i in 0..3 {
        args.shard = Some(Shard::parse(&format!("{i}/3")).unwrap());
        let r = experiment::run(&reg, "seed002_toy", &args, &mut |_| {}).unwrap();
        assert!(!r.assembled && r.files.is_empty(), "a shard writes no tables");
        assert_eq!(r.cells_run, [4, 4, 3][i], "shard {i} computes every third cell");
        computed += r.cells_run;
        if i == 1 {
            args.shard = None;
            let e = experiment::merge(&reg, "seed002_toy", &args, &mut |_| {}).unwrap_err().to_string();
            assert!(e.contains("3 of 11 cells missing"), "{e}");
        }
    }
    assert_eq!(computed, 11);
    args.shard = None;
    let st = experiment::status(&reg, "seed002_toy", &args).unwrap();
    assert_eq!((st.done.len(), st.missing.len(), st.invalid.len()), (11, 0, 0));
    let merged = experiment::merge(&reg, "seed002_toy", &args, &mut |_| {}).unwrap();
    assert!(merged.assembled);
    assert_eq!(outputs(&args.figures_dir), outputs(&single.figures_dir));
}

/// A cell file that does not parse or whose result was edited is recomputed with a warning naming
/// it (never used); `status` and `merge` report it.
#[test]
fn an_edited_or_broken_cell_is_named_and_recomputed() {
    let reg = Registry::builtin();
    let (_dir, args) = tiny_args();
    experiment::run(&reg, "seed002_toy", &args, &mut |_| {}).unwrap();
    let cells = args.figures_dir.join("cells/seed002_toy/quick");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&cells).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
    files.sort();
    // Edit one number of one cell's result, break another file.
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let edited = text.replacen("\"final_train_loss\":0.", "\"final_train_loss\":9.", 1);
    assert_ne!(edited, text, "the cell holds a final loss below 1");
    std::fs::write(&files[0], edited).unwrap();
    std::fs::write(&files[1], "{ not json").unwrap();
    let st = experiment::status(&reg, "seed002_toy", &args).unwrap();
    assert_eq!(st.invalid.len(), 2, "{st:?}");
    assert!(st.invalid.iter().any(|(_, why)| why.contains("checksum")), "{st:?}");
    let e = experiment::merge(&reg, "seed002_toy", &args, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("checksum") && e.contains(&files[0].display().to_string()), "{e}");
    let mut warnings = Vec::new();
    let r = experiment::run(&reg, "seed002_toy", &args, &mut |l| warnings.push(l.to_string())).unwrap();
    assert_eq!((r.cells_run, r.cells_loaded), (2, 9));
    assert_eq!(warnings.iter().filter(|w| w.starts_with("warning:") && w.contains("recomputing")).count(), 2, "{warnings:?}");
}

/// `run` ends with the claims' verdicts: written to <id>.claims.json, each holds, fails or is not
/// run, with the paper's number beside ours.
#[test]
fn a_run_writes_the_claims_with_verdicts() {
    let reg = Registry::builtin();
    let (_dir, args) = tiny_args();
    let r = experiment::run(&reg, "seed002_toy", &args, &mut |_| {}).unwrap();
    assert_eq!(r.claims.len(), 4);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(args.figures_dir.join("seed002_toy.claims.json")).unwrap()).unwrap();
    let rows = json["claims"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for c in rows {
        for k in ["id", "claim", "source", "rule", "paper", "ours", "verdict", "detail"] {
            assert!(c.get(k).is_some(), "{k} missing in {c}");
        }
    }
    // The all-accurate claim is decided either way (not "not run"); the ℓ2-weight claim of Fig 4
    // does not hold at this scale (proofs/seed002_toy.md).
    let by_id = |id: &str| r.claims.iter().find(|c| c.id == id).unwrap();
    assert_ne!(by_id("002.sec3.all_accurate").verdict, Verdict::NotRun);
    assert_eq!(by_id("002.fig4.l2_weight_highlights").verdict, Verdict::Fails);
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(args.figures_dir.join("seed002_toy.meta.json")).unwrap()).unwrap();
    assert_eq!(meta["claims"]["holds"].as_u64().unwrap() + meta["claims"]["fails"].as_u64().unwrap() + meta["claims"]["not_run"].as_u64().unwrap(), 4);
    assert_eq!(meta["tables"]["seed002_toy.csv"]["rows"], 11);
}

/// An output folder that cannot be written is reported before any cell is computed.
#[test]
fn an_unwritable_output_folder_fails_before_computing() {
    let reg = Registry::builtin();
    let (dir, mut args) = tiny_args();
    let file = dir.path().join("a file");
    std::fs::write(&file, b"x").unwrap();
    args.figures_dir = file.join("figures");
    let t0 = std::time::Instant::now();
    let e = experiment::run(&reg, "seed002_toy", &args, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("a file"), "{e}");
    assert!(t0.elapsed().as_secs_f64() < 1.0, "it computed before failing");
}

/// A truncated CSV is refused by `plot` (meta.json records every table's rows and md5).
#[test]
fn plot_refuses_a_table_that_differs_from_what_run_wrote() {
    let reg = Registry::builtin();
    let (_dir, args) = tiny_args();
    experiment::run(&reg, "seed002_toy", &args, &mut |_| {}).unwrap();
    let csv = args.figures_dir.join("seed002_toy_accuracy.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    std::fs::write(&csv, text.lines().take(3).collect::<Vec<_>>().join("\n")).unwrap();
    let e = experiment::plot(&reg, "seed002_toy", &args.figures_dir).unwrap_err().to_string();
    assert!(e.contains("seed002_toy_accuracy.csv") && e.contains("differs"), "{e}");
}

/// A TOML syntax error names the file, the line and the column of the offending text.
#[test]
fn toml_syntax_errors_name_line_and_column() {
    let text = "title = \"t\"\nseed_paper = \"001\"\n[quick]\nd = = 3\n";
    let err = inputgrad::experiment::SpecFile::parse(std::path::Path::new("x/bad.toml"), text).unwrap_err().to_string();
    assert!(err.contains("bad.toml") && err.contains("line 4, column"), "{err}");
}
