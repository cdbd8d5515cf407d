//! The load generator: HTTP/1.1 requests at a constant arrival rate (open model, free of
//! coordinated omission) or as fast as N connections go (closed model), with latency in an
//! HDR histogram. The driver only sees a `Target`, so its scheduling is tested on a fake
//! one in virtual time; `http` is the real target.

pub mod driver;
pub mod http;
pub mod latency;
pub mod plan;
pub mod ready;
pub mod report;
pub mod wire;

pub use driver::{Outcome, Target, run};
pub use plan::{Model, Plan};
pub use report::{LatencyMs, LoadReport};
