//! Command-line interface (clap). Commands return `anyhow` errors with context; `main` prints
//! them and sets the exit status.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};

use crate::data::block_mnist::{self, BlockMnistSpec, NullKind, Placement};
use crate::data::store::{self, FileState, Status};
use crate::data::{idx, Normalization, Split};
use crate::experiment::{self, Registry, RunArgs, Scale};
use crate::plot::grid::{image_grid_png, GridStyle};
use crate::rng::Seed;
use crate::verify::{self, Verdict};

pub mod attribute;
pub mod train;

/// inputgrad: executable theory and reproducible experiments on input-gradient attributions.
#[derive(Debug, Parser)]
#[command(name = "inputgrad", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Sub-commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the registered theory checks and print one row per check.
    Verify {
        /// Run only checks whose id contains this pattern (e.g. `000.thm1`).
        #[arg(long)]
        filter: Option<String>,
        /// Write the rows as JSON lines on standard output instead of a table.
        #[arg(long)]
        json: bool,
        /// List the matching checks without running them.
        #[arg(long)]
        list: bool,
    },
    /// Train a model (checkpoints each epoch; re-running the same command resumes).
    Train(Box<train::TrainArgs>),
    /// Attributions of a trained model (`--run DIR` from `train`, or `--pytorch FILE --model
    /// ARCH`) on examples of a data set: `OUT/<method>.npy`, meta.json and attributions.png.
    Attribute(Box<attribute::AttributeArgs>),
    /// Run experiment ID: compute the cells not stored yet, then write FIGURES/ID*.csv, .png, .svg,
    /// ID.meta.json and ID.claims.json and print the claims' verdicts. Re-running resumes from the
    /// finished cells. With --shard i/n only every n-th cell is computed (merge joins them).
    /// Exit status 3 when the experiment's data set is not on disk (it says how to get it).
    Run {
        /// Experiment id, e.g. `seed002_toy` (`inputgrad run --list` shows them).
        #[arg(required_unless_present = "list")]
        id: Option<String>,
        /// List the experiments and exit.
        #[arg(long)]
        list: bool,
        #[command(flatten)]
        grid: GridArgs,
        /// Compute only the cells of shard i of n (0 <= i < n), e.g. `$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`.
        #[arg(long)]
        shard: Option<String>,
    },
    /// Reproduce the papers: the theory checks, then every experiment (or those of --only) whose
    /// data set is on disk — an absent one is reported as not run with its fetch hint — then
    /// FIGURES/README.md, the gallery with each experiment's figures and its claims' verdicts, and
    /// a summary. Reruns are incremental (finished cells are loaded). Exit status 1 when a theory
    /// check fails or an experiment errors; a claim that fails is a result, not an error.
    Reproduce {
        /// Only these experiments (comma-separated ids).
        #[arg(long, value_delimiter = ',')]
        only: Option<Vec<String>>,
        /// List what would run (with each experiment's data sets) and exit.
        #[arg(long)]
        list: bool,
        /// Skip the theory checks.
        #[arg(long)]
        skip_verify: bool,
        #[command(flatten)]
        grid: GridArgs,
        /// Compute only shard i of n of every experiment's cells (no tables, no gallery).
        #[arg(long)]
        shard: Option<String>,
    },
    /// Join the cells that shards computed into the results of experiment ID (as the end of an
    /// unsharded run); fails on missing, unusable or mixed-revision cells.
    Merge {
        /// Experiment id.
        id: String,
        #[command(flatten)]
        grid: GridArgs,
        /// Accept cells computed by different revisions of inputgrad.
        #[arg(long)]
        mixed_revisions: bool,
    },
    /// List the cells of experiment ID as done / missing / unusable, and stale cell files.
    Status {
        /// Experiment id.
        id: String,
        #[command(flatten)]
        grid: GridArgs,
    },
    /// Print the built-in spec of experiment ID (a starting point for a variant; save it as
    /// DIR/ID.toml and pass --experiments-dir DIR).
    Spec {
        /// Experiment id.
        id: String,
    },
    /// Write a Slurm job array for experiment ID (one shard per task) and a merge job that runs
    /// after it; --submit also submits them.
    Slurm(Box<SlurmArgs>),
    /// Redraw the figures of experiment ID from its CSVs (no training).
    Plot {
        /// Experiment id.
        id: String,
        /// Folder holding ID*.csv; the figures are written there.
        #[arg(long, default_value = "figures")]
        figures_dir: PathBuf,
    },
    /// Data sets: check what is on disk, fetch, draw samples.
    Data {
        /// What to do.
        #[command(subcommand)]
        command: DataCommand,
    },
}

