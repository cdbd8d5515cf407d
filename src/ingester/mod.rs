//! The built-in ingester: a Pyroscope-compatible server that counts what agents upload.

pub mod address;
pub mod client;
mod control;
mod decoder;
mod http;
pub mod image;
mod ingest;
pub mod mode;
pub mod protocol;
pub mod scrape;
pub mod server;
mod state;
pub mod stats;
mod workers;

/// The port agents upload to, inside the benchmark network.
pub const INGEST_PORT: u16 = 4040;
/// The port the engine reads stats and switches modes on.
pub const CONTROL_PORT: u16 = 4041;
/// The name agents reach the ingester by on its network.
pub const HOSTNAME: &str = "ingester";

pub use http::DEFAULT_HEADER_READ_TIMEOUT;
