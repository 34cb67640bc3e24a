//! Backward passes with rules of their own, operation by operation through a model's
//! [`program`](crate::model::Classifier::program).
//!
//! DeepLIFT, Guided Backprop and LRP differ from the gradient only in what they do at some
//! operations; everything else is the chain rule. Here the forward pass records each operation's
//! input (and, for DeepLIFT, the reference input), and the backward pass visits the operations in
//! reverse: the vector-Jacobian product of a linear operation comes from burn's autodiff on that
//! operation alone, and the rule of the method replaces it where the method says so. Everything
//! is tensor operations of the model's backend, so the rules hold on every backend (CUDA
//! included) with no backend-specific backward step.
//!
//! | operation | gradient | Guided Backprop | DeepLIFT (rescale) | LRP |
//! |---|---|---|---|---|
//! | dense, conv, batch norm, avg-pool | VJP | VJP | VJP | ε / z⁺ rule (batch norm: ε only) |
//! | ReLU | VJP | g⁺·1\[x > 0\] | g·Δy/Δx (VJP where \|Δx\| < eps) | identity |
//! | SoftPlus | VJP | error | g·Δy/Δx | error |
//! | max-pool | VJP | VJP | Captum's max-pool rule | ε rule |
//! | residual sum | both branches | both branches | both branches | error |

use burn::module::{AutodiffModule, Param};
use burn::nn::conv::Conv2d;
use burn::nn::Linear;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;

use super::Scalar;
use crate::error::{Error, Result};
use crate::model::graph_lock::graph_lock;
use crate::model::program::{flat_to_4, flatten, Op};
use crate::model::{check_input, Activation, Classifier};

type Inner<B> = <B as AutodiffBackend>::InnerBackend;

/// The rule set of a backward pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rules {
    /// The chain rule everywhere (the plain gradient, op by op).
    Gradient,
    /// Guided Backprop (Springenberg et al. 2015): at each ReLU, only positive gradients pass,
    /// and only where the input is positive.
    Guided,
    /// DeepLIFT's rescale rule (Shrikumar et al. 2017) with Captum's threshold `eps` on |Δx|.
    DeepLift {
        /// Below this |Δx| the plain gradient is used.
        eps: f64,
        /// How the rules of adjacent nonlinearities compose.
        composition: Composition,
    },
    /// Layer-wise relevance propagation with the ε rule (and z⁺ on dense and conv layers when
    /// `z_plus`).
    Lrp {
        /// Stabiliser ε of the denominators.
        eps: f64,
        /// z⁺ rule on dense and convolution layers (positive weights, zero bias).
        z_plus: bool,
    },
}

impl Rules {
    fn method(self) -> &'static str {
        match self {
            Rules::Gradient => "gradient",
            Rules::Guided => "guided backprop",
            Rules::DeepLift { .. } => "deeplift",
            Rules::Lrp { z_plus: false, .. } => "lrp (epsilon rule)",
            Rules::Lrp { z_plus: true, .. } => "lrp (z+ rule)",
        }
    }
}

/// How DeepLIFT's rules of two adjacent nonlinearities (a ReLU feeding a max-pool) compose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Composition {
    /// The chain rule of multipliers (Shrikumar et al. 2017, §3.3): the ReLU's rule multiplies
    /// the multipliers the max-pool's rule produced. Attributions sum to t(x) − t(u).
    #[default]
    Chain,
    /// What Captum 0.9's hooks compute: the ReLU's hook reads the gradient recorded on its output
    /// before the max-pool's hook rewrote it, i.e. the plain max-pool gradient, so the max-pool's
    /// rule is lost wherever the ReLU's rescale applies. Attributions then do not sum to
    /// t(x) − t(u) (on the fixture's Madry CNN by 3–5 %; captum#1104). For cross-checks only.
    Captum,
}

/// What the forward pass kept of one operation: its input, the reference's input, and the tapes
/// of a residual block's branches.
struct Tape<I: Backend> {
    x: Tensor<I, 4>,
    r: Option<Tensor<I, 4>>,
    branches: Option<(Vec<Tape<I>>, Vec<Tape<I>>)>,
}