/// Where an experiment's spec comes from and its results go.
#[derive(Debug, Clone, clap::Args)]
pub struct GridArgs {
    /// quick (minutes on a laptop) or paper (the seed paper's hyperparameters).
    #[arg(long, value_enum, default_value_t = ScaleArg::Quick)]
    pub scale: ScaleArg,
    /// Output folder.
    #[arg(long, default_value = "figures")]
    pub figures_dir: PathBuf,
    /// Folder of spec files ID.toml overriding the built-in specs (default: ./experiments if it
    /// has ID.toml, else the spec compiled into the binary).
    #[arg(long)]
    pub experiments_dir: Option<PathBuf>,
    /// Device the cells run on: `cpu`, or `cuda:N` in builds with `--features cuda` for the
    /// experiments that support it (`run --list` marks them). Cells record their backend, so
    /// `merge` and `status` need the same `--device` as `run`.
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

impl GridArgs {
    fn run_args(&self) -> RunArgs {
        let scale = match self.scale {
            ScaleArg::Quick => Scale::Quick,
            ScaleArg::Paper => Scale::Paper,
        };
        RunArgs { scale, experiments_dir: self.experiments_dir.clone(), figures_dir: self.figures_dir.clone(), shard: None, mixed_revisions: false, device: self.device.clone() }
    }
}

/// Arguments of `inputgrad slurm`.
#[derive(Debug, clap::Args)]
pub struct SlurmArgs {
    /// Experiment id.
    pub id: String,
    /// Array tasks (shards).
    #[arg(long)]
    pub array: usize,
    #[command(flatten)]
    pub grid: GridArgs,
    /// Partition (`#SBATCH --partition`).
    #[arg(long)]
    pub partition: Option<String>,
    /// Time limit per task (`#SBATCH --time`, e.g. 02:00:00).
    #[arg(long)]
    pub time: Option<String>,
    /// CPUs per task.
    #[arg(long)]
    pub cpus: Option<usize>,
    /// GPUs per task.
    #[arg(long)]
    pub gpus: Option<usize>,
    /// Folder of the scripts (and, below it, the job logs).
    #[arg(long, default_value = "slurm")]
    pub out: PathBuf,
    /// Submit the array and the merge with sbatch.
    #[arg(long)]
    pub submit: bool,
}

/// `inputgrad data …` sub-commands.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// List every known data set as present / missing / incomplete / corrupt (md5), with where to
    /// get it. Exit status 1 if a file is corrupt.
    Check {
        /// Data folder (default: $INPUTGRAD_DATA, else ./data).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Download a data set from its official mirrors, verify md5, write atomically.
    Fetch {
        /// Data set name (`inputgrad data check` lists them).
        name: String,
        /// Data folder (default: $INPUTGRAD_DATA, else ./data).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Base URL replacing the official mirrors: file REL is fetched from MIRROR/REL
        /// (default: $INPUTGRAD_MIRROR, else the official mirrors).
        #[arg(long)]
        mirror: Option<String>,
    },
    /// Draw a grid of sample images (like seed 000 Fig 1a) into a PNG.
    Show {
        /// Which data set.
        #[arg(value_enum)]
        what: ShowWhat,
        /// Output PNG.
        #[arg(long)]
        out: PathBuf,
        /// Seed of the block placements.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// MNIST digits used as classes, e.g. `0,1`, `2,4`, `3,7` (default: 0,1; all ten for
        /// mnist-distractor).
        #[arg(long, value_delimiter = ',')]
        classes: Option<Vec<u8>>,
        /// Number of images.
        #[arg(long, default_value_t = 16)]
        count: usize,
        /// Images per row.
        #[arg(long, default_value_t = 8)]
        cols: usize,
        /// MNIST split the digits come from.
        #[arg(long, value_enum, default_value_t = SplitArg::Test)]
        split: SplitArg,
        /// Data folder (default: $INPUTGRAD_DATA, else ./data).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

/// Data sets `data show` can draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowWhat {
    /// BlockMNIST: signal block on top or bottom at random (seed 000 §5).
    Blockmnist,
    /// BlockMNIST-Top: signal block always on top (seed 000 §5).
    BlockmnistTop,
    /// MNIST with a letter-A distractor above or below (seed 004 B.8).
    MnistDistractor,
}

/// Experiment scales on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScaleArg {
    /// Minutes on a 2-core CPU.
    Quick,
    /// The seed paper's hyperparameters.
    Paper,
}

/// An MNIST split on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    /// 60 000 training images.
    Train,
    /// 10 000 test images.
    Test,
}

