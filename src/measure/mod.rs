//! Measuring runs: the init inside the container, the volume that carries it, one run.

pub mod init;
pub mod install;
pub mod record;
pub mod runner;
