//! Converting Rhai values to the core's types, with errors that name the bad key.

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use rhai::{Dynamic, Map};

use super::types::NetworkObj;
use crate::bench::spec::{ImageRef, LoadSpec, RunOptions, ScenarioSpec};
use crate::docker::image::BuiltImage;
use crate::ingester::client::IngesterSettings;
use crate::ingester::mode::Mode;
use crate::ingester::scrape::ScrapeConfig;
use crate::load::Model;

/// Refuses a key the map should not have, so that a typo does not pass silently.
pub fn check_keys(map: &Map, known: &[&str], what: &str) -> Result<()> {
    for key in map.keys() {
        if !known.contains(&key.as_str()) {
            bail!("unknown key `{key}` in {what}: use {}", known.join(", "));
        }
    }
    Ok(())
}

fn string(value: &Dynamic, key: &str) -> Result<String> {
    value
        .clone()
        .into_immutable_string()
        .map(|s| s.to_string())
        .map_err(|kind| anyhow!("`{key}` must be a string, not {kind}"))
}

fn string_list(value: &Dynamic, key: &str) -> Result<Vec<String>> {
    if value.is_string() {
        return Ok(vec![string(value, key)?]);
    }
    let array = value
        .clone()
        .into_array()
        .map_err(|kind| anyhow!("`{key}` must be an array of strings, not {kind}"))?;
    array.iter().map(|item| string(item, key)).collect()
}

/// A number, whole or not; `None` for anything else.
pub fn number(value: &Dynamic) -> Option<f64> {
    value
        .as_float()
        .ok()
        .or_else(|| value.as_int().ok().map(|int| int as f64))
}

pub fn seconds(value: &Dynamic, key: &str) -> Result<Duration> {
    let Some(secs) = number(value) else {
        bail!(
            "`{key}` must be a number of seconds, not {}",
            value.type_name()
        );
    };
    Duration::try_from_secs_f64(secs)
        .map_err(|_| anyhow!("`{key}` must be a positive number of seconds"))
}

fn count(value: &Dynamic, key: &str) -> Result<usize> {
    let int = value
        .as_int()
        .map_err(|kind| anyhow!("`{key}` must be a whole number, not {kind}"))?;
    usize::try_from(int).map_err(|_| anyhow!("`{key}` must not be negative"))
}

fn flag(value: &Dynamic, key: &str) -> Result<bool> {
    value
        .as_bool()
        .map_err(|kind| anyhow!("`{key}` must be true or false, not {kind}"))
}

const SPEC_KEYS: &[&str] = &[
    "name",
    "profiling",
    "network",
    "alias",
    "aliases",
    "env",
    "cmd",
    "timeout",
    "cpuset",
    "cpus",
    "ptrace",
    "schedule",
    "load",
    "image",
];

const LOAD_KEYS: &[&str] = &[
    "model",
    "rate",
    "connections",
    "duration",
    "warmup",
    "timeout",
    "path",
    "port",
    "ready_path",
    "ready_timeout",
    "cpuset",
    "stop_grace",
];

/// `#{ model, rate, connections, duration, warmup, timeout, path, port, ready_path,
/// ready_timeout, cpuset, stop_grace }`: a service scenario's load. `rate` alone means the
/// open model; `model: "closed"` takes no rate.
pub fn load_spec(value: &Dynamic) -> Result<LoadSpec> {
    let map = value
        .clone()
        .try_cast::<Map>()
        .ok_or_else(|| anyhow!("`load` must be a map such as #{{ rate: 100, duration: 10 }}"))?;
    check_keys(&map, LOAD_KEYS, "the load")?;
    let get = |key: &str| map.get(key);
    let rate = get("rate").map(|v| {
        number(v).ok_or_else(|| anyhow!("`rate` must be a number of requests per second"))
    });
    let model = match get("model")
        .map(|v| string(v, "model"))
        .transpose()?
        .as_deref()
    {
        None | Some("open") => Model::Open {
            rate: rate.ok_or_else(|| {
                anyhow!("the load needs a `rate` (requests per second), or `model: \"closed\"`")
            })??,
        },
        Some("closed") if rate.is_some() => {
            bail!("the closed model takes no `rate`: it sends as fast as the service answers")
        }
        Some("closed") => Model::Closed,
        Some(other) => bail!("`model` must be \"open\" or \"closed\", not \"{other}\""),
    };
    let secs = |key: &str, default: f64| -> Result<Duration> {
        match get(key) {
            Some(value) => seconds(value, key),
            None => Ok(Duration::from_secs_f64(default)),
        }
    };
    let path = match get("path") {
        Some(value) => string(value, "path")?,
        None => "/".to_string(),
    };
    let ready_path = get("ready_path")
        .map(|v| string(v, "ready_path"))
        .transpose()?;
    for (key, given) in [("path", Some(&path)), ("ready_path", ready_path.as_ref())] {
        if let Some(given) = given
            && !given.starts_with('/')
        {
            bail!("`{key}` must start with /, as in \"/{given}\"");
        }
    }
    let port = get("port")
        .map(|v| {
            v.as_int()
                .ok()
                .and_then(|p| u16::try_from(p).ok())
                .filter(|p| *p > 0)
                .ok_or_else(|| anyhow!("`port` must be a TCP port, 1 to 65535"))
        })
        .transpose()?;
    let plan = crate::load::Plan {
        model,
        connections: get("connections")
            .map(|v| count(v, "connections"))
            .transpose()?
            .unwrap_or(10),
        warmup: secs("warmup", 5.0)?,
        duration: secs("duration", 20.0)?,
        timeout: secs("timeout", 10.0)?,
    };
    plan.validate()?;
    Ok(LoadSpec {
        plan,
        path,
        port,
        ready_path,
        ready_timeout: secs("ready_timeout", 60.0)?,
        cpuset: get("cpuset").map(|v| v.to_string()),
        stop_grace: secs("stop_grace", 30.0)?,
    })
}

