//! The BlockMNIST studies (seed 000 §5, App. B, D) end to end at a tiny size: the shipped spec
//! loads at both scales with the paper's values; bad values name their key; a tiny run on the
//! real MNIST files writes every table, figure and claim verdict and resumes without
//! recomputing.

use std::path::{Path, PathBuf};

use inputgrad::data::block_mnist::{NullKind, Placement};
use inputgrad::experiment::run::load_spec;
use inputgrad::experiment::seed000_blockmnist::{parse_variant, slug, BlockStudySpec};
use inputgrad::experiment::{self, Registry, RunArgs, Scale, SpecFile};
use inputgrad::rng::Seed;
use inputgrad::train::Norm;

#[path = "data_support/mod.rs"]
mod data_support;
#[path = "support/spec.rs"]
mod spec_support;
use spec_support::{csv_rows, edit};

const ID: &str = "seed000_blockmnist";

fn exp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments")
}

#[test]
fn shipped_spec_loads_at_both_scales_with_the_papers_values() {
    let reg = Registry::builtin();
    let exp = reg.find(ID).unwrap();
    assert_eq!(exp.builtin_spec(), std::fs::read_to_string(exp_dir().join(format!("{ID}.toml"))).unwrap(), "rebuild after editing the spec");
    let s = load_spec(exp, Some(&exp_dir())).unwrap();
    for scale in [Scale::Quick, Scale::Paper] {
        let spec = BlockStudySpec::from_keys(&s.scale(scale).unwrap()).unwrap();
        // Every robust model's radius is the paper's for its digits (§5, Figs 14, 18, 20, 22).
        for m in spec.models.iter().filter(|m| m.training.norm.is_some()) {
            let digits = &m.variant.digits;
            let want = match (digits.as_slice(), m.arch.as_str()) {
                ([0, 1], "mlp") => (Norm::L2, 4.0),
                ([0, 1], _) => (Norm::L2, 2.0),
                ([2, 4], _) => (Norm::L2, 2.5),
                ([3, 7], _) => (Norm::Linf, 0.15),
                _ => (Norm::L2, 3.0),
            };
            assert_eq!((m.training.norm, m.training.eps), (Some(want.0), want.1), "{} {scale}", m.name);
        }
        assert!(spec.methods.len() == 9, "saliency + IG, LRP, Guided Backprop, 3 SmoothGrad σ, 2 occlusion ρ (App. D.4)");
        for v in ["blockmnist[0,1]", "blockmnist-top[0,1]", "blockmnist[2,4]", "blockmnist[3,7]", "blockmnist[0..9]", "mnist-distractor[0..9]"] {
            assert!(spec.models.iter().any(|m| m.name.starts_with(&format!("{v} "))), "{scale}: no {v} model");
        }
        if scale == Scale::Paper {
            assert_eq!(spec.hidden, vec![3136, 3136], "App. C.1: width 2 × 1568");
            assert_eq!(spec.heatmaps, 40, "Fig 14");
            assert!(spec.models.iter().filter(|m| m.arch != "mlp").all(|m| m.arch == "resnet18"));
            assert_eq!((spec.train.batch, spec.train.lr, spec.train.momentum, spec.train.weight_decay, spec.train.epochs), (256, 0.1, 0.9, 5e-4, 500));
            assert_eq!((spec.train_limit, spec.test_limit), (0, 0));
            assert!(spec.eps_warmup.is_empty(), "the paper trains at ε from the start");
        }
    }
}

#[test]
fn variants_parse_from_their_names() {
    let v = parse_variant("blockmnist-top[3,7]", Seed(1)).unwrap();
    assert_eq!((v.digits.clone(), v.placement, v.null), (vec![3, 7], Placement::SignalTop, NullKind::Patch));
    let v = parse_variant("mnist-distractor[0..9]", Seed(1)).unwrap();
    assert_eq!((v.digits.len(), v.null), (10, NullKind::LetterA));
    for (bad, why) in [("blockmnist[1,1]", "twice"), ("blockmnist[0,12]", "not"), ("cifar[0,1]", "expected blockmnist"), ("blockmnist[0,1", "missing `]`")] {
        let e = parse_variant(bad, Seed(0)).unwrap_err();
        assert!(e.contains(why), "{bad}: {e}");
    }
    assert_eq!(slug("blockmnist[0,1] mlp l2 eps=4"), "blockmnist_0_1_mlp_l2_eps_4");
}


fn bad(set: &[(&str, &str)], expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{ID}.toml"));
    let text = edit(&std::fs::read_to_string(exp_dir().join(format!("{ID}.toml"))).unwrap(), "quick", set);
    let s = SpecFile::parse(&path, &text).unwrap();
    let err = BlockStudySpec::from_keys(&s.scale(Scale::Quick).unwrap()).unwrap_err().to_string();
    for e in expect {
        assert!(err.contains(e), "{set:?}: `{err}` lacks `{e}`");
    }
}

