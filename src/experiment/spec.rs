//! Experiment specifications: one TOML file per figure (id = file stem), one table per scale.
//!
//! ```toml
//! title = "…"          # what the figure shows
//! seed_paper = "002"   # optional
//! [quick]              # runs on a 2-core laptop in minutes
//! …runner-specific keys…
//! [paper]              # the seed paper's hyperparameters
//! …
//! ```
//!
//! Parsing is text → typed values; reading the file is [`mod@super::run`]'s job. Every error is
//! [`Error::Spec`] naming the file and the dotted key (`quick.width`), including unknown keys, so a
//! typo never silently falls back to a default.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How big a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Minutes on a 2-core CPU; shows the qualitative result.
    Quick,
    /// The seed paper's hyperparameters; expects a GPU.
    Paper,
}

impl Scale {
    /// Every scale, in file order.
    pub const ALL: [Scale; 2] = [Scale::Quick, Scale::Paper];

    /// The table name in the spec file.
    pub fn as_str(self) -> &'static str {
        match self {
            Scale::Quick => "quick",
            Scale::Paper => "paper",
        }
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scale {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Scale::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| Error::param("scale", format!("expected `quick` or `paper`, got `{s}`")))
    }
}

/// A parsed spec file: its id, where it came from, its md5, its title and the per-scale tables.
#[derive(Debug, Clone)]
pub struct SpecFile {
    /// The file stem.
    pub id: String,
    /// The file.
    pub path: PathBuf,
    /// md5 of the file's bytes (recorded in meta.json).
    pub md5: String,
    /// `title`.
    pub title: String,
    root: toml::Table,
}

/// Top-level keys every spec may have besides the scale tables.
const TOP_KEYS: [&str; 2] = ["title", "seed_paper"];

impl SpecFile {
    /// Parses the text of the spec file `path`. The id is the file stem.
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let file = path.to_path_buf();
        let id = path
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::Spec { file: file.clone(), key: "(file name)".into(), reason: "the file stem is the experiment id and must be UTF-8".into() })?
            .to_string();
        let root: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let key = e.span().map(|s| key_at(text, s.start)).unwrap_or_else(|| "(syntax)".into());
            // Line and column (1-based) of the offending text.
            let at = e.span().map_or(String::new(), |s| {
                let before = &text[..s.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                format!(" at line {line}, column {col}")
            });
            Error::Spec { file: file.clone(), key, reason: format!("not valid TOML{at}: {}", e.message()) }
        })?;
        for k in root.keys() {
            if !TOP_KEYS.contains(&k.as_str()) && k.parse::<Scale>().is_err() {
                return Err(Error::Spec { file, key: k.clone(), reason: format!("unknown key; allowed: {}, quick, paper", TOP_KEYS.join(", ")) });
            }
        }
        let title = match root.get("title") {
            Some(toml::Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(_) => return Err(Error::Spec { file, key: "title".into(), reason: "must be a non-empty string".into() }),
            None => return Err(Error::Spec { file, key: "title".into(), reason: "missing".into() }),
        };
        if let Some(v) = root.get("seed_paper") {
            if !v.is_str() {
                return Err(Error::Spec { file, key: "seed_paper".into(), reason: "must be a string such as \"002\"".into() });
            }
        }
        let md5 = crate::checksum::md5_hex(text.as_bytes());
        Ok(SpecFile { id, path: file, md5, title, root })
    }

    /// The keys of the `scale` table.
    pub fn scale(&self, scale: Scale) -> Result<Keys<'_>> {
        match self.root.get(scale.as_str()) {
            Some(toml::Value::Table(t)) => Ok(Keys::new(&self.path, scale.as_str().to_string(), t)),
            Some(_) => Err(self.err(scale.as_str(), "must be a table")),
            None => Err(self.err(scale.as_str(), "missing: this spec has no table for this scale")),
        }
    }

    fn err(&self, key: &str, reason: &str) -> Error {
        Error::Spec { file: self.path.clone(), key: key.into(), reason: reason.into() }
    }
}

