//! Cost of one training step of every objective relative to the standard step, on the
//! BlockMNIST-sized MLP (1568 → hidden → 2, batch 256, random data), measured in the same process
//! (DESIGN habit 10: a benchmark is a ratio against a reference measured in the same run).
//!
//! ```text
//! cargo run --release --example bench_objectives [-- --hidden 1000 --repeats 5]
//! ```
//!
//! A step is: the objective's loss, backward, one SGD update. Each objective is warmed up once,
//! then timed `--repeats` times; the table reports the median.

use std::time::Instant;

use burn::optim::{GradientsParams, Optimizer, SgdConfig};
use burn::tensor::{Int, Tensor, TensorData};
use inputgrad::model::{self, Activation, InputShape, ModelSpec, Net};
use inputgrad::prec;
use inputgrad::train::*;
use inputgrad::Seed;
use rand::Rng as _;

type B = CpuAutodiff;

/// BlockMNIST: a 28×28 digit stacked on a 28×28 null block (seed 000 §5), flattened.
const INPUT: usize = 2 * 28 * 28;
/// Seed 000 App. C.1's batch size.
const BATCH: usize = 256;
/// Learning rate of the timed SGD steps (its value does not affect the cost).
const LR: f64 = 0.01;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn objectives() -> Vec<(&'static str, Objective)> {
    let fd = |p: Penalty| match p {
        Penalty::InputGrad { of, p, squared, lambda, fd_step, .. } => Penalty::InputGrad { of, p, squared, lambda, route: Route::FiniteDiff, fd_step },
        Penalty::MarginalDensity { p, lambda, form, fd_step, .. } => Penalty::MarginalDensity { p, lambda, form, route: Route::FiniteDiff, fd_step },
        Penalty::Hessian { of, h, lambda, fd_step, .. } => Penalty::Hessian { of, h, lambda, route: Route::FiniteDiff, fd_step },
        other => other,
    };
    let md = |form| Penalty::MarginalDensity { p: PNorm::L2, lambda: 0.1, form, route: Route::Auto, fd_step: prec::PENALTY_FD_STEP };
    let hess = Penalty::Hessian { of: GradOf::Logit, h: 0.1, lambda: 0.1, route: Route::Auto, fd_step: prec::PENALTY_FD_STEP };
    vec![
        ("standard", Objective::Standard),
        ("pgd-8 (seed 000)", Objective::Adversarial { threat: ThreatModel::linf(0.3, Some((0.0, 1.0))).expect("valid"), attack: Attack::seed000_training(0.3) }),
        ("noise σ=0.1", Objective::GaussianNoise { sigma: 0.1, samples: 1 }),
        ("weight ℓ1", Objective::with(Penalty::weight_l1(1e-4))),
        ("weight ℓ2²", Objective::with(Penalty::weight_l2(1e-4))),
        ("weight ℓ∞", Objective::with(Penalty::weight_linf(1e-2))),
        ("grad ℓ1 (exact)", Objective::with(Penalty::grad(PNorm::L1, 0.1))),
        ("grad ℓ2² (exact)", Objective::with(Penalty::grad(PNorm::L2, 0.1))),
        ("grad ℓ∞ (exact)", Objective::with(Penalty::grad(PNorm::LINF, 0.1))),
        ("grad ℓ2² (fd)", Objective::with(fd(Penalty::grad(PNorm::L2, 0.1)))),
        ("input-grad f_y (exact)", Objective::with(Penalty::input_grad_logit(0.1))),
        ("marginal density eq4 (exact)", Objective::with(md(DensityForm::Plain))),
        ("marginal density eq5 (exact)", Objective::with(md(DensityForm::Stable))),
        ("marginal density eq6 (exact)", Objective::with(md(DensityForm::Efficient))),
        ("marginal density eq6 (fd)", Objective::with(fd(md(DensityForm::Efficient)))),
        ("smoothness σ=0.1", Objective::with(Penalty::Smoothness { sigma: 0.1, lambda: 0.1, samples: 1 })),
        ("hessian (exact)", Objective::with(hess.clone())),
        ("hessian (fd)", Objective::with(fd(hess))),
        ("weight ℓ2² + grad ℓ1 (seed 002)", Objective::penalized(Objective::Standard, vec![Penalty::weight_l2(1e-4), Penalty::grad(PNorm::L1, 0.1)])),
    ]
}

fn main() -> inputgrad::Result<()> {
    let hidden = arg("--hidden", 1000);
    let repeats = arg("--repeats", 5).max(1);
    let device = Default::default();
    let mut rng = Seed(0).rng();
    let xs: Vec<f32> = (0..BATCH * INPUT).map(|_| rng.random_range(0.0..1.0f32)).collect();
    let ys: Vec<i64> = (0..BATCH).map(|_| rng.random_range(0..2i64)).collect();
    let x = Tensor::<B, 2>::from_data(TensorData::new(xs, [BATCH, INPUT]), &device);
    let y = Tensor::<B, 1, Int>::from_data(TensorData::new(ys, [BATCH]), &device);
    let spec = ModelSpec::Mlp { hidden: vec![hidden], activation: Activation::Relu, mean_field: false };
    let net: Net<B> = model::build(&spec, InputShape::Flat(INPUT), 2, Seed(1), &device)?;
    println!("one SGD step, MLP {INPUT} → {hidden} → 2, batch {BATCH}, median of {repeats} after one warm-up (burn-ndarray CPU)");
    let mut reference = None;
    println!("{:<34} {:>10} {:>8}", "objective", "ms/step", "ratio");
    for (label, objective) in objectives() {
        objective.validate()?;
        let mut optim = SgdConfig::new().init::<B, Net<B>>();
        let mut model = net.clone();
        let mut times = Vec::with_capacity(repeats);
        for r in 0..=repeats {
            let t0 = Instant::now();
            let (loss, _) = objective.loss(&model, x.clone(), y.clone(), Seed(r as u64))?;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(LR, model, grads);
            // Force the update to finish before stopping the clock.
            let _ = model::flat_parameters::<B, _>(&model).len();
            if r > 0 {
                times.push(t0.elapsed().as_secs_f64());
            }
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let base = *reference.get_or_insert(median);
        println!("{label:<34} {:>10.1} {:>8.2}", median * 1e3, median / base);
    }
    Ok(())
}
