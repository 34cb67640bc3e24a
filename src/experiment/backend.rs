//! The backends an experiment's cells run on: `cpu` (the default CPU backend) and, in builds
//! with `--features cuda`, `cuda:N`. An experiment whose cells are generic over the autodiff
//! backend implements [`OnBackend`] for its cell computation and calls [`dispatch`] with the
//! device `run --device` names; it also answers `true` to [`super::Experiment::gpu`].

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;

use crate::error::{Error, Result};
use crate::model::{Classifier, Net};

/// The name recorded for cells computed with the burn-cuda backend (the device index is not
/// part of it: `cuda:0` and `cuda:1` compute the same bits).
pub const CUDA_BACKEND: &str = "burn-cuda f32";

/// A computation generic over the autodiff backend.
pub trait OnBackend {
    /// What it returns.
    type Output;
    /// Runs it on backend `B` and `device`.
    fn run<B: AutodiffBackend>(self, device: &B::Device) -> Result<Self::Output>
    where
        Net<B>: AutodiffModule<B>,
        <Net<B> as AutodiffModule<B>>::InnerModule: Classifier<B::InnerBackend>;
}

/// The CUDA device index of `cuda` / `cuda:N`; `None` for `cpu`; an error naming `--device`
/// otherwise.
pub fn cuda_index(device: &str) -> Result<Option<usize>> {
    match device {
        "cpu" => Ok(None),
        "cuda" => Ok(Some(0)),
        d => match d.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(i)) => Ok(Some(i)),
            _ => Err(Error::param("--device", format!("`{d}`: expected `cpu` or `cuda:N`"))),
        },
    }
}

/// The backend name recorded beside cells computed on `device`; an error if this build cannot
/// run on it.
pub fn name(device: &str) -> Result<String> {
    match cuda_index(device)? {
        None => Ok(crate::train::CPU_BACKEND.into()),
        Some(_) if cfg!(feature = "cuda") => Ok(CUDA_BACKEND.into()),
        Some(_) => Err(no_gpu(device)),
    }
}

/// Runs `job` on the backend and device `device` names.
pub fn dispatch<T: OnBackend>(device: &str, job: T) -> Result<T::Output> {
    match cuda_index(device)? {
        None => job.run::<crate::train::CpuAutodiff>(&Default::default()),
        Some(i) => cuda(job, i, device),
    }
}

#[cfg(feature = "cuda")]
fn cuda<T: OnBackend>(job: T, index: usize, _device: &str) -> Result<T::Output> {
    job.run::<burn::backend::Autodiff<burn::backend::Cuda<f32>>>(&burn::backend::cuda::CudaDevice::new(index))
}

#[cfg(not(feature = "cuda"))]
fn cuda<T: OnBackend>(_job: T, _index: usize, device: &str) -> Result<T::Output> {
    Err(no_gpu(device))
}

fn no_gpu(device: &str) -> Error {
    Error::param("--device", format!("`{device}`: this build has no GPU backend; rebuild with `cargo build --release --features cuda`"))
}
