//! `inputgrad attribute` as a user runs it: on a PyTorch state dict with given inputs (compared
//! with Captum's maps from the committed fixtures), on a model `inputgrad train` just produced (on
//! synthetic MNIST files), and with inputs it cannot work on.

#[path = "data_support/mod.rs"]
mod data_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use inputgrad::prec;
use ndarray::{Array1, ArrayD};
use ndarray_npy::read_npy;

fn inputgrad() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_inputgrad"));
    c.env_remove("INPUTGRAD_DATA");
    c
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/captum")
}

fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run inputgrad");
    assert!(out.status.success(), "{:?} failed:\n{}\n{}", cmd, String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    out
}

/// Runs `cmd`, expects failure with exactly one line on stderr, and returns it.
fn run_err(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run inputgrad");
    assert!(!out.status.success(), "{cmd:?} succeeded");
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(err.lines().count(), 1, "one line expected:\n{err}");
    err
}

fn npy(path: &Path) -> Vec<f64> {
    let a: ArrayD<f32> = read_npy(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    a.iter().map(|&v| f64::from(v)).collect()
}

/// max |a − b| / max |b| per example of `n`, worst.
fn worst_rel(a: &[f64], b: &[f64], n: usize) -> f64 {
    assert_eq!(a.len(), b.len());
    let d = a.len() / n;
    (0..n)
        .map(|i| {
            let (a, b) = (&a[i * d..(i + 1) * d], &b[i * d..(i + 1) * d]);
            let s = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs())) / s
        })
        .fold(0.0, f64::max)
}

#[test]
fn a_pytorch_state_dict_with_given_inputs_gives_captums_maps() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out dir é");
    let fx = fixtures();
    run_ok(inputgrad().args(["attribute", "--pytorch"]).arg(fx.join("mlp.pt")).args(["--model", "mlp1", "--hidden", "32,16", "--inputs"]).arg(fx.join("mlp_x.npy")).args([
        "--num-classes",
        "3",
        "--method",
        "saliency,ig,deeplift",
        "--rule",
        "gauss-legendre",
        "--steps",
        "16",
        "--out",
    ]).arg(&out));
    for (ours, captum) in [("saliency.npy", "mlp_saliency_logit_predicted.npy"), ("ig_gauss_legendre_16.npy", "mlp_ig_gauss_legendre.npy"), ("deeplift.npy", "mlp_deeplift_zero.npy")] {
        let e = worst_rel(&npy(&out.join(ours)), &npy(&fx.join(captum)), 4);
        assert!(e <= prec::CAPTUM_F32, "{ours}: {e:.2e} against Captum");
    }
    // The maps keep the inputs' layout [N, C, H, W]; IG's completeness gaps are one per example.
    let a: ArrayD<f32> = read_npy(out.join("saliency.npy")).unwrap();
    assert_eq!(a.shape(), &[4, 1, 6, 6]);
    let gap: Array1<f64> = read_npy(out.join("ig_gauss_legendre_16_gap.npy")).unwrap();
    assert_eq!(gap.len(), 4);
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("meta.json")).unwrap()).unwrap();
    let md5 = inputgrad::checksum::md5_hex(&std::fs::read(fx.join("mlp.pt")).unwrap());
    assert_eq!(meta["model_md5"], md5);
    assert_eq!(meta["target"], "logit:predicted");
    assert_eq!(meta["methods"].as_array().unwrap().len(), 3);
    assert_eq!(meta["methods"][1]["params"]["params"]["steps"], 16);
    assert!(meta["git_revision"].is_string() && meta["backend"].is_string());
    let png = image::open(out.join("attributions.png")).expect("a PNG");
    assert!(png.width() > 4 * 36 && png.height() > 4 * 36, "{}×{}", png.width(), png.height());
}

