//! The attribution layer on models whose answers are known: the program view of every model,
//! linear models (closed forms, Lemma 4.1 of seed 001), completeness and its convergence order,
//! the noise and SHAP wrappers, batch / chunk / thread invariance, and the errors of undefined
//! rules. Captum's outputs are compared in tests/attribution_captum.rs.

use burn::module::AutodiffModule;
use burn::tensor::{Tensor, TensorData};
use inputgrad::attribution::propagate::program_gradient;
use inputgrad::attribution::rank::{keep_mask, order, PixelReduce};
use inputgrad::attribution::{
    self, input_gradient, to_vec, Attribution, Baseline, Budget, Class, DeepLift, DeepShap, GradientShap, Grouping, GuidedBackprop, IgRule, IntegratedGradients, Keep,
    KeepFraction, LinearModelAttribution, Lrp, LrpRule, NoiseKind, NoiseTunnel, Occlusion, RandomAttribution, Saliency, Scalar, Sigma, Target, Transform, Transformed,
};
use inputgrad::model::program;
use inputgrad::model::{Activation, Classifier, InputShape, ModelSpec, Net, ResNetDepth, Stem};
use inputgrad::{prec, Seed};
use ndarray::Array2;


#[path = "support/attr.rs"]
mod attr;
use attr::*;

