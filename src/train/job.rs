//! One standalone training run into a folder, as `inputgrad train` performs it: the data from the
//! catalog, the model from its spec, training with checkpoints and exact resume, the per-epoch
//! history (`history.csv`), an optional robust evaluation, and `meta.json` with the seeds, the
//! spec hash, the git revision, the backend and the data's provenance.
//!
//! This is orchestration (it locks, reads and writes the run folder); the steps it strings
//! together — [`catalog::load`], [`model::build`], [`train::train`](super::train),
//! [`robust_accuracy`] — are the ones the experiments call inside their grid cells, whose
//! results go to cell files instead of a run folder. A user's own binary calls [`run_job`] to
//! get the same folder as the command line.

use std::path::Path;
use std::time::Instant;

use burn::module::{AutodiffModule, Module};
use burn::tensor::backend::AutodiffBackend;

use crate::checksum::md5_hex;
use crate::data::{catalog, Normalization};
use crate::error::{Error, Result};
use crate::fsio::write_atomic;
use crate::metric::robustness::robust_accuracy;
use crate::model::{self, Classifier, InputShape, ModelSpec};
use crate::rng::Seed;
use crate::train::{self, Attack, DirStore, EpochRecord, Examples, Objective, RunOptions, StopReason, ThreatModel, TrainConfig};

/// Examples per batch of the robust evaluation's attack.
const ROBUST_EVAL_BATCH: usize = 250;
/// Seed stream of the robust evaluation's random starts (derived from the run's seed).
const STREAM_ROBUST_EVAL: u64 = 7;

/// The robust evaluation after training: `attack` on the first `examples` test examples.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RobustEval {
    /// Test examples attacked (at most the test set).
    pub examples: usize,
    /// The ball.
    pub threat: ThreatModel,
    /// The attack.
    pub attack: Attack,
}

/// What to train, on what, and where the results go.
pub struct TrainJob<'a> {
    /// A catalog name (`mnist`, `fashion-mnist`, `cifar10`, `blockmnist`, …).
    pub data: &'a str,
    /// The digits of the BlockMNIST family (`None`: the catalog's default).
    pub classes: Option<&'a [u8]>,
    /// Train on the first n training examples only.
    pub train_limit: Option<usize>,
    /// Evaluate on the first n test examples only.
    pub test_limit: Option<usize>,
    /// The model for inputs of the given number of coordinates (a family's width may depend on
    /// it, e.g. seed 000's MLP of twice the input dimension).
    pub model: &'a dyn Fn(usize) -> ModelSpec,
    /// The objective (validated by [`run_job`]).
    pub objective: &'a Objective,
    /// Optimiser, schedule, epochs, seed of the shuffles (validated by [`run_job`]).
    pub config: &'a TrainConfig,
    /// Seed of the weights and of the data's random parts.
    pub seed: u64,
    /// Robust evaluation after training, if any.
    pub robust: Option<RobustEval>,
    /// The run folder: checkpoint, `history.csv`, `meta.json`. Locked while the job runs.
    pub out: &'a Path,
    /// Recorded in meta.json (the command line that asked for the run).
    pub command: Vec<String>,
    /// Print a progress bar on a terminal.
    pub progress: bool,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEnd {
    /// Trained (and evaluated); `meta` is what was written to meta.json.
    Finished {
        /// The model's name.
        model: String,
        /// Test accuracy after the last epoch.
        test_accuracy: Option<f64>,
        /// Epochs in the history (resumed ones included).
        epochs: usize,
        /// Why training stopped.
        stop: StopReason,
        /// The meta.json record.
        meta: serde_json::Value,
    },
    /// Interrupted (Ctrl-C / SIGTERM); the checkpoint resumes it. The message says where.
    Interrupted(String),
}

impl TrainJob<'_> {
    /// md5 of what determines the result (model, objective, configuration, data, digits,
    /// limits): two runs with the same hash and seed train the same model.
    pub fn spec_hash(&self, model: &ModelSpec) -> String {
        md5_hex(serde_json::json!({"model": model, "objective": self.objective, "config": self.config, "data": self.data, "classes": self.classes, "limits": [self.train_limit, self.test_limit]}).to_string().as_bytes())
    }
}

/// `history.csv`: one row per epoch (epoch counted from 1, learning rate, train loss and
/// accuracy, test loss and accuracy where evaluated, steps, seconds).
pub fn history_csv(rows: &[EpochRecord]) -> Result<Vec<u8>> {
    let err = |e: &dyn std::fmt::Display| Error::Shape(format!("history.csv: {e}"));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc", "steps", "seconds"]).map_err(|e| err(&e))?;
    for r in rows {
        w.write_record([
            (r.epoch + 1).to_string(),
            r.lr.to_string(),
            r.train_loss.to_string(),
            r.train_acc.to_string(),
            r.test_loss.map(|v| v.to_string()).unwrap_or_default(),
            r.test_acc.map(|v| v.to_string()).unwrap_or_default(),
            r.steps.to_string(),
            r.seconds.to_string(),
        ])
        .map_err(|e| err(&e))?;
    }
    w.into_inner().map_err(|e| err(&e))
}

