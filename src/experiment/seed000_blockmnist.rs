//! Seed 000 §5, App. B and App. D.1–D.4: feature leakage of trained models on BlockMNIST and its
//! variants, measured against the ground-truth signal mask.
//!
//! One cell per model (a data variant × an architecture × a training): it trains the model,
//! checks the §5 sanity conditions (test accuracy, predictions unchanged with the null block
//! zeroed), for BlockMNIST-Top models the App. B transfer to images with the digit at the bottom,
//! computes attributions of every method named for it on the first test images and scores them
//! with the mask metrics of [`crate::metric::mask`] (the null-block proxy of App. D.1 at each k,
//! relevance mass / rank accuracy, pointing game), and for standard models compares the input
//! gradients before and after training (App. D.3, Fig 24). Tables and figures are drawn from the
//! cells; the claims are §5's and App. D's sentences with explicit rules.
//!
//! Model names in specs: `VARIANT ARCH TRAINING`, e.g. `blockmnist[0,1] mlp l2:4`, with VARIANT a
//! [`BlockMnistSpec::name`] (`blockmnist[…]`, `blockmnist-top[…]`, `mnist-distractor[…]`; `0..9`
//! for all ten digits), ARCH `mlp`, `cnn` (Madry et al.'s MNIST CNN) or `resnet18`, TRAINING
//! `standard`, `l2:EPS` or `linf:EPS` (PGD-AT with seed 000's 8 steps of ε/4).

use std::sync::Arc;

use burn::module::AutodiffModule;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;
use ndarray::{Array2, Array3};
use serde::{Deserialize, Serialize};

use super::backend::{self, OnBackend};
use super::claim::{self, Claim, Outcome};
use super::grid::{Assembled, CellContext, CellSpec, Experiment, Plan};
use super::seed000_diffroar::{ModelEntry as Training, Recipe};
use super::spec::{Keys, Scale};
use super::{from_json, to_json, Figure, Table};
use crate::attribution::method::{BaselineSpec, Context as MethodContext, Method};
use crate::attribution::rank::KeepFraction;
use crate::attribution::{Class, IgRule, LrpRule, NoiseKind, Sigma, Target};
use crate::data::block_mnist::{self, BlockMnistSpec, NullKind, Placement};
use crate::data::{idx, store, Normalization, Split};
use crate::error::{Error, Result};
use crate::metric::correlation::{pearson, spearman};
use crate::metric::mask::{null_block_proxy, pointing_game, relevance_mass_accuracy, relevance_rank_accuracy};
use crate::model::{self, Activation, Classifier, InputShape, ModelSpec, Net, ResNetDepth, Stem};
use crate::plot::curves::{line_plot_bytes, Legend, LinePlot, Mark, Series};
use crate::plot::maps::{map_grid_png, Cell as MapCell, MapGrid, MapRow};
use crate::rng::Seed;
use crate::train::{self, Attack, Examples, Objective, RunOptions, ThreatModel};

/// Seed streams.
const STREAM_MODEL: u64 = 1;
const STREAM_TIES: u64 = 2;
const STREAM_PLACEMENT: u64 = 3;
/// Evaluation batch.
const EVAL_BATCH: usize = 500;
/// Decimals of the stored (per-map normalised) heat-map values: the figures draw 256 colours.
const MAP_DECIMALS: i32 = 3;
/// Size of line figures in pixels.
const FIG_SIZE: (u32, u32) = (900, 600);
/// Screen pixels per image pixel in heat-map grids.
const MAP_SCALE: u32 = 2;
/// Attribution methods a spec can name (App. D.4 plus the input gradient): `saliency` (∇ₓ of
/// the predicted logit, as the paper's figures), `ig` (Integrated Gradients from the zero image,
/// midpoint rule), `lrp` (ε rule), `guided_backprop`, `smoothgrad_S` (σ = S in [0, 1] pixel units),
/// `occlusion_R` (R×R patches, stride R, zero fill).
pub const METHOD_FAMILIES: [&str; 6] = ["saliency", "ig", "lrp", "guided_backprop", "smoothgrad_<sigma>", "occlusion_<size>"];
/// The LRP ε (Captum's default stabiliser).
const LRP_EPS: f64 = 1e-9;

/// One model of the study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyModel {
    /// Name in tables: `VARIANT ARCH TRAINING` as the spec writes it.
    pub name: String,
    /// The data variant.
    pub variant: BlockMnistSpec,
    /// `mlp`, `cnn` or `resnet18`.
    pub arch: String,
    /// Standard or PGD-AT.
    pub training: Training,
}

/// Parses `blockmnist[0,1]`, `blockmnist-top[2,4]`, `mnist-distractor[0..9]`.
pub fn parse_variant(s: &str, seed: Seed) -> std::result::Result<BlockMnistSpec, String> {
    let (base, rest) = s.split_once('[').ok_or_else(|| format!("`{s}`: expected e.g. blockmnist[0,1]"))?;
    let inner = rest.strip_suffix(']').ok_or_else(|| format!("`{s}`: missing `]`"))?;
    let (placement, null) = match base {
        "blockmnist" => (Placement::Random, NullKind::Patch),
        "blockmnist-top" => (Placement::SignalTop, NullKind::Patch),
        "mnist-distractor" => (Placement::Random, NullKind::LetterA),
        "mnist-distractor-top" => (Placement::SignalTop, NullKind::LetterA),
        other => return Err(format!("`{other}`: expected blockmnist, blockmnist-top, mnist-distractor or mnist-distractor-top")),
    };
    let digits: Vec<u8> = if inner == "0..9" {
        block_mnist::classes::ALL.to_vec()
    } else {
        inner.split(',').map(|d| d.trim().parse::<u8>().map_err(|_| format!("`{s}`: `{d}` is not a digit"))).collect::<std::result::Result<_, _>>()?
    };
    let spec = BlockMnistSpec { digits, placement, null, seed };
    spec.validate().map_err(|e| format!("`{s}`: {e}"))?;
    Ok(spec)
}

/// The display name of a variant (`0..9` for all ten digits).
fn variant_name(v: &BlockMnistSpec) -> String {
    let n = v.name();
    n.replace("[0,1,2,3,4,5,6,7,8,9]", "[0..9]")
}

impl StudyModel {
    fn parse(s: &str, seed: Seed) -> std::result::Result<Self, String> {
        let parts: Vec<&str> = s.split_whitespace().collect();
        let [variant, arch, training] = parts[..] else {
            return Err(format!("`{s}`: expected `VARIANT ARCH TRAINING`, e.g. `blockmnist[0,1] mlp l2:4`"));
        };
        if !["mlp", "cnn", "resnet18"].contains(&arch) {
            return Err(format!("`{s}`: architecture `{arch}`: expected mlp, cnn or resnet18"));
        }
        let variant = parse_variant(variant, seed)?;
        let training = Training::parse(training).map_err(|e| format!("`{s}`: {e}"))?;
        Ok(StudyModel { name: parts.join(" "), variant, arch: arch.into(), training })
    }

    fn standard(&self) -> bool {
        self.training.norm.is_none()
    }
}

