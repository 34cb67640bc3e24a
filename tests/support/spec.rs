//! Shared by the experiment-layer tests: a shipped spec with keys of its quick table replaced.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The shipped spec of experiment `id`.
pub fn shipped(id: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("experiments/{id}.toml"))
}

/// The text of the shipped spec of `id` with the keys in `set` of its `[quick]` table replaced
/// (`key = value` lines; keys not in the table are not added).
pub fn tiny(id: &str, set: &[(&str, &str)]) -> String {
    let text = std::fs::read_to_string(shipped(id)).unwrap();
    let mut out = String::new();
    let mut in_quick = false;
    for line in text.lines() {
        if line.starts_with('[') {
            in_quick = line.starts_with("[quick");
        }
        let key = line.split('=').next().unwrap_or("").trim();
        match set.iter().find(|(k, _)| *k == key) {
            Some((k, v)) if in_quick => out.push_str(&format!("{k} = {v}")),
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// `text` with `key = value` in table `[table]` (the key must be there).
#[allow(dead_code)]
pub fn set(text: &str, table: &str, key: &str, value: &str) -> String {
    let mut out = String::new();
    let mut current = String::new();
    let mut found = false;
    for line in text.lines() {
        if line.starts_with('[') {
            current = line.trim_matches(|c| c == '[' || c == ']').to_string();
        }
        if current == table && line.split('=').next().unwrap_or("").trim() == key {
            out.push_str(&format!("{key} = {value}"));
            found = true;
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    assert!(found, "no `{key}` in [{table}]");
    out
}

/// `text` with the keys of `set` set in table `[table]` (dotted for sub-tables, e.g.
/// `quick.train`), parsed as TOML; an empty value removes the key.
#[allow(dead_code)]
pub fn edit(text: &str, table: &str, set: &[(&str, &str)]) -> String {
    let mut doc: toml::Table = text.parse().unwrap();
    let mut t = &mut doc;
    for part in table.split('.') {
        t = t.get_mut(part).and_then(|v| v.as_table_mut()).unwrap_or_else(|| panic!("no [{table}]"));
    }
    for (k, v) in set {
        if v.is_empty() {
            t.remove(*k);
            continue;
        }
        let value: toml::Value = format!("x = {v}").parse::<toml::Table>().unwrap().remove("x").unwrap();
        t.insert(k.to_string(), value);
    }
    toml::to_string(&doc).unwrap()
}

/// The rows of a result CSV (panics naming the file).
pub fn csv_rows(path: &Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).records().map(|r| r.unwrap()).collect()
}

/// Writes `text` as the spec of `id` into `dir/experiments`, runs `inputgrad run id` on it through
/// the binary with `$INPUTGRAD_DATA = data`, figures into `fig`; asserts success, returns stdout.
pub fn run_spec_cli(id: &str, text: &str, dir: &Path, fig: &Path, data: &Path) -> String {
    let exp = dir.join("experiments");
    std::fs::create_dir_all(&exp).unwrap();
    std::fs::write(exp.join(format!("{id}.toml")), text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_inputgrad")).args(["run", id, "--figures-dir"]).arg(fig).arg("--experiments-dir").arg(&exp).env("INPUTGRAD_DATA", data).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}
