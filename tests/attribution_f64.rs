//! The attribution layer in f64 (its own binary: burn 0.21 fixes a device's float dtype
//! process-wide at its first use): convergence orders of Integrated Gradients' completeness gap,
//! SmoothGrad's limit σ → 0, GradientSHAP against IG, DeepLIFT's summation to delta.

#[path = "support/attr.rs"]
mod attr;

use attr::*;
use burn::module::AutodiffModule;
use burn::tensor::Tensor;
use inputgrad::attribution::shap::ShapDraws;
use inputgrad::attribution::{Attribution, Baseline, Budget, DeepLift, DeepShap, GradientShap, IgRule, IntegratedGradients, NoiseKind, NoiseTunnel, Saliency, Scalar, Sigma};
use inputgrad::model::{Activation, Classifier, InputShape, ModelSpec, ResNetDepth, Stem};
use burn::backend::NdArray;
use inputgrad::{prec, Seed};

/// Every tensor here is f64.
fn assert_f64<const D: usize>(t: &Tensor<NdArray<f64>, D>) {
    assert_eq!(t.dtype(), burn::tensor::DType::F64, "the f64 backend computes in another dtype");
}

/// Least-squares slope of log|gap| against log n.
fn loglog_slope(ns: &[usize], gaps: &[f64]) -> f64 {
    let xs: Vec<f64> = ns.iter().map(|&n| (n as f64).ln()).collect();
    let ys: Vec<f64> = gaps.iter().map(|g| g.abs().ln()).collect();
    let (mx, my) = (xs.iter().sum::<f64>() / xs.len() as f64, ys.iter().sum::<f64>() / ys.len() as f64);
    let cov: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let var: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    cov / var
}

/// Mean |completeness gap| over the examples, IG with `rule` and `steps` on `net` (f64).
fn mean_gap<M: Classifier<B64> + AutodiffModule<B64>>(net: &M, x: &Tensor<NdArray<f64>, 2>, t: &Scalar, rule: IgRule, steps: usize) -> f64 {
    let a = IntegratedGradients::new(rule, steps).attribute(net, x.clone(), t).unwrap();
    assert_f64(&a.values);
    let g = a.gap.unwrap();
    g.iter().map(|v| v.abs()).sum::<f64>() / g.len() as f64
}

/// The step counts of the convergence checks.
const STEPS: [usize; 6] = [4, 8, 16, 32, 64, 128];

/// Completeness of IG on a smooth (SoftPlus) MLP, in f64: the gap Σ IG − (t(x) − t(u)) is the
/// quadrature error of the path integral, so it falls at each rule's order — left and right
/// Riemann sums O(1/n), midpoint and trapezoid O(1/n²) (the trapezoid's n nodes are n − 1
/// intervals), Gauss–Legendre faster than any power (below 1e-12 of t(x) − t(u) by 16 nodes). The
/// slopes are fitted as theory/ig.rs fits them for the quadrature alone (seed 001 eq 13 —
/// proofs/ig.md).
#[test]
fn the_completeness_gap_falls_at_each_rules_order_on_a_smooth_mlp() {
    let net = model::<B64>(&mlp(&[24, 12], Activation::Softplus), InputShape::Flat(10), 3);
    let x = inputs::<NdArray<f64>>(4, 10, 31).mul_scalar(3.0);
    let t = logit(&[0, 1, 2, 0]);
    for (rule, order) in [(IgRule::Left, 1.0), (IgRule::Right, 1.0), (IgRule::Middle, 2.0), (IgRule::Trapezoid, 2.0)] {
        let gaps: Vec<f64> = STEPS.iter().map(|&n| mean_gap(&net, &x, &t, rule, n)).collect();
        let intervals: Vec<usize> = STEPS.iter().map(|&n| if rule == IgRule::Trapezoid { n - 1 } else { n }).collect();
        let slope = loglog_slope(&intervals, &gaps);
        assert!((slope + order).abs() <= prec::ORDER_TOL, "{rule:?}: slope {slope:.3}, expected −{order} (gaps {gaps:?})");
    }
    // The logits are O(1), so the f64 rounding of t(x) − t(u) is ~1e-16.
    let gl = mean_gap(&net, &x, &t, IgRule::GaussLegendre, 16);
    assert!(gl <= prec::EXACT, "Gauss–Legendre with 16 nodes leaves a gap of {gl:.2e}");
}

/// On models with kinks — ReLU networks, and max-pooling even in a SoftPlus CNN — the integrand
/// ∂t(u + α(x − u)) jumps along the path, so every rule is first order: the fitted slope of the
/// gap lies near −1 for all five rules (here within [−1.5, −0.7]; the constants oscillate with
/// where the kinks fall between nodes). The gap still falls, so more steps always help, but the
/// higher-order rules buy nothing on such models.
#[test]
fn slow_the_completeness_gap_falls_at_first_order_on_models_with_kinks() {
    for (name, spec, shape) in [
        ("relu mlp", mlp(&[24, 12], Activation::Relu), InputShape::Flat(10)),
        ("relu cnn", ModelSpec::MadryCnn { activation: Activation::Relu }, img(1, 8, 8)),
        ("softplus cnn (max-pool kinks)", ModelSpec::MadryCnn { activation: Activation::Softplus }, img(1, 8, 8)),
    ] {
        let net = model::<B64>(&spec, shape, 3);
        let x = inputs::<NdArray<f64>>(4, shape.dim(), 31).mul_scalar(3.0);
        let t = logit(&[0, 1, 2, 0]);
        for rule in IgRule::ALL {
            let gaps: Vec<f64> = STEPS.iter().map(|&n| mean_gap(&net, &x, &t, rule, n)).collect();
            let slope = loglog_slope(&STEPS, &gaps);
            assert!((prec::KINKED_SLOPE.0..=prec::KINKED_SLOPE.1).contains(&slope), "{name} {rule:?}: slope {slope:.3} (gaps {gaps:?})");
        }
    }
}

