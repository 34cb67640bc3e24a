//! Training objectives of seeds 001–004 (src/train/objective.rs, src/train/penalty.rs): the two
//! routes of gradient penalties agree, seed 003's three marginal-density forms agree, each
//! regulariser has the effect it is for on a tiny problem where the effect is known, and every
//! objective trains every model type. The f64 parameter-gradient check is in
//! tests/objective_f64.rs (burn fixes the float dtype per process).

#[path = "support/objective.rs"]
mod support;

use burn::module::AutodiffModule;
use burn::tensor::{Int, Tensor, TensorData};
use inputgrad::attribution::{input_gradient, GradTarget};
use inputgrad::model::{self, Activation, Classifier, InputShape, ModelSpec, Net, ResNetDepth, Stem};
use inputgrad::prec;
use inputgrad::train::penalty::{dual_direction, marginal_density_gradient};
use inputgrad::train::*;
use inputgrad::{Error, Seed};
use ndarray::Array2;
use rand::Rng as _;
use support::{batch, mlp, param_grads, rel_diff, scalar, value_and_param_grads};

type B = CpuAutodiff;
type Inner = Cpu;

fn dev() -> burn::tensor::Device<B> {
    Default::default()
}

fn grad_penalty(of: GradOf, p: PNorm, squared: bool, route: Route) -> Penalty {
    Penalty::InputGrad { of, p, squared, lambda: 1.0, route, fd_step: prec::PENALTY_FD_STEP }
}

fn with_route(p: &Penalty, r: Route) -> Penalty {
    let mut p = p.clone();
    match &mut p {
        Penalty::InputGrad { route, .. } | Penalty::MarginalDensity { route, .. } | Penalty::Hessian { route, .. } => *route = r,
        _ => {}
    }
    p
}

/// The gradient penalties whose routes are compared.
fn route_cases() -> Vec<Penalty> {
    let mut v = Vec::new();
    for of in [GradOf::Loss, GradOf::Logit, GradOf::LogSumExp] {
        for (p, squared) in [(PNorm::L1, false), (PNorm::L2, false), (PNorm::L2, true), (PNorm::LINF, false), (PNorm::new(1.5).unwrap(), false)] {
            v.push(grad_penalty(of, p, squared, Route::Exact));
        }
    }
    for form in [DensityForm::Plain, DensityForm::Stable, DensityForm::Efficient] {
        v.push(Penalty::MarginalDensity { p: PNorm::new(2.5).unwrap(), lambda: 1.0, form, route: Route::Exact, fd_step: prec::PENALTY_FD_STEP });
    }
    v.push(Penalty::Hessian { of: GradOf::Logit, h: 0.1, lambda: 1.0, route: Route::Exact, fd_step: prec::PENALTY_FD_STEP });
    v
}

/// The examples whose ReLU pattern is the same at x + h·u and x − h·u, u the unit dual direction
/// of the penalty's target: on these the finite-difference quotient of a ReLU net is an exact
/// directional derivative (up to f32 rounding).
fn kink_free(net: &Net<B>, x: &Tensor<B, 2>, y: &Tensor<B, 1, Int>, pen: &Penalty) -> Vec<usize> {
    let (target, p, h) = match pen {
        Penalty::InputGrad { of, p, fd_step, .. } => (
            match of {
                GradOf::Loss => GradTarget::Loss(y.clone().inner()),
                GradOf::Logit => GradTarget::Logit(y.clone().inner()),
                GradOf::LogSumExp => GradTarget::LogSumExp,
            },
            *p,
            *fd_step,
        ),
        Penalty::MarginalDensity { p, fd_step, .. } => (GradTarget::LogSumExp, *p, *fd_step),
        _ => unreachable!(),
    };
    let (g, _) = input_gradient::<B, _>(net, x.clone().inner(), &target).unwrap();
    let d = dual_direction(g, p);
    let u = d.clone() / d.powf_scalar(2.0).sum_dim(1).sqrt().clamp_min(prec::NORM_FLOOR);
    let Net::Mlp(m) = net.valid() else { unreachable!() };
    let pattern = |z: Tensor<Inner, 2>| {
        let mut h = z;
        let mut masks = Vec::new();
        for layer in &m.hidden {
            let pre = layer.forward(h);
            masks.push(pre.clone().greater_elem(0.0).int());
            h = burn::tensor::activation::relu(pre);
        }
        Tensor::cat(masks, 1).into_data().convert::<i64>().to_vec::<i64>().unwrap()
    };
    let xi = x.clone().inner();
    let (a, b) = (pattern(xi.clone() + u.clone().mul_scalar(h)), pattern(xi - u.mul_scalar(h)));
    let width = a.len() / x.dims()[0];
    (0..x.dims()[0]).filter(|&i| a[i * width..(i + 1) * width] == b[i * width..(i + 1) * width]).collect()
}

