//! DiffROAR with retraining (seed 000 §3–4, App. C): does ranking the coordinates of an input by
//! its gradient put the discriminative ones first? For each attribution scheme and level k (the
//! fraction of coordinates **kept**), the top-k and the bottom-k coordinates of every training
//! and test image are kept, the rest zeroed; a fresh model is retrained on each unmasked training
//! set (epoch chosen on a validation split of it) and tested on the matching unmasked test set.
//! DiffROAR = PredPower(top) − PredPower(bottom), paired by run seed, mean and 95 % CI over runs.
//!
//! Schemes: the input gradients (|∇ₓ logit_ŷ|, seed 000 §3) of a standard and of ℓ2 / ℓ∞
//! PGD-robust models; the two baselines of Fig 3 — random attributions (a uniform permutation
//! per image) and the input-agnostic gradients of a linear model. Companions from the same cells
//! and models: Fig 6 (clean and robust accuracy of the models against ε), Fig 7 (top and bottom
//! PredPower), Fig 10 (loss gradients), Fig 11 (signed gradients sgn(x)·g), Fig 12 (DiffROAR
//! without retraining: the original model on the unmasked test set), Fig 9 (other retraining
//! recipes). ROAR and KAR are the same numbers read differently: KAR(k) = PredPower(top-k),
//! ROAR(1 − k) = PredPower(bottom-k) (the top 1 − k removed).
//!
//! Cells: one per (model, "robustness") and one per (scheme, source, recipe, k, run), which
//! retrains the top-k and the bottom-k model. The models whose gradients are ranked are shared
//! artifacts ([`grid::memo`]): trained by whichever cell needs one first, identical bits in any
//! shard. Decisions the paper leaves open are stated in the specs (experiments/seed000_diffroar_*.toml).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData};
use ndarray::Array2;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::claim::{self, Claim, Outcome};
use super::backend::{self, OnBackend};
use super::grid::{self, Assembled, CellContext, CellSpec, Experiment, Plan};
use super::spec::{Keys, Scale};
use super::{from_json, to_json, Figure, Table};
use crate::attribution::rank::{keep_from_order, order, scores, Grouping, Keep, KeepFraction, PixelReduce};
use crate::attribution::method::{BaselineSpec, Context as MethodContext, Method};
use crate::attribution::{Attribution, Class, IgRule, NoiseKind, RandomAttribution, Scalar, Sigma, Target, Transform};
use crate::data::image_folder::FolderOptions;
use crate::data::{catalog, store, Normalization};
use crate::error::{Error, Result};
use crate::metric::diff_roar::{mean_ci95, pred_power, unmask, Fill, FillValues, PredPower};
use crate::metric::robustness::robust_accuracy;
use crate::model::{self, Classifier, InputShape, ModelSpec, Net, ResNetDepth, Stem, Activation};
use crate::plot::curves::{line_plot_bytes, Band, Legend, LinePlot, Mark, Series};
use crate::rng::Seed;
use crate::train::{self, Attack, Augment, Examples, Norm, Objective, OptimizerSpec, RunOptions, Schedule, ThreatModel, TrainConfig};

/// Streams below the spec's seed.
const STREAM_SPLIT: u64 = 1;
const STREAM_MODEL: u64 = 2;
const STREAM_RETRAIN: u64 = 3;
const STREAM_TIES: u64 = 4;
const STREAM_RANDOM: u64 = 5;
const STREAM_ATTACK: u64 = 6;
const STREAM_SOURCE: u64 = 7;
/// Examples per batch of the robust-accuracy evaluation.
const EVAL_BATCH: usize = 250;
/// The figures' size in pixels.
const FIG_SIZE: (u32, u32) = (900, 600);

/// A training recipe (seed 000 §4: SGD, momentum 0.9, weight decay 5e-4, batch 256, lr 0.1 × 0.75
/// every 20 epochs, stop once the training loss is below 0.001).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    /// Name in tables (`base`, `lr0.01`, …).
    pub name: String,
    /// Maximum epochs.
    pub epochs: usize,
    /// Batch size.
    pub batch: usize,
    /// Initial learning rate.
    pub lr: f64,
    /// Momentum.
    pub momentum: f64,
    /// Weight decay.
    pub weight_decay: f64,
    /// Decay period (epochs).
    pub lr_every: usize,
    /// Decay factor.
    pub lr_factor: f64,
    /// Stop once an epoch's mean training loss is below this.
    pub stop_below: f64,
    /// Random crop (with this padding) and horizontal flip; 0 = none.
    pub crop_pad: usize,
}

impl Recipe {
    pub(crate) fn from_keys(k: &Keys<'_>, name: &str) -> Result<Self> {
        let r = Recipe {
            name: name.into(),
            epochs: k.usize_min("epochs", 1)?,
            batch: k.usize_min("batch", 1)?,
            lr: k.f64_in("lr", f64::MIN_POSITIVE, 10.0)?,
            momentum: k.f64_in("momentum", 0.0, 1.0)?,
            weight_decay: k.f64_in("weight_decay", 0.0, 1.0)?,
            lr_every: k.usize_min("lr_every", 1)?,
            lr_factor: k.f64_in("lr_factor", f64::MIN_POSITIVE, 1.0)?,
            stop_below: k.f64_in("stop_below", 0.0, 10.0)?,
            crop_pad: k.usize_min("crop_pad", 0)?,
        };
        k.finish()?;
        Ok(r)
    }

    /// The trainer's configuration with `seed`.
    pub fn config(&self, seed: Seed) -> TrainConfig {
        TrainConfig {
            epochs: self.epochs,
            batch_size: self.batch,
            optimizer: OptimizerSpec::Sgd { lr: self.lr, momentum: self.momentum, weight_decay: self.weight_decay, nesterov: false },
            schedule: Schedule::Step { every: self.lr_every, factor: self.lr_factor },
            stop_below_loss: Some(self.stop_below),
            augment: if self.crop_pad > 0 { Augment::CropFlip { pad: self.crop_pad } } else { Augment::None },
            seed,
            divergence_loss: train::trainer::DEFAULT_DIVERGENCE_LOSS,
        }
    }
}

/// A model whose input gradients are evaluated: `standard`, or `l2:EPS` / `linf:EPS` for PGD
/// adversarial training (seed 000 App. C.1: 8 steps of ε/4, no random start).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    /// The name in tables (`standard`, `l2 eps=1`, …).
    pub name: String,
    /// `None` for standard training.
    pub norm: Option<Norm>,
    /// Training radius.
    pub eps: f64,
}

impl ModelEntry {
    pub(crate) fn parse(s: &str) -> std::result::Result<Self, String> {
        if s == "standard" {
            return Ok(ModelEntry { name: "standard".into(), norm: None, eps: 0.0 });
        }
        let (n, e) = s.split_once(':').ok_or_else(|| format!("`{s}`: expected `standard`, `l2:EPS` or `linf:EPS`"))?;
        let norm = match n {
            "l2" => Norm::L2,
            "linf" => Norm::Linf,
            _ => return Err(format!("`{s}`: the norm must be l2 or linf")),
        };
        let eps: f64 = e.parse().map_err(|_| format!("`{s}`: `{e}` is not a number"))?;
        if !(eps.is_finite() && eps > 0.0) {
            return Err(format!("`{s}`: ε must be > 0"));
        }
        Ok(ModelEntry { name: format!("{n} eps={e}"), norm: Some(norm), eps })
    }
}

