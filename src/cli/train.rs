//! `inputgrad train`: train one model on one data set with one objective, with checkpoints,
//! resume, history and a meta.json beside the results. The arguments become a
//! [`TrainJob`]; the library's [`run_job`] does the rest.

use std::path::PathBuf;

use anyhow::{bail, Context};
use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use clap::{Args, ValueEnum};

use crate::data::{store, Normalization};
use crate::model::{self, Activation, Classifier, ModelSpec, ResNetDepth, Stem};
use crate::rng::Seed;
use crate::train::job::{run_job, JobEnd, RobustEval, TrainJob};
use crate::train::{self, Attack, Augment, DensityForm, GradOf, Norm, Objective, OptimizerSpec, PNorm, Penalty, Route, Schedule, ThreatModel, TrainConfig};

/// Model families on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    /// Linear / logistic regression.
    Linear,
    /// One hidden layer of `--width` units.
    Mlp1,
    /// Two hidden layers, each twice the input dimension (seed 000 App. C.1).
    Mlp2x,
    /// Madry et al.'s MNIST CNN (seed 001 App. J.1).
    MadryCnn,
    /// ResNet18 (`--stem`).
    Resnet18,
    /// ResNet50 (`--stem`).
    Resnet50,
    /// VGG11 with batch norm.
    Vgg11,
}

/// Objectives on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ObjectiveArg {
    /// Cross-entropy.
    Standard,
    /// PGD adversarial training.
    Pgd,
    /// FGSM adversarial training.
    Fgsm,
    /// ℓ1 weight penalty λΣ|w| (seed 001's l-model, seed 002), `--lambda`.
    WeightL1,
    /// Squared ℓ2 weight penalty λΣw² (seed 002), `--lambda`.
    WeightL2,
    /// ℓ∞ weight penalty λ·max|w| (seed 002), `--lambda`.
    WeightLinf,
    /// λ‖∇ₓ t‖₁ (seed 002; t from `--grad-of`, default the loss).
    GradL1,
    /// λ‖∇ₓ t‖₂² (seed 002; seed 004 B.1.1 with `--grad-of logit`).
    GradL2,
    /// λ‖∇ₓ t‖∞ (seed 002).
    GradLinf,
    /// Seed 003 §6's InputGrad regularisation λ‖∇ₓ f_y‖₂.
    InputGrad,
    /// Seed 003's marginal-density regularisation λ‖∇ₓ log Σᵢ e^{fᵢ}‖_p, `--p`, `--form`.
    MarginalDensity,
    /// Seed 004 B.1.2's smoothness penalty λE‖f(x+ε) − f(x)‖², `--sigma`.
    Smoothness,
    /// Gaussian noise augmentation / randomized-smoothing training (seed 004 B.1.3), `--sigma`.
    Noise,
    /// Finite-difference curvature λ‖∇t(x+hz) − ∇t(x)‖²/h² (seed 003's Hessian baseline), `--h`.
    Hessian,
}

/// The scalar whose input gradient a penalty takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GradOfArg {
    /// Cross-entropy of the label.
    Loss,
    /// The label's logit.
    Logit,
    /// logsumexp of the logits.
    Lse,
}

/// Route of gradient penalties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RouteArg {
    /// Exact on the linear model and MLPs, finite differences otherwise.
    Auto,
    /// Exact (linear model and MLPs only).
    Exact,
    /// Finite differences along the norm-attaining direction.
    Fd,
}

/// Implementation of the marginal-density gradient (seed 003 eq 4, 5, 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormArg {
    /// Eq 4, unshifted exponentials.
    Plain,
    /// Eq 5, difference of two gradients.
    Stable,
    /// Eq 6, gradient of the difference.
    Efficient,
}

/// Weight penalty added to any objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WeightArg {
    /// λΣ|w|.
    L1,
    /// λΣw².
    L2,
    /// λ·max|w|.
    Linf,
}

