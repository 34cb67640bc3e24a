//! Convolutional models: output shapes, batch normalisation's train/eval semantics, input gradients
//! against finite differences, seeding, build errors, and PyTorch weight loading.
//!
//! Sizes are tiny (8×8 to 16×16 images, batches of 2–4) so the file runs in under half a minute
//! on two cores.

#[path = "support/fd.rs"]
mod fd;

use std::path::Path;

use burn::backend::{Autodiff, NdArray};
use burn::module::AutodiffModule;
use burn::tensor::{Int, Tensor, TensorData};
use inputgrad::model::init::Init;
use inputgrad::model::norm::{BatchNorm2d, BN_EPS, BN_MOMENTUM};
use inputgrad::model::pytorch::{load_pytorch, load_pytorch_resnet, load_state_dict, StateDict};
use std::collections::HashMap;
use inputgrad::model::resnet::ResNet;
use inputgrad::attribution::{input_gradient, GradTarget};
use inputgrad::model::{build, Activation, Classifier, InputShape, Mode, ModelSpec, Net, ResNetDepth, Stem};
use inputgrad::{prec, Error, Seed};

type B = Autodiff<NdArray<f32>>;
type I = NdArray<f32>;

fn dev() -> burn::backend::ndarray::NdArrayDevice {
    Default::default()
}

fn img(c: usize, h: usize, w: usize) -> InputShape {
    InputShape::Image { c, h, w }
}

use fd::values;

/// `[n, d]` standard normal inputs on the inner backend, from `seed`.
fn inputs(n: usize, d: usize, seed: u64) -> Tensor<I, 2> {
    let device = dev();
    Init::<I>::new(Seed(seed), &device).normal([n, d], 1.0)
}

/// Every convolutional spec, with an input shape small enough to be fast.
fn conv_specs() -> Vec<(ModelSpec, InputShape)> {
    let act = Activation::Relu;
    vec![
        (ModelSpec::MadryCnn { activation: act }, img(1, 8, 12)),
        (ModelSpec::ResNet { depth: ResNetDepth::R18, stem: Stem::Cifar, activation: act }, img(3, 8, 8)),
        (ModelSpec::ResNet { depth: ResNetDepth::R18, stem: Stem::Imagenet, activation: act }, img(3, 16, 16)),
        (ModelSpec::ResNet { depth: ResNetDepth::R50, stem: Stem::Cifar, activation: act }, img(3, 8, 8)),
        (ModelSpec::ResNet { depth: ResNetDepth::R50, stem: Stem::Imagenet, activation: act }, img(3, 16, 16)),
        (ModelSpec::Vgg11 { activation: act }, img(1, 8, 16)),
        (ModelSpec::SmallCnn { channels: vec![4, 6], batch_norm: false, activation: act }, img(1, 8, 12)),
        (ModelSpec::SmallCnn { channels: vec![4, 6], batch_norm: true, activation: act }, img(2, 8, 8)),
    ]
}

#[test]
fn every_conv_model_gives_logits_of_shape_n_by_k() {
    let device = dev();
    for (spec, shape) in conv_specs() {
        let net: Net<I> = build(&spec, shape, 5, Seed(1), &device).expect("build");
        assert_eq!(net.input_shape(), shape);
        assert_eq!(net.num_classes(), 5);
        for mode in [Mode::Train, Mode::Eval] {
            let out = net.forward_mode(inputs(3, shape.dim(), 2), mode);
            assert_eq!(out.dims(), [3, 5], "{} in {mode:?}", spec.name());
            assert!(values(out).iter().all(|v| v.is_finite()), "{} in {mode:?}", spec.name());
        }
    }
}

