//! Checkpoints: one self-checking file per run, written atomically.
//!
//! Layout of `checkpoint.bin`: the magic line `INPUTGRAD-CKPT 1\n`, then three length-prefixed
//! sections (u64 little-endian length + bytes): the trainer state (JSON), the model record and the
//! optimiser record (burn's named MessagePack, full precision), then the md5 of everything before
//! it (16 bytes). A torn or corrupted file is refused with an error naming it, never half-loaded.
//! Writes go to `checkpoint.bin.tmp`, are synced, then renamed over the old file, so a run killed
//! while writing keeps its previous checkpoint.

use std::path::{Path, PathBuf};

use md5::{Digest, Md5};

use crate::error::{Error, Result};

const MAGIC: &[u8] = b"INPUTGRAD-CKPT 1\n";
const FILE: &str = "checkpoint.bin";

/// The three parts of a checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// Trainer state as JSON.
    pub state: Vec<u8>,
    /// Model record bytes.
    pub model: Vec<u8>,
    /// Optimiser record bytes.
    pub optim: Vec<u8>,
}

/// Where a run keeps its checkpoint.
pub trait CheckpointStore {
    /// Replaces the stored checkpoint.
    fn save(&mut self, ck: &Checkpoint) -> Result<()>;
    /// The stored checkpoint, if any.
    fn load(&self) -> Result<Option<Checkpoint>>;
    /// A description for messages (a path).
    fn describe(&self) -> String;
}

/// Checkpoints kept in memory (tests, and runs that need no resume).
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    /// The last checkpoint saved.
    pub last: Option<Checkpoint>,
    /// How many times `save` was called.
    pub saves: usize,
}

impl CheckpointStore for MemoryStore {
    fn save(&mut self, ck: &Checkpoint) -> Result<()> {
        self.last = Some(ck.clone());
        self.saves += 1;
        Ok(())
    }
    fn load(&self) -> Result<Option<Checkpoint>> {
        Ok(self.last.clone())
    }
    fn describe(&self) -> String {
        "<memory>".into()
    }
}

/// Checkpoints in `dir/checkpoint.bin`.
#[derive(Debug, Clone)]
pub struct DirStore {
    dir: PathBuf,
}

impl DirStore {
    /// A store in `dir` (created on first save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        DirStore { dir: dir.into() }
    }

    /// The checkpoint file.
    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE)
    }
}

/// Encodes a checkpoint into the file format.
pub fn encode(ck: &Checkpoint) -> Vec<u8> {
    let mut out = Vec::with_capacity(MAGIC.len() + 24 + ck.state.len() + ck.model.len() + ck.optim.len() + 16);
    out.extend_from_slice(MAGIC);
    for part in [&ck.state, &ck.model, &ck.optim] {
        out.extend_from_slice(&(part.len() as u64).to_le_bytes());
        out.extend_from_slice(part);
    }
    let sum = Md5::digest(&out);
    out.extend_from_slice(&sum);
    out
}

/// Decodes the file format; `path` only names the file in errors.
pub fn decode(bytes: &[u8], path: &Path) -> Result<Checkpoint> {
    let bad = |reason: &str| Error::Format { path: path.to_path_buf(), reason: format!("not a valid checkpoint: {reason}") };
    if bytes.len() < MAGIC.len() + 16 || !bytes.starts_with(MAGIC) {
        return Err(bad("missing header"));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 16);
    if Md5::digest(body).as_slice() != sum {
        return Err(bad("checksum mismatch (torn or corrupted file)"));
    }
    let mut rest = &body[MAGIC.len()..];
    let mut parts = Vec::with_capacity(3);
    for name in ["state", "model", "optimiser"] {
        if rest.len() < 8 {
            return Err(bad(&format!("{name} section truncated")));
        }
        let (len, tail) = rest.split_at(8);
        let len = u64::from_le_bytes(len.try_into().map_err(|_| bad("length"))?) as usize;
        if tail.len() < len {
            return Err(bad(&format!("{name} section truncated")));
        }
        parts.push(tail[..len].to_vec());
        rest = &tail[len..];
    }
    if !rest.is_empty() {
        return Err(bad("trailing bytes"));
    }
    let optim = parts.pop().unwrap_or_default();
    let model = parts.pop().unwrap_or_default();
    let state = parts.pop().unwrap_or_default();
    Ok(Checkpoint { state, model, optim })
}

pub use crate::fsio::write_atomic;

impl CheckpointStore for DirStore {
    fn save(&mut self, ck: &Checkpoint) -> Result<()> {
        write_atomic(&self.path(), &encode(ck))
    }
    fn load(&self) -> Result<Option<Checkpoint>> {
        let path = self.path();
        match std::fs::read(&path) {
            Ok(bytes) => decode(&bytes, &path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Io { path, source: e }),
        }
    }
    fn describe(&self) -> String {
        self.path().display().to_string()
    }
}