/// Requirement 1: the exact route and the finite-difference route give the same penalty value
/// and the same parameter gradient, to [`prec::ROUTE_AGREE`], for every gradient penalty (ℓ1, ℓ2,
/// ℓ2², ℓ∞, ℓ1.5 of the loss, logit and logsumexp gradients; the three marginal-density forms;
/// the curvature penalty). The two routes share no code beyond the forward pass: one
/// differentiates the pulled-back gradient, the other a difference quotient.
///
/// * SoftPlus MLP: the whole batch.
/// * ReLU MLP: the values agree on the whole batch; the parameter gradients agree on the examples
///   whose ReLU pattern does not change within the FD step. On an example where it does, the
///   quotient's derivative in a crossed unit's parameters is of order 1/h (the step of the ReLU's
///   derivative, spread over 2h): the FD route differentiates a mollified penalty, and since
///   crossings happen with probability O(h), this term is O(1) in expectation whatever h is — a
///   genuine difference between the routes on ReLU nets (see `relu_kinks_separate_the_routes`).
///   The curvature penalty of a ReLU net lives entirely at such kinks, so it is compared on
///   SoftPlus only.
#[test]
fn exact_and_finite_difference_routes_agree_on_mlps() {
    let (d, k, n) = (10, 3, 64);
    let mut worst = 0.0f64;
    for activation in [Activation::Relu, Activation::Softplus] {
        let net = mlp::<B>(d, &[16, 16], k, activation, 3, &dev());
        let (x, y) = batch::<B>(n, d, k, 4, &dev());
        for pen in route_cases() {
            if activation == Activation::Relu && matches!(pen, Penalty::Hessian { .. }) {
                continue;
            }
            let run = |route: Route, x: &Tensor<B, 2>, y: &Tensor<B, 1, Int>| value_and_param_grads(&net, || with_route(&pen, route).measure(&net, x.clone(), y.clone(), Seed(9)).unwrap());
            let (ve, ge) = run(Route::Exact, &x, &y);
            let (vf, gf) = run(Route::FiniteDiff, &x, &y);
            let dv = (ve - vf).abs() / ve.abs().max(vf.abs());
            assert!(ve > 0.0 && ve.is_finite(), "{activation:?} {}: value {ve}", pen.name());
            let (dg, kept) = if activation == Activation::Relu {
                let keep = kink_free(&net, &x, &y, &pen);
                let idx = Tensor::<B, 1, Int>::from_data(TensorData::new(keep.iter().map(|&i| i as i64).collect::<Vec<_>>(), [keep.len()]), &dev());
                let (xs, ys) = (x.clone().select(0, idx.clone()), y.clone().select(0, idx));
                let (_, ge) = run(Route::Exact, &xs, &ys);
                let (_, gf) = run(Route::FiniteDiff, &xs, &ys);
                (rel_diff(&ge, &gf), keep.len())
            } else {
                (rel_diff(&ge, &gf), n)
            };
            worst = worst.max(dv).max(dg);
            eprintln!("{activation:?} {}: value rel. difference {dv:.1e}, parameter gradient {dg:.1e} ({kept}/{n} examples)", pen.name());
            assert!(kept >= n / 2, "{activation:?} {}: only {kept}/{n} examples free of kinks", pen.name());
            assert!(dv <= prec::ROUTE_AGREE && dg <= prec::ROUTE_AGREE, "{activation:?} {}: exact {ve} vs fd {vf} (rel {dv:.1e}); parameter gradients differ by {dg:.1e}", pen.name());
        }
    }
    eprintln!("worst exact-vs-fd relative difference: {worst:.1e}");
}

/// On the full batch of a ReLU MLP the two routes' parameter gradients differ by O(1) (the kink
/// terms above), and the difference does not go away with a smaller step: the routes are not
/// interchangeable for training ReLU nets, which is why `Route::Auto` takes the exact route
/// wherever it can.
#[test]
fn relu_kinks_separate_the_routes() {
    let (d, k, n) = (10, 3, 64);
    let net = mlp::<B>(d, &[16, 16], k, Activation::Relu, 3, &dev());
    let (x, y) = batch::<B>(n, d, k, 4, &dev());
    for fd_step in [prec::PENALTY_FD_STEP, prec::PENALTY_FD_STEP / 10.0] {
        let grads = |route| {
            let pen = Penalty::InputGrad { of: GradOf::Logit, p: PNorm::L2, squared: false, lambda: 1.0, route, fd_step };
            param_grads(&net, || pen.measure(&net, x.clone(), y.clone(), Seed(9)).unwrap())
        };
        let dg = rel_diff(&grads(Route::Exact), &grads(Route::FiniteDiff));
        eprintln!("ReLU, h = {fd_step}: parameter gradients differ by {dg:.2}");
        // Well beyond what the routes are asked to agree to on the MLPs above.
        assert!(dg > 2.0 * prec::ROUTE_AGREE, "h = {fd_step}: {dg}");
    }
}

/// The finite-difference route is not vacuous: moving along a direction that is not the dual
/// one (here the ℓ2 direction used for an ℓ1 penalty) gives a clearly different value.
#[test]
fn finite_difference_route_needs_the_dual_direction() {
    let (d, k, n) = (10, 3, 32);
    let net = mlp::<B>(d, &[16], k, Activation::Softplus, 3, &dev());
    let (x, y) = batch::<B>(n, d, k, 4, &dev());
    let l1 = scalar(grad_penalty(GradOf::Loss, PNorm::L1, false, Route::FiniteDiff).measure(&net, x.clone(), y.clone(), Seed(1)).unwrap().inner());
    let l2 = scalar(grad_penalty(GradOf::Loss, PNorm::L2, false, Route::FiniteDiff).measure(&net, x, y, Seed(1)).unwrap().inner());
    // ‖g‖₁ ≥ ‖g‖₂ with equality only for 1-sparse g; here the ratio is far from 1.
    assert!(l1 > 1.5 * l2, "ℓ1 {l1} vs ℓ2 {l2}");
}