/// One scale of the study's spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockStudySpec {
    /// The models.
    pub models: Vec<StudyModel>,
    /// Hidden widths of `mlp` (paper: 3136, 3136 = 2 × the 1568 inputs).
    pub hidden: Vec<usize>,
    /// Training images used per variant (the first ones after the build); 0 = all.
    pub train_limit: usize,
    /// Test images for the accuracy checks; 0 = all.
    pub test_limit: usize,
    /// Test images whose attributions are scored (the first ones).
    pub eval_examples: usize,
    /// Saliency heat maps per model in the figures (Fig 14: 40).
    pub heatmaps: usize,
    /// Examples in the per-method panels (Figs 25–30).
    pub panel_examples: usize,
    /// Levels k of the null-block proxy (fractions of the 1568 coordinates).
    pub k: Vec<f64>,
    /// Methods run on the models of `method_models` (see [`METHOD_FAMILIES`]).
    pub methods: Vec<String>,
    /// Models that get every method (the others get `saliency`).
    pub method_models: Vec<String>,
    /// Integrated-Gradients steps.
    pub ig_steps: usize,
    /// SmoothGrad samples.
    pub smoothgrad_samples: usize,
    /// Gradient pairs (before, after training) kept per standard model for the Fig 24 scatter.
    pub scatter_points: usize,
    /// Training recipe of the MLPs.
    pub train: Recipe,
    /// Training recipe of the CNNs (`train_cnn` table; default `train`).
    pub train_cnn: Recipe,
    /// ε warm-up of the adversarial training of MLPs: before the recipe's run at ε,
    /// `warmup_epochs` epochs at each of these fractions of ε, in order (empty: none, the paper).
    pub eps_warmup: Vec<f64>,
    /// Epochs of each warm-up stage.
    pub warmup_epochs: usize,
    /// Seed of placements, models and tie-breaks.
    pub seed: u64,
}

fn check_method(m: &str) -> std::result::Result<(), String> {
    match m {
        "saliency" | "ig" | "lrp" | "guided_backprop" => Ok(()),
        _ => {
            if let Some(s) = m.strip_prefix("smoothgrad_") {
                let v: f64 = s.parse().map_err(|_| format!("`{m}`: `{s}` is not a number"))?;
                if v.is_finite() && v > 0.0 {
                    return Ok(());
                }
                return Err(format!("`{m}`: σ must be > 0"));
            }
            if let Some(s) = m.strip_prefix("occlusion_") {
                let v: usize = s.parse().map_err(|_| format!("`{m}`: `{s}` is not a patch size"))?;
                if (1..=block_mnist::SIDE).contains(&v) {
                    return Ok(());
                }
                return Err(format!("`{m}`: the patch size must be in 1..=28"));
            }
            Err(format!("`{m}`: expected one of {}", METHOD_FAMILIES.join(", ")))
        }
    }
}

impl BlockStudySpec {
    /// Reads and validates one scale table.
    pub fn from_keys(k: &Keys<'_>) -> Result<Self> {
        let seed = k.usize_min("seed", 0)? as u64;
        let models = k.strings("models")?.iter().enumerate().map(|(i, s)| StudyModel::parse(s, Seed(seed).derive(STREAM_PLACEMENT)).map_err(|e| k.error(&format!("models[{i}]"), e))).collect::<Result<Vec<_>>>()?;
        if models.is_empty() {
            return Err(k.error("models", "needs at least one model"));
        }
        for (i, m) in models.iter().enumerate() {
            if models[..i].iter().any(|o| o.name == m.name) {
                return Err(k.error(&format!("models[{i}]"), format!("`{}` is listed twice", m.name)));
            }
        }
        let kk = k.f64_grid("k", 0.0, 1.0)?;
        if let Some((i, _)) = kk.iter().enumerate().find(|(_, &v)| v <= 0.0) {
            return Err(k.error(&format!("k[{i}]"), "levels must be > 0"));
        }
        let methods = k.strings("methods")?;
        for (i, m) in methods.iter().enumerate() {
            check_method(m).map_err(|e| k.error(&format!("methods[{i}]"), e))?;
        }
        if !methods.iter().any(|m| m == "saliency") {
            return Err(k.error("methods", "must include `saliency` (the input gradient every claim is about)"));
        }
        let method_models = k.strings("method_models")?;
        for (i, m) in method_models.iter().enumerate() {
            let norm = m.split_whitespace().collect::<Vec<_>>().join(" ");
            if !models.iter().any(|o| o.name == norm) {
                return Err(k.error(&format!("method_models[{i}]"), format!("`{m}` is not one of `models`")));
            }
        }
        let train_t = k.table("train")?;
        let train = Recipe::from_keys(&train_t, "train")?;
        let train_cnn = if k.has("train_cnn") { Recipe::from_keys(&k.table("train_cnn")?, "train_cnn")? } else { train.clone() };
        let spec = BlockStudySpec {
            models,
            hidden: k.usize_list("hidden", 1)?,
            train_limit: k.usize_min("train_limit", 0)?,
            test_limit: k.usize_min("test_limit", 0)?,
            eval_examples: k.usize_min("eval_examples", 1)?,
            heatmaps: k.usize_min("heatmaps", 1)?,
            panel_examples: k.usize_min("panel_examples", 1)?,
            k: kk,
            methods,
            method_models: method_models.iter().map(|m| m.split_whitespace().collect::<Vec<_>>().join(" ")).collect(),
            ig_steps: k.usize_min("ig_steps", 1)?,
            smoothgrad_samples: k.usize_min("smoothgrad_samples", 1)?,
            scatter_points: k.usize_min("scatter_points", 2)?,
            train,
            train_cnn,
            eps_warmup: if k.has("eps_warmup") { k.f64_grid("eps_warmup", 0.0, 1.0)? } else { Vec::new() },
            warmup_epochs: if k.has("warmup_epochs") { k.usize_min("warmup_epochs", 1)? } else { 0 },
            seed,
        };
        k.finish()?;
        if spec.heatmaps > spec.eval_examples || spec.panel_examples > spec.eval_examples {
            return Err(k.error("heatmaps", format!("heatmaps ({}) and panel_examples ({}) cannot exceed eval_examples ({})", spec.heatmaps, spec.panel_examples, spec.eval_examples)));
        }
        if !spec.eps_warmup.is_empty() && spec.warmup_epochs == 0 {
            return Err(k.error("warmup_epochs", "eps_warmup needs warmup_epochs ≥ 1"));
        }
        if spec.test_limit != 0 && spec.eval_examples > spec.test_limit {
            return Err(k.error("eval_examples", format!("{} exceeds test_limit = {}", spec.eval_examples, spec.test_limit)));
        }
        Ok(spec)
    }

    fn arch(&self, arch: &str) -> ModelSpec {
        let activation = Activation::Relu;
        match arch {
            "cnn" => ModelSpec::MadryCnn { activation },
            "resnet18" => ModelSpec::ResNet { depth: ResNetDepth::R18, stem: Stem::Cifar, activation },
            _ => ModelSpec::Mlp { hidden: if self.hidden.is_empty() { vec![2 * 2 * block_mnist::BLOCK; 2] } else { self.hidden.clone() }, activation, mean_field: false },
        }
    }

    /// Everything one model's cell depends on (its id): a change to another model's settings does
    /// not recompute it.
    fn cell_params(&self, m: &StudyModel) -> serde_json::Value {
        let mlp = m.arch == "mlp";
        serde_json::json!({
            "model": m,
            "architecture": self.arch(&m.arch),
            "recipe": if mlp { &self.train } else { &self.train_cnn },
            "warmup": if mlp && !m.standard() { serde_json::json!([self.eps_warmup, self.warmup_epochs]) } else { serde_json::Value::Null },
            "data": [self.train_limit, self.test_limit, self.eval_examples, self.heatmaps, self.panel_examples],
            "k": self.k,
            "methods": self.methods_of(&m.name),
            "method_settings": [self.ig_steps, self.smoothgrad_samples, self.scatter_points],
            "seed": self.seed,
        })
    }

    fn methods_of(&self, model: &str) -> Vec<String> {
        if self.method_models.iter().any(|m| m == model) {
            self.methods.clone()
        } else {
            vec!["saliency".into()]
        }
    }
}