#[test]
fn every_models_program_gives_its_logits_bit_for_bit() {
    for (name, spec, shape) in zoo() {
        let net = model::<B>(&spec, shape, 3);
        let inner = net.valid();
        let x = inputs::<I>(3, shape.dim(), 5);
        let ops = inner.program().unwrap_or_else(|| panic!("{name}: no program"));
        let want = inner.logits(x.clone()).into_data();
        let got = program::run(&ops, x).into_data();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn the_program_gradient_equals_autodiff_on_every_model() {
    for (name, spec, shape) in zoo() {
        let net = model::<B>(&spec, shape, 3);
        let x = inputs::<I>(3, shape.dim(), 6);
        let t = logit(&[0, 2, 1]);
        let want = vec_of(&input_gradient::<B, _>(&net, x.clone(), &t.grad_target(&dev())).unwrap().0);
        let got = vec_of(&program_gradient::<B, _>(&net, x, &t).unwrap());
        let e = rel_err(&got, &want);
        assert!(e <= prec::F32_EXACT, "{name}: program gradient differs from autodiff by {e:.2e}");
    }
}

/// A linear model with weights W `[D, K]` and bias b, and W as an array.
fn linear_model(d: usize, k: usize) -> (Net<B>, Array2<f32>, Vec<f32>) {
    let net = model::<B>(&ModelSpec::Linear, InputShape::Flat(d), k);
    let Net::Linear(m) = &net else { unreachable!() };
    let w = vec_of(&m.fc.weight.val());
    let b = vec_of(&m.fc.bias.as_ref().expect("bias").val());
    let w = Array2::from_shape_vec((d, k), w.iter().map(|&v| v as f32).collect()).unwrap();
    (net, w, b.iter().map(|&v| v as f32).collect())
}

#[test]
fn on_a_linear_model_saliency_is_the_weight_column_and_ig_deeplift_are_w_times_delta() {
    let (d, k) = (10, 3);
    let (net, w, _) = linear_model(d, k);
    let x = inputs::<I>(4, d, 7);
    let u = inputs::<I>(4, d, 8);
    let classes = [2usize, 0, 1, 2];
    let t = logit(&classes);
    let xs = vec_of(&x);
    let us = vec_of(&u);
    let sal = vec_of(&Saliency::default().attribute(&net, x.clone(), &t).unwrap().values);
    let given = Baseline::Given(Array2::from_shape_vec((4, d), us.iter().map(|&v| v as f32).collect()).unwrap());
    for (i, &c) in classes.iter().enumerate() {
        for j in 0..d {
            let wj = f64::from(w[[j, c]]);
            assert_eq!(sal[i * d + j], wj, "saliency = W[:, k]");
        }
    }
    let want: Vec<f64> = (0..4 * d).map(|q| f64::from(w[[q % d, classes[q / d]]]) * (xs[q] - us[q])).collect();
    for rule in IgRule::ALL {
        let ig = IntegratedGradients { baseline: given.clone(), ..IntegratedGradients::new(rule, 7) };
        let a = ig.attribute(&net, x.clone(), &t).unwrap();
        let e = rel_err(&vec_of(&a.values), &want);
        assert!(e <= prec::F32_EXACT, "IG {rule:?} on a linear model: {e:.2e}");
        assert!(a.gap.unwrap().iter().all(|g| g.abs() <= prec::F32_EXACT), "IG {rule:?}: completeness");
    }
    let dl = DeepLift { baseline: given.clone(), ..DeepLift::default() }.attribute(&net, x.clone(), &t).unwrap();
    assert!(rel_err(&vec_of(&dl.values), &want) <= prec::F32_EXACT);
    // Occlusion of one coordinate with fill 0: t(x) − t(x with x_j = 0) = w_j x_j.
    let occ = Occlusion { window: [1, 1, 1], stride: [1, 1, 1], fill: 0.0, budget: Budget::default() };
    let a = vec_of(&occ.attribute(&net, x.clone(), &t).unwrap().values);
    let want_occ: Vec<f64> = (0..4 * d).map(|q| f64::from(w[[q % d, classes[q / d]]]) * xs[q]).collect();
    assert!(rel_err(&a, &want_occ) <= prec::F32_EXACT, "occlusion of one coordinate");
    // The linear-model control of the same weights is the saliency map.
    let lin = LinearModelAttribution { weights: w.clone() };
    let a = vec_of(&Attribution::<B, Net<B>>::attribute(&lin, &net, x, &t).unwrap().values);
    assert_eq!(a, sal);
}

/// Checks seed 001 Lemma 4.1 (eq 15) on a logistic model — proofs/ig.md: for F(x) = A(⟨w, x⟩ + c)
/// with A the logistic function (the probability of class 1 of a 2-class softmax model, w = W₁ − W₀)
/// or log σ (minus the loss of label 1), IG = (F(x) − F(u))·(x − u) ⊙ w / ⟨x − u, w⟩.
#[test]
fn lemma_4_1_holds_for_integrated_gradients_of_a_two_class_softmax_model() {
    let d = 9;
    let (net, w, _) = linear_model(d, 2);
    let x = inputs::<I>(3, d, 9);
    let xs = vec_of(&x);
    let wd: Vec<f64> = (0..d).map(|j| f64::from(w[[j, 1]]) - f64::from(w[[j, 0]])).collect();
    let fx = to_vec(&attribution::gradient::scalar_values::<B, _>(&net, x.clone(), &Scalar::Probability(vec![1; 3])).unwrap()).unwrap();
    let fu = to_vec(&attribution::gradient::scalar_values::<B, _>(&net, Tensor::zeros([3, d], &dev()), &Scalar::Probability(vec![1; 3])).unwrap()).unwrap();
    for (target, sign) in [(Scalar::Probability(vec![1; 3]), 1.0), (Scalar::Loss(vec![1; 3]), -1.0)] {
        let ig = IntegratedGradients::new(IgRule::GaussLegendre, 32).attribute(&net, x.clone(), &target).unwrap();
        let got = vec_of(&ig.values);
        for i in 0..3 {
            let xi = &xs[i * d..(i + 1) * d];
            let dot: f64 = xi.iter().zip(&wd).map(|(a, b)| a * b).sum();
            // F(x) − F(u): the probability, or minus the loss (log σ), from the zero baseline.
            let (px, pu) = (f64::from(fx[i]), f64::from(fu[i]));
            let df = if sign > 0.0 { px - pu } else { px.ln() - pu.ln() };
            let want: Vec<f64> = (0..d).map(|j| sign * df * xi[j] * wd[j] / dot).collect();
            let e = rel_err(&got[i * d..(i + 1) * d], &want);
            assert!(e <= prec::IG_COMPLETE_F32, "Lemma 4.1, {} example {i}: {e:.2e}", target.kind());
        }
    }
}

/// Every method that runs on `net` (with `background` for the SHAP methods), as boxed methods.
fn methods(background: Array2<f32>, with_rules: bool) -> Vec<Box<dyn Attribution<B, Net<B>>>> {
    let budget = Budget::default();
    let mut v: Vec<Box<dyn Attribution<B, Net<B>>>> = vec![
        Box::new(Saliency::default()),
        Box::new(Transformed { inner: Saliency::default(), transform: Transform::TimesInput }),
        Box::new(IntegratedGradients::new(IgRule::GaussLegendre, 8)),
        Box::new(IntegratedGradients { baseline: Baseline::Blur { sigma: 1.0 }, ..IntegratedGradients::new(IgRule::Trapezoid, 5) }),
        Box::new(IntegratedGradients { baseline: Baseline::Uniform { lo: 0.0, hi: 1.0, seed: Seed(3) }, ..IntegratedGradients::new(IgRule::Middle, 4) }),
        Box::new(NoiseTunnel { inner: Saliency::default(), kind: NoiseKind::SmoothGrad, samples: 8, sigma: Sigma::Relative(0.15), seed: Seed(4), budget }),
        Box::new(NoiseTunnel { inner: Saliency::default(), kind: NoiseKind::VarGrad, samples: 8, sigma: Sigma::Absolute(0.1), seed: Seed(4), budget }),
        Box::new(GradientShap { background: background.clone(), samples: 8, sigma: 0.05, seed: Seed(5), budget }),
        Box::new(Occlusion::square(3, 2, 0.0)),
        Box::new(RandomAttribution { seed: Seed(6) }),
    ];
    if with_rules {
        v.push(Box::new(DeepLift::default()));
        v.push(Box::new(DeepShap::new(background)));
        v.push(Box::new(GuidedBackprop::default()));
        v.push(Box::new(Lrp::default()));
    }
    v
}

/// The same method with a budget that fits a single row, so every step runs in many chunks.
fn tiny_budget(background: Array2<f32>, with_rules: bool) -> Vec<Box<dyn Attribution<B, Net<B>>>> {
    let budget = Budget { bytes: 1 };
    let mut v: Vec<Box<dyn Attribution<B, Net<B>>>> = vec![
        Box::new(Saliency { budget }),
        Box::new(Transformed { inner: Saliency { budget }, transform: Transform::TimesInput }),
        Box::new(IntegratedGradients { budget, ..IntegratedGradients::new(IgRule::GaussLegendre, 8) }),
        Box::new(IntegratedGradients { baseline: Baseline::Blur { sigma: 1.0 }, budget, ..IntegratedGradients::new(IgRule::Trapezoid, 5) }),
        Box::new(IntegratedGradients { baseline: Baseline::Uniform { lo: 0.0, hi: 1.0, seed: Seed(3) }, budget, ..IntegratedGradients::new(IgRule::Middle, 4) }),
        Box::new(NoiseTunnel { inner: Saliency { budget }, kind: NoiseKind::SmoothGrad, samples: 8, sigma: Sigma::Relative(0.15), seed: Seed(4), budget }),
        Box::new(NoiseTunnel { inner: Saliency { budget }, kind: NoiseKind::VarGrad, samples: 8, sigma: Sigma::Absolute(0.1), seed: Seed(4), budget }),
        Box::new(GradientShap { background: background.clone(), samples: 8, sigma: 0.05, seed: Seed(5), budget }),
        Box::new(Occlusion { budget, ..Occlusion::square(3, 2, 0.0) }),
        Box::new(RandomAttribution { seed: Seed(6) }),
    ];
    if with_rules {
        v.push(Box::new(DeepLift { budget, ..DeepLift::default() }));
        v.push(Box::new(DeepShap { budget, ..DeepShap::new(background) }));
        v.push(Box::new(GuidedBackprop { budget }));
        v.push(Box::new(Lrp { budget, ..Lrp::default() }));
    }
    v
}

/// Runs `f` on a rayon pool of `threads` threads (burn-ndarray's parallel kernels use rayon).
fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool").install(f)
}

#[test]
fn slow_an_examples_attribution_does_not_depend_on_its_batch_the_chunk_size_or_the_thread_count() {
    let cases = [("mlp", mlp(&[48, 24], Activation::Relu), img(1, 6, 6), true), ("madry cnn", ModelSpec::MadryCnn { activation: Activation::Relu }, img(1, 8, 8), true)];
    for (name, spec, shape, rules) in cases {
        let net = model::<B>(&spec, shape, 3);
        let d = shape.dim();
        // 9 examples × 8 steps, samples or background rows = 72 rows: more than one evaluation
        // block (64 rows), so the staging differs between the two budgets.
        let n = 9;
        let x = inputs::<I>(n, d, 21);
        let classes = [0usize, 1, 2, 1, 0, 2, 2, 1, 0];
        let t = logit(&classes);
        let bg = background(8, d);
        let big = methods(bg.clone(), rules);
        let small = tiny_budget(bg, rules);
        for (m, m_small) in big.iter().zip(&small) {
            let batch = to_vec(&m.attribute(&net, x.clone(), &t).unwrap().values).unwrap();
            // Chunk size: a 1-byte budget evaluates one row at a time.
            let chunked = to_vec(&m_small.attribute(&net, x.clone(), &t).unwrap().values).unwrap();
            assert_eq!(batch, chunked, "{name} / {}: the chunk size changed the result", m.name());
            // Batch: each example alone, and the batch reversed.
            for i in [0, 3, 8] {
                let alone = to_vec(&m.attribute(&net, x.clone().slice([i..i + 1]), &logit(&classes[i..i + 1])).unwrap().values).unwrap();
                assert_eq!(&batch[i * d..(i + 1) * d], &alone[..], "{name} / {}: example {i} alone differs", m.name());
            }
            // Threads.
            let one = on_threads(1, || to_vec(&m.attribute(&net, x.clone(), &t).unwrap().values).unwrap());
            assert_eq!(batch, one, "{name} / {}: 1 thread differs", m.name());
            // Same seed, same bits.
            let again = to_vec(&m.attribute(&net, x.clone(), &t).unwrap().values).unwrap();
            assert_eq!(batch, again, "{name} / {}: a rerun differs", m.name());
        }
    }
}

#[test]
fn vargrad_and_smoothgrad_squared_are_never_negative() {
    let net = model::<B>(&mlp(&[32, 16], Activation::Relu), InputShape::Flat(12), 3);
    let x = inputs::<I>(6, 12, 42);
    let t = logit(&[0, 1, 2, 0, 1, 2]);
    for kind in [NoiseKind::VarGrad, NoiseKind::SmoothGradSq] {
        for sigma in [1e-6, 0.05, 0.5] {
            let m = NoiseTunnel { inner: IntegratedGradients::new(IgRule::Middle, 4), kind, samples: 9, sigma: Sigma::Relative(sigma), seed: Seed(2), budget: Budget::default() };
            let v = vec_of(&m.attribute(&net, x.clone(), &t).unwrap().values);
            assert!(v.iter().all(|&a| a >= 0.0), "{kind:?} at σ = {sigma}: min {}", v.iter().cloned().fold(f64::INFINITY, f64::min));
        }
    }
    // VarGrad of identical samples (σ = 0) is exactly 0.
    let m = NoiseTunnel { inner: Saliency::default(), kind: NoiseKind::VarGrad, samples: 7, sigma: Sigma::Absolute(0.0), seed: Seed(2), budget: Budget::default() };
    assert!(vec_of(&m.attribute(&net, x, &t).unwrap().values).iter().all(|&a| a == 0.0));
}

#[test]
fn relative_sigma_scales_with_each_examples_range() {
    assert_eq!(Sigma::Relative(0.1).for_row(&[0.2, 0.7, 1.2]), 0.1 * (1.2 - 0.2));
    assert_eq!(Sigma::Absolute(0.1).for_row(&[0.2, 0.7, 1.2]), 0.1);
    let m = NoiseTunnel { inner: Saliency::default(), kind: NoiseKind::SmoothGrad, samples: 200, sigma: Sigma::Relative(0.5), seed: Seed(9), budget: Budget::default() };
    // Rows with ranges 1 and 4: the drawn noise has standard deviations 0.5 and 2.
    let rows = vec![vec![0.0, 1.0, 0.5, 0.25], vec![0.0, 4.0, 2.0, 1.0]];
    let noise = m.draw_noise(&rows).unwrap();
    for (z, want) in noise.iter().zip([0.5, 2.0]) {
        let sd = (z.iter().map(|v| v * v).sum::<f64>() / z.len() as f64).sqrt();
        // 800 draws: the sample sd is within prec::SE_BAND = 4 standard errors (sd/√(2·800) = 2.5 %) of σ.
        assert!((sd / want - 1.0).abs() < prec::SE_BAND / (2.0 * 800.0f64).sqrt(), "sd {sd} for σ {want}");
    }
}

#[test]
fn undefined_rules_fail_naming_the_method_and_the_layer() {
    let resnet = model::<B>(&ModelSpec::ResNet { depth: ResNetDepth::R18, stem: Stem::Cifar, activation: Activation::Relu }, img(3, 8, 8), 3);
    let x = inputs::<I>(2, 192, 45);
    let t = logit(&[0, 1]);
    let e = Lrp::default().attribute(&resnet, x.clone(), &t).unwrap_err().to_string();
    assert!(e.contains("lrp") && e.contains("layer1.0"), "{e}");
    let vgg = model::<B>(&ModelSpec::Vgg11 { activation: Activation::Relu }, img(1, 8, 16), 3);
    let e = Lrp { rule: LrpRule::ZPlus, ..Lrp::default() }.attribute(&vgg, inputs::<I>(2, 128, 45), &t).unwrap_err().to_string();
    assert!(e.contains("z+") && e.contains("convs[0].bn"), "{e}");
    let soft = model::<B>(&mlp(&[8], Activation::Softplus), InputShape::Flat(6), 3);
    let x6 = inputs::<I>(2, 6, 46);
    let e = GuidedBackprop::default().attribute(&soft, x6.clone(), &t).unwrap_err().to_string();
    assert!(e.contains("guided") && e.contains("hidden[0]"), "{e}");
    let e = Lrp::default().attribute(&soft, x6.clone(), &t).unwrap_err().to_string();
    assert!(e.contains("lrp") && e.contains("hidden[0]"), "{e}");
    // Rule-based methods start from a logit: a loss or probability target is refused.
    let relu = model::<B>(&mlp(&[8], Activation::Relu), InputShape::Flat(6), 3);
    for m in [Box::new(DeepLift::default()) as Box<dyn Attribution<B, Net<B>>>, Box::new(GuidedBackprop::default())] {
        let e = m.attribute(&relu, x6.clone(), &Scalar::Loss(vec![0, 1])).unwrap_err().to_string();
        assert!(e.contains("not linear in the logits"), "{}: {e}", m.name());
    }
    let e = Lrp::default().attribute(&relu, x6.clone(), &Scalar::SumLogits(2)).unwrap_err().to_string();
    assert!(e.contains("LRP starts from one logit"), "{e}");
    // DeepLIFT through the ResNet's residual blocks is defined.
    assert!(DeepLift::default().attribute(&resnet, x, &t).is_ok());
}

#[test]
fn targets_parse_resolve_and_reject_what_they_cannot_be() {
    assert_eq!("logit:predicted".parse::<Target>().unwrap(), Target::Logit(Class::Predicted));
    assert_eq!("true".parse::<Target>().unwrap(), Target::Logit(Class::True));
    assert_eq!("3".parse::<Target>().unwrap(), Target::Logit(Class::Given(3)));
    assert_eq!("probability:true".parse::<Target>().unwrap(), Target::Probability(Class::True));
    assert_eq!("loss".parse::<Target>().unwrap(), Target::Loss);
    assert_eq!("sum-logits".parse::<Target>().unwrap(), Target::SumLogits);
    assert!("logit:cat".parse::<Target>().unwrap_err().to_string().contains("target"));
    for t in ["logit:predicted", "probability:2", "loss", "sum-logits", "logsumexp"] {
        assert_eq!(t.parse::<Target>().unwrap().to_string(), t);
    }
    let logits = Tensor::<I, 2>::from_data(TensorData::new(vec![0.1f32, 0.9, 0.0, 2.0, -1.0, 1.0], [2, 3]), &dev());
    assert_eq!(Target::Logit(Class::Predicted).resolve(&logits, None).unwrap(), Scalar::Logit(vec![1, 0]));
    assert_eq!(Target::Loss.resolve(&logits, Some(&[2, 1])).unwrap(), Scalar::Loss(vec![2, 1]));
    assert!(Target::Loss.resolve(&logits, None).unwrap_err().to_string().contains("labels"));
    assert!(Target::Logit(Class::Given(3)).resolve(&logits, None).unwrap_err().to_string().contains("out of range"));
}

#[test]
fn ranking_breaks_ties_uniformly_and_keeps_the_fraction_asked() {
    // Distinct scores: decreasing order, whatever the tie seed.
    assert_eq!(order(&[0.1, 0.5, -1.0, 0.3], Seed(0)), vec![1, 3, 0, 2]);
    // Top and bottom sets with k the fraction kept (⌊k·n + ½⌋ positions).
    let a = [0.1f32, 0.5, -1.0, 0.3, 0.9, 0.0, 0.2, 0.4, -0.5, 0.6];
    let shape = InputShape::Flat(10);
    let top = keep_mask(&a, shape, Grouping::Coordinate, Keep::Top(KeepFraction::new(0.3).unwrap()), Seed(1)).unwrap();
    assert_eq!(top.iter().enumerate().filter(|(_, &k)| k).map(|(i, _)| i).collect::<Vec<_>>(), vec![1, 4, 9]);
    let bottom = keep_mask(&a, shape, Grouping::Coordinate, Keep::Bottom(KeepFraction::new(0.2).unwrap()), Seed(1)).unwrap();
    assert_eq!(bottom.iter().enumerate().filter(|(_, &k)| k).map(|(i, _)| i).collect::<Vec<_>>(), vec![2, 8]);
    assert!(KeepFraction::new(1.2).is_err() && KeepFraction::new(f64::NAN).is_err());
    // Pixel grouping: a 2-channel 2×2 image; |a| summed per pixel, both channels of a kept pixel kept.
    let img2 = InputShape::Image { c: 2, h: 2, w: 2 };
    let a = [1.0f32, -3.0, 0.5, 0.0, /* channel 1 */ 1.0, 0.5, -2.0, 0.1];
    let m = keep_mask(&a, img2, Grouping::Pixel(PixelReduce::AbsSum), Keep::Top(KeepFraction::new(0.5).unwrap()), Seed(2)).unwrap();
    assert_eq!(m, vec![false, true, true, false, false, true, true, false]);
    // All scores tied: the first-ranked position is uniform over the 8 positions (chi-square test
    // at prec::STAT_ALPHA over 4000 tie seeds).
    let n = 8;
    let mut counts = vec![0f64; n];
    let trials = 4000;
    for s in 0..trials {
        counts[order(&vec![0.0; n], Seed(s))[0]] += 1.0;
    }
    let e = trials as f64 / n as f64;
    let chi2: f64 = counts.iter().map(|c| (c - e).powi(2) / e).sum();
    let crit = statrs::distribution::ContinuousCDF::inverse_cdf(&statrs::distribution::ChiSquared::new((n - 1) as f64).unwrap(), 1.0 - prec::STAT_ALPHA);
    assert!(chi2 < crit, "tie-break not uniform: chi² {chi2:.1} ≥ {crit:.1} ({counts:?})");
}

#[test]
fn the_random_control_is_a_permutation_and_the_blur_baseline_keeps_constants() {
    let net = model::<B>(&mlp(&[4], Activation::Relu), InputShape::Flat(9), 2);
    let x = inputs::<I>(3, 9, 47);
    let r = Attribution::<B, Net<B>>::attribute(&RandomAttribution { seed: Seed(5) }, &net, x.clone(), &logit(&[0, 1, 0])).unwrap();
    for row in vec_of(&r.values).chunks(9) {
        let mut v: Vec<i64> = row.iter().map(|&a| a as i64).collect();
        v.sort();
        assert_eq!(v, (0..9).collect::<Vec<_>>());
    }
    // A constant image blurred is the same constant; a blurred image keeps its mean (reflected
    // borders) and lowers its variance.
    let c = attribution::baseline::blur(&[0.25; 12], [1, 3, 4], 1.3);
    assert!(c.iter().all(|&v| (v - 0.25).abs() < prec::F64_FEW_OPS));
    let img: Vec<f64> = (0..64).map(|i| ((i * 37) % 11) as f64).collect();
    let b = attribution::baseline::blur(&img, [1, 8, 8], 1.0);
    let var = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|a| (a - m).powi(2)).sum::<f64>() / v.len() as f64
    };
    assert!(var(&b) < var(&img) / 2.0);
    // The kernel is normalised, symmetric, and of radius ⌊4σ + ½⌋ (scipy's truncate = 4).
    let k = attribution::baseline::gaussian_kernel(1.0);
    assert_eq!(k.len(), 9);
    assert!((k.iter().sum::<f64>() - 1.0).abs() < prec::EXACT && (k[0] - k[8]).abs() < prec::EXACT);
}

