//! Shared by tests/attribution.rs (f32) and tests/attribution_f64.rs: small models, inputs and
//! comparisons.
#![allow(dead_code)]

use burn::backend::{Autodiff, NdArray};
use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::Tensor;
use inputgrad::attribution::Scalar;
use inputgrad::model::init::Init;
use inputgrad::model::{build, Activation, Classifier, InputShape, Mode, ModelSpec, Net, ResNetDepth, Stem};
use inputgrad::Seed;
use ndarray::Array2;

/// The f32 autodiff backend and its inner backend.
pub type B = Autodiff<NdArray<f32>>;
/// burn-ndarray, f32.
pub type I = NdArray<f32>;
/// The f64 autodiff backend (its own test binary: burn fixes a device's float dtype per process).
pub type B64 = Autodiff<NdArray<f64>>;

/// Training passes that bring batch norm's running statistics near a real batch's.
pub const WARM_PASSES: usize = 20;

pub fn dev() -> burn::backend::ndarray::NdArrayDevice {
    Default::default()
}

pub fn img(c: usize, h: usize, w: usize) -> InputShape {
    InputShape::Image { c, h, w }
}

/// `[n, d]` inputs in [0, 1) from `seed` (the pixel range of the data sets).
pub fn inputs<Bk: burn::tensor::backend::Backend>(n: usize, d: usize, seed: u64) -> Tensor<Bk, 2> {
    let device = Default::default();
    Init::<Bk>::new(Seed(seed), &device).uniform([n, d], 0.5).add_scalar(0.5)
}

/// A model built and, for batch-norm models, warmed up (running statistics of a real batch).
pub fn model<A: AutodiffBackend>(spec: &ModelSpec, shape: InputShape, classes: usize) -> Net<A> {
    let device = Default::default();
    let inner: Net<A::InnerBackend> = build(spec, shape, classes, Seed(11), &device).expect("build");
    let warm = inputs::<A::InnerBackend>(4, shape.dim(), 12);
    for _ in 0..WARM_PASSES {
        let _ = inner.forward_mode(warm.clone(), Mode::Train);
    }
    Net::from_inner(inner)
}

pub fn mlp(hidden: &[usize], act: Activation) -> ModelSpec {
    ModelSpec::Mlp { hidden: hidden.to_vec(), activation: act, mean_field: false }
}

/// Every architecture of the zoo at a size small enough to be fast.
pub fn zoo() -> Vec<(&'static str, ModelSpec, InputShape)> {
    let relu = Activation::Relu;
    vec![
        ("linear", ModelSpec::Linear, InputShape::Flat(12)),
        ("mlp", mlp(&[16, 8], relu), InputShape::Flat(12)),
        ("mlp softplus", mlp(&[16, 8], Activation::Softplus), InputShape::Flat(12)),
        ("mlp mean-field", ModelSpec::Mlp { hidden: vec![32], activation: relu, mean_field: true }, InputShape::Flat(12)),
        ("madry cnn", ModelSpec::MadryCnn { activation: relu }, img(1, 8, 12)),
        ("resnet18 cifar", ModelSpec::ResNet { depth: ResNetDepth::R18, stem: Stem::Cifar, activation: relu }, img(3, 8, 8)),
        ("resnet18 imagenet", ModelSpec::ResNet { depth: ResNetDepth::R18, stem: Stem::Imagenet, activation: relu }, img(3, 16, 16)),
        ("resnet50 cifar", ModelSpec::ResNet { depth: ResNetDepth::R50, stem: Stem::Cifar, activation: relu }, img(3, 8, 8)),
        ("vgg11", ModelSpec::Vgg11 { activation: relu }, img(1, 8, 16)),
        ("small cnn", ModelSpec::SmallCnn { channels: vec![3, 4], batch_norm: false, activation: relu }, img(1, 8, 12)),
        ("small cnn bn", ModelSpec::SmallCnn { channels: vec![3, 4], batch_norm: true, activation: relu }, img(2, 8, 8)),
    ]
}

pub fn vec_of<const D: usize, Bk: burn::tensor::backend::Backend>(t: &Tensor<Bk, D>) -> Vec<f64> {
    t.clone().into_data().convert::<f64>().to_vec::<f64>().expect("float tensor")
}

/// max |a − b| / max |b|.
pub fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
    a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs())) / scale
}

pub fn logit(classes: &[usize]) -> Scalar {
    Scalar::Logit(classes.to_vec())
}


pub fn background(n: usize, d: usize) -> Array2<f32> {
    let v = vec_of(&inputs::<I>(n, d, 77));
    Array2::from_shape_vec((n, d), v.iter().map(|&x| x as f32).collect()).unwrap()
}

