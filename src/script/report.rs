//! Script functions that report: the table, the report files, thresholds, timing helpers.

use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, Map};

use super::{FnResult, convert, rt};
use crate::bench::result::BenchmarkResult;
use crate::bench::threshold::{Limit, Metric};
use crate::report::plot::LineChart;
use crate::report::{format, table};
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
            let limit = convert::number(&value)
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

/// The title, then every parameter the script read, so that a report says how it was made.
fn header_text(title: &str, params: &std::collections::BTreeMap<String, String>) -> String {
    let listed: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("== {title} ==\nparameters: {}", listed.join(", "))
}

fn number(value: &Dynamic, what: &str) -> anyhow::Result<f64> {
    convert::number(value)
        .ok_or_else(|| anyhow::anyhow!("{what} must be a number, not {}", value.type_name()))
}

/// `#{ title, x_label, y_label, series: #{ name: [[x, y], ...] } }`
fn line_chart(map: &Map) -> anyhow::Result<LineChart> {
    convert::check_keys(
        map,
        &["title", "x_label", "y_label", "series"],
        "plot_lines",
    )?;
    let text = |key: &str| map.get(key).map(|v| v.to_string()).unwrap_or_default();
    let series = map
        .get("series")
        .and_then(|s| s.clone().try_cast::<Map>())
        .ok_or_else(|| {
            anyhow::anyhow!("plot_lines: `series` must be a map of name to [[x, y], ...]")
        })?;
    let mut chart = LineChart {
        title: text("title"),
        x_label: text("x_label"),
        y_label: text("y_label"),
        series: Vec::new(),
    };
    for (name, points) in series {
        let points = points.into_array().map_err(|kind| {
            anyhow::anyhow!("plot_lines: series `{name}` must be an array, not {kind}")
        })?;
        let mut parsed = Vec::new();
        for point in points {
            let pair = point
                .into_array()
                .ok()
                .filter(|p| p.len() == 2)
                .ok_or_else(|| {
                    anyhow::anyhow!("plot_lines: series `{name}`: each point is [x, y]")
                })?;
            let what = format!("plot_lines: a point of `{name}`");
            // A missing figure (a failed step) leaves a gap instead of failing the plot.
            if pair[1].is_unit() {
                continue;
            }
            parsed.push((number(&pair[0], &what)?, number(&pair[1], &what)?));
        }
        chart.series.push((name.to_string(), parsed));
    }
    Ok(chart)
}

pub fn register(engine: &mut Engine, session: &Arc<Session>) {
    engine.register_fn("show", |result: Dynamic| -> FnResult<()> {
        println!("{}", table::render(&result_from(&result)?));
        Ok(())
    });
    let s = session.clone();
    engine.register_fn("save", move |result: Dynamic| -> FnResult<()> {
        rt(s.ledger.save(result_from(&result)?))
    });
    let s = session.clone();
    engine.register_fn(
        "thresholds",
        move |result: Dynamic, map: Map| -> FnResult<Array> {
            let result = result_from(&result)?;
            let checks = rt(s.ledger.check_thresholds(&result, &rt(limits(&map))?))?;
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
    engine.register_fn("header", move |title: &str| {
        println!("{}", header_text(title, &s.ledger.params_read()));
    });
    engine.register_fn("table", |headers: Array, rows: Array| -> FnResult<()> {
        let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        let rows = rows
            .iter()
            .map(|row| {
                row.clone()
                    .into_array()
                    .map(|cells| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>())
                    .map_err(|kind| format!("table: each row must be an array, not {kind}").into())
            })
            .collect::<FnResult<Vec<_>>>()?;
        println!("{}", table::render_rows(&headers, &rows));
        Ok(())
    });
    engine.register_fn("plot_lines", |path: &str, chart: Map| -> FnResult<()> {
        let chart = rt(line_chart(&chart))?;
        let svg = rt(crate::report::plot::render_lines(&chart))?;
        rt(crate::report::outputs::write_atomically(
            std::path::Path::new(path),
            &svg,
        ))?;
        eprintln!("plot written to {path}");
        Ok(())
    });
    engine.register_fn("pct", |value: Dynamic| {
        format::percent(convert::number(&value))
    });
    engine.register_fn("delta", |pct: Dynamic, p: Dynamic| {
        format::delta_brief(convert::number(&pct), convert::number(&p))
    });
    let s = session.clone();
    engine.register_fn("now", move || s.elapsed_s());
    // Registered for each number type: Rhai's own `sleep(INT)` and `sleep(FLOAT)` match
    // those exactly and would win over a `Dynamic` one, and Ctrl-C cannot stop them.
    let s = session.clone();
    let sleep = move |seconds: Dynamic| -> FnResult<()> {
        let duration = rt(convert::seconds(&seconds, "sleep"))?;
        rt(s.sleep(duration))
    };
    let sleep_int = sleep.clone();
    engine.register_fn("sleep", move |seconds: rhai::INT| sleep_int(seconds.into()));
    engine.register_fn("sleep", move |seconds: rhai::FLOAT| sleep(seconds.into()));
}
