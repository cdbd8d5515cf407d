//! Experiments: scenarios, their interleaved schedule, and their results.

pub mod result;
pub mod schedule;
pub mod spec;
pub mod threshold;
