//! The trainer's SGD against burn's own `Sgd` optimiser, on any autodiff backend (shared by
//! tests/train.rs, f32, and tests/sgd_f64.rs, f64 — separate binaries because burn 0.21 fixes a
//! device's float dtype process-wide at its first use).

use burn::tensor::{Int, Tensor, TensorData};
use inputgrad::attribution::target::cross_entropy;
use inputgrad::model::graph_lock::graph_lock;
use inputgrad::model::{self, Activation, Classifier, InputShape, ModelSpec, Net};
use inputgrad::train::{Objective, OptimizerSpec, TrainStep};
use inputgrad::Seed;

/// Panics unless [`TrainStep`]'s SGD reaches bitwise the weights of burn's `Sgd` with the same
/// hyperparameters, over four steps with a decaying learning rate, for momentum with and without
/// Nesterov, weight decay and plain SGD, and that the backend computes in its own element type.
/// The data are 64 points of a two-class problem in 9 dimensions.
pub fn sgd_matches_burn_sgd<A>()
where
    A: burn::tensor::backend::AutodiffBackend,
    Net<A>: burn::module::AutodiffModule<A>,
    <Net<A> as burn::module::AutodiffModule<A>>::InnerModule: Classifier<A::InnerBackend>,
{
    use burn::optim::{decay::WeightDecayConfig, momentum::MomentumConfig, GradientsParams, Optimizer, SgdConfig};
    let device = Default::default();
    let x: Vec<f32> = (0..64 * 9).map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0).collect();
    let y: Vec<i64> = (0..64).map(|n| i64::from(x[n * 9] > 0.0)).collect();
    let xb: Tensor<A, 2> = Tensor::from_data(TensorData::new(x, [64, 9]).convert::<A::FloatElem>(), &device);
    let yb: Tensor<A, 1, Int> = Tensor::from_data(TensorData::new(y, [64]), &device);
    assert_eq!(xb.dtype(), <A::FloatElem as burn::tensor::Element>::dtype(), "the backend computes in another dtype than its element type");
    let spec = ModelSpec::Mlp { hidden: vec![17, 11], activation: Activation::Relu, mean_field: false };
    let build = || model::build::<A>(&spec, InputShape::Flat(9), 2, Seed(3), &device).expect("model builds");
    for (momentum, weight_decay, nesterov) in [(0.9, 5e-4, false), (0.9, 1e-2, true), (0.0, 0.0, false), (0.0, 1e-3, false), (0.5, 0.0, false)] {
        let spec_opt = OptimizerSpec::Sgd { lr: 0.1, momentum, weight_decay, nesterov };
        let mut ours = build();
        let mut stepper = TrainStep::<A, _>::new(&spec_opt).unwrap();
        let mut theirs = build();
        let mut cfg = SgdConfig::new();
        if momentum > 0.0 {
            cfg = cfg.with_momentum(Some(MomentumConfig { momentum, dampening: 0.0, nesterov }));
        }
        if weight_decay > 0.0 {
            cfg = cfg.with_weight_decay(Some(WeightDecayConfig { penalty: weight_decay as f32 }));
        }
        let mut optim = cfg.init::<A, Net<A>>();
        for step in 0..4 {
            let lr = 0.1 / (1.0 + step as f64);
            ours = stepper.step(ours, &Objective::Standard, xb.clone(), yb.clone(), lr, Seed(0)).unwrap().0;
            let _graph = graph_lock();
            let loss = cross_entropy(theirs.forward_mode(xb.clone(), model::Mode::Train), yb.clone()).mean();
            let grads = GradientsParams::from_grads(loss.backward(), &theirs);
            theirs = optim.step(lr, theirs, grads);
            assert_eq!(
                model::weights_fingerprint::<A, _>(&ours),
                model::weights_fingerprint::<A, _>(&theirs),
                "{}: momentum {momentum}, weight decay {weight_decay}, nesterov {nesterov}: step {step} differs",
                std::any::type_name::<A>()
            );
        }
    }
}