/// The method and target of a method name.
fn method_of(name: &str, spec: &BlockStudySpec, seed: Seed) -> Result<Method> {
    Ok(match name {
        "saliency" => Method::Saliency,
        "ig" => Method::IntegratedGradients { rule: IgRule::Middle, steps: spec.ig_steps, baseline: BaselineSpec::Zero },
        "lrp" => Method::Lrp { rule: LrpRule::Epsilon, eps: LRP_EPS },
        "guided_backprop" => Method::GuidedBackprop,
        other => {
            if let Some(s) = other.strip_prefix("smoothgrad_") {
                let sigma: f64 = s.parse().map_err(|_| Error::param("methods", format!("`{other}`")))?;
                Method::Noise { kind: NoiseKind::SmoothGrad, samples: spec.smoothgrad_samples, sigma: Sigma::Absolute(sigma), seed: seed.0, of: Box::new(Method::Saliency) }
            } else if let Some(s) = other.strip_prefix("occlusion_") {
                let r: usize = s.parse().map_err(|_| Error::param("methods", format!("`{other}`")))?;
                Method::Occlusion { window: [0, r, r], stride: [1, r, r], fill: 0.0 }
            } else {
                return Err(Error::param("methods", format!("`{other}`: expected one of {}", METHOD_FAMILIES.join(", "))));
            }
        }
    })
}

/// A built variant: training and test rows, labels, signal masks, placements.
struct VariantData {
    classes: usize,
    norm: Normalization,
    train_x: Array2<f32>,
    train_y: Vec<usize>,
    test_x: Array2<f32>,
    test_y: Vec<usize>,
    test_signal: Vec<Vec<bool>>,
    test_on_top: Vec<bool>,
}

const SHAPE: InputShape = InputShape::Image { c: 1, h: 2 * block_mnist::SIDE, w: block_mnist::SIDE };

fn build_variant(v: &BlockMnistSpec, train_limit: usize, test_limit: usize) -> Result<VariantData> {
    let dir = store::resolve_data_dir(None).join("mnist");
    let norm = Normalization::default();
    let mut parts = Vec::new();
    for (split, stream, limit) in [(Split::Train, 0u64, train_limit), (Split::Test, 1u64, test_limit)] {
        let raw = idx::read_raw(&dir, split)?;
        let spec = BlockMnistSpec { seed: v.seed.derive(stream), ..v.clone() };
        let b = block_mnist::build(&raw, &spec, &norm)?;
        let n = if limit == 0 { b.data.len() } else { limit.min(b.data.len()) };
        let x = b.data.flattened().slice(ndarray::s![..n, ..]).to_owned();
        let mask = b.data.signal_mask.as_ref().ok_or_else(|| Error::Shape("BlockMNIST without a signal mask".into()))?;
        let signal: Vec<Vec<bool>> = (0..n).map(|i| mask.index_axis(ndarray::Axis(0), i).iter().copied().collect()).collect();
        parts.push((x, b.data.labels[..n].to_vec(), signal, b.signal_on_top[..n].to_vec(), b.data.num_classes));
    }
    let (test_x, test_y, test_signal, test_on_top, classes) = parts.pop().ok_or_else(|| Error::Shape("no test split".into()))?;
    let (train_x, train_y, _, _, _) = parts.pop().ok_or_else(|| Error::Shape("no train split".into()))?;
    Ok(VariantData { classes, norm, train_x, train_y, test_x, test_y, test_signal, test_on_top })
}

/// The experiment.
pub struct BlockStudy {
    cache: super::Shared<VariantData>,
}

impl Default for BlockStudy {
    fn default() -> Self {
        BlockStudy { cache: super::Shared::default() }
    }
}

impl BlockStudy {
    fn variant(&self, v: &BlockMnistSpec, spec: &BlockStudySpec) -> Result<Arc<VariantData>> {
        let key = serde_json::json!([v, spec.train_limit, spec.test_limit]).to_string();
        self.cache.get_or(key, || build_variant(v, spec.train_limit, spec.test_limit))
    }
}

/// Scores of one method on one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodScores {
    /// Method name.
    pub method: String,
    /// (k, mean null-block proxy, examples scored).
    pub proxy: Vec<(f64, f64, usize)>,
    /// Mean relevance mass accuracy (signal mask) and examples scored.
    pub relevance_mass: (f64, usize),
    /// Mean relevance rank accuracy.
    pub relevance_rank: (f64, usize),
    /// Pointing-game hit rate.
    pub pointing: (f64, usize),
    /// The first maps, each divided by its max |value| and rounded.
    pub maps: Vec<Vec<f32>>,
}

/// What one model's cell computes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelResult {
    /// Model name.
    pub model: String,
    /// Variant name.
    pub variant: String,
    /// Architecture.
    pub arch: String,
    /// `standard`, `l2 eps=…`, `linf eps=…`.
    pub training: String,
    /// Epochs trained.
    pub epochs: usize,
    /// Final training loss.
    pub final_train_loss: f64,
    /// Clean test accuracy.
    pub test_accuracy: f64,
    /// Fraction of test images whose prediction is unchanged when the null block is zeroed.
    pub null_zeroed_agreement: f64,
    /// For signal-on-top variants: accuracy on images with the signal at the bottom (App. B).
    pub transfer_accuracy: Option<f64>,
    /// For standard models: Pearson and Spearman correlation of the input gradients before vs
    /// after training over every pixel of the scored images, and mean |after| / mean |before|.
    pub init: Option<(f64, f64, f64)>,
    /// A subsample of the (before, after) gradient pairs for the Fig 24 scatter.
    pub scatter: Vec<(f32, f32)>,
    /// Scores per method.
    pub methods: Vec<MethodScores>,
    /// Labels and placements of the scored images shown in figures.
    pub shown: Vec<(usize, bool)>,
}

fn rows_tensor<B: Backend>(x: ndarray::ArrayView2<'_, f32>, device: &B::Device) -> Tensor<B, 2> {
    let (n, d) = x.dim();
    crate::attribution::from_vec(x.iter().copied().collect(), [n, d], device)
}

/// Predicted classes of `model` on the rows of `x`.
fn predictions<B: Backend, M: Classifier<B>>(model: &M, x: &Array2<f32>, device: &B::Device) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(x.nrows());
    for start in (0..x.nrows()).step_by(EVAL_BATCH) {
        let end = (start + EVAL_BATCH).min(x.nrows());
        let logits = model.logits(rows_tensor::<B>(x.slice(ndarray::s![start..end, ..]), device));
        let p: Vec<i64> = logits.argmax(1).into_data().convert::<i64>().to_vec().map_err(|e| Error::Shape(format!("predictions: {e:?}")))?;
        out.extend(p.into_iter().map(|v| v as usize));
    }
    Ok(out)
}

fn accuracy(pred: &[usize], y: &[usize]) -> f64 {
    pred.iter().zip(y).filter(|(a, b)| a == b).count() as f64 / y.len().max(1) as f64
}

/// Attributions `[n][D]` of `method` for the rows of `x` (signed, as the method returns them).
fn attributions<B>(model: &Net<B>, x: &Array2<f32>, method: &Method, device: &B::Device) -> Result<Vec<Vec<f32>>>
where
    B: AutodiffBackend,
    Net<B>: AutodiffModule<B>,
    <Net<B> as AutodiffModule<B>>::InnerModule: Classifier<B::InnerBackend>,
{
    let d = x.ncols();
    let attr = method.build::<B, Net<B>>(&MethodContext::default())?;
    let (a, _) = crate::attribution::attribute(attr.as_ref(), model, rows_tensor::<B::InnerBackend>(x.view(), device), Target::Logit(Class::Predicted), None)?;
    let a = crate::attribution::to_vec(&a.values)?;
    Ok(a.chunks(d).map(|r| r.to_vec()).collect())
}

