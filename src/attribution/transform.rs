//! Transforms applied to any method's map: magnitude, sign-of-input times attribution (seed 000
//! App. C.6), attribution times input.

use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::{Attribution, Attributions, Scalar};
use crate::error::Result;

/// A pointwise transform of an attribution map `a` of an input `x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// `a` unchanged (the default: signed maps).
    #[default]
    Signed,
    /// `|a|` (seed 000 §3 ranks by gradient magnitude).
    Magnitude,
    /// `sgn(x)·a` (seed 000 App. C.6: "ranked based on sgn(x_i)·g_i").
    SignedInput,
    /// `x·a` (gradient × input when `a` is a gradient; Captum's `InputXGradient`).
    TimesInput,
}

impl Transform {
    /// Applies the transform.
    ///
    /// # Shapes
    /// - `a`, `x`: `[N, D]`; returns `[N, D]`
    pub fn apply<I: Backend>(self, a: Tensor<I, 2>, x: &Tensor<I, 2>) -> Tensor<I, 2> {
        match self {
            Transform::Signed => a,
            Transform::Magnitude => a.abs(),
            Transform::SignedInput => a * x.clone().sign(),
            Transform::TimesInput => a * x.clone(),
        }
    }

    /// The name used in records and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Transform::Signed => "signed",
            Transform::Magnitude => "magnitude",
            Transform::SignedInput => "signed_input",
            Transform::TimesInput => "times_input",
        }
    }
}

/// Any method followed by a [`Transform`].
#[derive(Debug, Clone)]
pub struct Transformed<A> {
    /// The method.
    pub inner: A,
    /// The transform of its map.
    pub transform: Transform,
}

impl<B: AutodiffBackend, M, A: Attribution<B, M>> Attribution<B, M> for Transformed<A> {
    fn name(&self) -> String {
        match self.transform {
            Transform::Signed => self.inner.name(),
            t => format!("{}|{}", self.inner.name(), t.as_str()),
        }
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "method": self.inner.name(), "params": self.inner.params(), "transform": self.transform })
    }

    fn attribute(&self, model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar) -> Result<Attributions<B::InnerBackend>> {
        let out = self.inner.attribute(model, x.clone(), target)?;
        // A transform changes the map, so the completeness gap of the inner method no longer applies.
        let gap = if self.transform == Transform::Signed { out.gap } else { None };
        Ok(Attributions { values: self.transform.apply(out.values, &x), gap })
    }
}
