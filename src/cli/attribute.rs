//! `inputgrad attribute`: attributions of a trained model (an `inputgrad train` folder or a
//! PyTorch state dict) on examples of a data set, written as `.npy` files with a `meta.json` and
//! a PNG grid of inputs and maps.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData};
use clap::{Args, ValueEnum};
use ndarray::{Array1, Array2, Array3, ArrayD, IxDyn};
use ndarray_npy::WriteNpyExt;

use super::train::{model_spec, ActivationArg, ModelArg, StemArg};
use crate::attribution::method::{BaselineSpec, Context as MethodContext, Method};
use crate::attribution::{self, to_vec, Attribution, Budget, IgRule, LrpRule, NoiseKind, Sigma, Target, Transform, Transformed};
use crate::data::{catalog, store, Normalization};
use crate::model::{self, InputShape, ModelSpec, Net};
use crate::plot::maps::{map_grid_png, Cell, MapGrid, MapRow};
use crate::rng::Seed;
use crate::train::checkpoint::{decode, write_atomic};
use crate::train::trainer::load_model_bytes;

/// Methods on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Gradient of the target.
    Saliency,
    /// Input × gradient.
    InputXGradient,
    /// Integrated Gradients (`--rule`, `--steps`, `--baseline`).
    Ig,
    /// SmoothGrad around `--noise-of` (`--samples`, `--sigma`, `--sigma-kind`).
    Smoothgrad,
    /// SmoothGrad².
    SmoothgradSq,
    /// VarGrad.
    Vargrad,
    /// GradientSHAP over `--background` training examples (`--shap-samples`, `--shap-sigma`).
    GradientShap,
    /// DeepSHAP (DeepLIFT averaged over `--background` training examples).
    DeepShap,
    /// DeepLIFT-Rescale from `--baseline`.
    Deeplift,
    /// Guided Backprop.
    GuidedBackprop,
    /// LRP, ε rule (`--eps`).
    Lrp,
    /// LRP, z⁺ rule.
    LrpZplus,
    /// Occlusion (`--window`, `--stride`, `--fill`).
    Occlusion,
    /// Random control.
    Random,
    /// Linear-model control (`--linear-run`).
    LinearModel,
}

/// IG quadrature rules on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RuleArg {
    /// Left Riemann sum.
    Left,
    /// Right Riemann sum.
    Right,
    /// Midpoint rule.
    Middle,
    /// Trapezoid rule.
    Trapezoid,
    /// Gauss–Legendre.
    GaussLegendre,
}

/// Transforms on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TransformArg {
    /// The map as computed.
    Signed,
    /// |a|.
    Magnitude,
    /// sgn(x)·a.
    SignedInput,
    /// x·a.
    TimesInput,
}

/// The base of the noise wrappers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NoiseOfArg {
    /// Saliency.
    Saliency,
    /// Integrated Gradients.
    Ig,
}

/// How `--sigma` is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SigmaKindArg {
    /// A fraction of each example's range (max − min).
    Relative,
    /// Input units.
    Absolute,
}

/// Data splits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    /// Test split.
    Test,
    /// Training split.
    Train,
}

