//! Script functions that report: the table, the JSON file, timing helpers.

use std::sync::Arc;

use rhai::{Dynamic, Engine};

use super::{FnResult, rt};
use crate::bench::result::BenchmarkResult;
use crate::report::table;
use crate::session::Session;

fn result_from(value: &Dynamic) -> FnResult<BenchmarkResult> {
    rhai::serde::from_dynamic(value)
        .map_err(|e| format!("expected a result from measure() or compare(): {e}").into())
}

pub fn register(engine: &mut Engine, session: &Arc<Session>) {
    engine.register_fn("show", |result: Dynamic| -> FnResult<()> {
        println!("{}", table::render(&result_from(&result)?));
        Ok(())
    });
    let s = session.clone();
    engine.register_fn("save", move |result: Dynamic| -> FnResult<()> {
        rt(s.save(result_from(&result)?))
    });
    let s = session.clone();
    engine.register_fn("now", move || s.elapsed_s());
    let s = session.clone();
    engine.register_fn("sleep", move |seconds: Dynamic| -> FnResult<()> {
        let duration = rt(super::convert::seconds(&seconds, "sleep"))?;
        rt(s.sleep(duration))
    });
}
