//! The `inputgrad` command line as a user runs it.

use std::process::Command;

fn inputgrad() -> Command {
    Command::new(env!("CARGO_BIN_EXE_inputgrad"))
}

#[test]
fn verify_json_rows_have_every_field() {
    let out = inputgrad().args(["verify", "--filter", "000.psi", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 4);
    for r in &rows {
        for key in ["id", "claim", "method", "statistic", "tolerance", "verdict", "proof", "revision", "version", "seconds"] {
            assert!(r.get(key).is_some(), "row lacks {key}: {r}");
        }
        assert!(r["id"].as_str().unwrap().starts_with("000.psi."));
        assert_ne!(r["verdict"], "fails");
    }
}

#[test]
fn verify_table_and_summary() {
    let out = inputgrad().args(["verify", "--filter", "000.thm1.p_star"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("erratum  000.thm1.p_star_as_printed"), "{text}");
    assert!(text.contains("1 checks: 0 hold, 1 errata confirmed, 0 fail"), "{text}");
}

#[test]
fn unknown_filter_is_a_clear_error() {
    let out = inputgrad().args(["verify", "--filter", "no-such-check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no-such-check"), "{err}");
}

#[test]
fn list_does_not_run() {
    let out = inputgrad().args(["verify", "--list"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().count() >= 20);
}

#[test]
fn run_unknown_experiment_lists_known_ids() {
    let dir = tempfile::tempdir().unwrap();
    let out = inputgrad().args(["run", "no-such-id", "--figures-dir"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no-such-id") && err.contains("seed002_toy"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing written");
}

#[test]
fn plot_without_csv_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let out = inputgrad().args(["plot", "seed002_toy", "--figures-dir"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("seed002_toy.csv") && err.contains("inputgrad run seed002_toy"), "{err}");
}

#[test]
fn run_bad_scale_table_names_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("seed002_toy.toml"), "title = \"t\"\n[quick]\nd = 3\n").unwrap();
    let out = inputgrad().args(["run", "seed002_toy", "--experiments-dir"]).arg(dir.path()).arg("--figures-dir").arg(dir.path().join("f")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("seed002_toy.toml") && err.contains("quick."), "{err}");
}