/// Requirement 3 — seed 003 eq 4, 5, 6 (proofs/marginal_density.md): the plain, stable and
/// efficient forms compute the same input gradient, equal to autodiff's gradient of logsumexp,
/// and the same penalty and parameter gradient on both routes. With logits of order 100 the
/// plain form's unshifted exponentials overflow in f32, the other two do not.
#[test]
fn marginal_density_forms_agree() {
    let (d, k, n) = (12, 5, 16);
    let forms = [DensityForm::Plain, DensityForm::Stable, DensityForm::Efficient];
    for activation in [Activation::Relu, Activation::Softplus] {
        let net = mlp::<B>(d, &[20], k, activation, 5, &dev());
        let (x, y) = batch::<B>(n, d, k, 6, &dev());
        let (want, _) = input_gradient::<B, _>(&net, x.clone().inner(), &GradTarget::LogSumExp).unwrap();
        let want: Vec<f64> = want.into_data().convert::<f64>().to_vec().unwrap();
        for form in forms {
            let got: Vec<f64> = marginal_density_gradient(&net.valid(), x.clone().inner(), form, Seed(2)).unwrap().into_data().convert::<f64>().to_vec().unwrap();
            let e = rel_diff(&got, &want);
            assert!(e <= prec::DENSITY_FORMS_AGREE, "{activation:?} {form:?}: relative difference {e:.1e} to autodiff's ∇ logsumexp");
        }
        for route in [Route::Exact, Route::FiniteDiff] {
            let run = |form| value_and_param_grads(&net, || Penalty::MarginalDensity { p: PNorm::L2, lambda: 1.0, form, route, fd_step: prec::PENALTY_FD_STEP }.measure(&net, x.clone(), y.clone(), Seed(2)).unwrap());
            let (v0, g0) = run(DensityForm::Efficient);
            for form in [DensityForm::Plain, DensityForm::Stable] {
                let (v, g) = run(form);
                assert!((v - v0).abs() <= prec::DENSITY_FORMS_AGREE * v0, "{activation:?} {route:?} {form:?}: {v} vs {v0}");
                assert!(rel_diff(&g, &g0) <= prec::DENSITY_FORMS_AGREE, "{activation:?} {route:?} {form:?}: parameter gradients differ by {:.1e}", rel_diff(&g, &g0));
            }
        }
    }
    // Logits of order 100: e^{f} overflows f32 (max ≈ 3.4e38 = e^{88.7}).
    let net = mlp::<B>(d, &[20], k, Activation::Relu, 5, &dev());
    let (x, _) = batch::<B>(n, d, k, 6, &dev());
    let big = x.inner().mul_scalar(400.0);
    let plain = marginal_density_gradient(&net.valid(), big.clone(), DensityForm::Plain, Seed(2)).unwrap();
    let plain: Vec<f32> = plain.into_data().to_vec().unwrap();
    assert!(plain.iter().any(|v| !v.is_finite()), "expected eq 4 to overflow at logits of order 100");
    for form in [DensityForm::Stable, DensityForm::Efficient] {
        let g: Vec<f32> = marginal_density_gradient(&net.valid(), big.clone(), form, Seed(2)).unwrap().into_data().to_vec().unwrap();
        assert!(g.iter().all(|v| v.is_finite()), "{form:?} overflowed");
    }
}

// ---------------------------------------------------------------------------------------------
// Effect tests: each regulariser against the standard objective, same data, model and seed.

fn examples(x: &Array2<f32>, y: &[usize]) -> Examples<'static> {
    let x: &'static Array2<f32> = Box::leak(Box::new(x.clone()));
    let y: &'static [usize] = Box::leak(y.to_vec().into_boxed_slice());
    Examples::new(x.view(), y, None).unwrap()
}

fn adam(epochs: usize, lr: f64, batch_size: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size,
        optimizer: OptimizerSpec::Adam { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 },
        schedule: Schedule::Constant,
        stop_below_loss: None,
        augment: Augment::None,
        seed: Seed(17),
        divergence_loss: trainer::DEFAULT_DIVERGENCE_LOSS,
    }
}

fn fit(spec: &ModelSpec, data: &Examples<'_>, k: usize, cfg: &TrainConfig, objective: &Objective) -> Net<B> {
    let net = model::build::<B>(spec, InputShape::Flat(data.x.ncols()), k, Seed(23), &dev()).unwrap();
    train::<B, _>(net, data, None, cfg, objective, RunOptions::default(), &dev()).unwrap().model
}

/// Three overlapping Gaussian blobs in 8 dimensions (so training loss stays well above 0).
fn blobs(n: usize, seed: u64) -> (Array2<f32>, Vec<usize>) {
    let (d, k) = (8, 3);
    let mut rng = Seed(seed).rng();
    let centres: Vec<Vec<f32>> = (0..k).map(|_| (0..d).map(|_| rng.random_range(-1.0..1.0f32)).collect()).collect();
    let mut x = Array2::zeros((n, d));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let c = i % k;
        y.push(c);
        for j in 0..d {
            let z: f32 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, &mut rng);
            x[[i, j]] = centres[c][j] + 0.6 * z;
        }
    }
    (x, y)
}

