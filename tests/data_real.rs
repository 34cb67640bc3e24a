//! Loaders on the real files, found through `$INPUTGRAD_DATA` (CI: ../shared/data). Each test
//! prints SKIP and passes when its data are absent. Only the 10k test splits and the small UCI
//! files are read, to keep the suite fast.

mod data_support;

use inputgrad::data::block_mnist::{self, BlockMnistSpec, Placement};
use inputgrad::data::store::{self, Status};
use inputgrad::data::tabular::{self, SplitOptions};
use inputgrad::data::{idx, Normalization, Split};
use inputgrad::{prec, Seed};

use data_support::real_data;

fn md5sum_of(dir: &std::path::Path, rel: &str) -> String {
    let sums = std::fs::read_to_string(dir.join("MD5SUMS")).unwrap();
    sums.lines().find(|l| l.ends_with(rel)).and_then(|l| l.split_whitespace().next()).unwrap().to_string()
}

#[test]
fn mnist_and_fashion_test_splits_load_with_provenance() {
    for set in ["mnist", "fashion-mnist"] {
        let Some(dir) = real_data("mnist_and_fashion_test_splits_load_with_provenance", &format!("{set}/t10k-images-idx3-ubyte.gz")) else { return };
        let d = idx::load(&dir.join(set), Split::Test, &Normalization::default()).unwrap();
        assert_eq!(d.x.shape(), &[10_000, 1, 28, 28]);
        assert_eq!(d.num_classes, 10);
        assert!(d.class_counts().iter().all(|&c| c > 800), "{:?}", d.class_counts());
        assert!(d.x.iter().all(|v| (0.0..=1.0).contains(v)));
        assert_eq!(d.provenance[0].md5, md5sum_of(&dir, &format!("{set}/t10k-images-idx3-ubyte.gz")));
        assert_eq!(d.provenance[1].md5, md5sum_of(&dir, &format!("{set}/t10k-labels-idx1-ubyte.gz")));
        if set == "mnist" {
            // The first MNIST test digits are 7, 2, 1, 0, 4 (LeCun's t10k file).
            assert_eq!(d.labels[..5], [7, 2, 1, 0, 4]);
            let mean = d.x.mean().unwrap();
            assert!((mean - 0.1325).abs() < 0.002, "MNIST test mean intensity {mean}");
        }
    }
}

#[test]
fn mnist_train_labels_count_60000() {
    let Some(dir) = real_data("mnist_train_labels_count_60000", "mnist/train-labels-idx1-ubyte.gz") else { return };
    let p = dir.join("mnist/train-labels-idx1-ubyte.gz");
    let labels = idx::parse_labels(&std::fs::read(&p).unwrap(), &p, 10).unwrap();
    assert_eq!(labels.len(), 60_000);
}

#[test]
fn blockmnist_from_the_real_test_set() {
    let Some(dir) = real_data("blockmnist_from_the_real_test_set", "mnist/t10k-images-idx3-ubyte.gz") else { return };
    let raw = idx::read_raw(&dir.join("mnist"), Split::Test).unwrap();
    let b = block_mnist::build(&raw, &BlockMnistSpec::paper(Seed(0)), &Normalization::default()).unwrap();
    // MNIST t10k has 980 zeros and 1135 ones.
    assert_eq!(b.data.class_counts(), vec![980, 1135]);
    assert_eq!(b.data.x.shape(), &[2115, 1, 56, 28]);
    let tops = b.signal_on_top.iter().filter(|&&t| t).count() as f64 / 2115.0;
    // A fair coin per example: within prec::SE_BAND binomial standard errors of ½.
    assert!((tops - 0.5).abs() < prec::SE_BAND * (0.25f64 / 2115.0).sqrt(), "p(top) = {tops}");
    let top = block_mnist::build(&raw, &BlockMnistSpec { placement: Placement::SignalTop, ..BlockMnistSpec::paper(Seed(0)) }, &Normalization::default()).unwrap();
    assert!(top.signal_on_top.iter().all(|&t| t));
    let all = block_mnist::build(&raw, &BlockMnistSpec { digits: block_mnist::classes::ALL.to_vec(), ..BlockMnistSpec::paper(Seed(0)) }, &Normalization::default()).unwrap();
    assert_eq!(all.data.len(), 10_000);
}

#[test]
fn mushroom_real_file_one_hot_and_split() {
    let Some(dir) = real_data("mushroom_real_file_one_hot_and_split", "uci/agaricus-lepiota.data") else { return };
    let t = tabular::load_mushroom(&dir.join("uci")).unwrap();
    assert_eq!(t.data.x.shape(), &[8124, 117]);
    // agaricus-lepiota.names §9: 4208 edible.
    assert_eq!(t.data.labels.iter().filter(|&&l| l == 1).count(), 4208);
    // '?' occurs 2480 times, all in stalk-root (names §8).
    let q = t.feature_names.iter().position(|n| n == "stalk-root=?").unwrap();
    assert_eq!(t.data.x.column(q).sum(), 2480.0);
    assert_eq!(t.data.provenance[0].md5, md5sum_of(&dir, "uci/agaricus-lepiota.data"));
    let s = tabular::split(&t, SplitOptions::paper(Seed(0))).unwrap();
    assert_eq!((s.train.len(), s.test.len()), (5687, 2437));
}

#[test]
fn spambase_real_file_and_feat_trans() {
    let Some(dir) = real_data("spambase_real_file_and_feat_trans", "uci/spambase.data") else { return };
    let t = tabular::load_spambase(&dir.join("uci")).unwrap();
    assert_eq!(t.data.x.shape(), &[4601, 57]);
    assert_eq!(t.data.labels.iter().filter(|&&l| l == 1).count(), 1813);
    let s = tabular::split(&t, SplitOptions::paper(Seed(1))).unwrap();
    assert_eq!(s.train.len(), 3221);
    let c = s.translation.unwrap();
    assert_eq!(c.len(), 57);
    assert!(c[56] > 100.0, "capital_run_length_total has a large mid-point, got {}", c[56]);
}

#[test]
fn check_reports_the_shared_folder_present() {
    let Some(dir) = real_data("check_reports_the_shared_folder_present", "mnist") else { return };
    for name in ["mnist", "fashion-mnist", "mushroom", "spambase"] {
        assert_eq!(store::check(store::find(name).unwrap(), &dir).status, Status::Present, "{name}");
    }
    assert_eq!(store::check(store::find("cifar10").unwrap(), &dir).status, Status::Missing);
}