/// Runs `job` with the data under `data_dir` on `device` (`backend` names it in meta.json);
/// progress lines go to `log`. Resumes from the run folder's checkpoint if there is one.
pub fn run_job<B: AutodiffBackend>(job: &TrainJob, data_dir: &Path, device: &B::Device, backend: &str, log: &mut dyn FnMut(&str)) -> Result<JobEnd>
where
    model::Net<B>: AutodiffModule<B>,
    <model::Net<B> as AutodiffModule<B>>::InnerModule: Classifier<B::InnerBackend>,
{
    let t0 = Instant::now();
    let norm = Normalization::default();
    job.config.validate()?;
    job.objective.validate()?;
    // The output folder before the data: a second process on the same folder fails at once.
    let _lock = crate::fsio::lock_dir(job.out, true, "a training run")?;
    let data = catalog::load(job.data, data_dir, job.classes, Seed(job.seed), &norm)?;
    let train_ds = match job.train_limit {
        Some(n) => data.train.head(n),
        None => data.train,
    };
    let test_ds = match job.test_limit {
        Some(n) => data.test.head(n),
        None => data.test,
    };
    let (c, h, w) = train_ds.image_shape();
    let (xtr, xte) = (train_ds.flattened(), test_ds.flattened());
    let tr = Examples::new(xtr.view(), &train_ds.labels, Some([c, h, w]))?;
    let te = Examples::new(xte.view(), &test_ds.labels, Some([c, h, w]))?;
    let spec = (job.model)(c * h * w);
    let net = model::build::<B>(&spec, InputShape::Image { c, h, w }, train_ds.num_classes, Seed(job.seed), device)?;
    log(&format!(
        "training {} ({} parameters) on {} ({} train / {} test, {c}x{h}x{w}) with {} for up to {} epochs on {backend}",
        spec.name(),
        net.num_params(),
        job.data,
        tr.len(),
        te.len(),
        job.objective.name(),
        job.config.epochs
    ));
    train::trainer::install_interrupt_handler();
    let mut store = DirStore::new(job.out);
    let out = train::train::<B, _>(net, &tr, Some(&te), job.config, job.objective, RunOptions { checkpoint: Some(&mut store), progress: job.progress, ..Default::default() }, device)?;
    write_atomic(&job.out.join("history.csv"), &history_csv(&out.history)?)?;
    if let StopReason::Interrupted { global_step } = out.stop {
        return Ok(JobEnd::Interrupted(format!("interrupted after {global_step} steps; checkpoint in {} (re-run the same command to resume)", store.path().display())));
    }
    let mut robust = None;
    if let Some(r) = &job.robust {
        let n = r.examples.min(te.len());
        let (clean, rob) = match robust_accuracy::<B, _>(&out.model, xte.slice(ndarray::s![..n, ..]), &te.y[..n], &r.threat, &r.attack, ROBUST_EVAL_BATCH, Seed(job.seed).derive(STREAM_ROBUST_EVAL), device) {
            Err(Error::Interrupted { what }) => {
                return Ok(JobEnd::Interrupted(format!("interrupted during {what}; the trained model is in {} (re-run the same command to evaluate it)", store.path().display())));
            }
            res => res?,
        };
        log(&format!("robust accuracy on {n} test examples under {:?} eps {}: {rob:.4} (clean {clean:.4})", r.threat.norm, r.threat.eps));
        robust = Some(serde_json::json!({ "examples": n, "threat": r.threat, "attack": r.attack, "clean_accuracy": clean, "robust_accuracy": rob }));
    }
    let last = out.history.last();
    let meta = serde_json::json!({
        "command": job.command,
        "data": job.data,
        "classes": job.classes,
        "train_examples": tr.len(),
        "test_examples": te.len(),
        "model": spec,
        "objective": job.objective,
        "config": job.config,
        "seed": job.seed,
        "spec_hash": job.spec_hash(&spec),
        "git_revision": crate::experiment::run::git_revision(),
        "backend": backend,
        "resumed": out.resumed,
        "stop": out.stop,
        "epochs_run": out.history.len(),
        "final_test_accuracy": last.and_then(|r| r.test_acc),
        "final_train_loss": last.map(|r| r.train_loss),
        "robust": robust,
        "weights_md5": model::weights_fingerprint::<B, _>(&out.model),
        // This process only; the training time of every epoch, resumed ones included, is next.
        "wall_seconds": t0.elapsed().as_secs_f64(),
        "training_seconds_all_epochs": out.history.iter().map(|r| r.seconds).sum::<f64>(),
        "provenance": { "train": train_ds.provenance, "test": test_ds.provenance },
    });
    let text = serde_json::to_string_pretty(&meta).map_err(|e| Error::Shape(format!("meta.json: {e}")))?;
    write_atomic(&job.out.join("meta.json"), text.as_bytes())?;
    Ok(JobEnd::Finished { model: spec.name(), test_accuracy: last.and_then(|r| r.test_acc), epochs: out.history.len(), stop: out.stop, meta })
}
