//! Penalties added to a training loss: the regularisers of seeds 001–004.
//!
//! | penalty | per batch | source |
//! |---|---|---|
//! | [`Penalty::Weight`] | λ‖θ_W‖_p (or ‖θ_W‖₂²) | seed 001's l-model (ℓ1), seed 002 (ℓ1, ℓ2, ℓ∞) |
//! | [`Penalty::InputGrad`] | λ·mean_n ‖∇ₓ t_n‖_p (or squared) | seed 002 (ℓ1, ℓ2, ℓ∞), seed 003 §6 InputGrad, seed 004 B.1.1 |
//! | [`Penalty::MarginalDensity`] | λ·mean_n ‖∇ₓ log Σᵢ e^{fᵢ(x_n)}‖_p | seed 003 eq 4 (forms: eq 4, 5, 6) |
//! | [`Penalty::Smoothness`] | λ·mean_n E‖f(x_n + ε) − f(x_n)‖₂² | seed 004 B.1.2 |
//! | [`Penalty::Hessian`] | λ·mean_n ‖∇t(x_n + h z) − ∇t(x_n)‖₂² / h² | seed 003's Hessian baseline |
//!
//! θ_W is the concatenation of every weight matrix and convolution kernel (every parameter of
//! rank ≥ 2); **biases and batch-norm parameters are not penalised**: seed 002 regularises "the
//! arbitrary growth of weight values" and seed 001's ℓ1-regularisation acts on the weights whose
//! sparseness it compares with IG's. ‖·‖_p of θ_W is the norm of that one long vector: ℓ1 = Σ|w|,
//! ℓ∞ = the single largest |w| over all layers.
//!
//! # Gradient penalties without double backward
//!
//! burn 0.21 has no double backward, so a penalty on ∇ₓ t(x) takes one of two routes ([`Route`]):
//!
//! * **Exact** (linear model and MLPs, ReLU or SoftPlus): ∇ₓ t is written as forward operations in
//!   the parameters ([`crate::model::dense`]) and backpropagated like any other loss term.
//! * **Finite differences** (any model; Finlay & Oberman 2019): with a norm-attaining direction d
//!   computed from a detached gradient g (evaluation mode, like an attack),
//!   `‖g‖_p = ⟨g, d⟩ ≈ ‖d‖₂ · (t(x + h u) − t(x − h u)) / 2h`, `u = d/‖d‖₂`,
//!   and the quotient is differentiated in the parameters. d is held constant, which is exact for
//!   the gradient (Danskin's theorem: ‖g‖_p = max over ‖d‖_q ≤ 1 of ⟨g, d⟩, 1/p + 1/q = 1, so the
//!   derivative of the max is the derivative at the maximiser). The maximiser ([`dual_direction`]):
//!   p = 2: d = g/‖g‖₂; 1 < p < ∞: d = sign(g)|g|^{p−1}/‖g‖_p^{p−1};
//!   p = 1: d = sign(g) (a vertex of the ℓ∞ ball, all coordinates moved);
//!   p = ∞: d = sign(g_j) e_j at j = argmax|g_j| (a vertex of the ℓ1 ball, one coordinate moved).
//!   The step has Euclidean length h whatever p is; the factor ‖d‖₂ (√D for p = 1, 1 for p = ∞)
//!   restores ⟨g, d⟩.
//!
//! The exact route uses the same Danskin form `⟨g, d⟩` with d detached, so ‖g‖_p has a finite
//! gradient even where g = 0 (no 1/‖g‖ singularity).
//!
//! Forward passes of penalties run in training mode (the function being trained, as in the
//! papers' PyTorch code). On batch-norm models (ResNet, VGG) this means each extra pass uses its
//! own batch statistics and updates the running averages once more, and the FD direction comes
//! from evaluation mode; models without batch norm are unaffected.

use burn::module::{AutodiffModule, Param};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor, TensorData};
use rand::Rng as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::model::dense::DenseStack;
use crate::attribution::gradient::input_gradient;
use crate::attribution::target::{target_value, GradTarget};
use crate::model::init::Init;
use crate::model::{check_input, Classifier, Mode};
use crate::prec;
use crate::rng::Seed;

/// The exponent p ≥ 1 of an ℓp norm; p = ∞ is the max norm. Serialised as a number, or the
/// string `"inf"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PNorm(f64);