/// One scale of a DiffROAR spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffRoarSpec {
    /// Data set (`inputgrad data check` names).
    pub data: String,
    /// Training examples used (the first ones); 0 = all.
    pub train_limit: usize,
    /// Test examples used; 0 = all.
    pub test_limit: usize,
    /// Fraction of the training examples held out to select the retraining epoch.
    pub validation: f64,
    /// Architecture: `mlp`, `resnet18`, `resnet50`.
    pub arch: String,
    /// Hidden widths of `mlp` (empty = twice the input dimension, twice: seed 000 App. C.1).
    pub hidden: Vec<usize>,
    /// ResNet stem (`cifar` or `imagenet`; optional, default `cifar`).
    pub stem: String,
    /// Recipe of the models whose gradients are ranked.
    pub train: Recipe,
    /// Recipe of the retraining (and the variants of Fig 9).
    pub retrain: Vec<Recipe>,
    /// Models whose gradients are ranked.
    pub models: Vec<ModelEntry>,
    /// Levels k (fractions kept), each in (0, 1).
    pub k: Vec<f64>,
    /// Run seeds (retraining initialisations; random attributions).
    pub runs: Vec<u64>,
    /// Seed of the split, the models and the tie-breaks.
    pub seed: u64,
    /// What replaces removed coordinates.
    pub fill: Fill,
    /// Rank coordinates individually (`coordinate`, the paper) or pixels (`pixel`).
    pub grouping: String,
    /// Extra attribution sources (see [`SOURCES`]) of the models in `extra_models`.
    pub extra_sources: Vec<String>,
    /// Models of the extra sources and the recipe variants.
    pub extra_models: Vec<String>,
    /// Levels k of the companion curves (extra sources and recipes); default `k`.
    pub extra_k: Vec<f64>,
    /// Side of the centre crop of ImageFolder data (ImageNet-10: 224, the paper); `None` for
    /// the fixed-size data sets.
    pub image_size: Option<usize>,
    /// Test radii of the robustness check (Fig 6), per norm.
    pub eval_l2: Vec<f64>,
    /// ℓ∞ radii of the robustness check.
    pub eval_linf: Vec<f64>,
    /// Test examples attacked in the robustness check.
    pub eval_examples: usize,
}

impl DiffRoarSpec {
    /// Reads and validates one scale table.
    pub fn from_keys(k: &Keys<'_>) -> Result<Self> {
        let data = k.choice("data", catalog::NAMES)?;
        let arch = k.choice("arch", &["mlp", "resnet18", "resnet50"])?;
        let train_t = k.table("train")?;
        let train = Recipe::from_keys(&train_t, "train")?;
        let retrain_t = k.table("retrain")?;
        let base = Recipe::from_keys(&retrain_t, "base")?;
        let mut retrain = vec![base.clone()];
        let optional_grid = |key: &str, hi: f64| if k.has(key) { k.f64_grid(key, 0.0, hi) } else { Ok(Vec::new()) };
        for lr in optional_grid("variant_lr", 10.0)? {
            if lr <= 0.0 {
                return Err(k.error("variant_lr", "learning rates must be > 0"));
            }
            retrain.push(Recipe { name: format!("lr{lr}"), lr, ..base.clone() });
        }
        for m in optional_grid("variant_momentum", 1.0)? {
            retrain.push(Recipe { name: format!("momentum{m}"), momentum: m, ..base.clone() });
        }
        let models = k.strings("models")?.iter().enumerate().map(|(i, s)| ModelEntry::parse(s).map_err(|e| k.error(&format!("models[{i}]"), e))).collect::<Result<Vec<_>>>()?;
        if models.is_empty() {
            return Err(k.error("models", "needs at least one model"));
        }
        let names: Vec<String> = models.iter().map(|m| m.name.clone()).collect();
        let kk = k.f64_grid("k", 0.0, 1.0)?;
        if let Some((i, _)) = kk.iter().enumerate().find(|(_, &v)| v <= 0.0 || v >= 1.0) {
            return Err(k.error(&format!("k[{i}]"), "levels must lie strictly between 0 and 1 (at k = 1 top and bottom coincide: DiffROAR = 0)"));
        }
        let extra_sources = k.strings("extra_sources")?;
        if let Some((i, s)) = extra_sources.iter().enumerate().find(|(_, s)| !SOURCES[1..].contains(&s.as_str())) {
            return Err(k.error(&format!("extra_sources[{i}]"), format!("`{s}`: expected one of {}", SOURCES[1..].join(", "))));
        }
        let extra_models = k.strings("extra_models")?;
        for (i, m) in extra_models.iter().enumerate() {
            let e = ModelEntry::parse(m).map_err(|e| k.error(&format!("extra_models[{i}]"), e))?;
            if !names.contains(&e.name) {
                return Err(k.error(&format!("extra_models[{i}]"), format!("`{m}` is not one of `models`")));
            }
        }
        let spec = DiffRoarSpec {
            data,
            train_limit: k.usize_min("train_limit", 0)?,
            test_limit: k.usize_min("test_limit", 0)?,
            validation: k.f64_in("validation", 0.01, 0.5)?,
            arch,
            hidden: k.usize_list("hidden", 1)?,
            stem: if k.has("stem") { k.choice("stem", &["cifar", "imagenet"])? } else { "cifar".into() },
            train,
            retrain,
            models,
            k: kk.clone(),
            runs: k.seeds("runs")?,
            seed: k.usize_min("seed", 0)? as u64,
            fill: match k.choice("fill", &["zero", "mean", "channel_mean", "road"])?.as_str() {
                "mean" => Fill::Mean,
                "channel_mean" => Fill::ChannelMean,
                "road" => Fill::Road,
                _ => Fill::Zero,
            },
            grouping: k.choice("grouping", &["coordinate", "pixel"])?,
            extra_sources,
            extra_models: extra_models.iter().map(|m| ModelEntry::parse(m).map(|e| e.name).unwrap_or_default()).collect(),
            eval_l2: optional_grid("eval_l2", 1e3)?,
            eval_linf: optional_grid("eval_linf", 1.0)?,
            extra_k: if k.has("extra_k") { k.f64_grid("extra_k", 0.0, 1.0)? } else { kk.clone() },
            image_size: if k.has("image_size") { Some(k.usize_min("image_size", 8)?) } else { None },
            eval_examples: k.usize_min("eval_examples", 1)?,
        };
        k.finish()?;
        if let Some((i, _)) = spec.extra_k.iter().enumerate().find(|(_, &v)| v <= 0.0 || v >= 1.0) {
            return Err(k.error(&format!("extra_k[{i}]"), "levels must lie strictly between 0 and 1"));
        }
        if spec.image_size.is_some() != (spec.data == "imagenet10") {
            return Err(k.error("image_size", "ImageNet-10 (and only it) needs `image_size`, the side of its centre crop (224 in the paper)"));
        }
        Ok(spec)
    }

    fn grouping(&self) -> Grouping {
        if self.grouping == "pixel" {
            Grouping::Pixel(PixelReduce::AbsSum)
        } else {
            Grouping::Coordinate
        }
    }

    /// The architecture for inputs of `dim` coordinates.
    pub fn model_spec(&self, dim: usize) -> ModelSpec {
        let activation = Activation::Relu;
        let stem = if self.stem == "imagenet" { Stem::Imagenet } else { Stem::Cifar };
        match self.arch.as_str() {
            "resnet18" => ModelSpec::ResNet { depth: ResNetDepth::R18, stem, activation },
            "resnet50" => ModelSpec::ResNet { depth: ResNetDepth::R50, stem, activation },
            _ => ModelSpec::Mlp { hidden: if self.hidden.is_empty() { vec![2 * dim, 2 * dim] } else { self.hidden.clone() }, activation, mean_field: false },
        }
    }

    fn model(&self, name: &str) -> Result<&ModelEntry> {
        self.models.iter().find(|m| m.name == name).ok_or_else(|| Error::param("model", format!("no model `{name}` in the spec")))
    }
}

/// The data of a DiffROAR experiment: training (without the validation split), validation and
/// test rows with labels.
struct Data {
    shape: InputShape,
    classes: usize,
    norm: Normalization,
    train: (Array2<f32>, Vec<usize>),
    val: (Array2<f32>, Vec<usize>),
    test: (Array2<f32>, Vec<usize>),
}

