//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::ingester::address::ControlBind;

#[derive(Debug, Parser)]
#[command(
    name = "pyrobench",
    version,
    about = "Measures what a continuous-profiling agent costs: CPU, wall time and memory, with \
             the profiling server fast, slow, failing or gone",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The Rhai script to run, e.g. scripts/default.rhai
    #[arg(required = true)]
    pub script: Option<PathBuf>,
    /// Benchmark folders, each with a Dockerfile; the script sees them as BENCHMARKS
    pub benchmarks: Vec<PathBuf>,
    /// Measured runs per scenario (default 10, or the script's own default)
    #[arg(long)]
    pub runs: Option<usize>,
    /// Warm-up runs per scenario, not measured (default 1, or the script's own default)
    #[arg(long)]
    pub warmup: Option<usize>,
    /// Time limit of each run, in seconds; a run past it is killed and reported as timed out
    #[arg(long, default_value_t = 300.0)]
    pub timeout: f64,
    /// A script parameter, read with param("key", default); repeat for more
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub params: Vec<(String, String)>,
    /// Write every saved result, and whatever was measured before an error, to this JSON file
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also write the tables, with the spread of every figure, as Markdown
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Also write one CSV row per scenario, every statistic in its own column
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Also write every run in Go benchmark format, for `benchstat -col /scenario FILE`
    #[arg(long, value_name = "FILE")]
    pub gobench: Option<PathBuf>,
    /// Also draw every run of every scenario, with the baseline's band, as an SVG plot
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
}

