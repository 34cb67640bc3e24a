//! `inputgrad run <id>` and `inputgrad plot <id>`: every file the experiment layer reads or writes.
//!
//! Layout under the figures folder (default `figures/`):
//!
//! ```text
//! <id>.csv, <id><suffix>.csv          result tables
//! <id><suffix>.png, .svg              figures
//! <id>.meta.json                      spec md5, git revision, seeds, backend, wall time, cells
//! cells/<id>/<scale>/<cell>.json      one finished cell each (resume; not committed)
//! ```
//!
//! Every file is written to `<path>.tmp` and renamed, so a crash leaves the old file or the new one.
//! A rerun loads each cell whose stored hash matches the current spec and trains only the rest.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::registry::{find, Experiment};
use super::spec::{Scale, SpecFile};
use super::{CellStore, Table};
use crate::error::{Error, Result};
use crate::train::checkpoint::write_atomic;

/// Where a run reads its spec and writes its results.
#[derive(Debug, Clone)]
pub struct RunArgs {
    /// quick or paper.
    pub scale: Scale,
    /// Folder of the spec files (`experiments/`).
    pub experiments_dir: PathBuf,
    /// Folder of the outputs (`figures/`).
    pub figures_dir: PathBuf,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// Cells trained in this run.
    pub cells_run: usize,
    /// Cells loaded from earlier runs.
    pub cells_loaded: usize,
    /// Files written (CSV, PNG, SVG, meta.json).
    pub files: Vec<PathBuf>,
    /// Seconds.
    pub wall_seconds: f64,
}

/// Cells as JSON files in a folder: `{"hash": …, "result": …}`.
#[derive(Debug)]
pub struct DirCells {
    dir: PathBuf,
    /// Cells loaded.
    pub loaded: usize,
    /// Cells saved.
    pub saved: usize,
}

impl DirCells {
    /// Cells under `dir` (created on the first save).
    pub fn new(dir: PathBuf) -> Self {
        DirCells { dir, loaded: 0, saved: 0 }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }
}

impl CellStore for DirCells {
    fn load(&mut self, key: &str, hash: &str) -> Result<Option<serde_json::Value>> {
        let path = self.path(key);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(Error::Io { path, source }),
        };
        let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| Error::Format { path: path.clone(), reason: format!("cell file: {e}") })?;
        if v.get("hash").and_then(|h| h.as_str()) != Some(hash) {
            // Written for other parameters: recompute (and overwrite).
            return Ok(None);
        }
        let result = v.get("result").cloned().ok_or_else(|| Error::Format { path, reason: "cell file has no `result`".into() })?;
        self.loaded += 1;
        Ok(Some(result))
    }

    fn save(&mut self, key: &str, hash: &str, value: &serde_json::Value) -> Result<()> {
        let path = self.path(key);
        let text = serde_json::to_vec(&serde_json::json!({ "hash": hash, "result": value })).map_err(|e| Error::Format { path: path.clone(), reason: e.to_string() })?;
        write_atomic(&path, &text)?;
        self.saved += 1;
        Ok(())
    }
}

/// The git revision the binary was built from (`git rev-parse HEAD` at build time, suffixed
/// `-dirty` when the sources differed from it), or "unknown" when built outside a checkout.
/// Recorded beside results: it names the code that computed them, whatever the working tree
/// holds when the command runs (build.rs).
pub fn git_revision() -> String {
    env!("INPUTGRAD_BUILD_REVISION").to_string()
}

/// Reads and parses `experiments_dir/<id>.toml`.
pub fn load_spec(experiments_dir: &Path, id: &str) -> Result<SpecFile> {
    let path = experiments_dir.join(format!("{id}.toml"));
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Io { path: path.clone(), source })?;
    SpecFile::parse(&path, &text)
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

fn read_table(path: &Path, suffix: &str) -> Result<Table> {
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

fn write_figures(exp: &Experiment, id: &str, figures_dir: &Path, tables: &[Table]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for f in (exp.plot)(tables)? {
        let png = figures_dir.join(format!("{id}{}.png", f.suffix));
        write_atomic(&png, &f.png)?;
        let svg = figures_dir.join(format!("{id}{}.svg", f.suffix));
        write_atomic(&svg, f.svg.as_bytes())?;
        files.push(png);
        files.push(svg);
    }
    Ok(files)
}

fn read_tables(exp: &Experiment, id: &str, figures_dir: &Path) -> Result<Vec<Table>> {
    exp.tables
        .iter()
        .map(|s| {
            let path = figures_dir.join(format!("{id}{s}.csv"));
            if !path.exists() {
                return Err(Error::MissingData { name: path.display().to_string(), hint: format!("run `inputgrad run {id}` first") });
            }
            read_table(&path, s)
        })
        .collect()
}

/// Runs experiment `id` at `args.scale`: trains the cells not stored yet, writes the tables, the
/// figures (drawn from the tables as read back from disk, exactly as `plot` would) and meta.json.
/// `log` receives progress lines. Fails with [`Error::Unmet`] after writing everything when a
/// result misses a requirement of the spec.
pub fn run(id: &str, args: &RunArgs, log: &mut dyn FnMut(&str)) -> Result<RunReport> {
    let t0 = Instant::now();
    // Taken before anything is written: the outputs themselves are tracked files.
    let revision = git_revision();
    let exp = find(id)?;
    let spec = load_spec(&args.experiments_dir, id)?;
    // Validate the requested scale before anything is written.
    spec.scale(args.scale)?;
    let cell_dir = args.figures_dir.join("cells").join(id).join(args.scale.as_str());
    let mut cells = DirCells::new(cell_dir.clone());
    let out = (exp.run)(&spec, args.scale, &mut cells, log)?;
    let mut files = Vec::new();
    for t in &out.tables {
        let path = args.figures_dir.join(format!("{id}{}.csv", t.suffix));
        write_atomic(&path, &csv_bytes(t)?)?;
        files.push(path);
    }
    let tables = read_tables(exp, id, &args.figures_dir)?;
    files.extend(write_figures(exp, id, &args.figures_dir, &tables)?);
    let wall = t0.elapsed().as_secs_f64();
    let meta = serde_json::json!({
        "id": id,
        "title": spec.title,
        "scale": args.scale,
        "spec_file": spec.path,
        "spec_md5": spec.md5,
        "git_revision": revision,
        "version": env!("CARGO_PKG_VERSION"),
        "seeds": out.seeds,
        "backend": out.backend,
        "wall_seconds": wall,
        "cells": { "trained": cells.saved, "loaded": cells.loaded, "dir": cell_dir },
        "params": out.params,
        "unmet": out.unmet,
    });
    let meta_path = args.figures_dir.join(format!("{id}.meta.json"));
    let text = serde_json::to_string_pretty(&meta).map_err(|e| Error::Format { path: meta_path.clone(), reason: e.to_string() })?;
    write_atomic(&meta_path, text.as_bytes())?;
    files.push(meta_path);
    if !out.unmet.is_empty() {
        return Err(Error::Unmet { what: format!("{id} ({} scale)", args.scale), detail: out.unmet.join("; ") });
    }
    Ok(RunReport { cells_run: cells.saved, cells_loaded: cells.loaded, files, wall_seconds: wall })
}

/// Redraws the figures of `id` from its CSVs in `figures_dir` (no training). Returns the files
/// written.
pub fn plot(id: &str, figures_dir: &Path) -> Result<Vec<PathBuf>> {
    let exp = find(id)?;
    let tables = read_tables(exp, id, figures_dir)?;
    write_figures(exp, id, figures_dir, &tables)
}