impl Data {
    fn load(spec: &DiffRoarSpec) -> Result<Self> {
        let norm = Normalization::default();
        let dir = store::resolve_data_dir(None);
        let tt = match spec.image_size {
            Some(side) => catalog::imagenet10(&dir, FolderOptions::scaled(side), &norm)?,
            None => catalog::load(&spec.data, &dir, None, Seed(spec.seed), &norm)?,
        };
        let limit = |d: &crate::data::ImageDataset, n: usize| if n == 0 { d.clone() } else { d.head(n) };
        let (train_all, test) = (limit(&tt.train, spec.train_limit), limit(&tt.test, spec.test_limit));
        let (c, h, w) = train_all.image_shape();
        let x = train_all.flattened();
        let mut idx: Vec<usize> = (0..x.nrows()).collect();
        idx.shuffle(&mut Seed(spec.seed).derive(STREAM_SPLIT).rng());
        let n_val = ((spec.validation * idx.len() as f64).round() as usize).clamp(1, idx.len().saturating_sub(1).max(1));
        let (val_idx, tr_idx) = idx.split_at(n_val);
        let pick = |ix: &[usize]| (x.select(ndarray::Axis(0), ix), ix.iter().map(|&i| train_all.labels[i]).collect::<Vec<_>>());
        Ok(Data { shape: InputShape::Image { c, h, w }, classes: train_all.num_classes, norm, train: pick(tr_idx), val: pick(val_idx), test: (test.flattened(), test.labels.clone()) })
    }
}

/// Ranking of every example's coordinates (positions in decreasing attribution), per split.
struct Ranks {
    train: Vec<Vec<u32>>,
    val: Vec<Vec<u32>>,
    test: Vec<Vec<u32>>,
}

/// The experiment for one data set (Fig 3(a)–(d)).
pub struct DiffRoar {
    id: &'static str,
    about: &'static str,
    spec: &'static str,
    data_name: &'static str,
    cache: super::Shared<Data>,
    ranks: Mutex<HashMap<String, Arc<Ranks>>>,
}

impl DiffRoar {
    /// Fig 3(b): MLPs on Fashion-MNIST.
    pub fn fmnist() -> Self {
        Self::new("seed000_diffroar_fmnist", "seed 000 Fig 3(b) with Figs 6, 7, 9–12: DiffROAR of standard and ℓ2/ℓ∞-robust MLPs on Fashion-MNIST against random and linear baselines", include_str!("../../experiments/seed000_diffroar_fmnist.toml"), "fashion-mnist")
    }
    /// Fig 3(a): MLPs on SVHN.
    pub fn svhn() -> Self {
        Self::new("seed000_diffroar_svhn", "seed 000 Fig 3(a): DiffROAR of standard and robust MLPs (3072→6144→6144→10) on SVHN", include_str!("../../experiments/seed000_diffroar_svhn.toml"), "svhn")
    }
    /// Fig 3(d): ResNet50 on CIFAR-10.
    pub fn cifar10() -> Self {
        Self::new("seed000_diffroar_cifar10", "seed 000 Fig 3(d): DiffROAR of standard and ℓ2-robust ResNet50 on CIFAR-10", include_str!("../../experiments/seed000_diffroar_cifar10.toml"), "cifar10")
    }
    /// Fig 3(c): ResNet18 on ImageNet-10.
    pub fn imagenet10() -> Self {
        Self::new("seed000_diffroar_imagenet10", "seed 000 Fig 3(c): DiffROAR of standard and ℓ∞-robust ResNet18 on ImageNet-10", include_str!("../../experiments/seed000_diffroar_imagenet10.toml"), "imagenet10")
    }

    fn new(id: &'static str, about: &'static str, spec: &'static str, data_name: &'static str) -> Self {
        DiffRoar { id, about, spec, data_name, cache: super::Shared::default(), ranks: Mutex::new(HashMap::new()) }
    }

    fn data(&self, spec: &DiffRoarSpec) -> Result<Arc<Data>> {
        let key = serde_json::json!([spec.data, spec.train_limit, spec.test_limit, spec.validation, spec.seed]).to_string();
        self.cache.get_or(key, || Data::load(spec))
    }
}

fn examples<'a>(d: &'a (Array2<f32>, Vec<usize>), shape: InputShape) -> Result<Examples<'a>> {
    let image = match shape {
        InputShape::Image { c, h, w } => Some([c, h, w]),
        InputShape::Flat(_) => None,
    };
    Examples::new(d.0.view(), &d.1, image)
}

/// The model `name` (or `linear`), trained once and shared between cells.
fn trained_model<B>(spec: &DiffRoarSpec, data: &Data, name: &str, shared: &std::path::Path, log: &mut dyn FnMut(&str), device: &B::Device) -> Result<Net<B>>
where
    B: AutodiffBackend,
    Net<B>: AutodiffModule<B>,
    <Net<B> as AutodiffModule<B>>::InnerModule: Classifier<B::InnerBackend>,
{
    let dim = data.shape.dim();
    let (arch, objective) = if name == "linear" {
        (ModelSpec::Linear, Objective::Standard)
    } else {
        let m = spec.model(name)?;
        let objective = match m.norm {
            None => Objective::Standard,
            Some(norm) => Objective::Adversarial { threat: ThreatModel::new(norm, m.eps, Some(data.norm.range))?, attack: Attack::seed000_training(m.eps) },
        };
        (spec.model_spec(dim), objective)
    };
    let cfg = spec.train.config(Seed(spec.seed).derive(STREAM_MODEL));
    let key = serde_json::json!({ "model": name, "arch": arch, "objective": objective, "config": cfg, "data": [spec.data, spec.train_limit, spec.validation, spec.image_size, spec.seed], "backend": std::any::type_name::<B>() }).to_string();
    let fresh = || model::build::<B>(&arch, data.shape, data.classes, Seed(spec.seed).derive(STREAM_MODEL), device);
    let bytes = grid::memo(shared, &key, || {
        log(&format!("  training the {name} model ({})", arch.name()));
        let tr = examples(&data.train, data.shape)?;
        let out = train::train::<B, _>(fresh()?, &tr, None, &cfg, &objective, RunOptions::default(), device)?;
        train::trainer::model_bytes::<B, _>(&out.model)
    })?;
    train::trainer::load_model_bytes(fresh()?, bytes, device, &format!("shared model `{name}`"))
}

/// Attribution sources a spec can name: the paper's |∇ₓ logit_ŷ| (`logit`), the loss gradient
/// (`loss`, App. C.5), the signed gradient sgn(x)·g (`signed`, App. C.6), and two other methods
/// of the attribution layer: Integrated Gradients (`ig`: 32 midpoint steps from the zero image)
/// and SmoothGrad (`smoothgrad`: 16 samples, σ = 0.15 of each image's range, Smilkov et al.'s
/// recommended 10–20 %). Each is ranked by magnitude except `signed`.
pub const SOURCES: [&str; 5] = ["logit", "loss", "signed", "ig", "smoothgrad"];
/// Integrated-Gradients steps of the `ig` source.
const IG_STEPS: usize = 32;
/// SmoothGrad samples and relative σ of the `smoothgrad` source.
const SMOOTHGRAD_SAMPLES: usize = 16;
const SMOOTHGRAD_SIGMA: f64 = 0.15;

/// The method, target and transform of attribution source `source`.
fn source_method(source: &str, seed: Seed) -> Result<(Method, Target, Transform)> {
    let logit = Target::Logit(Class::Predicted);
    Ok(match source {
        "logit" => (Method::Saliency, logit, Transform::Magnitude),
        "loss" => (Method::Saliency, Target::Loss, Transform::Magnitude),
        "signed" => (Method::Saliency, logit, Transform::SignedInput),
        "ig" => (Method::IntegratedGradients { rule: IgRule::Middle, steps: IG_STEPS, baseline: BaselineSpec::Zero }, logit, Transform::Magnitude),
        "smoothgrad" => (
            Method::Noise { kind: NoiseKind::SmoothGrad, samples: SMOOTHGRAD_SAMPLES, sigma: Sigma::Relative(SMOOTHGRAD_SIGMA), seed: seed.0, of: Box::new(Method::Saliency) },
            logit,
            Transform::Magnitude,
        ),
        other => return Err(Error::param("source", format!("`{other}`: expected one of {}", SOURCES.join(", ")))),
    })
}

