//! Writing files so that a crash, a kill or a full disk never leaves a half-written result.
//!
//! [`write_atomic`] writes to a temporary file in the destination's folder (named after the
//! destination, the process and a counter, so two writers never share one), flushes it to disk,
//! renames it over the destination and flushes the folder entry. A reader sees the old file or
//! the new one. On any failure the temporary file is removed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Distinguishes the temporary files of one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Removes the temporary file unless disarmed.
struct TempGuard(Option<PathBuf>);

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Writes `bytes` to `path` atomically, creating the folder if needed (see the module docs).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| Error::Io { path: p, source }
    };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let name = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    let mut guard = TempGuard(Some(tmp.clone()));
    {
        let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(io(path))?;
    guard.0 = None;
    // Make the rename itself durable; a folder that cannot be opened for syncing (some network
    // file systems) still holds the complete file.
    if let Ok(d) = std::fs::File::open(dir.unwrap_or(Path::new("."))) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A lock on an output folder (`.lock` inside it), released when dropped or when the process
/// dies: exclusive for a writer that owns the folder (`train --out`, `run`, `merge`), shared for
/// writers that may work side by side (shards of one grid).
pub struct DirLock {
    #[allow(dead_code)]
    file: std::fs::File,
}

/// Takes the lock of `dir` (created if needed); a second process gets an error naming the folder
/// and `what` it is writing.
pub fn lock_dir(dir: &Path, exclusive: bool, what: &str) -> Result<DirLock> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    let path = dir.join(".lock");
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(|source| Error::Io { path: path.clone(), source })?;
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::fd::AsRawFd;
        let op = if exclusive { libc::LOCK_EX } else { libc::LOCK_SH } | libc::LOCK_NB;
        // SAFETY: flock on a file descriptor this function owns; the lock goes with the file.
        if unsafe { libc::flock(file.as_raw_fd(), op) } != 0 {
            return Err(Error::Io {
                path,
                source: std::io::Error::other(format!("another inputgrad process is writing {what} here; wait for it to finish")),
            });
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = (exclusive, what);
    Ok(DirLock { file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub").join("a.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.json")]);
    }

    #[test]
    fn a_failed_write_removes_its_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // The destination is a folder: the rename fails after the temporary file was written.
        let p = dir.path().join("taken");
        std::fs::create_dir(&p).unwrap();
        std::fs::write(p.join("x"), b"x").unwrap();
        assert!(write_atomic(&p, b"data").is_err());
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("taken")]);
    }
}
