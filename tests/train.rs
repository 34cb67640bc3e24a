//! The training engine: threat models, attacks, trainer determinism, checkpoints and resume.

use burn::tensor::{Int, Tensor, TensorData};
use inputgrad::attribution::target::{cross_entropy, GradTarget};
use inputgrad::attribution::input_gradient;
use inputgrad::model::graph_lock::graph_lock;
use inputgrad::model::{self, Activation, Classifier, InputShape, ModelSpec, Net};
use inputgrad::prec;
use inputgrad::train::trainer::DEFAULT_DIVERGENCE_LOSS;
use inputgrad::train::*;
use inputgrad::{Error, Seed};

#[path = "support/sgd.rs"]
mod sgd;
use ndarray::Array2;
use proptest::prelude::*;
use rand::Rng as _;

type B = CpuAutodiff;
type Inner = Cpu;

fn dev() -> burn::tensor::Device<Inner> {
    Default::default()
}

fn tensor2(v: Vec<f32>, n: usize, d: usize) -> Tensor<Inner, 2> {
    Tensor::from_data(TensorData::new(v, [n, d]), &dev())
}

fn labels(v: &[usize]) -> Tensor<Inner, 1, Int> {
    Tensor::from_data(TensorData::new(v.iter().map(|&l| l as i64).collect::<Vec<_>>(), [v.len()]), &dev())
}

fn to_vec(t: Tensor<Inner, 2>) -> Vec<f32> {
    t.into_data().to_vec::<f32>().expect("f32 data")
}

fn net(spec: &ModelSpec, d: usize, k: usize, seed: u64) -> Net<B> {
    model::build::<B>(spec, InputShape::Flat(d), k, Seed(seed), &dev()).expect("model builds")
}

/// A linearly separable two-class problem in d dimensions: class = sign of the first coordinate,
/// with a margin, plus noise coordinates.
fn separable(n: usize, d: usize, seed: u64) -> (Array2<f32>, Vec<usize>) {
    let mut rng = Seed(seed).rng();
    let mut x = Array2::<f32>::zeros((n, d));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let c = rng.random_range(0..2usize);
        y.push(c);
        for j in 0..d {
            x[[i, j]] = rng.random_range(-1.0..1.0f32);
        }
        x[[i, 0]] = if c == 1 { 0.5 + x[[i, 0]].abs() } else { -0.5 - x[[i, 0]].abs() };
    }
    (x, y)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Projection lands inside the ball and the pixel box, and is the identity inside both.
    #[test]
    fn projection_stays_in_ball_and_box(seed in 0u64..1_000_000, l2 in any::<bool>(), eps in 0.01f64..2.0) {
        let (n, d) = (5, 7);
        let mut rng = Seed(seed).rng();
        let x0: Vec<f32> = (0..n * d).map(|_| rng.random_range(0.0..1.0f32)).collect();
        let x: Vec<f32> = (0..n * d).map(|_| rng.random_range(-3.0..4.0f32)).collect();
        let t = if l2 { ThreatModel::l2(eps, Some((0.0, 1.0))) } else { ThreatModel::linf(eps, Some((0.0, 1.0))) }.unwrap();
        let x0t = tensor2(x0.clone(), n, d);
        let p = t.project(&x0t, tensor2(x, n, d));
        prop_assert!(t.max_distance(&x0t, &p) <= eps * (1.0 + prec::F32_SLACK) + prec::F32_SLACK);
        let pv = to_vec(p.clone());
        prop_assert!(pv.iter().all(|&v| (0.0..=1.0).contains(&v)));
        // idempotent
        let pp = to_vec(t.project(&x0t, p));
        for (a, b) in pv.iter().zip(&pp) { prop_assert!((a - b).abs() as f64 <= prec::F32_SLACK); }
        // random starts are feasible
        let r = t.random_init(&x0t, Seed(seed + 1));
        prop_assert!(t.max_distance(&x0t, &r) <= eps * (1.0 + prec::F32_SLACK) + prec::F32_SLACK);
        prop_assert!(to_vec(r).iter().all(|&v| (0.0..=1.0).contains(&v)));
    }

    /// An ℓ2 step moves each row by exactly α; an ℓ∞ step moves every coordinate by α.
    #[test]
    fn steps_have_the_right_length(seed in 0u64..1_000_000, alpha in 0.01f64..1.0) {
        let (n, d) = (4, 6);
        let mut rng = Seed(seed).rng();
        let g: Vec<f32> = (0..n * d).map(|_| rng.random_range(-1.0..1.0f32)).collect();
        let x = tensor2(vec![0.0; n * d], n, d);
        let l2 = ThreatModel::l2(1.0, None).unwrap().step(x.clone(), tensor2(g.clone(), n, d), alpha);
        for row in to_vec(l2).chunks(d) {
            let norm: f64 = row.iter().map(|v| (*v as f64).powi(2)).sum::<f64>().sqrt();
            prop_assert!((norm - alpha).abs() <= prec::F32_SLACK);
        }
        let li = ThreatModel::linf(1.0, None).unwrap().step(x, tensor2(g.clone(), n, d), alpha);
        for (v, gi) in to_vec(li).iter().zip(&g) {
            prop_assert!(((*v as f64) - alpha * gi.signum() as f64).abs() <= prec::F32_SLACK);
        }
    }
}