impl PNorm {
    /// ℓ1.
    pub const L1: PNorm = PNorm(1.0);
    /// ℓ2.
    pub const L2: PNorm = PNorm(2.0);
    /// ℓ∞.
    pub const LINF: PNorm = PNorm(f64::INFINITY);

    /// ℓp for p ≥ 1 (`f64::INFINITY` for ℓ∞).
    pub fn new(p: f64) -> Result<Self> {
        let n = PNorm(p);
        n.check("p")?;
        Ok(n)
    }

    /// The exponent.
    pub fn p(self) -> f64 {
        self.0
    }

    fn check(self, name: &str) -> Result<()> {
        if self.0 >= 1.0 {
            Ok(())
        } else {
            Err(Error::param(name, format!("an ℓp norm needs p >= 1 (or \"inf\"), got {}", self.0)))
        }
    }

    fn label(self) -> String {
        if self.0.is_infinite() {
            "linf".into()
        } else {
            format!("l{}", self.0)
        }
    }
}

impl Serialize for PNorm {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if self.0.is_infinite() {
            s.serialize_str("inf")
        } else {
            s.serialize_f64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for PNorm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Num(f64),
            Str(String),
        }
        match Raw::deserialize(d)? {
            Raw::Num(p) => Ok(PNorm(p)),
            Raw::Str(s) if matches!(s.as_str(), "inf" | "infinity" | "linf") => Ok(PNorm::LINF),
            Raw::Str(s) => s.parse::<f64>().map(PNorm).map_err(|_| serde::de::Error::custom(format!("p: expected a number >= 1 or \"inf\", got {s:?}"))),
        }
    }
}

/// The per-example scalar whose input gradient a penalty takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GradOf {
    /// Cross-entropy of the label, ℓ(f(x), y) (Ross & Doshi-Velez; Finlay & Oberman; seed 002).
    Loss,
    /// The label's logit f_y(x) (seed 003 §6's InputGrad, ∇ log p(x | y) by its eq 8).
    Logit,
    /// log Σᵢ e^{fᵢ(x)} (seed 003's marginal density; [`Penalty::MarginalDensity`] offers the
    /// paper's three implementations).
    LogSumExp,
}

impl GradOf {
    fn label(self) -> &'static str {
        match self {
            GradOf::Loss => "loss",
            GradOf::Logit => "logit",
            GradOf::LogSumExp => "lse",
        }
    }

    fn target<Bk: Backend>(self, y: Tensor<Bk, 1, Int>) -> GradTarget<Bk> {
        match self {
            GradOf::Loss => GradTarget::Loss(y),
            GradOf::Logit => GradTarget::Logit(y),
            GradOf::LogSumExp => GradTarget::LogSumExp,
        }
    }

    /// ∂t/∂f `[N, K]` as a function of the (tracked) logits `[N, K]`.
    fn cotangent<Bk: Backend>(self, logits: Tensor<Bk, 2>, y: &Tensor<Bk, 1, Int>) -> Tensor<Bk, 2> {
        let k = logits.dims()[1];
        match self {
            GradOf::Loss => burn::tensor::activation::softmax(logits, 1) - one_hot(y.clone(), k),
            GradOf::Logit => one_hot(y.clone(), k),
            GradOf::LogSumExp => burn::tensor::activation::softmax(logits, 1),
        }
    }
}

/// How a gradient penalty is differentiated in the parameters (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// Exact for the linear model and MLPs, finite differences for every other model.
    #[default]
    Auto,
    /// Exact; an error for models that are not dense stacks.
    Exact,
    /// Finite differences along the norm-attaining direction, for any model.
    FiniteDiff,
}

/// Seed 003's three implementations of ∇ₓ log Σᵢ e^{fᵢ(x)} (proofs/marginal_density.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DensityForm {
    /// Eq 4: Σᵢ ∇e^{fᵢ} / Σᵢ e^{fᵢ} with unshifted exponentials (overflows for logits ≳ 88 in f32).
    Plain,
    /// Eq 5: ∇fᵢ − ∇ log softmaxᵢ for a random class i per example: two gradients.
    Stable,
    /// Eq 6: ∇(fᵢ − log softmaxᵢ): one gradient.
    #[default]
    Efficient,
}