/// Arguments of `inputgrad attribute`.
#[derive(Debug, Args)]
pub struct AttributeArgs {
    /// Output folder of `inputgrad train` (meta.json and checkpoint.bin).
    #[arg(long, conflicts_with = "pytorch")]
    pub run: Option<PathBuf>,
    /// A PyTorch state dict (`torch.save(model.state_dict())`) of one of the zoo's models; give
    /// the architecture with `--model`.
    #[arg(long, requires = "model")]
    pub pytorch: Option<PathBuf>,
    /// Architecture of `--pytorch`.
    #[arg(long, value_enum)]
    pub model: Option<ModelArg>,
    /// Hidden width of `--model mlp1`.
    #[arg(long, default_value_t = 10_000)]
    pub width: usize,
    /// Hidden widths of an MLP of any depth, e.g. `32,16` (with `--model mlp1`, replaces `--width`).
    #[arg(long, value_delimiter = ',')]
    pub hidden: Option<Vec<usize>>,
    /// Nonlinearity of `--model`.
    #[arg(long, value_enum, default_value_t = ActivationArg::Relu)]
    pub activation: ActivationArg,
    /// ResNet stem of `--model`.
    #[arg(long, value_enum, default_value_t = StemArg::Cifar)]
    pub stem: StemArg,
    /// Data set (default: the run's).
    #[arg(long, conflicts_with = "inputs")]
    pub data: Option<String>,
    /// Inputs to attribute instead of a data set: a `.npy` file of float32 `[N, C, H, W]` in the
    /// model's input units (the first `--limit` are used).
    #[arg(long)]
    pub inputs: Option<PathBuf>,
    /// Labels of `--inputs` (`.npy` of integers `[N]`), for targets that need them.
    #[arg(long, requires = "inputs")]
    pub labels: Option<PathBuf>,
    /// Number of classes of the model (with `--inputs`).
    #[arg(long, requires = "inputs")]
    pub num_classes: Option<usize>,
    /// Digits of the BlockMNIST family (default: the run's).
    #[arg(long, value_delimiter = ',')]
    pub classes: Option<Vec<u8>>,
    /// Seed of the block placements (default: the run's seed).
    #[arg(long)]
    pub data_seed: Option<u64>,
    /// Split the examples come from.
    #[arg(long, value_enum, default_value_t = SplitArg::Test)]
    pub split: SplitArg,
    /// Number of examples (the first ones of the split).
    #[arg(long, default_value_t = 8)]
    pub limit: usize,
    /// Methods, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "saliency")]
    pub method: Vec<MethodArg>,
    /// The output explained: predicted, true, a class number, logit:…, probability:…, loss,
    /// sum-logits, logsumexp.
    #[arg(long, default_value = "predicted")]
    pub target: String,
    /// Transform of every map.
    #[arg(long, value_enum, default_value_t = TransformArg::Signed)]
    pub transform: TransformArg,
    /// IG quadrature rule.
    #[arg(long, value_enum, default_value_t = RuleArg::GaussLegendre)]
    pub rule: RuleArg,
    /// IG steps (gradient evaluations per example).
    #[arg(long, default_value_t = 64)]
    pub steps: usize,
    /// Baseline of IG and DeepLIFT: zero, constant:V, blur:SIGMA_PIXELS, uniform:LO:HI.
    #[arg(long, default_value = "zero")]
    pub baseline: String,
    /// Samples of the noise wrappers.
    #[arg(long, default_value_t = 50)]
    pub samples: usize,
    /// Noise level of the noise wrappers (see `--sigma-kind`).
    #[arg(long, default_value_t = 0.15)]
    pub sigma: f64,
    /// Whether `--sigma` is relative to each example's range or in input units.
    #[arg(long, value_enum, default_value_t = SigmaKindArg::Relative)]
    pub sigma_kind: SigmaKindArg,
    /// The method the noise wrappers average.
    #[arg(long, value_enum, default_value_t = NoiseOfArg::Saliency)]
    pub noise_of: NoiseOfArg,
    /// Training examples used as the background set of GradientSHAP and DeepSHAP.
    #[arg(long, default_value_t = 64)]
    pub background: usize,
    /// GradientSHAP samples per example.
    #[arg(long, default_value_t = 50)]
    pub shap_samples: usize,
    /// GradientSHAP input noise (input units; 0 = Expected Gradients).
    #[arg(long, default_value_t = 0.0)]
    pub shap_sigma: f64,
    /// LRP stabiliser ε.
    #[arg(long, default_value_t = crate::attribution::lrp::DEFAULT_EPS)]
    pub eps: f64,
    /// Occlusion window (pixels, square, all channels).
    #[arg(long, default_value_t = 5)]
    pub window: usize,
    /// Occlusion stride.
    #[arg(long, default_value_t = 5)]
    pub stride: usize,
    /// Occlusion fill value (input units).
    #[arg(long, default_value_t = 0.0)]
    pub fill: f64,
    /// A trained linear model (`inputgrad train --model linear` folder) for `linear-model`.
    #[arg(long)]
    pub linear_run: Option<PathBuf>,
    /// Seed of the methods' randomness.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Memory budget of one batch of model evaluations, MiB.
    #[arg(long, default_value_t = 1024)]
    pub memory: u64,
    /// Device: `cpu`, or `cuda:N` in builds with `--features cuda`.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Data folder (default: $INPUTGRAD_DATA, else ./data).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

impl AttributeArgs {
    fn baseline(&self) -> anyhow::Result<BaselineSpec> {
        let num = |s: &str| s.parse::<f64>().with_context(|| format!("--baseline {}: `{s}` is not a number", self.baseline));
        let b = match self.baseline.split(':').collect::<Vec<_>>().as_slice() {
            ["zero"] => BaselineSpec::Zero,
            ["constant", v] => BaselineSpec::Constant { value: num(v)? },
            ["blur", s] => BaselineSpec::Blur { sigma: num(s)? },
            ["uniform", lo, hi] => BaselineSpec::Uniform { lo: num(lo)?, hi: num(hi)?, seed: self.seed },
            _ => bail!("--baseline {}: expected zero, constant:V, blur:SIGMA or uniform:LO:HI", self.baseline),
        };
        b.baseline().validate().map_err(|e| anyhow::anyhow!("--baseline {}: {e}", self.baseline))?;
        Ok(b)
    }