/// On a linear model the ℓ∞ attack is seed 001's closed form (Lemma 2): δ* = −y·ε·sgn(w) with
/// w = W₁ − W₀ and y = ±1 (proofs/linear_adv.md).
#[test]
fn linf_pgd_on_linear_model_is_the_closed_form() {
    let (n, d, eps) = (16, 9, 0.3);
    let model = net(&ModelSpec::Linear, d, 2, 3);
    let Net::Linear(lin) = &model else { panic!("linear") };
    let w: Vec<f32> = lin.fc.weight.val().into_data().to_vec::<f32>().unwrap(); // [d, 2] row-major
    let (x, y) = separable(n, d, 5);
    let xt = tensor2(x.iter().copied().collect(), n, d);
    let threat = ThreatModel::linf(eps, None).unwrap();
    for attack in [Attack::seed000_training(eps), Attack::pgd20(eps), Attack::Fgsm { random_start: false, step_size: None }] {
        let adv = to_vec(perturb::<B, _>(&model, xt.clone(), labels(&y), &threat, &attack, Seed(1)).unwrap());
        for i in 0..n {
            let ypm = if y[i] == 1 { 1.0 } else { -1.0 };
            let wv = nalgebra::DVector::from_iterator(d, (0..d).map(|j| (w[j * 2 + 1] - w[j * 2]) as f64));
            let delta = inputgrad::theory::linear_adv::delta_star(&wv, ypm, eps);
            for j in 0..d {
                let got = adv[i * d + j] as f64 - x[[i, j]] as f64;
                assert!((got - delta[j]).abs() <= prec::F32_SLACK, "{attack:?} example {i} coord {j}: {got} vs {}", delta[j]);
            }
        }
    }
}

