//! Which output an attribution explains.
//!
//! A [`Target`] is what a user asks for ("the logit of the predicted class", "the cross-entropy
//! with the true label"); [`Target::resolve`] fixes it, per example, into a [`Scalar`] — class
//! indices decided once at the clean input, so that Integrated Gradients or SmoothGrad
//! differentiate the *same* class at every point of a path or every noisy copy (as Captum does when
//! it is given the class). [`GradTarget`] is the tensor form that the gradient code differentiates.
//!
//! | target | scalar of example i | used by |
//! |---|---|---|
//! | `logit:predicted` / `logit:true` / `logit:K` | f_k(x) | seed 000 §3 (the predicted logit) |
//! | `probability:…` | softmax(f(x))_k | seed 001 App. J (true-class probability) |
//! | `loss` | −log softmax(f(x))_y | seed 000 App. C.5 |
//! | `sum-logits` | Σ_k f_k(x) | seed 004 B.3 (unconditional score models) |
//! | `logsumexp` | log Σ_k e^{f_k(x)} | seed 003 (marginal density, up to a constant) |

use std::fmt;
use std::str::FromStr;

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A class chosen per example.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// The model's prediction at the clean input (argmax of the logits; the lowest index on ties).
    Predicted,
    /// The example's label.
    True,
    /// The same class for every example.
    Given(usize),
}

/// The output whose attribution is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The logit of a class.
    Logit(Class),
    /// The softmax probability of a class.
    Probability(Class),
    /// Cross-entropy with the label.
    Loss,
    /// The sum of the logits over the classes.
    SumLogits,
    /// log Σ_k e^{f_k}.
    LogSumExp,
}

impl Target {
    /// Whether the target needs the examples' labels.
    pub fn needs_labels(self) -> bool {
        matches!(self, Target::Logit(Class::True) | Target::Probability(Class::True) | Target::Loss)
    }

    /// Whether the scalar is a linear function of the logits (what rule-based methods —
    /// DeepLIFT, Guided Backprop, LRP — can start from).
    pub fn is_linear_in_logits(self) -> bool {
        matches!(self, Target::Logit(_) | Target::SumLogits)
    }

    /// Fixes the target per example: class indices from `labels` or from the `logits` at the
    /// clean inputs.
    ///
    /// # Shapes
    /// - `logits`: `[N, K]` (needed for [`Class::Predicted`] and to check class indices)
    pub fn resolve<B: Backend>(self, logits: &Tensor<B, 2>, labels: Option<&[usize]>) -> Result<Scalar> {
        let [n, k] = logits.dims();
        let classes = |c: Class| -> Result<Vec<usize>> {
            let out = match c {
                Class::Predicted => predicted(logits),
                Class::True => {
                    let y = labels.ok_or_else(|| Error::param("target", format!("`{self}` needs the examples' labels")))?;
                    if y.len() != n {
                        return Err(Error::Shape(format!("{} labels for {n} examples", y.len())));
                    }
                    y.to_vec()
                }
                Class::Given(c) => vec![c; n],
            };
            if let Some(&bad) = out.iter().find(|&&c| c >= k) {
                return Err(Error::param("target", format!("class {bad} is out of range for a model with {k} classes")));
            }
            Ok(out)
        };
        Ok(match self {
            Target::Logit(c) => Scalar::Logit(classes(c)?),
            Target::Probability(c) => Scalar::Probability(classes(c)?),
            Target::Loss => Scalar::Loss(classes(Class::True)?),
            Target::SumLogits => Scalar::SumLogits(n),
            Target::LogSumExp => Scalar::LogSumExp(n),
        })
    }
}

/// Argmax of each row of `[N, K]` logits (the lowest index on ties, as `torch.argmax` on CPU).
///
/// # Shapes
/// - `logits`: `[N, K]`; returns N class indices
pub fn predicted<B: Backend>(logits: &Tensor<B, 2>) -> Vec<usize> {
    let [n, k] = logits.dims();
    let v: Vec<f32> = logits.clone().into_data().convert::<f32>().to_vec().unwrap_or_default();
    (0..n)
        .map(|i| {
            let row = &v[i * k..(i + 1) * k];
            let mut best = 0;
            for (j, &x) in row.iter().enumerate() {
                if x > row[best] {
                    best = j;
                }
            }
            best
        })
        .collect()
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Class::Predicted => f.write_str("predicted"),
            Class::True => f.write_str("true"),
            Class::Given(c) => write!(f, "{c}"),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Logit(c) => write!(f, "logit:{c}"),
            Target::Probability(c) => write!(f, "probability:{c}"),
            Target::Loss => f.write_str("loss"),
            Target::SumLogits => f.write_str("sum-logits"),
            Target::LogSumExp => f.write_str("logsumexp"),
        }
    }
}