fn one() -> usize {
    1
}

fn fd_step() -> f64 {
    prec::PENALTY_FD_STEP
}

/// One regulariser. Every variant's `lambda` multiplies it in the training loss.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Penalty {
    /// λ‖θ_W‖_p over all weight matrices and kernels (no biases), or λ‖θ_W‖₂² with `squared`
    /// (classic weight decay).
    Weight {
        /// Norm.
        p: PNorm,
        /// Square the norm.
        #[serde(default)]
        squared: bool,
        /// Strength λ ≥ 0.
        lambda: f64,
    },
    /// λ·mean_n ‖∇ₓ t(x_n)‖_p, or its square with `squared`.
    InputGrad {
        /// The scalar t.
        of: GradOf,
        /// Norm.
        p: PNorm,
        /// Square the norm (seed 004 B.1.1 uses ‖∇ₓ f‖₂²).
        #[serde(default)]
        squared: bool,
        /// Strength λ ≥ 0.
        lambda: f64,
        /// Exact or finite differences.
        #[serde(default)]
        route: Route,
        /// Step of the finite-difference route.
        #[serde(default = "fd_step")]
        fd_step: f64,
    },
    /// λ·mean_n ‖∇ₓ log Σᵢ e^{fᵢ(x_n)}‖_p (seed 003 eq 4; A.2 sweeps p ∈ [1.2, 2.8]).
    MarginalDensity {
        /// Norm.
        p: PNorm,
        /// Strength λ ≥ 0.
        lambda: f64,
        /// Which of the paper's implementations.
        #[serde(default)]
        form: DensityForm,
        /// Exact or finite differences.
        #[serde(default)]
        route: Route,
        /// Step of the finite-difference route.
        #[serde(default = "fd_step")]
        fd_step: f64,
    },
    /// λ·mean_n (1/S) Σ_s ‖f(x_n + ε_ns) − f(x_n)‖₂² over the logits, ε ~ N(0, σ²I) (seed 004
    /// B.1.2). Noise is not clipped to the pixel range.
    Smoothness {
        /// Noise level σ > 0.
        sigma: f64,
        /// Strength λ ≥ 0.
        lambda: f64,
        /// Noise draws S per example.
        #[serde(default = "one")]
        samples: usize,
    },
    /// Finite-difference curvature λ·mean_n ‖∇t(x_n + h z_n) − ∇t(x_n)‖₂² / h², z_n uniform on
    /// the unit sphere (a Gaussian vector normalised per example): ≈ ‖H z‖² with H = ∇²t, whose
    /// expectation is ‖H‖_F²/D — a Hutchinson-type estimate of the Hessian's Frobenius norm, the
    /// curvature seed 003's Hessian baseline (Dombrowski et al. 2022) regularises.
    Hessian {
        /// The scalar t.
        of: GradOf,
        /// Step h > 0 of the difference of gradients.
        h: f64,
        /// Strength λ ≥ 0.
        lambda: f64,
        /// Exact (both gradients as forward ops) or finite differences (four forward passes).
        #[serde(default)]
        route: Route,
        /// Step of the finite-difference route.
        #[serde(default = "fd_step")]
        fd_step: f64,
    },
}

/// Stream offsets of a penalty's randomness below its seed.
const STREAM_NOISE: u64 = 1;
const STREAM_CLASS: u64 = 2;
const STREAM_SPHERE: u64 = 3;

impl Penalty {
    /// ℓ1 weight penalty λΣ|w| (seed 001's l-model; its Table 1 uses λ ∈ {1e-5, 0.01, 0.02}).
    pub fn weight_l1(lambda: f64) -> Self {
        Penalty::Weight { p: PNorm::L1, squared: false, lambda }
    }

    /// Squared ℓ2 weight penalty λΣw² (seed 002's ℓ2 "proportional to the square").
    pub fn weight_l2(lambda: f64) -> Self {
        Penalty::Weight { p: PNorm::L2, squared: true, lambda }
    }

    /// ℓ∞ weight penalty λ max|w| (seed 002: "penalizes only the largest value").
    pub fn weight_linf(lambda: f64) -> Self {
        Penalty::Weight { p: PNorm::LINF, squared: false, lambda }
    }