/// PGD returns a point whose loss is at least its starting point's, for random and fixed starts,
/// ℓ∞ and ℓ2, and stays inside the ball and the pixel box.
#[test]
fn pgd_never_does_worse_than_its_start() {
    let (n, d) = (32, 12);
    let spec = ModelSpec::Mlp { hidden: vec![16, 16], activation: Activation::Relu, mean_field: false };
    let model = net(&spec, d, 3, 11);
    let mut rng = Seed(2).rng();
    let x: Vec<f32> = (0..n * d).map(|_| rng.random_range(0.0..1.0f32)).collect();
    let y: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let xt = tensor2(x, n, d);
    let inner = burn::module::AutodiffModule::valid(&model);
    let clean = cross_entropy(inner.logits(xt.clone()), labels(&y)).into_data().to_vec::<f32>().unwrap();
    for threat in [ThreatModel::linf(0.1, Some((0.0, 1.0))).unwrap(), ThreatModel::l2(0.5, Some((0.0, 1.0))).unwrap()] {
        for random_start in [false, true] {
            let attack = Attack::Pgd(Pgd { steps: 5, step_size: threat.eps / 2.0, restarts: 2, random_start });
            let adv = perturb::<B, _>(&model, xt.clone(), labels(&y), &threat, &attack, Seed(9)).unwrap();
            let dist = threat.max_distance(&xt, &adv);
            assert!(dist <= threat.eps * (1.0 + prec::F32_SLACK) + prec::F32_SLACK, "{threat:?} random_start={random_start}: distance {dist}");
            let advl = cross_entropy(inner.logits(adv), labels(&y)).into_data().to_vec::<f32>().unwrap();
            let mut raised = 0;
            for (a, c) in advl.iter().zip(&clean) {
                assert!(*a >= *c - prec::F32_ULPS as f32, "{threat:?} random_start={random_start}: adversarial loss {a} < clean {c}");
                raised += (*a > *c) as usize;
            }
            assert!(raised > n / 2, "the attack raised the loss of only {raised}/{n} examples");
        }
    }
}

/// Per-example input gradients of a SoftPlus MLP match central differences (f32).
#[test]
fn input_gradients_match_finite_differences() {
    let (n, d) = (3, 5);
    let spec = ModelSpec::Mlp { hidden: vec![7], activation: Activation::Softplus, mean_field: false };
    let model = net(&spec, d, 3, 4);
    let inner = burn::module::AutodiffModule::valid(&model);
    let mut rng = Seed(8).rng();
    let x: Vec<f32> = (0..n * d).map(|_| rng.random_range(-1.0..1.0f32)).collect();
    let y = [0usize, 2, 1];
    for target in [GradTarget::Logit(labels(&y)), GradTarget::Loss(labels(&y)), GradTarget::Margin(labels(&y)), GradTarget::LogSumExp] {
        let (g, _) = input_gradient::<B, _>(&model, tensor2(x.clone(), n, d), &target).unwrap();
        let g = to_vec(g);
        let gmax = g.iter().fold(0f64, |m, v| m.max(v.abs() as f64));
        for i in 0..n {
            for j in 0..d {
                let h = prec::FD_STEP_F32 as f32;
                let mut xp = x.clone();
                let mut xm = x.clone();
                xp[i * d + j] += h;
                xm[i * d + j] -= h;
                let f = |v: Vec<f32>| -> f64 {
                    let logits = inner.logits(tensor2(v, n, d));
                    let vals = inputgrad::attribution::target::target_value(logits, &target);
                    vals.into_data().to_vec::<f32>().unwrap()[i] as f64
                };
                let fd = (f(xp) - f(xm)) / (2.0 * h as f64);
                assert!((fd - g[i * d + j] as f64).abs() <= prec::FD_TOL_F32 * gmax.max(1.0), "{target:?} ({i},{j}): autodiff {} vs fd {fd}", g[i * d + j]);
            }
        }
    }
}

/// An attack leaves no trace on the parameters' gradients: the gradient of a loss computed after
/// an attack equals the gradient computed without one.
#[test]
fn attacks_do_not_touch_parameter_gradients() {
    let (n, d) = (8, 6);
    let spec = ModelSpec::Mlp { hidden: vec![10], activation: Activation::Relu, mean_field: false };
    let model = net(&spec, d, 2, 21);
    let (x, y) = separable(n, d, 3);
    let xb: Tensor<B, 2> = Tensor::from_inner(tensor2(x.iter().copied().collect(), n, d));
    let yb: Tensor<B, 1, Int> = Tensor::from_inner(labels(&y));
    let grads_of = |m: &Net<B>| {
        let _graph = graph_lock();
        let loss = cross_entropy(m.forward_mode(xb.clone(), model::Mode::Train), yb.clone()).mean();
        let g = loss.backward();
        let w = match m { Net::Mlp(mlp) => mlp.hidden[0].weight.grad(&g).unwrap(), _ => unreachable!() };
        w.into_data().to_vec::<f32>().unwrap()
    };
    let before = grads_of(&model);
    let threat = ThreatModel::linf(0.2, None).unwrap();
    let _ = perturb::<B, _>(&model, xb.clone().inner(), yb.clone().inner(), &threat, &Attack::seed000_training(0.2), Seed(0)).unwrap();
    let after = grads_of(&model);
    assert_eq!(before, after);
}

