//! Script functions that measure: one run, one scenario, a comparison.

use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, Map};

use super::{FnResult, convert, rt, to_dynamic};
use crate::bench::spec::ScenarioSpec;
use crate::session::Session;

fn specs(list: &Array) -> anyhow::Result<Vec<ScenarioSpec>> {
    list.iter()
        .enumerate()
        .map(|(index, item)| {
            let map = item.clone().try_cast::<Map>().ok_or_else(|| {
                anyhow::anyhow!(
                    "scenario {} must be a map such as #{{ name: \"baseline\" }}",
                    index + 1
                )
            })?;
            convert::scenario_spec(&map, &format!("scenario {}", index + 1))
        })
        .collect()
}

pub fn register(engine: &mut Engine, session: &Arc<Session>) {
    let s = session.clone();
    engine.register_fn(
        "run",
        move |image: Dynamic, spec: Map| -> FnResult<Dynamic> {
            let image = rt(convert::image(&image))?;
            let spec = rt(convert::scenario_spec(&spec, "run"))?;
            let outcome = rt(s.run(&image, &spec, &s.settings.defaults))?;
            let mut record = to_dynamic(&outcome.record)?;
            if let Some(map) = record.write_lock::<Map>().as_deref_mut() {
                map.insert("log".into(), outcome.log.into());
            }
            Ok(record)
        },
    );

    let s = session.clone();
    let measure = move |image: Dynamic, spec: Map, options: Map| -> FnResult<Dynamic> {
        let image = rt(convert::image(&image))?;
        let spec = rt(convert::scenario_spec(&spec, "scenario"))?;
        let options = rt(convert::run_options(&options, &s.settings.defaults))?;
        to_dynamic(&rt(s.experiment(&image, &[spec], &options))?)
    };
    let measure_default = measure.clone();
    engine.register_fn("measure", measure);
    engine.register_fn("measure", move |image: Dynamic, spec: Map| {
        measure_default(image, spec, Map::new())
    });

    let s = session.clone();
    let compare = move |image: Dynamic, list: Array, options: Map| -> FnResult<Dynamic> {
        let image = rt(convert::image(&image))?;
        let specs = rt(specs(&list))?;
        let options = rt(convert::run_options(&options, &s.settings.defaults))?;
        to_dynamic(&rt(s.experiment(&image, &specs, &options))?)
    };
    let compare_default = compare.clone();
    engine.register_fn("compare", compare);
    engine.register_fn("compare", move |image: Dynamic, list: Array| {
        compare_default(image, list, Map::new())
    });
}