fn inner_x(x: &Array2<f32>) -> Tensor<Inner, 2> {
    Tensor::from_data(TensorData::new(x.iter().copied().collect::<Vec<_>>(), [x.nrows(), x.ncols()]), &Default::default())
}

fn inner_y(y: &[usize]) -> Tensor<Inner, 1, Int> {
    Tensor::from_data(TensorData::new(y.iter().map(|&v| v as i64).collect::<Vec<_>>(), [y.len()]), &Default::default())
}

/// Mean over examples of ‖∇ₓ t‖_p (or its square), by autodiff (attribution::gradient, not the penalty code).
fn mean_grad_norm(net: &Net<B>, x: &Array2<f32>, y: &[usize], target: GradTarget<Inner>, p: f64, squared: bool) -> f64 {
    let (g, _) = input_gradient::<B, _>(net, inner_x(x), &target).unwrap();
    let g: Vec<f32> = g.into_data().to_vec().unwrap();
    let d = x.ncols();
    let norms: Vec<f64> = g
        .chunks(d)
        .map(|r| {
            let nrm = if p.is_infinite() { r.iter().fold(0f64, |m, v| m.max(v.abs() as f64)) } else { r.iter().map(|v| (v.abs() as f64).powf(p)).sum::<f64>().powf(1.0 / p) };
            if squared {
                nrm * nrm
            } else {
                nrm
            }
        })
        .collect();
    let _ = y;
    norms.iter().sum::<f64>() / norms.len() as f64
}

fn mlp_spec(activation: Activation) -> ModelSpec {
    ModelSpec::Mlp { hidden: vec![32], activation, mean_field: false }
}

/// Requirement 4, gradient penalties: each lowers the mean norm it penalises on the training
/// points to well below the standard model's (same data, initialisation and seed) — ℓ1, ℓ2², ℓ∞
/// of the loss gradient (seed 002), ‖∇f_y‖₂ (seed 003 InputGrad), ‖∇f_y‖₂² (seed 004 B.1.1),
/// and ‖∇ logsumexp‖_p (seed 003 eq 4, p = 2 and p = 1.2).
#[test]
fn gradient_penalties_lower_the_gradient_norm() {
    let (x, y) = blobs(150, 1);
    let data = examples(&x, &y);
    let cfg = adam(25, 1e-2, 30);
    let spec = mlp_spec(Activation::Relu);
    let standard = fit(&spec, &data, 3, &cfg, &Objective::Standard);
    let yl = inner_y(&y);
    let cases: Vec<(Penalty, GradTarget<Inner>, f64, bool)> = vec![
        (Penalty::grad(PNorm::L1, 0.7), GradTarget::Loss(yl.clone()), 1.0, false),
        (Penalty::grad(PNorm::L2, 0.5), GradTarget::Loss(yl.clone()), 2.0, true),
        (Penalty::grad(PNorm::LINF, 3.0), GradTarget::Loss(yl.clone()), f64::INFINITY, false),
        (Penalty::input_grad_logit(0.5), GradTarget::Logit(yl.clone()), 2.0, false),
        (grad_penalty(GradOf::Logit, PNorm::L2, true, Route::Auto).with_lambda(0.2), GradTarget::Logit(yl.clone()), 2.0, true),
        (Penalty::marginal_density(PNorm::L2, 0.5), GradTarget::LogSumExp, 2.0, false),
        (Penalty::marginal_density(PNorm::new(1.2).unwrap(), 0.2), GradTarget::LogSumExp, 1.2, false),
    ];
    for (pen, target, p, squared) in cases {
        let reg = fit(&spec, &data, 3, &cfg, &Objective::with(pen.clone()));
        let s = mean_grad_norm(&standard, &x, &y, target.clone(), p, squared);
        let r = mean_grad_norm(&reg, &x, &y, target, p, squared);
        let acc = evaluate(&reg.valid(), &data, 1000, &Default::default()).unwrap().1;
        eprintln!("{}: standard {s:.4}, penalised {r:.4} (training accuracy {acc:.3})", pen.name());
        assert!(r < 0.6 * s, "{}: penalised {r} not well below standard {s}", pen.name());
        // Still a classifier (chance is 1/3), not a constant that trivially has no gradient.
        assert!(acc > 0.6, "{}: training accuracy {acc}", pen.name());
    }
}

/// A linearly separable problem where only coordinate 0 carries the label.
fn one_relevant(n: usize, d: usize, seed: u64) -> (Array2<f32>, Vec<usize>) {
    let mut rng = Seed(seed).rng();
    let mut x = Array2::zeros((n, d));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let c = i % 2;
        y.push(c);
        for j in 0..d {
            x[[i, j]] = rng.random_range(-1.0..1.0f32);
        }
        x[[i, 0]] = if c == 1 { 0.3 + x[[i, 0]].abs() } else { -0.3 - x[[i, 0]].abs() };
    }
    (x, y)
}

