//! The Rhai layer: a thin adapter that converts values and calls the session.

mod convert;
mod docker;
mod ingester;
mod lint;
mod measure;
mod network;
mod params;
mod report;
mod schedule;
mod types;

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use rhai::{Dynamic, Engine, EvalAltResult, Position, Scope};

use crate::session::Session;

pub type FnResult<T> = Result<T, Box<EvalAltResult>>;

/// Turns a core error into a script error; Rhai adds the call's line and column.
pub fn rt<T>(result: anyhow::Result<T>) -> FnResult<T> {
    result.map_err(|error| format!("{error:#}").into())
}

pub fn to_dynamic<T: serde::Serialize>(value: &T) -> FnResult<Dynamic> {
    rhai::serde::to_dynamic(value)
}

/// An engine with every pyrobench function registered.
pub fn engine(session: &Arc<Session>) -> Engine {
    let mut engine = Engine::new();
    // Undefined variables are caught when the script is compiled, before any container starts.
    engine.set_strict_variables(true);
    docker::register(&mut engine, session);
    network::register(&mut engine, session);
    ingester::register(&mut engine, session);
    measure::register(&mut engine, session);
    report::register(&mut engine, session);
    params::register(&mut engine, session);
    let s = session.clone();
    engine.on_progress(move |_| s.is_cancelled().then_some(Dynamic::UNIT));
    engine
}

fn scope(session: &Session) -> Scope<'static> {
    let mut scope = Scope::new();
    let benchmarks: rhai::Array = session
        .settings
        .benchmarks
        .iter()
        .map(|path| Dynamic::from(path.display().to_string()))
        .collect();
    scope.push_constant("BENCHMARKS", benchmarks);
    scope
}

pub fn read_script(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read script {}: check the path and its permissions",
            path.display()
        )
    })
}

fn located(path: &Path, position: Position, message: impl std::fmt::Display) -> anyhow::Error {
    match (position.line(), position.position()) {
        (Some(line), Some(column)) => anyhow!("{}:{line}:{column}: {message}", path.display()),
        (Some(line), None) => anyhow!("{}:{line}: {message}", path.display()),
        _ => anyhow!("{}: {message}", path.display()),
    }
}

/// The innermost error of a call chain, with the most precise position known.
fn script_error(path: &Path, error: &EvalAltResult) -> anyhow::Error {
    let mut outer_position = error.position();
    let mut inner = error;
    while let EvalAltResult::ErrorInFunctionCall(_, _, nested, position)
    | EvalAltResult::ErrorInModule(_, nested, position) = inner
    {
        if !position.is_none() {
            outer_position = *position;
        }
        inner = nested;
    }
    let position = if inner.position().is_none() {
        outer_position
    } else {
        inner.position()
    };
    if matches!(inner, EvalAltResult::ErrorTerminated(..)) {
        return located(path, position, "interrupted");
    }
    let message = match inner {
        EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
        other => {
            // Rhai appends " (line L, position C)"; the location is given in front instead.
            let text = other.to_string();
            let suffix = format!(" ({})", other.position());
            text.strip_suffix(&suffix)
                .map(str::to_string)
                .unwrap_or(text)
        }
    };
    located(path, position, message)
}

/// Compiles a script, and refuses calls to functions that exist nowhere.
fn compile(session: &Session, engine: &Engine, scope: &Scope) -> Result<rhai::AST> {
    let path = &session.settings.script;
    let text = read_script(path)?;
    let ast = engine
        .compile_with_scope(scope, text)
        .map_err(|error| located(path, error.position(), error.err_type()))?;
    if let Some((name, position)) = lint::unknown_calls(engine, &ast).into_iter().next() {
        let hint = match lint::suggestion(&name, engine) {
            Some(close) => format!(": did you mean `{close}`?"),
            None => ": see docs/scripts.md for the functions scripts can call".to_string(),
        };
        return Err(located(
            path,
            position,
            format!("unknown function `{name}`{hint}"),
        ));
    }
    Ok(ast)
}

/// Compiles a script without running it.
pub fn check(session: &Arc<Session>) -> Result<()> {
    let engine = engine(session);
    compile(session, &engine, &scope(session))?;
    Ok(())
}

/// Names of every function the engine registers for scripts (not Rhai's own).
pub fn registered_functions(session: &Arc<Session>) -> Vec<String> {
    let mut names: Vec<String> = lint::known_functions(&engine(session), false)
        .into_iter()
        .collect();
    names.sort();
    names
}

/// Compiles and runs a script.
pub fn run(session: &Arc<Session>) -> Result<()> {
    let path = &session.settings.script;
    let engine = engine(session);
    let mut scope = scope(session);
    let ast = compile(session, &engine, &scope)?;
    engine
        .run_ast_with_scope(&mut scope, &ast)
        .map_err(|error| script_error(path, &error))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use tokio_util::sync::CancellationToken;

    fn session() -> (tokio::runtime::Runtime, Arc<Session>) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let session = Arc::new(Session::new(
            Settings::default(),
            None,
            runtime.handle().clone(),
            CancellationToken::new(),
        ));
        (runtime, session)
    }

    /// The reference cannot go stale: every function the engine registers is in it,
    /// as `name(` for functions and `.name` for properties.
    #[test]
    fn every_registered_function_is_in_the_reference() {
        let reference =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/scripts.md"))
                .unwrap();
        let (_runtime, session) = session();
        let names = registered_functions(&session);
        assert!(names.len() > 30, "{names:?}");
        let missing: Vec<&String> = names
            .iter()
            .filter(|name| match name.strip_prefix("get$") {
                Some(property) => !reference.contains(&format!(".{property}")),
                None => !reference.contains(&format!("{name}(")),
            })
            .collect();
        assert!(missing.is_empty(), "docs/scripts.md lacks {missing:?}");
    }

    #[test]
    fn closures_script_functions_and_the_standard_library_are_not_flagged() {
        let (_runtime, session) = session();
        let engine = engine(&session);
        let ast = engine
            .compile(
                "fn twice(x) { x * 2 }\nlet f = |y| twice(y);\nlet a = [1, 2].map(|v| f(v));\n\
                 for g in [f] { g(1); }\nprint(a.len().to_string() + parse_int(\"3\"));\n\
                 let ing = (); let up = || ing.start();\nup.call();\nnetwrok();\n",
            )
            .unwrap();
        let unknown: Vec<String> = lint::unknown_calls(&engine, &ast)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(unknown, ["netwrok"]);
        assert_eq!(
            lint::suggestion("netwrok", &engine).as_deref(),
            Some("network")
        );
        assert_eq!(lint::suggestion("zzzzzzzzzz", &engine), None);
    }
}
