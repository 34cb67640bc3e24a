//! The known experiments: id → [`Experiment`].
//!
//! [`Registry::builtin`] holds every experiment of the toolkit, each with its spec compiled into
//! the binary. A researcher's own binary adds experiments with [`Registry::register`] and gets
//! `run`, `merge`, `status`, shards, plots and claims for them through [`mod@super::run`].

use super::grid::Experiment;
use super::{seed000_blockmnist, seed000_diffroar, seed000_fig31, seed000_fig5, seed000_leakage, seed000_maxmargin, seed001_images, seed001_tabular, seed002, seed003_leakage, seed003_robustness, seed004_distractor, seed004_manifold};
use crate::error::{Error, Result};

/// A set of experiments by id.
pub struct Registry {
    experiments: Vec<Box<dyn Experiment>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.ids()).finish()
    }
}

impl Registry {
    /// No experiments.
    pub fn empty() -> Self {
        Registry { experiments: Vec::new() }
    }

    /// Every experiment of the toolkit.
    pub fn builtin() -> Self {
        let mut r = Registry::empty();
        let all: Vec<Box<dyn Experiment>> = vec![
            Box::new(seed000_fig5::Fig5),
            Box::new(seed000_leakage::Leakage),
            Box::new(seed000_fig31::Fig31),
            Box::new(seed000_maxmargin::MaxMargin),
            Box::new(seed001_tabular::Tabular),
            Box::new(seed001_images::Images::mnist()),
            Box::new(seed001_images::Images::fmnist()),
            Box::new(seed001_images::Images::cifar10()),
            Box::new(seed002::Toy),
            Box::new(seed003_leakage::Leakage::default()),
            Box::new(seed003_robustness::Robustness),
            Box::new(seed004_manifold::Manifold::fig2()),
            Box::new(seed004_manifold::Manifold::imagenet()),
            Box::new(seed004_distractor::Distractor::default()),
            Box::new(seed000_diffroar::DiffRoar::fmnist()),
            Box::new(seed000_diffroar::DiffRoar::svhn()),
            Box::new(seed000_diffroar::DiffRoar::cifar10()),
            Box::new(seed000_diffroar::DiffRoar::imagenet10()),
            Box::new(seed000_blockmnist::BlockStudy::default()),
        ];
        for e in all {
            r.experiments.push(e);
        }
        r
    }

    /// Adds an experiment; an error if its id is taken.
    pub fn register(&mut self, e: Box<dyn Experiment>) -> Result<()> {
        if self.experiments.iter().any(|x| x.id() == e.id()) {
            return Err(Error::param("id", format!("an experiment `{}` is registered already", e.id())));
        }
        self.experiments.push(e);
        Ok(())
    }

    /// The experiment `id`, or an error listing the known ids.
    pub fn find(&self, id: &str) -> Result<&dyn Experiment> {
        self.experiments
            .iter()
            .find(|e| e.id() == id)
            .map(|e| e.as_ref())
            .ok_or_else(|| Error::param("id", format!("unknown experiment `{id}`; known: {}", self.ids().join(", "))))
    }

    /// The ids, in registration order.
    pub fn ids(&self) -> Vec<&str> {
        self.experiments.iter().map(|e| e.id()).collect()
    }

    /// Every experiment, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &dyn Experiment> {
        self.experiments.iter().map(|e| e.as_ref())
    }
}
