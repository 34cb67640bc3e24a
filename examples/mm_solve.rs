//! Solves the max-margin game on the simplified BlockMNIST data (d̃ = 1, η = 0) for one d and ε and
//! prints the certificate; with a third argument, writes the feasible measure ν (the lower-bound
//! witness) as JSON to that path. Run: `cargo run --release --example mm_solve -- D EPS [OUT.json]`
use inputgrad::rng::Seed;
use inputgrad::theory::adversarial_margin::support_points;
use inputgrad::theory::max_margin::OracleOptions;
use inputgrad::theory::mm_solver::{solve, Ball, Game, SolverOptions};

fn main() -> inputgrad::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let d: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(4);
    let eps: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0.0);
    let rounds: usize = std::env::var("MM_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(400);
    let points = support_points(d).into_iter().map(|(x, y, _)| (x, y)).collect();
    let ball = if eps > 0.0 { Ball::Linf(eps) } else { Ball::None };
    let opts = SolverOptions { max_rounds: rounds, gap_tol: 1e-7, oracle: OracleOptions { starts: 16, iters: 1500, nonpositive_bias: false }, initial_neurons: 8, seed: Seed(1) };
    let t0 = std::time::Instant::now();
    let cert = solve(&Game { points, ball }, opts)?;
    for (k, r) in cert.history.iter().enumerate() {
        println!("round {k:3}: lp {:.6} lower {:.6} upper {:.6} cols {} rows {}", r.lp_value, r.lower, r.upper, r.neurons, r.points);
    }
    println!("d={d} eps={eps}: lower {:.8} upper {:.8} gap {:.2e} in {:.1}s", cert.lower, cert.upper, cert.gap(), t0.elapsed().as_secs_f64());
    if let Ok(spec) = inputgrad::theory::block_data::BlockSpec::scalar(d, eps) {
        use inputgrad::theory::max_margin::{gamma_star, theta};
        println!("Theorem 1 (eta = eps): gamma* {:.8}; J_p(theta1) {:.8}, J_p(theta2) {:.8}", gamma_star(&spec), cert.p.neuron_value(&theta(&spec, 1.0)), cert.p.neuron_value(&theta(&spec, -1.0)));
    }
    if let Some(out) = args.get(3) {
        let atoms: Vec<serde_json::Value> = cert
            .nu
            .atoms()
            .iter()
            .map(|(m, th)| serde_json::json!({"mass": m, "w": th.w, "r": th.r.iter().collect::<Vec<_>>(), "b": th.b}))
            .collect();
        let doc = serde_json::json!({"d": d, "eps": eps, "lower": cert.lower, "upper": cert.upper, "atoms": atoms});
        std::fs::write(out, serde_json::to_string_pretty(&doc).expect("json")).map_err(|e| inputgrad::Error::Io { path: out.into(), source: e })?;
    }
    for (m, th) in cert.nu.atoms() {
        println!("  mass {m:.4}  w {:+.4}  b {:+.4}  r {:?}", th.w, th.b, th.r.iter().map(|v| (v * 1e4).round() / 1e4).collect::<Vec<_>>());
    }
    Ok(())
}
