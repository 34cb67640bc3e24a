//! Slurm job arrays over an experiment's shards, and the merge that waits for them.
//!
//! [`scripts`] writes three texts: an array job whose task k runs
//! `inputgrad run ID --shard k/N` (`$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`), a merge job,
//! and a submit script that submits the array and then the merge with `--dependency=afterok` on
//! it. Every path is absolute, so the jobs run wherever Slurm starts them. The shards share the
//! figures folder (each cell is its own file, written atomically); the merge joins them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::spec::Scale;
use crate::error::{Error, Result};

/// What the jobs run and ask for.
#[derive(Debug, Clone, PartialEq)]
pub struct SlurmJob {
    /// Experiment id.
    pub id: String,
    /// Array tasks (= shards).
    pub array: usize,
    /// Scale.
    pub scale: Scale,
    /// The `inputgrad` executable (absolute).
    pub binary: PathBuf,
    /// Working folder of the jobs (absolute).
    pub workdir: PathBuf,
    /// Figures folder (absolute).
    pub figures_dir: PathBuf,
    /// Spec folder (absolute), if not the built-in specs.
    pub experiments_dir: Option<PathBuf>,
    /// Folder of the job logs (absolute).
    pub log_dir: PathBuf,
    /// `--partition`.
    pub partition: Option<String>,
    /// `--time`.
    pub time: Option<String>,
    /// `--cpus-per-task`.
    pub cpus: Option<usize>,
    /// `--gpus` (per array task).
    pub gpus: Option<usize>,
    /// `--device` passed to `run` (e.g. `cuda:0`).
    pub device: Option<String>,
}

/// The array job, the merge job and the submit script.
#[derive(Debug, Clone, PartialEq)]
pub struct Scripts {
    /// `<id>.array.sbatch`.
    pub array: String,
    /// `<id>.merge.sbatch`.
    pub merge: String,
    /// `<id>.submit.sh`.
    pub submit: String,
}

/// Quotes `s` for a POSIX shell.
fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn path(p: &Path) -> String {
    sh(&p.display().to_string())
}

fn check_absolute(name: &str, p: &Path) -> Result<()> {
    if p.is_absolute() {
        Ok(())
    } else {
        Err(Error::param(name, format!("{} must be an absolute path (jobs start in another folder)", p.display())))
    }
}

