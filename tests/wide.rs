//! The mean-field wide net of seed 000 §6 / App. F (src/train/wide.rs): exact gradients against
//! central finite differences, agreement with the theory's measure representation, PGD invariants,
//! thread-count independence, Theorem 1's value as an upper bound on every trained net's margin.

use inputgrad::prec;
use inputgrad::rng::Seed;
use inputgrad::theory::adversarial_margin::support_points;
use inputgrad::theory::block_data::BlockSpec;
use inputgrad::theory::max_margin::gamma_star;
use inputgrad::train::wide::{train_linear, train_wide, Batch, LinfAdversary, WideNet, WideTrainConfig};
use nalgebra::DVector;
use proptest::prelude::*;
use rand::Rng as _;

/// The d support points of eq (2) with d̃ = 1, η = 0, as a flat batch.
fn support(d: usize) -> (Vec<f64>, Vec<f64>) {
    let pts = support_points(d);
    let x = pts.iter().flat_map(|(x, _, _)| x.iter().copied().collect::<Vec<_>>()).collect();
    let y = pts.iter().map(|(_, y, _)| *y).collect();
    (x, y)
}

fn random_batch(d: usize, n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = Seed(seed).rng();
    let x = (0..n * d).map(|_| rng.random_range(-1.0..1.0)).collect();
    let y = (0..n).map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 }).collect();
    (x, y)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Habit 4: every parameter's gradient of the mean logistic loss equals a central finite
    /// difference (ReLU kinks are hit with probability ~0 at random points and step 1e-6).
    #[test]
    fn prop_param_gradient_matches_fd(seed in 0u64..1_000_000, d in 1usize..6, m in 1usize..600, n in 1usize..6) {
        let net = WideNet::init(d, m, 1.5, Seed(seed)).unwrap();
        let (x, y) = random_batch(d, n, seed ^ 0xabc);
        let batch = Batch::new(&x, &y, d).unwrap();
        let (loss, g) = net.loss_and_grad(&batch).unwrap();
        prop_assert!((loss - net.loss(&batch).unwrap()).abs() <= prec::EXACT);
        // A few parameters of each kind (all of them for small nets).
        let h = prec::FD_STEP;
        let fd = |which: usize, idx: usize| -> f64 {
            let bump = |delta: f64| {
                let mut p = net.clone();
                let (a, r, b) = p.params_mut();
                match which { 0 => a[idx] += delta, 1 => r[idx] += delta, _ => b[idx] += delta }
                p.loss(&batch).unwrap()
            };
            (bump(h) - bump(-h)) / (2.0 * h)
        };
        // The loss is O(1) and a derivative is O(1/m): compare on the m-scaled (mean-field) gradient.
        let mf = m as f64;
        for k in (0..m).step_by(m.div_ceil(8)) {
            prop_assert!((fd(0, k) - g.a[k]).abs() * mf <= prec::FD_TOL * mf.max(1.0), "a[{}]: fd {} vs {}", k, fd(0, k), g.a[k]);
            prop_assert!((fd(2, k) - g.b[k]).abs() * mf <= prec::FD_TOL * mf.max(1.0), "b[{}]", k);
            for j in 0..d {
                let i = net.r_index(k, j);
                prop_assert!((fd(1, i) - g.r[i]).abs() * mf <= prec::FD_TOL * mf.max(1.0), "r[{}]", i);
            }
        }
    }

    /// The net is the measure ν of `to_measure` scaled by (1/m)Σ‖θ_k‖²: logits and input gradients
    /// computed by the fused chunked passes equal the theory's direct sums over atoms.
    #[test]
    fn prop_net_equals_its_measure(seed in 0u64..1_000_000, d in 1usize..8, m in 1usize..700, n in 1usize..5) {
        let net = WideNet::init(d, m, 2.0, Seed(seed)).unwrap();
        let nu = net.to_measure().unwrap();
        let s = net.mean_sq_norm();
        let (x, _) = random_batch(d, n, seed ^ 0x5eed);
        let (f, g) = net.logits_and_input_grads(&x).unwrap();
        prop_assert_eq!(&f, &net.logits(&x).unwrap());
        for i in 0..n {
            let xi = DVector::from_column_slice(&x[i * d..(i + 1) * d]);
            let scale = 1.0 + f[i].abs();
            prop_assert!((nu.f(&xi) * s - f[i]).abs() <= prec::EXACT_WIDE * scale, "f: {} vs {}", nu.f(&xi) * s, f[i]);
            let gt = nu.grad_f(&xi) * s;
            for j in 0..d {
                prop_assert!((gt[j] - g[i * d + j]).abs() <= prec::EXACT_WIDE * (1.0 + gt[j].abs()), "grad[{}]", j);
            }
        }
    }

    /// PGD stays in the ℓ∞ ball and never ends above its starting margin.
    #[test]
    fn prop_pgd_in_ball_and_not_worse(seed in 0u64..1_000_000, eps in 0.0f64..0.6, steps in 0usize..12) {
        let d = 6;
        let net = WideNet::init(d, 300, 1.0, Seed(seed)).unwrap();
        let (x, y) = random_batch(d, 7, seed ^ 0x77);
        let batch = Batch::new(&x, &y, d).unwrap();
        let xa = net.pgd_linf(&batch, eps, steps, eps / 4.0).unwrap();
        for (a, b) in xa.iter().zip(&x) {
            prop_assert!((a - b).abs() <= eps + prec::F64_FEW_OPS);
        }
        let (f0, fa) = (net.logits(&x).unwrap(), net.logits(&xa).unwrap());
        for i in 0..y.len() {
            prop_assert!(y[i] * fa[i] <= y[i] * f0[i]);
        }
    }
}

