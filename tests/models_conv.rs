//! Convolutional models: output shapes, batch normalisation's train/eval semantics, input gradients
//! against finite differences, seeding, build errors, and PyTorch weight loading.
//!
//! Sizes are tiny (8×8 to 16×16 images, batches of 2–4) so the file runs in under half a minute
//! on two cores.

#[path = "support/fd.rs"]
mod fd;

use std::path::{Path, PathBuf};
use std::process::Command;

use burn::backend::{Autodiff, NdArray};
use burn::tensor::{Int, Tensor, TensorData};
use inputgrad::model::init::Init;
use inputgrad::model::norm::{BatchNorm2d, BN_EPS, BN_MOMENTUM};
use inputgrad::model::pytorch::load_pytorch_resnet;
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

/// Prints the f32 directional error against the step, to re-derive [`prec::FD_STEP_F32`] and
/// [`prec::FD_TOL_F32_CONV`]: `cargo test --test models_conv fd_step_sweep -- --ignored --nocapture`.
#[test]
#[ignore]
fn fd_step_sweep() {
    for act in [Activation::Relu, Activation::Softplus] {
        let specs = [
            (ModelSpec::MadryCnn { activation: act }, img(1, 8, 12)),
            (ModelSpec::ResNet { depth: ResNetDepth::R18, stem: Stem::Cifar, activation: act }, img(3, 8, 8)),
            (ModelSpec::ResNet { depth: ResNetDepth::R50, stem: Stem::Cifar, activation: act }, img(3, 8, 8)),
            (ModelSpec::Vgg11 { activation: act }, img(1, 8, 16)),
        ];
        for (spec, shape) in specs {
            let net = fd::warmed::<B>(&spec, shape, &dev());
            let line: Vec<String> = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3]
                .iter()
                .map(|&h| format!("h={h:e}: {:.1e}", fd::fd_directional(&spec.name(), &net, h, f64::INFINITY, &dev())))
                .collect();
            eprintln!("{} {act:?}: {}", spec.name(), line.join("  "));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PyTorch weights

/// A Python interpreter with torch: `$INPUTGRAD_TORCH_PYTHON`, else `../torchenv/bin/python` next
/// to the checkout, else `python3`. None when none of them imports torch.
fn torch_python() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os("INPUTGRAD_TORCH_PYTHON") {
        candidates.push(PathBuf::from(p));
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../torchenv/bin/python"));
    candidates.push(PathBuf::from("python3"));
    candidates.into_iter().find(|p| Command::new(p).args(["-c", "import torch"]).output().is_ok_and(|o| o.status.success()))
}

/// Writes `resnet.pt` and `reference.json` with tests/support/torch_resnet.py into `dir`.
fn torch_reference(python: &Path, dir: &Path, depth: u32, stem: &str, classes: usize, shape: [usize; 3], batch: usize) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/torch_resnet.py");
    let args = [depth.to_string(), stem.into(), classes.to_string(), shape[0].to_string(), shape[1].to_string(), shape[2].to_string(), batch.to_string(), "0".into()];
    let out = Command::new(python).arg(script).arg(dir).args(args).output().expect("run python");
    assert!(out.status.success(), "torch_resnet.py failed: {}", String::from_utf8_lossy(&out.stderr));
}

fn read_matrix(v: &serde_json::Value) -> (Vec<f32>, [usize; 2]) {
    let rows = v.as_array().expect("rows");
    let cols = rows[0].as_array().expect("row").len();
    let flat: Vec<f32> = rows.iter().flat_map(|r| r.as_array().expect("row").iter().map(|x| x.as_f64().expect("number") as f32)).collect();
    (flat, [rows.len(), cols])
}

fn check_against_torch(depth: ResNetDepth, stem: Stem) {
    let Some(python) = torch_python() else {
        eprintln!("SKIP: no Python with torch (set INPUTGRAD_TORCH_PYTHON); PyTorch comparison not run");
        return;
    };
    let device = dev();
    let (classes, shape, batch) = (5, [3, 16, 16], 3);
    let dir = tempfile::tempdir().expect("tempdir");
    let (d, s) = (if depth == ResNetDepth::R18 { 18 } else { 50 }, if stem == Stem::Cifar { "cifar" } else { "imagenet" });
    torch_reference(&python, dir.path(), d, s, classes, shape, batch);
    let reference: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("reference.json")).expect("read json")).expect("json");
    let (x, xdims) = read_matrix(&reference["x"]);
    let (want, _) = read_matrix(&reference["logits"]);
    let mut init = Init::<I>::new(Seed(0), &device);
    let model = ResNet::new(&mut init, img(shape[0], shape[1], shape[2]), classes, depth, stem, Activation::Relu).expect("build");
    let model = load_pytorch_resnet(model, &dir.path().join("resnet.pt")).expect("load");
    let got = values(model.logits(Tensor::from_data(TensorData::new(x, xdims), &device)));
    let worst = got.iter().zip(&want).map(|(a, b)| (a - *b as f64).abs()).fold(0.0, f64::max);
    eprintln!("resnet{d}-{s}: max |ours − torch| = {worst:.2e} over {} logits", got.len());
    assert!(worst <= prec::TORCH_F32_TOL, "max |ours − torch| = {worst}");
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
    let Some(python) = torch_python() else {
        eprintln!("SKIP: no Python with torch; key-level loader errors not checked");
        return;
    };
    torch_reference(&python, dir.path(), 18, "cifar", 5, [3, 8, 8], 1);
    let file = dir.path().join("resnet.pt");
    // Wrong number of classes: a shape mismatch at fc.weight.
    let e = load_pytorch_resnet(new(4, ResNetDepth::R18), &file).map(|_| ()).expect_err("shape mismatch");
    let msg = e.to_string();
    assert!(msg.contains("resnet.pt") && msg.contains("`fc.weight`") && msg.contains("[5, 512]"), "{msg}");
    // A ResNet18 file into a ResNet50: the first bottleneck conv is 1×1, the file's 3×3.
    let e = load_pytorch_resnet(new(5, ResNetDepth::R50), &file).map(|_| ()).expect_err("shape mismatch");
    let msg = e.to_string();
    assert!(msg.contains("resnet.pt") && msg.contains("`layer1.0.conv1.weight`") && msg.contains("[64, 64, 3, 3]"), "{msg}");
    // A file with a key the model lacks: `strict` loading refuses it. Dropping a key: named as missing.
    let e = load_pytorch_resnet(new(5, ResNetDepth::R18), &dir.path().join("resnet_extra.pt")).map(|_| ()).expect_err("extra key");
    let msg = e.to_string();
    assert!(msg.contains("resnet_extra.pt") && msg.contains("unexpected key `extra.weight`"), "{msg}");
    let e = load_pytorch_resnet(new(5, ResNetDepth::R18), &dir.path().join("resnet_missing.pt")).map(|_| ()).expect_err("missing key");
    let msg = e.to_string();
    assert!(msg.contains("resnet_missing.pt") && msg.contains("missing key `layer2.0.downsample.1.running_var`"), "{msg}");
}
