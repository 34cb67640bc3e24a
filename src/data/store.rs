//! Where data live and what is known about them: data-dir resolution, the registry of known data
//! sets and model weights (files, official checksums, official mirrors), `check` and `fetch`.
//!
//! Data dir: `--data-dir`, else `$INPUTGRAD_DATA`, else `./data` (DESIGN.md, Data). Layout inside it
//! (the same as the project's shared data folder):
//!
//! ```text
//! mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz     fashion-mnist/ (same names)
//! uci/agaricus-lepiota.data   uci/spambase.data
//! cifar10/cifar-10-binary.tar.gz  → cifar10/cifar-10-batches-bin/*.bin
//! cifar100/cifar-100-binary.tar.gz → cifar100/cifar-100-binary/{train,test}.bin
//! svhn/{train,test}_32x32.mat       imagenet10/{train,val}/<class>/*.JPEG
//! lpips/alexnet-owt-7be5be79.pth   lpips/alex.pth
//! ```
//!
//! A fetch writes each file under a temporary name in the destination folder and renames it into
//! place only after its length and checksum are verified, so a final name never holds a partial or
//! corrupt file. The base URL can be replaced (`--mirror` or `$INPUTGRAD_MIRROR`): the file `rel`
//! is then fetched from `<mirror>/<rel>`, e.g. a copy of a data folder served over HTTP.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::checksum::Checksum;
use crate::data::{gunzip, read_file, tar};
use crate::error::{Error, Result};

/// Environment variable naming the data dir.
pub const DATA_ENV: &str = "INPUTGRAD_DATA";
/// Environment variable replacing the official mirrors by one base URL.
pub const MIRROR_ENV: &str = "INPUTGRAD_MIRROR";

/// The data dir: `flag`, else `$INPUTGRAD_DATA`, else `./data`.
pub fn resolve_data_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(p) = flag {
        return p.to_path_buf();
    }
    match std::env::var_os(DATA_ENV) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from("data"),
    }
}

/// The mirror: `flag`, else `$INPUTGRAD_MIRROR`, else `None` (the official mirrors).
pub fn resolve_mirror(flag: Option<&str>) -> Option<String> {
    flag.map(str::to_owned).or_else(|| std::env::var(MIRROR_ENV).ok().filter(|s| !s.is_empty()))
}

/// A file to download: its place in the data dir, its official checksum and official URLs (tried
/// in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownFile {
    /// Path relative to the data dir.
    pub rel: &'static str,
    /// Official checksum (md5 for data sets, a sha256 prefix for PyTorch model files).
    pub checksum: Checksum,
    /// Official URLs, first preferred.
    pub urls: &'static [&'static str],
}

/// A file unpacked from a downloaded archive; no official md5 exists for it, so it is checked by
/// its exact size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpacked {
    /// Path relative to the data dir.
    pub rel: &'static str,
    /// Exact size in bytes.
    pub size: u64,
}

/// A known data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDataset {
    /// Name used on the command line.
    pub name: &'static str,
    /// What it is.
    pub title: &'static str,
    /// Files to download (empty: cannot be downloaded automatically).
    pub downloads: &'static [KnownFile],
    /// Files unpacked from the one `.tar.gz` download, which must all be present.
    pub unpacked: &'static [Unpacked],
    /// Folders that must exist and contain class sub-folders (ImageFolder data sets).
    pub folders: &'static [&'static str],
    /// Where to get it by hand.
    pub source: &'static str,
}

// MNIST md5s: torchvision's `MNIST.resources`, identical to shared/data/MD5SUMS. First mirror:
// torchvision's copy of LeCun's files (the original site now often refuses downloads).
const MNIST_FILES: &[KnownFile] = &[
    KnownFile { rel: "mnist/train-images-idx3-ubyte.gz", checksum: Checksum::Md5("f68b3c2dcbeaaa9fbdd348bbdeb94873"), urls: &["https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz", "http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz"] },
    KnownFile { rel: "mnist/train-labels-idx1-ubyte.gz", checksum: Checksum::Md5("d53e105ee54ea40749a09fcbcd1e9432"), urls: &["https://ossci-datasets.s3.amazonaws.com/mnist/train-labels-idx1-ubyte.gz", "http://yann.lecun.com/exdb/mnist/train-labels-idx1-ubyte.gz"] },
    KnownFile { rel: "mnist/t10k-images-idx3-ubyte.gz", checksum: Checksum::Md5("9fb629c4189551a2d022fa330f9573f3"), urls: &["https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz", "http://yann.lecun.com/exdb/mnist/t10k-images-idx3-ubyte.gz"] },
    KnownFile { rel: "mnist/t10k-labels-idx1-ubyte.gz", checksum: Checksum::Md5("ec29112dd5afa0611ce80d1b7f02629c"), urls: &["https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz", "http://yann.lecun.com/exdb/mnist/t10k-labels-idx1-ubyte.gz"] },
];

