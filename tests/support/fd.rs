//! Shared by tests/models_conv.rs (f32) and tests/models_conv_f64.rs: input gradients of the
//! convolutional models against central finite differences.

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Int, Tensor, TensorData};
use inputgrad::model::init::Init;
use inputgrad::attribution::{input_gradient, GradTarget};
use inputgrad::model::{build, Classifier, InputShape, Mode, ModelSpec, Net};
use inputgrad::Seed;

/// All entries of a tensor as f64.
pub fn values<const D: usize, Bk: burn::tensor::backend::Backend>(t: Tensor<Bk, D>) -> Vec<f64> {
    t.into_data().convert::<f64>().to_vec::<f64>().expect("float tensor")
}

/// Training passes before a gradient check: 1 − 0.9^20 ≈ 88% of the way from PyTorch's initial
/// running statistics (0, 1) to the batch's, so eval-mode BN normalises roughly as in a trained
/// network. Left at (0, 1), an untrained VGG11 shrinks its signal ~√3-fold per layer (PyTorch's
/// default init) and its input gradients end up ~1e-5 of the logits: below what f32 differences
/// resolve.
pub const WARM_PASSES: usize = 20;
/// Classes of the models in the gradient checks.
pub const FD_CLASSES: usize = 3;

/// `spec` built on `A` from a fixed seed, its BN running statistics brought close to those of a
/// standard normal batch by [`WARM_PASSES`] training passes (run on the inner backend, so no
/// autodiff graph is recorded).
pub fn warmed<A: AutodiffBackend>(spec: &ModelSpec, shape: InputShape, device: &A::Device) -> Net<A> {
    let inner: Net<A::InnerBackend> = build(spec, shape, FD_CLASSES, Seed(41), device).expect("build");
    let warm = Init::<A::InnerBackend>::new(Seed(42), device).normal([4, shape.dim()], 1.0);
    for _ in 0..WARM_PASSES {
        let _ = inner.forward_mode(warm.clone(), Mode::Train);
    }
    Net::from_inner(inner)
}

/// Checks the eval-mode input gradient of each example's logit (classes 0 and 2) of `net`
/// against central finite differences with step `h` at a few coordinates (the largest-gradient
/// one and some spread ones). Each finite difference perturbs one example alone, so agreement
/// also shows that gradients are per-example. Returns the worst error relative to the example's
/// largest gradient entry, after asserting it is at most `tol`.
#[allow(dead_code)]
pub fn fd_check<A: AutodiffBackend>(name: &str, net: &Net<A>, h: f64, tol: f64, device: &A::Device) -> f64 {
    let (k, shape) = (net.num_classes(), net.input_shape());
    let d = shape.dim();
    let x = Init::<A::InnerBackend>::new(Seed(43), device).normal([2, d], 1.0);
    let y = Tensor::<A::InnerBackend, 1, Int>::from_ints([0, 2], device);
    let (g, _) = input_gradient::<A, _>(net, x.clone(), &GradTarget::Logit(y)).expect("gradient");
    // burn fixes a device's float dtype at its first tensor, whatever the backend's element type.
    assert_eq!(g.dtype(), <A::FloatElem as burn::tensor::Element>::dtype(), "the backend computes in another dtype");
    let g = values(g);
    let inner = net.valid();
    let xs = values(x);
    let mut worst = 0.0f64;
    for (i, class) in [(0usize, 0usize), (1, 2)] {
        let gi = &g[i * d..(i + 1) * d];
        let gmax = gi.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let argmax = gi.iter().position(|v| v.abs() == gmax).unwrap_or(0);
        let mut coords = vec![argmax, 0, d / 3, d / 2, d - 1];
        coords.dedup();
        // One batch: x_i ± h e_j for every chosen j.
        let mut rows = Vec::with_capacity(2 * coords.len() * d);
        for &j in &coords {
            for sign in [1.0, -1.0] {
                let mut r = xs[i * d..(i + 1) * d].to_vec();
                r[j] += sign * h;
                rows.extend(r);
            }
        }
        let batch = Tensor::<A::InnerBackend, 2>::from_data(TensorData::new(rows, [2 * coords.len(), d]), device);
        let out = values(inner.logits(batch));
        for (t, &j) in coords.iter().enumerate() {
            let fd = (out[(2 * t) * k + class] - out[(2 * t + 1) * k + class]) / (2.0 * h);
            let err = (fd - gi[j]).abs() / gmax;
            worst = worst.max(err);
            assert!(err <= tol, "{name}: example {i}, coordinate {j}: gradient {} vs finite difference {fd} (max |g| {gmax}, h {h})", gi[j]);
        }
    }
    worst
}


/// Checks the eval-mode input gradient g of each example's logit (classes 0 and 2) of `net`
/// against central differences along directions u: g/‖g‖ and two random unit vectors, i.e.
/// `(f(x + h u) − f(x − h u)) / 2h` against `⟨g, u⟩`. Along a unit direction the rounding error of
/// the quotient is divided by ‖g‖₂ rather than by one small entry of g, which is what f32 needs.
/// Returns the worst `|quotient − ⟨g, u⟩| / ‖g‖₂`, after asserting it is at most `tol`.
#[allow(dead_code)]
pub fn fd_directional<A: AutodiffBackend>(name: &str, net: &Net<A>, h: f64, tol: f64, device: &A::Device) -> f64 {
    let (k, d) = (net.num_classes(), net.input_shape().dim());
    let x = Init::<A::InnerBackend>::new(Seed(43), device).normal([2, d], 1.0);
    let y = Tensor::<A::InnerBackend, 1, Int>::from_ints([0, 2], device);
    let (g, _) = input_gradient::<A, _>(net, x.clone(), &GradTarget::Logit(y)).expect("gradient");
    assert_eq!(g.dtype(), <A::FloatElem as burn::tensor::Element>::dtype(), "the backend computes in another dtype");
    let g = values(g);
    let xs = values(x);
    let random = values(Init::<A::InnerBackend>::new(Seed(44), device).normal([2, d], 1.0));
    let inner = net.valid();
    let unit = |v: &[f64]| {
        let n = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        v.iter().map(|a| a / n).collect::<Vec<f64>>()
    };
    let mut worst = 0.0f64;
    for (i, class) in [(0usize, 0usize), (1, 2)] {
        let gi = &g[i * d..(i + 1) * d];
        let norm = gi.iter().map(|a| a * a).sum::<f64>().sqrt();
        let dirs = [unit(gi), unit(&random[..d]), unit(&random[d..])];
        let mut rows = Vec::with_capacity(2 * dirs.len() * d);
        for u in &dirs {
            for sign in [1.0, -1.0] {
                rows.extend(xs[i * d..(i + 1) * d].iter().zip(u).map(|(a, b)| a + sign * h * b));
            }
        }
        let batch = Tensor::<A::InnerBackend, 2>::from_data(TensorData::new(rows, [2 * dirs.len(), d]), device);
        let out = values(inner.logits(batch));
        for (t, u) in dirs.iter().enumerate() {
            let fd = (out[(2 * t) * k + class] - out[(2 * t + 1) * k + class]) / (2.0 * h);
            let want: f64 = gi.iter().zip(u).map(|(a, b)| a * b).sum();
            let err = (fd - want).abs() / norm;
            worst = worst.max(err);
            assert!(err <= tol, "{name}: example {i}, direction {t}: ⟨g, u⟩ = {want} vs finite difference {fd} (‖g‖ {norm}, h {h})");
        }
    }
    worst
}