fn mean_of(v: &[f64]) -> (f64, usize) {
    if v.is_empty() {
        (f64::NAN, 0)
    } else {
        (v.iter().sum::<f64>() / v.len() as f64, v.len())
    }
}

fn normalised(a: &[f32]) -> Vec<f32> {
    let m = a.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let scale = 10f32.powi(MAP_DECIMALS);
    a.iter().map(|v| if m > 0.0 { (v / m * scale).round() / scale } else { 0.0 }).collect()
}

/// Mask metrics of the attributions `a` of the scored images.
fn score(name: &str, a: &[Vec<f32>], data: &VariantData, spec: &BlockStudySpec, keep_maps: usize, tie: Seed) -> Result<MethodScores> {
    let nulls: Vec<Vec<bool>> = data.test_signal[..a.len()].iter().map(|sig| sig.iter().map(|s| !s).collect()).collect();
    let mut proxy = Vec::new();
    for &k in &spec.k {
        let kf = KeepFraction::new(k)?;
        let mut v = Vec::new();
        for (i, (row, null)) in a.iter().zip(&nulls).enumerate() {
            if let Some(p) = null_block_proxy(row, null, kf, tie.derive(i as u64))? {
                v.push(p);
            }
        }
        let (m, n) = mean_of(&v);
        proxy.push((k, m, n));
    }
    let (mut mass, mut rank, mut point) = (Vec::new(), Vec::new(), Vec::new());
    for (i, row) in a.iter().enumerate() {
        let s = &data.test_signal[i];
        if let Some(v) = relevance_mass_accuracy(row, s)? {
            mass.push(v);
        }
        if let Some(v) = relevance_rank_accuracy(row, s, tie.derive(i as u64))? {
            rank.push(v);
        }
        if let Some(v) = pointing_game(row, s)? {
            point.push(if v { 1.0 } else { 0.0 });
        }
    }
    Ok(MethodScores { method: name.into(), proxy, relevance_mass: mean_of(&mass), relevance_rank: mean_of(&rank), pointing: mean_of(&point), maps: a.iter().take(keep_maps).map(|r| normalised(r)).collect() })
}

struct CellJob<'e> {
    exp: &'e BlockStudy,
    spec: BlockStudySpec,
    model: StudyModel,
    log: &'e mut dyn FnMut(&str),
}

impl OnBackend for CellJob<'_> {
    type Output = serde_json::Value;
    fn run<B: AutodiffBackend>(self, device: &B::Device) -> Result<serde_json::Value>
    where
        Net<B>: AutodiffModule<B>,
        <Net<B> as AutodiffModule<B>>::InnerModule: Classifier<B::InnerBackend>,
    {
        let CellJob { exp, spec, model: m, log } = self;
        let data = exp.variant(&m.variant, &spec)?;
        let arch = spec.arch(&m.arch);
        let objective_at = |eps: f64| -> Result<Objective> {
            Ok(match m.training.norm {
                None => Objective::Standard,
                Some(norm) => Objective::Adversarial { threat: ThreatModel::new(norm, eps, Some(data.norm.range))?, attack: Attack::seed000_training(eps) },
            })
        };
        let objective = objective_at(m.training.eps)?;
        let model_seed = Seed(spec.seed).derive(STREAM_MODEL);
        let fresh = || model::build::<B>(&arch, SHAPE, data.classes, model_seed, device);
        let tr = Examples::new(data.train_x.view(), &data.train_y, Some([1, 2 * block_mnist::SIDE, block_mnist::SIDE]))?;
        log(&format!("  training {} ({} images, {})", m.name, data.train_y.len(), arch.name()));
        let recipe = if m.arch == "mlp" { &spec.train } else { &spec.train_cnn };
        let mut start = fresh()?;
        let mut warm_epochs = 0;
        if !m.standard() && m.arch == "mlp" {
            for (i, f) in spec.eps_warmup.iter().enumerate() {
                log(&format!("    warm-up {}: {} epochs at ε = {}", i + 1, spec.warmup_epochs, f * m.training.eps));
                let cfg = Recipe { epochs: spec.warmup_epochs, ..recipe.clone() }.config(model_seed.derive(100 + i as u64));
                start = train::train::<B, _>(start, &tr, None, &cfg, &objective_at(f * m.training.eps)?, RunOptions::default(), device)?.model;
                warm_epochs += spec.warmup_epochs;
            }
        }
        let out = train::train::<B, _>(start, &tr, None, &recipe.config(model_seed), &objective, RunOptions::default(), device)?;
        let net = out.model;
        let valid = net.valid();
        let pred = predictions(&valid, &data.test_x, device)?;
        let test_accuracy = accuracy(&pred, &data.test_y);
        // §5: zero the null block (the black pixel of the normalisation) and compare predictions.
        let black = data.norm.pixel_map(0).map(0);
        let mut zeroed = data.test_x.clone();
        for (i, mut row) in zeroed.rows_mut().into_iter().enumerate() {
            for (v, &s) in row.iter_mut().zip(&data.test_signal[i]) {
                if !s {
                    *v = black;
                }
            }
        }
        let pred0 = predictions(&valid, &zeroed, device)?;
        let null_zeroed_agreement = accuracy(&pred0, &pred);
        // App. B: a signal-on-top model on images whose signal is at the bottom.
        let transfer_accuracy = if m.variant.placement == Placement::SignalTop {
            let random = BlockMnistSpec { placement: Placement::Random, ..m.variant.clone() };
            let rd = exp.variant(&random, &spec)?;
            let bottom: Vec<usize> = (0..rd.test_y.len()).filter(|&i| !rd.test_on_top[i]).collect();
            let x = rd.test_x.select(ndarray::Axis(0), &bottom);
            let y: Vec<usize> = bottom.iter().map(|&i| rd.test_y[i]).collect();
            Some(accuracy(&predictions(&valid, &x, device)?, &y))
        } else {
            None
        };
        log(&format!("  {}: test accuracy {test_accuracy:.4}, unchanged with the null block zeroed {null_zeroed_agreement:.4}{}", m.name, transfer_accuracy.map(|t| format!(", signal at the bottom {t:.4}")).unwrap_or_default()));
        let n = spec.eval_examples.min(data.test_y.len());
        let x = data.test_x.slice(ndarray::s![..n, ..]).to_owned();
        let tie = Seed(spec.seed).derive(STREAM_TIES);
        let mut methods = Vec::new();
        let mut saliency = Vec::new();
        for name in spec.methods_of(&m.name) {
            let method = method_of(&name, &spec, Seed(spec.seed))?;
            let a = attributions::<B>(&net, &x, &method, device)?;
            let keep = if name == "saliency" { spec.heatmaps } else { spec.panel_examples };
            let s = score(&name, &a, &data, &spec, keep, tie)?;
            log(&format!("    {name}: null-block proxy {}", s.proxy.iter().map(|(k, p, _)| format!("k={k}: {p:.3}")).collect::<Vec<_>>().join(", ")));
            if name == "saliency" {
                saliency = a;
            }
            methods.push(s);
        }
        // App. D.3: gradients of the same (untrained) initialisation on the same images.
        let (init, scatter) = if m.standard() {
            let before = attributions::<B>(&fresh()?, &x, &Method::Saliency, device)?;
            let b: Vec<f64> = before.iter().flatten().map(|&v| f64::from(v)).collect();
            let a: Vec<f64> = saliency.iter().flatten().map(|&v| f64::from(v)).collect();
            let mean_abs = |v: &[f64]| v.iter().map(|x| x.abs()).sum::<f64>() / v.len().max(1) as f64;
            let ratio = mean_abs(&a) / mean_abs(&b);
            let (r, rho) = (pearson(&b, &a)?.unwrap_or(f64::NAN), spearman(&b, &a)?.unwrap_or(f64::NAN));
            let step = (b.len() / spec.scatter_points).max(1);
            let scatter = (0..b.len()).step_by(step).take(spec.scatter_points).map(|i| (b[i] as f32, a[i] as f32)).collect();
            log(&format!("    before vs after training: Pearson {r:+.3}, Spearman {rho:+.3}, scale ratio {ratio:.1}"));
            (Some((r, rho, ratio)), scatter)
        } else {
            (None, Vec::new())
        };
        let shown = (0..spec.heatmaps.max(spec.panel_examples).min(n)).map(|i| (data.test_y[i], data.test_on_top[i])).collect();
        to_json(&ModelResult {
            model: m.name.clone(),
            variant: variant_name(&m.variant),
            arch: m.arch.clone(),
            training: m.training.name.clone(),
            epochs: warm_epochs + out.history.len(),
            final_train_loss: out.history.last().map_or(f64::NAN, |r| r.train_loss),
            test_accuracy,
            null_zeroed_agreement,
            transfer_accuracy,
            init,
            scatter,
            methods,
            shown,
        })
    }
}