#[test]
fn smoothgrad_with_zero_noise_is_the_gradient_and_with_small_noise_close_to_it() {
    let net = model::<B64>(&mlp(&[24, 12], Activation::Softplus), InputShape::Flat(10), 3);
    let x = inputs::<NdArray<f64>>(3, 10, 41);
    let t = logit(&[0, 1, 2]);
    let grad = vec_of(&Saliency::default().attribute(&net, x.clone(), &t).unwrap().values);
    let sg = |sigma: f64| {
        let m = NoiseTunnel { inner: Saliency::default(), kind: NoiseKind::SmoothGrad, samples: 16, sigma: Sigma::Absolute(sigma), seed: Seed(1), budget: Budget::default() };
        vec_of(&m.attribute(&net, x.clone(), &t).unwrap().values)
    };
    // σ = 0: the mean of 16 copies of the gradient (summed in f64: rounding only).
    assert!(rel_err(&sg(0.0), &grad) <= prec::EXACT, "σ = 0");
    // With σ → 0 the mean gradient differs from the gradient by O(σ) (noise mean) + O(σ²)
    // (curvature): the error shrinks about tenfold per tenfold smaller σ.
    let (e3, e4) = (rel_err(&sg(1e-3), &grad), rel_err(&sg(1e-4), &grad));
    assert!(e4 < e3 / 5.0 && e4 < prec::SMOOTHGRAD_LIMIT, "SmoothGrad → gradient as σ → 0: {e3:.2e} at 1e-3, {e4:.2e} at 1e-4");
}

/// GradientSHAP with one baseline and no noise is a Monte Carlo estimate of Integrated Gradients
/// over α ~ U(0, 1); with the α's set to the midpoint nodes it *is* IG with the midpoint rule.
#[test]
fn gradient_shap_with_one_baseline_and_no_noise_is_integrated_gradients() {
    let net = model::<B64>(&mlp(&[24, 12], Activation::Softplus), InputShape::Flat(10), 3);
    let n = 3;
    let x = inputs::<NdArray<f64>>(n, 10, 43);
    let b = background(1, 10);
    let t = logit(&[2, 0, 1]);
    let steps = 16;
    let gs = GradientShap { background: b.clone(), samples: steps, sigma: 0.0, seed: Seed(3), budget: Budget::default() };
    let (alphas, _) = IgRule::Middle.nodes(steps).unwrap();
    let draws = ShapDraws { baseline: vec![0; n * steps], alpha: (0..n).flat_map(|_| alphas.iter().map(|&a| a as f32)).collect(), noise: Vec::new() };
    let shap = vec_of(&gs.attribute_with_draws(&net, x.clone(), &t, &draws).unwrap().values);
    let given = Baseline::Given(b.clone().into_shape_with_order((1, 10)).unwrap());
    let ig = vec_of(&IntegratedGradients { baseline: given.clone(), ..IntegratedGradients::new(IgRule::Middle, steps) }.attribute(&net, x.clone(), &t).unwrap().values);
    // α rounded to f32 (the draws' type) moves each node by ≤ 6e-8.
    assert!(rel_err(&shap, &ig) <= prec::F32_EXACT, "GradientSHAP at the midpoint nodes vs IG: {:.2e}", rel_err(&shap, &ig));
    // With random α: the mean over 4000 samples is within a few Monte Carlo standard errors of IG.
    let many = GradientShap { samples: 4000, ..gs };
    let mc = vec_of(&many.attribute(&net, x, &t).unwrap().values);
    let e = rel_err(&mc, &ig);
    assert!(e < prec::GRADSHAP_MC, "GradientSHAP (4000 samples) vs IG: {e:.3}");
}

#[test]
fn deeplift_and_deepshap_sum_to_the_output_difference() {
    for (name, spec, shape) in [("mlp", mlp(&[32, 16], Activation::Relu), InputShape::Flat(12)), ("madry cnn", ModelSpec::MadryCnn { activation: Activation::Relu }, img(1, 8, 8)), ("resnet18", ModelSpec::ResNet { depth: ResNetDepth::R18, stem: Stem::Cifar, activation: Activation::Relu }, img(3, 8, 8))] {
        let net = model::<B64>(&spec, shape, 3);
        let x = inputs::<NdArray<f64>>(3, shape.dim(), 44);
        let t = logit(&[0, 1, 2]);
        let dl = DeepLift { baseline: Baseline::Constant(0.3), ..DeepLift::default() }.attribute(&net, x.clone(), &t).unwrap();
        assert_f64(&dl.values);
        let ds = DeepShap::new(background(4, shape.dim())).attribute(&net, x, &t).unwrap();
        for (m, gaps) in [("deeplift", dl.gap.unwrap()), ("deepshap", ds.gap.unwrap())] {
            assert!(gaps.iter().all(|g| g.abs() <= prec::DEEPLIFT_GAP_F64), "{name} {m}: summation to delta fails: {gaps:?}");
        }
    }
}