fn small_run(epochs: usize, seed: u64) -> TrainConfig {
    let mut cfg = TrainConfig::seed000(epochs, Seed(seed));
    cfg.batch_size = 16;
    cfg.optimizer = OptimizerSpec::Sgd { lr: 0.05, momentum: 0.9, weight_decay: 5e-4, nesterov: false };
    cfg.stop_below_loss = None;
    cfg
}

fn mlp_spec() -> ModelSpec {
    ModelSpec::Mlp { hidden: vec![32], activation: Activation::Relu, mean_field: false }
}

/// Same seed ⇒ bitwise-identical weights; another seed ⇒ different weights. The test learns
/// the separable problem (so training does something).
#[test]
fn same_seed_same_weights_on_cpu() {
    let (x, y) = separable(100, 8, 1);
    let data = Examples::new(x.view(), &y, None).unwrap();
    let run = |seed: u64| {
        let objective = Objective::Adversarial { threat: ThreatModel::linf(0.05, None).unwrap(), attack: Attack::pgd20(0.05) };
        let out = train::<B, _>(net(&mlp_spec(), 8, 2, 7), &data, Some(&data), &small_run(3, seed), &objective, RunOptions::default(), &dev()).unwrap();
        (model::weights_fingerprint::<B, _>(&out.model), out.history)
    };
    let (a, ha) = run(1);
    let (b, hb) = run(1);
    let (c, _) = run(2);
    assert_eq!(a, b, "same seed gave different weights");
    assert_eq!(ha, hb.iter().map(|r| EpochRecord { seconds: ha[r.epoch].seconds, ..r.clone() }).collect::<Vec<_>>());
    assert_ne!(a, c, "different seeds gave identical weights");
    assert!(ha.last().unwrap().test_acc.unwrap() > 0.9, "did not learn: {ha:?}");
}

/// Convolutional models (Madry CNN, ResNet18 with batch norm, VGG11) train to bitwise the same
/// weights with one thread and with three, and again in the same pool: the backends' convolution
/// kernels split work between threads but never a sum.
#[test]
fn conv_training_is_independent_of_the_thread_count() {
    let (c, h, w) = (1, 8, 8);
    let (x, y) = separable(48, c * h * w, 2);
    let data = Examples::new(x.view(), &y, None).unwrap();
    let act = Activation::Relu;
    let specs = [
        ModelSpec::MadryCnn { activation: act },
        ModelSpec::ResNet { depth: model::ResNetDepth::R18, stem: model::Stem::Cifar, activation: act },
        ModelSpec::Vgg11 { activation: act },
    ];
    for spec in specs {
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let net = model::build::<B>(&spec, InputShape::Image { c, h, w }, 2, Seed(8), &dev()).unwrap();
                let out = train::<B, _>(net, &data, None, &small_run(1, 4), &Objective::Standard, RunOptions::default(), &dev()).unwrap();
                model::weights_fingerprint::<B, _>(&out.model)
            })
        };
        let one = run(1);
        assert_eq!(one, run(3), "{}: 1 and 3 threads gave different weights", spec.name());
        assert_eq!(one, run(1), "{}: two runs with 1 thread differ", spec.name());
    }
}

