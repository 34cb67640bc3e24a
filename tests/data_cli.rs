//! `inputgrad data check | fetch | show` as a user runs them.

mod data_support;

use std::process::Command;

use data_support::{real_data, synthetic_mnist, write_synthetic_mnist};

fn inputgrad() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_inputgrad"));
    c.env_remove("INPUTGRAD_MIRROR");
    c
}

#[test]
fn check_on_an_empty_folder_lists_everything_missing_with_where_to_get_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = inputgrad().args(["data", "check", "--data-dir"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for name in ["mnist", "fashion-mnist", "mushroom", "spambase", "cifar10", "cifar100", "svhn", "imagenet10", "lpips"] {
        assert!(text.lines().any(|l| l.starts_with(name) && l.contains("missing")), "{name}: {text}");
    }
    assert!(text.contains("get it: inputgrad data fetch lpips"), "{text}");
    assert!(text.contains("get it: inputgrad data fetch mnist"), "{text}");
    assert!(text.contains("ILSVRC-2012"), "{text}");
    assert!(text.contains("(--data-dir)"), "{text}");
}

#[test]
fn check_flags_a_corrupt_file_with_exit_status_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("uci")).unwrap();
    std::fs::write(dir.path().join("uci/spambase.data"), b"0,1\n").unwrap();
    let out = inputgrad().args(["data", "check", "--data-dir"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().any(|l| l.starts_with("spambase") && l.contains("corrupt")), "{text}");
    assert!(text.contains("CORRUPT: md5"), "{text}");
}

/// Uncompressed IDX files, which the loaders read when the `.gz` is absent, are checked as the
/// loaders parse them: valid ones make MNIST present, a corrupt one makes it corrupt (exit 1).
#[test]
fn check_reads_raw_idx_files_as_the_loaders_do() {
    let dir = tempfile::tempdir().unwrap();
    let mnist = dir.path().join("mnist");
    std::fs::create_dir_all(&mnist).unwrap();
    for (prefix, n) in [("train", 12), ("t10k", 8)] {
        let (im, lb) = synthetic_mnist(n);
        std::fs::write(mnist.join(format!("{prefix}-images-idx3-ubyte")), im).unwrap();
        std::fs::write(mnist.join(format!("{prefix}-labels-idx1-ubyte")), lb).unwrap();
    }
    let out = inputgrad().args(["data", "check", "--data-dir"]).arg(dir.path()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.lines().any(|l| l.starts_with("mnist ") && l.contains("present")), "{text}");
    std::fs::write(mnist.join("t10k-labels-idx1-ubyte"), b"garbage").unwrap();
    let out = inputgrad().args(["data", "check", "--data-dir"]).arg(dir.path()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.lines().any(|l| l.starts_with("mnist ") && l.contains("corrupt")), "{text}");
    assert!(text.contains("mnist/t10k-labels-idx1-ubyte ") && text.contains("CORRUPT: unreadable"), "{text}");
}

#[test]
fn check_uses_inputgrad_data_when_no_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = inputgrad().args(["data", "check"]).env("INPUTGRAD_DATA", dir.path()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("data dir: {} ($INPUTGRAD_DATA)", dir.path().display())), "{text}");
}

#[test]
fn check_on_the_real_folder_finds_the_four_shared_data_sets() {
    let Some(real) = real_data("check_on_the_real_folder_finds_the_four_shared_data_sets", "mnist") else { return };
    let out = inputgrad().args(["data", "check", "--data-dir"]).arg(&real).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for name in ["mnist ", "fashion-mnist ", "mushroom ", "spambase "] {
        assert!(text.lines().any(|l| l.starts_with(name) && l.contains("present")), "{name}: {text}");
    }
}

#[test]
fn fetch_errors_are_clear() {
    let out = inputgrad().args(["data", "fetch", "no-such-set"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("unknown data set `no-such-set`") && err.contains("mnist"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let out = inputgrad().args(["data", "fetch", "imagenet10", "--data-dir"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("cannot be downloaded automatically"), "{err}");
}

#[test]
fn show_draws_a_png_grid_from_synthetic_mnist() {
    let dir = tempfile::tempdir().unwrap();
    write_synthetic_mnist(&dir.path().join("mnist"), 10, 60);
    let png = dir.path().join("figs/grid.png");
    let out = inputgrad()
        .args(["data", "show", "blockmnist", "--count", "6", "--cols", "3", "--classes", "2,4", "--seed", "7", "--out"])
        .arg(&png)
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("6 images of blockmnist[2,4], seed 7"), "{text}");
    let img = image::open(&png).unwrap();
    // 3 columns × (28·4 + 6) + 6 wide, 2 rows × (56·4 + 6) + 6 high (GridStyle::default()).
    assert_eq!((img.width(), img.height()), (3 * 118 + 6, 2 * 230 + 6));
}

#[test]
fn show_without_mnist_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let out = inputgrad()
        .args(["data", "show", "blockmnist-top", "--out"])
        .arg(dir.path().join("x.png"))
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("t10k-images-idx3-ubyte") && err.contains("inputgrad data fetch mnist"), "{err}");
}

/// A label file whose header declares four dimensions (magic 0x804) is named as the wrong kind of
/// file, not as "trailing bytes" of a misread header; a folder where a data file belongs is named
/// as a folder; `data show --out` refuses a folder instead of failing inside the image encoder.
#[test]
fn wrong_kind_of_file_folder_in_place_and_show_into_a_folder_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let mnist = dir.path().join("mnist");
    write_synthetic_mnist(&mnist, 10, 12);
    let (_, mut labels) = synthetic_mnist(12);
    labels[3] = 4;
    std::fs::remove_file(mnist.join("t10k-labels-idx1-ubyte.gz")).unwrap();
    std::fs::write(mnist.join("t10k-labels-idx1-ubyte"), &labels).unwrap();
    let show = |out: &std::path::Path| Command::new(env!("CARGO_BIN_EXE_inputgrad")).env("INPUTGRAD_DATA", dir.path()).args(["data", "show", "blockmnist", "--split", "test", "--out"]).arg(out).output().unwrap();
    let o = show(&dir.path().join("a.png"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("a label file has 1 dimension") && err.contains("declares 4") && !err.contains("trailing"), "{err}");
    std::fs::remove_file(mnist.join("t10k-labels-idx1-ubyte")).unwrap();
    std::fs::create_dir(mnist.join("t10k-labels-idx1-ubyte")).unwrap();
    let err = String::from_utf8_lossy(&show(&dir.path().join("a.png")).stderr).to_string();
    assert!(err.contains("t10k-labels-idx1-ubyte") && err.contains("is a folder"), "{err}");
    let err = String::from_utf8_lossy(&show(dir.path()).stderr).to_string();
    assert!(err.contains("--out") && err.contains(".png") && err.contains("folder"), "{err}");
}