#[test]
fn madry_cnn_fits_mnist_and_block_mnist_sizes() {
    let device = dev();
    for (h, w, flat) in [(28, 28, 64 * 7 * 7), (28, 56, 64 * 7 * 14), (9, 7, 64 * 2)] {
        let mut init = Init::<I>::new(Seed(3), &device);
        let cnn = inputgrad::model::cnn::MadryCnn::new(&mut init, img(1, h, w), 10, Activation::Relu).expect("build");
        assert_eq!(cnn.fc1.weight.dims(), [flat, 1024], "{h}×{w}");
        assert_eq!(cnn.logits(inputs(2, h * w, 4)).dims(), [2, 10]);
    }
}

#[test]
fn resnet_and_vgg_feature_maps_have_the_documented_sizes() {
    let device = dev();
    let cases = [(ResNetDepth::R18, Stem::Cifar, [2, 512, 2, 2]), (ResNetDepth::R18, Stem::Imagenet, [2, 512, 1, 1]), (ResNetDepth::R50, Stem::Cifar, [2, 2048, 2, 2])];
    for (depth, stem, want) in cases {
        let mut init = Init::<I>::new(Seed(5), &device);
        let net = ResNet::new(&mut init, img(3, 16, 16), 4, depth, stem, Activation::Relu).expect("build");
        assert_eq!(net.features(inputs(2, 3 * 16 * 16, 6), Mode::Eval).dims(), want, "{depth:?} {stem:?}");
        assert_eq!(net.fc.weight.dims()[0], want[1]);
    }
    // BlockMNIST-sized VGG: rows 28→14→7→3→1→1 (last pool skipped), columns 56→28→14→7→3→1.
    let mut init = Init::<I>::new(Seed(5), &device);
    let vgg = inputgrad::model::vgg::Vgg::new(&mut init, img(1, 28, 56), 2, Activation::Relu).expect("build");
    assert_eq!(vgg.features(inputs(2, 28 * 56, 7), Mode::Eval).dims(), [2, 512, 1, 1]);
    assert_eq!(vgg.convs.len(), 8);
}

#[test]
fn build_rejects_flat_and_too_small_inputs_for_conv_models() {
    let device = dev();
    for (spec, _) in conv_specs() {
        match build::<I>(&spec, InputShape::Flat(64), 3, Seed(1), &device) {
            Err(Error::InvalidParam { name, reason }) => {
                assert_eq!(name, "model");
                assert!(reason.contains("image"), "{reason}");
            }
            other => panic!("{}: expected InvalidParam, got {:?}", spec.name(), other.map(|_| ())),
        }
    }
    let cnn = ModelSpec::MadryCnn { activation: Activation::Relu };
    for (h, w) in [(3, 28), (28, 3)] {
        let r = build::<I>(&cnn, img(1, h, w), 3, Seed(1), &device);
        assert!(matches!(r, Err(Error::InvalidParam { .. })), "{h}×{w}");
    }
}

#[test]
fn same_seed_gives_identical_weights_and_another_seed_different_ones() {
    let device = dev();
    for (spec, shape) in conv_specs() {
        let x = inputs(2, shape.dim(), 9);
        let a: Net<I> = build(&spec, shape, 3, Seed(11), &device).expect("build");
        let b: Net<I> = build(&spec, shape, 3, Seed(11), &device).expect("build");
        let c: Net<I> = build(&spec, shape, 3, Seed(12), &device).expect("build");
        let (la, lb, lc) = (values(a.logits(x.clone())), values(b.logits(x.clone())), values(c.logits(x)));
        assert_eq!(la, lb, "{}: same seed, different logits", spec.name());
        assert_ne!(la, lc, "{}: different seeds, same logits", spec.name());
        let first_conv = |n: &Net<I>| match n {
            Net::Cnn(m) => values(m.conv1.weight.val()),
            Net::ResNet(m) => values(m.conv1.weight.val()),
            Net::Vgg(m) => values(m.convs[0].conv.weight.val()),
            Net::SmallCnn(m) => values(m.convs[0].weight.val()),
            _ => unreachable!(),
        };
        assert_eq!(first_conv(&a), first_conv(&b));
        assert_ne!(first_conv(&a), first_conv(&c));
    }
}