/// Attribution scores of `model` for the rows of `x` with attribution source `source` (see
/// [`SOURCES`]), as the rank functions take them.
fn attribution_scores<B>(model: &Net<B>, x: &Array2<f32>, labels: &[usize], source: &str, seed: Seed, device: &B::Device) -> Result<Vec<Vec<f32>>>
where
    B: AutodiffBackend,
    Net<B>: AutodiffModule<B>,
    <Net<B> as AutodiffModule<B>>::InnerModule: Classifier<B::InnerBackend>,
{
    let (n, d) = x.dim();
    let xt: Tensor<B::InnerBackend, 2> = crate::attribution::from_vec(x.iter().copied().collect(), [n, d], device);
    let (method, target, transform) = source_method(source, seed)?;
    let attr = method.build::<B, Net<B>>(&MethodContext::default())?;
    let (a, _) = crate::attribution::attribute(attr.as_ref(), model, xt.clone(), target, Some(labels))?;
    let a = crate::attribution::to_vec(&transform.apply(a.values, &xt))?;
    Ok(a.chunks(d).map(|r| r.to_vec()).collect())
}

impl DiffRoar {
    /// The rankings of scheme `scheme` with `source` (for `random`, of run `run`).
    #[allow(clippy::too_many_arguments)]
    fn ranks<B>(&self, spec: &DiffRoarSpec, data: &Data, scheme: &str, source: &str, run: u64, shared: &std::path::Path, log: &mut dyn FnMut(&str), device: &B::Device) -> Result<Arc<Ranks>>
    where
        B: AutodiffBackend,
        Net<B>: AutodiffModule<B>,
        <Net<B> as AutodiffModule<B>>::InnerModule: Classifier<B::InnerBackend>,
    {
        let key = serde_json::json!([std::any::type_name::<B>(), spec.data, spec.train_limit, spec.test_limit, spec.validation, spec.image_size, spec.seed, scheme, source, if scheme == "random" { run } else { 0 }, spec.grouping, spec.train, spec.models, spec.arch, spec.hidden, spec.stem]).to_string();
        if let Some(r) = self.ranks.lock().map_err(|_| Error::Shape("rank cache poisoned".into()))?.get(&key) {
            return Ok(r.clone());
        }
        let grouping = spec.grouping();
        let rank_split = |rows: Vec<Vec<f32>>, split: u64| -> Result<Vec<Vec<u32>>> {
            rows.iter()
                .enumerate()
                .map(|(i, a)| Ok(order(&scores(a, data.shape, grouping)?, Seed(spec.seed).derive(STREAM_TIES).derive(split).derive(i as u64)).into_iter().map(|p| p as u32).collect()))
                .collect()
        };
        let split_scores = |x: &(Array2<f32>, Vec<usize>)| -> Result<Vec<Vec<f32>>> {
            if scheme == "random" {
                let (n, d) = x.0.dim();
                let xt = Tensor::from_data(TensorData::new(x.0.iter().copied().collect::<Vec<_>>(), [n, d]), device);
                let r = Attribution::<B, Net<B>>::attribute(&RandomAttribution { seed: Seed(run).derive(STREAM_RANDOM) }, &model::build::<B>(&ModelSpec::Linear, data.shape, data.classes, Seed(0), device)?, xt, &Scalar::SumLogits(n))?;
                let v = crate::attribution::to_vec(&r.values)?;
                return Ok(v.chunks(d).map(|c| c.to_vec()).collect());
            }
            Err(Error::Shape("unreachable".into()))
        };
        let ranks = if scheme == "random" {
            Ranks { train: rank_split(split_scores(&data.train)?, 0)?, val: rank_split(split_scores(&data.val)?, 1)?, test: rank_split(split_scores(&data.test)?, 2)? }
        } else {
            let model = trained_model::<B>(spec, data, scheme, shared, log, device)?;
            Ranks {
                train: rank_split(attribution_scores(&model, &data.train.0, &data.train.1, source, Seed(spec.seed).derive(STREAM_SOURCE).derive(0), device)?, 0)?,
                val: rank_split(attribution_scores(&model, &data.val.0, &data.val.1, source, Seed(spec.seed).derive(STREAM_SOURCE).derive(1), device)?, 1)?,
                test: rank_split(attribution_scores(&model, &data.test.0, &data.test.1, source, Seed(spec.seed).derive(STREAM_SOURCE).derive(2), device)?, 2)?,
            }
        };
        let ranks = Arc::new(ranks);
        self.ranks.lock().map_err(|_| Error::Shape("rank cache poisoned".into()))?.insert(key, ranks.clone());
        Ok(ranks)
    }
}

/// The unmasked copy of `x` under `keep` with the rankings `ranks`.
fn unmask_split(x: &Array2<f32>, ranks: &[Vec<u32>], shape: InputShape, grouping: Grouping, keep: Keep, fill: &FillValues, seed: Seed) -> Result<Array2<f32>> {
    let (n, d) = x.dim();
    let mut out = Array2::<f32>::zeros((n, d));
    for i in 0..n {
        let ord: Vec<usize> = ranks[i].iter().map(|&p| p as usize).collect();
        let mask = keep_from_order(&ord, shape, grouping, keep);
        let row: Vec<f32> = x.row(i).iter().copied().collect();
        let u = unmask(&row, &mask, fill, shape, seed.derive(i as u64))?;
        out.row_mut(i).iter_mut().zip(u).for_each(|(o, v)| *o = v);
    }
    Ok(out)
}

/// What one DiffROAR cell measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellResult {
    /// Scheme (model name, `random`, `linear`).
    pub scheme: String,
    /// Attribution source (`logit`, `loss`, `signed`; `-` for random).
    pub source: String,
    /// Retraining recipe.
    pub recipe: String,
    /// Fraction kept.
    pub k: f64,
    /// Run seed.
    pub run: u64,
    /// PredPower of the top-k.
    pub top: PredPower,
    /// PredPower of the bottom-k.
    pub bottom: PredPower,
    /// The original model's accuracy on the unmasked test set, top and bottom (no retraining;
    /// model schemes, first run only).
    pub no_retrain: Option<(f64, f64)>,
}

/// What a robustness cell measured: the model's clean test accuracy and its accuracy under
/// PGD (2× the training steps) at each test radius.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RobustResult {
    /// Model.
    pub model: String,
    /// Clean test accuracy (all test examples).
    pub clean: f64,
    /// (norm, ε, accuracy) on the attacked examples.
    pub robust: Vec<(String, f64, f64)>,
}

/// One cell's computation, generic over the backend ([`backend::dispatch`]).
struct CellJob<'e, 'c, 'l> {
    exp: &'e DiffRoar,
    plan: &'e Plan,
    cell: &'e CellSpec,
    ctx: &'c mut CellContext<'l>,
}

