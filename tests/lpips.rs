//! LPIPS (src/metric/lpips.rs) against the `lpips` package, and its loading path.
//!
//! The reference numbers come from tests/support/lpips_fixture.py (lpips v0.1, net='alex', with
//! every trunk and head weight set by a closed formula this file evaluates bit for bit); the heads
//! reach both sides through the same legacy-format `torch.save` file, tests/fixtures/lpips/heads.pth.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use burn::backend::{Autodiff, NdArray};
use burn::tensor::{Tensor, TensorData};
use inputgrad::metric::lpips::{Lpips, StateDict, CHANNELS, LPIPS_RANGE, MIN_SIZE};
use inputgrad::{prec, Error, Seed};

type I = NdArray<f32>;
type B = Autodiff<NdArray<f32>>;

fn dev() -> burn::backend::ndarray::NdArrayDevice {
    Default::default()
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lpips")
}

fn fixture() -> serde_json::Value {
    let path = fixture_dir().join("alex.json");
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (rerun tests/support/lpips_fixture.py)", path.display()))).expect("json")
}

/// The fixture script's u(i) = ((i·mult + kk·key_mult + offset) mod m)/m − ½ for i < n.
fn formula_u(f: &serde_json::Value, n: usize, kk: u64) -> Vec<f64> {
    let g = |k: &str| f[k].as_u64().expect("formula constant");
    let (mult, key_mult, offset, m) = (g("mult"), g("key_mult"), g("offset"), g("mod"));
    (0..n as u64).map(|i| ((i * mult + kk * key_mult + offset) % m) as f64 / m as f64 - 0.5).collect()
}

/// The fixture's tensors by key, from its formula (the script's `fill`): trunk (`features.*`)
/// and heads (`lin*`) together.
fn formula_tensors(fx: &serde_json::Value) -> HashMap<String, TensorData> {
    let mut tensors = HashMap::new();
    for (kk, entry) in fx["keys"].as_array().expect("keys").iter().enumerate() {
        let key = entry[0].as_str().expect("key").to_string();
        let shape: Vec<usize> = entry[1].as_array().expect("shape").iter().map(|d| d.as_u64().expect("dim") as usize).collect();
        let u = formula_u(&fx["formula"], shape.iter().product(), kk as u64);
        let v: Vec<f32> = if key.starts_with("lin") {
            let scale = 2.0 / (shape[1] as f64).sqrt();
            u.iter().map(|x| ((x + 0.5) * scale) as f32).collect()
        } else if shape.len() >= 2 {
            let scale = 2.0 / (shape[1..].iter().product::<usize>() as f64).sqrt();
            u.iter().map(|x| (x * scale) as f32).collect()
        } else {
            u.iter().map(|x| (0.1 * x) as f32).collect()
        };
        tensors.insert(key, TensorData::new(v, shape));
    }
    tensors
}

/// The trunk part of [`formula_tensors`].
fn trunk_tensors(fx: &serde_json::Value) -> HashMap<String, TensorData> {
    formula_tensors(fx).into_iter().filter(|(k, _)| k.starts_with("features.")).collect()
}

/// The head part of [`formula_tensors`].
fn head_tensors(fx: &serde_json::Value) -> HashMap<String, TensorData> {
    formula_tensors(fx).into_iter().filter(|(k, _)| k.starts_with("lin")).collect()
}

/// The fixture's LPIPS: formula trunk, heads read from heads.pth.
fn fixture_model(fx: &serde_json::Value) -> Lpips<I> {
    let heads = StateDict::open(&fixture_dir().join("heads.pth")).expect("open heads.pth");
    Lpips::from_weights(StateDict::from_data("formula trunk", trunk_tensors(fx)), heads, &dev()).expect("load")
}