    /// Loss-gradient penalty λ‖∇ₓℓ‖_p (squared for p = 2, as seed 002's ℓ2 and Finlay & Oberman).
    pub fn grad(p: PNorm, lambda: f64) -> Self {
        Penalty::InputGrad { of: GradOf::Loss, p, squared: p == PNorm::L2, lambda, route: Route::Auto, fd_step: prec::PENALTY_FD_STEP }
    }

    /// Seed 003 §6's InputGrad regularisation: λ‖∇ₓ f_y‖₂ (the Frobenius norm of the label
    /// logit's gradient; seed 003 uses p = 2 for every compared regulariser).
    pub fn input_grad_logit(lambda: f64) -> Self {
        Penalty::InputGrad { of: GradOf::Logit, p: PNorm::L2, squared: false, lambda, route: Route::Auto, fd_step: prec::PENALTY_FD_STEP }
    }

    /// Seed 003 eq 4 with the efficient form (eq 6).
    pub fn marginal_density(p: PNorm, lambda: f64) -> Self {
        Penalty::MarginalDensity { p, lambda, form: DensityForm::Efficient, route: Route::Auto, fd_step: prec::PENALTY_FD_STEP }
    }

    /// A short name for tables and file names.
    pub fn name(&self) -> String {
        let sq = |s: bool| if s { "sq" } else { "" };
        match self {
            Penalty::Weight { p, squared, lambda } => format!("weight-{}{}-lam{lambda}", p.label(), sq(*squared)),
            Penalty::InputGrad { of, p, squared, lambda, .. } => format!("grad-{}-{}{}-lam{lambda}", of.label(), p.label(), sq(*squared)),
            Penalty::MarginalDensity { p, lambda, form, .. } => format!("md-{}-{}-lam{lambda}", p.label(), format!("{form:?}").to_lowercase()),
            Penalty::Smoothness { sigma, lambda, .. } => format!("smooth-sigma{sigma}-lam{lambda}"),
            Penalty::Hessian { of, h, lambda, .. } => format!("hessian-{}-h{h}-lam{lambda}", of.label()),
        }
    }

    /// The strength λ.
    pub fn lambda(&self) -> f64 {
        match self {
            Penalty::Weight { lambda, .. }
            | Penalty::InputGrad { lambda, .. }
            | Penalty::MarginalDensity { lambda, .. }
            | Penalty::Smoothness { lambda, .. }
            | Penalty::Hessian { lambda, .. } => *lambda,
        }
    }

    /// The same penalty with strength `lambda`.
    pub fn with_lambda(mut self, lambda: f64) -> Self {
        match &mut self {
            Penalty::Weight { lambda: l, .. }
            | Penalty::InputGrad { lambda: l, .. }
            | Penalty::MarginalDensity { lambda: l, .. }
            | Penalty::Smoothness { lambda: l, .. }
            | Penalty::Hessian { lambda: l, .. } => *l = lambda,
        }
        self
    }