/// A batch-norm layer with γ, β and running statistics away from their initial values.
fn bn_with_state(c: usize) -> BatchNorm2d<B> {
    let device = dev();
    let mut init = Init::<B>::new(Seed(21), &device);
    let gamma = init.uniform([c], 1.0).add_scalar(1.5);
    let beta = init.uniform([c], 0.5);
    let mean = init.uniform([c], 0.5);
    let var = init.uniform([c], 0.5).add_scalar(1.0);
    BatchNorm2d::from_tensors(gamma, beta, mean, var)
}

#[test]
fn batchnorm_eval_uses_running_stats_updates_nothing_and_is_per_sample() {
    let (c, n, h, w) = (3, 4, 2, 3);
    let bn = bn_with_state(c);
    let device = dev();
    let x: Tensor<B, 4> = Init::<B>::new(Seed(22), &device).normal([n, c, h, w], 2.0);
    let (m0, v0) = bn.running_stats();
    let (m0, v0) = (values(m0), values(v0));
    // On the autodiff backend, where burn's own BatchNorm would train.
    let y = values(bn.forward(x.clone(), Mode::Eval));
    let (m1, v1) = bn.running_stats();
    assert_eq!(values(m1), m0);
    assert_eq!(values(v1), v0);
    // Hand computation: γ (x − μ)/√(σ² + eps) + β with the running statistics.
    let (g, b) = (values(bn.gamma.val()), values(bn.beta.val()));
    let xs = values(x.clone());
    for (idx, (&xv, &yv)) in xs.iter().zip(&y).enumerate() {
        let ch = (idx / (h * w)) % c;
        let want = g[ch] * (xv - m0[ch]) / (v0[ch] + BN_EPS).sqrt() + b[ch];
        assert!((yv - want).abs() <= prec::F32_EXACT * (1.0 + want.abs()), "entry {idx}: {yv} vs {want}");
    }
    // Each example alone gives its row of the batched output.
    let per = c * h * w;
    for i in 0..n {
        let alone = values(bn.forward(x.clone().narrow(0, i, 1), Mode::Eval));
        for (a, bat) in alone.iter().zip(&y[i * per..(i + 1) * per]) {
            assert!((a - bat).abs() <= prec::F32_EXACT * (1.0 + bat.abs()), "example {i}: {a} vs {bat}");
        }
    }
}

