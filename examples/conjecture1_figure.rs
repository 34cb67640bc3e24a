//! Draws figures/conj1_margins_d{4,6}.png and writes figures/conj1_margins.csv: the exact
//! ℓ∞-adversarial margin, as a function of ε, of Conjecture 1's ν~, of the best axis-aligned measure,
//! of Theorem 1's ν* built for η = ε, the certified solver's lower bounds (d = 4) and its witness at
//! ε = 1/3 (d = 6).
//!
//! Run: `cargo run --release --example conjecture1_figure`

use std::fmt::Write as _;
use std::path::Path;

use inputgrad::plot::curves::{line_plot_png, LinePlot, Mark, Series};
use inputgrad::rng::Seed;
use inputgrad::theory::adversarial_margin as am;
use inputgrad::theory::block_data::BlockSpec;
use inputgrad::theory::max_margin::{nu_star, OracleOptions};
use inputgrad::theory::mm_solver::{solve, Ball, Game, SolverOptions};
use inputgrad::verify::solver::{exact_dataset_margin, witness_measure};

fn main() -> anyhow::Result<()> {
    let eps_grid: Vec<f64> = (0..50).map(|k| k as f64 / 100.0).collect();
    let solver_eps = [0.0, 0.1, 0.2, 0.3, 1.0 / 3.0, 0.4, 0.45];
    let mut csv = String::from("d,eps,series,margin\n");
    std::fs::create_dir_all("figures")?;
    for d in [4usize, 6] {
        let mut tilde = Vec::new();
        let mut aligned = Vec::new();
        let mut star = Vec::new();
        for &e in &eps_grid {
            let t = am::nu_tilde_margin_closed_form(d, e);
            let (a, _, _) = am::best_axis_aligned(d, e)?;
            let s = exact_dataset_margin(&nu_star(&BlockSpec::scalar(d, e)?), d, e)?;
            for (name, v) in [("nu_tilde", t), ("best_axis_aligned", a), ("thm1_nu_star_eta_eps", s)] {
                writeln!(csv, "{d},{e},{name},{v}")?;
            }
            tilde.push((e, t));
            aligned.push((e, a));
            star.push((e, s));
        }
        let mut series = vec![
            Series { name: "ν~ (Conjecture 1)".into(), points: tilde, mark: Mark::Line },
            Series { name: "best axis-aligned ν_(a,b)".into(), points: aligned, mark: Mark::Line },
            Series { name: "Theorem 1's ν* with η = ε".into(), points: star, mark: Mark::Line },
        ];
        if d == 4 {
            let points: Vec<_> = am::support_points(d).into_iter().map(|(x, y, _)| (x, y)).collect();
            let opts = SolverOptions { max_rounds: 200, gap_tol: 1e-6, oracle: OracleOptions { starts: 16, iters: 1500, nonpositive_bias: false }, initial_neurons: 8, seed: Seed(1) };
            let mut lower = Vec::new();
            for &e in &solver_eps {
                let ball = if e > 0.0 { Ball::Linf(e) } else { Ball::None };
                let c = solve(&Game { points: points.clone(), ball }, opts)?;
                writeln!(csv, "{d},{e},solver_lower,{}", c.lower)?;
                writeln!(csv, "{d},{e},solver_upper,{}", c.upper)?;
                lower.push((e, c.lower));
            }
            series.push(Series { name: "certified solver (lower bound)".into(), points: lower, mark: Mark::Points });
        } else {
            // The solver's witness at ε = 1/3 (proofs/witnesses/), re-evaluated exactly.
            let json = std::fs::read_to_string("proofs/witnesses/conj1_d6_eps_one_third.json")?;
            let (wd, we, nu) = witness_measure(&json)?;
            let m = exact_dataset_margin(&nu, wd, we)?;
            writeln!(csv, "{wd},{we},solver_witness,{m}")?;
            series.push(Series { name: "solver witness (exact margin)".into(), points: vec![(we, m)], mark: Mark::Points });
        }
        let plot = LinePlot { bands: Vec::new(), title: format!("ℓ∞-adversarial margin, d = {d}, data y·e_j"), x_label: "ε".into(), y_label: "worst-case margin".into(), series };
        line_plot_png(Path::new(&format!("figures/conj1_margins_d{d}.png")), &plot, (760, 480))?;
    }
    std::fs::write("figures/conj1_margins.csv", csv)?;
    println!("wrote figures/conj1_margins_d4.png, figures/conj1_margins_d6.png, figures/conj1_margins.csv");
    Ok(())
}
