//! The paper claims an experiment tests, with verdicts like `inputgrad verify`'s.
//!
//! A [`Claim`] names the sentence, its source (seed, figure or table), the statistical rule that
//! decides it, the paper's number where the paper gives one, and a predicate over the
//! experiment's result tables. [`evaluate`] turns each into a [`ClaimRow`]: **holds**, **fails**
//! (with our number beside the paper's) or **not run** (missing data or cells, or tables the
//! predicate cannot read).

use serde::{Deserialize, Serialize};

use super::{cell_num, Table};
use crate::error::{Error, Result};

/// The verdict on one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The rule accepts the claim on our results.
    Holds,
    /// The rule rejects it.
    Fails,
    /// Not evaluated (missing data, cells or tables).
    NotRun,
}

impl Verdict {
    /// The word printed in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Fails => "FAILS",
            Verdict::NotRun => "not run",
        }
    }
}

/// What a predicate found.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Whether the rule accepts the claim.
    pub holds: bool,
    /// Our number(s), to print beside the paper's.
    pub ours: String,
    /// Why, in a sentence (the reason when it fails).
    pub detail: String,
}

/// One claim of a paper that an experiment tests.
#[derive(Debug, Clone)]
pub struct Claim {
    /// Stable id, e.g. `002.fig4.l2_weight_highlights`.
    pub id: &'static str,
    /// The sentence, in the paper's terms.
    pub claim: &'static str,
    /// Seed, section, figure or table.
    pub source: &'static str,
    /// The statistical rule that decides it.
    pub rule: &'static str,
    /// The paper's number, or "—" where it gives none.
    pub paper: &'static str,
    /// The predicate over the experiment's tables.
    pub check: fn(&[Table]) -> Result<Outcome>,
}

/// A claim with its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimRow {
    /// Claim id.
    pub id: String,
    /// The sentence.
    pub claim: String,
    /// Its source.
    pub source: String,
    /// The rule.
    pub rule: String,
    /// The paper's number.
    pub paper: String,
    /// Ours.
    pub ours: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Why.
    pub detail: String,
}

/// Evaluates every claim on `tables`; a predicate that cannot read the tables gives "not run".
pub fn evaluate(claims: &[Claim], tables: &[Table]) -> Vec<ClaimRow> {
    claims
        .iter()
        .map(|c| {
            let (verdict, ours, detail) = match (c.check)(tables) {
                Ok(o) => (if o.holds { Verdict::Holds } else { Verdict::Fails }, o.ours, o.detail),
                Err(e) => (Verdict::NotRun, "—".to_string(), e.to_string()),
            };
            ClaimRow { id: c.id.into(), claim: c.claim.into(), source: c.source.into(), rule: c.rule.into(), paper: c.paper.into(), ours, verdict, detail }
        })
        .collect()
}

/// Every claim as "not run" for `reason` (the experiment could not run).
pub fn not_run(claims: &[Claim], reason: &str) -> Vec<ClaimRow> {
    claims
        .iter()
        .map(|c| ClaimRow {
            id: c.id.into(),
            claim: c.claim.into(),
            source: c.source.into(),
            rule: c.rule.into(),
            paper: c.paper.into(),
            ours: "—".into(),
            verdict: Verdict::NotRun,
            detail: reason.into(),
        })
        .collect()
}

/// The verdict table, one claim per two lines (as `inputgrad verify` prints checks).
pub fn format_rows(rows: &[ClaimRow]) -> String {
    let mut out = format!("{:<8} {:<40} {:<22} {:<22} claim  [source; rule]\n", "verdict", "id", "paper", "ours");
    for r in rows {
        out.push_str(&format!("{:<8} {:<40} {:<22} {:<22} {}  [{}; {}]\n", r.verdict.as_str(), r.id, r.paper, r.ours, r.claim, r.source, r.rule));
        out.push_str(&format!("{:<8} {:<40} {}\n", "", "", r.detail));
    }
    let count = |v: Verdict| rows.iter().filter(|r| r.verdict == v).count();
    out.push_str(&format!("{} claims: {} hold, {} fail, {} not run\n", rows.len(), count(Verdict::Holds), count(Verdict::Fails), count(Verdict::NotRun)));
    out
}

/// The table with `suffix` (helper for predicates).
pub fn table<'t>(tables: &'t [Table], suffix: &str) -> Result<&'t Table> {
    tables.iter().find(|t| t.suffix == suffix).ok_or_else(|| Error::param("tables", format!("no table `{suffix}`")))
}

/// Index of column `name` of `t`.
pub fn column(t: &Table, name: &str) -> Result<usize> {
    t.header.iter().position(|h| h == name).ok_or_else(|| Error::Shape(format!("table `{}` has no column `{name}`", t.suffix)))
}

/// The numbers of column `value` in the rows of `t` where every `(column, value)` of `filter`
/// matches.
pub fn values(t: &Table, value: &str, filter: &[(&str, &str)]) -> Result<Vec<f64>> {
    let vc = column(t, value)?;
    let fc: Vec<(usize, &str)> = filter.iter().map(|(c, v)| column(t, c).map(|i| (i, *v))).collect::<Result<_>>()?;
    t.rows.iter().filter(|r| fc.iter().all(|(i, v)| r.get(*i).map(String::as_str) == Some(*v))).map(|r| cell_num(t, r, vc)).collect()
}

/// Mean of a non-empty slice; an error naming `what` if it is empty.
pub fn mean(v: &[f64], what: &str) -> Result<f64> {
    if v.is_empty() {
        return Err(Error::Shape(format!("no rows for {what}")));
    }
    Ok(v.iter().sum::<f64>() / v.len() as f64)
}
