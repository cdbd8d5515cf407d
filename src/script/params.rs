//! `param(key, default)`: the script's knobs, set on the command line with `--set key=value`.

use std::sync::Arc;

use anyhow::{Result, anyhow, bail};
use rhai::{Dynamic, Engine};

use super::{FnResult, rt};
use crate::session::Session;

/// Reads `raw` as the type of `default`, so `--set runs=5` gives an integer where the
/// script's default is one.
pub fn parse_like(key: &str, raw: &str, default: &Dynamic) -> Result<Dynamic> {
    let expected = |what: &str| anyhow!("--set {key}={raw}: `{key}` must be {what}");
    if default.is_int() {
        raw.trim()
            .parse::<i64>()
            .map(Dynamic::from_int)
            .map_err(|_| expected("a whole number"))
    } else if default.is_float() {
        raw.trim()
            .parse::<f64>()
            .map(Dynamic::from_float)
            .map_err(|_| expected("a number"))
    } else if default.is_bool() {
        match raw.trim() {
            "true" | "1" | "yes" => Ok(Dynamic::TRUE),
            "false" | "0" | "no" => Ok(Dynamic::FALSE),
            _ => Err(expected("true or false")),
        }
    } else if default.is_array() {
        let items = raw.split(',').map(str::trim).filter(|s| !s.is_empty());
        let first = default
            .clone()
            .into_array()
            .ok()
            .and_then(|a| a.first().cloned());
        items
            .map(|item| match &first {
                Some(sample) => parse_like(key, item, sample),
                None => Ok(Dynamic::from(item.to_string())),
            })
            .collect::<Result<Vec<_>>>()
            .map(Dynamic::from_array)
    } else if default.is_string() || default.is_unit() {
        Ok(Dynamic::from(raw.to_string()))
    } else {
        bail!(
            "param(\"{key}\", ...): a default of type {} cannot be set from the command line",
            default.type_name()
        )
    }
}

pub fn register(engine: &mut Engine, session: &Arc<Session>) {
    let s = session.clone();
    engine.register_fn(
        "param",
        move |key: &str, default: Dynamic| -> FnResult<Dynamic> {
            let value = match s.settings.params.get(key) {
                Some(raw) => {
                    // Read, even when malformed: the type error is the one message it needs.
                    s.ledger.record_param(key, raw);
                    rt(parse_like(key, raw, &default))?
                }
                None => default,
            };
            s.ledger.record_param(key, &value.to_string());
            Ok(value)
        },
    );
    let s = session.clone();
    engine.register_fn("param", move |key: &str| -> FnResult<Dynamic> {
        match s.settings.params.get(key) {
            Some(raw) => {
                s.ledger.record_param(key, raw);
                Ok(Dynamic::from(raw.clone()))
            }
            None => Err(format!("parameter `{key}` is not set: pass --set {key}=VALUE").into()),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_take_the_type_of_the_default() {
        assert_eq!(
            parse_like("runs", "5", &Dynamic::from_int(10))
                .unwrap()
                .as_int(),
            Ok(5)
        );
        assert_eq!(
            parse_like("d", "0.5", &Dynamic::from_float(1.0))
                .unwrap()
                .as_float(),
            Ok(0.5)
        );
        assert_eq!(
            parse_like("b", "false", &Dynamic::TRUE).unwrap().as_bool(),
            Ok(false)
        );
        let list = parse_like(
            "steps",
            "0, 100,1000",
            &Dynamic::from_array(vec![Dynamic::from_int(1)]),
        )
        .unwrap();
        let list: Vec<i64> = list
            .into_array()
            .unwrap()
            .iter()
            .map(|d| d.as_int().unwrap())
            .collect();
        assert_eq!(list, [0, 100, 1000]);
    }

    #[test]
    fn a_bad_value_names_the_key_and_the_type() {
        let error = parse_like("runs", "many", &Dynamic::from_int(10))
            .unwrap_err()
            .to_string();
        assert_eq!(error, "--set runs=many: `runs` must be a whole number");
    }
}