/// PGD recipes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RecipeArg {
    /// Seed 000 App. C.1: step ε/4, 8 steps, no random start.
    Seed000,
    /// Seed 001 App. J.1: random start, ⌊100ε⌋ + 10 steps of 0.01.
    Seed001,
    /// 20 steps of 2.5ε/20 with a random start.
    Pgd20,
}

/// Arguments of `inputgrad train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Data set: blockmnist, blockmnist-top, mnist-distractor, mnist, fashion-mnist, cifar10, svhn.
    #[arg(long, default_value = "blockmnist")]
    pub data: String,
    /// MNIST digits used as classes by the BlockMNIST family, e.g. `0,1` (default) or `2,4`.
    #[arg(long, value_delimiter = ',')]
    pub classes: Option<Vec<u8>>,
    /// Use only the first N training examples (quick runs; at least 1).
    #[arg(long, value_parser = at_least_one)]
    pub train_limit: Option<usize>,
    /// Use only the first N test examples (at least 1).
    #[arg(long, value_parser = at_least_one)]
    pub test_limit: Option<usize>,
    /// Model.
    #[arg(long, value_enum, default_value_t = ModelArg::Mlp2x)]
    pub model: ModelArg,
    /// Hidden width of `mlp1`.
    #[arg(long, default_value_t = 10_000)]
    pub width: usize,
    /// Hidden nonlinearity.
    #[arg(long, value_enum, default_value_t = ActivationArg::Relu)]
    pub activation: ActivationArg,
    /// ResNet stem.
    #[arg(long, value_enum, default_value_t = StemArg::Cifar)]
    pub stem: StemArg,
    /// Objective.
    #[arg(long, value_enum, default_value_t = ObjectiveArg::Standard)]
    pub objective: ObjectiveArg,
    /// Threat model norm of adversarial training.
    #[arg(long, value_enum, default_value_t = NormArg::Linf)]
    pub norm: NormArg,
    /// Radius ε of adversarial training (pixel range [0, 1]).
    #[arg(long, default_value_t = 0.3)]
    pub eps: f64,
    /// PGD recipe.
    #[arg(long, value_enum, default_value_t = RecipeArg::Seed000)]
    pub recipe: RecipeArg,
    /// Strength λ of a penalty objective.
    #[arg(long, default_value_t = 0.1)]
    pub lambda: f64,
    /// Exponent p ≥ 1 of the marginal-density norm (seed 003 A.2 sweeps 1.2–2.8), or `inf`.
    #[arg(long, default_value = "2")]
    pub p: String,
    /// Noise level σ of `noise` and `smoothness` (input units).
    #[arg(long, default_value_t = 0.1)]
    pub sigma: f64,
    /// Step h of the `hessian` curvature penalty.
    #[arg(long, default_value_t = 0.1)]
    pub h: f64,
    /// Scalar differentiated by gradient penalties (default: loss; logit for input-grad and hessian).
    #[arg(long, value_enum)]
    pub grad_of: Option<GradOfArg>,
    /// Route of gradient penalties.
    #[arg(long, value_enum, default_value_t = RouteArg::Auto)]
    pub route: RouteArg,
    /// Marginal-density implementation.
    #[arg(long, value_enum, default_value_t = FormArg::Efficient)]
    pub form: FormArg,
    /// Add a weight penalty to the objective (seed 002's combined models), strength `--weight-lambda`.
    #[arg(long, value_enum)]
    pub weight_penalty: Option<WeightArg>,
    /// Strength of `--weight-penalty`.
    #[arg(long, default_value_t = 1e-3)]
    pub weight_lambda: f64,
    /// Maximum epochs (at least 1).
    #[arg(long, default_value_t = 5, value_parser = at_least_one)]
    pub epochs: usize,
    /// Batch size.
    #[arg(long, default_value_t = 256)]
    pub batch: usize,
    /// Optimiser.
    #[arg(long, value_enum, default_value_t = OptimArg::Sgd)]
    pub optimizer: OptimArg,
    /// Initial learning rate (default: 0.1 for SGD, 1e-4 for Adam, as seeds 000 and 001).
    #[arg(long)]
    pub lr: Option<f64>,
    /// SGD momentum.
    #[arg(long, default_value_t = 0.9)]
    pub momentum: f64,
    /// Weight decay.
    #[arg(long, default_value_t = 5e-4)]
    pub weight_decay: f64,
    /// Multiply the learning rate by `--lr-factor` every this many epochs (seed 000: 20).
    #[arg(long, default_value_t = 20)]
    pub lr_every: usize,
    /// Learning-rate factor (seed 000: 0.75).
    #[arg(long, default_value_t = 0.75)]
    pub lr_factor: f64,
    /// Stop once an epoch's mean training loss is below this (seed 000: 0.001).
    #[arg(long, default_value_t = 1e-3)]
    pub stop_below: f64,
    /// Random crop (pad 4) and horizontal flip (CIFAR-style data).
    #[arg(long)]
    pub augment: bool,
    /// Seed of initialisation, shuffling, attacks and block placements.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output folder: checkpoint.bin, history.csv, meta.json. Re-running the same command resumes.
    #[arg(long)]
    pub out: PathBuf,
    /// Device: `cpu`, or `cuda:N` in builds with `--features cuda`.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Examples attacked for the final robust accuracy (0 = skip). Uses twice the training
    /// steps (seed 000 App. C.1) for PGD objectives, PGD-20 otherwise.
    #[arg(long, default_value_t = 1000)]
    pub robust_eval: usize,
    /// Data folder (default: $INPUTGRAD_DATA, else ./data).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The options given on the command line (ids as clap names them), for [`TrainArgs::unused`];
    /// filled by [`crate::cli::parse`].
    #[arg(skip)]
    pub given: Vec<String>,
}