/// Parses the command line: [`Cli::parse`], recording which `train` options were given explicitly
/// (so that options without effect can be named, [`train::TrainArgs::unused`]).
pub fn parse() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let (Command::Train(args), Some(m)) = (&mut cli.command, matches.subcommand_matches("train")) {
        args.given = m.ids().filter(|id| m.value_source(id.as_str()) == Some(clap::parser::ValueSource::CommandLine)).map(|id| id.as_str().to_string()).collect();
    }
    cli
}

/// Runs the parsed command. Returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Verify { filter, json, list } => verify_cmd(filter.as_deref(), json, list),
        Command::Train(args) => train::run(&args),
        Command::Attribute(args) => attribute::run(&args),
        Command::Run { id, list, grid, shard } => run_cmd(id.as_deref(), list, &grid, shard.as_deref()),
        Command::Reproduce { only, list, skip_verify, grid, shard } => reproduce_cmd(only.as_deref(), list, skip_verify, &grid, shard.as_deref()),
        Command::Merge { id, grid, mixed_revisions } => merge_cmd(&id, &grid, mixed_revisions),
        Command::Status { id, grid } => status_cmd(&id, &grid),
        Command::Spec { id } => spec_cmd(&id),
        Command::Slurm(args) => slurm_cmd(&args),
        Command::Plot { id, figures_dir } => plot_cmd(&id, &figures_dir),
        Command::Data { command } => match command {
            DataCommand::Check { data_dir } => data_check(data_dir.as_deref()),
            DataCommand::Fetch { name, data_dir, mirror } => data_fetch(&name, data_dir.as_deref(), mirror.as_deref()),
            DataCommand::Show { what, out, seed, classes, count, cols, split, data_dir } => {
                data_show(what, &out, seed, classes, count, cols, split, data_dir.as_deref())
            }
        },
    }
}

fn print_claims(rows: &[experiment::ClaimRow]) -> anyhow::Result<()> {
    if !rows.is_empty() {
        print!("\n{}", experiment::claim::format_rows(rows));
    }
    Ok(())
}

/// Exit status of `run` when the experiment's data is not on disk (nothing computed).
pub const NOT_RUN: i32 = 3;