#[test]
fn batchnorm_train_normalises_each_channel_and_moves_running_stats_by_momentum() {
    let (c, n, h, w) = (2, 3, 2, 2);
    let device = dev();
    let bn = BatchNorm2d::<B>::new(c, &device);
    assert_eq!((bn.momentum(), bn.eps()), (0.1, 1e-5));
    // Channel 0 ~ N(3, 2²), channel 1 ~ N(−1, 0.5²).
    let z: Tensor<B, 4> = Init::<B>::new(Seed(23), &device).normal([n, c, h, w], 1.0);
    let scale = Tensor::<B, 1>::from_floats([2.0, 0.5], &device).reshape([1, c, 1, 1]);
    let shift = Tensor::<B, 1>::from_floats([3.0, -1.0], &device).reshape([1, c, 1, 1]);
    let x = z * scale + shift;
    let xs = values(x.clone());
    let y = values(bn.forward(x, Mode::Train));
    let count = n * h * w;
    for ch in 0..c {
        let idx: Vec<usize> = (0..xs.len()).filter(|i| (i / (h * w)) % c == ch).collect();
        let mean = idx.iter().map(|&i| xs[i]).sum::<f64>() / count as f64;
        let var = idx.iter().map(|&i| (xs[i] - mean).powi(2)).sum::<f64>() / count as f64;
        // Output: standardised with the biased variance (γ = 1, β = 0).
        let ym = idx.iter().map(|&i| y[i]).sum::<f64>() / count as f64;
        let yv = idx.iter().map(|&i| (y[i] - ym).powi(2)).sum::<f64>() / count as f64;
        assert!(ym.abs() <= prec::F32_EXACT, "channel {ch}: mean {ym}");
        assert!((yv - var / (var + BN_EPS)).abs() <= prec::F32_EXACT, "channel {ch}: variance {yv}");
        for &i in &idx {
            let want = (xs[i] - mean) / (var + BN_EPS).sqrt();
            assert!((y[i] - want).abs() <= prec::F32_EXACT * (1.0 + want.abs()), "entry {i}: {} vs {want}", y[i]);
        }
        // Running statistics: from (0, 1) by momentum 0.1 towards (mean, unbiased variance).
        let (rm, rv) = bn.running_stats();
        let (rm, rv) = (values(rm)[ch], values(rv)[ch]);
        let unbiased = var * count as f64 / (count - 1) as f64;
        let want_m = (1.0 - BN_MOMENTUM) * 0.0 + BN_MOMENTUM * mean;
        let want_v = (1.0 - BN_MOMENTUM) * 1.0 + BN_MOMENTUM * unbiased;
        assert!((rm - want_m).abs() <= prec::F32_EXACT * (1.0 + want_m.abs()), "channel {ch}: running mean {rm} vs {want_m}");
        assert!((rv - want_v).abs() <= prec::F32_EXACT * (1.0 + want_v.abs()), "channel {ch}: running var {rv} vs {want_v}");
    }
}

#[test]
fn input_gradients_leave_running_stats_unchanged() {
    let device = dev();
    let shape = img(3, 8, 8);
    let spec = ModelSpec::ResNet { depth: ResNetDepth::R18, stem: Stem::Cifar, activation: Activation::Relu };
    let net: Net<B> = build(&spec, shape, 3, Seed(31), &device).expect("build");
    let Net::ResNet(ref r) = net else { unreachable!() };
    let before = values(r.bn1.running_stats().0);
    let y = Tensor::<I, 1, Int>::from_ints([0, 1], &device);
    input_gradient::<B, _>(&net, inputs(2, shape.dim(), 32), &GradTarget::Loss(y)).expect("gradient");
    assert_eq!(values(r.bn1.running_stats().0), before);
}

/// The f32 gradient checks, along directions (see `fd::fd_directional`): entry by entry, f32
/// differences resolve only the larger gradient entries. The models and activations are those of
/// the exact f64 check in tests/models_conv_f64.rs, whose docs say why ResNet50 uses SoftPlus.
fn fd_f32(spec: ModelSpec, shape: InputShape) {
    let net = fd::warmed::<B>(&spec, shape, &dev());
    let worst = fd::fd_directional(&spec.name(), &net, prec::FD_STEP_F32, prec::FD_TOL_F32_CONV, &dev());
    eprintln!("{}: worst |fd − ⟨g, u⟩| / ‖g‖ = {worst:.1e} (f32, h = {:e})", spec.name(), prec::FD_STEP_F32);
}

#[test]
fn input_gradients_match_finite_differences_madry_cnn() {
    fd_f32(ModelSpec::MadryCnn { activation: Activation::Relu }, img(1, 8, 12));
}

#[test]
fn input_gradients_match_finite_differences_resnet18() {
    fd_f32(ModelSpec::ResNet { depth: ResNetDepth::R18, stem: Stem::Cifar, activation: Activation::Relu }, img(3, 8, 8));
    fd_f32(ModelSpec::ResNet { depth: ResNetDepth::R18, stem: Stem::Imagenet, activation: Activation::Softplus }, img(3, 16, 16));
}

#[test]
fn input_gradients_match_finite_differences_resnet50() {
    fd_f32(ModelSpec::ResNet { depth: ResNetDepth::R50, stem: Stem::Cifar, activation: Activation::Softplus }, img(3, 8, 8));
}