/// `#{ name, profiling, network, alias, env, cmd, timeout, cpuset, cpus, ptrace, load,
/// image }`;
/// `schedule` holds closures, and is read by `script::schedule` instead.
pub fn scenario_spec(map: &Map, default_name: &str) -> Result<ScenarioSpec> {
    check_keys(map, SPEC_KEYS, "a scenario")?;
    let mut spec = ScenarioSpec {
        name: default_name.to_string(),
        ..Default::default()
    };
    for (key, value) in map {
        match key.as_str() {
            "schedule" => {}
            "name" => spec.name = string(value, key)?,
            "profiling" => spec.profiling = flag(value, key)?,
            "network" if value.is_unit() => spec.network = None,
            "network" => spec.network = Some(network_name(value)?),
            "alias" | "aliases" => spec.aliases.extend(string_list(value, key)?),
            "env" => {
                let env = value
                    .clone()
                    .try_cast::<Map>()
                    .ok_or_else(|| anyhow!("`env` must be a map such as #{{ N: \"30\" }}"))?;
                for (name, value) in env {
                    spec.env.push((name.to_string(), value.to_string()));
                }
            }
            "cmd" => spec.cmd = Some(string_list(value, key)?),
            "timeout" => spec.timeout = Some(seconds(value, key)?),
            "cpuset" => spec.cpuset = Some(value.to_string()),
            "cpus" => {
                let cpus = number(value).filter(|c| *c > 0.0);
                spec.cpus = Some(
                    cpus.ok_or_else(|| anyhow!("`cpus` must be a positive number, e.g. 1.0"))?,
                );
            }
            "ptrace" => spec.ptrace = flag(value, key)?,
            "load" => spec.load = Some(load_spec(value)?),
            "image" => spec.image = Some(image(value)?),
            _ => unreachable!("keys are checked above"),
        }
    }
    Ok(spec)
}

pub fn network_name(value: &Dynamic) -> Result<String> {
    if let Some(network) = value.clone().try_cast::<NetworkObj>() {
        return Ok(network.name);
    }
    string(value, "network")
        .map_err(|_| anyhow!("`network` must be a network from network(), or a name"))
}

const OPTION_KEYS: &[&str] = &[
    "runs",
    "warmup",
    "timeout",
    "keep_going",
    "baseline",
    "shuffle",
    "jitter",
];

/// `#{ runs, warmup, timeout, keep_going, baseline, shuffle, jitter }` over the command line's defaults.
pub fn run_options(map: &Map, defaults: &RunOptions) -> Result<RunOptions> {
    check_keys(map, OPTION_KEYS, "the options")?;
    let mut options = defaults.clone();
    for (key, value) in map {
        match key.as_str() {
            "runs" => options.runs = count(value, key)?,
            "warmup" => options.warmup = count(value, key)?,
            "timeout" => options.timeout = seconds(value, key)?,
            "keep_going" => options.keep_going = flag(value, key)?,
            "baseline" => options.baseline = Some(string(value, key)?),
            "shuffle" => options.shuffle = flag(value, key)?,
            "jitter" => options.jitter = seconds(value, key)?,
            _ => unreachable!("keys are checked above"),
        }
    }
    if options.runs == 0 {
        bail!("`runs` must be at least 1");
    }
    Ok(options)
}

