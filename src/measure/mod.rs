//! Measuring runs: the init inside the container, the volume that carries it, one run,
//! and the actions a script fires while it is in progress.

pub mod actions;
pub mod init;
pub mod install;
pub mod record;
pub mod runner;
pub mod service;
pub mod window;
