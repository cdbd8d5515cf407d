//! Actions a script schedules during a run (switch a mode, stop the ingester), fired at
//! their time after the run's container started.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use tokio::sync::oneshot;

use super::record::ActionEvent;
use crate::bridge::Bridge;

/// Something to do while a run is in progress.
pub struct ScheduledAction<'a> {
    /// After the run's container started.
    pub after: Duration,
    pub label: String,
    pub action: Box<dyn FnMut() -> Result<()> + 'a>,
}

/// Aborts a spawned run when the caller gives up on it (Ctrl-C); the session's sweep
/// removes its container.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `run` on the runtime and fires each action at its time after `run` reports its
/// start. Actions whose time has not come when the run ends fire right after it, in
/// order, so a schedule always completes (an ingester stopped mid-run is started again).
/// A failed action fails the whole run, once the run has ended.
pub fn fire_during<T, F>(
    bridge: &Bridge,
    run: impl FnOnce(oneshot::Sender<Instant>) -> F,
    mut actions: Vec<&mut ScheduledAction<'_>>,
) -> Result<(T, Vec<ActionEvent>)>
where
    T: Send + 'static,
    F: Future<Output = Result<T>> + Send + 'static,
{
    let (started_tx, started_rx) = oneshot::channel();
    let mut task = AbortOnDrop(bridge.runtime().spawn(run(started_tx)));
    let started = bridge.block_on(async { Ok(started_rx.await.ok()) })?;
    let mut finished = None;
    let mut events = Vec::new();
    let mut failed = None;
    actions.sort_by_key(|action| action.after);
    for action in actions {
        if let (None, Some(started)) = (&finished, started) {
            let deadline = tokio::time::Instant::from_std(started + action.after);
            finished = bridge.block_on(async {
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline) => Ok(None),
                    joined = &mut task.0 => Ok(Some(joined)),
                }
            })?;
        }
        let t_s = started.map(|s| s.elapsed().as_secs_f64()).unwrap_or(0.0);
        let error = (action.action)().err().map(|e| format!("{e:#}"));
        if let Some(error) = &error {
            failed.get_or_insert_with(|| format!("action `{}`: {error}", action.label));
        }
        events.push(ActionEvent {
            t_s,
            label: action.label.clone(),
            during_run: finished.is_none(),
            error,
        });
    }
    let joined = match finished {
        Some(joined) => joined,
        None => bridge.block_on(async { Ok((&mut task.0).await) })?,
    };
    let outcome = joined.map_err(|e| anyhow!("the run's task failed: {e}"))??;
    match failed {
        Some(message) => Err(anyhow!(message)),
        None => Ok((outcome, events)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use tokio_util::sync::CancellationToken;

    /// A run that starts at once and lasts `length`, returning 7.
    fn fake_run(
        length: Duration,
    ) -> impl FnOnce(
        oneshot::Sender<Instant>,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<i32>> + Send>> {
        move |started| {
            Box::pin(async move {
                let _ = started.send(Instant::now());
                tokio::time::sleep(length).await;
                Ok(7)
            })
        }
    }

    fn action<'a>(
        after_ms: u64,
        label: &str,
        log: &'a RefCell<Vec<String>>,
    ) -> ScheduledAction<'a> {
        let label = label.to_string();
        let name = label.clone();
        ScheduledAction {
            after: Duration::from_millis(after_ms),
            label,
            action: Box::new(move || {
                log.borrow_mut().push(name.clone());
                Ok(())
            }),
        }
    }

    fn bridge() -> (tokio::runtime::Runtime, Bridge) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let bridge = Bridge::new(runtime.handle().clone(), CancellationToken::new());
        (runtime, bridge)
    }

    #[test]
    fn actions_fire_in_time_order_during_the_run_and_the_late_ones_after_it() {
        let (_runtime, bridge) = bridge();
        let log = RefCell::new(Vec::new());
        let mut actions = [
            action(5_000, "late", &log),
            action(50, "early", &log),
            action(150, "middle", &log),
        ];
        let (value, events) = fire_during(
            &bridge,
            fake_run(Duration::from_millis(400)),
            actions.iter_mut().collect(),
        )
        .unwrap();
        assert_eq!(value, 7);
        assert_eq!(*log.borrow(), ["early", "middle", "late"]);
        let during: Vec<(&str, bool)> = events
            .iter()
            .map(|e| (e.label.as_str(), e.during_run))
            .collect();
        assert_eq!(during, [("early", true), ("middle", true), ("late", false)]);
        assert!(events[0].t_s >= 0.05 && events[1].t_s >= 0.15, "{events:?}");
        // The late action did not hold the run back to its 5 s.
        assert!(events[2].t_s < 4.0, "{events:?}");
    }

    #[test]
    fn a_failed_action_fails_the_run_after_every_action_fired() {
        let (_runtime, bridge) = bridge();
        let log = RefCell::new(Vec::new());
        let mut actions = [
            ScheduledAction {
                after: Duration::from_millis(10),
                label: "outage".into(),
                action: Box::new(|| Err(anyhow!("no such container"))),
            },
            action(20, "after", &log),
        ];
        let error = fire_during(
            &bridge,
            fake_run(Duration::from_millis(50)),
            actions.iter_mut().collect(),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(error, "action `outage`: no such container");
        assert_eq!(*log.borrow(), ["after"]);
    }

    #[test]
    fn an_interrupt_stops_the_wait() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let cancel = CancellationToken::new();
        let bridge = Bridge::new(runtime.handle().clone(), cancel.clone());
        cancel.cancel();
        let log = RefCell::new(Vec::new());
        let mut actions = [action(10, "never", &log)];
        let error = fire_during(
            &bridge,
            fake_run(Duration::from_secs(60)),
            actions.iter_mut().collect(),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(error, "interrupted");
        assert!(log.borrow().is_empty());
    }
}