impl TrainArgs {
    /// One line per option given on the command line that has no effect on this run.
    pub fn unused(&self) -> Vec<String> {
        let penalty = !matches!(self.objective, ObjectiveArg::Standard | ObjectiveArg::Pgd | ObjectiveArg::Fgsm | ObjectiveArg::Noise);
        let objective = format!("--objective {}", self.objective.to_possible_value().map_or_else(String::new, |v| v.get_name().to_string()));
        let block = matches!(self.data.as_str(), "blockmnist" | "blockmnist-top" | "mnist-distractor");
        let rules: [(&str, bool, String); 10] = [
            ("classes", block, format!("--data {} (digits are chosen for the BlockMNIST family only)", self.data)),
            ("lambda", penalty, objective.clone()),
            ("p", self.objective == ObjectiveArg::MarginalDensity, objective.clone()),
            ("form", self.objective == ObjectiveArg::MarginalDensity, objective.clone()),
            ("h", self.objective == ObjectiveArg::Hessian, objective.clone()),
            ("sigma", matches!(self.objective, ObjectiveArg::Noise | ObjectiveArg::Smoothness), objective),
            ("momentum", self.optimizer == OptimArg::Sgd, "--optimizer adam".into()),
            ("weight_lambda", self.weight_penalty.is_some(), "no --weight-penalty".into()),
            ("width", self.model == ModelArg::Mlp1, "a model other than mlp1".into()),
            ("stem", matches!(self.model, ModelArg::Resnet18 | ModelArg::Resnet50), "a model other than a ResNet".into()),
        ];
        rules
            .iter()
            .filter(|(id, used, _)| !used && self.given.iter().any(|g| g == id))
            .map(|(id, _, why)| format!("--{} has no effect with {why}", id.replace('_', "-")))
            .collect()
    }
}

/// Hidden nonlinearity on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ActivationArg {
    /// ReLU.
    Relu,
    /// SoftPlus (β = 1).
    Softplus,
}

/// ResNet stem on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StemArg {
    /// 3×3 stride-1 convolution, no pooling.
    Cifar,
    /// 7×7 stride-2 convolution and max-pool.
    Imagenet,
}

