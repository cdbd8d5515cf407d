//! Experiments: scenarios, their interleaved schedule, the scheduler, and their results.

pub mod experiment;
pub mod figure;
pub mod load_figure;
pub mod overhead;
pub mod result;
pub mod schedule;
pub mod spec;
pub mod threshold;
pub mod warning;