/// The propagated map at the input `[N, D]` for the cotangent `u` `[N, K]` on the logits, and
/// the logits at `x` and at the reference `[N, K]` (if given).
pub(crate) struct Propagated<I: Backend> {
    pub(crate) input_map: Tensor<I, 2>,
    pub(crate) logits: Tensor<I, 2>,
    pub(crate) ref_logits: Option<Tensor<I, 2>>,
}

/// Runs the forward pass of `model`'s program at `x` (and the reference `r`), then the backward
/// pass of `rules` from the cotangent of `target` on the logits.
///
/// # Shapes
/// - `x`, `r`: `[N, D]`; returns the map `[N, D]` and logits `[N, K]`
pub(crate) fn propagate<B, M>(model: &M, x: Tensor<Inner<B>, 2>, r: Option<Tensor<Inner<B>, 2>>, target: &Scalar, rules: Rules) -> Result<Propagated<Inner<B>>>
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    let _graph = graph_lock();
    let frozen = model.clone().no_grad();
    check_input(&frozen, &Tensor::<B, 2>::from_inner(x.clone()))?;
    let ops = frozen.program().ok_or_else(|| Error::param("method", format!("{} needs the model's list of operations, which this model does not provide", rules.method())))?;
    check_rules(&ops, rules)?;
    let (out, out_r, tapes) = forward::<B>(&ops, flat_to_4(x), r.map(flat_to_4))?;
    let logits = flatten(out);
    let k = logits.dims()[1];
    let u = target.logit_cotangent::<Inner<B>>(k, rules.method(), &logits.device())?;
    let g = backward::<B>(&ops, &tapes, flat_to_4(u), rules)?;
    Ok(Propagated { input_map: flatten(g), logits, ref_logits: out_r.map(flatten) })
}

/// The gradient of `target` computed operation by operation through the program: equal to the
/// autodiff input gradient (tests/attribution.rs), which makes the program and the engine
/// checkable on every model.
///
/// # Shapes
/// - `x`: `[N, D]`; returns `[N, D]`
pub fn program_gradient<B, M>(model: &M, x: Tensor<Inner<B>, 2>, target: &Scalar) -> Result<Tensor<Inner<B>, 2>>
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    Ok(propagate::<B, M>(model, x, None, target, Rules::Gradient)?.input_map)
}

