//! The Rust side of benches/fig31_side_by_side.sh: the Fig 31 training loop (seed 000 App. F) of
//! `inputgrad run seed000_fig31` — width m, d support points of eq (2), PGD-8 ℓ∞ adversarial
//! full-batch GD in mean-field time, margins recorded every BENCH_RECORD steps — timed for
//! BENCH_STEPS steps. Prints one JSON line (same fields as benches/fig31_train.py).
use inputgrad::rng::Seed;
use inputgrad::theory::adversarial_margin::support_points;
use inputgrad::train::wide::{train_wide, Batch, LinfAdversary, WideNet, WideTrainConfig};

fn env(name: &str, default: f64) -> f64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> inputgrad::Result<()> {
    let steps = env("BENCH_STEPS", 200.0) as usize;
    let m = env("BENCH_WIDTH", 50_000.0) as usize;
    let d = env("BENCH_D", 10.0) as usize;
    let eps = env("BENCH_EPS", 0.35);
    let record = env("BENCH_RECORD", 50.0) as usize;
    let pts = support_points(d);
    let x: Vec<f64> = pts.iter().flat_map(|(x, _, _)| x.iter().copied().collect::<Vec<_>>()).collect();
    let y: Vec<f64> = pts.iter().map(|p| p.1).collect();
    let batch = Batch::new(&x, &y, d)?;
    // experiments/seed000_fig31.toml: lr 1, E‖θ_k‖ = 0.5, PGD 8 × ε/4.
    let mut net = WideNet::init(d, m, 0.5, Seed(0))?;
    let cfg = WideTrainConfig { steps, lr: 1.0, adversary: Some(LinfAdversary::seed000(eps)), record_every: record };
    let t0 = std::time::Instant::now();
    let h = train_wide(&mut net, &batch, &cfg, &mut |_| {})?;
    let seconds = t0.elapsed().as_secs_f64();
    let last = h.last().copied().ok_or_else(|| inputgrad::Error::param("steps", "no history"))?;
    println!(
        "{}",
        serde_json::json!({"impl": "rust", "threads": rayon::current_num_threads(), "steps": steps, "seconds": seconds, "steps_per_s": steps as f64 / seconds, "margin": last.margin, "attacked_margin": last.adv_margin})
    );
    Ok(())
}
