//! The figures a service run's load yields, compared with the baseline like the others:
//! latency percentiles, throughput (closed model) and the service's CPU per request.

use crate::load::Model;
use crate::measure::record::RunRecord;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadFigure {
    P50,
    P99,
    /// Requests answered per second: the saturation throughput, in the closed model only
    /// (in the open model it is the rate asked for).
    Throughput,
    /// The service's CPU milliseconds per request answered.
    CpuPerRequest,
}

impl LoadFigure {
    pub const ALL: [LoadFigure; 4] = [
        LoadFigure::P50,
        LoadFigure::P99,
        LoadFigure::Throughput,
        LoadFigure::CpuPerRequest,
    ];

    pub fn of(self, run: &RunRecord) -> Option<f64> {
        let load = run.load.as_ref()?;
        match self {
            LoadFigure::P50 => load.report.latency_ms.map(|l| l.p50),
            LoadFigure::P99 => load.report.latency_ms.map(|l| l.p99),
            LoadFigure::Throughput => {
                (load.report.model == Model::Closed).then_some(load.report.rate)
            }
            LoadFigure::CpuPerRequest => load.cpu_per_request_ms,
        }
    }

    /// Its key in the JSON's `load` maps and in CSV columns.
    pub fn key(self) -> &'static str {
        match self {
            LoadFigure::P50 => "p50_ms",
            LoadFigure::P99 => "p99_ms",
            LoadFigure::Throughput => "throughput",
            LoadFigure::CpuPerRequest => "cpu_per_request_ms",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LoadFigure::P50 => "p50",
            LoadFigure::P99 => "p99",
            LoadFigure::Throughput => "throughput",
            LoadFigure::CpuPerRequest => "CPU/request",
        }
    }

    /// Its unit after a median: `ms`, `req/s`.
    pub fn unit(self) -> &'static str {
        match self {
            LoadFigure::Throughput => "req/s",
            _ => "ms",
        }
    }
}