    fn method(&self, m: MethodArg) -> anyhow::Result<Method> {
        let rule = match self.rule {
            RuleArg::Left => IgRule::Left,
            RuleArg::Right => IgRule::Right,
            RuleArg::Middle => IgRule::Middle,
            RuleArg::Trapezoid => IgRule::Trapezoid,
            RuleArg::GaussLegendre => IgRule::GaussLegendre,
        };
        let ig = Method::IntegratedGradients { rule, steps: self.steps, baseline: self.baseline()? };
        let sigma = match self.sigma_kind {
            SigmaKindArg::Relative => Sigma::Relative(self.sigma),
            SigmaKindArg::Absolute => Sigma::Absolute(self.sigma),
        };
        let noise = |kind| -> anyhow::Result<Method> {
            let of = match self.noise_of {
                NoiseOfArg::Saliency => Method::Saliency,
                NoiseOfArg::Ig => ig.clone(),
            };
            Ok(Method::Noise { kind, samples: self.samples, sigma, seed: self.seed, of: Box::new(of) })
        };
        Ok(match m {
            MethodArg::Saliency => Method::Saliency,
            MethodArg::InputXGradient => Method::InputXGradient,
            MethodArg::Ig => ig.clone(),
            MethodArg::Smoothgrad => noise(NoiseKind::SmoothGrad)?,
            MethodArg::SmoothgradSq => noise(NoiseKind::SmoothGradSq)?,
            MethodArg::Vargrad => noise(NoiseKind::VarGrad)?,
            MethodArg::GradientShap => Method::GradientShap { samples: self.shap_samples, sigma: self.shap_sigma, seed: self.seed },
            MethodArg::DeepShap => Method::DeepShap,
            MethodArg::Deeplift => Method::DeepLift { baseline: self.baseline()? },
            MethodArg::GuidedBackprop => Method::GuidedBackprop,
            MethodArg::Lrp => Method::Lrp { rule: LrpRule::Epsilon, eps: self.eps },
            MethodArg::LrpZplus => Method::Lrp { rule: LrpRule::ZPlus, eps: self.eps },
            MethodArg::Occlusion => Method::Occlusion { window: [0, self.window, self.window], stride: [0, self.stride, self.stride], fill: self.fill },
            MethodArg::Random => Method::Random { seed: self.seed },
            MethodArg::LinearModel => Method::LinearModel,
        })
    }