impl RunArgs {
    pub fn outputs(&self) -> crate::report::outputs::Outputs {
        crate::report::outputs::Outputs {
            json: self.json.clone(),
            markdown: self.markdown.clone(),
            csv: self.csv.clone(),
            gobench: self.gobench.clone(),
            plot: self.plot.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compile a script and report errors with line and column; never touches Docker
    Check {
        script: PathBuf,
        /// Benchmark folders, as for a run (only their number matters here)
        benchmarks: Vec<PathBuf>,
    },
    /// Remove containers and networks that a pyrobench process which died left behind
    Clean {
        /// Also remove those of pyrobench processes that are still running
        #[arg(long)]
        all: bool,
        /// Also remove cached images and the init volume (they are rebuilt when needed)
        #[arg(long)]
        cache: bool,
    },
    /// Run the ingester on this host, for pointing a real agent at it
    Ingester(IngesterArgs),
    /// Load an HTTP/1.1 service: a constant rate (--rate) or as fast as it goes (--closed)
    Load(LoadArgs),
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// The URL to GET, http:// only, e.g. http://127.0.0.1:8080/
    pub url: String,
    /// Requests per second, sent on schedule whatever the answers' latency (open model)
    #[arg(long, required_unless_present = "closed", conflicts_with = "closed")]
    pub rate: Option<f64>,
    /// Instead of a rate: every connection sends as soon as its last answer is in
    #[arg(long)]
    pub closed: bool,
    /// Seconds measured, after the warm-up
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of load sent first and not counted
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Connections kept open; the rate is spread over them
    #[arg(long, default_value_t = 10)]
    pub connections: usize,
    /// Seconds before an unanswered request counts as a timeout
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// POST this file's bytes instead of a GET
    #[arg(long, value_name = "FILE")]
    pub body: Option<PathBuf>,
    /// The Content-Type of --body
    #[arg(long, requires = "body", default_value = "application/octet-stream")]
    pub content_type: String,
    /// First wait until GET of this path answers 2xx (a service starting up)
    #[arg(long, value_name = "PATH")]
    pub ready_path: Option<String>,
    /// Seconds to wait for --ready-path before giving up
    #[arg(long, default_value_t = 60.0)]
    pub ready_timeout: f64,
    /// Also write the report as JSON to this file; `-` prints it on stdout, on one line,
    /// instead of the text
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

impl LoadArgs {
    /// The plan these flags describe, checked.
    pub fn plan(&self) -> anyhow::Result<crate::load::Plan> {
        let seconds = |flag: &str, value: f64| {
            std::time::Duration::try_from_secs_f64(value).map_err(|_| {
                anyhow::anyhow!("{flag} must be a number of seconds, 0 or more, not {value}")
            })
        };
        let plan = crate::load::Plan {
            model: match self.rate {
                Some(rate) => crate::load::Model::Open { rate },
                None => crate::load::Model::Closed,
            },
            connections: self.connections,
            warmup: seconds("--warmup", self.warmup)?,
            duration: seconds("--duration", self.duration)?,
            timeout: seconds("--timeout", self.timeout)?,
        };
        plan.validate()?;
        Ok(plan)
    }
}

#[derive(Debug, Args)]
pub struct IngesterArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Port agents upload to
    #[arg(long, default_value_t = 4040)]
    pub port: u16,
    /// Port serving GET /stats and PUT /mode
    #[arg(long, default_value_t = 4041)]
    pub control_port: u16,
    /// Address of the control port (default: --bind), or a network such as 172.18.0.0/16
    /// meaning this host's own address inside it
    #[arg(long)]
    pub control_bind: Option<ControlBind>,
    /// How to answer uploads: fast, slow, error, hang, reset, refuse, bandwidth, flaky
    #[arg(long, default_value = "fast")]
    pub mode: String,
    /// slow: delay before answering, in milliseconds
    #[arg(long)]
    pub delay_ms: Option<u64>,
    /// slow: random extra or lesser delay, up to this many milliseconds
    #[arg(long)]
    pub jitter_ms: Option<u64>,
    /// error: the status to answer with (500, 422, 429, ...)
    #[arg(long)]
    pub status: Option<u16>,
    /// bandwidth: how fast to read request bodies
    #[arg(long)]
    pub bytes_per_s: Option<u64>,
    /// flaky: the probability that a request gets the --then mode instead of fast
    #[arg(long)]
    pub probability: Option<f64>,
    /// flaky: the mode applied with --probability (default error, with --status or 500)
    #[arg(long)]
    pub then: Option<String>,
    /// Largest request body accepted, larger gets 413; a gzip payload may inflate to 8 times it
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Close a connection whose client takes longer than this to send a request's headers
    #[arg(long, default_value_t = crate::ingester::DEFAULT_HEADER_READ_TIMEOUT.as_millis() as u64)]
    pub header_read_timeout_ms: u64,
    /// Pull mode: scrape this target's pprof endpoint (host:port or http://host:port); repeat for more
    #[arg(long = "scrape", value_name = "URL")]
    pub scrape: Vec<String>,
    /// Pull mode: seconds between two scrapes of a target
    #[arg(long, default_value_t = 15.0)]
    pub scrape_interval_s: f64,
    /// Pull mode: length of each CPU profile, in seconds (default: the interval less one)
    #[arg(long)]
    pub scrape_seconds: Option<f64>,
    /// Pull mode: a further path to scrape each interval, such as /debug/pprof/allocs; repeatable
    #[arg(long = "scrape-path", value_name = "PATH")]
    pub scrape_paths: Vec<String>,
    /// Pull mode: how long a scrape may take on top of its profile's length
    #[arg(long, default_value_t = 10.0)]
    pub scrape_timeout_s: f64,
}

impl IngesterArgs {
    /// The scrape settings these flags describe, checked.
    pub fn scrape_config(&self) -> anyhow::Result<crate::ingester::scrape::ScrapeConfig> {
        crate::ingester::scrape::ScrapeConfig {
            targets: self.scrape.clone(),
            interval_s: self.scrape_interval_s,
            seconds: self.scrape_seconds,
            paths: self.scrape_paths.clone(),
            timeout_s: self.scrape_timeout_s,
        }
        .normalized()
    }

    /// The mode these flags describe, as the JSON the control port takes. A setting that
    /// the mode does not use is refused, with the mode that would use it.
    pub fn mode_json(&self) -> anyhow::Result<serde_json::Value> {
        let flaky = self.mode == "flaky";
        if !flaky {
            for (flag, given) in [
                ("--probability", self.probability.is_some()),
                ("--then", self.then.is_some()),
            ] {
                if given {
                    anyhow::bail!(
                        "{flag} only applies to --mode flaky, and this is --mode {}: add --mode flaky",
                        self.mode
                    );
                }
            }
        }
        let kind = match (flaky, &self.then) {
            (true, Some(then)) => then.clone(),
            (true, None) => "error".to_string(),
            (false, _) => self.mode.clone(),
        };
        let mut target = serde_json::Map::new();
        target.insert("mode".into(), kind.clone().into());
        let fields: [(&str, &str, &str, Option<serde_json::Value>); 4] = [
            (
                "--delay-ms",
                "delay_ms",
                "slow",
                self.delay_ms.map(Into::into),
            ),
            (
                "--jitter-ms",
                "jitter_ms",
                "slow",
                self.jitter_ms.map(Into::into),
            ),
            ("--status", "status", "error", self.status.map(Into::into)),
            (
                "--bytes-per-s",
                "bytes_per_s",
                "bandwidth",
                self.bytes_per_s.map(Into::into),
            ),
        ];
        for (flag, key, owner, value) in fields {
            let Some(value) = value else { continue };
            if kind != owner {
                let here = if flaky {
                    format!("--mode flaky --then {kind}")
                } else {
                    format!("--mode {kind}")
                };
                anyhow::bail!(
                    "{flag} only applies to the {owner} mode, and this is {here}: \
                     add --mode {owner} (or --mode flaky --then {owner})"
                );
            }
            target.insert(key.into(), value);
        }
        if !flaky {
            return Ok(target.into());
        }
        let mut mode = serde_json::Map::new();
        mode.insert("mode".into(), "flaky".into());
        if let Some(p) = self.probability {
            mode.insert("probability".into(), p.into());
        }
        mode.insert("then".into(), target.into());
        Ok(mode.into())
    }
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(format!(
            "`{text}` is not KEY=VALUE (for example --set runs=5)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_with_folders_and_options_parses() {
        let cli = Cli::try_parse_from([
            "pyrobench",
            "scripts/default.rhai",
            "benchmarks/fibonacci",
            "--runs",
            "3",
            "--set",
            "delay=5",
        ])
        .unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.run.benchmarks, [PathBuf::from("benchmarks/fibonacci")]);
        assert_eq!(cli.run.runs, Some(3));
        assert_eq!(cli.run.params, [("delay".to_string(), "5".to_string())]);
    }

    #[test]
    fn subcommands_parse_without_a_script() {
        let cli = Cli::try_parse_from(["pyrobench", "clean", "--all"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Clean {
                all: true,
                cache: false
            })
        ));
        let cli = Cli::try_parse_from(["pyrobench", "check", "x.rhai"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Check { .. })));
    }