impl OnBackend for CellJob<'_, '_, '_> {
    type Output = serde_json::Value;
    fn run<B: AutodiffBackend>(self, device: &B::Device) -> Result<serde_json::Value>
    where
        Net<B>: AutodiffModule<B>,
        <Net<B> as AutodiffModule<B>>::InnerModule: Classifier<B::InnerBackend>,
    {
        let CellJob { exp, plan, cell, ctx } = self;
        let spec: DiffRoarSpec = plan.params()?;
        let data = exp.data(&spec)?;
        if cell.params["kind"] == "robustness" {
            let name: String = from_json(&cell.params["model"])?;
            let model = trained_model::<B>(&spec, &data, &name, &ctx.shared, ctx.log, device)?;
            let te = examples(&data.test, data.shape)?;
            let (_, clean) = train::evaluate(&model.valid(), &te, EVAL_BATCH, device)?;
            let n = spec.eval_examples.min(data.test.1.len());
            let x = data.test.0.slice(ndarray::s![..n, ..]);
            let mut robust = Vec::new();
            for (norm, grid) in [(Norm::L2, &spec.eval_l2), (Norm::Linf, &spec.eval_linf)] {
                for &eps in grid.iter() {
                    let acc = if eps == 0.0 {
                        clean
                    } else {
                        let threat = ThreatModel::new(norm, eps, Some(data.norm.range))?;
                        robust_accuracy::<B, _>(&model, x, &data.test.1[..n], &threat, &Attack::seed000_eval(eps), EVAL_BATCH, Seed(spec.seed).derive(STREAM_ATTACK), device)?.1
                    };
                    robust.push((if norm == Norm::L2 { "l2".to_string() } else { "linf".to_string() }, eps, acc));
                }
            }
            (ctx.log)(&format!("  {name}: clean test accuracy {clean:.4}"));
            return to_json(&RobustResult { model: name, clean, robust });
        }
        let scheme: String = from_json(&cell.params["scheme"])?;
        let source: String = from_json(&cell.params["source"])?;
        let recipe: Recipe = from_json(&cell.params["recipe"])?;
        let (k, run): (f64, u64) = (from_json(&cell.params["k"])?, from_json(&cell.params["run"])?);
        let ranks = exp.ranks::<B>(&spec, &data, &scheme, if scheme == "random" { "-" } else { &source }, run, &ctx.shared, ctx.log, device)?;
        let fill = FillValues::from_data(spec.fill, data.train.0.view(), data.shape)?;
        let grouping = spec.grouping();
        let arch = spec.model_spec(data.shape.dim());
        let kf = KeepFraction::new(k)?;
        let fill_seed = Seed(spec.seed).derive(STREAM_TIES).derive(9);
        let measure = |keep: Keep| -> Result<(PredPower, Array2<f32>)> {
            let tr = unmask_split(&data.train.0, &ranks.train, data.shape, grouping, keep, &fill, fill_seed.derive(0))?;
            let va = unmask_split(&data.val.0, &ranks.val, data.shape, grouping, keep, &fill, fill_seed.derive(1))?;
            let te = unmask_split(&data.test.0, &ranks.test, data.shape, grouping, keep, &fill, fill_seed.derive(2))?;
            let (trd, vad, ted) = ((tr, data.train.1.clone()), (va, data.val.1.clone()), (te, data.test.1.clone()));
            let p = pred_power::<B>(&arch, data.shape, data.classes, &examples(&trd, data.shape)?, &examples(&vad, data.shape)?, &examples(&ted, data.shape)?, &recipe.config(Seed(run).derive(STREAM_RETRAIN)), Seed(run).derive(STREAM_RETRAIN), device)?;
            Ok((p, ted.0))
        };
        let (top, top_test) = measure(Keep::Top(kf))?;
        let (bottom, bottom_test) = measure(Keep::Bottom(kf))?;
        let no_retrain = if scheme != "random" && run == spec.runs[0] && recipe.name == "base" {
            let model = trained_model::<B>(&spec, &data, &scheme, &ctx.shared, ctx.log, device)?;
            let acc = |x: Array2<f32>| -> Result<f64> {
                let d = (x, data.test.1.clone());
                Ok(train::evaluate(&model.valid(), &examples(&d, data.shape)?, EVAL_BATCH, device)?.1)
            };
            Some((acc(top_test)?, acc(bottom_test)?))
        } else {
            None
        };
        (ctx.log)(&format!("  {}: top {:.4}, bottom {:.4}, DiffROAR {:+.4}", cell.key, top.test_accuracy, bottom.test_accuracy, top.test_accuracy - bottom.test_accuracy));
        to_json(&CellResult { scheme, source, recipe: recipe.name, k, run, top, bottom, no_retrain })
    }
}

impl Experiment for DiffRoar {
    fn id(&self) -> &str {
        self.id
    }
    fn about(&self) -> &str {
        self.about
    }
    fn builtin_spec(&self) -> &str {
        self.spec
    }
    fn tables(&self) -> &[&str] {
        &["", "_predpower", "_noretrain", "_robustness"]
    }
    fn needs_data(&self) -> &[&str] {
        std::slice::from_ref(&self.data_name)
    }
    fn plan(&self, keys: &Keys<'_>, _scale: Scale) -> Result<Plan> {
        let spec = DiffRoarSpec::from_keys(keys)?;
        let mut cells = Vec::new();
        for m in &spec.models {
            cells.push(CellSpec::new(format!("robustness-{}", m.name), serde_json::json!({ "kind": "robustness", "model": m.name, "spec": spec }))?);
        }
        let mut add = |scheme: &str, source: &str, recipe: &Recipe, ks: &[f64]| -> Result<()> {
            for &k in ks {
                for &run in &spec.runs {
                    let key = format!("{scheme}/{source}/{}/k{k}/run{run}", recipe.name);
                    cells.push(CellSpec::new(key, serde_json::json!({ "kind": "diffroar", "scheme": scheme, "source": source, "recipe": recipe, "k": k, "run": run, "spec": spec }))?);
                }
            }
            Ok(())
        };
        let base = &spec.retrain[0];
        for m in &spec.models {
            add(&m.name, "logit", base, &spec.k)?;
        }
        add("random", "-", base, &spec.k)?;
        add("linear", "logit", base, &spec.k)?;
        for m in &spec.extra_models {
            for s in &spec.extra_sources {
                add(m, s, base, &spec.extra_k)?;
            }
            for r in &spec.retrain[1..] {
                add(m, "logit", r, &spec.extra_k)?;
            }
        }
        let mut seeds = spec.runs.clone();
        seeds.push(spec.seed);
        Ok(Plan { params: to_json(&spec)?, seeds, backend: train::CPU_BACKEND.into(), cells })
    }
    fn compute(&self, plan: &Plan, cell: &CellSpec, ctx: &mut CellContext<'_>) -> Result<serde_json::Value> {
        let device = ctx.device.clone();
        backend::dispatch(&device, CellJob { exp: self, plan, cell, ctx })
    }
    fn gpu(&self) -> bool {
        true
    }
    fn assemble(&self, _plan: &Plan, results: &[serde_json::Value]) -> Result<Assembled> {
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut pp = Table { suffix: "_predpower".into(), header: h(&PREDPOWER_HEADER), rows: Vec::new() };
        let mut nr = Table { suffix: "_noretrain".into(), header: h(&NORETRAIN_HEADER), rows: Vec::new() };
        let mut rb = Table { suffix: "_robustness".into(), header: h(&ROBUSTNESS_HEADER), rows: Vec::new() };
        // (scheme, source, recipe, k) → per-run (diff, top, bottom), in plan order.
        let mut groups: Vec<((String, String, String, String), Vec<(f64, f64, f64)>)> = Vec::new();
        for v in results {
            if v.get("robust").is_some() {
                let r: RobustResult = from_json(v)?;
                for (norm, eps, acc) in &r.robust {
                    rb.rows.push(vec![r.model.clone(), norm.clone(), eps.to_string(), acc.to_string()]);
                }
                continue;
            }
            let c: CellResult = from_json(v)?;
            let diff = c.top.test_accuracy - c.bottom.test_accuracy;
            pp.rows.push(vec![
                c.scheme.clone(),
                c.source.clone(),
                c.recipe.clone(),
                c.k.to_string(),
                c.run.to_string(),
                c.top.test_accuracy.to_string(),
                c.bottom.test_accuracy.to_string(),
                diff.to_string(),
                c.top.epoch.to_string(),
                c.bottom.epoch.to_string(),
            ]);
            if let Some((t, b)) = c.no_retrain {
                nr.rows.push(vec![c.scheme.clone(), c.source.clone(), c.k.to_string(), t.to_string(), b.to_string(), (t - b).to_string()]);
            }
            let key = (c.scheme, c.source, c.recipe, c.k.to_string());
            match groups.iter_mut().find(|g| g.0 == key) {
                Some(g) => g.1.push((diff, c.top.test_accuracy, c.bottom.test_accuracy)),
                None => groups.push((key, vec![(diff, c.top.test_accuracy, c.bottom.test_accuracy)])),
            }
        }
        let mut main = Table { suffix: String::new(), header: h(&MAIN_HEADER), rows: Vec::new() };
        for ((scheme, source, recipe, k), runs) in groups {
            let col = |f: fn(&(f64, f64, f64)) -> f64| -> Vec<f64> { runs.iter().map(f).collect() };
            let (d, dc) = mean_ci95(&col(|r| r.0));
            let (t, tc) = mean_ci95(&col(|r| r.1));
            let (b, bc) = mean_ci95(&col(|r| r.2));
            main.rows.push(vec![scheme, source, recipe, k, runs.len().to_string(), d.to_string(), dc.to_string(), t.to_string(), tc.to_string(), b.to_string(), bc.to_string()]);
        }
        Ok(Assembled { tables: vec![main, pp, nr, rb], unmet: Vec::new() })
    }
    fn plot(&self, tables: &[Table]) -> Result<Vec<Figure>> {
        plot(self.id, tables)
    }
    fn claims(&self) -> Vec<Claim> {
        claims_for(self.data_name)
    }
}