/// Weight matrices of a net, flattened per layer.
fn weights(net: &Net<B>) -> Vec<Vec<f32>> {
    let w = |l: &burn::nn::Linear<B>| l.weight.val().into_data().to_vec::<f32>().unwrap();
    match net {
        Net::Linear(m) => vec![w(&m.fc)],
        Net::Mlp(m) => m.hidden.iter().map(w).chain(std::iter::once(w(&m.out))).collect(),
        _ => unreachable!(),
    }
}

/// Requirement 4, weight penalties — seed 001's l-model: on logistic regression with one relevant
/// and nine irrelevant coordinates, ℓ1 drives the irrelevant weights to near zero (mean |w|
/// below a tenth of the standard model's) and keeps the accuracy; ℓ∞ lowers max |w| of an MLP;
/// ℓ2² lowers Σw².
#[test]
fn weight_penalties_shrink_the_weights_they_penalise() {
    let (d, n) = (10, 200);
    let (x, y) = one_relevant(n, d, 3);
    let data = examples(&x, &y);
    let cfg = adam(40, 2e-2, 25);
    let irrelevant = |net: &Net<B>| {
        let w = &weights(net)[0]; // [d, 2] row-major
        (1..d).map(|j| (w[2 * j] - w[2 * j + 1]).abs() as f64).sum::<f64>() / (d - 1) as f64
    };
    let standard = fit(&ModelSpec::Linear, &data, 2, &cfg, &Objective::Standard);
    let l1 = fit(&ModelSpec::Linear, &data, 2, &cfg, &Objective::with(Penalty::weight_l1(0.02)));
    let (s, r) = (irrelevant(&standard), irrelevant(&l1));
    let acc = evaluate(&l1.valid(), &data, 1000, &Default::default()).unwrap().1;
    eprintln!("ℓ1: irrelevant mean |w1 − w0|: standard {s:.4}, penalised {r:.4}; accuracy {acc}");
    assert!(r < 0.1 * s && acc > 0.95, "ℓ1: irrelevant weights {r} vs standard {s}, accuracy {acc}");

    let spec = mlp_spec(Activation::Relu);
    let (bx, by) = blobs(150, 2);
    let bdata = examples(&bx, &by);
    let cfg = adam(25, 1e-2, 30);
    let standard = fit(&spec, &bdata, 3, &cfg, &Objective::Standard);
    let max_abs = |net: &Net<B>| weights(net).iter().flatten().fold(0f64, |m, v| m.max(v.abs() as f64));
    let sum_sq = |net: &Net<B>| weights(net).iter().flatten().map(|v| (*v as f64).powi(2)).sum::<f64>();
    let linf = fit(&spec, &bdata, 3, &cfg, &Objective::with(Penalty::weight_linf(1.0)));
    eprintln!("ℓ∞: max |w| standard {:.4}, penalised {:.4}", max_abs(&standard), max_abs(&linf));
    assert!(max_abs(&linf) < 0.7 * max_abs(&standard));
    let l2 = fit(&spec, &bdata, 3, &cfg, &Objective::with(Penalty::weight_l2(0.05)));
    eprintln!("ℓ2²: Σw² standard {:.4}, penalised {:.4}", sum_sq(&standard), sum_sq(&l2));
    assert!(sum_sq(&l2) < 0.7 * sum_sq(&standard));
}

/// Noise-robust vs. noise-fragile features: coordinate 0 carries the label with margin 1 and
/// unit-scale noise (about 84 % accurate alone); coordinates 1–4 separate the classes perfectly
/// but at scale 0.05. A standard model leans on the tiny features, which Gaussian noise of
/// σ = 0.3 drowns; noise-augmented training must use coordinate 0.
fn fragile(n: usize, seed: u64) -> (Array2<f32>, Vec<usize>) {
    let mut rng = Seed(seed).rng();
    let mut x = Array2::zeros((n, 5));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let c = i % 2;
        let s = if c == 1 { 1.0f32 } else { -1.0 };
        y.push(c);
        let z: f32 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, &mut rng);
        x[[i, 0]] = s + z;
        for j in 1..5 {
            x[[i, j]] = s * 0.05 + rng.random_range(-0.01..0.01f32);
        }
    }
    (x, y)
}

/// Requirement 4 — seed 004 B.1.3: Gaussian noise augmentation raises accuracy under Gaussian
/// noise (σ = 0.3, 20 noisy copies of a held-out set) well above the standard model's.
#[test]
fn noise_augmentation_raises_accuracy_under_noise() {
    let (x, y) = fragile(400, 5);
    let data = examples(&x, &y);
    let cfg = adam(30, 2e-2, 40);
    let sigma = 0.3;
    let spec = mlp_spec(Activation::Relu);
    let standard = fit(&spec, &data, 2, &cfg, &Objective::Standard);
    let noisy = fit(&spec, &data, 2, &cfg, &Objective::GaussianNoise { sigma, samples: 1 });
    let (tx, ty) = fragile(500, 99);
    let mut rng = Seed(7).rng();
    let copies = 20;
    let mut nx = Array2::zeros((500 * copies, 5));
    let mut ny = Vec::new();
    for c in 0..copies {
        for i in 0..500 {
            for j in 0..5 {
                let z: f32 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, &mut rng);
                nx[[c * 500 + i, j]] = tx[[i, j]] + sigma as f32 * z;
            }
            ny.push(ty[i]);
        }
    }
    let test = Examples::new(nx.view(), &ny, None).unwrap();
    let acc = |net: &Net<B>| evaluate(&net.valid(), &test, 2000, &Default::default()).unwrap().1;
    let (s, r) = (acc(&standard), acc(&noisy));
    eprintln!("accuracy under N(0, {sigma}²) noise: standard {s:.4}, noise-trained {r:.4}");
    assert!(r > s + 0.1, "noise training {r} vs standard {s}");
}