// Fashion-MNIST md5s: the Fashion-MNIST README's table (= shared/data/MD5SUMS); mirror from it.
const FASHION_FILES: &[KnownFile] = &[
    KnownFile { rel: "fashion-mnist/train-images-idx3-ubyte.gz", checksum: Checksum::Md5("8d4fb7e6c68d591d4c3dfef9ec88bf0d"), urls: &["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz"] },
    KnownFile { rel: "fashion-mnist/train-labels-idx1-ubyte.gz", checksum: Checksum::Md5("25c81989df183df01b3e8a0aad5dffbe"), urls: &["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-labels-idx1-ubyte.gz"] },
    KnownFile { rel: "fashion-mnist/t10k-images-idx3-ubyte.gz", checksum: Checksum::Md5("bef4ecab320f06d8554ea6380940ec79"), urls: &["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-images-idx3-ubyte.gz"] },
    KnownFile { rel: "fashion-mnist/t10k-labels-idx1-ubyte.gz", checksum: Checksum::Md5("bb300cfdad3c16e7a12a480ee83cd310"), urls: &["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-labels-idx1-ubyte.gz"] },
];

// UCI md5s: shared/data/MD5SUMS (of the files served by the UCI repository).
const MUSHROOM_FILES: &[KnownFile] = &[KnownFile {
    rel: "uci/agaricus-lepiota.data",
    checksum: Checksum::Md5("08abc775ae2a79b402cc75f3a29e4b7d"),
    urls: &["https://archive.ics.uci.edu/ml/machine-learning-databases/mushroom/agaricus-lepiota.data"],
}];
const SPAMBASE_FILES: &[KnownFile] = &[KnownFile {
    rel: "uci/spambase.data",
    checksum: Checksum::Md5("e7368d48fa690b0331a09b430d55fb6a"),
    urls: &["https://archive.ics.uci.edu/ml/machine-learning-databases/spambase/spambase.data"],
}];

// CIFAR md5s: the CIFAR page (cs.toronto.edu/~kriz/cifar.html) lists them for each version.
const CIFAR10_FILES: &[KnownFile] = &[KnownFile {
    rel: "cifar10/cifar-10-binary.tar.gz",
    checksum: Checksum::Md5("c32a1d4ab5d03f1284b67883e8d87530"),
    urls: &["https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"],
}];
/// 10 000 records of 1 + 3072 bytes (cifar.rs).
const CIFAR10_BATCH: u64 = 10_000 * 3073;
const CIFAR10_UNPACKED: &[Unpacked] = &[
    Unpacked { rel: "cifar10/cifar-10-batches-bin/data_batch_1.bin", size: CIFAR10_BATCH },
    Unpacked { rel: "cifar10/cifar-10-batches-bin/data_batch_2.bin", size: CIFAR10_BATCH },
    Unpacked { rel: "cifar10/cifar-10-batches-bin/data_batch_3.bin", size: CIFAR10_BATCH },
    Unpacked { rel: "cifar10/cifar-10-batches-bin/data_batch_4.bin", size: CIFAR10_BATCH },
    Unpacked { rel: "cifar10/cifar-10-batches-bin/data_batch_5.bin", size: CIFAR10_BATCH },
    Unpacked { rel: "cifar10/cifar-10-batches-bin/test_batch.bin", size: CIFAR10_BATCH },
];
const CIFAR100_FILES: &[KnownFile] = &[KnownFile {
    rel: "cifar100/cifar-100-binary.tar.gz",
    checksum: Checksum::Md5("03b5dce01913d631647c71ecec9e9cb8"),
    urls: &["https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"],
}];
/// 50 000 training and 10 000 test records of 2 + 3072 bytes (cifar.rs).
const CIFAR100_UNPACKED: &[Unpacked] = &[
    Unpacked { rel: "cifar100/cifar-100-binary/train.bin", size: 50_000 * 3074 },
    Unpacked { rel: "cifar100/cifar-100-binary/test.bin", size: 10_000 * 3074 },
];