/// Columns of the main table (one row per scheme, source, recipe and k).
pub const MAIN_HEADER: [&str; 11] = ["scheme", "source", "recipe", "k", "runs", "diffroar", "diffroar_ci95", "top", "top_ci95", "bottom", "bottom_ci95"];
/// Columns of the per-run table.
pub const PREDPOWER_HEADER: [&str; 10] = ["scheme", "source", "recipe", "k", "run", "top", "bottom", "diffroar", "top_epoch", "bottom_epoch"];
/// Columns of the no-retraining table (Fig 12).
pub const NORETRAIN_HEADER: [&str; 6] = ["scheme", "source", "k", "top", "bottom", "diffroar"];
/// Columns of the robustness table (Fig 6).
pub const ROBUSTNESS_HEADER: [&str; 4] = ["model", "norm", "eps", "accuracy"];

/// Rows of the main table selected by (source, recipe): curve name → [(k, mean, ci)].
fn curves(t: &Table, source_filter: &dyn Fn(&str, &str) -> bool, col: &str, ci: Option<&str>) -> Result<Vec<(String, Vec<(f64, f64, f64)>)>> {
    let (sc, so, re, kc) = (claim::column(t, "scheme")?, claim::column(t, "source")?, claim::column(t, "recipe")?, claim::column(t, "k")?);
    let vc = claim::column(t, col)?;
    let cc = ci.map(|c| claim::column(t, c)).transpose()?;
    let mut out: Vec<(String, Vec<(f64, f64, f64)>)> = Vec::new();
    for r in &t.rows {
        if !source_filter(&r[so], &r[re]) {
            continue;
        }
        let name = match (r[so].as_str(), r[re].as_str()) {
            ("logit" | "-", "base") => r[sc].clone(),
            (s, "base") => format!("{} ({s} grad)", r[sc]),
            (_, rec) => format!("{} (retrain {rec})", r[sc]),
        };
        let k = super::cell_num(t, r, kc)?;
        let v = super::cell_num(t, r, vc)?;
        let c = match cc {
            Some(c) => r[c].parse::<f64>().unwrap_or(f64::NAN),
            None => f64::NAN,
        };
        match out.iter_mut().find(|x| x.0 == name) {
            Some(x) => x.1.push((k, v, c)),
            None => out.push((name, vec![(k, v, c)])),
        }
    }
    for c in &mut out {
        c.1.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    Ok(out)
}

fn diffroar_figure(t: &Table, title: &str, filter: &dyn Fn(&str, &str) -> bool) -> Result<Option<(Vec<u8>, String)>> {
    let cs = curves(t, filter, "diffroar", Some("diffroar_ci95"))?;
    if cs.is_empty() {
        return Ok(None);
    }
    let mut series = Vec::new();
    let mut bands = Vec::new();
    for (i, (name, pts)) in cs.iter().enumerate() {
        series.push(Series { name: name.clone(), points: pts.iter().map(|p| (p.0 * 100.0, p.1)).collect(), mark: Mark::LineMarked });
        if pts.iter().any(|p| p.2.is_finite()) {
            bands.push(Band { series: i, points: pts.iter().map(|p| (p.0 * 100.0, p.1 - p.2, p.1 + p.2)).collect() });
        }
    }
    let plot = LinePlot { title: title.into(), x_label: "unmasked fraction k (%)".into(), y_label: "DiffROAR (top-k − bottom-k accuracy)".into(), series, bands };
    line_plot_bytes(&plot, FIG_SIZE, Legend::UpperRight).map(Some)
}

/// The figures: DiffROAR vs k with 95 % bands (Fig 3), top/bottom PredPower (Fig 7), robustness
/// (Fig 6), without retraining (Fig 12), other sources (Figs 10–11) and recipes (Fig 9).
pub fn plot(id: &str, tables: &[Table]) -> Result<Vec<Figure>> {
    let main = super::find_table(tables, "", &MAIN_HEADER)?;
    let mut figs = Vec::new();
    let mut push = |suffix: &str, f: Option<(Vec<u8>, String)>| {
        if let Some((png, svg)) = f {
            figs.push(Figure { suffix: suffix.into(), png, svg });
        }
    };
    push("_diffroar", diffroar_figure(main, &format!("{id}: DiffROAR of input-gradient attributions (mean, 95 % CI over runs)"), &|s, r| (s == "logit" || s == "-") && r == "base")?);
    push("_sources", diffroar_figure(main, "DiffROAR of loss and signed gradients (Figs 10–11)", &|s, r| (s == "loss" || s == "signed") && r == "base")?);
    push("_recipes", diffroar_figure(main, "DiffROAR under other retraining recipes (Fig 9)", &|s, r| s == "logit" && r != "base")?);
    // Fig 7: top (lines) and bottom (dots) PredPower.
    let tops = curves(main, &|s, r| (s == "logit" || s == "-") && r == "base", "top", None)?;
    let bottoms = curves(main, &|s, r| (s == "logit" || s == "-") && r == "base", "bottom", None)?;
    let mut series = Vec::new();
    for (n, t) in &tops {
        series.push(Series { name: format!("{n}: top-k"), points: t.iter().map(|p| (p.0 * 100.0, p.1)).collect(), mark: Mark::LineMarked });
    }
    for (i, (n, b)) in bottoms.iter().enumerate() {
        series.push(Series { name: format!("{n}: bottom-k"), points: b.iter().map(|p| (p.0 * 100.0, p.1)).collect(), mark: Mark::CompanionOf(i) });
    }
    if !series.is_empty() {
        let plot = LinePlot { title: "Top-k (thick) and bottom-k (thin) predictive power (Fig 7)".into(), x_label: "unmasked fraction k (%)".into(), y_label: "retrained test accuracy".into(), series, bands: Vec::new() };
        push("_predpower", Some(line_plot_bytes(&plot, FIG_SIZE, Legend::LowerRight)?));
    }
    // Fig 12: without retraining.
    let nr = super::find_table(tables, "_noretrain", &NORETRAIN_HEADER)?;
    let mut by: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for r in &nr.rows {
        let name = if r[1] == "logit" { r[0].clone() } else { format!("{} ({} grad)", r[0], r[1]) };
        let p = (super::cell_num(nr, r, 2)? * 100.0, super::cell_num(nr, r, 5)?);
        match by.iter_mut().find(|x| x.0 == name) {
            Some(x) => x.1.push(p),
            None => by.push((name, vec![p])),
        }
    }
    if !by.is_empty() {
        let series = by.into_iter().map(|(n, mut p)| {
            p.sort_by(|a, b| a.0.total_cmp(&b.0));
            Series { name: n, points: p, mark: Mark::LineMarked }
        }).collect();
        let plot = LinePlot { title: "DiffROAR without retraining: the original model on unmasked test data (Fig 12)".into(), x_label: "unmasked fraction k (%)".into(), y_label: "top-k − bottom-k accuracy".into(), series, bands: Vec::new() };
        push("_noretrain", Some(line_plot_bytes(&plot, FIG_SIZE, Legend::UpperRight)?));
    }
    // Fig 6: accuracy against the test radius, one figure per norm.
    let rb = super::find_table(tables, "_robustness", &ROBUSTNESS_HEADER)?;
    for norm in ["l2", "linf"] {
        let mut by: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        for r in rb.rows.iter().filter(|r| r[1] == norm) {
            let p = (super::cell_num(rb, r, 2)?, super::cell_num(rb, r, 3)?);
            match by.iter_mut().find(|x| x.0 == r[0]) {
                Some(x) => x.1.push(p),
                None => by.push((r[0].clone(), vec![p])),
            }
        }
        if by.is_empty() {
            continue;
        }
        let series = by.into_iter().map(|(n, p)| Series { name: n, points: p, mark: Mark::LineMarked }).collect();
        let label = if norm == "l2" { "ℓ2" } else { "ℓ∞" };
        let plot = LinePlot { title: format!("Test accuracy under {label} PGD (16 steps of ε/4) — Fig 6"), x_label: format!("{label} radius ε"), y_label: "accuracy".into(), series, bands: Vec::new() };
        push(&format!("_robustness_{norm}"), Some(line_plot_bytes(&plot, FIG_SIZE, Legend::UpperRight)?));
    }
    Ok(figs)
}

/// (k, mean, ci) of `scheme`'s DiffROAR with attribution `source` and retraining `recipe`.
fn curve_of(t: &[Table], scheme: &str, source: &str, recipe: &str) -> Result<Vec<(f64, f64, f64)>> {
    let main = claim::table(t, "")?;
    let (sc, so, re, kc) = (claim::column(main, "scheme")?, claim::column(main, "source")?, claim::column(main, "recipe")?, claim::column(main, "k")?);
    let (dc, cc) = (claim::column(main, "diffroar")?, claim::column(main, "diffroar_ci95")?);
    let mut v = Vec::new();
    for r in main.rows.iter().filter(|r| r[sc] == scheme && r[so] == source && r[re] == recipe) {
        let ci = r[cc].parse::<f64>().unwrap_or(f64::NAN);
        v.push((super::cell_num(main, r, kc)?, super::cell_num(main, r, dc)?, ci));
    }
    if v.is_empty() {
        return Err(Error::Shape(format!("no DiffROAR rows for `{scheme}` with source `{source}` and recipe `{recipe}`")));
    }
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(v)
}

/// `scheme`'s DiffROAR with the paper's attribution (|∇ logit|; random for `random`) and the base recipe.
fn curve(t: &[Table], scheme: &str) -> Result<Vec<(f64, f64, f64)>> {
    curve_of(t, scheme, if scheme == "random" { "-" } else { "logit" }, "base")
}

/// Lower end of a 95 % interval (the mean itself when a single run gives no interval).
fn lower(p: &(f64, f64, f64)) -> f64 {
    p.1 - if p.2.is_finite() { p.2 } else { 0.0 }
}

/// Upper end of a 95 % interval.
fn upper(p: &(f64, f64, f64)) -> f64 {
    p.1 + if p.2.is_finite() { p.2 } else { 0.0 }
}

/// The robust models' names in the main table, in table order.
fn robust_models(t: &[Table]) -> Result<Vec<String>> {
    let main = claim::table(t, "")?;
    let sc = claim::column(main, "scheme")?;
    let mut v: Vec<String> = Vec::new();
    for r in &main.rows {
        if (r[sc].starts_with("l2 ") || r[sc].starts_with("linf ")) && !v.contains(&r[sc]) {
            v.push(r[sc].clone());
        }
    }
    if v.is_empty() {
        return Err(Error::Shape("no robust models in the table".into()));
    }
    Ok(v)
}

/// The (scheme, recipe) pairs of the main table other than the base recipe.
fn recipe_variants(t: &[Table]) -> Result<Vec<String>> {
    let main = claim::table(t, "")?;
    let re = claim::column(main, "recipe")?;
    let mut v: Vec<String> = Vec::new();
    for r in &main.rows {
        if r[re] != "base" && !v.contains(&r[re]) {
            v.push(r[re].clone());
        }
    }
    if v.is_empty() {
        return Err(Error::Shape("no retraining-recipe variants in the table".into()));
    }
    Ok(v)
}

/// Robust-minus-standard comparison with `source` and `recipe`: every robust model present with
/// both has a larger mean at every k, and a positive lower bound.
fn robust_beats_standard(t: &[Table], source: &str, recipe: &str) -> Result<Outcome> {
    let s = curve_of(t, "standard", source, recipe)?;
    let mut fails = Vec::new();
    let mut compared = 0;
    for m in robust_models(t)? {
        let Ok(c) = curve_of(t, &m, source, recipe) else { continue };
        compared += 1;
        for p in &c {
            let q = s.iter().find(|q| q.0 == p.0);
            if lower(p) <= 0.0 || q.is_some_and(|q| p.1 <= q.1) {
                fails.push(format!("{m} at k = {}: {:+.3} (standard {})", p.0, p.1, q.map(|q| format!("{:+.3}", q.1)).unwrap_or("—".into())));
            }
        }
    }
    if compared == 0 {
        return Err(Error::Shape(format!("no robust model with source `{source}` and recipe `{recipe}`")));
    }
    Ok(Outcome { holds: fails.is_empty(), ours: format!("{} exceptions", fails.len()), detail: if fails.is_empty() { format!("{compared} robust model(s) at every k") } else { fails.join("; ") } })
}

/// Claims every DiffROAR experiment tests (seed 000 §3–4, Fig 3, Fig 6).
fn common_claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "000.sec3.random_is_zero",
            claim: "a random attribution neither highlights nor suppresses discriminative features: E[DiffROAR] = 0",
            source: "seed 000 §3",
            rule: "the 95 % CI over runs of the random baseline contains 0 at ≥ 80 % of the levels k (5 % of CIs miss by chance)",
            paper: "0",
            check: |t| {
                let c = curve(t, "random")?;
                let hits = c.iter().filter(|p| lower(p) <= 0.0 && upper(p) >= 0.0).count();
                let worst = c.iter().fold(0.0f64, |m, p| m.max(p.1.abs()));
                Ok(Outcome { holds: hits * 5 >= c.len() * 4, ours: format!("max |mean| {worst:.3}"), detail: format!("CI contains 0 at {hits}/{} levels", c.len()) })
            },
        },
        Claim {
            id: "000.fig3.robust_positive",
            claim: "DiffROAR curves of adversarially robust models are positive at every level k < 100 %",
            source: "seed 000 §4, Fig 3",
            rule: "for every robust model, mean − CI half-width > 0 at every k",
            paper: "> 0 for all k < 100 %",
            check: |t| {
                let mut worst = f64::INFINITY;
                let mut detail = Vec::new();
                for m in robust_models(t)? {
                    let lo = curve(t, &m)?.iter().map(lower).fold(f64::INFINITY, f64::min);
                    detail.push(format!("{m}: min lower bound {lo:+.3}"));
                    worst = worst.min(lo);
                }
                Ok(Outcome { holds: worst > 0.0, ours: format!("min {worst:+.3}"), detail: detail.join("; ") })
            },
        },
        Claim {
            id: "000.fig3.robust_above_standard",
            claim: "robust models outperform standard models on DiffROAR",
            source: "seed 000 §4, Fig 3",
            rule: "every robust model's mean DiffROAR exceeds the standard model's at every k",
            paper: "robust > standard",
            check: |t| {
                let s = curve(t, "standard")?;
                let mut fails = Vec::new();
                for m in robust_models(t)? {
                    for (p, q) in curve(t, &m)?.iter().zip(&s) {
                        if p.1 <= q.1 {
                            fails.push(format!("{m} at k = {}", p.0));
                        }
                    }
                }
                Ok(Outcome { holds: fails.is_empty(), ours: format!("{} exceptions", fails.len()), detail: if fails.is_empty() { "at every k".into() } else { fails.join(", ") } })
            },
        },
        Claim {
            id: "000.fig3.larger_eps_larger_diffroar",
            claim: "increasing the perturbation budget ε during adversarial training amplifies the magnitude of DiffROAR",
            source: "seed 000 §4, Fig 3",
            rule: "for each norm with two or more radii, DiffROAR averaged over k increases with ε",
            paper: "larger ε ⇒ larger",
            check: |t| {
                let mut detail = Vec::new();
                let mut ok = true;
                let mut any = false;
                for norm in ["l2", "linf"] {
                    let mut ms: Vec<(f64, String)> = robust_models(t)?.into_iter().filter(|m| m.starts_with(&format!("{norm} "))).filter_map(|m| m.rsplit('=').next().and_then(|e| e.parse().ok()).map(|e| (e, m))).collect();
                    ms.sort_by(|a, b| a.0.total_cmp(&b.0));
                    let avgs: Vec<f64> = ms.iter().map(|(_, m)| curve(t, m).map(|c| c.iter().map(|p| p.1).sum::<f64>() / c.len() as f64)).collect::<Result<_>>()?;
                    if avgs.len() >= 2 {
                        any = true;
                        ok &= avgs.windows(2).all(|w| w[1] > w[0]);
                        detail.push(format!("{norm}: {}", ms.iter().zip(&avgs).map(|((e, _), a)| format!("ε={e}: {a:.3}")).collect::<Vec<_>>().join(", ")));
                    }
                }
                if !any {
                    return Err(Error::Shape("fewer than two radii per norm".into()));
                }
                Ok(Outcome { holds: ok, ours: detail.join("; "), detail: "mean DiffROAR over k".into() })
            },
        },
        Claim {
            id: "000.fig6.robust_models_are_robust",
            claim: "adversarially trained models attain significantly better robust test accuracy than standard models",
            source: "seed 000 App. C.1, Fig 6",
            rule: "at every tested radius ε > 0 of its norm, every robust model is more accurate than the standard model",
            paper: "robust > standard",
            check: |t| {
                let rb = claim::table(t, "_robustness")?;
                let mut detail = Vec::new();
                let mut ok = true;
                let mut compared = 0;
                for norm in ["l2", "linf"] {
                    let std = claim::values(rb, "accuracy", &[("model", "standard"), ("norm", norm)])?;
                    let eps = claim::values(rb, "eps", &[("model", "standard"), ("norm", norm)])?;
                    for m in robust_models(t)?.into_iter().filter(|m| m.starts_with(&format!("{norm} "))) {
                        let acc = claim::values(rb, "accuracy", &[("model", &m), ("norm", norm)])?;
                        for ((e, a), s) in eps.iter().zip(&acc).zip(&std) {
                            if *e > 0.0 {
                                compared += 1;
                                if a <= s {
                                    ok = false;
                                    detail.push(format!("{m} at ε = {e}: {a:.3} ≤ standard {s:.3}"));
                                }
                            }
                        }
                    }
                }
                if compared == 0 {
                    return Err(Error::Shape("no robust accuracies at ε > 0".into()));
                }
                Ok(Outcome { holds: ok, ours: if ok { format!("robust > standard at {compared} (model, ε)") } else { format!("{} exceptions", detail.len()) }, detail: detail.join("; ") })
            },
        },
    ]
}

