//! pyrobench: measures what a continuous-profiling agent costs.
//!
//! The binary is a thin `main`; everything lives here so that tests and the fuzz targets
//! reach the same code.

pub mod app;
pub mod bench;
pub mod bridge;
pub mod cli;
pub mod docker;
pub mod ingester;
pub mod load;
pub mod measure;
pub mod report;
pub mod script;
pub mod session;
pub mod settings;
pub mod stats;
