//! The ingester as a standalone server, observed from a real HTTP client over loopback:
//! every protocol with captured and hand-made payloads, every mode, malformed input.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `pyrobench ingester` process on loopback, killed when dropped.
pub struct Ingester {
    child: Child,
    port: u16,
    pub control: u16,
}

impl Ingester {
    pub fn start(args: &[&str]) -> Self {
        Self::start_under(&[], args)
    }

    /// Started by `wrapper` (such as `prlimit --nofile=64 --`), which then execs the binary.
    fn start_under(wrapper: &[&str], args: &[&str]) -> Self {
        let (port, control) = (free_port(), free_port());
        let mut command = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut command = Command::new(program);
                command.args(rest).arg(common::bin());
                command
            }
            None => Command::new(common::bin()),
        };
        let child = command
            .args([
                "ingester",
                "--port",
                &port.to_string(),
                "--control-port",
                &control.to_string(),
            ])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let ingester = Self {
            child,
            port,
            control,
        };
        let started = Instant::now();
        while http(control, "GET", "/health", &[], b"").is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the ingester did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        ingester
    }

    fn post(
        &self,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<(u16, Vec<u8>)> {
        http(self.port, "POST", target, headers, body)
    }

    fn push(&self, body: &[u8]) -> u16 {
        self.post(
            "/push.v1.PusherService/Push",
            &[("content-type", "application/proto")],
            body,
        )
        .unwrap()
        .0
    }

    pub fn stats(&self, reset: bool) -> Value {
        let target = if reset { "/stats?reset=true" } else { "/stats" };
        let (status, body) = http(self.control, "GET", target, &[], b"").unwrap();
        assert_eq!(status, 200);
        serde_json::from_slice(&body).unwrap()
    }

    pub fn set_mode(&self, mode: &str) {
        let (status, body) = http(self.control, "PUT", "/mode", &[], mode.as_bytes()).unwrap();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }

    /// Back in fast mode, uploads succeed again (after `refuse`, once it listens again).
    fn still_serves(&self) {
        self.set_mode(r#"{"mode":"fast"}"#);
        let started = Instant::now();
        loop {
            match self.post("/ingest?name=alive", &[], b"a;b 1\n") {
                Ok((status, _)) => return assert_eq!(status, 200, "the ingester stopped serving"),
                Err(error) if started.elapsed() > Duration::from_secs(5) => {
                    panic!("the ingester stopped serving: {error}")
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
}

impl Drop for Ingester {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn request_bytes(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut request =
        format!("{method} {target} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// One HTTP/1.1 exchange; the status and the body.
pub fn http(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(&request_bytes(method, target, headers, body))?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::new(ErrorKind::UnexpectedEof, "no HTTP response"))?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(response.len(), |p| p + 4);
    Ok((status, response[split..].to_vec()))
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// A pprof profile with `samples` sample records, encoded by hand (field 2, one value each).
pub fn pprof(samples: usize) -> Vec<u8> {
    let sample = [0x12u8, 0x02, 0x10, 0x01]; // Sample { value: [1] } as field 2 of Profile
    sample
        .iter()
        .copied()
        .cycle()
        .take(sample.len() * samples)
        .collect()
}

/// A push.v1 PushRequest with one series holding the given raw profiles.
fn push_request(profiles: &[Vec<u8>]) -> Vec<u8> {
    fn field(tag: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let mut len = payload.len();
        loop {
            let byte = (len & 0x7f) as u8;
            len >>= 7;
            if len == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
        out.extend_from_slice(payload);
        out
    }
    let mut label = field(0x0a, b"service_name");
    label.extend(field(0x12, b"hand-made"));
    let mut series = field(0x0a, &label);
    for profile in profiles {
        series.extend(field(0x12, &field(0x0a, profile)));
    }
    field(0x0a, &series)
}

#[test]
fn captured_and_hand_made_uploads_decode_to_the_independent_counts() {
    let _shared = common::shared();
    let dir = common::repo().join("tests/fixtures/ingest");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let fixtures = expected.as_object().unwrap();
    assert!(fixtures.len() >= 5, "too few fixtures: {fixtures:?}");
    let ingester = Ingester::start(&[]);
    for (name, want) in fixtures {
        let body = std::fs::read(dir.join(format!("{name}.body"))).unwrap();
        let request: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        let mut target = request["path"].as_str().unwrap().to_string();
        if let Some(query) = request["query"].as_str().filter(|q| !q.is_empty()) {
            target = format!("{target}?{query}");
        }
        let headers: Vec<(String, String)> = match &request["headers"] {
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect(),
            Value::Array(pairs) => pairs
                .iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_string(),
                        p[1].as_str().unwrap().to_string(),
                    )
                })
                .collect(),
            _ => Vec::new(),
        };
        let kept: Vec<(&str, &str)> = headers
            .iter()
            .filter(|(k, _)| {
                ["content-type", "content-encoding"].contains(&k.to_ascii_lowercase().as_str())
            })
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (status, answer) = ingester.post(&target, &kept, &body).unwrap();
        assert_eq!(status, 200, "{name}: {}", String::from_utf8_lossy(&answer));
        let stats = ingester.stats(true);
        assert_eq!(stats["profiles"], want["profiles"], "{name}: {stats}");
        assert_eq!(stats["samples"], want["samples"], "{name}: {stats}");
        assert_eq!(stats["bytes"].as_u64(), Some(body.len() as u64), "{name}");
        if let Some(app) = want["app"].as_str().filter(|a| !a.is_empty()) {
            assert_eq!(stats["apps"][app], 1, "{name}: {stats}");
        }
    }
}

#[test]
fn hand_made_bodies_of_every_protocol_are_counted() {
    let _shared = common::shared();
    let ingester = Ingester::start(&[]);
    let folded = ingester.post("/ingest?name=app.cpu%7Benv%3Dci%7D&format=folded&sampleRate=100&spyName=gospy&units=samples&aggregationType=sum&from=1&until=2", &[], b"a;b;c 3\na;b;d 2\n").unwrap();
    assert_eq!(folded.0, 200);
    let raw = ingester
        .post("/ingest?name=app&format=pprof", &[], &pprof(4))
        .unwrap();
    assert_eq!(raw.0, 200);
    let zipped = ingester
        .post("/ingest?name=app&format=pprof", &[], &gzip(&pprof(5)))
        .unwrap();
    assert_eq!(zipped.0, 200);
    let mut form = b"--B\r\nContent-Disposition: form-data; name=\"profile\"; filename=\"profile.pprof\"\r\n\r\n".to_vec();
    form.extend(gzip(&pprof(6)));
    form.extend_from_slice(b"\r\n--B\r\nContent-Disposition: form-data; name=\"sample_type_config\"\r\n\r\n{\"cpu\":{\"units\":\"nanoseconds\"}}\r\n--B--\r\n");
    let multipart = ingester
        .post(
            "/ingest?name=go&format=pprof",
            &[("content-type", "multipart/form-data; boundary=B")],
            &form,
        )
        .unwrap();
    assert_eq!(multipart.0, 200);
    // Stacks a;b;c 3 and a;b;d 2, as Pyroscope serializes them.
    let trie = b"\x00\x00\x01\x04a;b;\x00\x02\x01c\x03\x00\x01d\x02\x00";
    for format in ["trie", "tree"] {
        assert_eq!(
            ingester
                .post(&format!("/ingest?name=app&format={format}"), &[], trie)
                .unwrap()
                .0,
            200
        );
    }
    assert_eq!(
        ingester.push(&push_request(&[pprof(2), gzip(&pprof(3))])),
        200
    );
    let proto_gzip = ingester
        .post(
            "/push.v1.PusherService/Push",
            &[
                ("content-type", "application/proto"),
                ("content-encoding", "gzip"),
            ],
            &gzip(&push_request(&[pprof(1)])),
        )
        .unwrap();
    assert_eq!(proto_gzip.0, 200);
    use base64::Engine as _;
    let json = format!(
        r#"{{"series":[{{"labels":[{{"name":"service_name","value":"json-app"}}],"samples":[{{"rawProfile":"{}"}}]}}]}}"#,
        base64::engine::general_purpose::STANDARD.encode(pprof(7))
    );
    let (status, body) = ingester
        .post(
            "/push.v1.PusherService/Push",
            &[("content-type", "application/json")],
            json.as_bytes(),
        )
        .unwrap();
    assert_eq!((status, body.as_slice()), (200, b"{}".as_slice()));
    let stats = ingester.stats(false);
    // 6 /ingest profiles (folded, pprof, gzip, multipart, trie, tree) + 2 + 1 + 1 pushed.
    assert_eq!(stats["profiles"], 10, "{stats}");
    assert_eq!(
        stats["samples"],
        2 + 4 + 5 + 6 + 2 + 2 + 2 + 3 + 1 + 7,
        "{stats}"
    );
    assert_eq!(stats["by_endpoint"]["ingest"], 6);
    assert_eq!(stats["by_endpoint"]["push"], 3);
    assert_eq!(stats["bad"], 0);
    assert_eq!(stats["apps"]["app.cpu"], 1, "{stats}");
    assert_eq!(stats["apps"]["json-app"], 1, "{stats}");
    assert!(stats["latency"]["p99_ms"].as_f64().unwrap() > 0.0);
}

#[test]
fn slow_error_and_bandwidth_modes_answer_as_told() {
    let _shared = common::shared();
    let ingester = Ingester::start(&["--mode", "slow", "--delay-ms", "400"]);
    let started = Instant::now();
    assert_eq!(ingester.push(&push_request(&[pprof(1)])), 200);
    let slow = started.elapsed();
    assert!(
        slow >= Duration::from_millis(390) && slow < Duration::from_secs(5),
        "slow took {slow:?}"
    );

    for status in [500, 422, 429, 503] {
        ingester.set_mode(&format!(r#"{{"mode":"error","status":{status}}}"#));
        assert_eq!(ingester.push(&push_request(&[pprof(1)])), status);
        let (code, body) = ingester.post("/ingest?name=x", &[], b"a 1\n").unwrap();
        assert_eq!(code, status, "{}", String::from_utf8_lossy(&body));
    }
    let stats = ingester.stats(true);
    assert_eq!(
        stats["profiles"], 1,
        "refused uploads are not counted as received profiles: {stats}"
    );
    assert_eq!(stats["by_status"]["429"], 2);

    ingester.set_mode(r#"{"mode":"bandwidth","bytes_per_s":20000}"#);
    let started = Instant::now();
    let (status, _) = ingester
        .post("/ingest?name=x&format=jfr", &[], &vec![7u8; 40_000])
        .unwrap();
    let took = started.elapsed();
    assert_eq!(status, 200);
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(10),
        "40 kB at 20 kB/s took {took:?}"
    );
}

#[test]
fn hang_holds_the_connection_and_never_answers() {
    let _shared = common::shared();
    let ingester = Ingester::start(&["--mode", "hang"]);
    let mut stream = TcpStream::connect(("127.0.0.1", ingester.port)).unwrap();
    stream
        .write_all(&request_bytes("POST", "/ingest?name=x", &[], b"a 1\n"))
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    let mut buffer = [0u8; 64];
    let read = stream.read(&mut buffer);
    assert!(
        matches!(&read, Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut),
        "hang answered: {read:?}"
    );
    let stats = ingester.stats(false);
    assert_eq!(stats["by_status"]["hang"], 1, "{stats}");
    ingester.still_serves();
    // The held connection is still open after the mode changed.
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    assert!(stream.read(&mut buffer).is_err());
}

#[test]
fn reset_drops_the_connection_and_refuse_stops_listening() {
    let _shared = common::shared();
    let ingester = Ingester::start(&["--mode", "reset"]);
    let error = ingester.post("/ingest?name=x", &[], b"a 1\n").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ConnectionReset, "{error:?}");
    assert_eq!(ingester.stats(false)["by_status"]["reset"], 1);

    ingester.set_mode(r#"{"mode":"refuse"}"#);
    std::thread::sleep(Duration::from_millis(200));
    let error = TcpStream::connect(("127.0.0.1", ingester.port)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ConnectionRefused, "{error:?}");
    // The control port keeps working in every mode, and listening resumes.
    assert_eq!(ingester.stats(false)["requests"], 1);
    ingester.still_serves();
}

#[test]
fn flaky_applies_its_mode_with_the_given_probability() {
    let _shared = common::shared();
    let ingester = Ingester::start(&["--mode", "flaky", "--probability", "0.5", "--status", "500"]);
    let statuses: Vec<u16> = (0..200)
        .map(|_| ingester.push(&push_request(&[pprof(1)])))
        .collect();
    let failed = statuses.iter().filter(|s| **s == 500).count();
    assert_eq!(failed + statuses.iter().filter(|s| **s == 200).count(), 200);
    assert!(
        (60..=140).contains(&failed),
        "{failed} of 200 failed at p=0.5"
    );
    ingester.set_mode(r#"{"mode":"flaky","probability":1.0,"then":{"mode":"error","status":429}}"#);
    assert!((0..20).all(|_| ingester.push(&push_request(&[pprof(1)])) == 429));
}

/// Target, headers, body, and the status it must get.
type Case = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    Vec<u8>,
    u16,
);

#[test]
fn malformed_input_is_refused_and_the_server_survives() {
    let _shared = common::shared();
    let ingester = Ingester::start(&["--max-body-bytes", "100000"]);
    let truncated = gzip(&pprof(1000));
    let cases: Vec<Case> = vec![
        (
            "/push.v1.PusherService/Push",
            vec![
                ("content-type", "application/proto"),
                ("content-encoding", "gzip"),
            ],
            truncated[..truncated.len() / 2].to_vec(),
            400,
        ),
        (
            "/ingest?name=x&format=pprof",
            vec![],
            gzip(&pprof(3))[..10].to_vec(),
            400,
        ),
        (
            "/push.v1.PusherService/Push",
            vec![("content-type", "application/proto")],
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
            400,
        ),
        (
            "/ingest?name=x&format=folded",
            vec![],
            vec![0xff, 0xfe, 0x00, 0x01],
            400,
        ),
        (
            "/push.v1.PusherService/Push",
            vec![("content-type", "text/html")],
            push_request(&[pprof(1)]),
            415,
        ),
        (
            "/push.v1.PusherService/Push",
            vec![("content-type", "application/json")],
            b"{\"series\":[{\"samples\":[{\"rawProfile\":\"!!!\"}]}]}".to_vec(),
            400,
        ),
        ("/ingest?name=x&format=jfr", vec![], vec![1u8; 200_000], 413),
        (
            "/ingest?name=x&format=trie",
            vec![],
            vec![0, 0, 200, 1],
            400,
        ),
        (
            "/ingest?name=x&format=pprof",
            vec![],
            gzip(&vec![0u8; 2_000_000]),
            413,
        ),
    ];
    for (index, (target, headers, body, want)) in cases.iter().enumerate() {
        let (status, answer) = ingester.post(target, headers, body).unwrap();
        assert_eq!(
            status,
            *want,
            "case {index}: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    // A client that stops in the middle of its body.
    let mut stream = TcpStream::connect(("127.0.0.1", ingester.port)).unwrap();
    stream
        .write_all(
            b"POST /ingest?name=x HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n\r\na;b 1\n",
        )
        .unwrap();
    drop(stream);
    std::thread::sleep(Duration::from_millis(200));
    let stats = ingester.stats(false);
    assert_eq!(
        stats["bad"].as_u64(),
        Some(cases.len() as u64 + 1),
        "{stats}"
    );
    assert_eq!(stats["profiles"], 0, "{stats}");
    ingester.still_serves();
}

#[test]
fn lines_bodies_count_one_sample_per_line() {
    let _shared = common::shared();
    let ingester = Ingester::start(&[]);
    // `lines`: one stack a line, no count. The same body read as folded has no counts.
    let body = b"main;work;fib\nmain;work;fib\nmain;idle\n";
    let (status, _) = ingester
        .post("/ingest?name=lines-app&format=lines", &[], body)
        .unwrap();
    assert_eq!(status, 200);
    let (status, _) = ingester
        .post("/ingest?name=lines-app&format=folded", &[], body)
        .unwrap();
    assert_eq!(status, 400);
    let stats = ingester.stats(false);
    assert_eq!(stats["profiles"], 1, "{stats}");
    assert_eq!(stats["samples"], 3, "{stats}");
    assert_eq!(stats["bad"], 1, "{stats}");
}

#[test]
fn fast_mode_answers_without_waiting_for_a_timer_tick() {
    let _shared = common::shared();
    let ingester = Ingester::start(&[]);
    for _ in 0..100 {
        let (status, _) = ingester
            .post("/ingest?name=quick&format=folded", &[], b"a;b 1\n")
            .unwrap();
        assert_eq!(status, 200);
    }
    // A zero delay that still armed a timer held every answer to the next millisecond
    // tick: a p50 of about 1 ms, where decoding this body takes microseconds.
    let p50 = ingester.stats(false)["latency"]["p50_ms"].as_f64().unwrap();
    assert!(p50 < 0.3, "fast mode p50 {p50} ms");
}

#[test]
fn the_timeline_keeps_ten_thousand_requests_and_counts_the_rest() {
    let _shared = common::shared();
    let ingester = Ingester::start(&[]);
    // One keep-alive connection: 10,050 requests without 10,050 handshakes.
    let mut stream = TcpStream::connect(("127.0.0.1", ingester.port)).unwrap();
    stream.set_nodelay(true).unwrap();
    let request =
        b"POST /ingest?name=many HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 6\r\n\r\na;b 1\n";
    let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
    for _ in 0..10_050 {
        stream.write_all(request).unwrap();
        // Headers up to the blank line, then as many body bytes as they announce.
        let (mut line, mut length) = (String::new(), 0);
        loop {
            line.clear();
            std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        std::io::copy(&mut (&mut reader).take(length), &mut std::io::sink()).unwrap();
    }
    let stats = ingester.stats(true);
    assert_eq!(stats["requests"], 10_050);
    assert_eq!(stats["timeline"].as_array().unwrap().len(), 10_000);
    assert_eq!(
        stats["timeline_dropped"], 50,
        "{}",
        stats["timeline_dropped"]
    );
    let fresh = ingester.stats(false);
    // An empty timeline and a zero count are left out of the JSON.
    assert_eq!(fresh["timeline"].as_array().map_or(0, Vec::len), 0);
    assert_eq!(fresh["timeline_dropped"].as_u64().unwrap_or(0), 0);
}

/// The process's peak resident memory so far, in bytes (VmHWM).
fn peak_rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[test]
fn put_mode_takes_only_what_the_cli_and_scripts_take() {
    let _shared = common::shared();
    let ingester = Ingester::start(&[]);
    let refused = [
        r#"{"mode":"error","status":42}"#,
        r#"{"mode":"error","status":1000}"#,
        r#"{"mode":"error","status":200}"#,
        r#"{"mode":"flaky","probability":5}"#,
        r#"{"mode":"flaky","probability":-1}"#,
        r#"{"mode":"flaky","then":{"mode":"refuse"}}"#,
        r#"{"mode":"bandwidth","bytes_per_s":0}"#,
        r#"{"mode":"sloww"}"#,
        "not json",
    ];
    for body in refused {
        let (status, answer) =
            http(ingester.control, "PUT", "/mode", &[], body.as_bytes()).unwrap();
        assert_eq!(status, 400, "{body}: {}", String::from_utf8_lossy(&answer));
    }
    let (_, mode) = http(ingester.control, "GET", "/mode", &[], b"").unwrap();
    assert_eq!(
        mode, br#"{"mode":"fast"}"#,
        "a refused mode changed nothing"
    );
    // Uploads still get answers (bytes_per_s 0 made every one panic its worker).
    assert_eq!(
        ingester.post("/ingest?name=x", &[], b"a 1\n").unwrap().0,
        200
    );
}

#[test]
fn a_huge_mode_body_is_refused_before_it_is_buffered() {
    let _shared = common::shared();
    let ingester = Ingester::start(&[]);
    let before = peak_rss_bytes(ingester.child.id());
    let body = vec![b' '; 50 * 1024 * 1024];
    // The server may answer and close before the whole body is written.
    let mut stream = TcpStream::connect(("127.0.0.1", ingester.control)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let _ = stream.write_all(&request_bytes("PUT", "/mode", &[], &body));
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let grown = peak_rss_bytes(ingester.child.id()).saturating_sub(before);
    assert!(
        grown < 16 * 1024 * 1024,
        "a 50 MiB mode body grew the peak RSS by {grown} bytes"
    );
    ingester.still_serves();
}

#[test]
fn a_flag_the_mode_does_not_use_is_refused_with_the_mode_it_needs() {
    let _shared = common::shared();
    let mut child = Command::new(common::bin())
        .args([
            "ingester",
            "--port",
            "0",
            "--control-port",
            "0",
            "--delay-ms",
            "500",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Ignoring the flag, it would go on serving: give it a moment, then stop it.
    let exited = common::wait_until(Duration::from_secs(5), || {
        child.try_wait().unwrap().is_some()
    });
    if !exited {
        let _ = child.kill();
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        exited,
        "it served in fast mode, ignoring --delay-ms: {stderr}"
    );
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--delay-ms") && stderr.contains("--mode slow"),
        "{stderr}"
    );
}

#[test]
fn an_upload_waiting_for_its_answer_counts_in_the_window_it_arrived_in() {
    let _shared = common::shared();
    let ingester = Ingester::start(&["--mode", "slow", "--delay-ms", "1500"]);
    let port = ingester.port;
    let upload = std::thread::spawn(move || http(port, "POST", "/ingest?name=late", &[], b"a 1\n"));
    assert!(
        common::wait_until(Duration::from_secs(5), || {
            ingester.stats(false)["requests"] == 1
        }),
        "the upload was not counted on arrival"
    );
    let window = ingester.stats(true);
    assert_eq!(window["in_flight"], 1, "{window}");
    assert_eq!(window["timeline"][0]["status"], "in_flight", "{window}");
    assert_eq!(upload.join().unwrap().unwrap().0, 200);
    let next = ingester.stats(false);
    assert_eq!(
        (next["requests"].as_u64(), next["in_flight"].as_u64()),
        (Some(0), Some(0)),
        "the late outcome leaked into the next window: {next}"
    );
    assert_eq!(next["by_status"], serde_json::json!({}), "{next}");
}

#[test]
fn app_names_are_bounded_and_what_was_left_out_is_counted() {
    let _shared = common::shared();
    let ingester = Ingester::start(&[]);
    let before = peak_rss_bytes(ingester.child.id());
    for i in 0..1000 {
        let name = format!("{i}{}", "n".repeat(60 * 1024));
        let (status, _) = ingester
            .post(&format!("/ingest?name={name}"), &[], b"a 1\n")
            .unwrap();
        assert_eq!(status, 200);
    }
    for i in 0..1100 {
        ingester
            .post(&format!("/ingest?name=app-{i}"), &[], b"a 1\n")
            .unwrap();
    }
    let (_, body) = http(ingester.control, "GET", "/stats", &[], b"").unwrap();
    let stats: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(stats["apps"].as_object().unwrap().len(), 1000);
    assert_eq!(
        stats["apps_dropped"],
        1000 + 100,
        "{}",
        stats["apps_dropped"]
    );
    assert!(
        body.len() < 2 * 1024 * 1024,
        "/stats is {} bytes",
        body.len()
    );
    let grown = peak_rss_bytes(ingester.child.id()).saturating_sub(before);
    assert!(
        grown < 32 * 1024 * 1024,
        "the peak RSS grew by {grown} bytes"
    );
}

#[test]
fn sigint_and_sigterm_both_stop_it_with_the_interrupt_code() {
    let _shared = common::shared();
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let mut ingester = Ingester::start(&[]);
        // SAFETY: a signal to a child process this test started.
        unsafe {
            libc::kill(ingester.child.id() as i32, signal);
        }
        let status = ingester.child.wait().unwrap();
        assert_eq!(status.code(), Some(130), "signal {signal}: {status:?}");
    }
}

#[test]
fn a_container_on_the_run_network_cannot_reach_the_ingester_control_port() {
    let _shared = common::shared();
    common::ensure_base_images();
    let dir = common::scratch("control-port-reach");
    // Tries each port by name and by the ingester's address on the run's network.
    let script = common::script(
        &dir,
        r#"
let net = network();
let ing = ingester(net);
let probe = "ip=$(getent hosts ingester | cut -d' ' -f1); echo \"ingester is $ip\"; for t in \"ingester 4040\" \"ingester 4041\" \"$ip 4040\" \"$ip 4041\"; do set -- $t; if timeout 5 bash -c \"exec 3<>/dev/tcp/$1/$2\" 2>/dev/null; then echo \"open $1:$2\"; else echo \"closed $1:$2\"; fi; done";
let c = container("debian:bookworm-slim", #{ network: net, cmd: ["bash", "-c", probe] });
c.start();
print(`probe exit ${c.wait(60)}`);
print(c.logs());
ing.set(#{ mode: "error", status: 503 });
let s = ing.stats();
print(`host stats: requests ${s.requests}, bad ${s.bad}`);
"#,
    );
    let finished = common::Pyrobench::new().arg(&script).run();
    finished.assert_success();
    let out = &finished.stdout;
    let ip = out
        .lines()
        .find_map(|l| l.strip_prefix("ingester is "))
        .filter(|ip| !ip.is_empty())
        .unwrap_or_else(|| panic!("the probe did not resolve the ingester:\n{out}"));
    for line in [
        "probe exit 0".to_string(),
        "open ingester:4040".to_string(),
        format!("open {ip}:4040"),
        "closed ingester:4041".to_string(),
        format!("closed {ip}:4041"),
        // The host still reads the stats and sets the mode.
        "host stats: requests 0, bad 0".to_string(),
    ] {
        assert!(out.lines().any(|l| l == line), "no `{line}` in:\n{out}");
    }
    common::assert_nothing_left(&finished);
}

/// CPU seconds (user and system) a process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

#[test]
fn slow_clients_are_dropped_but_hang_mode_still_holds_its_connections() {
    let _shared = common::shared();
    let ingester = Ingester::start(&["--header-read-timeout-ms", "300"]);
    // Slowloris: headers begun and never finished.
    let slow: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut stream = TcpStream::connect(("127.0.0.1", ingester.port)).unwrap();
            stream
                .write_all(b"POST /ingest?name=x HTTP/1.1\r\nhost: x\r\n")
                .unwrap();
            stream
        })
        .collect();
    let started = Instant::now();
    for mut stream in slow {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut rest = Vec::new();
        // Closed by the ingester: the read ends (with a 408 or nothing) instead of timing out.
        let closed = stream.read_to_end(&mut rest);
        assert!(
            closed.is_ok() || matches!(&closed, Err(e) if e.kind() == ErrorKind::ConnectionReset),
            "a slow client was held: {closed:?}"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(10));

    // A request read in full is held in hang mode well past the header timeout.
    ingester.set_mode(r#"{"mode":"hang"}"#);
    let mut held = TcpStream::connect(("127.0.0.1", ingester.port)).unwrap();
    held.write_all(&request_bytes("POST", "/ingest?name=x", &[], b"a 1\n"))
        .unwrap();
    held.set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    let read = held.read(&mut [0u8; 64]);
    assert!(
        matches!(&read, Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut),
        "hang mode let go of its connection: {read:?}"
    );
    ingester.still_serves();
}

#[test]
fn out_of_descriptors_the_ingester_backs_off_and_recovers() {
    let _shared = common::shared();
    let ingester = Ingester::start_under(&["prlimit", "--nofile=64", "--"], &[]);
    // More idle connections than descriptors: accept fails with EMFILE until some close.
    let idle: Vec<TcpStream> = (0..80)
        .map(|_| TcpStream::connect(("127.0.0.1", ingester.port)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let pid = ingester.child.id();
    let before = cpu_seconds(pid);
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_seconds(pid) - before;
    // Spinning on accept used a whole core (2 s here); backing off uses next to nothing.
    assert!(
        used < 0.5,
        "{used:.2} s of CPU in 2 s while out of descriptors"
    );
    drop(idle);
    let started = Instant::now();
    while http(ingester.control, "GET", "/health", &[], b"").is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the control port did not come back"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    ingester.still_serves();
}

#[test]
fn nested_gzip_bombs_are_refused_without_stalling_the_control_port() {
    let _shared = common::shared();
    let ingester = Ingester::start(&[]);
    // Issue 13's upload: a 12 kB gzip push holding 24 gzipped 120 MiB profiles. Each fit the
    // x8 bound alone; decoding both copies held the workers, and /health, for 12 s.
    let profile = gzip(&pprof(120 * 1024 * 1024 / 4));
    let body = gzip(&push_request(&vec![profile; 24]));
    let port = ingester.port;
    let uploads: Vec<_> = (0..2)
        .map(|_| {
            let body = body.clone();
            std::thread::spawn(move || {
                let started = Instant::now();
                let answer = http(
                    port,
                    "POST",
                    "/push.v1.PusherService/Push",
                    &[
                        ("content-type", "application/proto"),
                        ("content-encoding", "gzip"),
                    ],
                    &body,
                );
                (answer.map(|(status, _)| status), started.elapsed())
            })
        })
        .collect();
    let mut slowest_health = Duration::ZERO;
    while !uploads.iter().all(|u| u.is_finished()) {
        let asked = Instant::now();
        let (status, _) = http(ingester.control, "GET", "/health", &[], b"").unwrap();
        assert_eq!(status, 200);
        slowest_health = slowest_health.max(asked.elapsed());
        std::thread::sleep(Duration::from_millis(10));
    }
    for upload in uploads {
        let (status, took) = upload.join().unwrap();
        assert_eq!(status.unwrap(), 413, "past the request's inflation budget");
        assert!(took < Duration::from_secs(10), "the upload took {took:?}");
    }
    // A generous bound: the figure (milliseconds) is measured by bench/ingester-decode-stall.sh.
    assert!(
        slowest_health < Duration::from_secs(2),
        "/health took {slowest_health:?} while uploads were decoded"
    );
    assert_eq!(ingester.stats(false)["bad"], 2);
}