/// E‖f(x + ε) − f(x)‖₂² over the training points with fresh noise (seed independent of training).
fn smoothness(net: &Net<B>, x: &Array2<f32>, sigma: f64) -> f64 {
    let inner = net.valid();
    let xt = inner_x(x);
    let f0 = inner.logits(xt.clone());
    let mut total = 0.0;
    let draws = 10;
    for s in 0..draws {
        let eps = model::init::Init::<Inner>::new(Seed(1000 + s), &Default::default()).normal(xt.dims(), sigma);
        let f1 = inner.logits(xt.clone() + eps);
        total += f64::from((f1 - f0.clone()).powf_scalar(2.0).sum_dim(1).mean().into_scalar());
    }
    total / draws as f64
}

/// Requirement 4 — seed 004 B.1.2: the smoothness penalty lowers E‖f(x + ε) − f(x)‖² on the
/// training points well below the standard model's.
#[test]
fn smoothness_penalty_lowers_output_variation() {
    let (x, y) = blobs(150, 1);
    let data = examples(&x, &y);
    let cfg = adam(25, 1e-2, 30);
    let spec = mlp_spec(Activation::Relu);
    let sigma = 0.3;
    let standard = fit(&spec, &data, 3, &cfg, &Objective::Standard);
    let reg = fit(&spec, &data, 3, &cfg, &Objective::with(Penalty::Smoothness { sigma, lambda: 2.0, samples: 1 }));
    let (s, r) = (smoothness(&standard, &x, sigma), smoothness(&reg, &x, sigma));
    eprintln!("E‖f(x+ε) − f(x)‖²: standard {s:.4}, penalised {r:.4}");
    assert!(r < 0.5 * s, "penalised {r} vs standard {s}");
}

/// Requirement 4 — seed 003's Hessian baseline: the curvature penalty lowers the curvature proxy
/// mean ‖∇f_y(x + hz) − ∇f_y(x)‖²/h² (fresh directions z, autodiff gradients) of a SoftPlus MLP.
#[test]
fn hessian_penalty_lowers_curvature() {
    let (x, y) = blobs(150, 1);
    let data = examples(&x, &y);
    let cfg = adam(25, 1e-2, 30);
    let spec = mlp_spec(Activation::Softplus);
    let h = 0.1;
    let curvature = |net: &Net<B>| {
        let xt = inner_x(&x);
        let mut z = model::init::Init::<Inner>::new(Seed(555), &Default::default()).normal(xt.dims(), 1.0);
        z = z.clone() / z.powf_scalar(2.0).sum_dim(1).sqrt();
        let target = GradTarget::Logit(inner_y(&y));
        let (g0, _) = input_gradient::<B, _>(net, xt.clone(), &target).unwrap();
        let (g1, _) = input_gradient::<B, _>(net, xt + z.mul_scalar(h), &target).unwrap();
        f64::from((g1 - g0).powf_scalar(2.0).sum_dim(1).mean().into_scalar()) / (h * h)
    };
    let standard = fit(&spec, &data, 3, &cfg, &Objective::Standard);
    let reg = fit(&spec, &data, 3, &cfg, &Objective::with(Penalty::Hessian { of: GradOf::Logit, h, lambda: 1.0, route: Route::Auto, fd_step: prec::PENALTY_FD_STEP }));
    let (s, r) = (curvature(&standard), curvature(&reg));
    eprintln!("curvature proxy: standard {s:.4}, penalised {r:.4}");
    assert!(r < 0.5 * s, "penalised {r} vs standard {s}");
}

// ---------------------------------------------------------------------------------------------
// Every objective on every model type.

/// One of each objective (and the combinations), at small strengths.
fn all_objectives() -> Vec<Objective> {
    let mut v = vec![
        Objective::Standard,
        Objective::Adversarial { threat: ThreatModel::linf(0.1, None).unwrap(), attack: Attack::Pgd(Pgd { steps: 2, step_size: 0.05, restarts: 1, random_start: true }) },
        Objective::GaussianNoise { sigma: 0.2, samples: 2 },
        Objective::with(Penalty::weight_l1(1e-3)),
        Objective::with(Penalty::weight_l2(1e-3)),
        Objective::with(Penalty::weight_linf(1e-2)),
        Objective::with(Penalty::grad(PNorm::L1, 1e-2)),
        Objective::with(Penalty::grad(PNorm::L2, 1e-1)),
        Objective::with(Penalty::grad(PNorm::LINF, 1e-1)),
        Objective::with(Penalty::input_grad_logit(1e-1)),
        Objective::with(grad_penalty(GradOf::Logit, PNorm::L2, true, Route::Auto).with_lambda(0.1)),
        Objective::with(Penalty::Smoothness { sigma: 0.2, lambda: 0.5, samples: 1 }),
        Objective::with(Penalty::Hessian { of: GradOf::Logit, h: 0.1, lambda: 0.1, route: Route::Auto, fd_step: prec::PENALTY_FD_STEP }),
        Objective::penalized(Objective::GaussianNoise { sigma: 0.1, samples: 1 }, vec![Penalty::weight_l2(1e-3), Penalty::grad(PNorm::L2, 0.1)]),
    ];
    for form in [DensityForm::Plain, DensityForm::Stable, DensityForm::Efficient] {
        v.push(Objective::with(Penalty::MarginalDensity { p: PNorm::new(1.5).unwrap(), lambda: 0.1, form, route: Route::Auto, fd_step: prec::PENALTY_FD_STEP }));
    }
    v
}

