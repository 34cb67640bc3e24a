//! `inputgrad train` end to end on real BlockMNIST (small sizes), found through
//! `$INPUTGRAD_DATA` (CI: ../shared/data). Tests print SKIP and pass when MNIST is absent.

mod data_support;

use std::process::Command;

use data_support::real_data;

fn inputgrad() -> Command {
    Command::new(env!("CARGO_BIN_EXE_inputgrad"))
}

fn meta(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap()
}

/// Trains, records meta.json and history.csv, and a re-run of the same command resumes from the
/// finished checkpoint to the same weights.
#[test]
fn train_records_results_and_resumes() {
    let Some(data) = real_data("train_records_results_and_resumes", "mnist/train-images-idx3-ubyte.gz") else { return };
    let out = tempfile::tempdir().unwrap();
    let args = |out: &std::path::Path| {
        let mut c = inputgrad();
        c.env("INPUTGRAD_DATA", &data).args([
            "train", "--data", "blockmnist", "--train-limit", "600", "--test-limit", "300", "--model", "linear",
            "--epochs", "3", "--batch", "64", "--lr", "0.05", "--robust-eval", "100", "--eps", "0.1", "--seed", "5", "--out",
        ]);
        c.arg(out);
        c
    };
    let first = args(out.path()).output().unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let m1 = meta(out.path());
    for key in ["spec_hash", "git_revision", "backend", "seed", "weights_md5", "wall_seconds", "config", "model", "objective", "provenance"] {
        assert!(m1.get(key).is_some(), "meta.json lacks {key}: {m1}");
    }
    assert_eq!(m1["backend"], inputgrad::train::CPU_BACKEND);
    // Provenance names the training and the test files, by absolute path.
    for split in ["train", "test"] {
        let files = m1["provenance"][split].as_array().unwrap_or_else(|| panic!("no {split} provenance: {m1}"));
        assert!(!files.is_empty(), "{split}");
        for f in files {
            let path = f["path"].as_str().unwrap_or_else(|| panic!("{f}"));
            assert!(std::path::Path::new(path).is_absolute(), "{split}: {path}");
        }
    }
    assert!(m1["training_seconds_all_epochs"].as_f64().is_some_and(|s| s >= 0.0), "{m1}");
    assert_eq!(m1["resumed"], false);
    assert!(m1["final_test_accuracy"].as_f64().unwrap() > 0.9, "{m1}");
    let rob = m1["robust"]["robust_accuracy"].as_f64().unwrap();
    let clean = m1["robust"]["clean_accuracy"].as_f64().unwrap();
    assert!(rob <= clean, "robust {rob} > clean {clean}");
    let hist = std::fs::read_to_string(out.path().join("history.csv")).unwrap();
    assert_eq!(hist.lines().count(), 4, "{hist}");
    assert!(hist.starts_with("epoch,lr,train_loss,train_acc,test_loss,test_acc,steps,seconds"));

    let second = args(out.path()).output().unwrap();
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    let m2 = meta(out.path());
    assert_eq!(m2["resumed"], true);
    assert_eq!(m2["weights_md5"], m1["weights_md5"]);
    assert_eq!(m2["spec_hash"], m1["spec_hash"]);

    // Same seed in a fresh folder: the same weights.
    let other = tempfile::tempdir().unwrap();
    let third = args(other.path()).output().unwrap();
    assert!(third.status.success());
    assert_eq!(meta(other.path())["weights_md5"], m1["weights_md5"]);
}

/// Bad arguments are errors naming the argument, with exit status 2.
#[test]
fn train_rejects_bad_arguments() {
    let out = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 11] = [
        (&["--epochs", "0"], "--epochs"),
        (&["--train-limit", "0"], "--train-limit"),
        (&["--test-limit", "0"], "--test-limit"),
        (&["--data", "nonsense"], "unknown data set `nonsense`"),
        (&["--device", "tpu"], "--device tpu"),
        (&["--eps=-1", "--objective", "pgd"], "invalid parameter `eps`"),
        (&["--objective", "grad-l2", "--lambda=-1"], "invalid parameter `--lambda`"),
        (&["--objective", "marginal-density", "--p", "0.5"], "invalid parameter `--p`"),
        (&["--objective", "noise", "--sigma", "0"], "invalid parameter `--sigma`"),
        (&["--objective", "hessian", "--h=-0.1"], "invalid parameter `--h`"),
        (&["--objective", "weight-l1", "--weight-penalty", "l2", "--weight-lambda", "nan"], "invalid parameter `--weight-lambda`"),
    ];
    for (extra, want) in cases {
        let o = inputgrad()
            .env("INPUTGRAD_DATA", out.path())
            .args(["train", "--out"])
            .arg(out.path().join("run"))
            .args(extra)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(want), "{extra:?}: stderr lacks `{want}`: {err}");
    }
    // `--p inf` is the max norm: accepted (the run gets as far as the missing data).
    for p in ["inf", "INF", "Infinity"] {
        let o = inputgrad()
            .env("INPUTGRAD_DATA", out.path())
            .args(["train", "--objective", "marginal-density", "--p", p, "--out"])
            .arg(out.path().join("pinf"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("--p") && err.contains("data fetch"), "--p {p}: {err}");
    }
    // Missing data names the file and how to get it.
    let o = inputgrad().env("INPUTGRAD_DATA", out.path()).args(["train", "--out"]).arg(out.path().join("r")).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("mnist") && err.contains("data fetch"), "{err}");
}