#[test]
fn input_gradients_match_finite_differences_vgg11() {
    fd_f32(ModelSpec::Vgg11 { activation: Activation::Relu }, img(1, 8, 16));
}

#[test]
fn input_gradients_match_finite_differences_small_cnn() {
    fd_f32(ModelSpec::SmallCnn { channels: vec![4, 6], batch_norm: false, activation: Activation::Relu }, img(1, 8, 12));
    fd_f32(ModelSpec::SmallCnn { channels: vec![4, 6], batch_norm: true, activation: Activation::Relu }, img(2, 8, 8));
}

#[test]
fn small_cnn_has_the_documented_layout_and_refuses_what_it_cannot_pool() {
    let device = dev();
    // BlockMNIST's 56×28 through two pools: 14×7 maps of the last 16 channels into the fc layer.
    let net: Net<I> = build(&ModelSpec::SmallCnn { channels: vec![8, 16], batch_norm: true, activation: Activation::Relu }, img(1, 56, 28), 10, Seed(0), &device).unwrap();
    let Net::SmallCnn(m) = &net else { panic!("not a small cnn") };
    assert_eq!((m.convs.len(), m.norms.len()), (2, 2));
    assert_eq!(m.fc.weight.dims(), [16 * 14 * 7, 10]);
    let plain: Net<I> = build(&ModelSpec::SmallCnn { channels: vec![8, 16], batch_norm: false, activation: Activation::Relu }, img(1, 56, 28), 10, Seed(0), &device).unwrap();
    let Net::SmallCnn(p) = &plain else { panic!("not a small cnn") };
    assert!(p.norms.is_empty());
    // Three pools need 8×8; an empty channel list has nothing to convolve.
    for (channels, shape, key) in [(vec![2, 2, 2], img(1, 4, 16), "channels"), (vec![], img(1, 8, 8), "channels"), (vec![2], InputShape::Flat(64), "small_cnn")] {
        let err = build::<I>(&ModelSpec::SmallCnn { channels: channels.clone(), batch_norm: false, activation: Activation::Relu }, shape, 3, Seed(0), &device).unwrap_err().to_string();
        assert!(err.contains(key), "{channels:?} on {shape:?}: {err}");
    }
}

// ---------------------------------------------------------------------------------------------
// PyTorch weights

/// The fixture of `tests/support/torch_resnet_fixture.py` for `name` (`resnet18_cifar`, …).
fn torch_fixture(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/torch/{name}.json"));
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (rerun tests/support/torch_resnet_fixture.py)", path.display()))).expect("json")
}

/// The fixture script's u(i) = ((i·mult + kk·key_mult + offset) mod m)/m − ½ for i < n.
fn formula_u(f: &serde_json::Value, n: usize, kk: u64) -> Vec<f64> {
    let g = |k: &str| f[k].as_u64().expect("formula constant");
    let (mult, key_mult, offset, m) = (g("mult"), g("key_mult"), g("offset"), g("mod"));
    (0..n as u64).map(|i| ((i * mult + kk * key_mult + offset) % m) as f64 / m as f64 - 0.5).collect()
}

/// The state dict the fixture script filled, rebuilt from its formula and key list.
fn fixture_state_dict(fx: &serde_json::Value, name: &str) -> StateDict {
    StateDict::from_data(name, fixture_tensors(fx))
}