fn run_cmd(id: Option<&str>, list: bool, grid: &GridArgs, shard: Option<&str>) -> anyhow::Result<i32> {
    let reg = Registry::builtin();
    if list {
        for e in reg.iter() {
            println!("{:<28} {}{}", e.id(), e.about(), if e.gpu() { " [cpu, cuda]" } else { "" });
        }
        return Ok(0);
    }
    let id = id.context("give an experiment id (`inputgrad run --list` shows them)")?;
    reg.find(id)?;
    let mut args = grid.run_args();
    args.shard = shard.map(experiment::Shard::parse).transpose()?;
    let source = match &args.experiments_dir {
        Some(d) => d.join(format!("{id}.toml")).display().to_string(),
        None if Path::new("experiments").join(format!("{id}.toml")).is_file() => format!("experiments/{id}.toml"),
        None => "the built-in spec".into(),
    };
    eprintln!("running {id} at {} scale{}: {source}, outputs in {}", args.scale, shard.map(|s| format!(", shard {s}")).unwrap_or_default(), args.figures_dir.display());
    let report = match experiment::run(&reg, id, &args, &mut |line| eprintln!("  {line}")) {
        Ok(r) => r,
        Err(inputgrad_error @ crate::error::Error::MissingData { .. }) => {
            println!("{id}: not run: data missing — {inputgrad_error}");
            return Ok(NOT_RUN);
        }
        Err(e) => return Err(anyhow::Error::new(e).context(format!("running `{id}`"))),
    };
    for f in &report.files {
        println!("wrote {}", f.display());
    }
    println!("{id}: {} cells computed, {} loaded from an earlier run, {} of {} present, {:.1}s", report.cells_run, report.cells_loaded, report.cells_run + report.cells_loaded, report.cells_total, report.wall_seconds);
    print_claims(&report.claims)?;
    if report.interrupted {
        eprintln!("interrupted: the finished cells are stored; re-run the same command to resume");
        return Ok(130);
    }
    Ok(0)
}

fn reproduce_cmd(only: Option<&[String]>, list: bool, skip_verify: bool, grid: &GridArgs, shard: Option<&str>) -> anyhow::Result<i32> {
    use experiment::reproduce;
    let reg = Registry::builtin();
    let exps = reproduce::select(&reg, only)?;
    let mut args = grid.run_args();
    args.shard = shard.map(experiment::Shard::parse).transpose()?;
    if list {
        for e in &exps {
            println!("{:<28} data: {:<14} {}", e.id(), if e.needs_data().is_empty() { "generated".to_string() } else { e.needs_data().join(", ") }, e.about());
        }
        return Ok(0);
    }
    let t0 = Instant::now();
    let theory = if skip_verify {
        None
    } else {
        eprintln!("== theory checks (inputgrad verify)");
        let t = reproduce::theory_checks(&mut |l| eprintln!("  {l}"));
        eprintln!("  {} hold, {} errata confirmed, {} fail ({:.0} s)", t.holds, t.errata, t.fails, t0.elapsed().as_secs_f64());
        Some(t)
    };
    let ids: Vec<&str> = exps.iter().map(|e| e.id()).collect();
    let outcomes = reproduce::run_all(&reg, &ids, &args, &mut |l| eprintln!("  {l}"))?;
    let claims_of = |id: &str| reg.find(id).map(|e| e.claims().len()).unwrap_or(0);
    println!("\n{:<30} {:>6} {:>6} {:>8} {:>9}  status", "experiment", "holds", "fails", "not run", "wall");
    let mut errors = 0;
    for o in &outcomes {
        let (h, f, n) = o.counts(claims_of(&o.id));
        let status = match &o.status {
            reproduce::Status::Ran(r) => format!("{} cells computed, {} loaded; cells' compute time {:.0} s", r.cells_run, r.cells_loaded, r.cell_seconds),
            reproduce::Status::NotRun(why) => format!("not run: {why}"),
            reproduce::Status::Error(e) => {
                errors += 1;
                format!("ERROR: {e}")
            }
        };
        println!("{:<30} {h:>6} {f:>6} {n:>8} {:>8.0}s  {status}", o.id, o.seconds);
    }
    if args.shard.is_none() {
        let text = reproduce::gallery(&outcomes, theory, &args, &claims_of);
        let path = reproduce::write_gallery(&text, &args.figures_dir)?;
        println!("wrote {}", path.display());
    }
    println!("reproduce: {} experiments in {:.0} s", outcomes.len(), t0.elapsed().as_secs_f64());
    Ok(if errors > 0 || theory.is_some_and(|t| t.fails > 0) { 1 } else { 0 })
}