// SVHN md5s: torchvision's `SVHN.split_list`; URLs: the SVHN page, format 2.
const SVHN_FILES: &[KnownFile] = &[
    KnownFile { rel: "svhn/train_32x32.mat", checksum: Checksum::Md5("e26dedcc434d2e4c54c9b2d4a06d8373"), urls: &["http://ufldl.stanford.edu/housenumbers/train_32x32.mat"] },
    KnownFile { rel: "svhn/test_32x32.mat", checksum: Checksum::Md5("eb5a983be6a315427106f1b164d9cef3"), urls: &["http://ufldl.stanford.edu/housenumbers/test_32x32.mat"] },
];

/// Torchvision's ImageNet AlexNet weights, LPIPS's feature trunk (under the data dir).
pub const LPIPS_ALEXNET: &str = "lpips/alexnet-owt-7be5be79.pth";
/// lpips v0.1's linear heads for AlexNet (under the data dir).
pub const LPIPS_HEADS: &str = "lpips/alex.pth";
// LPIPS (seed 004 §4). AlexNet: torchvision publishes only the sha256 prefix in the file name,
// which torch.hub's `check_hash` verifies; we verify it the same way. Heads: md5 of
// lpips/weights/v0.1/alex.pth, the same bytes in the `lpips` 0.1.4 package and in the
// PerceptualSimilarity repository.
const LPIPS_FILES: &[KnownFile] = &[
    KnownFile { rel: LPIPS_ALEXNET, checksum: Checksum::Sha256Prefix("7be5be79"), urls: &["https://download.pytorch.org/models/alexnet-owt-7be5be79.pth"] },
    KnownFile { rel: LPIPS_HEADS, checksum: Checksum::Md5("9642209e2b57a85d20f86d812320f9e6"), urls: &["https://raw.githubusercontent.com/richzhang/PerceptualSimilarity/master/lpips/weights/v0.1/alex.pth"] },
];

const REGISTRY: &[KnownDataset] = &[
    KnownDataset { name: "mnist", title: "MNIST handwritten digits (IDX)", downloads: MNIST_FILES, unpacked: &[], folders: &[], source: "http://yann.lecun.com/exdb/mnist/ (mirror https://ossci-datasets.s3.amazonaws.com/mnist/)" },
    KnownDataset { name: "fashion-mnist", title: "Fashion-MNIST (IDX)", downloads: FASHION_FILES, unpacked: &[], folders: &[], source: "https://github.com/zalandoresearch/fashion-mnist" },
    KnownDataset { name: "mushroom", title: "UCI Mushroom (agaricus-lepiota)", downloads: MUSHROOM_FILES, unpacked: &[], folders: &[], source: "https://archive.ics.uci.edu/dataset/73/mushroom" },
    KnownDataset { name: "spambase", title: "UCI Spambase", downloads: SPAMBASE_FILES, unpacked: &[], folders: &[], source: "https://archive.ics.uci.edu/dataset/94/spambase" },
    KnownDataset { name: "cifar10", title: "CIFAR-10, binary version", downloads: CIFAR10_FILES, unpacked: CIFAR10_UNPACKED, folders: &[], source: "https://www.cs.toronto.edu/~kriz/cifar.html" },
    KnownDataset { name: "cifar100", title: "CIFAR-100, binary version", downloads: CIFAR100_FILES, unpacked: CIFAR100_UNPACKED, folders: &[], source: "https://www.cs.toronto.edu/~kriz/cifar.html" },
    KnownDataset { name: "svhn", title: "SVHN cropped digits (format 2, .mat)", downloads: SVHN_FILES, unpacked: &[], folders: &[], source: "http://ufldl.stanford.edu/housenumbers/" },
    KnownDataset { name: "lpips", title: "LPIPS v0.1 weights (AlexNet trunk + linear heads)", downloads: LPIPS_FILES, unpacked: &[], folders: &[], source: "https://github.com/richzhang/PerceptualSimilarity (heads) and torchvision's AlexNet (https://download.pytorch.org/models/)" },
    KnownDataset { name: "imagenet10", title: "ImageNet-10 (ImageFolder tree)", downloads: &[], unpacked: &[], folders: &["imagenet10/train", "imagenet10/val"], source: "not downloadable: build it from ILSVRC-2012 (https://image-net.org, licence required) with MadryLab's `robustness` library (restricted ImageNet, 10 super-classes) and place it as <data>/imagenet10/{train,val}/<class>/*.JPEG" },
];

/// Every known data set.
pub fn registry() -> &'static [KnownDataset] {
    REGISTRY
}

