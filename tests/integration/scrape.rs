//! Pull mode, standalone: `pyrobench ingester --scrape` against pull targets on loopback
//! whose answers are known, in every way the scraper can treat them.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::common::wait_until;
use crate::ingester::{Ingester, gzip, http, pprof};

/// How a scrape's connection ended, seen from the target once it had sent its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// The scraper read the answer and closed.
    Closed,
    /// Still open 1.5 s later: held, never read to the end.
    Held,
    /// Reset by the scraper.
    Reset,
}

/// A pull target on 127.0.0.1: scrape `i` (from 0) gets `answer(i)`, a whole HTTP answer.
struct Target {
    port: u16,
    paths: Arc<Mutex<Vec<String>>>,
    ended: Arc<Mutex<Vec<Ended>>>,
}

impl Target {
    fn start(answer: impl Fn(usize) -> Vec<u8> + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let paths = Arc::new(Mutex::new(Vec::new()));
        let ended = Arc::new(Mutex::new(Vec::new()));
        let (seen, endings) = (paths.clone(), ended.clone());
        let answer = Arc::new(answer);
        let count = Arc::new(AtomicUsize::new(0));
        // Detached: it lives as long as the test binary, which is what a target does.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (answer, seen, endings) = (answer.clone(), seen.clone(), endings.clone());
                let index = count.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                        head.push(byte[0]);
                    }
                    let line = String::from_utf8_lossy(&head)
                        .lines()
                        .next()
                        .unwrap_or("")
                        .to_string();
                    seen.lock()
                        .unwrap()
                        .push(line.split(' ').nth(1).unwrap_or("").to_string());
                    let wrote = stream.write_all(&answer(index));
                    stream
                        .set_read_timeout(Some(Duration::from_millis(1500)))
                        .unwrap();
                    let end = match (wrote, stream.read(&mut byte)) {
                        (Err(_), _) => Ended::Reset,
                        (_, Err(e)) if e.kind() == ErrorKind::ConnectionReset => Ended::Reset,
                        (_, Err(_)) => Ended::Held,
                        (_, Ok(_)) => Ended::Closed,
                    };
                    endings.lock().unwrap().push(end);
                });
            }
        });
        Self { port, paths, ended }
    }

    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn served(&self) -> usize {
        self.paths.lock().unwrap().len()
    }

    fn ended(&self, how: Ended) -> usize {
        self.ended
            .lock()
            .unwrap()
            .iter()
            .filter(|e| **e == how)
            .count()
    }
}