/// The tensors of [`fixture_state_dict`] by key.
fn fixture_tensors(fx: &serde_json::Value) -> HashMap<String, TensorData> {
    let mut tensors = HashMap::new();
    for (kk, entry) in fx["keys"].as_array().expect("keys").iter().enumerate() {
        let key = entry[0].as_str().expect("key").to_string();
        let shape: Vec<usize> = entry[1].as_array().expect("shape").iter().map(|d| d.as_u64().expect("dim") as usize).collect();
        let n = shape.iter().product::<usize>().max(1);
        let data = if entry[2] == "int" {
            TensorData::new(vec![0i64; n], shape)
        } else {
            let u = formula_u(&fx["formula"], n, kk as u64);
            let v: Vec<f32> = if shape.len() >= 2 {
                let scale = 2.0 / (shape[1..].iter().product::<usize>() as f64).sqrt();
                u.iter().map(|x| (x * scale) as f32).collect()
            } else if key.ends_with("running_var") {
                u.iter().map(|x| (1.0 + 0.5 * (x + 0.5)) as f32).collect()
            } else if key.ends_with("weight") {
                u.iter().map(|x| (1.0 + 0.5 * x) as f32).collect()
            } else {
                u.iter().map(|x| (0.1 * x) as f32).collect()
            };
            TensorData::new(v, shape)
        };
        tensors.insert(key, data);
    }
    tensors
}

fn matrix(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().expect("rows").iter().flat_map(|r| r.as_array().expect("row").iter().map(|x| x.as_f64().expect("number"))).collect()
}

