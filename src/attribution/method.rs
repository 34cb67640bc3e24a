//! Methods as data: what a spec file or the command line names, turned into an [`Attribution`].

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::{
    Attribution, Baseline, Budget, DeepLift, DeepShap, GradientShap, GuidedBackprop, IgRule, IntegratedGradients, LinearModelAttribution, Lrp, LrpRule, NoiseKind, NoiseTunnel,
    Occlusion, RandomAttribution, Saliency, Sigma, Transform, Transformed,
};
use crate::error::{Error, Result};
use crate::model::Classifier;
use crate::rng::Seed;

/// A baseline that a spec or the command line can name (a given tensor comes through the API).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BaselineSpec {
    /// All zeros.
    #[default]
    Zero,
    /// A constant.
    Constant {
        /// The value (input units).
        value: f64,
    },
    /// The Gaussian-blurred input.
    Blur {
        /// σ in pixels.
        sigma: f64,
    },
    /// Uniform noise.
    Uniform {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
        /// Seed.
        seed: u64,
    },
}

impl BaselineSpec {
    /// The baseline.
    pub fn baseline(self) -> Baseline {
        match self {
            BaselineSpec::Zero => Baseline::Zero,
            BaselineSpec::Constant { value } => Baseline::Constant(value),
            BaselineSpec::Blur { sigma } => Baseline::Blur { sigma },
            BaselineSpec::Uniform { lo, hi, seed } => Baseline::Uniform { lo, hi, seed: Seed(seed) },
        }
    }
}

/// Every method of the attribution layer, with its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Method {
    /// ∇ₓ t.
    Saliency,
    /// x ⊙ ∇ₓ t.
    InputXGradient,
    /// Integrated Gradients.
    IntegratedGradients {
        /// Quadrature rule.
        rule: IgRule,
        /// Gradient evaluations per example.
        steps: usize,
        /// Baseline.
        #[serde(default)]
        baseline: BaselineSpec,
    },
    /// A noise wrapper (SmoothGrad, SmoothGrad², VarGrad) around another method.
    Noise {
        /// Combination.
        kind: NoiseKind,
        /// Samples.
        samples: usize,
        /// Noise level.
        sigma: Sigma,
        /// Seed.
        seed: u64,
        /// The wrapped method.
        of: Box<Method>,
    },
    /// GradientSHAP over the background set.
    GradientShap {
        /// Samples per example.
        samples: usize,
        /// Input noise σ (0 = Expected Gradients).
        sigma: f64,
        /// Seed.
        seed: u64,
    },
    /// DeepSHAP over the background set.
    DeepShap,
    /// DeepLIFT-Rescale.
    DeepLift {
        /// Baseline.
        #[serde(default)]
        baseline: BaselineSpec,
    },
    /// Guided Backprop.
    GuidedBackprop,
    /// LRP.
    Lrp {
        /// Rule.
        rule: LrpRule,
        /// Stabiliser.
        eps: f64,
    },
    /// Occlusion.
    Occlusion {
        /// Window `[C, H, W]` (C = 0: all channels).
        window: [usize; 3],
        /// Stride `[C, H, W]`.
        stride: [usize; 3],
        /// Fill value.
        fill: f64,
    },
    /// The random control.
    Random {
        /// Seed.
        seed: u64,
    },
    /// The linear-model control (needs the linear model's weights).
    LinearModel,
}

/// What some methods need besides their parameters.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Background set `[B, D]` of GradientSHAP and DeepSHAP.
    pub background: Option<Array2<f32>>,
    /// Weights `[D, K]` of the linear model of the linear-model control.
    pub linear_weights: Option<Array2<f32>>,
    /// Memory budget.
    pub budget: Budget,
}

impl Method {
    /// A short name for file names and figure labels.
    pub fn label(&self) -> String {
        match self {
            Method::Saliency => "saliency".into(),
            Method::InputXGradient => "input_x_gradient".into(),
            Method::IntegratedGradients { rule, steps, .. } => format!("ig_{}_{steps}", rule.as_str()),
            Method::Noise { kind, samples, of, .. } => format!("{}_{samples}_{}", kind.as_str(), of.label()),
            Method::GradientShap { samples, .. } => format!("gradient_shap_{samples}"),
            Method::DeepShap => "deep_shap".into(),
            Method::DeepLift { .. } => "deeplift".into(),
            Method::GuidedBackprop => "guided_backprop".into(),
            Method::Lrp { rule: LrpRule::Epsilon, .. } => "lrp_epsilon".into(),
            Method::Lrp { rule: LrpRule::ZPlus, .. } => "lrp_zplus".into(),
            Method::Occlusion { window, .. } => format!("occlusion_{}x{}", window[1], window[2]),
            Method::Random { .. } => "random".into(),
            Method::LinearModel => "linear_model".into(),
        }
    }

    /// Whether the method is defined through the model's own operations with rules of its own
    /// (its target must be linear in the logits).
    pub fn is_rule_based(&self) -> bool {
        matches!(self, Method::DeepShap | Method::DeepLift { .. } | Method::GuidedBackprop | Method::Lrp { .. })
    }

    /// The method as an [`Attribution`] for models `M` on backend `B`.
    pub fn build<B, M>(&self, ctx: &Context) -> Result<Box<dyn Attribution<B, M>>>
    where
        B: AutodiffBackend,
        M: Classifier<B> + AutodiffModule<B> + 'static,
    {
        let budget = ctx.budget;
        let background = || -> Result<Array2<f32>> {
            ctx.background.clone().ok_or_else(|| Error::param("background", format!("{} needs a background set of baselines", self.label())))
        };
        Ok(match self {
            Method::Saliency => Box::new(Saliency { budget }),
            Method::InputXGradient => Box::new(Transformed { inner: Saliency { budget }, transform: Transform::TimesInput }),
            Method::IntegratedGradients { rule, steps, baseline } => Box::new(IntegratedGradients { rule: *rule, steps: *steps, baseline: baseline.baseline(), budget }),
            Method::Noise { kind, samples, sigma, seed, of } => {
                if matches!(**of, Method::Noise { .. }) {
                    return Err(Error::param("method", "a noise wrapper around another noise wrapper is not supported"));
                }
                Box::new(NoiseTunnel { inner: of.build::<B, M>(ctx)?, kind: *kind, samples: *samples, sigma: *sigma, seed: Seed(*seed), budget })
            }
            Method::GradientShap { samples, sigma, seed } => Box::new(GradientShap { background: background()?, samples: *samples, sigma: *sigma, seed: Seed(*seed), budget }),
            Method::DeepShap => Box::new(DeepShap { budget, ..DeepShap::new(background()?) }),
            Method::DeepLift { baseline } => Box::new(DeepLift { baseline: baseline.baseline(), budget, ..DeepLift::default() }),
            Method::GuidedBackprop => Box::new(GuidedBackprop { budget }),
            Method::Lrp { rule, eps } => Box::new(Lrp { rule: *rule, eps: *eps, budget }),
            Method::Occlusion { window, stride, fill } => Box::new(Occlusion { window: *window, stride: *stride, fill: *fill, budget }),
            Method::Random { seed } => Box::new(RandomAttribution { seed: Seed(*seed) }),
            Method::LinearModel => Box::new(LinearModelAttribution {
                weights: ctx.linear_weights.clone().ok_or_else(|| Error::param("method", "the linear-model control needs a trained linear model's weights"))?,
            }),
        })
    }
}
