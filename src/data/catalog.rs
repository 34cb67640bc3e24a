//! Named image data sets for training commands: `blockmnist`, `blockmnist-top`,
//! `mnist-distractor`, `mnist`, `fashion-mnist`, `cifar10`, `svhn`, `imagenet10` — each as a train
//! and a test split (ImageNet-10's `val` folder is its test split).

use std::path::Path;

use super::block_mnist::{self, BlockMnistSpec, NullKind, Placement};
use super::image_folder::{self, FolderOptions};
use super::{idx, ImageDataset, Normalization, Split};
use crate::error::{Error, Result};
use crate::rng::Seed;

/// Names [`load`] understands.
pub const NAMES: &[&str] = &["blockmnist", "blockmnist-top", "mnist-distractor", "mnist", "fashion-mnist", "cifar10", "svhn", "imagenet10"];

/// A train/test pair.
#[derive(Debug, Clone)]
pub struct TrainTest {
    /// Training split.
    pub train: ImageDataset,
    /// Test split.
    pub test: ImageDataset,
}

/// Loads `name` from the data folder `dir`. `classes` selects MNIST digits for the BlockMNIST
/// family (default {0, 1}; all ten for `mnist-distractor`); `seed` fixes block placements.
pub fn load(name: &str, dir: &Path, classes: Option<&[u8]>, seed: Seed, norm: &Normalization) -> Result<TrainTest> {
    let block = |placement: Placement, null: NullKind, default: &[u8]| -> Result<TrainTest> {
        let mnist = dir.join("mnist");
        let digits = classes.unwrap_or(default).to_vec();
        let mut out = Vec::with_capacity(2);
        for (split, stream) in [(Split::Train, 0u64), (Split::Test, 1u64)] {
            let raw = idx::read_raw(&mnist, split)?;
            let spec = BlockMnistSpec { digits: digits.clone(), placement, null, seed: seed.derive(stream) };
            out.push(block_mnist::build(&raw, &spec, norm)?.data);
        }
        let test = out.pop().ok_or_else(|| Error::Shape("no test split".into()))?;
        let train = out.pop().ok_or_else(|| Error::Shape("no train split".into()))?;
        Ok(TrainTest { train, test })
    };
    match name {
        "blockmnist" => block(Placement::Random, NullKind::Patch, &block_mnist::classes::ZERO_ONE),
        "blockmnist-top" => block(Placement::SignalTop, NullKind::Patch, &block_mnist::classes::ZERO_ONE),
        "mnist-distractor" => block(Placement::Random, NullKind::LetterA, &block_mnist::classes::ALL),
        "mnist" | "fashion-mnist" => {
            let d = dir.join(name);
            Ok(TrainTest { train: idx::load(&d, Split::Train, norm)?, test: idx::load(&d, Split::Test, norm)? })
        }
        "cifar10" => {
            let d = dir.join("cifar10");
            Ok(TrainTest { train: super::cifar::load(&d, super::cifar::Variant::Cifar10, Split::Train, norm)?, test: super::cifar::load(&d, super::cifar::Variant::Cifar10, Split::Test, norm)? })
        }
        "svhn" => {
            let d = dir.join("svhn");
            Ok(TrainTest { train: super::svhn::load(&d, "train", norm)?, test: super::svhn::load(&d, "test", norm)? })
        }
        "imagenet10" => imagenet10(dir, FolderOptions::IMAGENET, norm),
        other => Err(Error::InvalidParam { name: "data".into(), reason: format!("unknown data set `{other}`; known: {}", NAMES.join(", ")) }),
    }
}

/// ImageNet-10 from `<dir>/imagenet10/{train,val}` with the resize and crop `opts`.
pub fn imagenet10(dir: &Path, opts: FolderOptions, norm: &Normalization) -> Result<TrainTest> {
    let root = dir.join("imagenet10");
    let (train, classes) = image_folder::load(&root.join("train"), opts, norm)?;
    let (test, test_classes) = image_folder::load(&root.join("val"), opts, norm)?;
    if classes != test_classes {
        return Err(Error::Format { path: root.join("val"), reason: format!("class folders {test_classes:?} differ from train's {classes:?}") });
    }
    Ok(TrainTest { train, test })
}
