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

/// `--list` names every check without running any: no verdict, no statistic, no summary line;
/// `--list --json` gives one object per check with its id and claim only.
#[test]
fn list_does_not_run() {
    let out = inputgrad().args(["verify", "--list"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().count() >= 20);
    for l in text.lines() {
        let id = l.split_whitespace().next().unwrap_or("");
        assert!(id.starts_with("00"), "a line that is not a check id: {l}");
        for word in [" holds ", "erratum ", "FAILS", "checks:"] {
            assert!(!l.starts_with(word.trim()) && !l.contains(" checks: "), "a check ran: {l}");
        }
    }
    let out = inputgrad().args(["verify", "--list", "--json"]).output().unwrap();
    assert!(out.status.success());
    let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), text.lines().count());
    for r in &rows {
        let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["claim", "id"], "listing only, no verdict: {r}");
    }
}

/// A reader that stops after one line (`verify --json | head -1`) ends the run quietly, exit 0.
#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::BufRead;
    let mut child = inputgrad().args(["verify", "--json"]).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with('{'), "{first}");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
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

#[test]
fn spec_prints_the_built_in_spec_and_run_list_names_every_experiment() {
    let out = inputgrad().args(["spec", "seed000_fig5"]).output().unwrap();
    assert!(out.status.success());
    let shipped = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/seed000_fig5.toml")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), shipped);
    let out = inputgrad().args(["run", "--list"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for id in ["seed000_fig5", "seed000_fig31", "seed000_leakage", "seed000_maxmargin", "seed002_toy"] {
        assert!(text.contains(id), "{id} not listed:\n{text}");
    }
}

/// From a folder with no experiments/ the binary uses the spec compiled into it.
#[test]
fn an_empty_folder_uses_the_built_in_spec() {
    let dir = tempfile::tempdir().unwrap();
    let out = inputgrad().current_dir(dir.path()).args(["status", "seed000_fig5"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("seed000_fig5 (quick scale): 0 of 1 cells done, 1 missing"), "{text}");
}

#[test]
fn slurm_writes_an_array_a_merge_and_a_submit_script_with_absolute_paths() {
    let dir = tempfile::tempdir().unwrap();
    let out = inputgrad().current_dir(dir.path()).args(["slurm", "seed002_toy", "--array", "3", "--partition", "short", "--time", "00:30:00"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let slurm = dir.path().join("slurm");
    let array = std::fs::read_to_string(slurm.join("seed002_toy.array.sbatch")).unwrap();
    assert!(array.contains("#SBATCH --array=0-2") && array.contains("#SBATCH --partition=short") && array.contains("--shard \"$SLURM_ARRAY_TASK_ID/"), "{array}");
    assert!(array.contains(&format!("--figures-dir '{}'", dir.path().join("figures").display())), "{array}");
    let submit = std::fs::read_to_string(slurm.join("seed002_toy.submit.sh")).unwrap();
    assert!(submit.contains("--dependency=afterok:"), "{submit}");
    assert!(slurm.join("seed002_toy.merge.sbatch").is_file());
    let e = inputgrad().current_dir(dir.path()).args(["slurm", "seed002_toy", "--array", "0"]).output().unwrap();
    assert_eq!(e.status.code(), Some(2));
}

/// A second process that would write the same experiment's results is refused while the first
/// holds its lock (taken here directly on the lock file).
#[test]
fn a_second_writer_of_the_same_results_is_refused() {
    use std::os::fd::AsRawFd;
    let dir = tempfile::tempdir().unwrap();
    let cells = dir.path().join("figures/cells/seed000_fig5/quick");
    std::fs::create_dir_all(&cells).unwrap();
    let f = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(cells.join(".lock")).unwrap();
    // SAFETY: flock on a file this test owns.
    assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }, 0);
    let out = inputgrad().current_dir(dir.path()).args(["run", "seed000_fig5"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("another inputgrad process"), "{err}");
    drop(f);
}