/// A run interrupted mid-epoch (checkpoint on interrupt) and a run killed mid-epoch (only the
/// last epoch's checkpoint survives) both resume to the same final weights as an uninterrupted
/// run, with SGD momentum and Adam.
#[test]
fn resume_reaches_the_uninterrupted_weights() {
    let (x, y) = separable(70, 6, 4); // 5 steps per epoch with batch 16
    let data = Examples::new(x.view(), &y, None).unwrap();
    let objective = Objective::Standard;
    for optimizer in [
        OptimizerSpec::Sgd { lr: 0.05, momentum: 0.9, weight_decay: 5e-4, nesterov: false },
        OptimizerSpec::Adam { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 },
    ] {
        let mut cfg = small_run(4, 3);
        cfg.optimizer = optimizer.clone();
        cfg.schedule = Schedule::Step { every: 2, factor: 0.5 };
        let full = train::<B, _>(net(&mlp_spec(), 6, 2, 5), &data, None, &cfg, &objective, RunOptions::default(), &dev()).unwrap();
        let want = model::weights_fingerprint::<B, _>(&full.model);
        for save_on_stop in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let mut store = DirStore::new(dir.path());
            let first = train::<B, _>(
                net(&mlp_spec(), 6, 2, 5),
                &data,
                None,
                &cfg,
                &objective,
                RunOptions { checkpoint: Some(&mut store), stop_after_steps: Some(12), save_on_stop, ..Default::default() },
                &dev(),
            )
            .unwrap();
            assert_eq!(first.stop, StopReason::Interrupted { global_step: 12 });
            // A fresh process: new model object (other initial weights even), same store.
            let second = train::<B, _>(
                net(&mlp_spec(), 6, 2, 99),
                &data,
                None,
                &cfg,
                &objective,
                RunOptions { checkpoint: Some(&mut store), ..Default::default() },
                &dev(),
            )
            .unwrap();
            assert!(second.resumed);
            assert_eq!(second.stop, StopReason::MaxEpochs);
            assert_eq!(second.history.len(), 4);
            assert_eq!(model::weights_fingerprint::<B, _>(&second.model), want, "{optimizer:?} save_on_stop={save_on_stop}: resumed weights differ");
            // A finished run returns at once with the same weights.
            let third = train::<B, _>(net(&mlp_spec(), 6, 2, 5), &data, None, &cfg, &objective, RunOptions { checkpoint: Some(&mut store), ..Default::default() }, &dev()).unwrap();
            assert_eq!(model::weights_fingerprint::<B, _>(&third.model), want);
        }
    }
}

