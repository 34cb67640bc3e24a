//! `fetch` end to end over loopback: a tiny HTTP server on 127.0.0.1 serves a copy of a data
//! folder, with a corrupted file, a truncated response and a 404. Final names never hold partial
//! or corrupt files.

mod data_support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use inputgrad::data::store::{self, FileState, KnownDataset, KnownFile, Status, Unpacked};
use inputgrad::data::tar::encode_tar;
use inputgrad::checksum::{md5_hex, sha256_hex, Checksum};
use inputgrad::Error;

use data_support::{copy_files, gzip, real_data, TestServer};

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// A registry entry for files we wrote ourselves (md5 computed from their bytes).
fn fake_dataset(name: &str, files: &[(&str, &[u8])], unpacked: &'static [Unpacked]) -> &'static KnownDataset {
    let known: Vec<KnownFile> = files.iter().map(|(rel, b)| KnownFile { rel: leak(rel.to_string()), checksum: Checksum::Md5(leak(md5_hex(b))), urls: &[] }).collect();
    Box::leak(Box::new(KnownDataset {
        name: leak(name.into()),
        title: "test data",
        downloads: Box::leak(known.into_boxed_slice()),
        unpacked,
        folders: &[],
        source: "the test",
    }))
}

fn no_partial_files(dir: &Path) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let n = p.file_name().unwrap().to_string_lossy().into_owned();
                assert!(!n.contains(".part-"), "temporary file left behind: {}", p.display());
            }
        }
    }
}

