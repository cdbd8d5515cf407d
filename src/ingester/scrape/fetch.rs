//! One scrape: GET of one path of one target, done the way the scraper's mode says, and
//! the body or why there is none.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper::header::HOST;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::ingester::mode::{Action, Mode};

/// How the scraper treats one scrape, once `flaky` has been decided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScrapeAction {
    /// Not scraped at all: `refuse` (the collector is down), and `error`, since a
    /// collector has no answer to fail.
    Skip,
    /// Read the whole answer: after waiting `body_delay` once its head is in (`slow`),
    /// and at `read_rate` bytes per second (`bandwidth`).
    Read {
        body_delay: Duration,
        read_rate: Option<u64>,
    },
    /// Send the request and never read the answer, holding the connection (and so the
    /// target's one-profile-at-a-time slot, while it profiles).
    Hang,
    /// Read the head and the start of the body, then drop the connection with a reset.
    Reset,
}

impl ScrapeAction {
    /// `mode` as already resolved for this scrape (`Mode::for_request`); `jitter_draw`
    /// is uniform in [-1, 1].
    pub fn of(mode: &Mode, jitter_draw: f64) -> Self {
        match (mode, mode.action(jitter_draw)) {
            (Mode::Refuse | Mode::Error { .. }, _) => ScrapeAction::Skip,
            (_, Action::Hang) => ScrapeAction::Hang,
            (_, Action::Reset) => ScrapeAction::Reset,
            (_, Action::Answer { delay, .. }) => ScrapeAction::Read {
                body_delay: delay,
                read_rate: mode.read_rate(),
            },
        }
    }
}

/// A scrape that brought no body, and why (the kinds of `RunCounts::scrape_failures`).
pub type Failure = String;

/// Runs one scrape of `path` on `target`. A hung connection is handed to `hold`.
pub async fn fetch(
    target: &str,
    path: &str,
    action: ScrapeAction,
    limit: usize,
    hold: impl FnOnce(TcpStream),
) -> Result<Bytes, Failure> {
    let connect = || async {
        let stream = TcpStream::connect(target)
            .await
            .map_err(|_| "connect".to_string())?;
        let _ = stream.set_nodelay(true);
        Ok::<_, Failure>(stream)
    };
    match action {
        ScrapeAction::Skip => Err("skipped".into()),
        ScrapeAction::Hang => {
            let mut stream = connect().await?;
            send_raw(&mut stream, target, path).await?;
            hold(stream);
            Err("hang".into())
        }
        ScrapeAction::Reset => {
            let mut stream = connect().await?;
            send_raw(&mut stream, target, path).await?;
            read_into_body(&mut stream).await;
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
            drop(stream);
            Err("reset".into())
        }
        ScrapeAction::Read {
            body_delay,
            read_rate,
        } => read(connect().await?, target, path, body_delay, read_rate, limit).await,
    }
}

async fn send_raw(stream: &mut TcpStream, target: &str, path: &str) -> Result<(), Failure> {
    let request = format!("GET {path} HTTP/1.1\r\nhost: {target}\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|_| "io".to_string())
}

/// Reads until the head is in and at least one byte of the body after it (or the
/// connection ends), so that a reset lands part-way through the body.
async fn read_into_body(stream: &mut TcpStream) {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buffer).await {
        if n == 0 {
            return;
        }
        seen.extend_from_slice(&buffer[..n]);
        if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n")
            && seen.len() > end + 4
        {
            return;
        }
    }
}

async fn read(
    stream: TcpStream,
    target: &str,
    path: &str,
    body_delay: Duration,
    read_rate: Option<u64>,
    limit: usize,
) -> Result<Bytes, Failure> {
    let io = |_| "io".to_string();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(io)?;
    let connection = tokio::spawn(connection);
    let request = Request::get(path)
        .header(HOST, target)
        .body(Empty::<Bytes>::new())
        .map_err(|_| "io".to_string())?;
    let response = sender.send_request(request).await.map_err(io)?;
    let status = response.status();
    if status != hyper::StatusCode::OK {
        connection.abort();
        return Err(format!("status_{}", status.as_u16()));
    }
    if !body_delay.is_zero() {
        tokio::time::sleep(body_delay).await;
    }
    let mut body = response.into_body();
    let mut bytes = BytesMut::new();
    let started = Instant::now();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(io)?.into_data() else {
            continue;
        };
        if bytes.len() + data.len() > limit {
            connection.abort();
            return Err("too_large".into());
        }
        bytes.extend_from_slice(&data);
        if let Some(rate) = read_rate {
            let due = Duration::from_secs_f64(bytes.len() as f64 / rate as f64);
            tokio::time::sleep(due.saturating_sub(started.elapsed())).await;
        }
    }
    connection.abort();
    Ok(bytes.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mode_is_a_way_of_scraping() {
        assert_eq!(ScrapeAction::of(&Mode::Refuse, 0.0), ScrapeAction::Skip);
        assert_eq!(
            ScrapeAction::of(&Mode::Error { status: 500 }, 0.0),
            ScrapeAction::Skip
        );
        assert_eq!(ScrapeAction::of(&Mode::Hang, 0.0), ScrapeAction::Hang);
        assert_eq!(ScrapeAction::of(&Mode::Reset, 0.0), ScrapeAction::Reset);
        assert_eq!(
            ScrapeAction::of(&Mode::Fast, 0.0),
            ScrapeAction::Read {
                body_delay: Duration::ZERO,
                read_rate: None
            }
        );
        let slow = Mode::Slow {
            delay_ms: 300,
            jitter_ms: 100,
        };
        assert_eq!(
            ScrapeAction::of(&slow, 1.0),
            ScrapeAction::Read {
                body_delay: Duration::from_millis(400),
                read_rate: None
            }
        );
        assert_eq!(
            ScrapeAction::of(&Mode::Bandwidth { bytes_per_s: 10 }, 0.0),
            ScrapeAction::Read {
                body_delay: Duration::ZERO,
                read_rate: Some(10)
            }
        );
    }
}