    /// Validates parameters; errors name `prefix` + the parameter (`lambda`, `p`, `h`, `sigma`,
    /// `samples`, `fd_step`).
    pub fn validate_as(&self, prefix: &str) -> Result<()> {
        let name = |n: &str| format!("{prefix}{n}");
        let positive = |n: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::param(name(n), format!("must be finite and > 0, got {v}")))
            }
        };
        let lambda = self.lambda();
        if !(lambda.is_finite() && lambda >= 0.0) {
            return Err(Error::param(name("lambda"), format!("must be finite and >= 0, got {lambda}")));
        }
        match self {
            Penalty::Weight { p, .. } => p.check(&name("p")),
            Penalty::InputGrad { p, fd_step, .. } | Penalty::MarginalDensity { p, fd_step, .. } => {
                p.check(&name("p"))?;
                positive("fd_step", *fd_step)
            }
            Penalty::Smoothness { sigma, samples, .. } => {
                positive("sigma", *sigma)?;
                if *samples == 0 {
                    return Err(Error::param(name("samples"), "must be at least 1"));
                }
                Ok(())
            }
            Penalty::Hessian { h, fd_step, .. } => {
                positive("h", *h)?;
                positive("fd_step", *fd_step)
            }
        }
    }

    /// Validates parameters (errors name the bare parameter).
    pub fn validate(&self) -> Result<()> {
        self.validate_as("")
    }

    /// The penalty term λ·P added to the loss, `[1]`, differentiable in the parameters.
    ///
    /// # Shapes
    /// - `x`: `[N, D]`, `y`: `[N]`
    pub fn loss<B, M>(&self, model: &M, x: Tensor<B, 2>, y: Tensor<B, 1, Int>, seed: Seed) -> Result<Tensor<B, 1>>
    where
        B: AutodiffBackend,
        M: Classifier<B> + AutodiffModule<B>,
    {
        Ok(self.measure(model, x, y, seed)?.mul_scalar(self.lambda()))
    }

    /// The unweighted penalty P `[1]` (the batch mean for per-example penalties), differentiable in
    /// the parameters.
    ///
    /// # Shapes
    /// - `x`: `[N, D]`, `y`: `[N]`
    pub fn measure<B, M>(&self, model: &M, x: Tensor<B, 2>, y: Tensor<B, 1, Int>, seed: Seed) -> Result<Tensor<B, 1>>
    where
        B: AutodiffBackend,
        M: Classifier<B> + AutodiffModule<B>,
    {
        self.validate()?;
        let [n, _] = check_input(model, &x)?;
        if y.dims()[0] != n {
            return Err(Error::Shape(format!("{n} inputs but {} labels", y.dims()[0])));
        }
        match self {
            Penalty::Weight { p, squared, .. } => weight_norm(model, *p, *squared),
            Penalty::InputGrad { of, p, squared, route, fd_step, .. } => {
                let norms = match stack_for(model, *route)? {
                    Some(stack) => {
                        let (logits, tape) = stack.forward(x);
                        let u = of.cotangent(logits, &y);
                        dual_norm(stack.pullback(&tape, u), *p)
                    }
                    None => fd_grad_norm(model, x, &y, *of, *p, *fd_step)?,
                };
                Ok(power_mean(norms, *squared))
            }
            Penalty::MarginalDensity { p, form, route, fd_step, .. } => {
                let k = model.num_classes();
                let class = random_classes::<B>(n, k, seed.derive(STREAM_CLASS), &x.device());
                let norms = match stack_for(model, *route)? {
                    Some(stack) => dual_norm(density_gradient_exact(&stack, x, &class, *form), *p),
                    None => fd_density_norm(model, x, &class, *p, *form, *fd_step)?,
                };
                Ok(norms.mean())
            }
            Penalty::Smoothness { sigma, samples, .. } => {
                let f0 = model.forward_mode(x.clone(), Mode::Train);
                let mut total: Option<Tensor<B, 1>> = None;
                for s in 0..*samples {
                    let eps = gaussian::<B>(x.dims(), *sigma, seed.derive(STREAM_NOISE).derive(s as u64), &x.device());
                    let f1 = model.forward_mode(x.clone() + eps, Mode::Train);
                    let sq = (f1 - f0.clone()).powf_scalar(2.0).sum_dim(1).mean().reshape([1]);
                    total = Some(match total {
                        Some(t) => t + sq,
                        None => sq,
                    });
                }
                Ok(total.map(|t| t.div_scalar(*samples as f64)).unwrap_or_else(|| Tensor::zeros([1], &x.device())))
            }
            Penalty::Hessian { of, h, route, fd_step, .. } => {
                let z = unit_sphere::<B>(x.dims(), seed.derive(STREAM_SPHERE), &x.device());
                let xz = x.clone() + z.mul_scalar(*h);
                let diff_sq = match stack_for(model, *route)? {
                    Some(stack) => {
                        let (l0, t0) = stack.forward(x);
                        let g0 = stack.pullback(&t0, of.cotangent(l0, &y));
                        let (l1, t1) = stack.forward(xz);
                        let g1 = stack.pullback(&t1, of.cotangent(l1, &y));
                        (g1 - g0).powf_scalar(2.0).sum_dim(1).reshape([n])
                    }
                    None => fd_hessian_norm(model, x, xz, &y, *of, *fd_step)?.powf_scalar(2.0),
                };
                Ok(diff_sq.mean().div_scalar(h * h))
            }
        }
    }
}

