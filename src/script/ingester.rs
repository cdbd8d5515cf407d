//! Script functions for the built-in ingester.

use std::sync::Arc;

use rhai::{Dynamic, Engine, Map};

use super::types::NetworkObj;
use super::{FnResult, convert, rt, to_dynamic};
use crate::ingester::client::IngesterHandle;
use crate::session::Session;

pub fn register(engine: &mut Engine, session: &Arc<Session>) {
    engine.register_type_with_name::<IngesterHandle>("Ingester");

    let s = session.clone();
    let start = move |network: NetworkObj, settings: Map| -> FnResult<IngesterHandle> {
        let settings = rt(convert::ingester_settings(&settings))?;
        rt(s.start_ingester(&network.name, settings))
    };
    let start_fast = start.clone();
    engine.register_fn("ingester", start);
    engine.register_fn("ingester", move |network: NetworkObj| {
        start_fast(network, Map::new())
    });

    let s = session.clone();
    engine.register_fn("ingester_image", move || {
        rt(s.with_docker(|d| d.ensure_ingester_image()))
    });

    let s = session.clone();
    engine.register_fn(
        "stats",
        move |ing: &mut IngesterHandle| -> FnResult<Dynamic> {
            to_dynamic(&rt(s.block_on(ing.stats(false)))?)
        },
    );
    let s = session.clone();
    engine.register_fn(
        "reset",
        move |ing: &mut IngesterHandle| -> FnResult<Dynamic> {
            to_dynamic(&rt(s.block_on(ing.stats(true)))?)
        },
    );
    let s = session.clone();
    engine.register_fn("stop", move |ing: &mut IngesterHandle| -> FnResult<()> {
        rt(s.stop_ingester(ing))
    });
    let s = session.clone();
    engine.register_fn("start", move |ing: &mut IngesterHandle| -> FnResult<()> {
        rt(s.with_docker(|d| ing.start_again(d)))
    });
    engine.register_get("running", |ing: &mut IngesterHandle| ing.is_running());
    let s = session.clone();
    engine.register_fn(
        "set",
        move |ing: &mut IngesterHandle, settings: Map| -> FnResult<()> {
            let mode = rt(convert::mode(&settings))?;
            rt(s.block_on(ing.set_mode(&mode)))
        },
    );
}
