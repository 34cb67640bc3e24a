//! Shared helpers of the data test files: real-data lookup, synthetic files in the exact formats,
//! and a tiny bounded HTTP server on 127.0.0.1.
#![allow(dead_code)]

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use inputgrad::data::idx::encode_idx;

/// The real data folder from `$INPUTGRAD_DATA`, if it holds `rel`; otherwise prints why the
/// calling test is skipped and returns None.
///
/// With `INPUTGRAD_REQUIRE_DATA=1` (which `.ci/run` sets) a missing data set fails the test
/// instead: CI never passes a real-data test by skipping it.
pub fn real_data(test: &str, rel: &str) -> Option<PathBuf> {
    let required = std::env::var("INPUTGRAD_REQUIRE_DATA").is_ok_and(|v| v == "1");
    let skip = |why: String| -> Option<PathBuf> {
        assert!(!required, "{test}: {why}, and INPUTGRAD_REQUIRE_DATA=1 makes real-data tests mandatory");
        eprintln!("SKIP {test}: {why}");
        println!("SKIP {test}: {why}");
        None
    };
    let Some(dir) = std::env::var_os("INPUTGRAD_DATA").filter(|v| !v.is_empty()).map(PathBuf::from) else {
        return skip("INPUTGRAD_DATA is not set (CI sets it to ../shared/data)".into());
    };
    if !dir.join(rel).exists() {
        return skip(format!("{} is absent", dir.join(rel).display()));
    }
    Some(dir)
}

/// A deterministic synthetic MNIST-like split: image i is filled with value (i·7 + k) mod 256 at
/// pixel k, label i mod 10. Returns (images idx3 bytes, labels idx1 bytes).
pub fn synthetic_mnist(n: usize) -> (Vec<u8>, Vec<u8>) {
    let mut px = Vec::with_capacity(n * 784);
    for i in 0..n {
        for k in 0..784 {
            px.push(((i * 7 + k) % 256) as u8);
        }
    }
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    (encode_idx(&[n as u32, 28, 28], &px), encode_idx(&[n as u32], &labels))
}

/// gzip of `bytes`.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Writes a synthetic MNIST folder (both splits, gzipped) with `n_train` and `n_test` images.
pub fn write_synthetic_mnist(dir: &Path, n_train: usize, n_test: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for (prefix, n) in [("train", n_train), ("t10k", n_test)] {
        let (im, lb) = synthetic_mnist(n);
        std::fs::write(dir.join(format!("{prefix}-images-idx3-ubyte.gz")), gzip(&im)).unwrap();
        std::fs::write(dir.join(format!("{prefix}-labels-idx1-ubyte.gz")), gzip(&lb)).unwrap();
    }
}

/// Copies the files `rels` (relative paths) from `src` to `dst`.
pub fn copy_files(src: &Path, dst: &Path, rels: &[&str]) {
    for r in rels {
        let to = dst.join(r);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(src.join(r), &to).unwrap();
    }
}