/// A run resumed into the same folder with another data set of the same shape, or another class
/// subset, is refused naming what differs (it used to continue the old checkpoint silently); a
/// finished run extends to more epochs; each epoch's line reaches a non-terminal stderr as it
/// finishes, and a resume says where it resumed.
#[test]
fn train_resume_is_keyed_on_the_data() {
    let Some(data) = real_data("train_resume_is_keyed_on_the_data", "fashion-mnist/train-images-idx3-ubyte.gz") else { return };
    let run = |out: &std::path::Path, set: &str, classes: &[&str], epochs: &str| {
        inputgrad()
            .env("INPUTGRAD_DATA", &data)
            .args(["train", "--data", set, "--train-limit", "200", "--test-limit", "100", "--model", "linear"])
            .args(classes)
            .args(["--epochs", epochs, "--batch", "50", "--lr", "0.05", "--robust-eval", "0", "--seed", "3", "--out"])
            .arg(out)
            .output()
            .unwrap()
    };
    let refused = |o: std::process::Output, what: &str| {
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{what}: {err}");
        assert!(err.contains("training data") && err.contains("checkpoint.bin"), "{what}: {err}");
    };
    let out = tempfile::tempdir().unwrap();
    let first = run(out.path(), "mnist", &[], "1");
    let err = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{err}");
    assert!(err.contains("epoch   1/1"), "no epoch line: {err}");
    refused(run(out.path(), "fashion-mnist", &[], "1"), "fashion-mnist after mnist");
    let longer = run(out.path(), "mnist", &[], "3");
    let err = String::from_utf8_lossy(&longer.stderr);
    assert!(longer.status.success(), "{err}");
    assert!(err.contains("extending the finished run") && err.contains("from 1 to 3 epochs"), "{err}");
    assert!(err.contains("epoch   2/3") && err.contains("epoch   3/3") && !err.contains("epoch   1/3"), "{err}");
    assert_eq!(meta(out.path())["epochs_run"], 3);
    let stdout = String::from_utf8_lossy(&longer.stdout);
    assert!(stdout.contains("after 3 epochs (all epochs done)"), "stop reason in words: {stdout}");

    let blocks = tempfile::tempdir().unwrap();
    assert!(run(blocks.path(), "blockmnist", &["--classes", "0,1"], "1").status.success());
    refused(run(blocks.path(), "blockmnist", &["--classes", "2,4"], "1"), "classes 2,4 after 0,1");
}

/// Two trainings into one `--out` would race on the checkpoint: while one holds the folder (its
/// lock taken here through the library), a second `train` fails at once, before loading any data,
/// naming the folder.
#[test]
fn a_second_training_into_the_same_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let held = inputgrad::fsio::lock_dir(&out, true, "a training run").unwrap();
    // No data folder at all: the refusal must come before the data would be missed.
    let o = inputgrad().env("INPUTGRAD_DATA", dir.path().join("nothing")).args(["train", "--out"]).arg(&out).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("another inputgrad process is writing a training run") && err.contains("run"), "{err}");
    drop(held);
    let o = inputgrad().env("INPUTGRAD_DATA", dir.path().join("nothing")).args(["train", "--out"]).arg(&out).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("data fetch") && !err.contains("another inputgrad process"), "{err}");
}

/// An OS error is printed once: the library's I/O error already holds it, and the error chain
/// used to repeat it ("Not a directory (os error 20): Not a directory (os error 20)").
#[test]
fn os_errors_are_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let o = inputgrad().env("INPUTGRAD_DATA", dir.path()).args(["train", "--out"]).arg(file.join("run")).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.matches("os error 20").count(), 1, "{err}");
    assert!(err.contains("a-file"), "the error names the path: {err}");
}

/// Options that cannot affect the run are named in a warning (they used to be accepted silently);
/// a command using only options that matter prints none.
#[test]
fn options_without_effect_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    data_support::write_synthetic_mnist(&data.join("mnist"), 60, 20);
    let run = |extra: &[&str], out: &str| {
        let o = inputgrad()
            .env("INPUTGRAD_DATA", &data)
            .args(["train", "--data", "mnist", "--model", "linear", "--epochs", "1", "--batch", "30", "--robust-eval", "0", "--out"])
            .arg(dir.path().join(out))
            .args(extra)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(o.status.success(), "{err}");
        err
    };
    let err = run(&["--classes", "0,1", "--lambda", "0.5", "--optimizer", "adam", "--momentum", "0.5", "--width", "7"], "a");
    for w in ["warning: --classes has no effect with --data mnist", "warning: --lambda has no effect with --objective standard", "warning: --momentum has no effect with --optimizer adam", "warning: --width has no effect"] {
        assert!(err.contains(w), "`{w}` missing: {err}");
    }
    let err = run(&["--objective", "input-grad", "--lambda", "0.5", "--optimizer", "sgd", "--momentum", "0.5"], "b");
    assert!(!err.contains("warning:"), "every option matters here: {err}");
}
