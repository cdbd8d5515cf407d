//! Script functions for networks.

use std::sync::Arc;

use rhai::Engine;

use super::types::{ContainerObj, NetworkObj};
use super::{FnResult, rt};
use crate::ingester::client::IngesterHandle;
use crate::session::Session;

pub fn register(engine: &mut Engine, session: &Arc<Session>) {
    engine
        .register_type_with_name::<NetworkObj>("Network")
        .register_get("name", |n: &mut NetworkObj| n.name.clone())
        .register_fn("to_string", |n: &mut NetworkObj| n.name.clone());

    let s = session.clone();
    engine.register_fn("network", move || -> FnResult<NetworkObj> {
        Ok(NetworkObj {
            name: rt(s.create_network())?,
        })
    });
    let s = session.clone();
    engine.register_fn("connect", move |n: &mut NetworkObj, c: ContainerObj| {
        rt(s.with_docker(|d| d.connect_network(&n.name, &c.id, &[])))
    });
    let s = session.clone();
    engine.register_fn(
        "connect",
        move |n: &mut NetworkObj, c: ContainerObj, alias: &str| {
            let aliases = [alias.to_string()];
            rt(s.with_docker(|d| d.connect_network(&n.name, &c.id, &aliases)))
        },
    );
    let s = session.clone();
    engine.register_fn("disconnect", move |n: &mut NetworkObj, c: ContainerObj| {
        rt(s.with_docker(|d| d.disconnect_network(&n.name, &c.id)))
    });
    // The ingester, by its alias: disconnecting it is an outage whose name stops resolving.
    let s = session.clone();
    engine.register_fn("connect", move |n: &mut NetworkObj, ing: IngesterHandle| {
        let alias = [crate::ingester::HOSTNAME.to_string()];
        rt(s.with_docker(|d| d.connect_network(&n.name, &ing.container_id, &alias)))
    });
    let s = session.clone();
    engine.register_fn(
        "disconnect",
        move |n: &mut NetworkObj, ing: IngesterHandle| {
            rt(s.with_docker(|d| d.disconnect_network(&n.name, &ing.container_id)))
        },
    );
    let s = session.clone();
    engine.register_fn("remove", move |n: &mut NetworkObj| {
        rt(s.remove_network(&n.name))
    });
}
