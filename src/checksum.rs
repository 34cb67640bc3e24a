//! Checksums used across the toolkit: md5 fingerprints of results, specs, models and data files,
//! and the official digests that downloaded files are verified against.
//!
//! Most official checksums are md5s (MNIST, Fashion-MNIST, UCI, CIFAR, SVHN, lpips's weights).
//! PyTorch's model files are named `<name>-<h>.pth` where `h` is a prefix of the file's sha256
//! (torch.hub's `check_hash`): [`Checksum::Sha256Prefix`] verifies those the same way.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use md5::{Digest, Md5};
use sha2::Sha256;

use crate::error::{Error, Result};

/// Lower-case hex of a byte string.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex md5 of a byte slice.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

/// Lower-case hex sha256 of a byte slice.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// An official checksum a file must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// The full md5, lower-case hex (32 digits).
    Md5(&'static str),
    /// A prefix of the sha256, lower-case hex (at least 8 digits), as in PyTorch's file names.
    Sha256Prefix(&'static str),
}

impl Checksum {
    /// `md5` or `sha256`.
    pub fn algorithm(&self) -> &'static str {
        match self {
            Checksum::Md5(_) => "md5",
            Checksum::Sha256Prefix(_) => "sha256",
        }
    }

    /// The expected hex digits (a prefix for [`Checksum::Sha256Prefix`]).
    pub fn expected(&self) -> &'static str {
        match self {
            Checksum::Md5(h) | Checksum::Sha256Prefix(h) => h,
        }
    }

    /// A streaming hasher of this checksum's algorithm.
    pub fn hasher(&self) -> Hasher {
        match self {
            Checksum::Md5(_) => Hasher::Md5(Md5::new()),
            Checksum::Sha256Prefix(_) => Hasher::Sha256(Sha256::new()),
        }
    }

    /// Whether the full hex digest `got` (of this checksum's algorithm) matches.
    pub fn matches(&self, got: &str) -> bool {
        match self {
            Checksum::Md5(h) => got == *h,
            Checksum::Sha256Prefix(h) => got.starts_with(h),
        }
    }

    /// The full hex digest of a file, streamed.
    pub fn of_file(&self, path: &Path) -> Result<String> {
        let io = |source| Error::Io { path: path.to_path_buf(), source };
        let mut f = File::open(path).map_err(io)?;
        let mut h = self.hasher();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = f.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        Ok(h.finish())
    }

    /// `md5 <hex>` or `sha256 <prefix>…` for messages.
    pub fn describe(&self) -> String {
        match self {
            Checksum::Md5(h) => format!("md5 {h}"),
            Checksum::Sha256Prefix(h) => format!("sha256 {h}…"),
        }
    }
}

/// A streaming md5 or sha256.
pub enum Hasher {
    /// md5.
    Md5(Md5),
    /// sha256.
    Sha256(Sha256),
}

impl Hasher {
    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Md5(h) => h.update(bytes),
            Hasher::Sha256(h) => h.update(bytes),
        }
    }

    /// The full lower-case hex digest.
    pub fn finish(self) -> String {
        match self {
            Hasher::Md5(h) => hex(&h.finalize()),
            Hasher::Sha256(h) => hex(&h.finalize()),
        }
    }
}