/// `#{ mode: "slow", delay_ms: 500, ... }`, checked against the known modes.
pub fn mode(map: &Map) -> Result<Mode> {
    let mut map = map.clone();
    map.entry("mode".into()).or_insert_with(|| "fast".into());
    let json: serde_json::Value = rhai::serde::from_dynamic(&Dynamic::from_map(map))
        .map_err(|e| anyhow!("bad ingester settings: {e}"))?;
    Mode::from_json(json)
}

/// `ingester(net, #{ ...mode..., max_body_bytes, scrape_interval_s, scrape_seconds,
/// scrape_paths, scrape_timeout_s })`.
pub fn ingester_settings(map: &Map) -> Result<IngesterSettings> {
    let mut map = map.clone();
    let limit = map
        .remove("max_body_bytes")
        .map(|v| count(&v, "max_body_bytes"))
        .transpose()?;
    let mut scrape = serde_json::Map::new();
    for (key, field) in [
        ("scrape_interval_s", "interval_s"),
        ("scrape_seconds", "seconds"),
        ("scrape_paths", "paths"),
        ("scrape_timeout_s", "timeout_s"),
    ] {
        if let Some(value) = map.remove(key) {
            let value: serde_json::Value = rhai::serde::from_dynamic(&value)
                .map_err(|e| anyhow!("bad ingester setting {key}: {e}"))?;
            scrape.insert(field.to_string(), value);
        }
    }
    let scrape = ScrapeConfig::from_json(scrape.into())?;
    Ok(IngesterSettings {
        mode: mode(&map)?,
        max_body_bytes: limit,
        scrape,
    })
}

/// `build_image(dir, #{ args: #{ NAME: "value" } })`: the Dockerfile `ARG`s to pass.
pub fn build_args(map: &Map) -> Result<std::collections::BTreeMap<String, String>> {
    check_keys(map, &["args"], "build_image's options")?;
    let Some(args) = map.get("args") else {
        return Ok(Default::default());
    };
    let args = args.clone().try_cast::<Map>().ok_or_else(|| {
        anyhow!("build_image: `args` must be a map such as #{{ AGENT_VERSION: \"1.4.0\" }}")
    })?;
    let mut out = std::collections::BTreeMap::new();
    for (name, value) in args {
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            bail!(
                "build_image: `{name}` cannot be a Dockerfile ARG name: use letters, digits and _"
            );
        }
        if value.is_unit() || value.is::<Map>() || value.is::<rhai::Array>() {
            bail!(
                "build_image: ARG {name} must be a string or a number, not {}",
                value.type_name()
            );
        }
        out.insert(name.to_string(), value.to_string());
    }
    Ok(out)
}

/// An image from `build_image`, or an image tag.
pub fn image(value: &Dynamic) -> Result<ImageRef> {
    if let Some(image) = value.clone().try_cast::<BuiltImage>() {
        return Ok(ImageRef::from(&image));
    }
    let tag = value.clone().into_immutable_string().map_err(|_| {
        anyhow!(
            "expected an image from build_image() or an image tag, not {}",
            value.type_name()
        )
    })?;
    Ok(ImageRef {
        name: tag
            .split([':', '/'])
            .rev()
            .nth(1)
            .unwrap_or(&tag)
            .to_string(),
        tag: tag.to_string(),
        id: None,
        build_args: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<LoadSpec> {
        let engine = rhai::Engine::new();
        let value: Dynamic = engine.eval(text).unwrap();
        load_spec(&value)
    }

    #[test]
    fn a_load_takes_a_rate_or_the_closed_model_and_defaults_the_rest() {
        let open = load("#{ rate: 50 }").unwrap();
        assert_eq!(open.plan.model, Model::Open { rate: 50.0 });
        assert_eq!(open.plan.connections, 10);
        assert_eq!(open.path, "/");
        assert_eq!(open.ready_path, None);
        let closed = load(r#"#{ model: "closed", connections: 4, path: "/api?x=1" }"#).unwrap();
        assert_eq!(closed.plan.model, Model::Closed);
        assert_eq!(closed.path, "/api?x=1");
        for (bad, says) in [
            ("#{ duration: 5 }", "needs a `rate`"),
            (r#"#{ model: "closed", rate: 5 }"#, "takes no `rate`"),
            (r#"#{ model: "fast" }"#, "\"open\" or \"closed\""),
            (r#"#{ rate: 5, path: "api" }"#, "must start with /"),
            ("#{ rate: 5, port: 70000 }", "TCP port"),
            ("#{ rate: 0 }", "the rate must be above 0"),
            ("#{ rate: 5, conections: 2 }", "unknown key `conections`"),
        ] {
            let error = load(bad).unwrap_err().to_string();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }
}