/// The dense view of `model` if `route` takes the exact route.
fn stack_for<B: Backend, M: Classifier<B>>(model: &M, route: Route) -> Result<Option<DenseStack<'_, B>>> {
    match route {
        Route::Auto => Ok(model.dense_stack()),
        Route::Exact => model.dense_stack().map(Some).ok_or_else(|| {
            Error::param("route", "the exact route needs the linear model or an MLP; use the automatic or the finite-difference route for this model")
        }),
        Route::FiniteDiff => Ok(None),
    }
}

/// mean_n v_n, or mean_n v_n² with `squared`.
fn power_mean<B: Backend>(v: Tensor<B, 1>, squared: bool) -> Tensor<B, 1> {
    if squared {
        v.powf_scalar(2.0).mean()
    } else {
        v.mean()
    }
}

/// One-hot rows `[N, K]` of labels `[N]`.
fn one_hot<Bk: Backend>(y: Tensor<Bk, 1, Int>, k: usize) -> Tensor<Bk, 2> {
    y.one_hot::<2>(k).float()
}

/// For each row g of `g` `[N, D]` the maximiser d of ⟨g, d⟩ over the dual unit ball ‖d‖_q ≤ 1
/// (1/p + 1/q = 1), so that ⟨g, d⟩ = ‖g‖_p; rows whose largest entry is at most
/// [`prec::NORM_FLOOR`] get d = 0. See the module docs for the closed forms.
///
/// # Shapes
/// - `g`: `[N, D]`; returns `[N, D]`
pub fn dual_direction<Bk: Backend>(g: Tensor<Bk, 2>, p: PNorm) -> Tensor<Bk, 2> {
    let [n, d] = g.dims();
    let p = p.p();
    if p == 1.0 {
        return g.sign();
    }
    if p.is_infinite() {
        let idx = g.clone().abs().argmax(1);
        let device = g.device();
        let pick = Tensor::<Bk, 2>::zeros([n, d], &device).scatter(1, idx, Tensor::ones([n, 1], &device), burn::tensor::IndexingUpdateOp::Add);
        return pick * g.sign();
    }
    // Scale by the row maximum first so |g|^p neither overflows nor underflows.
    let m = g.clone().abs().max_dim(1).clamp_min(prec::NORM_FLOOR);
    let a = g.clone().abs() / m;
    let w = a.clone().powf_scalar(p - 1.0);
    let norm = a.powf_scalar(p).sum_dim(1).powf_scalar((p - 1.0) / p).clamp_min(prec::NORM_FLOOR);
    g.sign() * w / norm
}

/// ‖g_n‖_p per row `[N]` as ⟨g_n, d_n⟩ with the dual direction held constant: the right value
/// and, by Danskin's theorem, the right derivative, without a singularity at g = 0.
fn dual_norm<B: AutodiffBackend>(g: Tensor<B, 2>, p: PNorm) -> Tensor<B, 1> {
    let n = g.dims()[0];
    let d = dual_direction(g.clone().detach(), p);
    (g * d).sum_dim(1).reshape([n])
}

/// Euclidean row norms `[N, 1]` (at least [`prec::NORM_FLOOR`]) and the unit rows of `d`.
fn unit_rows<Bk: Backend>(d: Tensor<Bk, 2>) -> (Tensor<Bk, 2>, Tensor<Bk, 2>) {
    let norm = d.clone().powf_scalar(2.0).sum_dim(1).sqrt();
    let u = d / norm.clone().clamp_min(prec::NORM_FLOOR);
    (norm, u)
}

/// Per-example values `[N]` of `of` on logits `[N, K]`.
fn values<B: Backend>(logits: Tensor<B, 2>, of: GradOf, y: &Tensor<B, 1, Int>) -> Tensor<B, 1> {
    target_value(logits, &of.target(y.clone()))
}

/// Finite-difference route for ‖∇ₓ t‖_p `[N]`: central quotient along the dual direction.
fn fd_grad_norm<B, M>(model: &M, x: Tensor<B, 2>, y: &Tensor<B, 1, Int>, of: GradOf, p: PNorm, h: f64) -> Result<Tensor<B, 1>>
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    let n = x.dims()[0];
    let (g, _) = input_gradient::<B, M>(model, x.clone().inner(), &of.target(y.clone().inner()))?;
    let (dn, u) = unit_rows(dual_direction(g, p));
    let (dn, u) = (Tensor::<B, 2>::from_inner(dn).reshape([n]), Tensor::<B, 2>::from_inner(u).mul_scalar(h));
    let tp = values(model.forward_mode(x.clone() + u.clone(), Mode::Train), of, y);
    let tm = values(model.forward_mode(x - u, Mode::Train), of, y);
    Ok((tp - tm).div_scalar(2.0 * h) * dn)
}

