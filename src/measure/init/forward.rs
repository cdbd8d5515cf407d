//! Passes the command's output through unchanged, watching for phase markers.
//!
//! The command writes into a pipe the init reads; every byte goes on to the init's own
//! stdout or stderr (Docker's log) as it arrives. Only the first bytes of each line are kept,
//! to spot a marker, so a line of any length costs no memory.

use std::io::{BufRead, BufReader, Read, Write};
use std::thread::JoinHandle;

use super::phases::phase_in;

/// Bytes of a line's start kept for spotting a marker: a marker and a long phase name fit.
const LINE_HEAD: usize = 128;

/// Forwards `source` to `sink` until it closes; `on_marker` hears each phase as its line
/// ends.
pub fn forward(
    source: impl Read + Send + 'static,
    mut sink: impl Write + Send + 'static,
    on_marker: impl Fn(String) + Send + 'static,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = BufReader::with_capacity(64 * 1024, source);
        let mut head = Vec::with_capacity(LINE_HEAD);
        loop {
            let chunk = match reader.fill_buf() {
                Ok([]) => break,
                Ok(chunk) => chunk,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            // Up to and including the first newline, or the whole chunk.
            let (taken, line_ended) = match chunk.iter().position(|&b| b == b'\n') {
                Some(at) => (at + 1, true),
                None => (chunk.len(), false),
            };
            let piece = &chunk[..taken];
            let room = LINE_HEAD.saturating_sub(head.len());
            head.extend_from_slice(&piece[..piece.len().min(room)]);
            // A closed log is no reason to stop the command: the bytes are dropped.
            let _ = sink.write_all(piece).and_then(|()| sink.flush());
            reader.consume(taken);
            if line_ended {
                if let Some(name) = phase_in(&head) {
                    on_marker(name);
                }
                head.clear();
            }
        }
        // A last line without a newline may still be a marker.
        if let Some(name) = phase_in(&head) {
            on_marker(name);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn markers_are_seen_in_any_chunking_and_long_lines_pass() {
        let long = "y".repeat(200_000);
        let text = format!("hello\npyrobench:phase work\n{long}\npyrobench:phase shutdown");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorded = seen.clone();
        // Reads of 7 bytes at a time split lines and markers across chunks.
        struct Trickle(std::io::Cursor<Vec<u8>>);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(7);
                self.0.read(&mut buf[..n])
            }
        }
        let source = Trickle(std::io::Cursor::new(text.into_bytes()));
        forward(source, std::io::sink(), move |name| {
            recorded.lock().unwrap().push(name)
        })
        .join()
        .unwrap();
        assert_eq!(*seen.lock().unwrap(), ["work", "shutdown"]);
    }
}
