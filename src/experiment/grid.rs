//! The grid every experiment runs on: a spec expands to a [`Plan`] of independent cells; each cell
//! has a stable id (the hash of the experiment, its key, its parameters and the backend that
//! computes it), computes one JSON result, and is stored as one file written atomically.
//!
//! A rerun skips finished cells; a cell file that does not parse, whose id or checksum does not
//! match, is recomputed with a warning naming the file — never used silently. `--shard i/n` runs
//! the cells whose index is i mod n, so a Slurm job array spreads a grid over a cluster; `merge`
//! joins the cells once they all exist. The file I/O lives in [`mod@super::run`].
//!
//! Cell file (`<figures>/cells/<id>/<scale>/<cell id>.json`):
//!
//! ```text
//! { "format": "inputgrad-cell/1", "experiment", "scale", "key", "id", "params", "backend",
//!   "revision", "seconds", "result", "result_md5" }
//! ```
//!
//! `result_md5` is the md5 of the result's JSON text: a hand-edited number is detected.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::claim::Claim;
use super::spec::{Keys, Scale};
use super::{Figure, Table};
use crate::error::{Error, Result};

/// The cell-file format tag.
pub const CELL_FORMAT: &str = "inputgrad-cell/1";

/// One unit of work: a human-readable key and every parameter its result depends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellSpec {
    /// Key, unique within the plan (`standard-seed0`, `d6-eps0.3`, …).
    pub key: String,
    /// Everything the result depends on (recorded in the cell file and hashed into its id).
    pub params: serde_json::Value,
}

impl CellSpec {
    /// A cell from a key and serialisable parameters.
    pub fn new(key: impl Into<String>, params: impl Serialize) -> Result<Self> {
        let params = serde_json::to_value(params).map_err(|e| Error::Shape(format!("cell parameters: {e}")))?;
        Ok(CellSpec { key: key.into(), params })
    }

    /// The stable id of this cell of `experiment` computed on `backend`.
    pub fn id(&self, experiment: &str, backend: &str) -> String {
        let text = serde_json::json!({ "experiment": experiment, "key": self.key, "params": self.params, "backend": backend }).to_string();
        crate::checksum::md5_hex(text.as_bytes())
    }
}

/// What an experiment's spec expands to at one scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The scale's typed parameters (recorded in meta.json; `compute` and `assemble` read them).
    pub params: serde_json::Value,
    /// Every seed used.
    pub seeds: Vec<u64>,
    /// The backend that computes the cells, in words (part of every cell id).
    pub backend: String,
    /// The cells, in the order results are assembled.
    pub cells: Vec<CellSpec>,
}

impl Plan {
    /// The typed parameters.
    pub fn params<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_value(self.params.clone()).map_err(|e| Error::Shape(format!("plan parameters: {e}")))
    }

    /// Checks that the keys are unique.
    pub fn validate(&self, experiment: &str) -> Result<()> {
        let mut keys: Vec<&str> = self.cells.iter().map(|c| c.key.as_str()).collect();
        keys.sort_unstable();
        if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::Shape(format!("{experiment}: two cells share the key `{}`", w[0])));
        }
        Ok(())
    }
}

/// What a cell's computation may use besides its parameters.
pub struct CellContext<'a> {
    /// Progress lines (printed as they come).
    pub log: &'a mut dyn FnMut(&str),
    /// A folder of the cell's own, for checkpoints of a cell that trains (resumed after a kill;
    /// removed when the cell is stored).
    pub scratch: PathBuf,
    /// A folder shared by every cell of the experiment and scale, for artifacts several cells
    /// need (a trained model that many retraining cells attribute): see [`memo`].
    pub shared: PathBuf,
    /// The device `run --device` named (`cpu`, `cuda:N`); only experiments answering `true` to
    /// [`Experiment::gpu`] see anything but `cpu` (see [`super::backend::dispatch`]).
    pub device: String,
}

/// The bytes of the shared artifact `key`: read from `dir` if a valid copy is there, else
/// computed by `compute` and stored (atomically, with an md5 trailer). `compute` must be a pure
/// function of `key` (seeded, thread-count independent): any shard may compute an artifact, and
/// two that do write the same bytes.
pub fn memo(dir: &Path, key: &str, compute: impl FnOnce() -> Result<Vec<u8>>) -> Result<Vec<u8>> {
    if let Some(body) = memo_stored(dir, key) {
        return Ok(body);
    }
    let path = dir.join(format!("{}.bin", crate::checksum::md5_hex(key.as_bytes())));
    let body = compute()?;
    let mut out = body.clone();
    out.extend_from_slice(crate::checksum::md5_hex(&body).as_bytes());
    crate::fsio::write_atomic(&path, &out)?;
    Ok(body)
}