/// The known data set called `name`.
pub fn find(name: &str) -> Result<&'static KnownDataset> {
    REGISTRY.iter().find(|d| d.name == name).ok_or_else(|| {
        let names: Vec<&str> = REGISTRY.iter().map(|d| d.name).collect();
        Error::param("NAME", format!("unknown data set `{name}`; known: {}", names.join(", ")))
    })
}

/// State of one file or folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    /// Present and verified (checksum, size, or class folders).
    Ok,
    /// Not there.
    Missing,
    /// Present but its checksum differs from the official one.
    BadChecksum {
        /// The official checksum (for a sha256 prefix, the digest must start with it).
        expected: Checksum,
        /// The full digest found.
        got: String,
    },
    /// Present but of the wrong size.
    BadSize {
        /// The size found.
        got: u64,
    },
    /// Present but unreadable.
    Unreadable(String),
}

/// One checked file or folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    /// Path relative to the data dir.
    pub rel: String,
    /// What was found.
    pub state: FileState,
}

/// Overall state of a data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything needed is there and verified.
    Present,
    /// Nothing is there.
    Missing,
    /// Some of it is there, nothing is corrupt.
    Incomplete,
    /// A file fails its md5 or size check.
    Corrupt,
}

impl Status {
    /// `present`, `missing`, `incomplete`, `corrupt`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Present => "present",
            Status::Missing => "missing",
            Status::Incomplete => "incomplete",
            Status::Corrupt => "corrupt",
        }
    }
}

/// Result of checking one data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetCheck {
    /// The data set.
    pub dataset: &'static KnownDataset,
    /// Overall state.
    pub status: Status,
    /// Per file.
    pub files: Vec<FileCheck>,
}

fn check_file(dir: &Path, f: &KnownFile) -> FileState {
    let p = dir.join(f.rel);
    if !p.is_file() {
        return FileState::Missing;
    }
    match f.checksum.of_file(&p) {
        Ok(m) if f.checksum.matches(&m) => FileState::Ok,
        Ok(m) => FileState::BadChecksum { expected: f.checksum, got: m },
        Err(e) => FileState::Unreadable(e.to_string()),
    }
}

/// An uncompressed IDX file parsed as the loaders parse it: images (`idx3`) or labels (`idx1`,
/// every label a class index).
fn check_raw_idx(path: &Path) -> FileState {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return FileState::Unreadable(e.to_string()),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let parsed = if name.contains("idx3") {
        super::idx::parse_images(&bytes, path).map(|_| ())
    } else {
        super::idx::parse_labels(&bytes, path, super::idx::NUM_CLASSES).map(|_| ())
    };
    match parsed {
        Ok(()) => FileState::Ok,
        Err(e) => FileState::Unreadable(e.to_string()),
    }
}

/// Checks one data set in `dir`.
pub fn check(ds: &'static KnownDataset, dir: &Path) -> DatasetCheck {
    let mut files = Vec::new();
    let mut downloads: Vec<FileState> = Vec::new();
    for f in ds.downloads {
        let state = check_file(dir, f);
        // The IDX loaders also read an uncompressed file next to the missing `.gz`: check it the
        // way they would load it (no official md5 exists for the raw bytes).
        let raw = (state == FileState::Missing).then(|| f.rel.strip_suffix(".gz")).flatten().filter(|r| r.contains("-idx") && dir.join(r).is_file());
        match raw {
            Some(r) => {
                let s = check_raw_idx(&dir.join(r));
                files.push(FileCheck { rel: r.into(), state: s.clone() });
                downloads.push(s);
            }
            None => {
                files.push(FileCheck { rel: f.rel.into(), state: state.clone() });
                downloads.push(state);
            }
        }
    }
    let mut needed: Vec<FileState> = Vec::new();
    for u in ds.unpacked {
        let p = dir.join(u.rel);
        let s = match std::fs::metadata(&p) {
            Ok(m) if m.is_file() && m.len() == u.size => FileState::Ok,
            Ok(m) if m.is_file() => FileState::BadSize { got: m.len() },
            _ => FileState::Missing,
        };
        files.push(FileCheck { rel: u.rel.into(), state: s.clone() });
        needed.push(s);
    }
    for folder in ds.folders {
        let p = dir.join(folder);
        let has_classes = std::fs::read_dir(&p).map(|rd| rd.flatten().any(|e| e.path().is_dir())).unwrap_or(false);
        let s = if has_classes { FileState::Ok } else { FileState::Missing };
        files.push(FileCheck { rel: (*folder).into(), state: s.clone() });
        needed.push(s);
    }
    if ds.unpacked.is_empty() && ds.folders.is_empty() {
        needed = downloads.clone();
    }
    let corrupt = files.iter().any(|f| matches!(f.state, FileState::BadChecksum { .. } | FileState::BadSize { .. } | FileState::Unreadable(_)));
    let status = if corrupt {
        Status::Corrupt
    } else if needed.iter().all(|s| *s == FileState::Ok) {
        Status::Present
    } else if files.iter().all(|f| f.state == FileState::Missing) {
        Status::Missing
    } else {
        Status::Incomplete
    };
    DatasetCheck { dataset: ds, status, files }
}

