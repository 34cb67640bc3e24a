//! `inputgrad reproduce` through the CLI: runs the experiments named, reports one whose data set
//! is absent as not run (with the fetch hint) without failing, writes the gallery with each
//! experiment's figures and claim verdicts, and loads every cell on a rerun.

use std::process::Command;

fn inputgrad() -> Command {
    Command::new(env!("CARGO_BIN_EXE_inputgrad"))
}

#[test]
fn reproduce_runs_what_it_can_reports_the_rest_and_writes_the_gallery() {
    let work = tempfile::tempdir().unwrap();
    let empty_data = tempfile::tempdir().unwrap();
    // seed000_fig5 at a tiny size (no data needed); seed000_diffroar_svhn needs SVHN, absent here.
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/seed000_fig5.toml")).unwrap();
    let mut doc: toml::Table = spec.parse().unwrap();
    let quick = doc.get_mut("quick").and_then(|v| v.as_table_mut()).unwrap();
    for (k, v) in [("width", 500), ("steps_standard", 300), ("steps_robust", 1500), ("linear_steps", 300)] {
        quick.insert(k.into(), toml::Value::Integer(v));
    }
    let exp = work.path().join("experiments");
    std::fs::create_dir_all(&exp).unwrap();
    std::fs::write(exp.join("seed000_fig5.toml"), toml::to_string(&doc).unwrap()).unwrap();
    let run = || {
        inputgrad()
            .current_dir(work.path())
            .env("INPUTGRAD_DATA", empty_data.path())
            .args(["reproduce", "--skip-verify", "--only", "seed000_fig5,seed000_diffroar_svhn"])
            .output()
            .unwrap()
    };
    let out = run();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let svhn_line = stdout.lines().find(|l| l.starts_with("seed000_diffroar_svhn")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(svhn_line.contains("not run") && svhn_line.contains("svhn"), "{svhn_line}");
    let fig5_line = stdout.lines().find(|l| l.starts_with("seed000_fig5")).unwrap();
    assert!(fig5_line.contains("1 cells computed"), "{fig5_line}");
    let gallery = std::fs::read_to_string(work.path().join("figures/README.md")).unwrap();
    assert!(gallery.contains("## seed000_fig5") && gallery.contains("](seed000_fig5_gradients.png)"), "{gallery}");
    assert!(gallery.contains("## seed000_diffroar_svhn") && gallery.contains("**Not run**"), "{gallery}");
    // Every claim of fig5 appears with its verdict.
    for id in ["000.fig5.all_separate", "000.fig5.standard_leaks", "000.fig5.robust_highlights"] {
        let line = gallery.lines().find(|l| l.contains(&format!("`{id}`"))).unwrap_or_else(|| panic!("{id} missing:\n{gallery}"));
        assert!(line.starts_with("| **holds**") || line.starts_with("| **FAILS**") || line.starts_with("| **not run**"), "{line}");
    }
    assert!(work.path().join("figures/seed000_fig5_gradients.png").is_file());
    // A rerun computes nothing.
    let again = run();
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(stdout.lines().any(|l| l.starts_with("seed000_fig5") && l.contains("0 cells computed, 1 loaded")), "{stdout}");
    // --list names the data sets.
    let list = inputgrad().args(["reproduce", "--list"]).output().unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.lines().any(|l| l.starts_with("seed000_blockmnist") && l.contains("mnist")), "{text}");
    // An unknown id is one clear error.
    let bad = inputgrad().args(["reproduce", "--only", "nope"]).output().unwrap();
    assert_ne!(bad.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown experiment `nope`"));
}