/// Norm on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NormArg {
    /// ℓ∞.
    Linf,
    /// ℓ2.
    L2,
}

/// Optimiser on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OptimArg {
    /// SGD with momentum.
    Sgd,
    /// Adam.
    Adam,
}

/// The model of `--model`, `--width`, `--activation` and `--stem` for inputs of `input_dim`
/// coordinates (shared by `train` and `attribute --pytorch`).
pub fn model_spec(model: ModelArg, width: usize, activation: ActivationArg, stem: StemArg, input_dim: usize) -> ModelSpec {
    let activation = match activation {
        ActivationArg::Relu => Activation::Relu,
        ActivationArg::Softplus => Activation::Softplus,
    };
    let stem = match stem {
        StemArg::Cifar => Stem::Cifar,
        StemArg::Imagenet => Stem::Imagenet,
    };
    match model {
        ModelArg::Linear => ModelSpec::Linear,
        ModelArg::Mlp1 => ModelSpec::Mlp { hidden: vec![width], activation, mean_field: false },
        ModelArg::Mlp2x => ModelSpec::Mlp { hidden: vec![2 * input_dim, 2 * input_dim], activation, mean_field: false },
        ModelArg::MadryCnn => ModelSpec::MadryCnn { activation },
        ModelArg::Resnet18 => ModelSpec::ResNet { depth: ResNetDepth::R18, stem, activation },
        ModelArg::Resnet50 => ModelSpec::ResNet { depth: ResNetDepth::R50, stem, activation },
        ModelArg::Vgg11 => ModelSpec::Vgg11 { activation },
    }
}

impl TrainArgs {
    fn model_spec(&self, input_dim: usize) -> ModelSpec {
        model_spec(self.model, self.width, self.activation, self.stem, input_dim)
    }

    fn threat(&self, range: (f32, f32)) -> anyhow::Result<ThreatModel> {
        let norm = match self.norm {
            NormArg::Linf => Norm::Linf,
            NormArg::L2 => Norm::L2,
        };
        ThreatModel::new(norm, self.eps, Some(range)).context("--eps")
    }

