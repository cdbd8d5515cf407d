//! What `pyrobench check` finds beyond Rhai's compiler: calls to functions that exist
//! nowhere, such as `compaer(...)`. Rhai resolves calls only when they run, so without
//! this a typo in the last line of a long experiment fails after an hour of runs.

use std::collections::HashSet;

use rhai::{AST, ASTNode, Engine, Expr, Position, Stmt};

/// Names the language handles itself, which no signature lists.
const LANGUAGE: &[&str] = &[
    "print",
    "debug",
    "type_of",
    "Fn",
    "call",
    "curry",
    "is_shared",
    "is_def_fn",
    "is_def_var",
    "eval",
];

/// Every function the engine knows: pyrobench's and Rhai's standard library.
pub fn known_functions(engine: &Engine, include_standard: bool) -> HashSet<String> {
    engine
        .gen_fn_signatures(include_standard)
        .iter()
        .filter_map(|signature| signature.split('(').next())
        .map(|name| name.trim().to_string())
        .collect()
}

fn is_identifier(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Calls whose name is neither a known function, nor one the script defines, nor a
/// variable (a closure called as `f()`), with where they are.
pub fn unknown_calls(engine: &Engine, ast: &AST) -> Vec<(String, Position)> {
    let known = known_functions(engine, true);
    let mut defined: HashSet<String> = LANGUAGE.iter().map(|s| s.to_string()).collect();
    for function in ast.iter_functions() {
        defined.insert(function.name.to_string());
        defined.extend(function.params.iter().map(|p| p.to_string()));
    }
    let mut calls = Vec::new();
    ast.walk(&mut |path: &[ASTNode]| {
        match path.last() {
            Some(ASTNode::Stmt(Stmt::Var(var, ..))) => {
                defined.insert(var.0.name.to_string());
            }
            Some(ASTNode::Stmt(Stmt::For(looped, ..))) => {
                defined.insert(looped.0.name.to_string());
                if let Some(counter) = &looped.1 {
                    defined.insert(counter.name.to_string());
                }
            }
            Some(ASTNode::Stmt(Stmt::FnCall(call, position)))
            | Some(ASTNode::Expr(Expr::FnCall(call, position)))
            | Some(ASTNode::Expr(Expr::MethodCall(call, position)))
                if call.op_token.is_none() && call.namespace.is_empty() =>
            {
                calls.push((call.name.to_string(), *position));
            }
            _ => {}
        }
        true
    });
    calls
        .into_iter()
        .filter(|(name, _)| is_identifier(name) && !known.contains(name) && !defined.contains(name))
        .collect()
}

/// The closest known name, when one is close enough to be what was meant.
pub fn suggestion(name: &str, engine: &Engine) -> Option<String> {
    known_functions(engine, true)
        .into_iter()
        .chain(LANGUAGE.iter().map(|s| s.to_string()))
        .filter(|candidate| is_identifier(candidate))
        .map(|candidate| (strsim::levenshtein(name, &candidate), candidate))
        .filter(|(distance, _)| *distance <= 2.max(name.len() / 4))
        .min()
        .map(|(_, candidate)| candidate)
}
