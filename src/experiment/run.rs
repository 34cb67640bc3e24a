//! `inputgrad run / merge / status / plot <id>`: every file the experiment layer reads or writes.
//!
//! Layout under the figures folder (default `figures/`):
//!
//! ```text
//! <id>.csv, <id><suffix>.csv          result tables
//! <id><suffix>.png, .svg              figures
//! <id>.meta.json                      spec md5 and source, git revisions, seeds, backend, wall
//!                                     time, cells, tables' row counts and md5s, claim summary
//! <id>.claims.json                    the claims with their verdicts
//! cells/<id>/<scale>/<cell id>.json   one finished cell each (see grid.rs; not committed)
//! ```
//!
//! The spec is `--experiments-dir DIR/<id>.toml` if given, else `./experiments/<id>.toml` if it
//! exists, else the spec compiled into the binary — so an installed binary runs from any folder.
//!
//! **Revisions.** Every cell records the git revision of the binary that computed it. `run` reuses
//! cells of other revisions (a warning names how many) and meta.json lists every revision that
//! contributed; `merge` refuses cells of different revisions unless told to accept them
//! (`--mixed-revisions`), because shards of one grid should be one program.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::claim::{self, ClaimRow};
use super::grid::{cell_dir, Assembled, CellContext, CellFile, CellSpec, Experiment, Plan, Shard, CELL_FORMAT};
use super::registry::Registry;
use super::spec::{Scale, SpecFile};
use super::Table;
use crate::error::{Error, Result};
use crate::fsio::write_atomic;

/// Where a run reads its spec and writes its results.
#[derive(Debug, Clone)]
pub struct RunArgs {
    /// quick or paper.
    pub scale: Scale,
    /// Folder of spec files overriding the built-in specs (`--experiments-dir`).
    pub experiments_dir: Option<PathBuf>,
    /// Folder of the outputs (`figures/`).
    pub figures_dir: PathBuf,
    /// Compute only this shard's cells (no tables).
    pub shard: Option<Shard>,
    /// Let `merge` join cells computed by different revisions.
    pub mixed_revisions: bool,
    /// The device cells run on (`cpu`, `cuda:N`); part of each cell's id through the backend name.
    pub device: String,
}

impl RunArgs {
    /// Quick scale, built-in (or local) spec, outputs in `figures_dir`, all cells.
    pub fn new(scale: Scale, figures_dir: impl Into<PathBuf>) -> Self {
        RunArgs { scale, experiments_dir: None, figures_dir: figures_dir.into(), shard: None, mixed_revisions: false, device: "cpu".into() }
    }
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// Cells computed in this run.
    pub cells_run: usize,
    /// Cells loaded from earlier runs (or other shards).
    pub cells_loaded: usize,
    /// Cells in the plan.
    pub cells_total: usize,
    /// Whether the tables, figures and claims were written (not for a shard).
    pub assembled: bool,
    /// Files written (CSV, PNG, SVG, meta.json, claims.json).
    pub files: Vec<PathBuf>,
    /// The claims' verdicts (empty for a shard).
    pub claims: Vec<ClaimRow>,
    /// Seconds.
    pub wall_seconds: f64,
    /// Seconds the results' cells took to compute, loaded ones included (0 for a shard).
    pub cell_seconds: f64,
    /// Whether an interrupt stopped the run early.
    pub interrupted: bool,
}

/// Where each cell stands.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatusReport {
    /// Keys of valid stored cells.
    pub done: Vec<String>,
    /// Keys of cells with no file.
    pub missing: Vec<String>,
    /// Keys of cells whose file is unusable, and why.
    pub invalid: Vec<(String, String)>,
    /// Files in the cell folder that belong to no cell of the current plan (older parameters).
    pub stale: Vec<PathBuf>,
}

/// The git revision the binary was built from (`git rev-parse HEAD` at build time, suffixed
/// `-dirty` when the sources differed from it), or "unknown" when built outside a checkout.
/// Recorded beside results: it names the code that computed them, whatever the working tree
/// holds when the command runs (build.rs).
pub fn git_revision() -> String {
    env!("INPUTGRAD_BUILD_REVISION").to_string()
}

/// The spec of `exp`: `dir/<id>.toml` if a folder is given, else `./experiments/<id>.toml` if it
/// exists, else the built-in one.
pub fn load_spec(exp: &dyn Experiment, dir: Option<&Path>) -> Result<SpecFile> {
    let id = exp.id();
    let read = |path: PathBuf| -> Result<SpecFile> {
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io { path: path.clone(), source })?;
        SpecFile::parse(&path, &text)
    };
    match dir {
        Some(d) => read(d.join(format!("{id}.toml"))),
        None => {
            let local = Path::new("experiments").join(format!("{id}.toml"));
            if local.is_file() {
                read(local)
            } else {
                SpecFile::parse(&builtin_path(id), exp.builtin_spec())
            }
        }
    }
}