/// Seed 000 Fig 3 and App. C claims that `data` tests.
pub fn claims_for(data: &str) -> Vec<Claim> {
    let mut v = common_claims();
    let mlp_no_retrain = Claim {
        id: "000.fig12.no_retrain_mlps_positive",
        claim: "without retraining, both standard and adversarially trained MLPs satisfy (A)",
        source: "seed 000 App. C.7, Fig 12",
        rule: "DiffROAR without retraining (first run's cells) > 0 at every k for every model",
        paper: "> 0",
        check: |t| {
            let nr = claim::table(t, "_noretrain")?;
            let v = claim::values(nr, "diffroar", &[("source", "logit")])?;
            if v.is_empty() {
                return Err(Error::Shape("no rows without retraining".into()));
            }
            let worst = v.iter().cloned().fold(f64::INFINITY, f64::min);
            Ok(Outcome { holds: worst > 0.0, ours: format!("min {worst:+.3}"), detail: format!("{} (model, k)", v.len()) })
        },
    };
    match data {
        "fashion-mnist" => {
            v.push(Claim {
                id: "000.fig3b.standard_no_better_than_baselines",
                claim: "for most k, standard MLPs on Fashion-MNIST fare no better than random attributions and input-agnostic linear-model attributions",
                source: "seed 000 §4, Fig 3(b)",
                rule: "at more than half of the k, the standard model's mean is at most the better baseline's mean plus the standard model's CI half-width",
                paper: "≈ baselines for most k",
                check: |t| {
                    let (s, r, l) = (curve(t, "standard")?, curve(t, "random")?, curve(t, "linear")?);
                    let n = s.iter().zip(&r).zip(&l).filter(|((s, r), l)| upper(s) - s.1 + r.1.max(l.1) >= s.1).count();
                    Ok(Outcome { holds: 2 * n > s.len(), ours: format!("{n}/{} levels", s.len()), detail: "levels where standard is not above the best baseline".into() })
                },
            });
            v.push(mlp_no_retrain);
            v.push(Claim {
                id: "000.fig11.signed_robust_mlp_positive",
                claim: "signed input gradients of robust MLPs on Fashion-MNIST attain positive DiffROAR for all k and beat those of standard MLPs",
                source: "seed 000 App. C.6, Fig 11",
                rule: "for each robust model with signed-gradient cells: mean − CI > 0 and mean > standard's at every k",
                paper: "> 0, robust > standard",
                check: |t| robust_beats_standard(t, "signed", "base"),
            });
            v.push(Claim {
                id: "000.fig10.loss_robust_positive",
                claim: "with input loss gradients, robust models satisfy (A) (DiffROAR > 0 for all k) and beat standard models",
                source: "seed 000 App. C.5, Fig 10 (shown there for ResNets; tested here on the MLPs)",
                rule: "for each robust model with loss-gradient cells: mean − CI > 0 and mean > standard's at every k",
                paper: "> 0, robust > standard",
                check: |t| robust_beats_standard(t, "loss", "base"),
            });
            v.push(Claim {
                id: "000.fig9.recipes_do_not_matter",
                claim: "DiffROAR findings are robust to the SGD hyperparameters of retraining (lr 0.1 → 0.01, momentum 0.9 → 0)",
                source: "seed 000 App. C.4, Fig 9 (shown there for CIFAR-10; tested here on the MLPs)",
                rule: "under every recipe variant, each robust model's mean − CI > 0 and its mean > standard's at every k",
                paper: "robust > 0 and > standard under every recipe",
                check: |t| {
                    let mut detail = Vec::new();
                    let mut ok = true;
                    for r in recipe_variants(t)? {
                        let o = robust_beats_standard(t, "logit", &r)?;
                        ok &= o.holds;
                        detail.push(format!("{r}: {}", o.detail));
                    }
                    Ok(Outcome { holds: ok, ours: if ok { "holds under every variant".into() } else { "fails under some variant".into() }, detail: detail.join(" | ") })
                },
            });
        }
        "svhn" => {
            v.push(mlp_no_retrain);
            v.push(Claim {
                id: "000.fig3a.robust_gap_at_10",
                claim: "at k = 10 %, robust MLPs on SVHN outperform standard MLPs on DiffROAR by roughly 10–30 %",
                source: "seed 000 §4, Fig 3(a)",
                rule: "at k = 0.1, every robust model's mean DiffROAR minus the standard model's lies in [0.05, 0.35] (the paper's range widened by 5 points for 'roughly')",
                paper: "0.10–0.30",
                check: |t| {
                    let s = curve(t, "standard")?;
                    let sk = s.iter().find(|p| (p.0 - 0.1).abs() < 1e-9).ok_or_else(|| Error::Shape("no level k = 0.1".into()))?;
                    let mut gaps = Vec::new();
                    for m in robust_models(t)? {
                        let c = curve(t, &m)?;
                        let p = c.iter().find(|p| (p.0 - 0.1).abs() < 1e-9).ok_or_else(|| Error::Shape("no level k = 0.1".into()))?;
                        gaps.push((m, p.1 - sk.1));
                    }
                    let ok = gaps.iter().all(|g| (0.05..=0.35).contains(&g.1));
                    Ok(Outcome { holds: ok, ours: gaps.iter().map(|(m, g)| format!("{m}: {g:+.3}")).collect::<Vec<_>>().join(", "), detail: "robust − standard at k = 10 %".into() })
                },
            });
        }
        _ => {
            v.push(Claim {
                id: "000.fig3cd.standard_resnet_negative",
                claim: "when k < 40 %, DiffROAR curves of standard ResNets on CIFAR-10 and ImageNet-10 are consistently negative",
                source: "seed 000 §4, Fig 3(c)–(d)",
                rule: "the standard model's mean + CI half-width < 0 at every k < 0.4",
                paper: "< 0 for k < 40 %",
                check: |t| {
                    let s = curve(t, "standard")?;
                    let low: Vec<_> = s.iter().filter(|p| p.0 < 0.4).collect();
                    if low.is_empty() {
                        return Err(Error::Shape("no level k < 0.4".into()));
                    }
                    let worst = low.iter().map(|p| upper(p)).fold(f64::NEG_INFINITY, f64::max);
                    Ok(Outcome { holds: worst < 0.0, ours: format!("max upper bound {worst:+.3}"), detail: format!("{} levels below 40 %", low.len()) })
                },
            });
        }
    }
    v
}
