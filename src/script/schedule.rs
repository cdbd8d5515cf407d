//! A scenario's `schedule`: closures the script wants called while each run is in
//! progress, `[#{ after: 3.0, action: || ing.stop(), label: "outage" }]`.

use anyhow::{Result, anyhow};
use rhai::{Dynamic, FnPtr, Map, NativeCallContext};

use super::convert;
use crate::measure::actions::ScheduledAction;

const ACTION_KEYS: [&str; 3] = ["after", "action", "label"];

fn entry<'a>(
    context: &'a NativeCallContext<'a>,
    item: &Dynamic,
    index: usize,
    what: &str,
) -> Result<ScheduledAction<'a>> {
    let map = item.clone().try_cast::<Map>().ok_or_else(|| {
        anyhow!("{what}: schedule entry {index} must be a map such as #{{ after: 3.0, action: || ing.stop() }}")
    })?;
    convert::check_keys(
        &map,
        &ACTION_KEYS,
        &format!("{what}, schedule entry {index}"),
    )?;
    let after = map
        .get("after")
        .ok_or_else(|| anyhow!("{what}: schedule entry {index} needs `after` (seconds)"))?;
    let after = convert::seconds(after, "after")?;
    let action = map
        .get("action")
        .and_then(|f| f.clone().try_cast::<FnPtr>())
        .ok_or_else(|| {
            anyhow!(
                "{what}: schedule entry {index} needs `action`, a closure such as || ing.stop()"
            )
        })?;
    let label = match map.get("label") {
        Some(label) => label.to_string(),
        None => format!("action {index} at {} s", after.as_secs_f64()),
    };
    Ok(ScheduledAction {
        after,
        label,
        action: Box::new(move || {
            action
                .call_within_context::<Dynamic>(context, ())
                .map(|_| ())
                .map_err(|e| anyhow!("{e}"))
        }),
    })
}

/// The scenario's actions, or none when it has no `schedule`.
pub fn actions<'a>(
    context: &'a NativeCallContext<'a>,
    spec: &Map,
    what: &str,
) -> Result<Vec<ScheduledAction<'a>>> {
    let Some(schedule) = spec.get("schedule") else {
        return Ok(Vec::new());
    };
    let list = schedule
        .clone()
        .into_array()
        .map_err(|kind| anyhow!("{what}: `schedule` must be an array of maps, not {kind}"))?;
    list.iter()
        .enumerate()
        .map(|(index, item)| entry(context, item, index + 1, what))
        .collect()
}
