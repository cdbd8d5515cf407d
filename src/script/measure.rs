//! Script functions that measure: one run, one scenario, a comparison.

use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, Map, NativeCallContext};

use super::{FnResult, convert, rt, schedule, to_dynamic};
use crate::session::Session;

fn maps(list: &Array) -> anyhow::Result<Vec<Map>> {
    list.iter()
        .enumerate()
        .map(|(index, item)| {
            item.clone().try_cast::<Map>().ok_or_else(|| {
                anyhow::anyhow!(
                    "scenario {} must be a map such as #{{ name: \"baseline\" }}",
                    index + 1
                )
            })
        })
        .collect()
}

fn experiment(
    session: &Session,
    context: &NativeCallContext,
    image: &Dynamic,
    list: &[Map],
    options: &Map,
) -> FnResult<Dynamic> {
    let image = rt(convert::image(image))?;
    let mut specs = Vec::new();
    let mut schedules = Vec::new();
    for (index, map) in list.iter().enumerate() {
        let what = format!("scenario {}", index + 1);
        specs.push(rt(convert::scenario_spec(map, &what))?);
        schedules.push(rt(schedule::actions(context, map, &what))?);
    }
    let options = rt(convert::run_options(options, &session.settings.defaults))?;
    to_dynamic(&rt(session.experiment(
        &image,
        &specs,
        &options,
        &mut schedules,
    ))?)
}

pub fn register(engine: &mut Engine, session: &Arc<Session>) {
    let s = session.clone();
    engine.register_fn(
        "measure",
        move |context: NativeCallContext, image: Dynamic, spec: Map, options: Map| {
            experiment(&s, &context, &image, &[spec], &options)
        },
    );
    let s = session.clone();
    engine.register_fn(
        "measure",
        move |context: NativeCallContext, image: Dynamic, spec: Map| {
            experiment(&s, &context, &image, &[spec], &Map::new())
        },
    );

    let s = session.clone();
    engine.register_fn(
        "compare",
        move |context: NativeCallContext, image: Dynamic, list: Array, options: Map| {
            experiment(&s, &context, &image, &rt(maps(&list))?, &options)
        },
    );
    let s = session.clone();
    engine.register_fn(
        "compare",
        move |context: NativeCallContext, image: Dynamic, list: Array| {
            experiment(&s, &context, &image, &rt(maps(&list))?, &Map::new())
        },
    );

    let s = session.clone();
    engine.register_fn(
        "run",
        move |context: NativeCallContext, image: Dynamic, spec: Map| -> FnResult<Dynamic> {
            let image = rt(convert::image(&image))?;
            let parsed = rt(convert::scenario_spec(&spec, "run"))?;
            let mut actions = rt(schedule::actions(&context, &spec, "run"))?;
            let outcome = rt(s.run(&image, &parsed, &s.settings.defaults, &mut actions))?;
            let mut record = to_dynamic(&outcome.record)?;
            if let Some(map) = record.write_lock::<Map>().as_deref_mut() {
                map.insert("log".into(), outcome.log.into());
            }
            Ok(record)
        },
    );
}
