//! Loading PyTorch weights: state dicts of every model of the zoo.
//!
//! The file is a `torch.save(model.state_dict(), path)` archive (zip format, or the legacy pickle
//! format) read with burn-store's PyTorch reader. Keys are the models' field names, which for the
//! ResNets are torchvision's `resnet18`/`resnet50` keys:
//!
//! | model | keys |
//! |---|---|
//! | linear | `fc` |
//! | MLP | `hidden.{i}`, `out` |
//! | Madry CNN | `conv1`, `conv2`, `fc1`, `fc2` |
//! | ResNet | `conv1`, `bn1`, `layer{1..4}.{i}.{conv,bn}{1,2,3}`, `layer{s}.{i}.downsample.{0,1}`, `fc` |
//! | VGG11 | `convs.{i}.conv`, `convs.{i}.bn`, `classifier` |
//!
//! Each dense layer has `weight` `[out, in]` and `bias`, each convolution `weight`
//! `[out, in, kh, kw]` (and `bias` where the model has one); BN layers carry `weight` (γ), `bias`
//! (β), `running_mean`, `running_var` and `num_batches_tracked` (ignored: it only matters for
//! momentum = None). A leading `module.` on every key (from `nn.DataParallel`) is stripped.
//!
//! Loading is strict, like PyTorch's `load_state_dict(strict=True)`: every tensor of the model must
//! be in the file with the same shape, and every tensor of the file must be used, so a ResNet50
//! file cannot silently half-load into a ResNet18. Errors name the file and the key.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use burn::module::{Param, RunningState};
use burn::nn::conv::Conv2d;
use burn::nn::Linear;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use burn_store::pytorch::{PytorchError, PytorchReader};
use burn_store::TensorSnapshot;

use super::norm::BatchNorm2d;
use super::resnet::{Block, ConvBn, ResNet};
use super::Net;
use crate::error::{Error, Result};

/// Suffix of the BN counter that PyTorch stores and burn does not need.
const IGNORED_SUFFIX: &str = ".num_batches_tracked";
/// Prefix that `nn.DataParallel` adds to every key.
const DATA_PARALLEL_PREFIX: &str = "module.";

/// One tensor of a state dict: read lazily from a file, or given.
enum Entry {
    Snapshot(TensorSnapshot),
    Data(TensorData),
}

impl Entry {
    fn shape(&self) -> Vec<usize> {
        match self {
            Entry::Snapshot(s) => s.shape.as_slice().to_vec(),
            Entry::Data(d) => d.shape.as_slice().to_vec(),
        }
    }
    fn dtype(&self) -> burn::tensor::DType {
        match self {
            Entry::Snapshot(s) => s.dtype,
            Entry::Data(d) => d.dtype,
        }
    }
    fn data(self) -> std::result::Result<TensorData, String> {
        match self {
            Entry::Snapshot(s) => s.to_data().map_err(|e| format!("{e:?}")),
            Entry::Data(d) => Ok(d),
        }
    }
}

/// The tensors of one state dict, consumed key by key.
pub struct StateDict {
    path: PathBuf,
    tensors: HashMap<String, Entry>,
}

impl core::fmt::Debug for StateDict {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "StateDict({}, {} tensors)", self.path.display(), self.tensors.len())
    }
}

impl StateDict {
    /// Given tensors, named `name` in errors (tests build state dicts this way).
    pub fn from_data(name: impl Into<PathBuf>, tensors: HashMap<String, TensorData>) -> Self {
        StateDict { path: name.into(), tensors: tensors.into_iter().map(|(k, v)| (k, Entry::Data(v))).collect() }
    }

    /// Reads a `torch.save(state_dict)` file.
    pub fn open(path: &Path) -> Result<Self> {
        let reader = PytorchReader::new(path).map_err(|e| match e {
            PytorchError::Io(source) => Error::Io { path: path.to_path_buf(), source },
            other => Error::Format { path: path.to_path_buf(), reason: format!("not a readable PyTorch state dict: {other}") },
        })?;
        let mut tensors: HashMap<String, Entry> = reader.into_tensors().into_iter().map(|(k, v)| (k, Entry::Snapshot(v))).collect();
        if !tensors.is_empty() && tensors.keys().all(|k| k.starts_with(DATA_PARALLEL_PREFIX)) {
            tensors = tensors.into_iter().map(|(k, v)| (k[DATA_PARALLEL_PREFIX.len()..].to_string(), v)).collect();
        }
        Ok(StateDict { path: path.to_path_buf(), tensors })
    }

