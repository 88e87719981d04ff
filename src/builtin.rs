//! The built-in scenarios, embedded at build time from `scenarios/*.ron`.

use crate::scenario::Scenario;
use crate::suggest::did_you_mean;

mod files {
    include!(concat!(env!("OUT_DIR"), "/builtin_scenarios.rs"));
}

/// The scenario `rehearse` plays when none is named.
pub const DEFAULT: &str = "work-deadline";

/// Every built-in scenario as `(file name, source)`.
pub fn files() -> &'static [(&'static str, &'static str)] {
    files::FILES
}

/// Every built-in scenario, parsed. They are tested, so a failure is a build defect.
pub fn all() -> Vec<Scenario> {
    let mut out: Vec<Scenario> = files()
        .iter()
        .map(
            |(name, src)| match Scenario::parse(&format!("scenarios/{name}"), src) {
                Ok(s) => s,
                Err(e) => panic!("built-in scenario {name} is invalid: {}", e[0]),
            },
        )
        .collect();
    // The default first, then by id.
    out.sort_by_key(|s| (s.id != DEFAULT, s.id.clone()));
    out
}

/// The source of the built-in scenario with this id.
pub fn source(id: &str) -> Option<&'static str> {
    let file = format!("{id}.ron");
    files().iter().find(|(name, _)| *name == file).map(|f| f.1)
}

/// The built-in scenario with this id.
pub fn get(id: &str) -> Option<Scenario> {
    Scenario::parse(&format!("scenarios/{id}.ron"), source(id)?).ok()
}

/// "did you mean" for an unknown id.
pub fn suggest(id: &str) -> String {
    let ids: Vec<String> = files()
        .iter()
        .map(|(n, _)| n.trim_end_matches(".ron").to_string())
        .collect();
    did_you_mean(id, ids.iter().map(String::as_str))
}