/// A class index per example, uniform, drawn from `seed` (seed 003 eq 5 and 6's "random i").
fn random_classes<B: Backend>(n: usize, k: usize, seed: Seed, device: &B::Device) -> Tensor<B, 1, Int> {
    let mut rng = seed.rng();
    let v: Vec<i64> = (0..n).map(|_| rng.random_range(0..k) as i64).collect();
    Tensor::from_data(TensorData::new(v, [n]), device)
}

/// i.i.d. N(0, σ²) noise of shape `[N, D]` from `seed`.
fn gaussian<B: Backend>(dims: [usize; 2], sigma: f64, seed: Seed, device: &B::Device) -> Tensor<B, 2> {
    Init::<B>::new(seed, device).normal(dims, sigma)
}

/// Rows uniform on the unit sphere of ℝ^D (normalised Gaussians), `[N, D]`.
fn unit_sphere<B: Backend>(dims: [usize; 2], seed: Seed, device: &B::Device) -> Tensor<B, 2> {
    unit_rows(gaussian::<B>(dims, 1.0, seed, device)).1
}

/// ∇ₓ log Σᵢ e^{fᵢ} `[N, D]` on the exact route, by the paper's eq 4, 5 or 6.
fn density_gradient_exact<B: Backend>(stack: &DenseStack<'_, B>, x: Tensor<B, 2>, class: &Tensor<B, 1, Int>, form: DensityForm) -> Tensor<B, 2> {
    let (logits, tape) = stack.forward(x);
    let k = logits.dims()[1];
    match form {
        DensityForm::Plain => {
            // Σᵢ ∇e^{fᵢ} / Σᵢ e^{fᵢ}: the cotangent of Z = Σᵢ e^{fᵢ} is e^{f}, unshifted.
            let e = logits.exp();
            let z = e.clone().sum_dim(1);
            stack.pullback(&tape, e) / z
        }
        DensityForm::Stable => {
            // ∇fᵢ − ∇ log softmaxᵢ: two pullbacks, subtracted.
            let oh = one_hot(class.clone(), k);
            let dlsm = oh.clone() - burn::tensor::activation::softmax(logits, 1);
            stack.pullback(&tape, oh) - stack.pullback(&tape, dlsm)
        }
        DensityForm::Efficient => {
            // ∇(fᵢ − log softmaxᵢ): one pullback of the difference's cotangent.
            let oh = one_hot(class.clone(), k);
            let u = oh.clone() - (oh - burn::tensor::activation::softmax(logits, 1));
            stack.pullback(&tape, u)
        }
    }
}

/// Finite-difference route of the marginal-density norm `[N]`, each form differentiating its own
/// scalars along the dual direction of ∇ₓ logsumexp.
fn fd_density_norm<B, M>(model: &M, x: Tensor<B, 2>, class: &Tensor<B, 1, Int>, p: PNorm, form: DensityForm, h: f64) -> Result<Tensor<B, 1>>
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    let n = x.dims()[0];
    let (g, _) = input_gradient::<B, M>(model, x.clone().inner(), &GradTarget::LogSumExp)?;
    let (dn, u) = unit_rows(dual_direction(g, p));
    let (dn, u) = (Tensor::<B, 2>::from_inner(dn).reshape([n]), Tensor::<B, 2>::from_inner(u).mul_scalar(h));
    let lp = model.forward_mode(x.clone() + u.clone(), Mode::Train);
    let lm = model.forward_mode(x - u, Mode::Train);
    let q = |a: Tensor<B, 1>, b: Tensor<B, 1>| (a - b).div_scalar(2.0 * h);
    let pick = |l: &Tensor<B, 2>| l.clone().gather(1, class.clone().reshape([n, 1])).reshape([n]);
    let lsm = |l: &Tensor<B, 2>| burn::tensor::activation::log_softmax(l.clone(), 1).gather(1, class.clone().reshape([n, 1])).reshape([n]);
    let quotient = match form {
        DensityForm::Plain => {
            let zp = lp.exp().sum_dim(1).reshape([n]);
            let zm = lm.exp().sum_dim(1).reshape([n]);
            // Z(x) by the midpoint (Z₊ + Z₋)/2, exact to O(h²) like the quotient itself.
            q(zp.clone(), zm.clone()) / (zp + zm).div_scalar(2.0)
        }
        DensityForm::Stable => q(pick(&lp), pick(&lm)) - q(lsm(&lp), lsm(&lm)),
        DensityForm::Efficient => q(pick(&lp) - lsm(&lp), pick(&lm) - lsm(&lm)),
    };
    Ok(quotient * dn)
}