/// The gradient-descent step moves each neuron by lr · m · ∂L/∂θ_k (mean-field time).
#[test]
fn gd_step_is_mean_field_gradient_descent() {
    let (d, m, lr) = (4, 333, 0.7);
    let net = WideNet::init(d, m, 1.0, Seed(3)).unwrap();
    let (x, y) = random_batch(d, 5, 11);
    let batch = Batch::new(&x, &y, d).unwrap();
    let (_, g) = net.loss_and_grad(&batch).unwrap();
    let mut stepped = net.clone();
    stepped.gd_step(&batch, lr).unwrap();
    let mf = m as f64;
    let worst = (0..m)
        .map(|k| (stepped.a()[k] - (net.a()[k] - lr * mf * g.a[k])).abs().max((stepped.b()[k] - (net.b()[k] - lr * mf * g.b[k])).abs()))
        .chain((0..m).flat_map(|k| (0..d).map(move |j| (k, j))).map(|(k, j)| (stepped.r_of(k)[j] - (net.r_of(k)[j] - lr * mf * g.r[net.r_index(k, j)])).abs()))
        .fold(0.0, f64::max);
    assert!(worst <= prec::EXACT, "update differs from lr·m·grad by {worst}");
}

/// Same seed ⇒ same bits, whether one thread or several do the chunks.
#[test]
fn training_is_bitwise_identical_across_thread_counts() {
    let (x, y) = support(6);
    let batch = Batch::new(&x, &y, 6).unwrap();
    let cfg = WideTrainConfig { steps: 5, lr: 1.0, adversary: Some(LinfAdversary::seed000(0.2)), record_every: 2 };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut net = WideNet::init(6, 2000, 1.0, Seed(9)).unwrap();
            let h = train_wide(&mut net, &batch, &cfg, &mut |_| {}).unwrap();
            (net, h)
        })
    };
    let (n1, h1) = run(1);
    let (n3, h3) = run(3);
    assert_eq!(n1, n3);
    assert_eq!(h1, h3);
}

/// Checks 000 Theorem 1 / eq (4) as a bound — proofs/thm1.md: γ* is the largest margin of any
/// probability measure, so no trained net's normalised margin may exceed it; standard GD must
/// approach it from below (within 10 % after 3000 mean-field steps at d = 4).
#[test]
fn trained_margin_approaches_theorem1_value_from_below() {
    let d = 4;
    let (x, y) = support(d);
    let batch = Batch::new(&x, &y, d).unwrap();
    let gamma = gamma_star(&BlockSpec::scalar(d, 0.0).unwrap());
    let mut net = WideNet::init(d, 2000, 0.5, Seed(1)).unwrap();
    let cfg = WideTrainConfig { steps: 3000, lr: 2.0, adversary: None, record_every: 500 };
    let hist = train_wide(&mut net, &batch, &cfg, &mut |_| {}).unwrap();
    for r in &hist {
        assert!(r.margin <= gamma * (1.0 + prec::OPT_EXCEED), "step {}: margin {} exceeds γ* = {gamma}", r.step, r.margin);
    }
    let last = hist.last().unwrap();
    assert!(last.margin > 0.9 * gamma, "after {} steps the margin is {} (γ* = {gamma})", last.step, last.margin);
    assert!(hist.windows(2).all(|w| w[1].loss < w[0].loss), "loss not decreasing: {hist:?}");
}

