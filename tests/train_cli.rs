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
/// finished checkpoint to the same weights; a longer run resumes a shorter one's epochs only if
/// the configuration matches (it does not: another epoch count is another run).
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
    let cases: [(&[&str], &str); 8] = [
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
    // Missing data names the file and how to get it.
    let o = inputgrad().env("INPUTGRAD_DATA", out.path()).args(["train", "--out"]).arg(out.path().join("r")).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("mnist") && err.contains("data fetch"), "{err}");
}