fn merge_cmd(id: &str, grid: &GridArgs, mixed_revisions: bool) -> anyhow::Result<i32> {
    let reg = Registry::builtin();
    let mut args = grid.run_args();
    args.mixed_revisions = mixed_revisions;
    let report = experiment::merge(&reg, id, &args, &mut |line| eprintln!("  {line}")).with_context(|| format!("merging `{id}`"))?;
    for f in &report.files {
        println!("wrote {}", f.display());
    }
    println!("{id}: merged {} cells", report.cells_loaded);
    print_claims(&report.claims)?;
    Ok(0)
}

fn status_cmd(id: &str, grid: &GridArgs) -> anyhow::Result<i32> {
    let reg = Registry::builtin();
    let args = grid.run_args();
    let st = experiment::status(&reg, id, &args).with_context(|| format!("status of `{id}`"))?;
    let total = st.done.len() + st.missing.len() + st.invalid.len();
    println!("{id} ({} scale): {} of {total} cells done, {} missing, {} unusable, {} stale files", args.scale, st.done.len(), st.missing.len(), st.invalid.len(), st.stale.len());
    for k in &st.done {
        println!("  done     {k}");
    }
    for k in &st.missing {
        println!("  missing  {k}");
    }
    for (k, why) in &st.invalid {
        println!("  unusable {k}: {why}");
    }
    for p in &st.stale {
        println!("  stale    {}", p.display());
    }
    Ok(0)
}

fn spec_cmd(id: &str) -> anyhow::Result<i32> {
    let reg = Registry::builtin();
    print!("{}", reg.find(id)?.builtin_spec());
    Ok(0)
}

fn slurm_cmd(a: &SlurmArgs) -> anyhow::Result<i32> {
    let reg = Registry::builtin();
    let exp = reg.find(&a.id)?;
    let args = a.grid.run_args();
    // Validate the spec and the scale now rather than on the cluster.
    let spec = experiment::run::load_spec(exp, args.experiments_dir.as_deref())?;
    let plan = exp.plan(&spec.scale(args.scale)?, args.scale)?;
    let cwd = std::env::current_dir().context("the current folder")?;
    let abs = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { cwd.join(p) };
    let out = abs(&a.out);
    let job = experiment::slurm::SlurmJob {
        id: a.id.clone(),
        array: a.array,
        scale: args.scale,
        binary: std::env::current_exe().context("the path of this executable")?,
        workdir: cwd.clone(),
        figures_dir: abs(&args.figures_dir),
        experiments_dir: args.experiments_dir.as_deref().map(abs),
        log_dir: out.join("logs"),
        partition: a.partition.clone(),
        time: a.time.clone(),
        cpus: a.cpus,
        gpus: a.gpus,
        device: (args.device != "cpu").then(|| args.device.clone()),
    };
    let s = experiment::slurm::scripts(&job, &out)?;
    let mut written = Vec::new();
    for (name, text) in [(format!("{}.array.sbatch", a.id), &s.array), (format!("{}.merge.sbatch", a.id), &s.merge), (format!("{}.submit.sh", a.id), &s.submit)] {
        let p = out.join(name);
        crate::fsio::write_atomic(&p, text.as_bytes())?;
        written.push(p);
    }
    std::fs::create_dir_all(out.join("logs")).with_context(|| format!("creating {}", out.join("logs").display()))?;
    for p in &written {
        println!("wrote {}", p.display());
    }
    println!("{}: {} cells over {} array tasks; submit with: bash {}", a.id, plan.cells.len(), a.array, written[2].display());
    if a.submit {
        let status = std::process::Command::new("bash").arg(&written[2]).status().context("running the submit script (is sbatch on PATH?)")?;
        if !status.success() {
            bail!("the submit script failed ({status})");
        }
    }
    Ok(0)
}