    fn objective(&self, range: (f32, f32)) -> anyhow::Result<Objective> {
        let positive = |name: &str, v: f64| -> anyhow::Result<f64> {
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                bail!("invalid parameter `{name}`: must be finite and > 0, got {v}")
            }
        };
        let lambda = |name: &str, v: f64| -> anyhow::Result<f64> {
            if v.is_finite() && v >= 0.0 {
                Ok(v)
            } else {
                bail!("invalid parameter `{name}`: must be finite and >= 0, got {v}")
            }
        };
        let of = |default: GradOf| match self.grad_of {
            None => default,
            Some(GradOfArg::Loss) => GradOf::Loss,
            Some(GradOfArg::Logit) => GradOf::Logit,
            Some(GradOfArg::Lse) => GradOf::LogSumExp,
        };
        let route = match self.route {
            RouteArg::Auto => Route::Auto,
            RouteArg::Exact => Route::Exact,
            RouteArg::Fd => Route::FiniteDiff,
        };
        let fd_step = crate::prec::PENALTY_FD_STEP;
        let grad = |p: PNorm, squared: bool| -> anyhow::Result<Penalty> {
            Ok(Penalty::InputGrad { of: of(GradOf::Loss), p, squared, lambda: lambda("--lambda", self.lambda)?, route, fd_step })
        };
        let penalty = match self.objective {
            ObjectiveArg::Standard | ObjectiveArg::Pgd | ObjectiveArg::Fgsm | ObjectiveArg::Noise => None,
            ObjectiveArg::WeightL1 => Some(Penalty::weight_l1(lambda("--lambda", self.lambda)?)),
            ObjectiveArg::WeightL2 => Some(Penalty::weight_l2(lambda("--lambda", self.lambda)?)),
            ObjectiveArg::WeightLinf => Some(Penalty::weight_linf(lambda("--lambda", self.lambda)?)),
            ObjectiveArg::GradL1 => Some(grad(PNorm::L1, false)?),
            ObjectiveArg::GradL2 => Some(grad(PNorm::L2, true)?),
            ObjectiveArg::GradLinf => Some(grad(PNorm::LINF, false)?),
            ObjectiveArg::InputGrad => Some(Penalty::InputGrad { of: of(GradOf::Logit), p: PNorm::L2, squared: false, lambda: lambda("--lambda", self.lambda)?, route, fd_step }),
            ObjectiveArg::MarginalDensity => {
                let p = parse_p(&self.p)?;
                let form = match self.form {
                    FormArg::Plain => DensityForm::Plain,
                    FormArg::Stable => DensityForm::Stable,
                    FormArg::Efficient => DensityForm::Efficient,
                };
                Some(Penalty::MarginalDensity { p, lambda: lambda("--lambda", self.lambda)?, form, route, fd_step })
            }
            ObjectiveArg::Smoothness => Some(Penalty::Smoothness { sigma: positive("--sigma", self.sigma)?, lambda: lambda("--lambda", self.lambda)?, samples: 1 }),
            ObjectiveArg::Hessian => Some(Penalty::Hessian { of: of(GradOf::Logit), h: positive("--h", self.h)?, lambda: lambda("--lambda", self.lambda)?, route, fd_step }),
        };
        let base = match self.objective {
            ObjectiveArg::Pgd => Objective::Adversarial { threat: self.threat(range)?, attack: self.recipe(false) },
            ObjectiveArg::Fgsm => Objective::Adversarial { threat: self.threat(range)?, attack: Attack::Fgsm { random_start: false, step_size: None } },
            ObjectiveArg::Noise => Objective::GaussianNoise { sigma: positive("--sigma", self.sigma)?, samples: 1 },
            _ => Objective::Standard,
        };
        let mut penalties: Vec<Penalty> = penalty.into_iter().collect();
        if let Some(w) = self.weight_penalty {
            let l = lambda("--weight-lambda", self.weight_lambda)?;
            penalties.push(match w {
                WeightArg::L1 => Penalty::weight_l1(l),
                WeightArg::L2 => Penalty::weight_l2(l),
                WeightArg::Linf => Penalty::weight_linf(l),
            });
        }
        Ok(if penalties.is_empty() { base } else { Objective::penalized(base, penalties) })
    }

    fn recipe(&self, eval: bool) -> Attack {
        match (self.recipe, eval) {
            (RecipeArg::Seed000, false) => Attack::seed000_training(self.eps),
            (RecipeArg::Seed000, true) => Attack::seed000_eval(self.eps),
            (RecipeArg::Seed001, false) => Attack::seed001_training(self.eps),
            (RecipeArg::Seed001, true) => match Attack::seed001_training(self.eps) {
                Attack::Pgd(mut p) => {
                    p.steps *= 2;
                    Attack::Pgd(p)
                }
                other => other,
            },
            (RecipeArg::Pgd20, _) => Attack::pgd20(self.eps),
        }
    }

    fn config(&self) -> TrainConfig {
        let optimizer = match self.optimizer {
            OptimArg::Sgd => OptimizerSpec::Sgd { lr: self.lr.unwrap_or(0.1), momentum: self.momentum, weight_decay: self.weight_decay, nesterov: false },
            OptimArg::Adam => OptimizerSpec::Adam { lr: self.lr.unwrap_or(1e-4), beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: self.weight_decay },
        };
        TrainConfig {
            epochs: self.epochs,
            batch_size: self.batch,
            optimizer,
            schedule: Schedule::Step { every: self.lr_every, factor: self.lr_factor },
            stop_below_loss: Some(self.stop_below),
            augment: if self.augment { Augment::CropFlip { pad: 4 } } else { Augment::None },
            seed: Seed(self.seed),
            divergence_loss: train::trainer::DEFAULT_DIVERGENCE_LOSS,
        }
    }
}