#[test]
fn bad_spec_values_name_their_key() {
    bad(&[("models", "[\"blockmnist[0,1] vgg standard\"]")], &["quick.models[0]", "vgg"]);
    bad(&[("models", "[\"blockmnist[0,1] mlp l3:1\"]")], &["quick.models[0]", "l2 or linf"]);
    bad(&[("models", "[\"blockmnist[0,1] mlp standard\", \"blockmnist[0,1]  mlp standard\"]")], &["quick.models[1]", "twice"]);
    bad(&[("methods", "[\"saliency\", \"occlusion_40\"]")], &["quick.methods[1]", "1..=28"]);
    bad(&[("methods", "[\"saliency\", \"deconvnet\"]")], &["quick.methods[1]", "smoothgrad_<sigma>"]);
    bad(&[("methods", "[\"ig\"]")], &["quick.methods", "saliency"]);
    bad(&[("method_models", "[\"blockmnist[5,6] mlp standard\"]")], &["quick.method_models[0]", "not one of `models`"]);
    bad(&[("heatmaps", "500")], &["quick.heatmaps", "eval_examples"]);
    bad(&[("k", "[0.0, 0.1]")], &["quick.k[0]", "> 0"]);
    bad(&[("eps_warmup", "[0.5, 1.5]")], &["quick.eps_warmup"]);
}


#[test]
fn tiny_study_on_real_mnist_writes_every_output_and_resumes() {
    if data_support::real_data("tiny_blockmnist_study", "mnist").is_none() {
        return;
    }
    let text = std::fs::read_to_string(exp_dir().join(format!("{ID}.toml"))).unwrap();
    let models = "[\"blockmnist[0,1] mlp standard\", \"blockmnist[0,1] mlp l2:4\", \"blockmnist-top[0,1] mlp standard\", \"mnist-distractor[0..9] cnn standard\"]";
    let text = edit(
        &text,
        "quick",
        &[
            ("models", models),
            ("method_models", "[\"blockmnist[0,1] mlp standard\", \"blockmnist[0,1] mlp l2:4\"]"),
            ("hidden", "[16]"),
            ("train_limit", "200"),
            ("test_limit", "60"),
            ("eval_examples", "12"),
            ("heatmaps", "4"),
            ("panel_examples", "2"),
            ("ig_steps", "4"),
            ("smoothgrad_samples", "2"),
            ("scatter_points", "50"),
        ],
    );
    let text = edit(&text, "quick.train", &[("epochs", "2")]);
    let text = edit(&text, "quick.train_cnn", &[("epochs", "1")]);
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("experiments");
    std::fs::create_dir_all(&exp).unwrap();
    std::fs::write(exp.join(format!("{ID}.toml")), &text).unwrap();
    let args = RunArgs { experiments_dir: Some(exp), ..RunArgs::new(Scale::Quick, dir.path().join("figures")) };
    let report = experiment::run(&Registry::builtin(), ID, &args, &mut |_| {}).unwrap();
    assert_eq!((report.cells_total, report.cells_run), (4, 4));
    let fig = dir.path().join("figures");
    // 2 models × 9 methods × 5 k + 2 models × 1 method × 5 k.
    assert_eq!(csv_rows(&fig.join(format!("{ID}.csv"))).len(), (2 * 9 + 2) * 5);
    let models = csv_rows(&fig.join(format!("{ID}_models.csv")));
    assert_eq!(models.len(), 4);
    for r in &models {
        let acc: f64 = r[6].parse().unwrap();
        assert!((0.0..=1.0).contains(&acc));
        // Only the -Top model has a transfer accuracy; only standard models an init comparison.
        assert_eq!(r[8].is_empty(), !r[1].contains("-top"), "{r:?}");
        assert_eq!(r[11].is_empty(), &r[3] != "standard", "{r:?}");
    }
    // Proxies are fractions; the mask metrics too.
    for r in csv_rows(&fig.join(format!("{ID}.csv"))) {
        let p: f64 = r[6].parse().unwrap();
        assert!((0.0..=1.0).contains(&p), "{r:?}");
    }
    for suffix in ["_proxy_blockmnist_0_1", "_proxy_top", "_init"] {
        for ext in ["png", "svg"] {
            let p = fig.join(format!("{ID}{suffix}.{ext}"));
            assert!(p.is_file() && std::fs::metadata(&p).unwrap().len() > 1000, "{} missing", p.display());
        }
    }
    for suffix in ["_maps_blockmnist_0_1", "_maps_blockmnist-top_0_1", "_maps_mnist-distractor_all", "_methods_blockmnist_0_1_mlp_standard", "_methods_blockmnist_0_1_mlp_l2_4"] {
        let p = fig.join(format!("{ID}{suffix}.png"));
        assert!(p.is_file() && std::fs::metadata(&p).unwrap().len() > 1000, "{} missing", p.display());
        assert!(!fig.join(format!("{ID}{suffix}.svg")).exists(), "pixel grids are PNG only");
    }
    let claims: serde_json::Value = serde_json::from_slice(&std::fs::read(fig.join(format!("{ID}.claims.json"))).unwrap()).unwrap();
    let rows = claims["claims"].as_array().unwrap_or_else(|| panic!("{claims}"));
    assert_eq!(rows.len(), 7);
    for c in rows {
        assert_ne!(c["verdict"], "not_run", "every claim has its models in this grid: {c}");
    }
    // A rerun loads every cell.
    let again = experiment::run(&Registry::builtin(), ID, &args, &mut |_| {}).unwrap();
    assert_eq!((again.cells_run, again.cells_loaded), (0, 4));
}