/// Columns of the main table: one row per model, method and k.
pub const PROXY_HEADER: [&str; 8] = ["model", "variant", "arch", "training", "method", "k", "null_proxy", "examples"];
/// Columns of the mask-metric table.
pub const MASK_HEADER: [&str; 8] = ["model", "variant", "arch", "training", "method", "relevance_mass", "relevance_rank", "pointing_game"];
/// Columns of the model table.
pub const MODELS_HEADER: [&str; 12] = ["model", "variant", "arch", "training", "epochs", "final_train_loss", "test_accuracy", "null_zeroed_agreement", "transfer_accuracy", "init_pearson", "init_spearman", "init_scale_ratio"];
/// Columns of the maps table (per-map normalised values as integer percentages, space-separated;
/// `input` rows hold the images, 0–100).
pub const MAPS_HEADER: [&str; 7] = ["variant", "model", "method", "example", "label", "signal_on_top", "values"];
/// Columns of the Fig 24 scatter table.
pub const SCATTER_HEADER: [&str; 3] = ["model", "before", "after"];

/// Map and image values are written to the maps CSV as integer percentages (201 levels on
/// [−1, 1]; the figures draw 256 colours), which keeps the committed table small.
const CSV_SCALE: f32 = 100.0;

fn csv_value(v: f32) -> String {
    let r = (v * CSV_SCALE).round();
    if r == 0.0 { "0".into() } else { format!("{r}") }
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

impl Experiment for BlockStudy {
    fn id(&self) -> &str {
        "seed000_blockmnist"
    }
    fn about(&self) -> &str {
        "seed 000 §5, App. B, D.1–D.4 (Figs 1, 4, 14–30): feature leakage of standard and robust MLPs and CNNs on BlockMNIST, -Top, digit pairs, 10 classes and the seed-004 letter distractor, scored against the signal mask"
    }
    fn builtin_spec(&self) -> &str {
        include_str!("../../experiments/seed000_blockmnist.toml")
    }
    fn tables(&self) -> &[&str] {
        &["", "_mask", "_models", "_maps", "_scatter"]
    }
    fn needs_data(&self) -> &[&str] {
        &["mnist"]
    }
    fn plan(&self, keys: &Keys<'_>, _scale: Scale) -> Result<Plan> {
        let spec = BlockStudySpec::from_keys(keys)?;
        let mut cells = Vec::new();
        for m in &spec.models {
            cells.push(CellSpec::new(m.name.clone(), spec.cell_params(m))?);
        }
        Ok(Plan { params: to_json(&spec)?, seeds: vec![spec.seed], backend: train::CPU_BACKEND.into(), cells })
    }
    fn compute(&self, plan: &Plan, cell: &CellSpec, ctx: &mut CellContext<'_>) -> Result<serde_json::Value> {
        let spec: BlockStudySpec = plan.params()?;
        let model: StudyModel = from_json(&cell.params["model"])?;
        let device = ctx.device.clone();
        backend::dispatch(&device, CellJob { exp: self, spec, model, log: ctx.log })
    }
    fn gpu(&self) -> bool {
        true
    }
    fn assemble(&self, plan: &Plan, results: &[serde_json::Value]) -> Result<Assembled> {
        let spec: BlockStudySpec = plan.params()?;
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut proxy = Table { suffix: String::new(), header: h(&PROXY_HEADER), rows: Vec::new() };
        let mut mask = Table { suffix: "_mask".into(), header: h(&MASK_HEADER), rows: Vec::new() };
        let mut models = Table { suffix: "_models".into(), header: h(&MODELS_HEADER), rows: Vec::new() };
        let mut maps = Table { suffix: "_maps".into(), header: h(&MAPS_HEADER), rows: Vec::new() };
        let mut scatter = Table { suffix: "_scatter".into(), header: h(&SCATTER_HEADER), rows: Vec::new() };
        let mut inputs_done: Vec<String> = Vec::new();
        for v in results {
            let r: ModelResult = from_json(v)?;
            let id = [r.model.clone(), r.variant.clone(), r.arch.clone(), r.training.clone()];
            models.rows.push(
                id.iter()
                    .cloned()
                    .chain([
                        r.epochs.to_string(),
                        r.final_train_loss.to_string(),
                        r.test_accuracy.to_string(),
                        r.null_zeroed_agreement.to_string(),
                        opt(r.transfer_accuracy),
                        opt(r.init.map(|t| t.0)),
                        opt(r.init.map(|t| t.1)),
                        opt(r.init.map(|t| t.2)),
                    ])
                    .collect(),
            );
            for s in &r.methods {
                for (k, p, n) in &s.proxy {
                    proxy.rows.push(id.iter().cloned().chain([s.method.clone(), k.to_string(), p.to_string(), n.to_string()]).collect());
                }
                mask.rows.push(id.iter().cloned().chain([s.method.clone(), s.relevance_mass.0.to_string(), s.relevance_rank.0.to_string(), s.pointing.0.to_string()]).collect());
                for (i, m) in s.maps.iter().enumerate() {
                    let (label, top) = r.shown.get(i).copied().unwrap_or((0, false));
                    maps.rows.push(vec![r.variant.clone(), r.model.clone(), s.method.clone(), i.to_string(), label.to_string(), top.to_string(), m.iter().map(|&v| csv_value(v)).collect::<Vec<_>>().join(" ")]);
                }
            }
            if !inputs_done.contains(&r.variant) {
                // The shown images themselves, once per variant (rebuilt from the spec: cheap).
                let m = spec.models.iter().find(|m| m.name == r.model).ok_or_else(|| Error::Shape(format!("no model `{}` in the plan", r.model)))?;
                let data = self.variant(&m.variant, &spec)?;
                for (i, &(label, top)) in r.shown.iter().enumerate() {
                    let row = data.test_x.row(i);
                    let vals: Vec<String> = row.iter().map(|&v| csv_value(data.norm.to_unit(0, v))).collect();
                    maps.rows.push(vec![r.variant.clone(), String::new(), "input".into(), i.to_string(), label.to_string(), top.to_string(), vals.join(" ")]);
                }
                inputs_done.push(r.variant.clone());
            }
            for (b, a) in &r.scatter {
                scatter.rows.push(vec![r.model.clone(), b.to_string(), a.to_string()]);
            }
        }
        Ok(Assembled { tables: vec![proxy, mask, models, maps, scatter], unmet: Vec::new() })
    }
    fn plot(&self, tables: &[Table]) -> Result<Vec<Figure>> {
        plot(tables)
    }
    fn claims(&self) -> Vec<Claim> {
        claims()
    }
}

/// A file-name slug of a name (`blockmnist[0,1] mlp standard` → `blockmnist_0_1_mlp_standard`).
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').replace("0_9", "all").to_string()
}