    /// The keys, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.tensors.keys().cloned().collect();
        keys.sort();
        keys
    }

    fn err(&self, reason: String) -> Error {
        Error::Format { path: self.path.clone(), reason }
    }

    /// Removes `key` from the file's tensors, checks that it is a float tensor of shape `shape`,
    /// and uploads it to `device`.
    pub(crate) fn take<B: Backend, const D: usize>(&mut self, key: &str, shape: [usize; D], device: &B::Device) -> Result<Tensor<B, D>> {
        let snap = self.tensors.remove(key).ok_or_else(|| self.err(format!("missing key `{key}` (the model expects shape {shape:?})")))?;
        let found = snap.shape();
        if found != shape {
            return Err(self.err(format!("key `{key}` has shape {found:?} in the file; the model expects {shape:?}")));
        }
        if !snap.dtype().is_float() {
            return Err(self.err(format!("key `{key}` has dtype {:?}; a float tensor is expected", snap.dtype())));
        }
        let data: TensorData = snap.data().map_err(|e| self.err(format!("key `{key}`: cannot read its data: {e}")))?;
        Ok(Tensor::from_data(data.convert::<f32>(), device))
    }

    /// Loads into a parameter, keeping its id, device and `require_grad` setting.
    fn param<B: Backend, const D: usize>(&mut self, key: &str, p: Param<Tensor<B, D>>) -> Result<Param<Tensor<B, D>>> {
        let t = self.take(key, p.dims(), &p.device())?;
        let id = p.id;
        Ok(p.transform_for_load(t, id))
    }

    fn conv<B: Backend>(&mut self, prefix: &str, mut conv: Conv2d<B>) -> Result<Conv2d<B>> {
        conv.weight = self.param(&format!("{prefix}.weight"), conv.weight)?;
        conv.bias = match conv.bias {
            Some(b) => Some(self.param(&format!("{prefix}.bias"), b)?),
            None => None,
        };
        Ok(conv)
    }

    fn bn<B: Backend>(&mut self, prefix: &str, mut bn: BatchNorm2d<B>) -> Result<BatchNorm2d<B>> {
        let c = bn.channels();
        let device = bn.gamma.device();
        bn.gamma = self.param(&format!("{prefix}.weight"), bn.gamma)?;
        bn.beta = self.param(&format!("{prefix}.bias"), bn.beta)?;
        bn.running_mean = RunningState::new(self.take(&format!("{prefix}.running_mean"), [c], &device)?);
        bn.running_var = RunningState::new(self.take(&format!("{prefix}.running_var"), [c], &device)?);
        Ok(bn)
    }

    fn conv_bn<B: Backend>(&mut self, prefix: &str, d: ConvBn<B>) -> Result<ConvBn<B>> {
        Ok(ConvBn { conv: self.conv(&format!("{prefix}.0"), d.conv)?, bn: self.bn(&format!("{prefix}.1"), d.bn)? })
    }

    /// A PyTorch `nn.Linear`: weight `[out, in]` in the file, `[in, out]` in burn.
    fn linear<B: Backend>(&mut self, prefix: &str, mut fc: Linear<B>) -> Result<Linear<B>> {
        let [d_in, d_out] = fc.weight.dims();
        let device = fc.weight.device();
        let w: Tensor<B, 2> = self.take(&format!("{prefix}.weight"), [d_out, d_in], &device)?;
        let id = fc.weight.id;
        fc.weight = fc.weight.transform_for_load(w.transpose(), id);
        fc.bias = match fc.bias {
            Some(b) => Some(self.param(&format!("{prefix}.bias"), b)?),
            None => None,
        };
        Ok(fc)
    }

    fn block<B: Backend>(&mut self, prefix: &str, block: Block<B>) -> Result<Block<B>> {
        let ds = |sd: &mut Self, d: Option<ConvBn<B>>| -> Result<Option<ConvBn<B>>> {
            d.map(|d| sd.conv_bn(&format!("{prefix}.downsample"), d)).transpose()
        };
        Ok(match block {
            Block::Basic(mut b) => {
                b.conv1 = self.conv(&format!("{prefix}.conv1"), b.conv1)?;
                b.bn1 = self.bn(&format!("{prefix}.bn1"), b.bn1)?;
                b.conv2 = self.conv(&format!("{prefix}.conv2"), b.conv2)?;
                b.bn2 = self.bn(&format!("{prefix}.bn2"), b.bn2)?;
                b.downsample = ds(self, b.downsample)?;
                Block::Basic(b)
            }
            Block::Bottleneck(mut b) => {
                b.conv1 = self.conv(&format!("{prefix}.conv1"), b.conv1)?;
                b.bn1 = self.bn(&format!("{prefix}.bn1"), b.bn1)?;
                b.conv2 = self.conv(&format!("{prefix}.conv2"), b.conv2)?;
                b.bn2 = self.bn(&format!("{prefix}.bn2"), b.bn2)?;
                b.conv3 = self.conv(&format!("{prefix}.conv3"), b.conv3)?;
                b.bn3 = self.bn(&format!("{prefix}.bn3"), b.bn3)?;
                b.downsample = ds(self, b.downsample)?;
                Block::Bottleneck(b)
            }
        })
    }

    fn stage<B: Backend>(&mut self, prefix: &str, blocks: Vec<Block<B>>) -> Result<Vec<Block<B>>> {
        blocks.into_iter().enumerate().map(|(i, b)| self.block(&format!("{prefix}.{i}"), b)).collect()
    }

    /// Errors if the file has tensors the model did not use.
    fn finish(self) -> Result<()> {
        self.finish_ignoring(|k| k.ends_with(IGNORED_SUFFIX), "the model", "is it a different depth, stem or number of classes?")
    }

    /// Errors if the file has tensors that were not taken and that `ignore` does not accept;
    /// the message names `what` was loaded and ends with `hint`.
    pub(crate) fn finish_ignoring(self, ignore: impl Fn(&str) -> bool, what: &str, hint: &str) -> Result<()> {
        let unused: BTreeSet<&String> = self.tensors.keys().filter(|k| !ignore(k)).collect();
        if let Some(first) = unused.iter().next() {
            let list: Vec<&str> = unused.iter().take(8).map(|k| k.as_str()).collect();
            return Err(self.err(format!(
                "unexpected key `{first}`: {} tensor(s) of the file have no place in {what} ({}{}); {hint}",
                unused.len(),
                list.join(", "),
                if unused.len() > list.len() { ", …" } else { "" }
            )));
        }
        Ok(())
    }
}