/// Adversarial training raises the worst-case margin the evaluation attack finds above that of
/// clean training, at a radius where clean training's max-margin solution (Theorem 1's ν*, whose
/// first layer reads ⟨z, x⟩) is not robust: ε = 0.4 > 2/d (proofs/mm_solver.md).
#[test]
fn adversarial_training_raises_the_attacked_margin() {
    let d = 6;
    let (x, y) = support(d);
    let batch = Batch::new(&x, &y, d).unwrap();
    let adv = LinfAdversary::seed000(0.4);
    let attacked = |net: &WideNet| {
        let xa = adv.evaluation().perturb(net, &batch).unwrap();
        net.normalized_margin(&Batch::new(&xa, &y, d).unwrap()).unwrap()
    };
    let train = |adversary| {
        let mut net = WideNet::init(d, 2000, 0.5, Seed(2)).unwrap();
        train_wide(&mut net, &batch, &WideTrainConfig { steps: 800, lr: 2.0, adversary, record_every: 800 }, &mut |_| {}).unwrap();
        net
    };
    let (std, rob) = (train(None), train(Some(adv)));
    assert!(attacked(&rob) > attacked(&std) + 0.01, "robust {} vs standard {}", attacked(&rob), attacked(&std));
    assert!(attacked(&rob) > 0.0);
}

/// The linear model of Fig 5(b) on the support points y·e_j: by symmetry b stays 0 and every task
/// weight follows the scalar recursion w ← w + lr·(2/n)·σ(−w) (coordinate j carries the two points
/// ±e_j, each with margin w_j); noise coordinates are 0 in every point, so their weights stay 0.
/// `train_linear` is compared with that recursion, which it must match to rounding.
#[test]
fn linear_model_follows_the_symmetric_recursion() {
    let d = 10;
    let (x, y) = support(d);
    let (steps, lr) = (500, 1.0);
    let (w, b) = train_linear(&Batch::new(&x, &y, d).unwrap(), steps, lr).unwrap();
    let n = y.len() as f64;
    let mut wt = 0.0f64;
    for _ in 0..steps {
        wt += lr * 2.0 / n / (1.0 + wt.exp());
    }
    assert!(wt > 1.0, "the recursion separates the points: w = {wt}");
    assert!(b.abs() <= prec::EXACT, "b = {b}");
    for (j, wj) in w.iter().enumerate() {
        let want = if j < d / 2 { wt } else { 0.0 };
        assert!((wj - want).abs() <= prec::EXACT * wt, "weight {j} = {wj}, recursion {want}");
    }
}

#[test]
fn bad_inputs_are_named_errors() {
    let err = Batch::new(&[0.0, 1.0], &[0.5], 2).unwrap_err().to_string();
    assert!(err.contains("y[0]"), "{err}");
    let err = Batch::new(&[0.0, 1.0, 2.0], &[1.0], 2).unwrap_err().to_string();
    assert!(err.contains("batch"), "{err}");
    let net = WideNet::init(3, 10, 1.0, Seed(0)).unwrap();
    let (x, y) = random_batch(2, 2, 0);
    assert!(net.loss(&Batch::new(&x, &y, 2).unwrap()).is_err());
    assert!(WideNet::init(3, 10, 0.0, Seed(0)).unwrap_err().to_string().contains("init_scale"));
    assert!(WideNet::init(0, 10, 1.0, Seed(0)).is_err());
    assert!(net.pgd_linf(&Batch::new(&[0.0; 3], &[1.0], 3).unwrap(), -1.0, 2, 0.1).unwrap_err().to_string().contains("eps"));
}