/// Proxy curve (k, value) of `model` with `method`.
fn proxy_curve(t: &Table, model: &str, method: &str) -> Result<Vec<(f64, f64)>> {
    let (mc, me, kc, pc) = (claim::column(t, "model")?, claim::column(t, "method")?, claim::column(t, "k")?, claim::column(t, "null_proxy")?);
    t.rows.iter().filter(|r| r[mc] == model && r[me] == method).map(|r| Ok((super::cell_num(t, r, kc)?, super::cell_num(t, r, pc)?))).collect()
}

fn distinct(t: &Table, col: &str, filter: &dyn Fn(&[String]) -> bool) -> Result<Vec<String>> {
    let c = claim::column(t, col)?;
    let mut out: Vec<String> = Vec::new();
    for r in t.rows.iter().filter(|r| filter(r)) {
        if !out.contains(&r[c]) {
            out.push(r[c].clone());
        }
    }
    Ok(out)
}

fn proxy_figure(t: &Table, title: &str, models: &[String]) -> Result<Option<(Vec<u8>, String)>> {
    let mut series = Vec::new();
    for m in models {
        let pts = proxy_curve(t, m, "saliency")?;
        if !pts.is_empty() {
            series.push(Series { name: m.clone(), points: pts, mark: Mark::LineMarked });
        }
    }
    if series.is_empty() {
        return Ok(None);
    }
    let kmax = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).fold(0.0, f64::max);
    // Dense dots: the reference reads as a dotted line.
    let dots = 60;
    series.push(Series { name: "random attribution (null share ½)".into(), points: (0..=dots).map(|i| (kmax * i as f64 / dots as f64, 0.5)).collect(), mark: Mark::Dots });
    let plot = LinePlot { title: title.into(), x_label: "k (fraction of the 1568 coordinates)".into(), y_label: "fraction of top-k |gradient| in the null block".into(), series, bands: Vec::new() };
    line_plot_bytes(&plot, FIG_SIZE, Legend::UpperRight).map(Some)
}

fn parse_values(s: &str, what: &str) -> Result<Vec<f32>> {
    s.split_whitespace().map(|v| v.parse::<f32>().map(|x| x / CSV_SCALE).map_err(|_| Error::Shape(format!("maps table: `{v}` in {what} is not a number")))).collect()
}

fn map_cell(v: Vec<f32>, image: bool) -> Result<MapCell> {
    let (h, w) = (2 * block_mnist::SIDE, block_mnist::SIDE);
    if v.len() != h * w {
        return Err(Error::Shape(format!("maps table: a row of {} values, expected {}", v.len(), h * w)));
    }
    Ok(if image {
        MapCell::Image(Array3::from_shape_vec((1, h, w), v).map_err(|e| Error::Shape(e.to_string()))?)
    } else {
        MapCell::Map(Array2::from_shape_vec((h, w), v).map_err(|e| Error::Shape(e.to_string()))?)
    })
}

/// A grid: rows = shown examples of `variant`, columns = the input then one map per (model,
/// method) in `columns`.
fn map_grid(t: &Table, variant: &str, columns: &[(String, String)], title: String) -> Result<Option<Vec<u8>>> {
    let (vc, mc, me, ec, lc, tc, xc) = (claim::column(t, "variant")?, claim::column(t, "model")?, claim::column(t, "method")?, claim::column(t, "example")?, claim::column(t, "label")?, claim::column(t, "signal_on_top")?, claim::column(t, "values")?);
    let find = |model: &str, method: &str, ex: &str| t.rows.iter().find(|r| r[vc] == variant && r[mc] == model && r[me] == method && r[ec] == ex);
    let mut rows = Vec::new();
    for inp in t.rows.iter().filter(|r| r[vc] == variant && r[me] == "input") {
        let ex = &inp[ec];
        let mut cells = vec![map_cell(parse_values(&inp[xc], "an input")?, true)?];
        for (model, method) in columns {
            match find(model, method, ex) {
                Some(r) => cells.push(map_cell(parse_values(&r[xc], "a map")?, false)?),
                None => break,
            }
        }
        if cells.len() != columns.len() + 1 {
            break;
        }
        rows.push(MapRow { label: format!("y={} {}", inp[lc], if inp[tc] == "true" { "top" } else { "bottom" }), cells, captions: Vec::new() });
    }
    if rows.is_empty() {
        return Ok(None);
    }
    let mut names = vec!["input".to_string()];
    // One model's methods: name the methods; several models' gradients: name the models.
    let one_model = columns.iter().all(|c| c.0 == columns[0].0);
    names.extend(columns.iter().map(|(m, me)| if one_model { me.clone() } else { m.split_whitespace().skip(1).collect::<Vec<_>>().join(" ") }));
    map_grid_png(&MapGrid { title, columns: names, rows, scale: MAP_SCALE }).map(Some)
}

/// The figures: proxy curves (Figs 16, 17, one per data variant with two or more models), saliency
/// maps per variant (Figs 14, 15, 18–23), per-method panels (Figs 25–30), the Fig 24 scatter.
pub fn plot(tables: &[Table]) -> Result<Vec<Figure>> {
    let mut figs = Vec::new();
    let t = claim::table(tables, "")?;
    let vc = claim::column(t, "variant")?;
    for variant in distinct(t, "variant", &|_| true)? {
        let models = distinct(t, "model", &|r: &[String]| r[vc] == variant)?;
        if let Some((png, svg)) = proxy_figure(t, &format!("Null-block proxy of input gradients, {variant} (Fig 16)"), &models)? {
            figs.push(Figure { suffix: format!("_proxy_{}", slug(&variant)), png, svg });
        }
    }
    // Fig 17: standard models trained with the signal anywhere vs always on top.
    let trc = claim::column(t, "training")?;
    let pairs: Vec<String> = distinct(t, "model", &|r: &[String]| r[trc] == "standard" && r[vc].starts_with("blockmnist") && (r[vc].contains("[0,1]")))?;
    if pairs.iter().any(|m| m.starts_with("blockmnist-top")) {
        if let Some((png, svg)) = proxy_figure(t, "Standard models: BlockMNIST vs BlockMNIST-Top, digits 0/1 (Fig 17)", &pairs)? {
            figs.push(Figure { suffix: "_proxy_top".into(), png, svg });
        }
    }
    if let Ok(maps) = claim::table(tables, "_maps") {
        let (mvc, mmc, mme) = (claim::column(maps, "variant")?, claim::column(maps, "model")?, claim::column(maps, "method")?);
        for variant in distinct(maps, "variant", &|_| true)? {
            let models = distinct(maps, "model", &|r: &[String]| r[mvc] == variant && r[mme] == "saliency")?;
            let cols: Vec<(String, String)> = models.iter().map(|m| (m.clone(), "saliency".to_string())).collect();
            if let Some(png) = map_grid(maps, &variant, &cols, format!("Input gradients, {variant}"))? {
                figs.push(Figure { suffix: format!("_maps_{}", slug(&variant)), png, svg: String::new() });
            }
            for model in &models {
                let methods = distinct(maps, "method", &|r: &[String]| r[mvc] == variant && r[mmc] == *model && r[mme] != "input")?;
                if methods.len() > 1 {
                    let cols: Vec<(String, String)> = methods.iter().map(|me| (model.clone(), me.clone())).collect();
                    if let Some(png) = map_grid(maps, &variant, &cols, format!("Methods, {model}"))? {
                        figs.push(Figure { suffix: format!("_methods_{}", slug(model)), png, svg: String::new() });
                    }
                }
            }
        }
    }
    if let Ok(sc) = claim::table(tables, "_scatter") {
        let (mc, bc, ac2) = (claim::column(sc, "model")?, claim::column(sc, "before")?, claim::column(sc, "after")?);
        let mut series = Vec::new();
        for m in distinct(sc, "model", &|_| true)? {
            let pts: Vec<(f64, f64)> = sc.rows.iter().filter(|r| r[mc] == m).map(|r| Ok((super::cell_num(sc, r, bc)?, super::cell_num(sc, r, ac2)?))).collect::<Result<_>>()?;
            series.push(Series { name: m, points: pts, mark: Mark::Dots });
        }
        if !series.is_empty() {
            let plot = LinePlot { title: "Input gradients before (x) and after (y) standard training (Fig 24)".into(), x_label: "∂ logit / ∂ pixel at initialisation".into(), y_label: "∂ logit / ∂ pixel after training".into(), series, bands: Vec::new() };
            let (png, svg) = line_plot_bytes(&plot, FIG_SIZE, Legend::UpperRight)?;
            figs.push(Figure { suffix: "_init".into(), png, svg });
        }
    }
    Ok(figs)
}

