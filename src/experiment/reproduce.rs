//! `inputgrad reproduce`: every registered experiment in one command, then the gallery.
//!
//! Runs the theory checks of [`crate::verify`] first, then each experiment of the registry (or
//! those named) through [`mod@super::run`] — so a rerun is incremental through the cells — reporting
//! an experiment whose data set is absent as *not run* with its fetch hint instead of failing, and
//! an experiment that errors as *error* with the message, without stopping the others. Unless
//! sharded, it writes `<figures>/README.md`: per experiment its figures with a caption, its claims'
//! verdicts with the paper's number beside ours, and the wall time. Like [`mod@super::run`], this
//! module does file I/O; the experiments themselves do none.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::claim::{ClaimRow, Verdict};
use super::registry::Registry;
use super::run::{run, RunArgs, RunReport};
use crate::error::{Error, Result};
use crate::fsio::write_atomic;
use crate::verify;

/// How one experiment ended.
#[derive(Debug, Clone)]
pub enum Status {
    /// Ran (all cells present; tables, figures and claims written unless sharded).
    Ran(RunReport),
    /// Its data set is not on disk: the reason with the fetch hint.
    NotRun(String),
    /// It failed: the error.
    Error(String),
}

/// One experiment's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Experiment id.
    pub id: String,
    /// What it tests, in a line.
    pub about: String,
    /// How it ended.
    pub status: Status,
    /// Wall seconds of this command (0 when every cell was loaded).
    pub seconds: f64,
}

impl Outcome {
    /// (holds, fails, not run) over its claims; every claim counts as not run when the experiment
    /// did not run.
    pub fn counts(&self, claims: usize) -> (usize, usize, usize) {
        match &self.status {
            Status::Ran(r) => {
                let c = |v: Verdict| r.claims.iter().filter(|x| x.verdict == v).count();
                (c(Verdict::Holds), c(Verdict::Fails), c(Verdict::NotRun))
            }
            _ => (0, 0, claims),
        }
    }
}

/// The theory checks' tally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TheoryTally {
    /// Checks that hold.
    pub holds: usize,
    /// Errata of the papers confirmed.
    pub errata: usize,
    /// Checks that fail.
    pub fails: usize,
}

/// Runs every theory check (in registry order), reporting each id through `log`.
pub fn theory_checks(log: &mut dyn FnMut(&str)) -> TheoryTally {
    let mut t = TheoryTally::default();
    for c in verify::select(None) {
        let row = c.evaluate();
        match row.verdict {
            verify::Verdict::Holds => t.holds += 1,
            verify::Verdict::Erratum => t.errata += 1,
            verify::Verdict::Fails => {
                t.fails += 1;
                log(&format!("theory check {} FAILS: {}", row.id, row.detail));
            }
        }
    }
    t
}

/// The experiments named by `only` (all when `None`), each checked to exist.
pub fn select<'r>(reg: &'r Registry, only: Option<&[String]>) -> Result<Vec<&'r dyn super::Experiment>> {
    match only {
        None => Ok(reg.iter().collect()),
        Some(ids) => ids.iter().map(|id| reg.find(id)).collect(),
    }
}

/// Runs the experiments `ids` with `args`, one after the other.
pub fn run_all(reg: &Registry, ids: &[&str], args: &RunArgs, log: &mut dyn FnMut(&str)) -> Result<Vec<Outcome>> {
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        let exp = reg.find(id)?;
        let t0 = Instant::now();
        log(&format!("== {id}"));
        let status = match run(reg, id, args, &mut *log) {
            Ok(r) => Status::Ran(r),
            Err(e @ Error::MissingData { .. }) => Status::NotRun(e.to_string()),
            Err(e) => Status::Error(e.to_string()),
        };
        out.push(Outcome { id: id.to_string(), about: exp.about().to_string(), status, seconds: t0.elapsed().as_secs_f64() });
    }
    Ok(out)
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn claims_table(rows: &[ClaimRow]) -> String {
    let mut s = String::from("| verdict | id | claim | paper | ours | source; rule |\n|---|---|---|---|---|---|\n");
    for r in rows {
        s.push_str(&format!("| **{}** | `{}` | {} | {} | {} | {}; {} |\n", r.verdict.as_str(), r.id, md_escape(&r.claim), md_escape(&r.paper), md_escape(&r.ours), md_escape(&r.source), md_escape(&r.rule)));
    }
    s
}

/// A figure's caption from its file name: the part after the experiment id, words for `_`.
fn caption(id: &str, file: &Path) -> String {
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let rest = stem.strip_prefix(id).unwrap_or(stem).trim_start_matches('_').replace('_', " ");
    if rest.is_empty() {
        id.to_string()
    } else {
        format!("{id}: {rest}")
    }
}

/// The gallery `<figures>/README.md` as text: the theory tally, a summary table, then per
/// experiment its figures (PNG) and its claims.
pub fn gallery(outcomes: &[Outcome], theory: Option<TheoryTally>, args: &RunArgs, claims_of: &dyn Fn(&str) -> usize) -> String {
    let mut s = format!(
        "# Gallery ({} scale)\n\nWritten by `inputgrad reproduce --scale {}` (git {}, device {}). Each experiment's \
         figures, then the paper's claims it tests with the rule that decides each and our number beside the paper's. \
         Specs: `inputgrad spec ID`; tables: `ID*.csv`; provenance: `ID.meta.json`.\n\n",
        args.scale,
        args.scale,
        super::run::git_revision(),
        args.device
    );
    if let Some(t) = theory {
        s.push_str(&format!("**Theory checks** (`inputgrad verify`): {} hold, {} errata of the papers confirmed, {} fail.\n\n", t.holds, t.errata, t.fails));
    }
    s.push_str("| experiment | claims hold | fail | not run | compute time of its cells |\n|---|---:|---:|---:|---:|\n");
    for o in outcomes {
        let (h, f, n) = o.counts(claims_of(&o.id));
        let state = match &o.status {
            Status::Ran(_) => String::new(),
            Status::NotRun(_) => " (not run: data missing)".into(),
            Status::Error(_) => " (error)".into(),
        };
        let secs = match &o.status {
            Status::Ran(r) => r.cell_seconds,
            _ => 0.0,
        };
        s.push_str(&format!("| [{}](#{}){state} | {h} | {f} | {n} | {secs:.0} s |\n", o.id, o.id));
    }
    for o in outcomes {
        s.push_str(&format!("\n## {}\n\n{}\n\n", o.id, md_escape(&o.about)));
        match &o.status {
            Status::Ran(r) => {
                for f in r.files.iter().filter(|f| f.extension().is_some_and(|e| e == "png")) {
                    let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    s.push_str(&format!("![{0}]({1})\n\n*{0}*\n\n", caption(&o.id, f), name));
                }
                s.push_str(&claims_table(&r.claims));
            }
            Status::NotRun(why) => s.push_str(&format!("**Not run** — {}\n", md_escape(why))),
            Status::Error(e) => s.push_str(&format!("**Error** — {}\n", md_escape(e))),
        }
    }
    s
}

/// Writes the gallery to `<figures>/README.md` atomically; returns its path.
pub fn write_gallery(text: &str, figures_dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(figures_dir).map_err(|source| Error::Io { path: figures_dir.to_path_buf(), source })?;
    let path = figures_dir.join("README.md");
    write_atomic(&path, text.as_bytes())?;
    Ok(path)
}