/// A static-file HTTP/1.1 server on 127.0.0.1 (port 0) serving `root`. It answers at most
/// `max_requests` requests and stops by itself after `lifetime` in any case. Paths in `truncate`
/// are announced with their full Content-Length but only half of their bytes are sent before the
/// connection is closed. Missing files get 404.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// Request paths seen, in order.
    pub seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl TestServer {
    pub fn start(root: PathBuf, truncate: &[&str], max_requests: usize, lifetime: Duration) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let truncate: HashSet<String> = truncate.iter().map(|s| s.to_string()).collect();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = Arc::clone(&seen);
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let deadline = Instant::now() + lifetime;
            let mut served = 0;
            while served < max_requests && Instant::now() < deadline && !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served += 1;
                        let _ = handle_conn(stream, &root, &truncate, &seen2);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(5)),
                    Err(_) => break,
                }
            }
        });
        TestServer { base, seen, stop, handle: Some(handle) }
    }

    /// Stops the server and waits for its thread.
    pub fn stop(self) {}
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn handle_conn(mut s: TcpStream, root: &Path, truncate: &HashSet<String>, seen: &Mutex<Vec<String>>) -> std::io::Result<()> {
    s.set_nonblocking(false)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        let n = s.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let path = text.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').to_string();
    seen.lock().unwrap().push(path.clone());
    let file = root.join(&path);
    if path.split('/').any(|c| c == "..") || !file.is_file() {
        let body = b"not found";
        write!(s, "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())?;
        s.write_all(body)?;
        return Ok(());
    }
    let bytes = std::fs::read(&file)?;
    write!(s, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", bytes.len())?;
    if truncate.contains(&path) {
        s.write_all(&bytes[..bytes.len() / 2])?;
        s.flush()?;
        let _ = s.shutdown(std::net::Shutdown::Both);
    } else {
        s.write_all(&bytes)?;
    }
    Ok(())
}

/// Pixel (channel `ch`, row `r`, column `c`) of generated image `i` of class `label`: a bright
/// horizontal band at the class's row range over a deterministic texture, so classes are learnable.
pub fn pixel(label: usize, i: usize, ch: usize, r: usize, c: usize) -> u8 {
    let band = r * 10 / 32 == label;
    let base = ((r * 7 + c * 13 + ch * 29 + i * 31) % 97) as u8;
    if band {
        base.saturating_add(150)
    } else {
        base
    }
}

/// CIFAR-10 in the binary format (five training batches of `n_per_batch` records and a test batch
/// of `n_test`) under `root/cifar10/cifar-10-batches-bin`, images from [`pixel`].
pub fn write_cifar10(root: &Path, n_per_batch: usize, n_test: usize) {
    let d = root.join("cifar10/cifar-10-batches-bin");
    std::fs::create_dir_all(&d).unwrap();
    let records = |n: usize, offset: usize| {
        let mut out = Vec::new();
        for i in 0..n {
            let label = (i + offset) % 10;
            out.push(label as u8);
            for ch in 0..3 {
                for r in 0..32 {
                    for c in 0..32 {
                        out.push(pixel(label, i + offset, ch, r, c));
                    }
                }
            }
        }
        out
    };
    for b in 1..=5 {
        std::fs::write(d.join(format!("data_batch_{b}.bin")), records(n_per_batch, b * 100)).unwrap();
    }
    std::fs::write(d.join("test_batch.bin"), records(n_test, 7)).unwrap();
}

/// ImageNet-10 class folders under `root/imagenet10/{train,val}`: non-square JPEG and PNG photos
/// drawn from [`pixel`].
pub fn write_imagenet10(root: &Path, per_class_train: usize, per_class_val: usize) {
    let classes = ["dog", "bird", "insect", "monkey", "car", "cat", "truck", "fruit", "fungus", "boat"];
    for (split, n) in [("train", per_class_train), ("val", per_class_val)] {
        for (label, name) in classes.iter().enumerate() {
            let d = root.join("imagenet10").join(split).join(name);
            std::fs::create_dir_all(&d).unwrap();
            for i in 0..n {
                // Photos are not square: 60×45 and 45×60, JPEG and PNG.
                let (w, h) = if i % 2 == 0 { (60u32, 45u32) } else { (45, 60) };
                let img = image::RgbImage::from_fn(w, h, |c, r| {
                    let (r, c) = (r as usize * 32 / h as usize, c as usize * 32 / w as usize);
                    image::Rgb([pixel(label, i, 0, r, c), pixel(label, i, 1, r, c), pixel(label, i, 2, r, c)])
                });
                let ext = if i % 2 == 0 { "JPEG" } else { "png" };
                let format = if i % 2 == 0 { image::ImageFormat::Jpeg } else { image::ImageFormat::Png };
                img.save_with_format(d.join(format!("{i}.{ext}")), format).unwrap();
            }
        }
    }
}