#[test]
fn every_rules_weights_sum_to_one_and_the_trapezoid_needs_both_ends() {
    for rule in IgRule::ALL {
        for n in [2, 3, 7, 64] {
            let (a, w) = rule.nodes(n).unwrap();
            assert_eq!(a.len(), n, "{rule:?} with {n} steps evaluates {n} gradients");
            assert!((w.iter().sum::<f64>() - 1.0).abs() <= prec::EXACT, "{rule:?}");
        }
    }
    assert!(IgRule::Trapezoid.nodes(1).is_err());
    // The trapezoid's n nodes are k/(n − 1), Captum's `riemann_trapezoid` nodes.
    assert_eq!(IgRule::Trapezoid.nodes(5).unwrap().0, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
}

#[test]
fn a_budget_below_one_block_is_raised_to_one_block_and_budgets_bound_the_staging() {
    let net = model::<B>(&ModelSpec::MadryCnn { activation: Activation::Relu }, img(1, 28, 56), 2);
    let block = attribution::gradient::row_block(&net);
    let per_row = attribution::budget::bytes_per_row(&net);
    assert!(block >= 1 && block <= attribution::gradient::MAX_BLOCK_ROWS && block.is_power_of_two());
    assert!(block as u64 * per_row <= attribution::gradient::BLOCK_BYTES || block == 1);
    assert_eq!(Budget { bytes: 1 }.rows(&net), block);
    let b = Budget::mib(512).unwrap();
    let rows = b.rows(&net);
    assert_eq!(rows % block, 0);
    assert!(rows as u64 * per_row <= b.bytes);
    assert!(Budget::mib(0).is_err());
}
