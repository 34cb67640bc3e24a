//! One autodiff graph at a time per process.
//!
//! burn-autodiff 0.21.0 keeps every thread's graphs in one global locator, and each `backward()`
//! ends with a sweep that frees the steps of graphs it believes unused. A graph that another thread
//! is building at that moment can lose steps to the sweep, and its parameters then come back with a
//! gradient that is silently missing a term (tracel-ai/burn#5573; fixed upstream after 0.21.0,
//! which this crate pins). Concurrent training in one process — the test harness runs tests in
//! parallel threads — then gives different weights for the same seed.
//!
//! Every place in this crate that builds an autodiff graph and runs `backward()` holds
//! [`graph_lock`] from the first operation to the end of the backward pass: the training step
//! ([`crate::train::TrainStep::step`]) and input gradients ([`crate::attribution::gradient::input_gradient`]).
//! The lock is re-entrant, because a training step computes input gradients (attacks, the
//! finite-difference penalty routes) on the same thread. Code outside the crate that runs its own
//! `backward()` while other threads train should hold it too.

use parking_lot::{ReentrantMutex, ReentrantMutexGuard};

static GRAPH: ReentrantMutex<()> = parking_lot::const_reentrant_mutex(());

/// Holds the process-wide autodiff lock until the guard is dropped. Re-entrant on one thread.
pub fn graph_lock() -> ReentrantMutexGuard<'static, ()> {
    GRAPH.lock()
}