fn plot_cmd(id: &str, figures_dir: &Path) -> anyhow::Result<i32> {
    let reg = Registry::builtin();
    let files = experiment::plot(&reg, id, figures_dir).with_context(|| format!("plotting `{id}` from {}", figures_dir.display()))?;
    for f in &files {
        println!("wrote {}", f.display());
    }
    Ok(0)
}

fn data_dir_origin(flag: Option<&Path>) -> &'static str {
    if flag.is_some() {
        "--data-dir"
    } else if std::env::var_os(store::DATA_ENV).is_some_and(|v| !v.is_empty()) {
        "$INPUTGRAD_DATA"
    } else {
        "default ./data"
    }
}

fn data_check(flag: Option<&Path>) -> anyhow::Result<i32> {
    let dir = store::resolve_data_dir(flag);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(out, "data dir: {} ({})", dir.display(), data_dir_origin(flag))?;
    let mut corrupt = 0;
    for ds in store::registry() {
        let c = store::check(ds, &dir);
        writeln!(out, "{:<14} {:<11} {}", ds.name, c.status.as_str(), ds.title)?;
        if c.status != Status::Present {
            for f in &c.files {
                let state = match &f.state {
                    FileState::Ok => "ok".to_string(),
                    FileState::Missing => "missing".to_string(),
                    FileState::BadChecksum { expected, got } => format!("CORRUPT: {} {got} is not the official {}", expected.algorithm(), expected.describe()),
                    FileState::BadSize { got } => format!("CORRUPT: size {got} is wrong"),
                    FileState::Unreadable(e) => format!("CORRUPT: unreadable ({e})"),
                };
                writeln!(out, "    {:<48} {state}", f.rel)?;
            }
            if ds.downloads.is_empty() {
                writeln!(out, "    get it: {}", ds.source)?;
            } else {
                writeln!(out, "    get it: inputgrad data fetch {}   (source: {})", ds.name, ds.source)?;
            }
        }
        if c.status == Status::Corrupt {
            corrupt += 1;
        }
    }
    Ok(if corrupt > 0 { 1 } else { 0 })
}

fn data_fetch(name: &str, flag: Option<&Path>, mirror: Option<&str>) -> anyhow::Result<i32> {
    let ds = store::find(name)?;
    let dir = store::resolve_data_dir(flag);
    let mirror = store::resolve_mirror(mirror);
    println!("fetching {} into {} ({}) from {}", ds.name, dir.display(), data_dir_origin(flag), mirror.as_deref().unwrap_or("the official mirrors"));
    store::fetch(ds, &dir, mirror.as_deref(), &mut |line| println!("  {line}")).with_context(|| format!("fetching `{name}`"))?;
    let c = store::check(ds, &dir);
    println!("{}: {}", ds.name, c.status.as_str());
    Ok(if c.status == Status::Present { 0 } else { 1 })
}