fn answer(status: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Scrape `i` of the known target: a gzipped pprof profile of `i + 3` samples.
fn known_profile(i: usize) -> Vec<u8> {
    gzip(&pprof(i + 3))
}

fn count(stats: &Value, key: &str) -> u64 {
    stats[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no {key} in {stats}"))
}

fn failures(stats: &Value, kind: &str) -> u64 {
    stats["scrape_failures"][kind].as_u64().unwrap_or(0)
}

#[test]
fn the_scraper_counts_exactly_what_a_known_target_serves_and_goes_on_past_bad_ones() {
    let known = Target::start(|i| answer("200 OK", &known_profile(i)));
    let failing = Target::start(|_| answer("500 Internal Server Error", b"profiling failed\n"));
    let garbage = Target::start(|_| answer("200 OK", b"this is not a profile at all"));
    let ingester = Ingester::start(&[
        "--scrape",
        &known.address(),
        "--scrape",
        &format!("http://{}", failing.address()),
        "--scrape",
        &garbage.address(),
        "--scrape-interval-s",
        "1",
        "--scrape-seconds",
        "0.2",
    ]);
    let enough = wait_until(Duration::from_secs(15), || {
        known.served() >= 4 && failing.served() >= 3 && garbage.served() >= 3
    });
    assert!(
        enough,
        "scrapes: {} {} {}",
        known.served(),
        failing.served(),
        garbage.served()
    );
    let stats = ingester.stats(false);
    // Every scrape asked for the CPU profile at the given length.
    for path in known.paths.lock().unwrap().iter() {
        assert_eq!(path, "/debug/pprof/profile?seconds=0.2");
    }
    // However many profiles it has when read, they are the first ones served, exactly.
    let profiles = count(&stats, "profiles");
    assert!(profiles >= 3, "{stats}");
    assert!(profiles as usize <= known.served(), "{stats}");
    let first: Vec<usize> = (0..profiles as usize).collect();
    assert_eq!(
        count(&stats, "samples"),
        first.iter().map(|i| (i + 3) as u64).sum::<u64>(),
        "{stats}"
    );
    let failed = failures(&stats, "status_500");
    assert!(
        failed >= 3 && failed as usize <= failing.served(),
        "{stats}"
    );
    let undecodable = failures(&stats, "decode");
    assert!(
        undecodable >= 3 && undecodable as usize <= garbage.served(),
        "{stats}"
    );
    // The good profiles' bytes, and the garbage's, which came in whole.
    let garbage_bytes = "this is not a profile at all".len() as u64 * undecodable;
    let profile_bytes: u64 = first.iter().map(|i| known_profile(*i).len() as u64).sum();
    assert_eq!(
        count(&stats, "bytes"),
        profile_bytes + garbage_bytes,
        "{stats}"
    );
    // Each scrape is in the timeline, and in `scrapes`, not in the uploads' `requests`.
    let timeline = stats["timeline"].as_array().unwrap();
    let scrapes = count(&stats, "scrapes");
    assert_eq!(timeline.len() as u64, scrapes, "{stats}");
    assert!(
        timeline
            .iter()
            .all(|e| e["endpoint"] == "scrape /debug/pprof/profile")
    );
    assert_eq!(count(&stats, "requests"), 0, "{stats}");
    assert_eq!(
        scrapes,
        profiles + failed + undecodable + count(&stats, "in_flight"),
        "{stats}"
    );
}

#[test]
fn the_scrapers_modes_hold_reset_or_skip_the_scrape() {
    let target = Target::start(|i| answer("200 OK", &known_profile(i)));
    let ingester = Ingester::start(&[
        "--scrape",
        &target.address(),
        "--scrape-interval-s",
        "1",
        "--scrape-seconds",
        "0.2",
    ]);
    let settle = Duration::from_secs(10);
    assert!(wait_until(settle, || target.ended(Ended::Closed) >= 1));
    ingester.set_mode(r#"{"mode":"hang"}"#);
    assert!(
        wait_until(settle, || target.ended(Ended::Held) >= 1),
        "never held"
    );
    // Let go of when the mode changes: unread, so the kernel resets them too.
    ingester.set_mode(r#"{"mode":"reset"}"#);
    assert!(
        wait_until(settle, || failures(&ingester.stats(false), "reset") >= 1),
        "never reset"
    );
    assert!(wait_until(settle, || target.ended(Ended::Reset) >= 1));
    let stats = ingester.stats(true);
    assert!(failures(&stats, "hang") >= 1, "{stats}");
    assert!(failures(&stats, "reset") >= 1, "{stats}");
    // A slow scrape's latency has the wait for its body in it.
    ingester.set_mode(r#"{"mode":"slow","delay_ms":300}"#);
    let slowest = || {
        let stats = ingester.stats(false);
        // No timeline while it is empty.
        let timeline = stats["timeline"].as_array().cloned().unwrap_or_default();
        timeline
            .iter()
            .filter(|e| e["status"] == "200")
            .filter_map(|e| e["latency_ms"].as_f64())
            .fold(0.0, f64::max)
    };
    assert!(wait_until(settle, || slowest() >= 300.0), "{}", slowest());
    // Refused: the collector is down, and nothing is scraped at all.
    ingester.set_mode(r#"{"mode":"refuse"}"#);
    std::thread::sleep(Duration::from_millis(200));
    let served = target.served();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(target.served(), served);
    ingester.stats(true);
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(count(&ingester.stats(false), "scrapes"), 0);
}

#[test]
fn scrape_targets_are_set_and_checked_on_the_control_port() {
    let target = Target::start(|i| answer("200 OK", &known_profile(i)));
    let ingester = Ingester::start(&[]);
    let (status, body) = http(ingester.control, "GET", "/scrape", &[], b"").unwrap();
    assert_eq!(status, 200);
    let config: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(config["targets"], serde_json::json!([]));
    let bad = br#"{"targets":["no-port"],"interval_s":1}"#;
    let (status, body) = http(ingester.control, "PUT", "/scrape", &[], bad).unwrap();
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("give host:port"));
    let good = format!(
        r#"{{"targets":["{}"],"interval_s":1,"seconds":0.2}}"#,
        target.address()
    );
    let (status, body) = http(ingester.control, "PUT", "/scrape", &[], good.as_bytes()).unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(wait_until(Duration::from_secs(5), || target.served() >= 2));
    // Emptied, scraping stops.
    let none = br#"{"targets":[]}"#;
    assert_eq!(
        http(ingester.control, "PUT", "/scrape", &[], none)
            .unwrap()
            .0,
        200
    );
    std::thread::sleep(Duration::from_millis(300));
    let served = target.served();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(target.served(), served);
}
