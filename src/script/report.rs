//! Script functions that report: the table, the report files, thresholds, timing helpers.

use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, Map};

use super::{FnResult, rt};
use crate::bench::result::BenchmarkResult;
use crate::bench::threshold::{Limit, Metric};
use crate::report::table;
use crate::session::Session;

fn result_from(value: &Dynamic) -> FnResult<BenchmarkResult> {
    rhai::serde::from_dynamic(value)
        .map_err(|e| format!("expected a result from measure() or compare(): {e}").into())
}

/// `#{ "ingester up": #{ max_cpu_pct: 5.0 }, "*": #{ min_profiles: 1 } }`
fn limits(map: &Map) -> anyhow::Result<Vec<Limit>> {
    let mut limits = Vec::new();
    for (scenario, inner) in map {
        let inner = inner.clone().try_cast::<Map>().ok_or_else(|| {
            anyhow::anyhow!(
                "thresholds: `{scenario}` must map to limits such as #{{ max_cpu_pct: 5.0 }}"
            )
        })?;
        for (key, value) in inner {
            let metric = Metric::parse(&key)
                .map_err(|e| anyhow::anyhow!("thresholds, scenario `{scenario}`: {e}"))?;
            // Strings are accepted so that `--set max_cpu_pct=5` can pass straight through.
            let limit = value
                .as_float()
                .ok()
                .or_else(|| value.as_int().ok().map(|i| i as f64))
                .or_else(|| {
                    value
                        .clone()
                        .into_immutable_string()
                        .ok()
                        .and_then(|s| s.trim().parse().ok())
                })
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "thresholds: `{scenario}`.{key} must be a number (percent, or profiles per run), not `{value}`"
                    )
                })?;
            limits.push(Limit {
                scenario: scenario.to_string(),
                metric,
                limit,
            });
        }
    }
    Ok(limits)
}

pub fn register(engine: &mut Engine, session: &Arc<Session>) {
    engine.register_fn("show", |result: Dynamic| -> FnResult<()> {
        println!("{}", table::render(&result_from(&result)?));
        Ok(())
    });
    let s = session.clone();
    engine.register_fn("save", move |result: Dynamic| -> FnResult<()> {
        rt(s.save(result_from(&result)?))
    });
    let s = session.clone();
    engine.register_fn(
        "thresholds",
        move |result: Dynamic, map: Map| -> FnResult<Array> {
            let result = result_from(&result)?;
            let checks = rt(s.check_thresholds(&result, &rt(limits(&map))?))?;
            for check in &checks {
                println!("threshold {check}");
            }
            Ok(checks
                .iter()
                .filter(|check| !check.passed)
                .map(|check| Dynamic::from(check.to_string()))
                .collect())
        },
    );
    let s = session.clone();
    engine.register_fn("now", move || s.elapsed_s());
    let s = session.clone();
    engine.register_fn("sleep", move |seconds: Dynamic| -> FnResult<()> {
        let duration = rt(super::convert::seconds(&seconds, "sleep"))?;
        rt(s.sleep(duration))
    });
}