    fn transform(&self) -> Transform {
        match self.transform {
            TransformArg::Signed => Transform::Signed,
            TransformArg::Magnitude => Transform::Magnitude,
            TransformArg::SignedInput => Transform::SignedInput,
            TransformArg::TimesInput => Transform::TimesInput,
        }
    }
}

/// Runs `inputgrad attribute` on the device named by `--device`.
pub fn run(args: &AttributeArgs) -> anyhow::Result<i32> {
    match args.device.as_str() {
        "cpu" => run_on::<crate::train::CpuAutodiff>(args, &Default::default(), crate::train::CPU_BACKEND),
        d if d.starts_with("cuda") => cuda(args, d),
        other => bail!("--device {other}: expected `cpu` or `cuda:N`"),
    }
}

#[cfg(feature = "cuda")]
fn cuda(args: &AttributeArgs, d: &str) -> anyhow::Result<i32> {
    let index: usize = d.strip_prefix("cuda:").unwrap_or("0").parse().with_context(|| format!("--device {d}: expected cuda:N"))?;
    let device = burn::backend::cuda::CudaDevice::new(index);
    run_on::<burn::backend::Autodiff<burn::backend::Cuda<f32>>>(args, &device, &format!("cuda:{index}"))
}

#[cfg(not(feature = "cuda"))]
fn cuda(_args: &AttributeArgs, d: &str) -> anyhow::Result<i32> {
    bail!("--device {d}: this build has no GPU backend; rebuild with `cargo build --release --features cuda`")
}

/// What `inputgrad train` recorded about a run.
struct RunInfo {
    spec: ModelSpec,
    data: String,
    classes: Option<Vec<u8>>,
    seed: u64,
    checkpoint: PathBuf,
}

fn read_run(dir: &Path) -> anyhow::Result<RunInfo> {
    let meta_path = dir.join("meta.json");
    let text = std::fs::read_to_string(&meta_path).with_context(|| format!("--run {}: no meta.json (is it an `inputgrad train` output folder?)", dir.display()))?;
    let meta: serde_json::Value = serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", meta_path.display()))?;
    let spec: ModelSpec = serde_json::from_value(meta["model"].clone()).with_context(|| format!("{}: key `model` is not a model description", meta_path.display()))?;
    let data = meta["data"].as_str().with_context(|| format!("{}: key `data` missing", meta_path.display()))?.to_string();
    let classes = serde_json::from_value(meta.get("classes").cloned().unwrap_or(serde_json::Value::Null)).with_context(|| format!("{}: key `classes`", meta_path.display()))?;
    let seed = meta["seed"].as_u64().with_context(|| format!("{}: key `seed` missing", meta_path.display()))?;
    Ok(RunInfo { spec, data, classes, seed, checkpoint: dir.join("checkpoint.bin") })
}

/// The trained model of `--run` or `--pytorch` for inputs of `shape` and `classes` classes, and the
/// md5 of the file its weights came from.
fn load_model<B: AutodiffBackend>(args: &AttributeArgs, run: Option<&RunInfo>, shape: InputShape, classes: usize, device: &B::Device) -> anyhow::Result<(Net<B>, ModelSpec, String, PathBuf)> {
    if let Some(info) = run {
        let net = model::build::<B>(&info.spec, shape, classes, Seed(0), device).with_context(|| format!("building {}", info.spec.name()))?;
        let bytes = std::fs::read(&info.checkpoint).with_context(|| format!("reading {}", info.checkpoint.display()))?;
        let ck = decode(&bytes, &info.checkpoint)?;
        let net = load_model_bytes(net, ck.model, device, &info.checkpoint.display().to_string())
            .with_context(|| format!("{}: the checkpoint does not fit {} on {:?} with {classes} classes", info.checkpoint.display(), info.spec.name(), shape))?;
        return Ok((net, info.spec.clone(), crate::checksum::md5_hex(&bytes), info.checkpoint.clone()));
    }
    let (Some(path), Some(arch)) = (&args.pytorch, args.model) else {
        bail!("give the model: --run DIR (an `inputgrad train` folder) or --pytorch FILE --model ARCH");
    };
    let mut spec = model_spec(arch, args.width, args.activation, args.stem, shape.dim());
    if let (Some(hidden), ModelSpec::Mlp { hidden: h, .. }) = (&args.hidden, &mut spec) {
        h.clone_from(hidden);
    } else if args.hidden.is_some() {
        bail!("--hidden applies to MLPs (--model mlp1 or mlp2x), not {}", spec.name());
    }
    let net = model::build::<B>(&spec, shape, classes, Seed(0), device).with_context(|| format!("building {}", spec.name()))?;
    let net = model::pytorch::load_pytorch(net, path).with_context(|| format!("loading {} as {}", path.display(), spec.name()))?;
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok((net, spec, crate::checksum::md5_hex(&bytes), path.clone()))
}

fn npy_bytes<A: WriteNpyExt>(a: &A) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    a.write_npy(&mut buf).context("encoding a .npy file")?;
    Ok(buf)
}

