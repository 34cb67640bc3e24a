//! CUDA smoke test (`cargo test --features cuda --test cuda_smoke` on a machine with an NVIDIA
//! GPU; CI compiles it with `cargo check --features cuda --all-targets`): every model of the zoo
//! gives on the GPU the logits, the input gradient, one PGD step and one training step's loss of
//! the CPU, for the same weights (drawn on the host from one seed) and inputs.
#![cfg(feature = "cuda")]

use burn::backend::cuda::CudaDevice;
use burn::backend::{Autodiff, Cuda, NdArray};
use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Int, Tensor, TensorData};
use inputgrad::attribution::{input_gradient, GradTarget};
use inputgrad::model::{build, Activation, Classifier, InputShape, ModelSpec, Net, ResNetDepth, Stem};
use inputgrad::train::{perturb, train, Attack, Examples, Norm, Objective, OptimizerSpec, Pgd, RunOptions, Schedule, ThreatModel, TrainConfig};
use inputgrad::{prec, Seed};
use ndarray::Array2;
use rand::Rng as _;

type Cpu = Autodiff<NdArray<f32>>;
type Gpu = Autodiff<Cuda<f32>>;

const N: usize = 4;
const K: usize = 3;

fn zoo() -> Vec<(ModelSpec, InputShape)> {
    let relu = Activation::Relu;
    let img = |c, h, w| InputShape::Image { c, h, w };
    vec![
        (ModelSpec::Linear, InputShape::Flat(12)),
        (ModelSpec::Mlp { hidden: vec![16, 8], activation: relu, mean_field: false }, InputShape::Flat(12)),
        (ModelSpec::MadryCnn { activation: relu }, img(1, 8, 12)),
        (ModelSpec::ResNet { depth: ResNetDepth::R18, stem: Stem::Cifar, activation: relu }, img(3, 8, 8)),
        (ModelSpec::Vgg11 { activation: relu }, img(1, 8, 16)),
        (ModelSpec::SmallCnn { channels: vec![4, 6], batch_norm: true, activation: relu }, img(2, 8, 8)),
    ]
}

struct Outcome {
    logits: Vec<f64>,
    grad: Vec<f64>,
    adv: Vec<f64>,
    loss: f64,
}

fn host(x: &Array2<f32>) -> Vec<f32> {
    x.iter().copied().collect()
}

fn run<B: AutodiffBackend>(spec: &ModelSpec, shape: InputShape, x: &Array2<f32>, y: &[usize], device: &B::Device) -> Outcome
where
    Net<B>: AutodiffModule<B>,
    <Net<B> as AutodiffModule<B>>::InnerModule: Classifier<B::InnerBackend>,
{
    let d = shape.dim();
    let net: Net<B> = build(spec, shape, K, Seed(5), device).unwrap();
    let xt = || Tensor::<B::InnerBackend, 2>::from_data(TensorData::new(host(x), [N, d]), device);
    let yt = || Tensor::<B::InnerBackend, 1, Int>::from_data(TensorData::new(y.iter().map(|&v| v as i64).collect::<Vec<_>>(), [N]), device);
    let v = |t: Tensor<B::InnerBackend, 2>| t.into_data().convert::<f64>().to_vec::<f64>().unwrap();
    let logits = v(net.valid().logits(xt()));
    let (g, _) = input_gradient::<B, _>(&net, xt(), &GradTarget::Loss(yt())).unwrap();
    // One PGD step without a random start: deterministic on both devices.
    let threat = ThreatModel::new(Norm::Linf, 0.1, Some((0.0, 1.0))).unwrap();
    let attack = Attack::Pgd(Pgd { steps: 1, step_size: 0.05, restarts: 1, random_start: false });
    let adv = v(perturb::<B, _>(&net, xt(), yt(), &threat, &attack, Seed(0)).unwrap());
    let data = Examples::new(x.view(), y, match shape {
        InputShape::Image { c, h, w } => Some([c, h, w]),
        InputShape::Flat(_) => None,
    })
    .unwrap();
    let cfg = TrainConfig {
        epochs: 1,
        batch_size: N,
        optimizer: OptimizerSpec::Sgd { lr: 0.01, momentum: 0.0, weight_decay: 0.0, nesterov: false },
        schedule: Schedule::Constant,
        stop_below_loss: None,
        augment: Default::default(),
        seed: Seed(1),
        divergence_loss: inputgrad::train::trainer::DEFAULT_DIVERGENCE_LOSS,
    };
    let out = train::<B, _>(net, &data, None, &cfg, &Objective::Standard, RunOptions::default(), device).unwrap();
    Outcome { logits, grad: v(g), adv, loss: out.history[0].train_loss }
}

fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
    a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs())) / scale
}

#[test]
fn every_model_agrees_between_cpu_and_gpu() {
    let gpu = CudaDevice::new(0);
    for (spec, shape) in zoo() {
        let mut rng = Seed(3).rng();
        let x = Array2::from_shape_fn((N, shape.dim()), |_| rng.random_range(0.0..1.0f32));
        let y: Vec<usize> = (0..N).map(|i| i % K).collect();
        let c = run::<Cpu>(&spec, shape, &x, &y, &Default::default());
        let g = run::<Gpu>(&spec, shape, &x, &y, &gpu);
        for (what, a, b) in [("logits", &g.logits, &c.logits), ("input gradient", &g.grad, &c.grad), ("PGD step", &g.adv, &c.adv)] {
            let e = max_rel(a, b);
            assert!(e <= prec::DEVICE_F32, "{}: {what} differs between GPU and CPU by {e:.2e}", spec.name());
        }
        assert!((g.loss - c.loss).abs() <= prec::DEVICE_F32 * c.loss.abs().max(1.0), "{}: training loss {} on GPU vs {} on CPU", spec.name(), g.loss, c.loss);
    }
}