fn one_step(spec: &ModelSpec, shape: InputShape, objective: &Objective) -> f64 {
    let (n, k) = (4, 3);
    let d = shape.dim();
    let mut rng = Seed(1).rng();
    let x = Array2::from_shape_fn((n, d), |_| rng.random_range(0.0..1.0f32));
    let y: Vec<usize> = (0..n).map(|i| i % k).collect();
    let image = match shape {
        InputShape::Image { c, h, w } => Some([c, h, w]),
        InputShape::Flat(_) => None,
    };
    let data = Examples::new(x.view(), &y, image).unwrap();
    let net = model::build::<B>(spec, shape, k, Seed(2), &dev()).unwrap();
    let before = model::weights_fingerprint::<B, _>(&net);
    let mut cfg = adam(1, 1e-3, n);
    cfg.seed = Seed(3);
    let out = train::<B, _>(net, &data, None, &cfg, objective, RunOptions::default(), &dev()).unwrap_or_else(|e| panic!("{} on {}: {e}", objective.name(), spec.name()));
    assert_ne!(model::weights_fingerprint::<B, _>(&out.model), before, "{} on {}: the step left the weights unchanged", objective.name(), spec.name());
    out.history[0].train_loss
}

/// Requirement 5: every objective takes one training step on the linear model, a ReLU and a
/// SoftPlus MLP, the Madry CNN (8×8 input), ResNet18 (CIFAR stem, 3×8×8), VGG11 (1×8×16) and the
/// small CNN with batch norm, gives a finite loss and moves the weights; gradient penalties take
/// the exact route on the first three and finite differences on the others.
#[test]
fn slow_every_objective_trains_every_model_type() {
    let img = |c, h, w| InputShape::Image { c, h, w };
    let models = [
        (ModelSpec::Linear, InputShape::Flat(6)),
        (mlp_spec(Activation::Relu), InputShape::Flat(6)),
        (ModelSpec::Mlp { hidden: vec![8, 8], activation: Activation::Softplus, mean_field: true }, InputShape::Flat(6)),
        (ModelSpec::MadryCnn { activation: Activation::Relu }, img(1, 8, 8)),
        (ModelSpec::ResNet { depth: ResNetDepth::R18, stem: Stem::Cifar, activation: Activation::Relu }, img(3, 8, 8)),
        (ModelSpec::Vgg11 { activation: Activation::Relu }, img(1, 8, 16)),
        (ModelSpec::SmallCnn { channels: vec![3, 4], batch_norm: true, activation: Activation::Relu }, img(1, 8, 8)),
    ];
    for (spec, shape) in &models {
        let t0 = std::time::Instant::now();
        let objectives: Vec<Objective> = all_objectives();
        for objective in &objectives {
            let loss = one_step(spec, *shape, objective);
            assert!(loss.is_finite() && loss > 0.0, "{} on {}: loss {loss}", objective.name(), spec.name());
        }
        eprintln!("{}: {} objectives in {:.1}s", spec.name(), objectives.len(), t0.elapsed().as_secs_f64());
    }
}

/// The exact route on a model that is not a dense stack is an error naming `route`, not a panic.
#[test]
fn exact_route_on_a_cnn_is_an_error() {
    let net = model::build::<B>(&ModelSpec::MadryCnn { activation: Activation::Relu }, InputShape::Image { c: 1, h: 8, w: 8 }, 3, Seed(1), &dev()).unwrap();
    let (x, y) = batch::<B>(2, 64, 3, 1, &dev());
    let err = grad_penalty(GradOf::Loss, PNorm::L2, false, Route::Exact).measure(&net, x, y, Seed(0)).unwrap_err();
    assert!(matches!(&err, Error::InvalidParam { name, .. } if name == "route"), "{err}");
}

/// Seed 002's eleven models are constructible, distinct, and each trains a one-hidden-layer MLP
/// on the toy set x = y·e_j for one step.
#[test]
fn seed002_models_are_expressible() {
    let list = Objective::seed002(1e-3, 1e-2);
    assert_eq!(list.len(), 11);
    let names: std::collections::BTreeSet<_> = list.iter().map(|(_, o)| o.name()).collect();
    assert_eq!(names.len(), 11, "{names:?}");
    let d = 6;
    let (n, mut x, mut y) = (12, Array2::zeros((12, d)), Vec::new());
    for i in 0..n {
        let label = i % 2;
        x[[i, (i / 2) % d]] = if label == 1 { 1.0 } else { -1.0 };
        y.push(label);
    }
    let data = Examples::new(x.view(), &y, None).unwrap();
    for (label, objective) in &list {
        objective.validate().unwrap();
        let net = model::build::<B>(&ModelSpec::one_hidden(64), InputShape::Flat(d), 2, Seed(1), &dev()).unwrap();
        let out = train::<B, _>(net, &data, None, &adam(1, 1e-3, n), objective, RunOptions::default(), &dev()).unwrap();
        assert!(out.history[0].train_loss.is_finite(), "{label}");
    }
}