/// The image pairs of a fixture case: x = 2u(key + 2p), y = 2((1 − t)u(key + 2p) + t u(key + 2p + 1)).
fn case_inputs(fx: &serde_json::Value, case: &serde_json::Value) -> (Tensor<I, 2>, Tensor<I, 2>, [usize; 3]) {
    let shape: Vec<usize> = case["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let image = [shape[0], shape[1], shape[2]];
    let d: usize = shape.iter().product();
    let (pairs, key) = (case["pairs"].as_u64().unwrap() as usize, case["key"].as_u64().unwrap());
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for p in 0..pairs {
        let t = case["t"][p].as_f64().unwrap();
        let a = formula_u(&fx["formula"], d, key + 2 * p as u64);
        let b = formula_u(&fx["formula"], d, key + 2 * p as u64 + 1);
        xs.extend(a.iter().map(|a| (2.0 * a) as f32));
        ys.extend(a.iter().zip(&b).map(|(a, b)| (2.0 * ((1.0 - t) * a + t * b)) as f32));
    }
    let t = |v: Vec<f32>| Tensor::<I, 2>::from_data(TensorData::new(v, [pairs, d]), &dev());
    (t(xs), t(ys), image)
}

fn values<const D: usize>(t: Tensor<I, D>) -> Vec<f64> {
    t.into_data().convert::<f64>().to_vec::<f64>().expect("f64 data")
}

fn numbers(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

/// Largest |a − b| / |b| over the entries.
fn max_rel(got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    got.iter().zip(want).map(|(a, b)| (a - b).abs() / b.abs()).fold(0.0, f64::max)
}

/// Random images in [−1, 1] from a seed.
fn images(n: usize, image: [usize; 3], seed: u64) -> Tensor<I, 2> {
    let device = dev();
    inputgrad::model::init::Init::<I>::new(Seed(seed), &device).uniform([n, image.iter().product()], 1.0)
}

/// Ours against lpips in float32 (the numbers it gives) and in float64 (the same network in
/// exact-ish arithmetic), per distance and per layer term, relative to the reference value.
#[test]
fn distances_and_layer_terms_match_the_lpips_package() {
    let fx = fixture();
    let model = fixture_model(&fx);
    let (mut worst, mut worst64, mut torch_vs_64): (f64, f64, f64) = (0.0, 0.0, 0.0);
    for case in fx["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().unwrap();
        let (x, y, image) = case_inputs(&fx, case);
        let mut got = vec![values(model.distance(x.clone(), y.clone(), image, LPIPS_RANGE).expect("distance"))];
        got.extend(model.layer_distances(x, y, image, LPIPS_RANGE).expect("layers").into_iter().map(values));
        let mut want = vec![numbers(&case["distance"])];
        want.extend((0..5).map(|l| numbers(&case["layers"][l])));
        let mut want64 = vec![numbers(&case["distance_f64"])];
        want64.extend((0..5).map(|l| numbers(&case["layers_f64"][l])));
        for (i, what) in ["distance", "layer 0", "layer 1", "layer 2", "layer 3", "layer 4"].iter().enumerate() {
            let (e, e64, t64) = (max_rel(&got[i], &want[i]), max_rel(&got[i], &want64[i]), max_rel(&want[i], &want64[i]));
            eprintln!("{name} {what}: within {e:.2e} of lpips f32, {e64:.2e} of lpips f64 (lpips f32 vs f64: {t64:.2e})");
            assert!(e <= prec::LPIPS_TORCH_F32, "{name} {what}: {:?} differs from lpips's {:?} by {e:.2e}", got[i], want[i]);
            assert!(e64 <= prec::LPIPS_TORCH_F32, "{name} {what}: {:?} differs from lpips's f64 {:?} by {e64:.2e}", got[i], want64[i]);
            (worst, worst64, torch_vs_64) = (worst.max(e), worst64.max(e64), torch_vs_64.max(t64));
        }
    }
    eprintln!("worst relative deviation: {worst:.2e} from lpips f32, {worst64:.2e} from lpips f64 (lpips f32 itself: {torch_vs_64:.2e})");
}

#[test]
fn the_heads_file_loads_bit_for_bit() {
    let fx = fixture();
    let model = fixture_model(&fx);
    let want = head_tensors(&fx);
    for (l, head) in model.heads.iter().enumerate() {
        let w = want[&format!("lin{l}.model.1.weight")].to_vec::<f32>().unwrap();
        assert_eq!(head.val().into_data().to_vec::<f32>().unwrap(), w, "lin{l}");
        assert_eq!(w.len(), CHANNELS[l]);
    }
}

#[test]
fn an_image_is_at_distance_zero_from_itself() {
    let model = Lpips::<I>::random(Seed(1), &dev());
    for image in [[3, 40, 33], [1, 32, 32]] {
        let x = images(3, image, 2);
        let d = values(model.distance(x.clone(), x, image, LPIPS_RANGE).expect("distance"));
        assert!(d.iter().all(|&v| v == 0.0), "{image:?}: {d:?}");
    }
}

#[test]
fn the_distance_is_symmetric_and_non_negative() {
    let model = Lpips::<I>::random(Seed(3), &dev());
    let image = [3, 48, 40];
    let (x, y) = (images(4, image, 4), images(4, image, 5));
    let dxy = values(model.distance(x.clone(), y.clone(), image, LPIPS_RANGE).unwrap());
    let dyx = values(model.distance(y, x, image, LPIPS_RANGE).unwrap());
    assert!(dxy.iter().all(|&v| v > 0.0), "{dxy:?}");
    let e = max_rel(&dyx, &dxy);
    assert!(e <= prec::F32_EXACT, "d(x, y) {dxy:?} vs d(y, x) {dyx:?}: {e:.2e}");
}

#[test]
fn gray_images_equal_their_three_channel_copies_and_ranges_map_onto_minus_one_one() {
    let model = Lpips::<I>::random(Seed(6), &dev());
    let (n, g) = (2, [1, 36, 31]);
    let (x, y) = (images(n, g, 7), images(n, g, 8));
    let rgb = |t: Tensor<I, 2>| t.reshape([n, 1, 36 * 31]).repeat_dim(1, 3).reshape([n, 3 * 36 * 31]);
    let gray = values(model.distance(x.clone(), y.clone(), g, LPIPS_RANGE).unwrap());
    let three = values(model.distance(rgb(x.clone()), rgb(y.clone()), [3, 36, 31], LPIPS_RANGE).unwrap());
    assert_eq!(gray, three);
    // The same images in [0, 1] and in [0, 255].
    let unit = |t: Tensor<I, 2>| (t + 1.0) / 2.0;
    let in01 = values(model.distance(unit(x.clone()), unit(y.clone()), g, (0.0, 1.0)).unwrap());
    assert!(max_rel(&in01, &gray) <= prec::F32_EXACT, "{in01:?} vs {gray:?}");
    let bytes = |t: Tensor<I, 2>| unit(t) * 255.0;
    let in255 = values(model.distance(bytes(x), bytes(y), g, (0.0, 255.0)).unwrap());
    assert!(max_rel(&in255, &gray) <= prec::F32_EXACT, "{in255:?} vs {gray:?}");
}

/// A dead ReLU layer (all channels 0 everywhere) contributes 0 and leaves the input gradient
/// finite (lpips's √0 gives NaN there).
#[test]
fn a_dead_layer_contributes_zero_and_keeps_gradients_finite() {
    let fx = fixture();
    let mut trunk = trunk_tensors(&fx);
    trunk.insert("features.10.bias".into(), TensorData::new(vec![-1e4f32; 256], [256]));
    let model = Lpips::<B>::from_weights(StateDict::from_data("dead trunk", trunk), StateDict::from_data("heads", head_tensors(&fx)), &dev()).unwrap();
    let image = [3, 31, 31];
    let x = Tensor::<B, 2>::from_inner(images(2, image, 9)).require_grad();
    let y = Tensor::<B, 2>::from_inner(images(2, image, 10));
    let terms = model.layer_distances(x.clone(), y.clone(), image, LPIPS_RANGE).unwrap();
    assert!(terms[4].clone().inner().into_data().to_vec::<f32>().unwrap().iter().all(|&v| v == 0.0));
    let d = model.distance(x.clone(), y, image, LPIPS_RANGE).unwrap();
    let grads = d.sum().backward();
    let g = x.grad(&grads).expect("gradient").into_data().to_vec::<f32>().unwrap();
    assert!(g.iter().all(|v| v.is_finite()), "non-finite input gradient");
    assert!(g.iter().any(|&v| v != 0.0), "zero input gradient");
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let model = Lpips::<I>::random(Seed(11), &dev());
    let call = |n: usize, d: usize, image: [usize; 3], range: (f32, f32)| model.distance(images(n, [1, 1, d], 1), images(n, [1, 1, d], 2), image, range).map(|_| ());
    let small = MIN_SIZE - 1;
    assert!(matches!(call(1, 3 * small * 40, [3, small, 40], LPIPS_RANGE), Err(Error::InvalidParam { .. })));
    assert!(matches!(call(1, 3 * 40 * small, [3, 40, small], LPIPS_RANGE), Err(Error::InvalidParam { .. })));
    assert!(matches!(call(1, 2 * 32 * 32, [2, 32, 32], LPIPS_RANGE), Err(Error::InvalidParam { .. })));
    assert!(matches!(call(1, 3 * 32 * 32 + 1, [3, 32, 32], LPIPS_RANGE), Err(Error::Shape(_))));
    assert!(matches!(call(1, 3 * 32 * 32, [3, 32, 32], (1.0, 1.0)), Err(Error::InvalidParam { .. })));
    assert!(matches!(call(1, 3 * 32 * 32, [3, 32, 32], (0.0, f32::NAN)), Err(Error::InvalidParam { .. })));
    let r = model.distance(images(2, [3, 32, 32], 1), images(3, [3, 32, 32], 2), [3, 32, 32], LPIPS_RANGE);
    assert!(matches!(r, Err(Error::Shape(_))));
}

#[test]
fn random_weights_follow_the_seed() {
    let (a, b, c) = (Lpips::<I>::random(Seed(4), &dev()), Lpips::<I>::random(Seed(4), &dev()), Lpips::<I>::random(Seed(5), &dev()));
    let first = |m: &Lpips<I>| m.convs[0].weight.val().into_data().to_vec::<f32>().unwrap();
    assert_eq!(first(&a), first(&b));
    assert_ne!(first(&a), first(&c));
    let heads = |m: &Lpips<I>| m.heads.iter().flat_map(|h| h.val().into_data().to_vec::<f32>().unwrap()).collect::<Vec<_>>();
    assert_eq!(heads(&a), heads(&b));
    assert!(heads(&a).iter().all(|&w| w >= 0.0));
}

#[test]
fn a_full_alexnet_state_dict_loads_with_its_classifier_ignored() {
    let fx = fixture();
    let mut full = trunk_tensors(&fx);
    // torchvision's classifier keys (shapes shrunk: they are not read).
    for (k, n) in [("classifier.1.weight", 6), ("classifier.1.bias", 2), ("classifier.4.weight", 4), ("classifier.4.bias", 2), ("classifier.6.weight", 4), ("classifier.6.bias", 2)] {
        full.insert(k.into(), TensorData::new(vec![0f32; n], [n]));
    }
    let with = Lpips::<I>::from_weights(StateDict::from_data("alexnet", full), StateDict::from_data("heads", head_tensors(&fx)), &dev()).expect("full dict");
    let without = Lpips::<I>::from_weights(StateDict::from_data("alexnet", trunk_tensors(&fx)), StateDict::from_data("heads", head_tensors(&fx)), &dev()).expect("features only");
    let image = [3, 32, 32];
    let (x, y) = (images(2, image, 12), images(2, image, 13));
    assert_eq!(values(with.distance(x.clone(), y.clone(), image, LPIPS_RANGE).unwrap()), values(without.distance(x, y, image, LPIPS_RANGE).unwrap()));
}

#[test]
fn loading_errors_name_the_file_and_the_key() {
    let fx = fixture();
    let dir = tempfile::tempdir().expect("tempdir");
    let heads_pth = fixture_dir().join("heads.pth");
    let load = |trunk: HashMap<String, TensorData>, heads: HashMap<String, TensorData>| {
        Lpips::<I>::from_weights(StateDict::from_data("trunk.pth", trunk), StateDict::from_data("lin.pth", heads), &dev()).map(|_| ()).expect_err("must fail").to_string()
    };
    // Files: missing (I/O error), not a state dict (format error), the two files swapped.
    let missing = dir.path().join("nope.pth");
    match Lpips::<I>::from_files(&missing, &heads_pth, &dev()) {
        Err(e @ Error::Io { .. }) => assert!(e.to_string().contains("nope.pth"), "{e}"),
        other => panic!("expected Io, got {:?}", other.map(|_| ())),
    }
    let garbage = dir.path().join("garbage.pth");
    std::fs::write(&garbage, b"not a pickle").unwrap();
    match Lpips::<I>::from_files(&heads_pth, &garbage, &dev()) {
        Err(e @ Error::Format { .. }) => assert!(e.to_string().contains("garbage.pth"), "{e}"),
        other => panic!("expected Format, got {:?}", other.map(|_| ())),
    }
    let msg = Lpips::<I>::from_files(&heads_pth, &heads_pth, &dev()).map(|_| ()).expect_err("swapped").to_string();
    assert!(msg.contains("heads.pth") && msg.contains("missing key `features.0.weight`"), "{msg}");
    // Keys: wrong shape, missing, unknown, non-float, in either file.
    let mut t = trunk_tensors(&fx);
    t.insert("features.3.weight".into(), TensorData::new(vec![0f32; 192 * 64 * 3 * 3], [192, 64, 3, 3]));
    let msg = load(t, head_tensors(&fx));
    assert!(msg.contains("trunk.pth") && msg.contains("`features.3.weight`") && msg.contains("[192, 64, 3, 3]") && msg.contains("[192, 64, 5, 5]"), "{msg}");
    let mut h = head_tensors(&fx);
    h.insert("lin2.model.1.weight".into(), TensorData::new(vec![0f32; 384], [384]));
    let msg = load(trunk_tensors(&fx), h);
    assert!(msg.contains("lin.pth") && msg.contains("`lin2.model.1.weight`") && msg.contains("[1, 384, 1, 1]"), "{msg}");
    let mut h = head_tensors(&fx);
    let w = h.remove("lin4.model.1.weight").unwrap();
    h.insert("lins.4.model.1.weight".into(), w);
    let msg = load(trunk_tensors(&fx), h);
    assert!(msg.contains("lin.pth") && msg.contains("missing key `lin4.model.1.weight`"), "{msg}");
    let mut h = head_tensors(&fx);
    h.insert("lin5.model.1.weight".into(), TensorData::new(vec![0f32; 4], [1, 4, 1, 1]));
    let msg = load(trunk_tensors(&fx), h);
    assert!(msg.contains("lin.pth") && msg.contains("unexpected key `lin5.model.1.weight`"), "{msg}");
    let mut t = trunk_tensors(&fx);
    t.insert("features.1.weight".into(), TensorData::new(vec![0f32; 2], [2]));
    let msg = load(t, head_tensors(&fx));
    assert!(msg.contains("trunk.pth") && msg.contains("unexpected key `features.1.weight`"), "{msg}");
    let mut t = trunk_tensors(&fx);
    t.insert("features.10.bias".into(), TensorData::new(vec![0i64; 256], [256]));
    let msg = load(t, head_tensors(&fx));
    assert!(msg.contains("trunk.pth") && msg.contains("`features.10.bias`") && msg.contains("dtype"), "{msg}");
}

/// The data store's `lpips` entry fetches what the references name: the heads file the lpips
/// package ships (its md5 and its keys, the shapes [`Lpips::from_weights`] takes) and torchvision's
/// AlexNet URL, verified by the sha256 prefix in its file name as torch.hub's `check_hash` does.
#[test]
fn the_data_store_fetches_the_official_weights() {
    use inputgrad::checksum::Checksum;
    use inputgrad::data::store;
    let fx = fixture();
    let off = &fx["official"];
    let ds = store::find("lpips").unwrap();
    let heads = ds.downloads.iter().find(|f| f.rel == store::LPIPS_HEADS).unwrap();
    assert_eq!(heads.checksum.algorithm(), "md5");
    assert_eq!(heads.checksum.expected(), off["heads_md5"].as_str().unwrap());
    let keys: Vec<(String, Vec<u64>)> = off["heads_keys"].as_array().unwrap().iter().map(|k| (k[0].as_str().unwrap().to_owned(), k[1].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect())).collect();
    let want: Vec<(String, Vec<u64>)> = CHANNELS.iter().enumerate().map(|(l, &c)| (format!("lin{l}.model.1.weight"), vec![1, c as u64, 1, 1])).collect();
    assert_eq!(keys, want);

    let alex = ds.downloads.iter().find(|f| f.rel == store::LPIPS_ALEXNET).unwrap();
    let url = off["alexnet_url"].as_str().unwrap();
    assert_eq!(alex.urls[0], url);
    let name = url.rsplit('/').next().unwrap();
    assert!(store::LPIPS_ALEXNET.ends_with(&format!("/{name}")), "{name}");
    // torch.hub: HASH_REGEX = r"-([a-f0-9]*)\." on the file name, compared with the sha256's start.
    let stem = name.strip_suffix(".pth").unwrap();
    let prefix = stem.rsplit('-').next().unwrap();
    assert!(prefix.len() >= 8 && prefix.chars().all(|c| c.is_ascii_hexdigit()), "{prefix}");
    assert_eq!(alex.checksum, Checksum::Sha256Prefix(Box::leak(prefix.to_owned().into_boxed_str())));
}
