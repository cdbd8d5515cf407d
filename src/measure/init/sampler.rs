//! The CPU and memory timeline of a run, sampled from the container's cgroup.
//!
//! Samples are taken every 50 ms. To stay bounded, a full timeline keeps every other sample
//! and doubles its interval from then on, so a long run ends with at most `MAX_SAMPLES`
//! evenly spaced ones.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::cgroup::Cgroup;
use super::self_cpu_s;
use crate::measure::record::Timeline;

pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(50);
/// Samples kept per run at most.
pub const MAX_SAMPLES: usize = 1000;

/// A timeline being filled: each sample `[t_s, cpu_s, memory_bytes]`.
#[derive(Debug, Clone)]
pub struct Samples {
    interval: Duration,
    points: Vec<[f64; 3]>,
    /// The largest memory reading, decimated or not.
    pub peak_bytes: u64,
}

impl Samples {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            points: Vec::new(),
            peak_bytes: 0,
        }
    }

    /// The sample taken as the run ends, kept however soon it follows the one before: a
    /// window that ends between the last regular sample and the exit is still bracketed.
    pub fn push_last(&mut self, t_s: f64, cpu_s: f64, memory_bytes: u64) {
        self.peak_bytes = self.peak_bytes.max(memory_bytes);
        if self.points.last().is_some_and(|last| t_s <= last[0]) {
            return;
        }
        let cpu_s = self.points.last().map_or(cpu_s, |last| cpu_s.max(last[1]));
        self.points.push([t_s, cpu_s, memory_bytes as f64]);
    }

    /// Adds a sample; a full timeline halves first.
    pub fn push(&mut self, t_s: f64, cpu_s: f64, memory_bytes: u64) {
        self.peak_bytes = self.peak_bytes.max(memory_bytes);
        if self.points.len() >= MAX_SAMPLES {
            let kept: Vec<[f64; 3]> = self.points.iter().step_by(2).copied().collect();
            self.points = kept;
            self.interval *= 2;
        }
        // After halving, the next sample is due one (new) interval after the last kept.
        let due = self
            .points
            .last()
            .is_none_or(|last| t_s - last[0] >= self.interval.as_secs_f64() * 0.999);
        if due {
            // The init's own CPU, left out, is read apart from the cgroup's (and rounded
            // otherwise): never let that make the container's CPU go back.
            let cpu_s = self.points.last().map_or(cpu_s, |last| cpu_s.max(last[1]));
            self.points.push([t_s, cpu_s, memory_bytes as f64]);
        }
    }

    pub fn into_timeline(self) -> Timeline {
        Timeline {
            interval_s: self.interval.as_secs_f64(),
            samples: self.points,
        }
    }
}

/// Samples in the background until stopped.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
    samples: Arc<Mutex<Samples>>,
    cgroup: Cgroup,
    started: Instant,
}

impl Sampler {
    pub fn start(cgroup: Cgroup, started: Instant, interval: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new(Samples::new(interval)));
        let (flag, shared, sampled) = (stop.clone(), samples.clone(), cgroup.clone());
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                if let (Some(cpu), Some(memory)) = (sampled.cpu_s(), sampled.memory_bytes()) {
                    let t_s = started.elapsed().as_secs_f64();
                    let mut samples = shared.lock().expect("samples lock");
                    samples.push(t_s, (cpu - self_cpu_s()).max(0.0), memory);
                }
                std::thread::sleep(interval);
            }
        });
        Self {
            stop,
            thread,
            samples,
            cgroup,
            started,
        }
    }

    /// Stops sampling, and takes one last sample as the run ends.
    pub fn stop(self) -> Samples {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        let mut samples = self.samples.lock().expect("samples lock").clone();
        if let (Some(cpu), Some(memory)) = (self.cgroup.cpu_s(), self.cgroup.memory_bytes()) {
            let t_s = self.started.elapsed().as_secs_f64();
            samples.push_last(t_s, (cpu - self_cpu_s()).max(0.0), memory);
        }
        samples
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_run_is_decimated_to_at_most_the_limit_evenly() {
        let mut samples = Samples::new(Duration::from_millis(50));
        // 10 minutes at 50 ms: 12,000 readings.
        for i in 0..12_000u64 {
            samples.push(i as f64 * 0.05, i as f64 * 0.01, 1000 + i);
        }
        assert_eq!(samples.peak_bytes, 1000 + 11_999);
        let timeline = samples.into_timeline();
        assert!(
            timeline.samples.len() <= MAX_SAMPLES,
            "{}",
            timeline.samples.len()
        );
        assert!(timeline.samples.len() > MAX_SAMPLES / 2);
        assert!(
            (timeline.interval_s - 0.8).abs() < 1e-9,
            "{}",
            timeline.interval_s
        );
        let gaps: Vec<f64> = timeline
            .samples
            .windows(2)
            .map(|w| w[1][0] - w[0][0])
            .collect();
        assert!(gaps.iter().all(|g| (g - 0.8).abs() < 1e-6), "{gaps:?}");
    }

    #[test]
    fn the_last_sample_is_kept_however_close_it_follows() {
        let mut samples = Samples::new(Duration::from_millis(50));
        samples.push(0.0, 0.0, 1);
        samples.push(0.05, 0.1, 1);
        samples.push(0.06, 0.2, 1);
        samples.push_last(0.06, 0.2, 1);
        assert_eq!(samples.points.len(), 3);
        assert_eq!(samples.points[2], [0.06, 0.2, 1.0]);
        // Never before the last, and never less CPU than it.
        samples.push_last(0.01, 0.5, 1);
        assert_eq!(samples.points.len(), 3);
    }

    #[test]
    fn a_short_run_keeps_every_sample() {
        let mut samples = Samples::new(Duration::from_millis(50));
        for i in 0..40 {
            samples.push(i as f64 * 0.05, 0.0, 10);
        }
        let timeline = samples.into_timeline();
        assert_eq!(timeline.samples.len(), 40);
        assert_eq!(timeline.interval_s, 0.05);
    }
}
