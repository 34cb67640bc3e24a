//! The registry of theory checks behind `inputgrad verify` and `cargo test`.
//!
//! A check compares a paper's closed form with an independent computation and reports the worst
//! error (or a test statistic) against a tolerance from [`crate::prec`]. Each check knows whether
//! the paper's statement is expected to hold or is an erratum this project found; either way the
//! check can fail: an erratum check fails when the counterexample stops being one.

use serde::Serialize;

pub mod seed000;
pub mod seed001;
pub mod seed003;
pub mod seed004;
pub mod solver;
pub mod stats;

/// What the paper's statement is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// The statement (as written, or as made precise in the claim) holds.
    Holds,
    /// The statement as printed is wrong; the check confirms the counterexample and the correction.
    Erratum,
}

/// Verdict of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The claim was confirmed.
    Holds,
    /// The check did not confirm what it expects (a regression or a wrong claim).
    Fails,
    /// The paper's statement is wrong; the counterexample and the correction were confirmed.
    Erratum,
}

/// What a check measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// Worst error or test statistic.
    pub statistic: f64,
    /// Tolerance or threshold it is compared with.
    pub tolerance: f64,
    /// Whether the expectation was confirmed.
    pub ok: bool,
    /// One line of extra detail (counterexample, parameters).
    pub detail: String,
}

impl Measured {
    /// `ok` when `statistic <= tolerance` (errors, excesses).
    pub fn at_most(statistic: f64, tolerance: f64, detail: impl Into<String>) -> Self {
        Self { statistic, tolerance, ok: statistic <= tolerance, detail: detail.into() }
    }
    /// `ok` when `statistic >= threshold` (p-values, gaps that must be present).
    pub fn at_least(statistic: f64, threshold: f64, detail: impl Into<String>) -> Self {
        Self { statistic, tolerance: threshold, ok: statistic >= threshold, detail: detail.into() }
    }
    /// Combines two measurements: ok only if both are; keeps the first's numbers.
    pub fn and(mut self, other: Measured) -> Self {
        self.ok &= other.ok;
        if !other.ok {
            self.detail = format!("{}; ALSO FAILED: {} (stat {:.3e} vs {:.3e})", self.detail, other.detail, other.statistic, other.tolerance);
        }
        self
    }
}

/// A registered check.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// Stable id, `<seed>.<result>.<step>`.
    pub id: &'static str,
    /// The claim in words, with its equation.
    pub claim: &'static str,
    /// The independent method used.
    pub method: &'static str,
    /// The proofs/ file that documents it.
    pub proof: &'static str,
    /// Expected status of the paper's statement.
    pub expect: Expect,
    /// Runs it.
    pub run: fn() -> Measured,
}

/// One result row, as printed by `inputgrad verify` and written by `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Check id.
    pub id: String,
    /// The claim.
    pub claim: String,
    /// The independent method.
    pub method: String,
    /// Worst error or statistic.
    pub statistic: f64,
    /// Tolerance or threshold.
    pub tolerance: f64,
    /// Verdict.
    pub verdict: Verdict,
    /// Expected status.
    pub expect: Expect,
    /// proofs/ file.
    pub proof: String,
    /// Extra detail.
    pub detail: String,
}

impl Check {
    /// Runs the check and turns the measurement into a verdict.
    pub fn evaluate(&self) -> Row {
        let m = (self.run)();
        let verdict = match (self.expect, m.ok) {
            (_, false) => Verdict::Fails,
            (Expect::Holds, true) => Verdict::Holds,
            (Expect::Erratum, true) => Verdict::Erratum,
        };
        Row {
            id: self.id.to_string(),
            claim: self.claim.to_string(),
            method: self.method.to_string(),
            statistic: m.statistic,
            tolerance: m.tolerance,
            verdict,
            expect: self.expect,
            proof: self.proof.to_string(),
            detail: m.detail,
        }
    }
}

/// Every registered check, in a stable order.
pub fn registry() -> Vec<Check> {
    let mut v = Vec::new();
    v.extend(seed000::checks());
    v.extend(seed001::checks());
    v.extend(seed003::checks());
    v.extend(seed004::checks());
    v.extend(solver::checks());
    v
}

/// The registered checks whose id contains `pattern` (all when `None`).
pub fn select(pattern: Option<&str>) -> Vec<Check> {
    registry().into_iter().filter(|c| pattern.is_none_or(|p| c.id.contains(p))).collect()
}

/// Looks up one check by exact id.
pub fn find(id: &str) -> Option<Check> {
    registry().into_iter().find(|c| c.id == id)
}