/// The valid stored copy of the shared artifact `key` in `dir`, if any (what [`memo`] would return
/// without computing).
pub fn memo_stored(dir: &Path, key: &str) -> Option<Vec<u8>> {
    let bytes = std::fs::read(dir.join(format!("{}.bin", crate::checksum::md5_hex(key.as_bytes())))).ok()?;
    if bytes.len() < 32 {
        return None;
    }
    let (body, sum) = bytes.split_at(bytes.len() - 32);
    (crate::checksum::md5_hex(body).as_bytes() == sum).then(|| body.to_vec())
}

/// Tables and unmet requirements assembled from the results of every cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Assembled {
    /// Result tables.
    pub tables: Vec<Table>,
    /// Requirements the results missed, one line each (the run writes everything, then fails).
    pub unmet: Vec<String>,
}

/// An experiment: one spec, one figure or table, its claims.
pub trait Experiment: Send + Sync {
    /// The id (`seed000_fig5`).
    fn id(&self) -> &str;
    /// One line on what it reproduces.
    fn about(&self) -> &str;
    /// The built-in spec's TOML text (compiled into the binary).
    fn builtin_spec(&self) -> &str;
    /// The table suffixes it writes (and `plot` reads back).
    fn tables(&self) -> &[&str];
    /// The plan of one scale's spec table.
    fn plan(&self, keys: &Keys<'_>, scale: Scale) -> Result<Plan>;
    /// Computes one cell; returns its result.
    fn compute(&self, plan: &Plan, cell: &CellSpec, ctx: &mut CellContext<'_>) -> Result<serde_json::Value>;
    /// Joins the results of every cell, in plan order, into tables.
    fn assemble(&self, plan: &Plan, results: &[serde_json::Value]) -> Result<Assembled>;
    /// Draws the figures from the tables (as read back from CSV).
    fn plot(&self, tables: &[Table]) -> Result<Vec<Figure>>;
    /// The paper's claims this experiment tests, evaluated on its tables.
    fn claims(&self) -> Vec<Claim> {
        Vec::new()
    }
    /// Whether its cells run on any backend of [`super::backend`] (`run --device cuda:N`);
    /// `false`: the CPU backend only.
    fn gpu(&self) -> bool {
        false
    }
    /// Data sets it needs (names of `inputgrad data check`), for `reproduce`'s skip list.
    fn needs_data(&self) -> &[&str] {
        &[]
    }
}

/// Every n-th cell: `--shard i/n` with 0 ≤ i < n.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard's index.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// Parses `i/n` (0 ≤ i < n), as `$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT` gives it.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || Error::param("shard", format!("`{s}`: expected i/n with 0 <= i < n (e.g. 0/3)"));
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse::<usize>().map_err(|_| bad())?, n.trim().parse::<usize>().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether the cell at `position` of the plan is this shard's.
    pub fn owns(&self, position: usize) -> bool {
        position % self.count == self.index
    }
}

/// A stored cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellFile {
    /// [`CELL_FORMAT`].
    pub format: String,
    /// Experiment id.
    pub experiment: String,
    /// Scale.
    pub scale: Scale,
    /// Cell key.
    pub key: String,
    /// Cell id.
    pub id: String,
    /// Cell parameters.
    pub params: serde_json::Value,
    /// Backend that computed it.
    pub backend: String,
    /// Git revision of the binary that computed it.
    pub revision: String,
    /// Seconds it took.
    pub seconds: f64,
    /// The result.
    pub result: serde_json::Value,
    /// md5 of the result's JSON text.
    pub result_md5: String,
}

impl CellFile {
    /// md5 of a result's JSON text.
    pub fn checksum(result: &serde_json::Value) -> String {
        crate::checksum::md5_hex(result.to_string().as_bytes())
    }

    /// Parses and checks a cell file's bytes against the cell it should hold; `Err` says what is
    /// wrong (the caller names the file).
    pub fn decode(bytes: &[u8], experiment: &str, scale: Scale, cell: &CellSpec, id: &str) -> std::result::Result<CellFile, String> {
        let f: CellFile = serde_json::from_slice(bytes).map_err(|e| format!("not a cell file ({e})"))?;
        if f.format != CELL_FORMAT {
            return Err(format!("format `{}`, expected `{CELL_FORMAT}`", f.format));
        }
        if f.experiment != experiment || f.scale != scale || f.key != cell.key {
            return Err(format!("holds cell `{}` of {} ({}), not `{}` of {experiment} ({scale})", f.key, f.experiment, f.scale, cell.key));
        }
        if f.id != id || f.params != cell.params {
            return Err("was computed for other parameters or another backend (its id differs)".into());
        }
        if Self::checksum(&f.result) != f.result_md5 {
            return Err("its result does not match its checksum (edited or corrupted)".into());
        }
        Ok(f)
    }
}

/// Where the cells of `experiment` at `scale` live under `figures_dir`.
pub fn cell_dir(figures_dir: &Path, experiment: &str, scale: Scale) -> PathBuf {
    figures_dir.join("cells").join(experiment).join(scale.as_str())
}