/// Fails, naming the method and the layer, where a rule is not defined.
fn check_rules<B: Backend>(ops: &[Op<'_, B>], rules: Rules) -> Result<()> {
    let refuse = |op: &Op<'_, B>, why: &str| Error::param("method", format!("{} is not defined for layer `{}`: {why}", rules.method(), op.name()));
    for op in ops {
        match (op, rules) {
            (Op::Act { act: Activation::Softplus, .. }, Rules::Guided) => return Err(refuse(op, "guided backprop is defined for ReLU networks; this layer is SoftPlus")),
            (Op::Act { act: Activation::Softplus, .. }, Rules::Lrp { .. }) => return Err(refuse(op, "LRP passes relevance through ReLU only; this layer is SoftPlus")),
            (Op::Residual { .. }, Rules::Lrp { .. }) => {
                return Err(refuse(op, "relevance through a residual sum needs a rule for the addition, which is not implemented (Captum's LRP has none either)"))
            }
            (Op::BatchNorm { .. }, Rules::Lrp { z_plus: true, .. }) => return Err(refuse(op, "the z+ rule is not defined for batch normalisation (its weight is a per-channel scale)")),
            (Op::Residual { body, shortcut, .. }, _) => {
                check_rules(body, rules)?;
                check_rules(shortcut, rules)?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn forward<B: AutodiffBackend>(ops: &[Op<'_, B>], mut x: Tensor<Inner<B>, 4>, mut r: Option<Tensor<Inner<B>, 4>>) -> Result<(Tensor<Inner<B>, 4>, Option<Tensor<Inner<B>, 4>>, Vec<Tape<Inner<B>>>)> {
    let mut tapes = Vec::with_capacity(ops.len());
    for op in ops {
        let branches = match op {
            Op::Residual { body, shortcut, .. } => {
                let (yb, rb, tb) = forward::<B>(body, x.clone(), r.clone())?;
                let (ys, rs, ts) = if shortcut.is_empty() { (x.clone(), r.clone(), Vec::new()) } else { forward::<B>(shortcut, x.clone(), r.clone())? };
                tapes.push(Tape { x: x.clone(), r: r.clone(), branches: Some((tb, ts)) });
                x = yb + ys;
                r = match (rb, rs) {
                    (Some(a), Some(b)) => Some(a + b),
                    _ => None,
                };
                continue;
            }
            _ => None,
        };
        tapes.push(Tape { x: x.clone(), r: r.clone(), branches });
        x = op.forward(Tensor::<B, 4>::from_inner(x)).inner();
        r = r.map(|r| op.forward(Tensor::<B, 4>::from_inner(r)).inner());
    }
    Ok((x, r, tapes))
}

/// `gᵀ ∂op/∂x` at `x` by autodiff on the one operation.
fn vjp<B: AutodiffBackend>(op: &Op<'_, B>, x: Tensor<Inner<B>, 4>, g: Tensor<Inner<B>, 4>) -> Result<Tensor<Inner<B>, 4>> {
    let xa = Tensor::<B, 4>::from_inner(x).require_grad();
    let y = op.forward(xa.clone());
    if y.dims() != g.dims() {
        return Err(Error::Shape(format!("layer `{}`: output {:?}, cotangent {:?}", op.name(), y.dims(), g.dims())));
    }
    let grads = (y * Tensor::from_inner(g)).sum().backward();
    xa.grad(&grads).ok_or_else(|| Error::Shape(format!("layer `{}`: no gradient reached its input", op.name())))
}

fn backward<B: AutodiffBackend>(ops: &[Op<'_, B>], tapes: &[Tape<Inner<B>>], mut g: Tensor<Inner<B>, 4>, rules: Rules) -> Result<Tensor<Inner<B>, 4>> {
    // Captum's composition: the plain max-pool gradient, read by the nonlinearity just below it.
    let mut stale: Option<Tensor<Inner<B>, 4>> = None;
    for (op, tape) in ops.iter().zip(tapes).rev() {
        let read_stale = stale.take();
        g = match op {
            Op::Image(_) | Op::Flatten => g.reshape(tape.x.dims()),
            Op::Residual { body, shortcut, .. } => {
                let (tb, ts) = tape.branches.as_ref().ok_or_else(|| Error::Shape(format!("layer `{}`: no tape of its branches", op.name())))?;
                let gb = backward::<B>(body, tb, g.clone(), rules)?;
                let gs = if shortcut.is_empty() { g } else { backward::<B>(shortcut, ts, g, rules)? };
                gb + gs
            }
            Op::Act { act, .. } => match rules {
                Rules::Gradient => vjp::<B>(op, tape.x.clone(), g)?,
                Rules::Guided => g.clamp_min(0.0) * tape.x.clone().greater_elem(0.0).float(),
                Rules::DeepLift { eps, .. } => rescale::<B>(op, *act, tape, g, read_stale, eps)?,
                Rules::Lrp { .. } => g,
            },
            Op::MaxPool { .. } => match rules {
                Rules::Gradient | Rules::Guided => vjp::<B>(op, tape.x.clone(), g)?,
                Rules::DeepLift { eps, composition } => {
                    if composition == Composition::Captum {
                        stale = Some(vjp::<B>(op, tape.x.clone(), g.clone())?);
                    }
                    deeplift_max_pool::<B>(op, tape, g, eps)?
                }
                Rules::Lrp { eps, .. } => lrp_linear::<B>(op, tape.x.clone(), g, eps)?,
            },
            Op::Dense { layer, scale, name } => match rules {
                Rules::Lrp { eps, z_plus: true } => {
                    let pos = positive_linear(layer);
                    lrp_linear::<B>(&Op::Dense { name: name.clone(), layer: &pos, scale: *scale }, tape.x.clone(), g, eps)?
                }
                Rules::Lrp { eps, z_plus: false } => lrp_linear::<B>(op, tape.x.clone(), g, eps)?,
                _ => vjp::<B>(op, tape.x.clone(), g)?,
            },
            Op::Conv { layer, name } => match rules {
                Rules::Lrp { eps, z_plus: true } => {
                    let pos = positive_conv(layer);
                    lrp_linear::<B>(&Op::Conv { name: name.clone(), layer: &pos }, tape.x.clone(), g, eps)?
                }
                Rules::Lrp { eps, z_plus: false } => lrp_linear::<B>(op, tape.x.clone(), g, eps)?,
                _ => vjp::<B>(op, tape.x.clone(), g)?,
            },
            Op::BatchNorm { .. } | Op::GlobalAvgPool => match rules {
                Rules::Lrp { eps, .. } => lrp_linear::<B>(op, tape.x.clone(), g, eps)?,
                _ => vjp::<B>(op, tape.x.clone(), g)?,
            },
        };
    }
    Ok(g)
}

/// DeepLIFT's rescale rule at an elementwise nonlinearity: `g·Δy/Δx`, or the plain gradient where
/// |Δx| < eps (Captum's `nonlinear`). With Captum's composition, `stale` (the plain gradient
/// through the max-pool above) replaces `g` in the rescale branch.
fn rescale<B: AutodiffBackend>(op: &Op<'_, B>, act: Activation, tape: &Tape<Inner<B>>, g: Tensor<Inner<B>, 4>, stale: Option<Tensor<Inner<B>, 4>>, eps: f64) -> Result<Tensor<Inner<B>, 4>> {
    let r = tape.r.clone().ok_or_else(|| Error::Shape(format!("layer `{}`: DeepLIFT needs the reference's activations", op.name())))?;
    let x = tape.x.clone();
    let dx = x.clone() - r.clone();
    let dy = act.apply(x.clone()) - act.apply(r);
    let plain = vjp::<B>(op, x, g.clone())?;
    let small = dx.clone().abs().lower_elem(eps);
    Ok((stale.unwrap_or(g) * dy / dx).mask_where(small, plain))
}

/// Captum's DeepLIFT rule at max-pooling: the output difference of each window, split into the
/// part from the input's winner (max(o, o_r) − o_r) and from the reference's winner
/// (o − max(o, o_r)), routed to the two winners and divided by their Δx (the plain gradient where
/// |Δx| < eps). Overlapping windows add their shares (Captum's unpooling keeps one of them).
fn deeplift_max_pool<B: AutodiffBackend>(op: &Op<'_, B>, tape: &Tape<Inner<B>>, g: Tensor<Inner<B>, 4>, eps: f64) -> Result<Tensor<Inner<B>, 4>> {
    let r = tape.r.clone().ok_or_else(|| Error::Shape(format!("layer `{}`: DeepLIFT needs the reference's activations", op.name())))?;
    let x = tape.x.clone();
    let o = op.forward(Tensor::<B, 4>::from_inner(x.clone())).inner();
    let o_r = op.forward(Tensor::<B, 4>::from_inner(r.clone())).inner();
    let xmax = o.clone().max_pair(o_r.clone());
    let to_x = vjp::<B>(op, x.clone(), g.clone() * (xmax.clone() - o_r))?;
    let to_r = vjp::<B>(op, r.clone(), g.clone() * (o - xmax))?;
    let dx = x.clone() - r;
    let plain = vjp::<B>(op, x, g)?;
    let small = dx.clone().abs().lower_elem(eps);
    Ok(((to_x + to_r) / dx).mask_where(small, plain))
}

/// LRP's rule at a linear operation z = op(x): R_in = x ⊙ (∂op/∂x)ᵀ (R / (z + ε·sign(z))), with
/// sign(0) = 1 (Captum's `PropagationRule`).
fn lrp_linear<B: AutodiffBackend>(op: &Op<'_, B>, x: Tensor<Inner<B>, 4>, relevance: Tensor<Inner<B>, 4>, eps: f64) -> Result<Tensor<Inner<B>, 4>> {
    let z = op.forward(Tensor::<B, 4>::from_inner(x.clone())).inner();
    let sign = z.clone().sign();
    let sign = sign.clone().mask_fill(sign.equal_elem(0.0), 1.0);
    let s = relevance / (z + sign.mul_scalar(eps));
    Ok(x.clone() * vjp::<B>(op, x, s)?)
}

/// The layer with its weights clamped at 0 and no bias (the z⁺ rule).
fn positive_linear<B: Backend>(layer: &Linear<B>) -> Linear<B> {
    Linear { weight: Param::from_tensor(layer.weight.val().clamp_min(0.0)), bias: None }
}

/// The convolution with its weights clamped at 0 and no bias (the z⁺ rule).
fn positive_conv<B: Backend>(layer: &Conv2d<B>) -> Conv2d<B> {
    let mut c = layer.clone();
    c.weight = Param::from_tensor(layer.weight.val().clamp_min(0.0));
    c.bias = None;
    c
}
