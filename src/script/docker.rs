//! Script functions for images and containers.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rhai::{Dynamic, Engine, Map};

use super::convert;
use super::types::ContainerObj;
use super::{FnResult, rt};
use crate::docker::image::BuiltImage;
use crate::session::Session;

pub fn register(engine: &mut Engine, session: &Arc<Session>) {
    engine
        .register_type_with_name::<BuiltImage>("Image")
        .register_get("name", |image: &mut BuiltImage| image.name.clone())
        .register_get("tag", |image: &mut BuiltImage| image.tag.clone())
        .register_get("id", |image: &mut BuiltImage| image.id.clone())
        .register_get("kind", |image: &mut BuiltImage| {
            if image.service { "service" } else { "batch" }.to_string()
        })
        .register_get("mode", |image: &mut BuiltImage| {
            if image.pull { "pull" } else { "push" }.to_string()
        })
        .register_get("args", |image: &mut BuiltImage| {
            image
                .build_args
                .iter()
                .map(|(k, v)| (k.into(), Dynamic::from(v.clone())))
                .collect::<Map>()
        })
        .register_fn("to_string", |image: &mut BuiltImage| image.tag.clone());

    let s = session.clone();
    engine.register_fn("build_image", move |dir: &str| -> FnResult<BuiltImage> {
        rt(s.build_image(Path::new(dir), &Default::default()))
    });
    let s = session.clone();
    engine.register_fn(
        "build_image",
        move |dir: &str, options: Map| -> FnResult<BuiltImage> {
            let args = rt(convert::build_args(&options))?;
            rt(s.build_image(Path::new(dir), &args))
        },
    );

    engine
        .register_type_with_name::<ContainerObj>("Container")
        .register_get("id", |c: &mut ContainerObj| c.id.clone());

    let s = session.clone();
    engine.register_fn(
        "container",
        move |image: Dynamic, spec: Map| -> FnResult<ContainerObj> {
            let image = rt(convert::image(&image))?;
            let spec = rt(convert::scenario_spec(&spec, "container"))?;
            let id = rt(s.create_container(&image.tag, &spec))?;
            Ok(ContainerObj { id })
        },
    );
    let s = session.clone();
    engine.register_fn("start", move |c: &mut ContainerObj| {
        rt(s.with_docker(|d| d.start_container(&c.id)))
    });
    let s = session.clone();
    engine.register_fn("wait", move |c: &mut ContainerObj| -> FnResult<Dynamic> {
        let limit = s.settings.defaults.timeout;
        let waited = rt(s.with_docker(|d| d.wait_container(&c.id, limit)))?;
        Ok(waited.exit_code().map_or(Dynamic::UNIT, Dynamic::from_int))
    });
    let s = session.clone();
    engine.register_fn(
        "wait",
        move |c: &mut ContainerObj, seconds: Dynamic| -> FnResult<Dynamic> {
            let limit = rt(convert::seconds(&seconds, "timeout"))?;
            let waited = rt(s.with_docker(|d| d.wait_container(&c.id, limit)))?;
            Ok(waited.exit_code().map_or(Dynamic::UNIT, Dynamic::from_int))
        },
    );
    let s = session.clone();
    engine.register_fn("stop", move |c: &mut ContainerObj| {
        rt(s.with_docker(|d| d.stop_container(&c.id, Duration::from_secs(10))))
    });
    let s = session.clone();
    engine.register_fn("remove", move |c: &mut ContainerObj| {
        rt(s.with_docker(|d| d.remove_container(&c.id)))
    });
    let s = session.clone();
    engine.register_fn("logs", move |c: &mut ContainerObj| {
        rt(s.with_docker(|d| d.container_logs(&c.id, 10_000)))
    });
    let s = session.clone();
    engine.register_get(
        "exit_code",
        move |c: &mut ContainerObj| -> FnResult<Dynamic> {
            let times = rt(s.with_docker(|d| d.container_times(&c.id)))?;
            Ok(times.exit_code.map_or(Dynamic::UNIT, Dynamic::from_int))
        },
    );
}