/// Our ResNet with the fixture's weights gives PyTorch's eval-mode logits and input gradient (of
/// the summed logits) for the fixture's inputs.
fn check_against_torch(depth: ResNetDepth, stem: Stem) {
    let name = format!("resnet{}_{}", if depth == ResNetDepth::R18 { 18 } else { 50 }, if stem == Stem::Cifar { "cifar" } else { "imagenet" });
    let fx = torch_fixture(&name);
    let shape: Vec<usize> = fx["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let (classes, batch) = (fx["classes"].as_u64().unwrap() as usize, fx["batch"].as_u64().unwrap() as usize);
    let device = dev();
    let spec = ModelSpec::ResNet { depth, stem, activation: Activation::Relu };
    let net: Net<B> = build(&spec, img(shape[0], shape[1], shape[2]), classes, Seed(0), &device).expect("build");
    let net = load_state_dict(net, fixture_state_dict(&fx, &name)).expect("load");
    let d = shape.iter().product::<usize>();
    let x: Vec<f32> = formula_u(&fx["formula"], batch * d, fx["formula"]["input_key"].as_u64().unwrap()).iter().map(|u| (u * 2.0) as f32).collect();
    let xt = || Tensor::<I, 2>::from_data(TensorData::new(x.clone(), [batch, d]), &device);
    let rel = |got: &[f64], want: &[f64]| {
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        got.iter().zip(want).fold(0.0f64, |m, (a, b)| m.max((a - b).abs())) / scale
    };
    let logits = values(net.valid().logits(xt()));
    let e = rel(&logits, &matrix(&fx["logits"]));
    eprintln!("{name}: logits within {e:.2e} of torch's (relative to the largest)");
    assert!(e <= prec::TORCH_F32_TOL, "{name}: logits differ from torch's by {e:.2e}");
    let (g, _) = input_gradient::<B, _>(&net, xt(), &GradTarget::SumLogits).expect("gradient");
    let e = rel(&values(g), &matrix(&fx["input_gradient"]));
    eprintln!("{name}: input gradient within {e:.2e} of torch's");
    assert!(e <= prec::TORCH_F32_TOL, "{name}: input gradient differs from torch's by {e:.2e}");
}

#[test]
fn pytorch_resnet18_cifar_logits_match_torch() {
    check_against_torch(ResNetDepth::R18, Stem::Cifar);
}

#[test]
fn pytorch_resnet50_imagenet_logits_match_torch() {
    check_against_torch(ResNetDepth::R50, Stem::Imagenet);
}

#[test]
fn pytorch_loader_errors_name_the_file_and_key() {
    let device = dev();
    let dir = tempfile::tempdir().expect("tempdir");
    let new = |classes: usize, depth: ResNetDepth| {
        let mut init = Init::<I>::new(Seed(0), &device);
        ResNet::<I>::new(&mut init, img(3, 8, 8), classes, depth, Stem::Cifar, Activation::Relu).expect("build")
    };
    // Missing file: an I/O error with the path.
    let missing = dir.path().join("nope.pt");
    match load_pytorch_resnet(new(5, ResNetDepth::R18), &missing) {
        Err(e @ Error::Io { .. }) => assert!(e.to_string().contains("nope.pt"), "{e}"),
        other => panic!("expected Io, got {:?}", other.map(|_| ())),
    }
    // Not a PyTorch file: a format error with the path.
    let garbage = dir.path().join("garbage.pt");
    std::fs::write(&garbage, b"this is not a pickle").expect("write");
    match load_pytorch_resnet(new(5, ResNetDepth::R18), &garbage) {
        Err(e @ Error::Format { .. }) => assert!(e.to_string().contains("garbage.pt"), "{e}"),
        other => panic!("expected Format, got {:?}", other.map(|_| ())),
    }
    // Key-level errors, on the ResNet18 fixture's state dict (named after it in the messages).
    let fx = torch_fixture("resnet18_cifar");
    let load = |net: ResNet<I>, tensors: HashMap<String, TensorData>| load_state_dict(Net::ResNet(net), StateDict::from_data("resnet18_cifar", tensors)).map(|_| ());
    // Wrong number of classes: a shape mismatch at fc.weight.
    let msg = load(new(4, ResNetDepth::R18), fixture_tensors(&fx)).expect_err("shape mismatch").to_string();
    assert!(msg.contains("resnet18_cifar") && msg.contains("`fc.weight`") && msg.contains("[5, 512]"), "{msg}");
    // A ResNet18 state dict into a ResNet50: the first bottleneck conv is 1×1, the dict's 3×3.
    let msg = load(new(5, ResNetDepth::R50), fixture_tensors(&fx)).expect_err("shape mismatch").to_string();
    assert!(msg.contains("`layer1.0.conv1.weight`") && msg.contains("[64, 64, 3, 3]"), "{msg}");
    // A key the model lacks: strict loading refuses it. Dropping a key: named as missing.
    let mut extra = fixture_tensors(&fx);
    extra.insert("extra.weight".into(), TensorData::new(vec![0f32; 3], [3]));
    let msg = load(new(5, ResNetDepth::R18), extra).expect_err("extra key").to_string();
    assert!(msg.contains("unexpected key `extra.weight`"), "{msg}");
    let mut missing = fixture_tensors(&fx);
    missing.remove("layer2.0.downsample.1.running_var");
    let msg = load(new(5, ResNetDepth::R18), missing).expect_err("missing key").to_string();
    assert!(msg.contains("missing key `layer2.0.downsample.1.running_var`"), "{msg}");
    assert!(load(new(5, ResNetDepth::R18), fixture_tensors(&fx)).is_ok(), "the complete dict loads");
}

/// A real `torch.save` file (tests/fixtures/torch/mlp.pt, written by the fixture script) is read
/// through the pickle path and gives PyTorch's logits.
#[test]
fn a_torch_save_file_loads_and_gives_torchs_logits() {
    let device = dev();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/torch");
    let want: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("mlp.json")).unwrap()).unwrap();
    let spec = ModelSpec::Mlp { hidden: vec![4], activation: Activation::Relu, mean_field: false };
    let net: Net<I> = build(&spec, InputShape::Flat(6), 3, Seed(0), &device).unwrap();
    let net = load_pytorch(net, &dir.join("mlp.pt")).expect("load mlp.pt");
    let x: Vec<f32> = matrix(&want["x"]).iter().map(|&v| v as f32).collect();
    let got = values(net.logits(Tensor::from_data(TensorData::new(x, [2, 6]), &device)));
    let want = matrix(&want["logits"]);
    let e = got.iter().zip(&want).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(e <= prec::TORCH_F32_TOL, "mlp.pt: logits differ from torch's by {e:.2e}");
}