impl FromStr for Target {
    type Err = Error;
    /// `logit:predicted`, `logit:true`, `logit:3`, `probability:…`, `loss`, `sum-logits`,
    /// `logsumexp`; a bare `predicted`, `true` or class number means the logit.
    fn from_str(s: &str) -> Result<Self> {
        let class = |c: &str| -> Result<Class> {
            match c {
                "predicted" | "pred" => Ok(Class::Predicted),
                "true" | "label" => Ok(Class::True),
                n => n.parse::<usize>().map(Class::Given).map_err(|_| {
                    Error::param("target", format!("`{s}`: the class must be `predicted`, `true` or a class number, got `{n}`"))
                }),
            }
        };
        match s.split_once(':') {
            Some(("logit", c)) => Ok(Target::Logit(class(c)?)),
            Some(("probability" | "prob", c)) => Ok(Target::Probability(class(c)?)),
            Some(_) => Err(Error::param("target", format!("`{s}` is not a target; use logit:CLASS, probability:CLASS, loss, sum-logits or logsumexp"))),
            None => match s {
                "loss" => Ok(Target::Loss),
                "sum-logits" | "sum_logits" => Ok(Target::SumLogits),
                "logsumexp" | "lse" => Ok(Target::LogSumExp),
                c => class(c).map(Target::Logit),
            },
        }
    }
}

/// A target fixed per example: the scalar each example's attribution explains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scalar {
    /// f_{k_i}(x_i).
    Logit(Vec<usize>),
    /// softmax(f(x_i))_{k_i}.
    Probability(Vec<usize>),
    /// Cross-entropy with label y_i.
    Loss(Vec<usize>),
    /// Σ_k f_k(x_i), for the given number of examples.
    SumLogits(usize),
    /// log Σ_k e^{f_k(x_i)}, for the given number of examples.
    LogSumExp(usize),
}

impl Scalar {
    /// Number of examples.
    pub fn len(&self) -> usize {
        match self {
            Scalar::Logit(c) | Scalar::Probability(c) | Scalar::Loss(c) => c.len(),
            Scalar::SumLogits(n) | Scalar::LogSumExp(n) => *n,
        }
    }

    /// Whether it covers no example.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The classes per example, where the scalar has them.
    pub fn classes(&self) -> Option<&[usize]> {
        match self {
            Scalar::Logit(c) | Scalar::Probability(c) | Scalar::Loss(c) => Some(c),
            Scalar::SumLogits(_) | Scalar::LogSumExp(_) => None,
        }
    }

    /// Whether the scalar is linear in the logits.
    pub fn is_linear_in_logits(&self) -> bool {
        matches!(self, Scalar::Logit(_) | Scalar::SumLogits(_))
    }

    /// The scalar for the examples `rows` (indices into this one, repeats allowed).
    pub fn rows(&self, rows: impl IntoIterator<Item = usize>) -> Scalar {
        let rows: Vec<usize> = rows.into_iter().collect();
        let pick = |c: &[usize]| rows.iter().map(|&r| c[r]).collect::<Vec<_>>();
        match self {
            Scalar::Logit(c) => Scalar::Logit(pick(c)),
            Scalar::Probability(c) => Scalar::Probability(pick(c)),
            Scalar::Loss(c) => Scalar::Loss(pick(c)),
            Scalar::SumLogits(_) => Scalar::SumLogits(rows.len()),
            Scalar::LogSumExp(_) => Scalar::LogSumExp(rows.len()),
        }
    }

    /// The tensor form on `device`.
    ///
    /// # Shapes
    /// - returns `[N]` class indices (N = [`Scalar::len`]) for the logit, probability and loss
    ///   scalars
    pub fn grad_target<B: Backend>(&self, device: &B::Device) -> GradTarget<B> {
        let ints = |c: &[usize]| -> Tensor<B, 1, Int> {
            let v: Vec<i64> = c.iter().map(|&k| k as i64).collect();
            Tensor::from_data(TensorData::new(v, [c.len()]), device)
        };
        match self {
            Scalar::Logit(c) => GradTarget::Logit(ints(c)),
            Scalar::Probability(c) => GradTarget::Probability(ints(c)),
            Scalar::Loss(c) => GradTarget::Loss(ints(c)),
            Scalar::SumLogits(_) => GradTarget::SumLogits,
            Scalar::LogSumExp(_) => GradTarget::LogSumExp,
        }
    }