#[allow(clippy::too_many_arguments)]
fn data_show(what: ShowWhat, out: &Path, seed: u64, classes: Option<Vec<u8>>, count: usize, cols: usize, split: SplitArg, flag: Option<&Path>) -> anyhow::Result<i32> {
    if count == 0 {
        bail!("--count must be >= 1");
    }
    if out.is_dir() || out.extension().is_none_or(|e| !e.eq_ignore_ascii_case("png")) {
        bail!("--out {}: give a file name ending in .png{}", out.display(), if out.is_dir() { " (this is a folder)" } else { "" });
    }
    let dir = store::resolve_data_dir(flag).join("mnist");
    let split = match split {
        SplitArg::Train => Split::Train,
        SplitArg::Test => Split::Test,
    };
    let raw = idx::read_raw(&dir, split).with_context(|| format!("reading MNIST from {}", dir.display()))?;
    let (placement, null) = match what {
        ShowWhat::Blockmnist => (Placement::Random, NullKind::Patch),
        ShowWhat::BlockmnistTop => (Placement::SignalTop, NullKind::Patch),
        ShowWhat::MnistDistractor => (Placement::Random, NullKind::LetterA),
    };
    let digits = classes.unwrap_or_else(|| match what {
        ShowWhat::MnistDistractor => block_mnist::classes::ALL.to_vec(),
        _ => block_mnist::classes::ZERO_ONE.to_vec(),
    });
    let spec = BlockMnistSpec { digits, placement, null, seed: Seed(seed) };
    let norm = Normalization::default();
    let b = block_mnist::build(&raw, &spec, &norm)?;
    let n = count.min(b.data.len());
    let images: Vec<ndarray::Array2<f32>> = (0..n)
        .map(|i| b.data.x.slice(ndarray::s![i, 0, .., ..]).mapv(|v| norm.to_unit(0, v)))
        .collect();
    image_grid_png(out, &images, GridStyle { cols, ..GridStyle::default() })?;
    let tops = b.signal_on_top[..n].iter().filter(|&&t| t).count();
    let labels: Vec<String> = b.data.labels[..n].iter().map(|l| l.to_string()).collect();
    println!("wrote {} ({n} images of {}, seed {seed}; signal on top in {tops}, labels {})", out.display(), spec.name(), labels.join(" "));
    Ok(0)
}

fn verify_cmd(filter: Option<&str>, json: bool, list: bool) -> anyhow::Result<i32> {
    let checks = verify::select(filter);
    if checks.is_empty() {
        bail!("no check id contains `{}`; `inputgrad verify --list` shows them all", filter.unwrap_or(""));
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if list {
        for c in &checks {
            if json {
                writeln!(out, "{}", serde_json::json!({ "id": c.id, "claim": c.claim }))?;
            } else {
                writeln!(out, "{:<32} {}", c.id, c.claim)?;
            }
        }
        return Ok(0);
    }
    if !json {
        writeln!(out, "{:<8} {:<32} {:>11} {:>9} {:>7}  claim  [method]", "verdict", "id", "statistic", "tol", "secs")?;
    }
    let revision = git_revision();
    let mut failed = 0;
    let (mut holds, mut errata) = (0, 0);
    for c in &checks {
        let t0 = Instant::now();
        let row = c.evaluate();
        let secs = t0.elapsed().as_secs_f64();
        match row.verdict {
            Verdict::Fails => failed += 1,
            Verdict::Holds => holds += 1,
            Verdict::Erratum => errata += 1,
        }
        if json {
            let mut value = serde_json::to_value(&row).context("serialising a verify row")?;
            if let Some(obj) = value.as_object_mut() {
                obj.insert("revision".into(), serde_json::Value::String(revision.clone()));
                obj.insert("version".into(), serde_json::Value::String(env!("CARGO_PKG_VERSION").into()));
                obj.insert("seconds".into(), serde_json::json!(secs));
            }
            let line = serde_json::to_string(&value).context("serialising a verify row")?;
            writeln!(out, "{line}")?;
        } else {
            let verdict = match row.verdict {
                Verdict::Holds => "holds",
                Verdict::Fails => "FAILS",
                Verdict::Erratum => "erratum",
            };
            writeln!(out, "{:<8} {:<32} {:>11.3e} {:>9.1e} {:>7.2}  {}  [{}]", verdict, row.id, row.statistic, row.tolerance, secs, row.claim, row.method)?;
            writeln!(out, "{:<8} {:<32} {}  ({})", "", "", row.detail, row.proof)?;
        }
        out.flush()?;
    }
    if !json {
        writeln!(out, "\n{} checks: {holds} hold, {errata} errata confirmed, {failed} fail", checks.len())?;
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

/// The git revision the binary was built from: [`crate::experiment::run::git_revision`].
pub fn git_revision() -> String {
    crate::experiment::run::git_revision()
}

/// An error and its causes on one line, `outer: inner: …`, leaving out a cause whose text the line
/// already holds (the library's I/O errors print their OS error, which is also their source: it
/// appeared twice).
pub fn error_chain(e: &anyhow::Error) -> String {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    line
}
