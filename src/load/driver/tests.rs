//! The driver's scheduling on a fake target in tokio's virtual time: exact and instant.

use std::time::Duration;

use tokio::time::Instant;

use super::*;

/// Answers `status` after `service`; a request in flight during the stall, or sent in
/// it, is answered only when the stall is over.
#[derive(Clone)]
struct Fake {
    service: Duration,
    stall: Option<(Instant, Instant)>,
    status: u16,
}

impl Target for Fake {
    async fn send(&mut self) -> Outcome {
        let mut done = Instant::now() + self.service;
        if let Some((from, to)) = self.stall
            && done > from
            && Instant::now() < to
        {
            done = done.max(to);
        }
        tokio::time::sleep_until(done).await;
        Outcome::Status(self.status)
    }
}

fn plan(model: Model, connections: usize) -> Plan {
    Plan {
        model,
        connections,
        warmup: Duration::from_secs(1),
        duration: Duration::from_secs(10),
        timeout: Duration::from_secs(5),
    }
}

fn fake(service_ms: u64) -> Fake {
    Fake {
        service: Duration::from_millis(service_ms),
        stall: None,
        status: 200,
    }
}

/// A 1 s stall, 4 s into the measured window.
fn stalled(service_ms: u64) -> Fake {
    let from = Instant::now() + LEAD + Duration::from_secs(5);
    Fake {
        stall: Some((from, from + Duration::from_secs(1))),
        ..fake(service_ms)
    }
}

#[tokio::test(start_paused = true)]
async fn the_open_model_keeps_its_rate_and_measures_the_service_time() {
    let report = run(&plan(Model::Open { rate: 200.0 }, 10), |_| fake(20)).await;
    assert_eq!(report.requests, 2000);
    assert_eq!(report.ok, 2000);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let latency = report.latency_ms.unwrap();
    assert!((latency.p50 - 20.0).abs() < 0.1, "{latency:?}");
    assert!((latency.max - 20.0).abs() < 0.1, "{latency:?}");
    assert!((report.rate - 200.0).abs() < 1.0, "{}", report.rate);
}

#[tokio::test(start_paused = true)]
async fn a_stall_is_charged_to_every_request_it_delayed_in_the_open_model() {
    let report = run(&plan(Model::Open { rate: 100.0 }, 10), |_| stalled(5)).await;
    assert_eq!(report.requests, 1000);
    let latency = report.latency_ms.unwrap();
    // 100 requests were due during the stall: their latencies spread from 1 s down to 0.
    assert!(latency.p99 > 900.0 && latency.p99 <= 1005.0, "{latency:?}");
    assert!(latency.max > 990.0 && latency.max <= 1006.0, "{latency:?}");
    assert!((latency.p50 - 5.0).abs() < 0.1, "{latency:?}");
}

#[tokio::test(start_paused = true)]
async fn the_closed_model_hides_the_same_stall_as_closed_tools_do() {
    let report = run(&plan(Model::Closed, 1), |_| stalled(5)).await;
    let latency = report.latency_ms.unwrap();
    // One request waited 1 s; the other ~1800 took 5 ms each.
    assert!((latency.p99 - 5.0).abs() < 0.1, "{latency:?}");
    assert!(latency.max > 990.0, "{latency:?}");
    let expected = 9.0 / 0.005 + 1.0;
    assert!(
        (report.requests as f64 - expected).abs() <= 2.0,
        "{}",
        report.requests
    );
    assert!(
        (report.rate - expected / 10.0).abs() < 1.0,
        "{}",
        report.rate
    );
}

#[tokio::test(start_paused = true)]
async fn warm_up_requests_are_not_counted() {
    let mut plan = plan(Model::Open { rate: 10.0 }, 1);
    plan.warmup = Duration::from_secs(3);
    plan.duration = Duration::from_secs(2);
    let report = run(&plan, |_| fake(1)).await;
    assert_eq!(report.requests, 20);
}

#[tokio::test(start_paused = true)]
async fn errors_are_counted_by_kind_and_a_hung_target_owes_its_requests() {
    let failing = Fake {
        status: 503,
        ..fake(1)
    };
    let report = run(&plan(Model::Open { rate: 10.0 }, 1), |_| failing.clone()).await;
    assert_eq!(report.ok, 0);
    assert_eq!(report.errors["status_503"], 100);
    assert_eq!(report.error_count(), 100);

    // Never answers: every request times out after 5 s and the rest go unsent.
    let mut hung = plan(Model::Open { rate: 10.0 }, 1);
    hung.warmup = Duration::ZERO;
    let report = run(&hung, |_| fake(3_600_000)).await;
    assert_eq!(report.requests, 100);
    let timeouts = report.errors["timeout"];
    // Sent at 0, 5 and 10 s; at 15 s the window's end and its 5 s of grace are past.
    assert_eq!(timeouts, 3, "{:?}", report.errors);
    assert_eq!(report.errors["unsent"], 97);
    assert!(report.latency_ms.unwrap().max >= 5000.0);
}