/// Longest download accepted without a Content-Length header: the largest known file (SVHN's
/// 182 MB train set; CIFAR-100's 161 MB archive) with a tenfold margin.
const MAX_DOWNLOAD: u64 = 2 << 30;

/// Removes the temporary file unless the download was committed.
struct TempGuard(Option<PathBuf>);
impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn temp_name(dest: &Path) -> PathBuf {
    let name = dest.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    dest.with_file_name(format!(".{name}.part-{}", std::process::id()))
}

fn dl_err(url: &str, reason: impl Into<String>) -> Error {
    Error::Download { url: url.into(), reason: reason.into() }
}

/// How long a download may be slow before it is abandoned: after `grace`, a mean rate below
/// `min_bytes_per_second` since the start ends it (a server trickling bytes would otherwise keep
/// it alive forever, since each read returns before the read timeout).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Patience {
    /// Time before the rate is judged.
    pub grace: Duration,
    /// Slowest acceptable mean rate after the grace period.
    pub min_bytes_per_second: f64,
}

impl Patience {
    /// One minute, then at least 10 KiB/s on average: the largest known file (SVHN's 182 MB)
    /// still finishes within about five hours at that floor, and a stalled server is dropped.
    pub const DEFAULT: Patience = Patience { grace: Duration::from_secs(60), min_bytes_per_second: 10.0 * 1024.0 };
}

/// Removes temporary files of earlier downloads of `dest` (`.NAME.part-PID`) whose process is
/// gone (an interrupt or a kill leaves them behind). Returns how many were removed.
pub fn remove_stale_parts(dest: &Path) -> usize {
    let (Some(dir), Some(name)) = (dest.parent(), dest.file_name()) else { return 0 };
    let prefix = format!(".{}.part-", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = file.strip_prefix(&prefix).and_then(|p| p.parse::<u32>().ok()) else { continue };
        let alive = pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists();
        if !alive && std::fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Downloads `url` to `dest`, verifying length and checksum before renaming into place, with
/// [`Patience::DEFAULT`].
pub fn download_verified(url: &str, dest: &Path, checksum: Checksum) -> Result<u64> {
    download_verified_with(url, dest, checksum, Patience::DEFAULT)
}

/// [`download_verified`] with a chosen [`Patience`].
pub fn download_verified_with(url: &str, dest: &Path, checksum: Checksum, patience: Patience) -> Result<u64> {
    let t0 = std::time::Instant::now();
    let agent = ureq::AgentBuilder::new().timeout_connect(Duration::from_secs(30)).timeout_read(Duration::from_secs(60)).build();
    let resp = match agent.get(url).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(code, r)) => return Err(dl_err(url, format!("HTTP {code} {}", r.status_text()))),
        Err(e) => return Err(dl_err(url, e.to_string())),
    };
    let expected: Option<u64> = resp.header("Content-Length").and_then(|v| v.trim().parse().ok());
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(|source| Error::Io { path: parent.to_path_buf(), source })?;
    }
    let tmp = temp_name(dest);
    let mut guard = TempGuard(Some(tmp.clone()));
    let mut file = File::create(&tmp).map_err(|source| Error::Io { path: tmp.clone(), source })?;
    let limit = expected.map(|l| l.saturating_add(1)).unwrap_or(MAX_DOWNLOAD.saturating_add(1));
    let mut body = resp.into_reader().take(limit);
    let mut h = checksum.hasher();
    let mut buf = vec![0u8; 1 << 16];
    let mut count: u64 = 0;
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                let of = expected.map(|l| format!(" of {l}")).unwrap_or_default();
                return Err(dl_err(url, format!("truncated: connection broke after {count}{of} bytes ({e})")));
            }
        };
        h.update(&buf[..n]);
        file.write_all(&buf[..n]).map_err(|source| Error::Io { path: tmp.clone(), source })?;
        count += n as u64;
        let elapsed = t0.elapsed();
        if elapsed > patience.grace && (count as f64) < patience.min_bytes_per_second * elapsed.as_secs_f64() {
            return Err(dl_err(
                url,
                format!("too slow: {count} bytes in {:.0} s, below the floor of {:.0} bytes/s; try again later or use --mirror", elapsed.as_secs_f64(), patience.min_bytes_per_second),
            ));
        }
    }
    match expected {
        Some(l) if count != l => return Err(dl_err(url, format!("truncated: received {count} of {l} bytes"))),
        None if count > MAX_DOWNLOAD => return Err(dl_err(url, format!("larger than {MAX_DOWNLOAD} bytes, refused"))),
        _ => {}
    }
    let got = h.finish();
    if !checksum.matches(&got) {
        let alg = checksum.algorithm();
        return Err(dl_err(url, format!("{alg} mismatch: expected {}, got {got} ({count} bytes); nothing written to {}", checksum.expected(), dest.display())));
    }
    file.sync_all().map_err(|source| Error::Io { path: tmp.clone(), source })?;
    drop(file);
    std::fs::rename(&tmp, dest).map_err(|source| Error::Io { path: dest.to_path_buf(), source })?;
    guard.0 = None;
    Ok(count)
}