/// The key of the line holding byte `pos` of a TOML text, for syntax errors: `table.key` when the
/// line is `key = …` below `[table]`, else the table name.
fn key_at(text: &str, pos: usize) -> String {
    let mut table = String::new();
    let mut key = String::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with('[') {
            table = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            key.clear();
        } else if let Some((k, _)) = t.split_once('=') {
            key = k.trim().to_string();
        } else {
            key.clear();
        }
        if pos < start + line.len() {
            break;
        }
        start += line.len();
    }
    match (table.is_empty(), key.is_empty()) {
        (true, true) => "(syntax)".into(),
        (true, false) => key,
        (false, true) => table,
        (false, false) => format!("{table}.{key}"),
    }
}

/// Typed, checked access to one table of a spec. Each getter records the key as used;
/// [`Keys::finish`] rejects the keys nobody asked for.
#[derive(Debug)]
pub struct Keys<'a> {
    file: &'a Path,
    prefix: String,
    table: &'a toml::Table,
    used: RefCell<BTreeSet<String>>,
}

impl<'a> Keys<'a> {
    fn new(file: &'a Path, prefix: String, table: &'a toml::Table) -> Self {
        Keys { file, prefix, table, used: RefCell::new(BTreeSet::new()) }
    }

    /// The dotted name of `key` in this table.
    pub fn path(&self, key: &str) -> String {
        format!("{}.{key}", self.prefix)
    }

    /// An [`Error::Spec`] for `key`.
    pub fn error(&self, key: &str, reason: impl Into<String>) -> Error {
        Error::Spec { file: self.file.to_path_buf(), key: self.path(key), reason: reason.into() }
    }