// ---- claims ----

fn models_table(t: &[Table]) -> Result<&Table> {
    claim::table(t, "_models")
}

fn col_f64(t: &Table, r: &[String], name: &str) -> Result<f64> {
    super::cell_num(t, r, claim::column(t, name)?)
}

/// Rows of the model table whose variant satisfies `f`.
fn model_rows<'t>(t: &'t Table, f: &dyn Fn(&str, &str, &str) -> bool) -> Result<Vec<&'t Vec<String>>> {
    let (vc, ac, tc) = (claim::column(t, "variant")?, claim::column(t, "arch")?, claim::column(t, "training")?);
    Ok(t.rows.iter().filter(|r| f(&r[vc], &r[ac], &r[tc])).collect())
}

fn none_found(what: &str) -> Result<Outcome> {
    Err(Error::param("tables", format!("no {what} in the results")))
}

/// Saliency proxy curve of the model with (variant, arch, training).
fn curve_of(t: &[Table], variant: &str, arch: &str, training: &str, method: &str) -> Result<Vec<(f64, f64)>> {
    let p = claim::table(t, "")?;
    let (vc, ac, tc, mc) = (claim::column(p, "variant")?, claim::column(p, "arch")?, claim::column(p, "training")?, claim::column(p, "model")?);
    let model = p.rows.iter().find(|r| r[vc] == variant && r[ac] == arch && r[tc] == training).map(|r| r[mc].clone());
    match model {
        Some(m) => proxy_curve(p, &m, method),
        None => Ok(Vec::new()),
    }
}

/// Pairs (variant, arch, robust training) of every robust model with a standard twin.
fn robust_pairs(t: &[Table]) -> Result<Vec<(String, String, String)>> {
    let m = models_table(t)?;
    let rows = model_rows(m, &|_, _, tr| tr != "standard")?;
    let (vc, ac, tc) = (claim::column(m, "variant")?, claim::column(m, "arch")?, claim::column(m, "training")?);
    let std = model_rows(m, &|_, _, tr| tr == "standard")?;
    Ok(rows.into_iter().filter(|r| std.iter().any(|s| s[vc] == r[vc] && s[ac] == r[ac])).map(|r| (r[vc].clone(), r[ac].clone(), r[tc].clone())).collect())
}

/// The data set of §5's sentences (accuracy, null block zeroed).
const SEC5_VARIANT: &str = "blockmnist[0,1]";
/// Standard models leak at least this share of their top-k gradient into the null block at every
/// k: the share an ideal attribution puts there is 0, a random one ½; 0.1 is a visible leak.
const LEAK_FLOOR: f64 = 0.1;
/// The §5 accuracy level ("99.99 %" in the paper; ≥ 99 % is the rule).
const ACCURACY_LEVEL: f64 = 0.99;
/// App. B: a signal-on-top model's accuracy on signal-at-the-bottom images ("approximately 55 %");
/// the rule: below this, i.e. far from its in-distribution accuracy.
const TRANSFER_CEILING: f64 = 0.75;
/// Fig 24: "at least an order of magnitude larger" after training.
const SCALE_FACTOR: f64 = 10.0;
/// Fig 24: "uncorrelated" — |Spearman ρ| below this.
const UNCORRELATED: f64 = 0.3;

fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "000.sec5.accuracy",
            claim: "standard and robust models trained on BlockMNIST attain 99.99 % test accuracy",
            source: "seed 000 §5",
            rule: "every model trained on BlockMNIST {0, 1} (§5's data set) reaches test accuracy ≥ 99 %",
            paper: "99.99 %",
            check: |t| {
                let m = models_table(t)?;
                let rows = model_rows(m, &|v, _, _| v == SEC5_VARIANT)?;
                if rows.is_empty() {
                    return none_found("BlockMNIST model");
                }
                let mc = claim::column(m, "model")?;
                let mut worst = (f64::INFINITY, String::new());
                for r in &rows {
                    let a = col_f64(m, r, "test_accuracy")?;
                    if a < worst.0 {
                        worst = (a, r[mc].clone());
                    }
                }
                Ok(Outcome { holds: worst.0 >= ACCURACY_LEVEL, ours: format!("min {:.4}", worst.0), detail: format!("lowest: {} of {} models", worst.1, rows.len()) })
            },
        },
        Claim {
            id: "000.sec5.null_block_ignored",
            claim: "the predictions of trained models remain unchanged on almost every instance when all pixels in the null block are set to zero",
            source: "seed 000 §5",
            rule: "for every model trained on BlockMNIST {0, 1}, predictions unchanged on ≥ 99 % of the test images",
            paper: "almost every instance",
            check: |t| {
                let m = models_table(t)?;
                let mc = claim::column(m, "model")?;
                let mut worst = (f64::INFINITY, String::new());
                let rows = model_rows(m, &|v, _, _| v == SEC5_VARIANT)?;
                for r in &rows {
                    let a = col_f64(m, r, "null_zeroed_agreement")?;
                    if a < worst.0 {
                        worst = (a, r[mc].clone());
                    }
                }
                if rows.is_empty() {
                    return none_found("BlockMNIST {0, 1} model");
                }
                Ok(Outcome { holds: worst.0 >= ACCURACY_LEVEL, ours: format!("min {:.4}", worst.0), detail: format!("lowest: {}", worst.1) })
            },
        },
        Claim {
            id: "000.fig16.standard_leaks_robust_does_not",
            claim: "input gradients of standard models highlight the null block (feature leakage); adversarially trained models place significantly fewer top-k attributions in it",
            source: "seed 000 §5, Figs 1, 14, 16, 18–23",
            rule: "for every (variant, arch) with a standard and a robust model: the standard model's saliency proxy ≥ 0.1 at every k, and the robust model's is below the standard's at the smallest k and at more than half of the levels k (the paper: \"for multiple values of k\")",
            paper: "standard > robust",
            check: |t| {
                let pairs = robust_pairs(t)?;
                if pairs.is_empty() {
                    return none_found("standard/robust pair");
                }
                let mut bad = Vec::new();
                let mut parts = Vec::new();
                for (v, a, tr) in &pairs {
                    let s = curve_of(t, v, a, "standard", "saliency")?;
                    let r = curve_of(t, v, a, tr, "saliency")?;
                    let smin = s.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
                    let below: Vec<bool> = s.iter().zip(&r).map(|(x, y)| y.1 < x.1).collect();
                    let n_below = below.iter().filter(|&&b| b).count();
                    let gap_ok = below.first().copied().unwrap_or(false) && 2 * n_below > below.len();
                    let rmin = r.first().map_or(f64::NAN, |p| p.1);
                    let smin0 = s.first().map_or(f64::NAN, |p| p.1);
                    parts.push(format!("{v} {a}: at k = {}: standard {smin0:.3}, {tr} {rmin:.3}; robust below at {n_below}/{} k; standard ≥ {smin:.3}", s.first().map_or(f64::NAN, |p| p.0), below.len()));
                    if smin < LEAK_FLOOR || !gap_ok {
                        bad.push(format!("{v} {a}"));
                    }
                }
                Ok(Outcome { holds: bad.is_empty(), ours: format!("{} of {} pairs", pairs.len() - bad.len(), pairs.len()), detail: parts.join("; ") })
            },
        },
        Claim {
            id: "000.fig17.top_models_do_not_leak",
            claim: "standard models trained on BlockMNIST-Top place significantly fewer top-k attributions in the null block than standard models trained on BlockMNIST",
            source: "seed 000 §5, Figs 4, 15, 17",
            rule: "for every -Top standard model with a BlockMNIST twin (same digits, arch): its saliency proxy is below the twin's at every k",
            paper: "Top < BlockMNIST",
            check: |t| {
                let m = models_table(t)?;
                let tops = model_rows(m, &|v, _, tr| v.starts_with("blockmnist-top") && tr == "standard")?;
                let (vc, ac) = (claim::column(m, "variant")?, claim::column(m, "arch")?);
                let mut parts = Vec::new();
                let mut ok = true;
                for r in &tops {
                    let twin = r[vc].replacen("blockmnist-top", "blockmnist", 1);
                    let a = curve_of(t, &r[vc], &r[ac], "standard", "saliency")?;
                    let b = curve_of(t, &twin, &r[ac], "standard", "saliency")?;
                    if b.is_empty() {
                        continue;
                    }
                    let below = a.iter().zip(&b).all(|(x, y)| x.1 < y.1);
                    ok &= below;
                    parts.push(format!("{} {}: {:.3} vs {:.3} at k = {}", r[vc], r[ac], a[0].1, b[0].1, a[0].0));
                }
                if parts.is_empty() {
                    return none_found("BlockMNIST-Top model with a BlockMNIST twin");
                }
                Ok(Outcome { holds: ok, ours: format!("{} pair(s)", parts.len()), detail: parts.join("; ") })
            },
        },
        Claim {
            id: "000.appB.top_models_do_not_transfer",
            claim: "models trained on BlockMNIST-Top degrade to approximately 55 % accuracy on images with the digit in the bottom block",
            source: "seed 000 App. B (translation invariance)",
            rule: "every -Top model's accuracy on signal-at-the-bottom test images < 75 %",
            paper: "≈ 55 %",
            check: |t| {
                let m = models_table(t)?;
                let tops = model_rows(m, &|v, _, _| v.contains("-top"))?;
                if tops.is_empty() {
                    return none_found("-Top model");
                }
                let mc = claim::column(m, "model")?;
                let mut vals = Vec::new();
                for r in &tops {
                    vals.push((r[mc].clone(), col_f64(m, r, "transfer_accuracy")?));
                }
                let max = vals.iter().map(|v| v.1).fold(0.0, f64::max);
                Ok(Outcome { holds: max < TRANSFER_CEILING, ours: vals.iter().map(|(_, v)| format!("{v:.3}")).collect::<Vec<_>>().join(", "), detail: vals.iter().map(|(n, v)| format!("{n}: {v:.3}")).collect::<Vec<_>>().join("; ") })
            },
        },
        Claim {
            id: "000.fig24.init_does_not_explain",
            claim: "the scale of gradients after training is at least an order of magnitude larger than before training, and the values before and after are uncorrelated",
            source: "seed 000 App. D.3, Fig 24 (shown there on four image benchmarks; tested here on the BlockMNIST-family standard models)",
            rule: "for every standard model: mean |g| after / before ≥ 10 and |Spearman ρ| < 0.3",
            paper: "≥ 10×, uncorrelated",
            check: |t| {
                let m = models_table(t)?;
                let rows = model_rows(m, &|_, _, tr| tr == "standard")?;
                if rows.is_empty() {
                    return none_found("standard model");
                }
                let mc = claim::column(m, "model")?;
                let (mut min_ratio, mut max_rho) = (f64::INFINITY, 0.0f64);
                let mut bad = Vec::new();
                for r in &rows {
                    let (ratio, rho) = (col_f64(m, r, "init_scale_ratio")?, col_f64(m, r, "init_spearman")?);
                    min_ratio = min_ratio.min(ratio);
                    max_rho = max_rho.max(rho.abs());
                    if ratio < SCALE_FACTOR || rho.abs() >= UNCORRELATED {
                        bad.push(format!("{}: ×{ratio:.1}, ρ {rho:+.2}", r[mc]));
                    }
                }
                Ok(Outcome { holds: bad.is_empty(), ours: format!("ratio ≥ {min_ratio:.1}, |ρ| ≤ {max_rho:.2}"), detail: if bad.is_empty() { format!("{} standard models", rows.len()) } else { bad.join("; ") } })
            },
        },
        Claim {
            id: "000.figs25-30.methods_leak_on_standard",
            claim: "IG, LRP, Guided Backprop, SmoothGrad and Occlusion all exhibit feature leakage on standard models trained on BlockMNIST, and not on robust ones (LRP on the ResNet18 is the paper's exception)",
            source: "seed 000 App. D.4, Figs 25–30",
            rule: "for every method run on a standard/robust pair: the robust model's proxy is below the standard's at every k (a method on a CNN that fails is reported, LRP being the exception the paper names)",
            paper: "all methods: standard > robust",
            check: |t| {
                let p = claim::table(t, "")?;
                let (vc, ac, tc, mec) = (claim::column(p, "variant")?, claim::column(p, "arch")?, claim::column(p, "training")?, claim::column(p, "method")?);
                let mut tested = 0;
                let mut bad = Vec::new();
                for (v, a, tr) in robust_pairs(t)? {
                    let methods = distinct(p, "method", &|r: &[String]| r[vc] == v && r[ac] == a && r[tc] == tr && r[mec] != "saliency")?;
                    for me in methods {
                        let s = curve_of(t, &v, &a, "standard", &me)?;
                        let r = curve_of(t, &v, &a, &tr, &me)?;
                        if s.is_empty() {
                            continue;
                        }
                        tested += 1;
                        if !s.iter().zip(&r).all(|(x, y)| y.1 < x.1) {
                            bad.push(format!("{me} on {v} {a}"));
                        }
                    }
                }
                if tested == 0 {
                    return none_found("method other than saliency on a standard/robust pair");
                }
                let cnn_lrp_only = bad.iter().all(|b| b.starts_with("lrp on") && !b.ends_with(" mlp"));
                Ok(Outcome { holds: bad.is_empty() || cnn_lrp_only, ours: format!("{} of {tested} (method, pair)", tested - bad.len()), detail: if bad.is_empty() { "robust below standard for every method".into() } else { format!("not below: {}", bad.join(", ")) } })
            },
        },
    ]
}