/// Runs `inputgrad train` on the device named by `--device`.
pub fn run(args: &TrainArgs) -> anyhow::Result<i32> {
    for line in args.unused() {
        eprintln!("warning: {line}");
    }
    match args.device.as_str() {
        "cpu" => run_on::<train::CpuAutodiff>(args, &Default::default(), train::CPU_BACKEND),
        d if d.starts_with("cuda") => cuda(args, d),
        other => bail!("--device {other}: expected `cpu` or `cuda:N`"),
    }
}

#[cfg(feature = "cuda")]
fn cuda(args: &TrainArgs, d: &str) -> anyhow::Result<i32> {
    let index: usize = d.strip_prefix("cuda:").unwrap_or("0").parse().with_context(|| format!("--device {d}: expected cuda:N"))?;
    let device = burn::backend::cuda::CudaDevice::new(index);
    run_on::<burn::backend::Autodiff<burn::backend::Cuda<f32>>>(args, &device, &format!("cuda:{index}"))
}

#[cfg(not(feature = "cuda"))]
fn cuda(_args: &TrainArgs, d: &str) -> anyhow::Result<i32> {
    bail!("--device {d}: this build has no GPU backend; rebuild with `cargo build --release --features cuda`")
}

/// `--p`: a number ≥ 1 or `inf` (any case).
fn parse_p(text: &str) -> anyhow::Result<PNorm> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("inf") || t.eq_ignore_ascii_case("infinity") {
        return Ok(PNorm::LINF);
    }
    let v: f64 = t.parse().map_err(|_| anyhow::anyhow!("invalid parameter `--p`: expected a number >= 1 or `inf`, got `{text}`"))?;
    PNorm::new(v).map_err(|e| anyhow::anyhow!("invalid parameter `--p`: {e}"))
}

fn run_on<B: AutodiffBackend>(args: &TrainArgs, device: &B::Device, backend: &str) -> anyhow::Result<i32>
where
    model::Net<B>: AutodiffModule<B>,
    <model::Net<B> as AutodiffModule<B>>::InnerModule: Classifier<B::InnerBackend>,
{
    // Absolute, so that meta.json's provenance names the files wherever it is read from.
    let dir = store::resolve_data_dir(args.data_dir.as_deref());
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    let norm = Normalization::default();
    // Arguments first, data second: a typo fails at once.
    let config = args.config();
    config.validate().context("training configuration")?;
    let objective = args.objective(norm.range)?;
    objective.validate().context("--objective")?;
    let threat = args.threat(norm.range)?;
    let robust = (args.robust_eval > 0 && (args.objective != ObjectiveArg::Standard || args.eps > 0.0)).then(|| RobustEval {
        examples: args.robust_eval,
        threat,
        attack: match args.objective {
            ObjectiveArg::Pgd => args.recipe(true),
            _ => Attack::pgd20(args.eps),
        },
    });
    let model = |input_dim: usize| args.model_spec(input_dim);
    let job = TrainJob {
        data: &args.data,
        classes: args.classes.as_deref(),
        train_limit: args.train_limit,
        test_limit: args.test_limit,
        model: &model,
        objective: &objective,
        config: &config,
        seed: args.seed,
        robust,
        out: &args.out,
        command: std::env::args().collect(),
        progress: true,
    };
    let end = run_job::<B>(&job, &dir, device, backend, &mut |line| eprintln!("{line}")).with_context(|| format!("training `{}` from {} into {}", args.data, dir.display(), args.out.display()))?;
    match end {
        JobEnd::Interrupted(message) => {
            eprintln!("{message}");
            Ok(130)
        }
        JobEnd::Finished { model, test_accuracy, epochs, stop, .. } => {
            println!("{model}: test accuracy {:.4} after {epochs} epochs ({stop}); results in {}", test_accuracy.unwrap_or(f64::NAN), args.out.display());
            Ok(0)
        }
    }
}

/// A count that must be at least 1 (`--epochs`, `--train-limit`, `--test-limit`).
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("expected a whole number >= 1, got `{text}`")),
    }
}