/// Finite-difference route of ‖∇t(x + hz) − ∇t(x)‖₂ `[N]`: the difference Δ of the two detached
/// gradients gives the direction e = Δ/‖Δ‖; ⟨Δ, e⟩ is a difference of two central quotients
/// along e (four forward passes).
fn fd_hessian_norm<B, M>(model: &M, x: Tensor<B, 2>, xz: Tensor<B, 2>, y: &Tensor<B, 1, Int>, of: GradOf, step: f64) -> Result<Tensor<B, 1>>
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    let target = of.target(y.clone().inner());
    let (g0, _) = input_gradient::<B, M>(model, x.clone().inner(), &target)?;
    let (g1, _) = input_gradient::<B, M>(model, xz.clone().inner(), &target)?;
    let e = Tensor::<B, 2>::from_inner(unit_rows(g1 - g0).1).mul_scalar(step);
    let t = |z: Tensor<B, 2>| values(model.forward_mode(z, Mode::Train), of, y);
    let at_z = t(xz.clone() + e.clone()) - t(xz - e.clone());
    let at_x = t(x.clone() + e.clone()) - t(x - e);
    Ok((at_z - at_x).div_scalar(2.0 * step))
}

/// Collects the parameters of rank ≥ 2 (weight matrices and kernels) as partial norms.
struct WeightNorms<B: Backend> {
    p: f64,
    parts: Vec<Tensor<B, 1>>,
}

impl<B: Backend> burn::module::ModuleVisitor<B> for WeightNorms<B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if D < 2 {
            return;
        }
        let a = param.val().abs();
        let part = if self.p.is_infinite() {
            a.max()
        } else if self.p == 1.0 {
            a.sum()
        } else {
            a.powf_scalar(self.p).sum()
        };
        self.parts.push(part.reshape([1]));
    }
}

/// ‖θ_W‖_p (or ‖θ_W‖_p² with `squared`) over all parameters of rank ≥ 2, `[1]`.
fn weight_norm<B: Backend, M: burn::module::Module<B>>(model: &M, p: PNorm, squared: bool) -> Result<Tensor<B, 1>> {
    let mut v = WeightNorms { p: p.p(), parts: Vec::new() };
    model.visit(&mut v);
    if v.parts.is_empty() {
        return Err(Error::param("penalty", "the model has no weight matrices to penalise"));
    }
    let all = Tensor::cat(v.parts, 0);
    let p = p.p();
    let norm = if p.is_infinite() {
        all.max()
    } else if p == 1.0 {
        all.sum()
    } else if squared && p == 2.0 {
        return Ok(all.sum());
    } else {
        all.sum().powf_scalar(1.0 / p)
    };
    Ok(if squared { norm.powf_scalar(2.0) } else { norm })
}

/// ∇ₓ log Σᵢ e^{fᵢ(x)} `[N, D]` of a dense model (linear or MLP) by seed 003's eq 4, 5 or 6, as
/// the exact route of [`Penalty::MarginalDensity`] computes it (the random class of eq 5–6 drawn
/// from `seed` in the same way). An error for other models.
///
/// # Shapes
/// - `x`: `[N, D]`; returns `[N, D]`
pub fn marginal_density_gradient<B: Backend, M: Classifier<B>>(model: &M, x: Tensor<B, 2>, form: DensityForm, seed: Seed) -> Result<Tensor<B, 2>> {
    let [n, _] = check_input(model, &x)?;
    let stack = stack_for(model, Route::Exact)?.ok_or_else(|| Error::param("route", "no dense view"))?;
    let class = random_classes::<B>(n, model.num_classes(), seed.derive(STREAM_CLASS), &x.device());
    Ok(density_gradient_exact(&stack, x, &class, form))
}