/// The texts for `job`; the file names are `<id>.array.sbatch`, `<id>.merge.sbatch` and
/// `<id>.submit.sh` in `script_dir`.
pub fn scripts(job: &SlurmJob, script_dir: &Path) -> Result<Scripts> {
    if job.array == 0 {
        return Err(Error::param("array", "a job array needs at least 1 task"));
    }
    for (n, p) in [("binary", &job.binary), ("workdir", &job.workdir), ("figures-dir", &job.figures_dir), ("log dir", &job.log_dir), ("script dir", &script_dir.to_path_buf())] {
        check_absolute(n, p)?;
    }
    if let Some(d) = &job.experiments_dir {
        check_absolute("experiments-dir", d)?;
    }
    let for_word = |name: &str, v: &str| -> Result<()> {
        if v.is_empty() || v.chars().any(|c| c.is_whitespace() || c == '\'' || c == '"') {
            return Err(Error::param(name, format!("`{v}` is not a single word")));
        }
        Ok(())
    };
    let mut header = String::new();
    if let Some(p) = &job.partition {
        for_word("partition", p)?;
        let _ = writeln!(header, "#SBATCH --partition={p}");
    }
    if let Some(t) = &job.time {
        for_word("time", t)?;
        let _ = writeln!(header, "#SBATCH --time={t}");
    }
    if let Some(c) = job.cpus {
        let _ = writeln!(header, "#SBATCH --cpus-per-task={c}");
    }
    let id = &job.id;
    let mut common = format!("--scale {} --figures-dir {}", job.scale, path(&job.figures_dir));
    if let Some(d) = &job.experiments_dir {
        let _ = write!(common, " --experiments-dir {}", path(d));
    }
    // The device names the backend, part of every cell id: the merge must name it too.
    if let Some(d) = &job.device {
        let _ = write!(common, " --device {}", sh(d));
    }
    let log = |suffix: &str| job.log_dir.join(format!("{id}-{suffix}.out")).display().to_string();
    let mut array = format!(
        "#!/bin/bash\n# inputgrad: experiment {id}, {n} shards ({scale} scale). Task k runs shard k/{n}.\n#SBATCH --job-name=inputgrad-{id}\n#SBATCH --array=0-{last}\n#SBATCH --output={out}\n{header}",
        n = job.array,
        scale = job.scale,
        last = job.array - 1,
        out = log("%A_%a"),
    );
    if let Some(g) = job.gpus {
        let _ = writeln!(array, "#SBATCH --gpus={g}");
    }
    let _ = write!(
        array,
        "set -euo pipefail\ncd {wd}\nexec {bin} run {id} {common} --shard \"$SLURM_ARRAY_TASK_ID/${{SLURM_ARRAY_TASK_COUNT:-{n}}}\"\n",
        wd = path(&job.workdir),
        bin = path(&job.binary),
        n = job.array,
    );
    let merge = format!(
        "#!/bin/bash\n# inputgrad: merge of experiment {id} once every shard has finished.\n#SBATCH --job-name=inputgrad-{id}-merge\n#SBATCH --output={out}\n{header}set -euo pipefail\ncd {wd}\nexec {bin} merge {id} {common}\n",
        out = log("merge-%j"),
        wd = path(&job.workdir),
        bin = path(&job.binary),
    );
    let submit = format!(
        "#!/bin/bash\n# Submits the {n}-task array of {id} and its merge (run after every task succeeded).\nset -euo pipefail\nmkdir -p {logs}\narray=$(sbatch --parsable {a})\nmerge=$(sbatch --parsable --dependency=afterok:${{array%%;*}} {m})\necho \"array job ${{array%%;*}}, merge job ${{merge%%;*}}\"\n",
        n = job.array,
        logs = path(&job.log_dir),
        a = path(&script_dir.join(format!("{id}.array.sbatch"))),
        m = path(&script_dir.join(format!("{id}.merge.sbatch"))),
    );
    Ok(Scripts { array, merge, submit })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> SlurmJob {
        SlurmJob {
            id: "seed002_toy".into(),
            array: 3,
            scale: Scale::Quick,
            binary: "/opt/bin/inputgrad".into(),
            workdir: "/work".into(),
            figures_dir: "/work/fig dir".into(),
            experiments_dir: None,
            log_dir: "/work/logs".into(),
            partition: Some("gpu".into()),
            time: Some("01:00:00".into()),
            cpus: Some(4),
            gpus: Some(1),
            device: Some("cuda:0".into()),
        }
    }

    #[test]
    fn the_array_runs_one_shard_per_task_and_the_merge_waits_for_it() {
        let s = scripts(&job(), Path::new("/work/slurm")).unwrap();
        assert!(s.array.contains("#SBATCH --array=0-2\n"));
        assert!(s.array.contains("#SBATCH --partition=gpu\n#SBATCH --time=01:00:00\n#SBATCH --cpus-per-task=4\n"));
        assert!(s.array.contains("#SBATCH --gpus=1\n"));
        assert!(s.array.contains("run seed002_toy --scale quick --figures-dir '/work/fig dir' --device 'cuda:0' --shard \"$SLURM_ARRAY_TASK_ID/${SLURM_ARRAY_TASK_COUNT:-3}\""));
        // The merge names the device too: it is part of every cell id.
        assert!(s.merge.contains("exec '/opt/bin/inputgrad' merge seed002_toy --scale quick --figures-dir '/work/fig dir' --device 'cuda:0'\n"));
        assert!(!s.merge.contains("--gpus"));
        assert!(s.submit.contains("--dependency=afterok:${array%%;*} '/work/slurm/seed002_toy.merge.sbatch'"));
    }

    #[test]
    fn relative_paths_and_odd_words_are_refused() {
        let mut j = job();
        j.figures_dir = "figures".into();
        assert!(scripts(&j, Path::new("/w")).unwrap_err().to_string().contains("figures-dir"));
        let mut j = job();
        j.partition = Some("a b".into());
        assert!(scripts(&j, Path::new("/w")).unwrap_err().to_string().contains("partition"));
        let mut j = job();
        j.array = 0;
        assert!(scripts(&j, Path::new("/w")).is_err());
    }
}