#[test]
fn fetch_downloads_verifies_and_refuses_corrupt_truncated_and_missing_files() {
    let served = tempfile::tempdir().unwrap();
    let good: Vec<u8> = (0..70_000u32).map(|i| (i * 31 % 251) as u8).collect();
    let other: Vec<u8> = b"second file\n".repeat(100);
    std::fs::create_dir_all(served.path().join("set")).unwrap();
    std::fs::write(served.path().join("set/good.bin"), &good).unwrap();
    std::fs::write(served.path().join("set/other.txt"), &other).unwrap();
    // Served copy of `bad.bin` differs from the registered md5 by one byte.
    let bad_official = vec![7u8; 5000];
    let mut bad_served = bad_official.clone();
    bad_served[2500] = 8;
    std::fs::write(served.path().join("set/bad.bin"), &bad_served).unwrap();
    std::fs::write(served.path().join("set/trunc.bin"), &good).unwrap();

    let server = TestServer::start(served.path().to_path_buf(), &["set/trunc.bin"], 12, Duration::from_secs(20));
    let dest = tempfile::tempdir().unwrap();
    let mut log = Vec::new();

    // Good files: downloaded, verified, in place; a second fetch downloads nothing.
    let ds = fake_dataset("good", &[("set/good.bin", &good), ("set/other.txt", &other)], &[]);
    store::fetch(ds, dest.path(), Some(&server.base), &mut |l| log.push(l)).unwrap();
    assert_eq!(std::fs::read(dest.path().join("set/good.bin")).unwrap(), good);
    assert_eq!(store::check(ds, dest.path()).status, Status::Present);
    let before = server.seen.lock().unwrap().len();
    store::fetch(ds, dest.path(), Some(&server.base), &mut |l| log.push(l)).unwrap();
    assert_eq!(server.seen.lock().unwrap().len(), before, "present files are not downloaded again");
    assert!(log.iter().any(|l| l.contains("already present")), "{log:?}");

    // Corrupt: md5 mismatch, nothing under the final name.
    let ds = fake_dataset("bad", &[("set/bad.bin", &bad_official)], &[]);
    let e = store::fetch(ds, dest.path(), Some(&server.base), &mut |_| {}).unwrap_err();
    match &e {
        Error::Download { url, reason } => {
            assert!(url.ends_with("/set/bad.bin"), "{url}");
            assert!(reason.contains("md5 mismatch") && reason.contains(&md5_hex(&bad_official)), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!dest.path().join("set/bad.bin").exists());

    // Truncated: the server announces the full length and closes halfway.
    let ds = fake_dataset("trunc", &[("set/trunc.bin", &good)], &[]);
    let e = store::fetch(ds, dest.path(), Some(&server.base), &mut |_| {}).unwrap_err();
    assert!(matches!(&e, Error::Download { reason, .. } if reason.contains("truncated")), "{e}");
    assert!(!dest.path().join("set/trunc.bin").exists());

    // 404.
    let ds = fake_dataset("gone", &[("set/absent.bin", b"whatever")], &[]);
    let e = store::fetch(ds, dest.path(), Some(&server.base), &mut |_| {}).unwrap_err();
    assert!(matches!(&e, Error::Download { reason, .. } if reason.contains("404")), "{e}");
    assert!(!dest.path().join("set/absent.bin").exists());

    // A corrupt file already in place is reported by check and replaced by fetch.
    std::fs::write(dest.path().join("set/good.bin"), b"garbage").unwrap();
    let ds = fake_dataset("good", &[("set/good.bin", &good)], &[]);
    let c = store::check(ds, dest.path());
    assert_eq!(c.status, Status::Corrupt);
    assert!(matches!(c.files[0].state, FileState::BadChecksum { expected: Checksum::Md5(_), .. }));
    store::fetch(ds, dest.path(), Some(&server.base), &mut |_| {}).unwrap();
    assert_eq!(std::fs::read(dest.path().join("set/good.bin")).unwrap(), good);

    no_partial_files(dest.path());
    server.stop();
}

/// The digests against published test vectors (FIPS 180-2 appendix B.1 for sha256, RFC 1321 §A.5
/// for md5).
#[test]
fn digests_match_their_published_test_vectors() {
    assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    let c = Checksum::Sha256Prefix("ba7816bf");
    assert!(c.matches(&sha256_hex(b"abc")) && !c.matches(&sha256_hex(b"abd")));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("abc");
    std::fs::write(&p, b"abc").unwrap();
    assert_eq!(c.of_file(&p).unwrap(), sha256_hex(b"abc"));
    assert_eq!(Checksum::Md5("x").of_file(&p).unwrap(), md5_hex(b"abc"));
}

/// A file known by a sha256 prefix (PyTorch's model files, e.g. LPIPS's AlexNet): fetched and
/// checked by it; a served copy that differs is refused by name of the algorithm; a corrupt copy in
/// place is reported by check and replaced by fetch.
#[test]
fn a_file_known_by_a_sha256_prefix_is_fetched_and_checked_by_it() {
    let served = tempfile::tempdir().unwrap();
    let weights: Vec<u8> = (0..40_000u32).map(|i| (i * 7 % 253) as u8).collect();
    let mut tampered = weights.clone();
    tampered[123] ^= 1;
    std::fs::create_dir_all(served.path().join("w")).unwrap();
    std::fs::write(served.path().join("w/net.pth"), &weights).unwrap();
    std::fs::write(served.path().join("w/tampered.pth"), &tampered).unwrap();
    let server = TestServer::start(served.path().to_path_buf(), &[], 8, Duration::from_secs(20));
    let prefix = leak(sha256_hex(&weights)[..8].to_owned());
    let entry = |rel: &str| -> &'static KnownDataset {
        let files = vec![KnownFile { rel: leak(rel.to_owned()), checksum: Checksum::Sha256Prefix(prefix), urls: &[] }];
        Box::leak(Box::new(KnownDataset { name: "w", title: "weights", downloads: Box::leak(files.into_boxed_slice()), unpacked: &[], folders: &[], source: "the test" }))
    };
    let dest = tempfile::tempdir().unwrap();
    let mut log = Vec::new();
    let ds = entry("w/net.pth");
    assert_eq!(store::check(ds, dest.path()).status, Status::Missing);
    store::fetch(ds, dest.path(), Some(&server.base), &mut |l| log.push(l)).unwrap();
    assert!(log.iter().any(|l| l.contains("sha256 ok")), "{log:?}");
    assert_eq!(std::fs::read(dest.path().join("w/net.pth")).unwrap(), weights);
    assert_eq!(store::check(ds, dest.path()).status, Status::Present);

    let e = store::fetch(entry("w/tampered.pth"), dest.path(), Some(&server.base), &mut |_| {}).unwrap_err();
    match &e {
        Error::Download { reason, .. } => assert!(reason.contains("sha256 mismatch") && reason.contains(prefix) && reason.contains(&sha256_hex(&tampered)), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(!dest.path().join("w/tampered.pth").exists());

    std::fs::write(dest.path().join("w/net.pth"), &tampered).unwrap();
    let c = store::check(ds, dest.path());
    assert_eq!(c.status, Status::Corrupt);
    assert_eq!(c.files[0].state, FileState::BadChecksum { expected: Checksum::Sha256Prefix(prefix), got: sha256_hex(&tampered) });
    store::fetch(ds, dest.path(), Some(&server.base), &mut |_| {}).unwrap();
    assert_eq!(std::fs::read(dest.path().join("w/net.pth")).unwrap(), weights);
    no_partial_files(dest.path());
    server.stop();
}

#[test]
fn fetch_unpacks_a_tar_gz_archive_like_cifar() {
    let served = tempfile::tempdir().unwrap();
    let batch: Vec<u8> = (0..3073 * 2).map(|i| (i % 10) as u8).collect();
    let tgz = gzip(&encode_tar(&[("batches-bin/data_batch_1.bin", &batch), ("batches-bin/readme.html", b"<p>hi</p>")]));
    std::fs::create_dir_all(served.path().join("c10")).unwrap();
    std::fs::write(served.path().join("c10/archive.tar.gz"), &tgz).unwrap();
    let server = TestServer::start(served.path().to_path_buf(), &[], 4, Duration::from_secs(20));
    let dest = tempfile::tempdir().unwrap();
    static UNPACKED: [Unpacked; 1] = [Unpacked { rel: "c10/batches-bin/data_batch_1.bin", size: 3073 * 2 }];
    let ds = fake_dataset("c10", &[("c10/archive.tar.gz", &tgz)], &UNPACKED);
    assert_eq!(store::check(ds, dest.path()).status, Status::Missing);
    store::fetch(ds, dest.path(), Some(&format!("{}/", server.base)), &mut |_| {}).unwrap();
    assert_eq!(std::fs::read(dest.path().join("c10/batches-bin/data_batch_1.bin")).unwrap(), batch);
    assert_eq!(store::check(ds, dest.path()).status, Status::Present);
    // Archive deleted after unpacking: the data set is still usable.
    std::fs::remove_file(dest.path().join("c10/archive.tar.gz")).unwrap();
    assert_eq!(store::check(ds, dest.path()).status, Status::Present);
    no_partial_files(dest.path());
    server.stop();
}

#[test]
fn the_registry_knows_every_data_set_of_the_issue() {
    for name in ["mnist", "fashion-mnist", "mushroom", "spambase", "cifar10", "cifar100", "svhn", "imagenet10", "lpips"] {
        let d = store::find(name).unwrap();
        for f in d.downloads {
            let h = f.checksum.expected();
            assert!(h.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')), "{h}");
            match f.checksum {
                Checksum::Md5(_) => assert_eq!(h.len(), 32),
                Checksum::Sha256Prefix(_) => assert!((8..=64).contains(&h.len())),
            }
            assert!(!f.urls.is_empty() && f.urls.iter().all(|u| u.starts_with("http")));
        }
    }
    assert!(matches!(store::find("nope"), Err(Error::InvalidParam { .. })));
    let e = store::fetch(store::find("imagenet10").unwrap(), Path::new("/nonexistent"), None, &mut |_| {}).unwrap_err();
    assert!(matches!(e, Error::MissingData { .. }));
}

/// md5s in the registry equal the official ones in the shared data folder's MD5SUMS.
#[test]
fn registry_md5s_match_the_shared_md5sums() {
    let Some(dir) = real_data("registry_md5s_match_the_shared_md5sums", "MD5SUMS") else { return };
    let sums = std::fs::read_to_string(dir.join("MD5SUMS")).unwrap();
    let mut n = 0;
    for line in sums.lines() {
        let mut it = line.split_whitespace();
        let (Some(md5), Some(rel)) = (it.next(), it.next()) else { continue };
        let known = store::registry().iter().flat_map(|d| d.downloads.iter()).find(|f| f.rel == rel);
        let known = known.unwrap_or_else(|| panic!("{rel} is not in the registry"));
        assert_eq!(known.checksum, Checksum::Md5(leak(md5.to_owned())), "{rel}");
        n += 1;
    }
    assert_eq!(n, 10);
}

/// `inputgrad data fetch` as a user runs it, against a local mirror holding a copy of the real
/// UCI and MNIST files, one of them corrupted.
#[test]
fn cli_fetch_from_a_local_mirror_of_the_real_files() {
    let Some(real) = real_data("cli_fetch_from_a_local_mirror_of_the_real_files", "uci/spambase.data") else { return };
    let served = tempfile::tempdir().unwrap();
    copy_files(&real, served.path(), &["uci/spambase.data", "uci/agaricus-lepiota.data"]);
    // Corrupt the served Mushroom file.
    let m = served.path().join("uci/agaricus-lepiota.data");
    let mut b = std::fs::read(&m).unwrap();
    b[100] = if b[100] == b'x' { b'y' } else { b'x' };
    std::fs::write(&m, b).unwrap();
    let server = TestServer::start(served.path().to_path_buf(), &[], 6, Duration::from_secs(30));
    let dest = tempfile::tempdir().unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_inputgrad"))
        .args(["data", "fetch", "spambase", "--data-dir"])
        .arg(dest.path())
        .env("INPUTGRAD_MIRROR", &server.base)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("md5 ok") && text.contains("spambase: present"), "{text}");
    assert_eq!(std::fs::read(dest.path().join("uci/spambase.data")).unwrap(), std::fs::read(real.join("uci/spambase.data")).unwrap());

    let out = Command::new(env!("CARGO_BIN_EXE_inputgrad"))
        .args(["data", "fetch", "mushroom", "--mirror", &server.base, "--data-dir"])
        .arg(dest.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("md5 mismatch") && err.contains("uci/agaricus-lepiota.data"), "{err}");
    assert!(!dest.path().join("uci/agaricus-lepiota.data").exists());
    no_partial_files(dest.path());
    server.stop();
}

/// A server that trickles one byte every 20 ms (each read returns well before the read timeout)
/// is abandoned once the grace period is over and the mean rate is below the floor; nothing is
/// left under the final name or as a temporary file.
#[test]
fn a_trickling_server_is_abandoned() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/slow.bin", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut req = [0u8; 1024];
        let _ = s.read(&mut req);
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
        for _ in 0..250 {
            if s.write_all(b"x").and_then(|_| s.flush()).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("slow.bin");
    let patience = store::Patience { grace: Duration::from_millis(300), min_bytes_per_second: 1000.0 };
    let err = store::download_verified_with(&url, &dest, Checksum::Md5("00000000000000000000000000000000"), patience).unwrap_err();
    assert!(matches!(&err, Error::Download { reason, .. } if reason.contains("too slow")), "{err}");
    assert!(!dest.exists());
    no_partial_files(dir.path());
    drop(err);
    server.join().unwrap();
}

/// Temporary files of interrupted fetches (`.NAME.part-PID` of a process that is gone) are removed
/// by the next fetch of that file; one of a live process (this one) is left alone.
#[test]
fn stale_partial_downloads_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("spambase.data");
    // Linux pids never exceed 2^22, so this one belongs to no process.
    let dead = dir.path().join(".spambase.data.part-999999999");
    let live = dir.path().join(format!(".spambase.data.part-{}", std::process::id()));
    let other = dir.path().join(".mushroom.data.part-999999999");
    for p in [&dead, &live, &other] {
        std::fs::write(p, b"partial").unwrap();
    }
    assert_eq!(store::remove_stale_parts(&dest), 1);
    assert!(!dead.exists() && live.exists() && other.exists());
}
