//! Saved sessions: the transcripts in the data directory, read back as a history with a
//! trend per scenario. The transcripts are the single source: forgetting a transcript
//! removes it from the history too.

use crate::transcript::Transcript;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub date: String,
    pub scenario: String,
    pub title: String,
    pub score: Option<u32>,
    pub outcome: Option<String>,
    pub turns: usize,
    /// False when the session was cut off before its end event.
    pub finished: bool,
    /// The "two weeks later" check-in on an agreed plan, not a first talk.
    pub check_in: bool,
    pub file: PathBuf,
}

/// Every readable transcript in `dir`, oldest first. Unreadable files are listed in the
/// second vector with the reason, so a corrupt file never hides the rest.
pub fn scan(dir: &Path) -> (Vec<Entry>, Vec<String>) {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return (entries, problems);
    };
    let mut paths: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    paths.sort();
    for p in paths {
        match Transcript::read(&p) {
            Ok(t) => {
                let turns = t.kept_turns().len();
                // A talk ended before anything was said has no score (the end of the
                // talk said so too), only "not started".
                let card = t.end.as_ref().map(|e| &e.scorecard).filter(|_| turns > 0);
                entries.push(Entry {
                    date: t.header.started.clone(),
                    scenario: t.header.scenario.clone(),
                    title: t.header.title.clone(),
                    score: card
                        .and_then(|c| c.get("score"))
                        .and_then(serde_json::Value::as_u64)
                        .map(|s| s as u32),
                    outcome: match card {
                        Some(c) => c
                            .get("outcome")
                            .and_then(|o| o.as_str())
                            .map(str::to_string),
                        None if t.end.is_some() => Some("not_started".to_string()),
                        None => None,
                    },
                    turns,
                    finished: t.end.is_some(),
                    check_in: t.header.check_in.is_some(),
                    file: p,
                });
            }
            Err(e) => problems.push(e),
        }
    }
    entries.sort_by(|a, b| a.date.cmp(&b.date).then(a.file.cmp(&b.file)));
    (entries, problems)
}

impl Entry {
    /// Which talk this was: the scenario's id, or `ID check-in` for its follow-up.
    pub fn talk(&self) -> String {
        if self.check_in {
            format!("{} check-in", self.scenario)
        } else {
            self.scenario.clone()
        }
    }
}

/// Per scenario, in order of first appearance: the scores of its finished sessions.
/// Check-ins are a different talk, so they make a trend of their own (`ID check-in`).
pub fn trends(entries: &[Entry]) -> Vec<(String, Vec<u32>)> {
    let mut out: Vec<(String, Vec<u32>)> = Vec::new();
    for e in entries {
        let Some(score) = e.score else {
            continue;
        };
        let key = e.talk();
        match out.iter_mut().find(|(id, _)| *id == key) {
            Some((_, v)) => v.push(score),
            None => out.push((key, vec![score])),
        }
    }
    out
}