/// A checkpoint of another run — other configuration, other objective, other training data or
/// other test data — is refused with an error naming the file and what differs; a corrupted file
/// is refused naming the file.
#[test]
fn bad_checkpoints_are_refused() {
    let (x, y) = separable(40, 4, 4);
    let data = Examples::new(x.view(), &y, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = DirStore::new(dir.path());
    train::<B, _>(net(&mlp_spec(), 4, 2, 5), &data, None, &small_run(1, 3), &Objective::Standard, RunOptions { checkpoint: Some(&mut store), ..Default::default() }, &dev()).unwrap();
    let refused = |err: Error, what: &str| {
        let msg = err.to_string();
        assert!(matches!(&err, Error::InvalidParam { name, .. } if name == "checkpoint"), "{msg}");
        assert!(msg.contains("checkpoint.bin") && msg.contains(what), "message lacks `{what}`: {msg}");
    };
    let err = train::<B, _>(net(&mlp_spec(), 4, 2, 5), &data, None, &small_run(1, 4), &Objective::Standard, RunOptions { checkpoint: Some(&mut store), ..Default::default() }, &dev()).unwrap_err();
    refused(err, "training configuration");
    let l1 = Objective::Penalized { base: Box::new(Objective::Standard), penalties: vec![Penalty::weight_l1(0.01)] };
    let err = train::<B, _>(net(&mlp_spec(), 4, 2, 5), &data, None, &small_run(1, 3), &l1, RunOptions { checkpoint: Some(&mut store), ..Default::default() }, &dev()).unwrap_err();
    refused(err, "objective");
    // Same shape, other values (another data set of the same shape) and the same values with one
    // label changed (another class subset) are both another run.
    let (x2, _) = separable(40, 4, 9);
    let other = Examples::new(x2.view(), &y, None).unwrap();
    let err = train::<B, _>(net(&mlp_spec(), 4, 2, 5), &other, None, &small_run(1, 3), &Objective::Standard, RunOptions { checkpoint: Some(&mut store), ..Default::default() }, &dev()).unwrap_err();
    refused(err, "training data");
    let mut y2 = y.clone();
    y2[0] = 1 - y2[0];
    let relabelled = Examples::new(x.view(), &y2, None).unwrap();
    let err = train::<B, _>(net(&mlp_spec(), 4, 2, 5), &relabelled, None, &small_run(1, 3), &Objective::Standard, RunOptions { checkpoint: Some(&mut store), ..Default::default() }, &dev()).unwrap_err();
    refused(err, "training data");
    let fewer = Examples::new(x.slice(ndarray::s![..39, ..]), &y[..39], None).unwrap();
    let err = train::<B, _>(net(&mlp_spec(), 4, 2, 5), &data, Some(&fewer), &small_run(1, 3), &Objective::Standard, RunOptions { checkpoint: Some(&mut store), ..Default::default() }, &dev()).unwrap_err();
    refused(err, "test data");
    let path = store.path();
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let err = train::<B, _>(net(&mlp_spec(), 4, 2, 5), &data, None, &small_run(1, 3), &Objective::Standard, RunOptions { checkpoint: Some(&mut store), ..Default::default() }, &dev()).unwrap_err();
    assert!(err.to_string().contains("checksum") && err.to_string().contains("checkpoint.bin"), "{err}");
    std::fs::write(&path, &bytes[..10]).unwrap();
    assert!(store.load().is_err());
}

/// A finished run extended with a larger epoch budget continues from its checkpoint and reaches
/// the weights of a run trained with that budget from the start; a smaller budget is refused.
#[test]
fn finished_runs_extend_to_more_epochs() {
    let (x, y) = separable(48, 4, 6);
    let data = Examples::new(x.view(), &y, None).unwrap();
    let mut cfg = small_run(4, 8);
    cfg.schedule = inputgrad::train::Schedule::Step { every: 3, factor: 0.5 };
    let fresh = train::<B, _>(net(&mlp_spec(), 4, 2, 5), &data, Some(&data), &cfg, &Objective::Standard, RunOptions::default(), &dev()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = DirStore::new(dir.path());
    let mut short = cfg.clone();
    short.epochs = 2;
    let first = train::<B, _>(net(&mlp_spec(), 4, 2, 5), &data, Some(&data), &short, &Objective::Standard, RunOptions { checkpoint: Some(&mut store), ..Default::default() }, &dev()).unwrap();
    assert_eq!((first.stop, first.history.len()), (StopReason::MaxEpochs, 2));
    let longer = train::<B, _>(net(&mlp_spec(), 4, 2, 5), &data, Some(&data), &cfg, &Objective::Standard, RunOptions { checkpoint: Some(&mut store), ..Default::default() }, &dev()).unwrap();
    assert!(longer.resumed);
    assert_eq!((longer.stop, longer.history.len()), (StopReason::MaxEpochs, 4));
    assert_eq!(model::weights_fingerprint::<B, _>(&longer.model), model::weights_fingerprint::<B, _>(&fresh.model));
    assert_eq!(longer.history.iter().map(|r| r.lr).collect::<Vec<_>>(), fresh.history.iter().map(|r| r.lr).collect::<Vec<_>>());
    let err = train::<B, _>(net(&mlp_spec(), 4, 2, 5), &data, Some(&data), &short, &Objective::Standard, RunOptions { checkpoint: Some(&mut store), ..Default::default() }, &dev()).unwrap_err();
    assert!(matches!(&err, Error::InvalidParam { name, .. } if name == "epochs"), "{err}");
    assert!(err.to_string().contains("4 finished epochs"), "{err}");
}

/// An exploding loss stops the run with an error naming the epoch and step.
#[test]
fn divergence_is_an_error_naming_epoch_and_step() {
    let (mut x, y) = separable(64, 4, 4);
    x.mapv_inplace(|v| v * 1e3);
    let data = Examples::new(x.view(), &y, None).unwrap();
    let mut cfg = small_run(5, 1);
    cfg.optimizer = OptimizerSpec::Sgd { lr: 1e3, momentum: 0.9, weight_decay: 0.0, nesterov: false };
    cfg.divergence_loss = DEFAULT_DIVERGENCE_LOSS;
    let err = train::<B, _>(net(&mlp_spec(), 4, 2, 5), &data, None, &cfg, &Objective::Standard, RunOptions::default(), &dev()).unwrap_err();
    match err {
        Error::Diverged { reason, .. } => assert!(reason.contains("epoch") && reason.contains("step"), "{reason}"),
        other => panic!("expected Diverged, got {other}"),
    }
}

/// Training stops once the epoch's mean loss is below `stop_below_loss`.
#[test]
fn early_stop_on_small_training_loss() {
    let (x, y) = separable(64, 4, 4);
    let data = Examples::new(x.view(), &y, None).unwrap();
    let mut cfg = small_run(200, 1);
    cfg.stop_below_loss = Some(0.05);
    let out = train::<B, _>(net(&ModelSpec::Linear, 4, 2, 5), &data, None, &cfg, &Objective::Standard, RunOptions::default(), &dev()).unwrap();
    let StopReason::LossBelow { epoch } = out.stop else { panic!("did not stop early: {:?}", out.stop) };
    assert!(epoch < 199);
    assert!(out.history.last().unwrap().train_loss < 0.05);
    assert!(out.history[..out.history.len() - 1].iter().all(|r| r.train_loss >= 0.05));
}

/// Bad inputs are errors, not panics.
#[test]
fn bad_inputs_are_errors() {
    let (x, y) = separable(10, 4, 4);
    let data = Examples::new(x.view(), &y, None).unwrap();
    assert!(Examples::new(x.view(), &y[..5], None).is_err());
    assert!(Examples::new(x.view(), &y, Some([1, 3, 3])).is_err());
    let wrong_dim = train::<B, _>(net(&mlp_spec(), 5, 2, 5), &data, None, &small_run(1, 1), &Objective::Standard, RunOptions::default(), &dev());
    assert!(matches!(wrong_dim, Err(Error::Shape(_))));
    let mut cfg = small_run(1, 1);
    cfg.batch_size = 0;
    assert!(matches!(train::<B, _>(net(&mlp_spec(), 4, 2, 5), &data, None, &cfg, &Objective::Standard, RunOptions::default(), &dev()), Err(Error::InvalidParam { .. })));
    let bad_labels = vec![5usize; 10];
    let d2 = Examples::new(x.view(), &bad_labels, None).unwrap();
    assert!(matches!(train::<B, _>(net(&mlp_spec(), 4, 2, 5), &d2, None, &small_run(1, 1), &Objective::Standard, RunOptions::default(), &dev()), Err(Error::InvalidParam { .. })));
    assert!(ThreatModel::linf(-1.0, None).is_err());
    assert!(ThreatModel::linf(0.1, Some((1.0, 0.0))).is_err());
    assert!(Attack::Pgd(Pgd { steps: 0, step_size: 0.1, restarts: 1, random_start: false }).validate().is_err());
    assert!(model::build::<B>(&ModelSpec::Linear, InputShape::Flat(4), 1, Seed(0), &dev()).is_err());
}

/// The fingerprint of a short adversarial training run with odd sizes (partial batches, rows
/// whose length is not a multiple of any vector width).
fn reference_run_fingerprint() -> String {
    let (n, d) = (150, 37);
    let mut rng = Seed(3).rng();
    let x = Array2::from_shape_fn((n, d), |_| rng.random_range(0.0..1.0f32));
    let y: Vec<usize> = (0..n).map(|i| (x[[i, 0]] + x[[i, 1]] > 1.0) as usize).collect();
    let data = Examples::new(x.view(), &y, None).unwrap();
    let spec = ModelSpec::Mlp { hidden: vec![53, 29], activation: Activation::Softplus, mean_field: false };
    let mut cfg = TrainConfig::seed000(2, Seed(4));
    cfg.batch_size = 33;
    let obj = Objective::Adversarial { threat: ThreatModel::l2(0.3, Some((0.0, 1.0))).unwrap(), attack: Attack::pgd20(0.3) };
    let out = train::<B, _>(net(&spec, d, 2, 1), &data, None, &cfg, &obj, RunOptions::default(), &dev()).unwrap();
    model::weights_fingerprint::<B, _>(&out.model)
}

/// Helper run in a child process by `same_seed_same_weights_across_processes` (ignored in a normal
/// run: alone it checks nothing).
#[test]
#[ignore = "helper: run in a child process by same_seed_same_weights_across_processes"]
fn child_prints_reference_fingerprint() {
    println!("FINGERPRINT {}", reference_run_fingerprint());
}

/// Same seed ⇒ same weights in separate processes (other memory addresses, other thread
/// timings): catches results that depend on alignment or on thread scheduling.
#[test]
fn same_seed_same_weights_across_processes() {
    let here = reference_run_fingerprint();
    let exe = std::env::current_exe().unwrap();
    for _ in 0..3 {
        let out = std::process::Command::new(&exe)
            .args(["--exact", "child_prints_reference_fingerprint", "--ignored", "--nocapture", "--test-threads", "1"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let got = text.lines().find_map(|l| l.split_once("FINGERPRINT ").map(|(_, f)| f.trim())).unwrap_or_else(|| panic!("child printed no fingerprint: {text}"));
        assert_eq!(got, here, "another process trained to different weights");
    }
}

/// [`TrainStep`]'s SGD reaches bitwise the weights of burn's own `Sgd` optimiser with the same
/// hyperparameters (momentum without dampening, weight decay, Nesterov, plain SGD). The trainer's
/// SGD is the in-place update of src/train/sgd.rs (on burn-ndarray by default, on burn-flex with
/// `--features flex`), so this is the check that it reproduces burn's arithmetic. tests/sgd_f64.rs
/// checks the fallback through burn's tensor operations on the f64 backend.
#[test]
fn train_step_sgd_matches_burn_sgd() {
    sgd::sgd_matches_burn_sgd::<B>();
}


/// A hidden width far beyond memory is an error naming `width` and the size, raised before any
/// weight is allocated (it used to abort the process with "memory allocation … failed"); a width
/// whose parameter count overflows is the same error, not a wrapped multiplication.
#[test]
fn huge_widths_are_refused_before_allocating() {
    for width in [1usize << 42, usize::MAX / 2] {
        let spec = ModelSpec::Mlp { hidden: vec![width], activation: Activation::Relu, mean_field: false };
        let err = model::build::<B>(&spec, InputShape::Flat(784), 10, Seed(0), &dev()).map(|_| ()).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(&err, Error::InvalidParam { name, .. } if name == "width"), "{msg}");
        assert!(msg.contains(&width.to_string()) && msg.contains("smaller width"), "{msg}");
    }
    // The check does not refuse ordinary widths.
    let spec = ModelSpec::Mlp { hidden: vec![4096, 4096], activation: Activation::Relu, mean_field: false };
    assert!(model::build::<B>(&spec, InputShape::Flat(784), 10, Seed(0), &dev()).is_ok());
}

/// Range errors say "finite and >= 0" instead of printing f64::MAX's 309 digits.
#[test]
fn range_errors_are_readable() {
    use inputgrad::error::allowed_range;
    assert_eq!(allowed_range(0.0, f64::MAX), "finite and >= 0");
    assert_eq!(allowed_range(f64::MIN_POSITIVE, f64::MAX), "finite and > 0");
    assert_eq!(allowed_range(0.0, 1.0), "in [0, 1]");
    assert_eq!(allowed_range(f64::MIN_POSITIVE, 10.0), "in (0, 10]");
    let spec = OptimizerSpec::Sgd { lr: -1.0, momentum: 0.9, weight_decay: 0.0, nesterov: false };
    let err = TrainStep::<B, Net<B>>::new(&spec).err().expect("a negative rate is refused").to_string();
    assert!(err.contains("optimizer.lr") && err.contains("finite and >= 0, got -1") && err.len() < 120, "{err}");
}