/// Loads a torchvision-style ResNet state dict from `path` into `model`, which fixes the depth,
/// stem, input channels and classes the file must match.
///
/// Errors (never panics) when the file cannot be read or parsed, when a key is missing, has the
/// wrong shape or a non-float dtype, or when the file has keys the model does not use; each error
/// names the file and the key.
pub fn load_pytorch_resnet<B: Backend>(model: ResNet<B>, path: &Path) -> Result<ResNet<B>> {
    let mut sd = StateDict::open(path)?;
    let m = resnet(&mut sd, model)?;
    sd.finish()?;
    Ok(m)
}

/// Loads the state dict in `path` into `net` (keys in the module docs; strict, as
/// [`load_pytorch_resnet`]).
pub fn load_pytorch<B: Backend>(net: Net<B>, path: &Path) -> Result<Net<B>> {
    load_state_dict(net, StateDict::open(path)?)
}

/// Loads `sd` into `net`: every tensor of the model from the state dict, and every tensor of the
/// state dict used.
pub fn load_state_dict<B: Backend>(net: Net<B>, mut sd: StateDict) -> Result<Net<B>> {
    let net = match net {
        Net::Linear(mut m) => {
            m.fc = sd.linear("fc", m.fc)?;
            Net::Linear(m)
        }
        Net::Mlp(mut m) => {
            m.hidden = m.hidden.into_iter().enumerate().map(|(i, l)| sd.linear(&format!("hidden.{i}"), l)).collect::<Result<_>>()?;
            m.out = sd.linear("out", m.out)?;
            Net::Mlp(m)
        }
        Net::Cnn(mut m) => {
            m.conv1 = sd.conv("conv1", m.conv1)?;
            m.conv2 = sd.conv("conv2", m.conv2)?;
            m.fc1 = sd.linear("fc1", m.fc1)?;
            m.fc2 = sd.linear("fc2", m.fc2)?;
            Net::Cnn(m)
        }
        Net::ResNet(m) => Net::ResNet(resnet(&mut sd, m)?),
        Net::Vgg(mut m) => {
            m.convs = m
                .convs
                .into_iter()
                .enumerate()
                .map(|(i, mut c)| {
                    c.conv = sd.conv(&format!("convs.{i}.conv"), c.conv)?;
                    c.bn = sd.bn(&format!("convs.{i}.bn"), c.bn)?;
                    Ok(c)
                })
                .collect::<Result<_>>()?;
            m.classifier = sd.linear("classifier", m.classifier)?;
            Net::Vgg(m)
        }
        Net::SmallCnn(mut m) => {
            m.convs = m.convs.into_iter().enumerate().map(|(i, c)| sd.conv(&format!("convs.{i}"), c)).collect::<Result<_>>()?;
            m.norms = m.norms.into_iter().enumerate().map(|(i, b)| sd.bn(&format!("norms.{i}"), b)).collect::<Result<_>>()?;
            m.fc = sd.linear("fc", m.fc)?;
            Net::SmallCnn(m)
        }
    };
    sd.finish()?;
    Ok(net)
}

fn resnet<B: Backend>(sd: &mut StateDict, model: ResNet<B>) -> Result<ResNet<B>> {
    let mut m = model;
    m.conv1 = sd.conv("conv1", m.conv1)?;
    m.bn1 = sd.bn("bn1", m.bn1)?;
    m.layer1 = sd.stage("layer1", m.layer1)?;
    m.layer2 = sd.stage("layer2", m.layer2)?;
    m.layer3 = sd.stage("layer3", m.layer3)?;
    m.layer4 = sd.stage("layer4", m.layer4)?;
    m.fc = sd.linear("fc", m.fc)?;
    Ok(m)
}