/// The name a built-in spec goes by in messages and meta.json.
pub fn builtin_path(id: &str) -> PathBuf {
    PathBuf::from(format!("<built-in>/{id}.toml"))
}

/// The experiment, its spec and its plan at `args.scale`.
fn prepare<'r>(reg: &'r Registry, id: &str, args: &RunArgs) -> Result<(&'r dyn Experiment, SpecFile, Plan)> {
    let exp = reg.find(id)?;
    let spec = load_spec(exp, args.experiments_dir.as_deref())?;
    let keys = spec.scale(args.scale)?;
    let mut plan = exp.plan(&keys, args.scale)?;
    if args.device != "cpu" {
        let backend = super::backend::name(&args.device)?;
        if !exp.gpu() {
            return Err(Error::param("--device", format!("`{}`: experiment `{id}` runs on the CPU backend only", args.device)));
        }
        plan.backend = backend;
    }
    plan.validate(id)?;
    Ok((exp, spec, plan))
}

/// Fails at once, naming the folder, if `dir` cannot be written (before any compute).
pub fn check_writable(dir: &Path) -> Result<()> {
    let probe = dir.join(format!(".inputgrad-write-check-{}", std::process::id()));
    write_atomic(&probe, b"").map_err(|e| match e {
        Error::Io { source, .. } => Error::Io { path: dir.to_path_buf(), source },
        other => other,
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Reads the stored cell at `path`: `Ok(None)` when there is no file, `Err(reason)` when it is
/// unusable.
fn read_cell(path: &Path, exp: &str, scale: Scale, cell: &CellSpec, id: &str) -> std::result::Result<Option<CellFile>, String> {
    match std::fs::read(path) {
        Ok(bytes) => CellFile::decode(&bytes, exp, scale, cell, id).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("unreadable ({e})")),
    }
}

/// Runs experiment `id` at `args.scale`: computes the cells not stored yet (this shard's only,
/// with `args.shard`), then — unless sharded — writes the tables, the figures (drawn from the
/// tables as read back from disk, exactly as `plot` would), the claims and meta.json. `log`
/// receives one line per cell as it finishes. Fails with [`Error::Unmet`] after writing everything
/// when a result misses a requirement of the spec.
pub fn run(reg: &Registry, id: &str, args: &RunArgs, log: &mut dyn FnMut(&str)) -> Result<RunReport> {
    let t0 = Instant::now();
    let (exp, spec, plan) = prepare(reg, id, args)?;
    let dir = cell_dir(&args.figures_dir, id, args.scale);
    check_writable(&args.figures_dir)?;
    let _lock = crate::fsio::lock_dir(&dir, args.shard.is_none(), &format!("`{id}` (shards of one grid may run side by side: --shard i/n)"))?;
    crate::train::trainer::install_interrupt_handler();
    let revision = git_revision();
    let total = plan.cells.len();
    let mut results: Vec<Option<CellFile>> = Vec::with_capacity(total);
    let (mut computed, mut loaded, mut interrupted) = (0usize, 0usize, false);
    for (pos, cell) in plan.cells.iter().enumerate() {
        let cid = cell.id(id, &plan.backend);
        let path = dir.join(format!("{cid}.json"));
        match read_cell(&path, id, args.scale, cell, &cid) {
            Ok(Some(f)) => {
                loaded += 1;
                results.push(Some(f));
                continue;
            }
            Ok(None) => {}
            Err(reason) => log(&format!("warning: {}: {reason}; recomputing cell `{}`", path.display(), cell.key)),
        }
        if args.shard.is_some_and(|s| !s.owns(pos)) {
            results.push(None);
            continue;
        }
        if crate::train::trainer::interrupted() {
            interrupted = true;
            results.push(None);
            continue;
        }
        let scratch = dir.join(format!("{cid}.scratch"));
        let t1 = Instant::now();
        let result = {
            let mut ctx = CellContext { log: &mut *log, scratch: scratch.clone(), shared: dir.join("shared"), device: args.device.clone() };
            exp.compute(&plan, cell, &mut ctx).map_err(|e| match e {
                // Missing data is the whole experiment's state, not this cell's: keep its hint.
                Error::MissingData { .. } => e,
                e => Error::Shape(format!("cell `{}` of {id}: {e}", cell.key)),
            })?
        };
        if crate::train::trainer::interrupted() {
            // A cell interrupted inside (a trainer stopped early) is not a result; its scratch
            // folder keeps its checkpoint for the next run.
            interrupted = true;
            results.push(None);
            continue;
        }
        let seconds = t1.elapsed().as_secs_f64();
        let file = CellFile {
            format: CELL_FORMAT.into(),
            experiment: id.into(),
            scale: args.scale,
            key: cell.key.clone(),
            id: cid,
            params: cell.params.clone(),
            backend: plan.backend.clone(),
            revision: revision.clone(),
            seconds,
            result_md5: CellFile::checksum(&result),
            result,
        };
        let text = serde_json::to_vec(&file).map_err(|e| Error::Format { path: path.clone(), reason: e.to_string() })?;
        write_atomic(&path, &text)?;
        let _ = std::fs::remove_dir_all(&scratch);
        computed += 1;
        log(&format!("[{}/{total}] {}: done in {seconds:.1}s", loaded + computed, cell.key));
        results.push(Some(file));
    }
    let done = results.iter().filter(|r| r.is_some()).count();
    let mut report = RunReport { cells_run: computed, cells_loaded: loaded, cells_total: total, assembled: false, files: Vec::new(), claims: Vec::new(), wall_seconds: 0.0, cell_seconds: 0.0, interrupted };
    if interrupted || args.shard.is_some() || done < total {
        if let Some(s) = args.shard {
            log(&format!("shard {}/{}: {computed} cells computed; {done} of {total} cells present{}", s.index, s.count, if done == total { "; run `inputgrad merge` to write the results" } else { "" }));
        }
        report.wall_seconds = t0.elapsed().as_secs_f64();
        return Ok(report);
    }
    let cells: Vec<CellFile> = results.into_iter().flatten().collect();
    let others = cells.iter().filter(|c| c.revision != revision).count();
    if others > 0 {
        log(&format!("warning: {others} of {total} cells were computed by another revision than {revision} (meta.json lists them)"));
    }
    finish(exp, &spec, &plan, &cells, args, t0, computed, loaded, &mut report)?;
    Ok(report)
}

/// Joins the stored cells of `id` (computed by shards) into the results, as the end of an
/// unsharded `run` does. Fails, listing them, if a cell is missing or unusable, or if the cells
/// come from different revisions (unless `args.mixed_revisions`).
pub fn merge(reg: &Registry, id: &str, args: &RunArgs, log: &mut dyn FnMut(&str)) -> Result<RunReport> {
    let t0 = Instant::now();
    let (exp, spec, plan) = prepare(reg, id, args)?;
    let dir = cell_dir(&args.figures_dir, id, args.scale);
    check_writable(&args.figures_dir)?;
    let _lock = crate::fsio::lock_dir(&dir, true, &format!("`{id}`"))?;
    let st = status_of(exp, &plan, args)?;
    let mut problems = Vec::new();
    if !st.missing.is_empty() {
        problems.push(format!("{} of {} cells missing ({}{}); run the missing shards first", st.missing.len(), plan.cells.len(), st.missing.iter().take(5).cloned().collect::<Vec<_>>().join(", "), if st.missing.len() > 5 { ", …" } else { "" }));
    }
    for (key, why) in &st.invalid {
        problems.push(format!("cell `{key}`: {why}"));
    }
    if !problems.is_empty() {
        return Err(Error::Unmet { what: format!("merging {id} ({} scale) from {}", args.scale, dir.display()), detail: problems.join("; ") });
    }
    let cells: Vec<CellFile> = plan
        .cells
        .iter()
        .map(|c| {
            let cid = c.id(id, &plan.backend);
            read_cell(&dir.join(format!("{cid}.json")), id, args.scale, c, &cid).ok().flatten().ok_or_else(|| Error::Shape(format!("cell `{}` vanished during the merge", c.key)))
        })
        .collect::<Result<_>>()?;
    let mut revisions: Vec<&str> = cells.iter().map(|c| c.revision.as_str()).collect();
    revisions.sort_unstable();
    revisions.dedup();
    if revisions.len() > 1 && !args.mixed_revisions {
        return Err(Error::Unmet {
            what: format!("merging {id}"),
            detail: format!("the cells were computed by {} revisions ({}); rerun the stale shards, or pass --mixed-revisions to accept them", revisions.len(), revisions.join(", ")),
        });
    }
    log(&format!("merging {} cells of {id} from {}", cells.len(), dir.display()));
    let mut report = RunReport { cells_run: 0, cells_loaded: cells.len(), cells_total: plan.cells.len(), assembled: false, files: Vec::new(), claims: Vec::new(), wall_seconds: 0.0, cell_seconds: 0.0, interrupted: false };
    finish(exp, &spec, &plan, &cells, args, t0, 0, cells.len(), &mut report)?;
    Ok(report)
}

/// Where each cell of `id` at `args.scale` stands.
pub fn status(reg: &Registry, id: &str, args: &RunArgs) -> Result<StatusReport> {
    let (exp, _, plan) = prepare(reg, id, args)?;
    status_of(exp, &plan, args)
}

fn status_of(exp: &dyn Experiment, plan: &Plan, args: &RunArgs) -> Result<StatusReport> {
    let id = exp.id();
    let dir = cell_dir(&args.figures_dir, id, args.scale);
    let mut st = StatusReport::default();
    let mut known = std::collections::BTreeSet::new();
    for cell in &plan.cells {
        let cid = cell.id(id, &plan.backend);
        let path = dir.join(format!("{cid}.json"));
        known.insert(format!("{cid}.json"));
        match read_cell(&path, id, args.scale, cell, &cid) {
            Ok(Some(_)) => st.done.push(cell.key.clone()),
            Ok(None) => st.missing.push(cell.key.clone()),
            Err(why) => st.invalid.push((cell.key.clone(), format!("{}: {why}", path.display()))),
        }
    }
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".json") && !known.contains(&name) {
                st.stale.push(e.path());
            }
        }
    }
    st.stale.sort();
    Ok(st)
}