#[test]
fn a_model_that_train_just_produced_is_attributed_from_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    data_support::write_synthetic_mnist(&data.join("mnist"), 200, 50);
    let run = dir.path().join("run");
    let common = |c: &mut Command| {
        c.arg("--data-dir").arg(&data);
    };
    let mut train = inputgrad();
    train.args(["train", "--data", "mnist", "--model", "linear", "--epochs", "1", "--batch", "50", "--robust-eval", "0", "--out"]).arg(&run);
    common(&mut train);
    run_ok(&mut train);
    let out = dir.path().join("attr");
    let mut attr = inputgrad();
    attr.args(["attribute", "--run"]).arg(&run).args(["--method", "saliency,occlusion,random,linear-model", "--limit", "6", "--window", "4", "--stride", "4", "--linear-run"]).arg(&run).arg("--out").arg(&out);
    common(&mut attr);
    run_ok(&mut attr);
    // A linear model's saliency is its weight column of the predicted class: examples with the
    // same prediction get the same map, and the linear-model control of the same run equals it.
    let sal = npy(&out.join("saliency.npy"));
    let lin = npy(&out.join("linear_model.npy"));
    assert_eq!(sal, lin);
    let pred: Array1<i64> = read_npy(out.join("predictions.npy")).unwrap();
    let d = 784;
    for i in 0..6 {
        for j in 0..6 {
            let same = sal[i * d..(i + 1) * d] == sal[j * d..(j + 1) * d];
            assert_eq!(same, pred[i] == pred[j], "examples {i} and {j}");
        }
    }
    // The random control is a permutation of 0..D−1 per example.
    let rnd = npy(&out.join("random.npy"));
    let mut v: Vec<i64> = rnd[..d].iter().map(|&a| a as i64).collect();
    v.sort();
    assert_eq!(v, (0..d as i64).collect::<Vec<_>>());
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("meta.json")).unwrap()).unwrap();
    assert_eq!(meta["data"], "mnist");
    assert_eq!(meta["model"]["kind"], "linear");
    assert_eq!(meta["model_md5"], inputgrad::checksum::md5_hex(&std::fs::read(run.join("checkpoint.bin")).unwrap()));
}

#[test]
fn combinations_that_cannot_work_fail_with_one_line_naming_them() {
    let fx = fixtures();
    let dir = tempfile::tempdir().unwrap();
    let base = |c: &mut Command| {
        c.args(["attribute", "--pytorch"]).arg(fx.join("mlp.pt")).args(["--model", "mlp1", "--hidden", "32,16", "--inputs"]).arg(fx.join("mlp_x.npy")).args(["--num-classes", "3", "--out"]).arg(dir.path().join("o"));
    };
    // Guided Backprop on a SoftPlus MLP: names the method, the model and the layer.
    let mut c = inputgrad();
    base(&mut c);
    c.args(["--activation", "softplus", "--method", "guided-backprop"]);
    let e = run_err(&mut c);
    assert!(e.contains("guided_backprop") && e.contains("softplus") && e.contains("hidden[0]"), "{e}");
    // LRP of the loss.
    let mut c = inputgrad();
    base(&mut c);
    c.args(["--method", "lrp", "--target", "loss", "--labels"]).arg(fx.join("mlp_y.npy"));
    let e = run_err(&mut c);
    assert!(e.contains("lrp_epsilon") && e.contains("mlp[32x16]") && e.contains("not a logit"), "{e}");
    // A target that needs labels, without them.
    let mut c = inputgrad();
    base(&mut c);
    c.args(["--target", "loss"]);
    assert!(run_err(&mut c).contains("needs the examples' labels"));
    // A bad baseline, a bad target, a run folder that is none.
    let mut c = inputgrad();
    base(&mut c);
    c.args(["--method", "ig", "--baseline", "blur"]);
    assert!(run_err(&mut c).contains("--baseline blur"));
    let mut c = inputgrad();
    base(&mut c);
    c.args(["--target", "logit:cat"]);
    assert!(run_err(&mut c).contains("--target logit:cat"));
    let e = run_err(inputgrad().args(["attribute", "--run"]).arg(dir.path()).args(["--data", "mnist", "--out"]).arg(dir.path().join("o")));
    assert!(e.contains("meta.json"), "{e}");
    // The wrong architecture for the state dict.
    let mut c = inputgrad();
    c.args(["attribute", "--pytorch"]).arg(fx.join("mlp.pt")).args(["--model", "mlp1", "--hidden", "32", "--inputs"]).arg(fx.join("mlp_x.npy")).args(["--num-classes", "3", "--out"]).arg(dir.path().join("o"));
    let e = run_err(&mut c);
    assert!(e.contains("mlp.pt") && e.contains("out.weight") && e.contains("[3, 16]"), "{e}");
}