/// Objectives survive JSON (meta.json) and TOML (specs) round trips; `p = "inf"` and integer p
/// parse.
#[test]
fn objectives_serialise() {
    for o in all_objectives().into_iter().chain(Objective::seed002(1e-3, 1e-2).into_iter().map(|(_, o)| o)) {
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(serde_json::from_str::<Objective>(&json).unwrap(), o, "{json}");
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Wrap {
            objective: Objective,
        }
        let t = toml::to_string(&Wrap { objective: o.clone() }).unwrap();
        assert_eq!(toml::from_str::<Wrap>(&t).unwrap().objective, o, "{t}");
    }
    let spec = r#"
        [objective]
        kind = "penalized"
        base = { kind = "standard" }
        [[objective.penalties]]
        kind = "marginal_density"
        p = 2
        lambda = 0.1
        [[objective.penalties]]
        kind = "input_grad"
        of = "loss"
        p = "inf"
        lambda = 0.01
    "#;
    #[derive(serde::Deserialize)]
    struct Wrap {
        objective: Objective,
    }
    let o = toml::from_str::<Wrap>(spec).unwrap().objective;
    assert_eq!(o, Objective::penalized(Objective::Standard, vec![Penalty::marginal_density(PNorm::L2, 0.1), grad_penalty(GradOf::Loss, PNorm::LINF, false, Route::Auto).with_lambda(0.01)]));
}

/// Invalid λ, p, h, σ and sample counts are `InvalidParam` errors naming the parameter.
#[test]
fn invalid_parameters_are_named() {
    let bad: Vec<(Objective, &str)> = vec![
        (Objective::with(Penalty::weight_l1(-1.0)), "penalties[0].lambda"),
        (Objective::with(Penalty::grad(PNorm::L2, f64::NAN)), "penalties[0].lambda"),
        (Objective::penalized(Objective::Standard, vec![Penalty::weight_l1(0.1), Penalty::Weight { p: serde_json::from_str("0.5").unwrap(), squared: false, lambda: 0.1 }]), "penalties[1].p"),
        (Objective::with(Penalty::Hessian { of: GradOf::Logit, h: 0.0, lambda: 0.1, route: Route::Auto, fd_step: 0.01 }), "penalties[0].h"),
        (Objective::with(Penalty::Smoothness { sigma: -0.1, lambda: 0.1, samples: 1 }), "penalties[0].sigma"),
        (Objective::with(Penalty::Smoothness { sigma: 0.1, lambda: 0.1, samples: 0 }), "penalties[0].samples"),
        (Objective::with(Penalty::InputGrad { of: GradOf::Loss, p: PNorm::L2, squared: false, lambda: 0.1, route: Route::Auto, fd_step: 0.0 }), "penalties[0].fd_step"),
        (Objective::GaussianNoise { sigma: f64::INFINITY, samples: 1 }, "sigma"),
        (Objective::penalized(Objective::with(Penalty::weight_l1(0.1)), vec![]), "base"),
    ];
    for (o, want) in bad {
        match o.validate() {
            Err(Error::InvalidParam { name, .. }) => assert_eq!(name, want, "{o:?}"),
            other => panic!("{o:?}: expected InvalidParam({want}), got {other:?}"),
        }
    }
    assert!(PNorm::new(0.9).is_err() && PNorm::new(f64::NAN).is_err());
    assert!(serde_json::from_str::<PNorm>("\"two\"").is_err());
}

/// Same seed ⇒ the same loss, bitwise, for objectives that draw noise, classes and directions
/// (the trainer's exact resume relies on it); another seed ⇒ another loss.
#[test]
fn random_objectives_are_deterministic() {
    let (d, k, n) = (6, 3, 8);
    let net = mlp::<B>(d, &[8], k, Activation::Relu, 1, &dev());
    let (x, y) = batch::<B>(n, d, k, 2, &dev());
    for o in [
        Objective::GaussianNoise { sigma: 0.3, samples: 2 },
        Objective::with(Penalty::Smoothness { sigma: 0.3, lambda: 1.0, samples: 2 }),
        Objective::with(Penalty::Hessian { of: GradOf::Loss, h: 0.1, lambda: 1.0, route: Route::FiniteDiff, fd_step: 0.01 }),
        Objective::with(Penalty::MarginalDensity { p: PNorm::L2, lambda: 1.0, form: DensityForm::Stable, route: Route::Exact, fd_step: 0.01 }),
    ] {
        let l = |s: u64| scalar(o.loss(&net, x.clone(), y.clone(), Seed(s)).unwrap().0.inner());
        assert_eq!(l(5).to_bits(), l(5).to_bits(), "{}", o.name());
        if !matches!(o, Objective::Penalized { ref penalties, .. } if matches!(penalties[0], Penalty::MarginalDensity { .. })) {
            assert_ne!(l(5), l(6), "{}", o.name());
        }
    }
}
