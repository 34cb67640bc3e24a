//! Command-line interface (clap). Commands return `anyhow` errors with context; `main` prints
//! them and sets the exit status.

use std::io::Write;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

use crate::verify::{self, Verdict};

/// inputgrad: executable theory and reproducible experiments on input-gradient attributions.
#[derive(Debug, Parser)]
#[command(name = "inputgrad", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Sub-commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the registered theory checks and print one row per check.
    Verify {
        /// Run only checks whose id contains this pattern (e.g. `000.thm1`).
        #[arg(long)]
        filter: Option<String>,
        /// Write the rows as JSON lines on standard output instead of a table.
        #[arg(long)]
        json: bool,
        /// List the matching checks without running them.
        #[arg(long)]
        list: bool,
    },
}

/// Runs the parsed command. Returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Verify { filter, json, list } => verify_cmd(filter.as_deref(), json, list),
    }
}

fn verify_cmd(filter: Option<&str>, json: bool, list: bool) -> anyhow::Result<i32> {
    let checks = verify::select(filter);
    if checks.is_empty() {
        bail!("no check id contains `{}`; `inputgrad verify --list` shows them all", filter.unwrap_or(""));
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if list {
        for c in &checks {
            writeln!(out, "{:<32} {}", c.id, c.claim)?;
        }
        return Ok(0);
    }
    if !json {
        writeln!(out, "{:<8} {:<32} {:>11} {:>9} {:>7}  claim  [method]", "verdict", "id", "statistic", "tol", "secs")?;
    }
    let mut failed = 0;
    let (mut holds, mut errata) = (0, 0);
    for c in &checks {
        let t0 = Instant::now();
        let row = c.evaluate();
        let secs = t0.elapsed().as_secs_f64();
        match row.verdict {
            Verdict::Fails => failed += 1,
            Verdict::Holds => holds += 1,
            Verdict::Erratum => errata += 1,
        }
        if json {
            let line = serde_json::to_string(&row).context("serialising a verify row")?;
            writeln!(out, "{line}")?;
        } else {
            let verdict = match row.verdict {
                Verdict::Holds => "holds",
                Verdict::Fails => "FAILS",
                Verdict::Erratum => "erratum",
            };
            writeln!(out, "{:<8} {:<32} {:>11.3e} {:>9.1e} {:>7.2}  {}  [{}]", verdict, row.id, row.statistic, row.tolerance, secs, row.claim, row.method)?;
            writeln!(out, "{:<8} {:<32} {}  ({})", "", "", row.detail, row.proof)?;
        }
        out.flush()?;
    }
    if !json {
        writeln!(out, "\n{} checks: {holds} hold, {errata} errata confirmed, {failed} fail", checks.len())?;
    }
    Ok(if failed > 0 { 1 } else { 0 })
}
