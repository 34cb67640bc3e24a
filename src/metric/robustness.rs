//! Robust accuracy: the fraction of examples still classified correctly after an attack.

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Int, Tensor, TensorData};
use ndarray::ArrayView2;

use crate::error::{Error, Result};
use crate::model::Classifier;
use crate::rng::Seed;
use crate::train::{perturb, Attack, ThreatModel};

/// Clean and robust accuracy of `model` on `x` `[N, D]` with labels `y` under `threat` and
/// `attack`, in batches of `batch`. Batch `b` draws its random starts from `seed.derive(b)`.
/// An interrupt ([`crate::train::trainer::interrupted`]) stops it before the next batch with
/// [`Error::Interrupted`]: a partial accuracy is never returned.
///
/// # Shapes
/// - `x`: `[N, D]`; `y`: N labels
pub fn robust_accuracy<B, M>(
    model: &M,
    x: ArrayView2<'_, f32>,
    y: &[usize],
    threat: &ThreatModel,
    attack: &Attack,
    batch: usize,
    seed: Seed,
    device: &B::Device,
) -> Result<(f64, f64)>
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
    M::InnerModule: Classifier<B::InnerBackend>,
{
    if x.nrows() != y.len() || y.is_empty() {
        return Err(Error::Shape(format!("{} rows and {} labels", x.nrows(), y.len())));
    }
    let inner = model.valid();
    let (mut clean, mut robust) = (0usize, 0usize);
    let d = x.ncols();
    for (b, start) in (0..y.len()).step_by(batch.max(1)).enumerate() {
        if crate::train::trainer::interrupted() {
            return Err(Error::Interrupted { what: format!("the robust evaluation, after {start} of {} examples", y.len()) });
        }
        let end = (start + batch.max(1)).min(y.len());
        let rows: Vec<f32> = x.slice(ndarray::s![start..end, ..]).iter().copied().collect();
        let xt = Tensor::<B::InnerBackend, 2>::from_data(TensorData::new(rows, [end - start, d]), device);
        let yt = Tensor::<B::InnerBackend, 1, Int>::from_data(
            TensorData::new(y[start..end].iter().map(|&v| v as i64).collect::<Vec<_>>(), [end - start]),
            device,
        );
        let correct = |logits: Tensor<B::InnerBackend, 2>| -> usize {
            let pred = logits.argmax(1).reshape([end - start]);
            pred.equal(yt.clone()).int().sum().into_scalar().elem_usize()
        };
        clean += correct(inner.logits(xt.clone()));
        let adv = perturb::<B, M>(model, xt, yt.clone(), threat, attack, seed.derive(b as u64))?;
        robust += correct(inner.logits(adv));
    }
    let n = y.len() as f64;
    Ok((clean as f64 / n, robust as f64 / n))
}

trait ElemUsize {
    fn elem_usize(self) -> usize;
}
impl<E: burn::tensor::Element> ElemUsize for E {
    fn elem_usize(self) -> usize {
        burn::tensor::ElementConversion::elem::<i64>(self).max(0) as usize
    }
}
