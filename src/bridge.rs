//! The bridge from synchronous code (Rhai runs on a blocking thread) to the tokio
//! runtime, where every wait gives up at once when the user interrupts.

use std::future::Future;
use std::time::Duration;

use anyhow::{Result, anyhow};
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct Bridge {
    runtime: Handle,
    cancel: CancellationToken,
}

impl Bridge {
    pub fn new(runtime: Handle, cancel: CancellationToken) -> Self {
        Self { runtime, cancel }
    }

    pub fn runtime(&self) -> &Handle {
        &self.runtime
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Runs a future to completion, or stops it when the user interrupts.
    pub fn block_on<T>(&self, future: impl Future<Output = Result<T>>) -> Result<T> {
        let cancel = self.cancel.clone();
        self.runtime.block_on(async move {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => Err(anyhow!("interrupted")),
                result = future => result,
            }
        })
    }

    pub fn sleep(&self, duration: Duration) -> Result<()> {
        self.block_on(async move {
            tokio::time::sleep(duration).await;
            Ok(())
        })
    }
}
