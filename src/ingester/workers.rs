//! Threads that serve ingest connections, each on a single-threaded runtime of its own: a
//! connection stays on one thread, so a request costs no work stealing and no wake-up of
//! another thread. The listener stays with the caller, which hands connections round.

use std::future::Future;

use anyhow::{Context, Result};
use tokio::net::TcpStream;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

pub(super) struct Workers {
    queues: Vec<UnboundedSender<std::net::TcpStream>>,
    next: usize,
}

impl Workers {
    /// One thread per core, each serving the connections it is handed with `serve`. They
    /// stop, dropping their connections, when `Workers` is dropped.
    pub(super) fn start<S, F>(serve: S) -> Result<Self>
    where
        S: Fn(TcpStream) -> F + Clone + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut queues = Vec::with_capacity(cores);
        for index in 0..cores {
            let (queue, mut handed) = unbounded_channel::<std::net::TcpStream>();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start an ingest worker's runtime")?;
            let serve = serve.clone();
            std::thread::Builder::new()
                .name(format!("ingest-{index}"))
                .spawn(move || {
                    runtime.block_on(async move {
                        while let Some(stream) = handed.recv().await {
                            if let Ok(stream) = TcpStream::from_std(stream) {
                                tokio::spawn(serve(stream));
                            }
                        }
                    })
                })
                .context("cannot start an ingest worker thread")?;
            queues.push(queue);
        }
        Ok(Self { queues, next: 0 })
    }

    /// Gives a new connection to the next worker in turn.
    pub(super) fn hand(&mut self, stream: TcpStream) {
        let Ok(stream) = stream.into_std() else {
            return;
        };
        let _ = self.queues[self.next].send(stream);
        self.next = (self.next + 1) % self.queues.len();
    }
}
