//! Every built-in scenario loads, validates and is rich enough to practise with.

use crate::common::*;
use rehearse::builtin;
use rehearse::moves::Move;
use rehearse::scenario::{Outcome, Trigger};

const REQUIRED: &[&str] = &[
    "work-deadline",
    "in-law-stress",
    "phones-at-dinner",
    "stale-routine",
    "anxious-pursuer",
];

#[test]
fn every_built_in_scenario_validates_with_the_cli() {
    let env = Env::new();
    for (name, _) in builtin::files() {
        let path = format!("scenarios/{name}");
        let out = env.cmd(&["validate", &path]).output().unwrap();
        assert!(out.status.success(), "{path}: {}", stderr_of(&out));
    }
}

#[test]
fn the_required_scenarios_are_built_in() {
    let all = builtin::all();
    for id in REQUIRED {
        assert!(all.iter().any(|s| s.id == *id), "missing built-in `{id}`");
    }
    use rehearse::scenario::Relationship;
    assert!(all.iter().any(|s| s.relationship == Relationship::Family));
    assert!(all.iter().any(|s| s.relationship == Relationship::Friend));
}

#[test]
fn built_in_scenarios_are_rich_enough() {
    for (name, src) in builtin::files() {
        let sc = rehearse::scenario::Scenario::parse(name, src).unwrap();
        assert_eq!(format!("{}.ron", sc.id), *name, "file name matches id");
        let replies: usize = sc.reactions.iter().map(|r| r.replies.len()).sum();
        assert!(replies >= 60, "{name}: {replies} replies, want at least 60");
        assert!(sc.reveals.len() >= 2, "{name}: at least two reveals");
        assert!(sc.endings.iter().any(|e| e.outcome == Outcome::Good));
        assert!(sc.endings.iter().any(|e| e.outcome == Outcome::Bad));
        for &m in Move::ALL {
            assert!(
                sc.reactions.iter().any(|r| r.on == Trigger::Move(m)),
                "{name}: no reaction of its own for {m}"
            );
        }
        rehearse::cli::classifier_for(&sc).expect("scenario words extend the rules");
    }
}