fn csv_bytes(t: &Table) -> Result<Vec<u8>> {
    let err = |e: &dyn std::fmt::Display| Error::Shape(format!("table `{}`: {e}", t.suffix));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&t.header).map_err(|e| err(&e))?;
    for r in &t.rows {
        if r.len() != t.header.len() {
            return Err(Error::Shape(format!("table `{}`: row of {} fields under {} columns", t.suffix, r.len(), t.header.len())));
        }
        w.write_record(r).map_err(|e| err(&e))?;
    }
    w.into_inner().map_err(|e| err(&e))
}

/// Reads one result table (`<id><suffix>.csv`) as `run` wrote it; `suffix` becomes its
/// [`Table::suffix`]. No md5 check against meta.json (`plot` does that).
pub fn read_table(path: &Path, suffix: &str) -> Result<Table> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let fmt = |e: csv::Error| Error::Format { path: path.to_path_buf(), reason: e.to_string() };
    let header: Vec<String> = r.headers().map_err(fmt)?.iter().map(str::to_string).collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        rows.push(rec.map_err(fmt)?.iter().map(str::to_string).collect());
    }
    Ok(Table { suffix: suffix.to_string(), header, rows })
}

fn write_figures(exp: &dyn Experiment, figures_dir: &Path, tables: &[Table]) -> Result<Vec<PathBuf>> {
    let id = exp.id();
    let mut files = Vec::new();
    for f in exp.plot(tables)? {
        let png = figures_dir.join(format!("{id}{}.png", f.suffix));
        write_atomic(&png, &f.png)?;
        files.push(png);
        // Pixel grids come as PNG only (an SVG would hold one rectangle per pixel).
        if !f.svg.is_empty() {
            let svg = figures_dir.join(format!("{id}{}.svg", f.suffix));
            write_atomic(&svg, f.svg.as_bytes())?;
            files.push(svg);
        }
    }
    Ok(files)
}