fn run_on<B: AutodiffBackend>(args: &AttributeArgs, device: &B::Device, backend: &str) -> anyhow::Result<i32>
where
    Net<B>: AutodiffModule<B>,
{
    let t0 = Instant::now();
    if args.limit == 0 {
        bail!("--limit must be at least 1");
    }
    let target: Target = args.target.parse().map_err(|e| anyhow::anyhow!("--target {}: {e}", args.target))?;
    let methods: Vec<Method> = args.method.iter().map(|&m| args.method(m)).collect::<anyhow::Result<_>>()?;
    let budget = Budget::mib(args.memory).map_err(|e| anyhow::anyhow!("--memory: {e}"))?;
    let run = args.run.as_deref().map(read_run).transpose()?;
    let data_name = match &args.inputs {
        Some(p) => p.display().to_string(),
        None => args.data.clone().or_else(|| run.as_ref().map(|r| r.data.clone())).context("give --data NAME or --inputs FILE.npy (no --run to take the data from)")?,
    };
    let classes = args.classes.clone().or_else(|| run.as_ref().and_then(|r| r.classes.clone()));
    let data_seed = args.data_seed.or_else(|| run.as_ref().map(|r| r.seed)).unwrap_or(0);
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating --out {}", args.out.display()))?;
    let probe = args.out.join(".inputgrad-write-check");
    write_atomic(&probe, b"").with_context(|| format!("--out {} is not writable", args.out.display()))?;
    let _ = std::fs::remove_file(&probe);

    let norm = Normalization::default();
    let ex = examples(args, &data_name, classes.as_deref(), data_seed, &norm, run.as_ref())?;
    let (c, h, w) = ex.shape;
    let shape = InputShape::Image { c, h, w };
    let (net, spec, model_md5, model_file) = load_model::<B>(args, run.as_ref(), shape, ex.classes, device)?;
    let x2 = ex.x;
    let (n, d) = x2.dim();
    let x: Tensor<B::InnerBackend, 2> = Tensor::from_data(TensorData::new(x2.iter().copied().collect::<Vec<_>>(), [n, d]), device);
    let background = Some(ex.background);
    let linear_weights = match &args.linear_run {
        Some(dir) => Some(linear_weights::<B>(dir, shape, ex.classes, device)?),
        None => None,
    };
    let ctx = MethodContext { background, linear_weights, budget };
    let logits = attribution::gradient::logits::<B, _>(&net, x.clone())?;
    let predictions = attribution::target::predicted(&logits);
    let scalar = target.resolve(&logits, ex.labels.as_deref()).with_context(|| format!("--target {}", args.target))?;
    let transform = args.transform();
    // Every method once on the first example, so that a combination that cannot work fails
    // before anything is computed or written.
    let built: Vec<(String, Transformed<Box<dyn Attribution<B, Net<B>>>>)> = methods
        .iter()
        .map(|method| {
            let label = method.label();
            let inner = method.build::<B, Net<B>>(&ctx).map_err(|e| anyhow::anyhow!("{label} cannot run on {}: {e}", spec.name()))?;
            let m = Transformed { inner, transform };
            m.attribute(&net, x.clone().slice([0..1]), &scalar.rows([0])).map_err(|e| anyhow::anyhow!("{label} cannot run on {}: {e}", spec.name()))?;
            Ok((label, m))
        })
        .collect::<anyhow::Result<_>>()?;
    eprintln!("attributing {} examples of {data_name} ({c}×{h}×{w}) for {} with {} method(s) on {backend}", n, spec.name(), methods.len());

    let mut files = Vec::new();
    let write = |name: &str, bytes: Vec<u8>, files: &mut Vec<PathBuf>| -> anyhow::Result<()> {
        let path = args.out.join(name);
        write_atomic(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        files.push(path);
        Ok(())
    };
    let as_image = |v: Vec<f32>| -> anyhow::Result<ArrayD<f32>> { Ok(ArrayD::from_shape_vec(IxDyn(&[n, c, h, w]), v)?) };
    write("inputs.npy", npy_bytes(&as_image(x2.iter().copied().collect())?)?, &mut files)?;
    if let Some(labels) = &ex.labels {
        write("labels.npy", npy_bytes(&Array1::from(labels.iter().map(|&l| l as i64).collect::<Vec<_>>()))?, &mut files)?;
    }
    write("predictions.npy", npy_bytes(&Array1::from(predictions.iter().map(|&l| l as i64).collect::<Vec<_>>()))?, &mut files)?;

    let mut records = Vec::new();
    let mut maps: Vec<(String, Vec<f32>)> = Vec::new();
    crate::train::trainer::install_interrupt_handler();
    for (k, ((label, m), method)) in built.into_iter().zip(&methods).enumerate() {
        if crate::train::trainer::interrupted() {
            eprintln!("interrupted after {k} of {} methods; their maps are in {} (no grid, no meta.json; re-run to finish)", methods.len(), args.out.display());
            return Ok(130);
        }
        let t1 = Instant::now();
        let out = m.attribute(&net, x.clone(), &scalar).map_err(|e| anyhow::anyhow!("{label} cannot run on {}: {e}", spec.name()))?;
        let secs = t1.elapsed().as_secs_f64();
        let values = to_vec(&out.values)?;
        write(&format!("{label}.npy"), npy_bytes(&as_image(values.clone())?)?, &mut files)?;
        let mut rec = serde_json::json!({ "label": label, "method": method, "name": Attribution::<B, Net<B>>::name(&m), "params": Attribution::<B, Net<B>>::params(&m), "seconds": secs, "file": format!("{label}.npy") });
        if let Some(gap) = &out.gap {
            write(&format!("{label}_gap.npy"), npy_bytes(&Array1::from(gap.clone()))?, &mut files)?;
            let worst = gap.iter().fold(0.0f64, |a, g| a.max(g.abs()));
            rec["completeness_gap"] = serde_json::json!({ "file": format!("{label}_gap.npy"), "max_abs": worst });
            eprintln!("  {label}: {secs:.2}s, completeness gap max |Σ A − (t(x) − t(u))| = {worst:.3e}");
        } else {
            eprintln!("  {label}: {secs:.2}s");
        }
        records.push(rec);
        maps.push((label, values));
    }

    // The grid: input, then one map per method (channels summed), one row per example.
    let unit = |v: f32, ch: usize| norm.to_unit(ch, v);
    let rows = (0..n)
        .map(|i| {
            let img = Array3::from_shape_fn((c, h, w), |(k, r, q)| unit(x2[[i, (k * h + r) * w + q]], k));
            let mut cells = vec![Cell::Image(img)];
            for (_, v) in &maps {
                cells.push(Cell::Map(Array2::from_shape_fn((h, w), |(r, q)| (0..c).map(|k| v[i * d + (k * h + r) * w + q]).sum())));
            }
            let y = ex.labels.as_ref().map(|l| l[i].to_string()).unwrap_or_else(|| "?".into());
            MapRow { label: format!("y={y} ŷ={}", predictions[i]), cells, captions: Vec::new() }
        })
        .collect();
    let mut columns = vec!["input".to_string()];
    columns.extend(maps.iter().map(|(l, _)| l.clone()));
    // Cells at least ~110 pixels wide, at most 8 screen pixels per input pixel.
    let scale = 110usize.div_ceil(w).clamp(1, 8) as u32;
    let grid = MapGrid { title: format!("{} on {data_name}: target {target}, {}", spec.name(), transform.as_str()), columns, rows, scale };
    write("attributions.png", map_grid_png(&grid)?, &mut files)?;

    let meta = serde_json::json!({
        "command": std::env::args().collect::<Vec<_>>(),
        "model": spec,
        "model_file": model_file,
        "model_md5": model_md5,
        "data": data_name,
        "classes": classes,
        "data_seed": data_seed,
        "split": format!("{:?}", args.split).to_lowercase(),
        "examples": n,
        "input_shape": [c, h, w],
        "target": target.to_string(),
        "transform": transform,
        "seed": args.seed,
        "memory_bytes": budget.bytes,
        "methods": records,
        "git_revision": super::git_revision(),
        "backend": backend,
        "wall_seconds": t0.elapsed().as_secs_f64(),
        "provenance": ex.provenance,
    });
    write("meta.json", serde_json::to_string_pretty(&meta)?.into_bytes(), &mut files)?;
    for f in &files {
        println!("wrote {}", f.display());
    }
    Ok(0)
}

/// The examples attributed, with what the methods need besides them.
struct Examples {
    x: Array2<f32>,
    labels: Option<Vec<usize>>,
    shape: (usize, usize, usize),
    classes: usize,
    background: Array2<f32>,
    provenance: serde_json::Value,
}

fn examples(args: &AttributeArgs, data_name: &str, classes: Option<&[u8]>, data_seed: u64, norm: &Normalization, run: Option<&RunInfo>) -> anyhow::Result<Examples> {
    if let Some(path) = &args.inputs {
        let a: ArrayD<f32> = ndarray_npy::read_npy(path).with_context(|| format!("--inputs {}: not a float32 .npy file", path.display()))?;
        let &[n, c, h, w] = a.shape() else {
            bail!("--inputs {}: shape {:?}; expected [N, C, H, W]", path.display(), a.shape());
        };
        if a.iter().any(|v| !v.is_finite()) {
            bail!("--inputs {}: non-finite values", path.display());
        }
        let n_use = n.min(args.limit);
        let x = a.into_shape_with_order((n, c * h * w))?.slice(ndarray::s![..n_use, ..]).to_owned();
        let labels = match &args.labels {
            Some(lp) => {
                let l: Array1<i64> = ndarray_npy::read_npy(lp).with_context(|| format!("--labels {}: not an int64 .npy file", lp.display()))?;
                if l.len() < n_use || l.iter().any(|&v| v < 0) {
                    bail!("--labels {}: {} non-negative labels needed", lp.display(), n_use);
                }
                Some(l.iter().take(n_use).map(|&v| v as usize).collect::<Vec<_>>())
            }
            None => None,
        };
        let classes = match (run, &args.pytorch) {
            (Some(_), _) | (None, Some(_)) => args.num_classes.context("--inputs: give --num-classes K (the model's number of classes)")?,
            _ => bail!("give the model: --run DIR or --pytorch FILE --model ARCH"),
        };
        // The background set of the SHAP methods: the inputs themselves.
        return Ok(Examples { background: x.clone(), x, labels, shape: (c, h, w), classes, provenance: serde_json::json!({ "inputs": path, "labels": args.labels }) });
    }
    let dir = store::resolve_data_dir(args.data_dir.as_deref());
    let data = catalog::load(data_name, &dir, classes, Seed(data_seed), norm).with_context(|| format!("loading `{data_name}` from {}", dir.display()))?;
    let (split, other) = match args.split {
        SplitArg::Test => (data.test, data.train),
        SplitArg::Train => (data.train, data.test),
    };
    let ds = split.head(args.limit);
    // The background set: the first training examples.
    let train = if args.split == SplitArg::Test { &other } else { &split };
    let background = train.head(args.background.max(1)).flattened();
    Ok(Examples { x: ds.flattened(), labels: Some(ds.labels.clone()), shape: ds.image_shape(), classes: ds.num_classes, background, provenance: serde_json::to_value(&ds.provenance)? })
}

/// The weights `[D, K]` of the linear model trained in `dir`.
fn linear_weights<B: AutodiffBackend>(dir: &Path, shape: InputShape, classes: usize, device: &B::Device) -> anyhow::Result<Array2<f32>>
where
    Net<B>: AutodiffModule<B>,
{
    let info = read_run(dir)?;
    if info.spec != ModelSpec::Linear {
        bail!("--linear-run {}: the run trained {}, not a linear model", dir.display(), info.spec.name());
    }
    let bytes = std::fs::read(&info.checkpoint).with_context(|| format!("reading {}", info.checkpoint.display()))?;
    let ck = decode(&bytes, &info.checkpoint)?;
    let net = model::build::<B>(&ModelSpec::Linear, shape, classes, Seed(0), device)?;
    let net = load_model_bytes(net, ck.model, device, &info.checkpoint.display().to_string())?;
    let Net::Linear(m) = net else { bail!("--linear-run: not a linear model") };
    let w = to_vec(&m.fc.weight.val())?;
    Ok(Array2::from_shape_vec((shape.dim(), classes), w)?)
}