    /// The mode that `pyrobench ingester ARGS...` describes, or why it is refused.
    fn ingester_mode(args: &[&str]) -> anyhow::Result<serde_json::Value> {
        let mut full = vec!["pyrobench", "ingester"];
        full.extend_from_slice(args);
        match Cli::try_parse_from(full).unwrap().command {
            Some(Command::Ingester(args)) => args.mode_json(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ingester_flags_make_a_mode() {
        let parse = |args: &[&str]| ingester_mode(args).unwrap().to_string();
        assert_eq!(
            parse(&["--mode", "slow", "--delay-ms", "500"]),
            r#"{"delay_ms":500,"mode":"slow"}"#
        );
        assert_eq!(
            parse(&["--mode", "flaky", "--probability", "0.5", "--status", "429"]),
            r#"{"mode":"flaky","probability":0.5,"then":{"mode":"error","status":429}}"#
        );
        assert_eq!(parse(&[]), r#"{"mode":"fast"}"#);
    }

    #[test]
    fn an_ingester_flag_its_mode_does_not_use_is_refused_with_the_mode_it_needs() {
        let refused = |args: &[&str]| ingester_mode(args).unwrap_err().to_string();
        let message = refused(&["--delay-ms", "500"]);
        assert!(
            message.contains("--delay-ms") && message.contains("add --mode slow"),
            "{message}"
        );
        let message = refused(&["--mode", "error", "--bytes-per-s", "10"]);
        assert!(message.contains("--mode bandwidth"), "{message}");
        let message = refused(&["--mode", "flaky", "--then", "hang", "--status", "429"]);
        assert!(message.contains("--then hang"), "{message}");
        let message = refused(&["--mode", "slow", "--probability", "0.5"]);
        assert!(message.contains("--mode flaky"), "{message}");
    }

    #[test]
    fn a_bad_set_is_refused() {
        assert!(Cli::try_parse_from(["pyrobench", "s.rhai", "--set", "novalue"]).is_err());
        assert!(Cli::try_parse_from(["pyrobench"]).is_err());
    }
}