/// Reads the tables of `exp` back from `figures_dir`, checking each against the row count and
/// md5 that meta.json recorded when they were written (a truncated or edited CSV is refused).
fn read_tables(exp: &dyn Experiment, figures_dir: &Path) -> Result<Vec<Table>> {
    let id = exp.id();
    let meta_path = figures_dir.join(format!("{id}.meta.json"));
    let meta: Option<serde_json::Value> = std::fs::read(&meta_path).ok().and_then(|b| serde_json::from_slice(&b).ok());
    exp.tables()
        .iter()
        .map(|s| {
            let path = figures_dir.join(format!("{id}{s}.csv"));
            if !path.exists() {
                return Err(Error::MissingData { name: path.display().to_string(), hint: format!("run `inputgrad run {id}` first") });
            }
            if let Some(rec) = meta.as_ref().and_then(|m| m.get("tables")).and_then(|t| t.get(format!("{id}{s}.csv"))) {
                let bytes = std::fs::read(&path).map_err(|source| Error::Io { path: path.clone(), source })?;
                if rec.get("md5").and_then(|v| v.as_str()) != Some(crate::checksum::md5_hex(&bytes).as_str()) {
                    return Err(Error::Format {
                        path: path.clone(),
                        reason: format!("differs from what `run` wrote (meta.json records {} rows and its md5); rerun `inputgrad run {id}` or `merge`", rec.get("rows").cloned().unwrap_or_default()),
                    });
                }
            }
            read_table(&path, s)
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn finish(exp: &dyn Experiment, spec: &SpecFile, plan: &Plan, cells: &[CellFile], args: &RunArgs, t0: Instant, computed: usize, loaded: usize, report: &mut RunReport) -> Result<()> {
    let id = exp.id();
    let results: Vec<serde_json::Value> = cells.iter().map(|c| c.result.clone()).collect();
    let Assembled { tables, unmet } = exp.assemble(plan, &results)?;
    let mut files = Vec::new();
    let mut table_records = serde_json::Map::new();
    for t in &tables {
        let name = format!("{id}{}.csv", t.suffix);
        let bytes = csv_bytes(t)?;
        table_records.insert(name.clone(), serde_json::json!({ "rows": t.rows.len(), "md5": crate::checksum::md5_hex(&bytes) }));
        let path = args.figures_dir.join(&name);
        write_atomic(&path, &bytes)?;
        files.push(path);
    }
    // Figures and claims from the tables as read back from disk (what `plot` sees).
    let back: Vec<Table> = exp.tables().iter().map(|s| read_table(&args.figures_dir.join(format!("{id}{s}.csv")), s)).collect::<Result<_>>()?;
    files.extend(write_figures(exp, &args.figures_dir, &back)?);
    let claims = claim::evaluate(&exp.claims(), &back);
    let claims_path = args.figures_dir.join(format!("{id}.claims.json"));
    let claims_json = serde_json::json!({ "id": id, "scale": args.scale, "git_revision": git_revision(), "claims": claims });
    write_atomic(&claims_path, serde_json::to_string_pretty(&claims_json).map_err(|e| Error::Format { path: claims_path.clone(), reason: e.to_string() })?.as_bytes())?;
    files.push(claims_path);
    let mut revisions: Vec<String> = cells.iter().map(|c| c.revision.clone()).collect();
    revisions.sort();
    revisions.dedup();
    let wall = t0.elapsed().as_secs_f64();
    let cell_seconds: f64 = cells.iter().map(|c| c.seconds).sum();
    let count = |v: claim::Verdict| claims.iter().filter(|r| r.verdict == v).count();
    let meta = serde_json::json!({
        "id": id,
        "title": spec.title,
        "scale": args.scale,
        "spec_file": spec.path,
        "spec_md5": spec.md5,
        "git_revision": git_revision(),
        "cell_revisions": revisions,
        "version": env!("CARGO_PKG_VERSION"),
        "seeds": plan.seeds,
        "backend": plan.backend,
        "wall_seconds": wall,
        "cell_seconds": cell_seconds,
        "cells": { "total": plan.cells.len(), "computed": computed, "loaded": loaded, "dir": cell_dir(&args.figures_dir, id, args.scale) },
        "params": plan.params,
        "unmet": unmet,
        "tables": table_records,
        "claims": { "holds": count(claim::Verdict::Holds), "fails": count(claim::Verdict::Fails), "not_run": count(claim::Verdict::NotRun) },
    });
    let meta_path = args.figures_dir.join(format!("{id}.meta.json"));
    let text = serde_json::to_string_pretty(&meta).map_err(|e| Error::Format { path: meta_path.clone(), reason: e.to_string() })?;
    write_atomic(&meta_path, text.as_bytes())?;
    files.push(meta_path);
    report.assembled = true;
    report.files = files;
    report.claims = claims;
    report.wall_seconds = wall;
    report.cell_seconds = cell_seconds;
    if !unmet.is_empty() {
        return Err(Error::Unmet { what: format!("{id} ({} scale)", args.scale), detail: unmet.join("; ") });
    }
    Ok(())
}

/// Redraws the figures of `id` from its CSVs in `figures_dir` (no computing). Returns the files
/// written.
pub fn plot(reg: &Registry, id: &str, figures_dir: &Path) -> Result<Vec<PathBuf>> {
    let exp = reg.find(id)?;
    let tables = read_tables(exp, figures_dir)?;
    write_figures(exp, figures_dir, &tables)
}

/// The claims of `id` evaluated on its CSVs in `figures_dir`.
pub fn claims(reg: &Registry, id: &str, figures_dir: &Path) -> Result<Vec<ClaimRow>> {
    let exp = reg.find(id)?;
    let tables = read_tables(exp, figures_dir)?;
    Ok(claim::evaluate(&exp.claims(), &tables))
}