    fn get(&self, key: &str) -> Result<&'a toml::Value> {
        self.used.borrow_mut().insert(key.to_string());
        self.table.get(key).ok_or_else(|| self.error(key, "missing"))
    }

    /// Whether `key` is present.
    pub fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    /// An integer ≥ `min`.
    pub fn usize_min(&self, key: &str, min: usize) -> Result<usize> {
        match self.get(key)? {
            toml::Value::Integer(i) if *i >= 0 && (*i as u64) >= min as u64 => Ok(*i as usize),
            toml::Value::Integer(i) => Err(self.error(key, format!("must be an integer >= {min}, got {i}"))),
            v => Err(self.error(key, format!("must be an integer, got {}", v.type_str()))),
        }
    }

    /// A finite number in `[lo, hi]` (integers accepted).
    pub fn f64_in(&self, key: &str, lo: f64, hi: f64) -> Result<f64> {
        let v = self.get(key)?;
        let x = number(v).ok_or_else(|| self.error(key, format!("must be a number, got {}", v.type_str())))?;
        if x.is_finite() && x >= lo && x <= hi {
            Ok(x)
        } else {
            Err(self.error(key, format!("must be {}, got {x}", crate::error::allowed_range(lo, hi))))
        }
    }

    /// A non-empty list of finite numbers in `[lo, hi]`, strictly increasing.
    pub fn f64_grid(&self, key: &str, lo: f64, hi: f64) -> Result<Vec<f64>> {
        let arr = match self.get(key)? {
            toml::Value::Array(a) if !a.is_empty() => a,
            toml::Value::Array(_) => return Err(self.error(key, "must not be empty")),
            v => return Err(self.error(key, format!("must be a list of numbers, got {}", v.type_str()))),
        };
        let mut out = Vec::with_capacity(arr.len());
        for (i, v) in arr.iter().enumerate() {
            let x = number(v).ok_or_else(|| self.error(&format!("{key}[{i}]"), format!("must be a number, got {}", v.type_str())))?;
            if !(x.is_finite() && x >= lo && x <= hi) {
                return Err(self.error(&format!("{key}[{i}]"), format!("must be in [{lo}, {hi}], got {x}")));
            }
            if out.last().is_some_and(|&p| x <= p) {
                return Err(self.error(&format!("{key}[{i}]"), "the list must be strictly increasing"));
            }
            out.push(x);
        }
        Ok(out)
    }

    /// A non-empty list of distinct non-negative integers (seeds).
    pub fn seeds(&self, key: &str) -> Result<Vec<u64>> {
        let arr = match self.get(key)? {
            toml::Value::Array(a) if !a.is_empty() => a,
            toml::Value::Array(_) => return Err(self.error(key, "must not be empty")),
            v => return Err(self.error(key, format!("must be a list of integers, got {}", v.type_str()))),
        };
        let mut out: Vec<u64> = Vec::with_capacity(arr.len());
        for (i, v) in arr.iter().enumerate() {
            match v {
                toml::Value::Integer(s) if *s >= 0 && !out.contains(&(*s as u64)) => out.push(*s as u64),
                toml::Value::Integer(s) if *s >= 0 => return Err(self.error(&format!("{key}[{i}]"), format!("seed {s} is listed twice"))),
                _ => return Err(self.error(&format!("{key}[{i}]"), "must be an integer >= 0")),
            }
        }
        Ok(out)
    }

    /// One of `allowed`.
    pub fn choice(&self, key: &str, allowed: &[&str]) -> Result<String> {
        match self.get(key)? {
            toml::Value::String(s) if allowed.contains(&s.as_str()) => Ok(s.clone()),
            toml::Value::String(s) => Err(self.error(key, format!("`{s}` is not one of: {}", allowed.join(", ")))),
            v => Err(self.error(key, format!("must be a string, got {}", v.type_str()))),
        }
    }

    /// A list of strings (may be empty).
    pub fn strings(&self, key: &str) -> Result<Vec<String>> {
        match self.get(key)? {
            toml::Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| v.as_str().map(str::to_string).ok_or_else(|| self.error(&format!("{key}[{i}]"), format!("must be a string, got {}", v.type_str()))))
                .collect(),
            v => Err(self.error(key, format!("must be a list of strings, got {}", v.type_str()))),
        }
    }

    /// A list of integers ≥ `min` (may be empty).
    pub fn usize_list(&self, key: &str, min: usize) -> Result<Vec<usize>> {
        match self.get(key)? {
            toml::Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    toml::Value::Integer(x) if *x >= 0 && (*x as u64) >= min as u64 => Ok(*x as usize),
                    _ => Err(self.error(&format!("{key}[{i}]"), format!("must be an integer >= {min}"))),
                })
                .collect(),
            v => Err(self.error(key, format!("must be a list of integers, got {}", v.type_str()))),
        }
    }

    /// A boolean.
    pub fn bool(&self, key: &str) -> Result<bool> {
        match self.get(key)? {
            toml::Value::Boolean(b) => Ok(*b),
            v => Err(self.error(key, format!("must be true or false, got {}", v.type_str()))),
        }
    }

    /// A string.
    pub fn string(&self, key: &str) -> Result<String> {
        match self.get(key)? {
            toml::Value::String(s) => Ok(s.clone()),
            v => Err(self.error(key, format!("must be a string, got {}", v.type_str()))),
        }
    }

    /// The sub-table `key`.
    pub fn table(&self, key: &str) -> Result<Keys<'a>> {
        match self.get(key)? {
            toml::Value::Table(t) => Ok(Keys::new(self.file, self.path(key), t)),
            v => Err(self.error(key, format!("must be a table, got {}", v.type_str()))),
        }
    }

    /// Rejects every key no getter asked for.
    pub fn finish(&self) -> Result<()> {
        let used = self.used.borrow();
        match self.table.keys().find(|k| !used.contains(*k)) {
            Some(k) => Err(self.error(k, format!("unknown key; this table takes: {}", used.iter().cloned().collect::<Vec<_>>().join(", ")))),
            None => Ok(()),
        }
    }
}

fn number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Float(x) => Some(*x),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}