    /// The cotangent `∂t/∂f` `[N, K]` of a scalar that is linear in the logits; an error naming
    /// `method` otherwise.
    ///
    /// # Shapes
    /// - returns `[N, K]` with N = [`Scalar::len`] and K = `classes`
    pub fn logit_cotangent<B: Backend>(&self, classes: usize, method: &str, device: &B::Device) -> Result<Tensor<B, 2>> {
        let n = self.len();
        let mut v = vec![0f32; n * classes];
        match self {
            Scalar::Logit(c) => c.iter().enumerate().for_each(|(i, &k)| v[i * classes + k] = 1.0),
            Scalar::SumLogits(_) => v.iter_mut().for_each(|e| *e = 1.0),
            other => {
                return Err(Error::param(
                    "target",
                    format!("{method} propagates from a logit (or the sum of logits); the target `{}` is not linear in the logits", other.kind()),
                ))
            }
        }
        Ok(Tensor::from_data(TensorData::new(v, [n, classes]), device))
    }

    /// The kind, in words.
    pub fn kind(&self) -> &'static str {
        match self {
            Scalar::Logit(_) => "logit",
            Scalar::Probability(_) => "probability",
            Scalar::Loss(_) => "loss",
            Scalar::SumLogits(_) => "sum-logits",
            Scalar::LogSumExp(_) => "logsumexp",
        }
    }
}

/// Which scalar of each example is differentiated, as tensors (the form gradient code and the
/// training objectives use).
#[derive(Debug, Clone)]
pub enum GradTarget<B: Backend> {
    /// The logit of the given class of each example, `[N]` class indices.
    Logit(Tensor<B, 1, Int>),
    /// The softmax probability of the given class of each example.
    Probability(Tensor<B, 1, Int>),
    /// Cross-entropy loss with the given labels `[N]`.
    Loss(Tensor<B, 1, Int>),
    /// Logit of class `y` minus the largest other logit (the multi-class margin).
    Margin(Tensor<B, 1, Int>),
    /// The sum of the logits.
    SumLogits,
    /// logsumexp of the logits (seed 003's marginal density, up to the normaliser).
    LogSumExp,
}

impl<B: Backend> GradTarget<B> {
    /// The same target on another backend (class indices copied).
    ///
    /// # Shapes
    /// - `f`: applied to the `[N]` class indices, where the target has them
    pub fn map<C: Backend>(&self, f: impl Fn(Tensor<B, 1, Int>) -> Tensor<C, 1, Int>) -> GradTarget<C> {
        match self {
            GradTarget::Logit(y) => GradTarget::Logit(f(y.clone())),
            GradTarget::Probability(y) => GradTarget::Probability(f(y.clone())),
            GradTarget::Loss(y) => GradTarget::Loss(f(y.clone())),
            GradTarget::Margin(y) => GradTarget::Margin(f(y.clone())),
            GradTarget::SumLogits => GradTarget::SumLogits,
            GradTarget::LogSumExp => GradTarget::LogSumExp,
        }
    }
}

/// Per-example cross-entropy `[N]` of logits `[N, K]` and labels `[N]`.
///
/// # Shapes
/// - `logits`: `[N, K]`; `y`: `[N]`; returns `[N]`
pub fn cross_entropy<B: Backend>(logits: Tensor<B, 2>, y: Tensor<B, 1, Int>) -> Tensor<B, 1> {
    let n = logits.dims()[0];
    let logp = burn::tensor::activation::log_softmax(logits, 1);
    logp.gather(1, y.reshape([n, 1])).reshape([n]).neg()
}

/// The per-example scalar of `target` `[N]` from logits `[N, K]`.
///
/// # Shapes
/// - `logits`: `[N, K]`; `target`'s class indices `[N]`; returns `[N]`
pub fn target_value<B: Backend>(logits: Tensor<B, 2>, target: &GradTarget<B>) -> Tensor<B, 1> {
    let [n, k] = logits.dims();
    match target {
        GradTarget::Logit(y) => logits.gather(1, y.clone().reshape([n, 1])).reshape([n]),
        GradTarget::Probability(y) => burn::tensor::activation::softmax(logits, 1).gather(1, y.clone().reshape([n, 1])).reshape([n]),
        GradTarget::Loss(y) => cross_entropy(logits, y.clone()),
        GradTarget::Margin(y) => {
            let idx = y.clone().reshape([n, 1]);
            let own = logits.clone().gather(1, idx.clone());
            // Push the own class far down to take the max over the others.
            let mask = Tensor::<B, 2, Int>::zeros([n, k], &logits.device())
                .scatter(1, idx, Tensor::ones([n, 1], &logits.device()), burn::tensor::IndexingUpdateOp::Add)
                .bool();
            let others = logits.mask_fill(mask, f32::NEG_INFINITY).max_dim(1);
            (own - others).reshape([n])
        }
        GradTarget::SumLogits => logits.sum_dim(1).reshape([n]),
        GradTarget::LogSumExp => {
            let m = logits.clone().detach().max_dim(1);
            (logits - m.clone()).exp().sum_dim(1).log().add(m).reshape([n])
        }
    }
}
