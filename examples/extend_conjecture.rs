//! Extending a conjecture with a new experiment: does seed 000's feature leakage (Theorem 1, Fig 5:
//! a standard MLP's gradient spreads evenly over the d/2 task coordinates, a robust one's picks the
//! instance's own) persist at d = 12? One spec, one cell, one table, one claim — registered next to
//! the built-in experiments, so it gets resume, shards, merge and verdicts from the grid.
//!
//!   cargo run --release --example extend_conjecture [-- FIGURES_DIR]
use inputgrad::experiment::claim::{self, Claim, Outcome};
use inputgrad::experiment::seed000_fig5::{wide_backend, Fig5Spec};
use inputgrad::experiment::seed000_zoo::{shares, train_zoo};
use inputgrad::experiment::{cell_num, from_json, run, to_json, Assembled, CellContext, CellSpec, Experiment, Figure, Keys, Plan, Registry, RunArgs, Scale, Table};
use inputgrad::theory::adversarial_margin::support_points;
use inputgrad::train::wide::Batch;
use inputgrad::Result;

const SPEC: &str = "title = \"Feature leakage at d = 12\"\nseed_paper = \"000\"\n[quick]\nd = 12\nseed = 0\nwidth = 2000\neps = 0.35\n\
steps_standard = 300\nsteps_robust = 1500\nlr = 0.3\ninit_scale = 0.5\npgd_steps = 8\nlinear_steps = 300\nlinear_lr = 1.0\n\
[paper]\nd = 12\nseed = 0\nwidth = 10000\neps = 0.35\nsteps_standard = 10000\nsteps_robust = 40000\nlr = 0.3\ninit_scale = 0.5\n\
pgd_steps = 8\nlinear_steps = 5000\nlinear_lr = 1.0\n";

struct LeakageD12;

/// Signal share of `model` in the table (column 1).
fn signal_share(t: &[Table], model: &str) -> Result<f64> {
    let tab = claim::table(t, "")?;
    let row = tab.rows.iter().find(|r| r[0] == model).ok_or_else(|| inputgrad::Error::param("model", model.to_string()))?;
    cell_num(tab, row, 1)
}

impl Experiment for LeakageD12 {
    fn id(&self) -> &str { "ext_leakage_d12" }
    fn about(&self) -> &str { "Theorem 1's feature leakage on eq (2) at d = 12: gradient shares of linear, standard and robust MLPs" }
    fn builtin_spec(&self) -> &str { SPEC }
    fn tables(&self) -> &[&str] { &[""] }
    fn plan(&self, keys: &Keys<'_>, _scale: Scale) -> Result<Plan> {
        let spec = Fig5Spec::from_keys(keys)?;
        Ok(Plan { params: to_json(&spec)?, seeds: vec![spec.seed], backend: wide_backend(), cells: vec![CellSpec::new("zoo", &spec)?] })
    }
    fn compute(&self, plan: &Plan, _cell: &CellSpec, ctx: &mut CellContext<'_>) -> Result<serde_json::Value> {
        let spec: Fig5Spec = plan.params()?;
        let pts = support_points(spec.d);
        let x: Vec<f64> = pts.iter().flat_map(|p| p.0.iter().copied()).collect();
        let y: Vec<f64> = pts.iter().map(|p| p.1).collect();
        let js: Vec<usize> = pts.iter().map(|p| p.2).collect();
        let mut rows = Vec::new();
        for (name, model, _) in train_zoo(&spec.zoo, &Batch::new(&x, &y, spec.d)?, spec.seed, ctx.log)? {
            let (_, g) = model.logits_and_grads(&x, spec.d)?;
            let (s, t, n) = shares(&g, spec.d, &js);
            rows.push(vec![name, s.to_string(), t.to_string(), n.to_string()]);
        }
        to_json(&rows)
    }
    fn assemble(&self, _plan: &Plan, results: &[serde_json::Value]) -> Result<Assembled> {
        let header = ["model", "signal_share", "task_leak_share", "noise_share"].map(String::from).to_vec();
        Ok(Assembled { tables: vec![Table { suffix: String::new(), header, rows: from_json(&results[0])? }], unmet: Vec::new() })
    }
    fn plot(&self, _tables: &[Table]) -> Result<Vec<Figure>> { Ok(Vec::new()) }
    fn claims(&self) -> Vec<Claim> {
        vec![Claim {
            id: "ext.d12.leakage",
            claim: "at d = 12 the standard MLP's gradient does not single out the signal coordinate; the robust MLP's does",
            source: "seed 000 Theorem 1 and Fig 5, extended from d = 10 to d = 12",
            rule: "standard signal share < 2 × 2/d (even spread over the d/2 task coordinates is 2/d); robust > ½",
            paper: "≈ 2/d vs ≈ 1 at d = 10",
            check: |t| {
                let (s, r) = (signal_share(t, "standard MLP")?, signal_share(t, "robust MLP")?);
                Ok(Outcome { holds: s < 4.0 / 12.0 && r > 0.5, ours: format!("standard {s:.3}, robust {r:.3}"), detail: "mean over the support points".into() })
            },
        }]
    }
}

fn main() -> Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "figures".into());
    let mut reg = Registry::builtin();
    reg.register(Box::new(LeakageD12))?;
    let report = run(&reg, "ext_leakage_d12", &RunArgs::new(Scale::Quick, dir), &mut |l| eprintln!("{l}"))?;
    print!("{}", claim::format_rows(&report.claims));
    Ok(())
}