pub use crate::fsio::write_atomic;

/// Unpacks a `.tar.gz` archive into the folder holding it (each file written atomically).
pub fn unpack_tar_gz(archive: &Path) -> Result<Vec<PathBuf>> {
    let bytes = read_file(archive)?;
    let raw = gunzip(&bytes, archive)?;
    let entries = tar::parse_tar(&raw, archive)?;
    let dir = archive.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for e in entries {
        let dest = dir.join(&e.name);
        write_atomic(&dest, &raw[e.data.clone()])?;
        out.push(dest);
    }
    Ok(out)
}

/// Downloads every file of `ds` into `dir` that is not already there with the right checksum, from
/// `mirror` (`<mirror>/<rel>`) or else the official URLs in turn, then unpacks archives. Progress
/// lines go to `log`.
pub fn fetch(ds: &'static KnownDataset, dir: &Path, mirror: Option<&str>, log: &mut dyn FnMut(String)) -> Result<()> {
    if ds.downloads.is_empty() {
        return Err(Error::MissingData { name: ds.name.into(), hint: format!("cannot be downloaded automatically; {}", ds.source) });
    }
    for f in ds.downloads {
        let dest = dir.join(f.rel);
        let stale = remove_stale_parts(&dest);
        if stale > 0 {
            log(format!("{:<44} removed {stale} partial download(s) left by interrupted fetches", f.rel));
        }
        if check_file(dir, f) == FileState::Ok {
            log(format!("{:<44} ok (already present, {} verified)", f.rel, f.checksum.algorithm()));
            continue;
        }
        let urls: Vec<String> = match mirror {
            Some(m) => vec![format!("{}/{}", m.trim_end_matches('/'), f.rel)],
            None => f.urls.iter().map(|u| u.to_string()).collect(),
        };
        let mut last = None;
        for url in &urls {
            match download_verified(url, &dest, f.checksum) {
                Ok(n) => {
                    log(format!("{:<44} downloaded {n} bytes from {url}, {} ok", f.rel, f.checksum.algorithm()));
                    last = None;
                    break;
                }
                Err(e) => {
                    log(format!("{:<44} failed: {e}", f.rel));
                    last = Some(e);
                }
            }
        }
        if let Some(e) = last {
            return Err(e);
        }
    }
    if !ds.unpacked.is_empty() {
        let all_there = ds.unpacked.iter().all(|u| std::fs::metadata(dir.join(u.rel)).map(|m| m.len() == u.size).unwrap_or(false));
        if all_there {
            log("unpacked files already present".into());
        } else {
            for f in ds.downloads.iter().filter(|f| f.rel.ends_with(".tar.gz")) {
                let files = unpack_tar_gz(&dir.join(f.rel))?;
                log(format!("{:<44} unpacked {} files", f.rel, files.len()));
            }
        }
        for u in ds.unpacked {
            let p = dir.join(u.rel);
            let size = std::fs::metadata(&p).map(|m| m.len()).ok();
            if size != Some(u.size) {
                return Err(Error::Format { path: p, reason: format!("after unpacking: size {size:?}, expected {}", u.size) });
            }
        }
    }
    Ok(())
}
