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

/// Each `err/NAME.ron` fails validation with exactly the diagnostics in `err/NAME.stderr`
/// (regenerate with `UPDATE_GOLDEN=1 cargo test`); each `ok/*.ron` validates.
#[test]
fn fixture_scenarios_give_the_expected_diagnostics() {
    let env = Env::new();
    let dir = root().join("tests/fixtures/scenarios");
    let mut n_err = 0;
    for entry in std::fs::read_dir(dir.join("err")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "ron") {
            continue;
        }
        n_err += 1;
        let rel = path
            .strip_prefix(root())
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let out = env.cmd(&["validate", &rel]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{rel} should be invalid");
        let got = stderr_of(&out);
        assert!(got.starts_with(&format!("{rel}:")), "{rel}: {got}");
        let expected_path = path.with_extension("stderr");
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("missing {}", expected_path.display()));
        assert_eq!(got, expected, "diagnostics for {rel} changed");
    }
    assert!(n_err >= 10, "the err fixtures are all there");
    for entry in std::fs::read_dir(dir.join("ok")).unwrap() {
        let path = entry.unwrap().path();
        let out = env
            .cmd(&["validate", path.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            stderr_of(&out)
        );
    }
}

/// The example in docs/scenarios.md stays valid and playable to its good ending.
#[test]
fn the_documented_example_validates_and_plays() {
    let doc = std::fs::read_to_string(root().join("docs/scenarios.md")).unwrap();
    let section = doc.split("## A complete small example").nth(1).unwrap();
    let example = section
        .split("```ron\n")
        .nth(1)
        .and_then(|s| s.split("\n```").next())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quiet-sister.ron");
    std::fs::write(&path, example).unwrap();
    let path = path.to_str().unwrap();
    let env = Env::new();
    env.cmd(&["validate", path]).assert().success();
    let out = env
        .cmd(&["play", path, "--seed", "1", "--json", "--no-save"])
        .write_stdin(
            "I've missed you, Maya.\n\
             What has it been like for you lately?\n\
             That makes sense.\n\
             It sounds like you've been feeling left out for a while.\n\
             How is the new job treating you?\n\
             Let's call on Sunday at 6.\n",
        )
        .output()
        .unwrap();
    let events = json_lines(&stdout_of(&out));
    let end = events.last().unwrap();
    assert_eq!(end["scorecard"]["outcome"], "reconnected", "{events:#?}");
}

#[test]
fn the_explorer_reports_endings_reveals_and_unheard_replies() {
    let env = Env::new();
    let out = env
        .cmd(&["validate", "--explore", "--sessions", "50", FIXTURE])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    for policy in ["guide-following", "random", "mistake-heavy"] {
        assert!(text.contains(policy), "{text}");
    }
    assert!(text.contains("reveal night-shifts"), "{text}");
    assert!(text.contains("replies heard: "), "{text}");
    assert!(
        text.contains("reconnected"),
        "guide-following talks reach the good ending: {text}"
    );
}

/// For every built-in scenario, a guide-following playthrough ends reconnected and a
/// mistake-laden one ends with the partner withdrawn or shut down
/// (`tests/golden/playthroughs/ID.good.txt` and `ID.bad.txt`, seed 1).
#[test]
fn golden_playthroughs_end_as_the_guide_predicts() {
    use rehearse::session::{Session, ending_outcome};
    for (name, _) in builtin::files() {
        let id = name.trim_end_matches(".ron");
        let sc = builtin::get(id).unwrap();
        let cl = rehearse::cli::classifier_for(&sc).unwrap();
        for kind in ["good", "bad"] {
            let path = root().join(format!("tests/golden/playthroughs/{id}.{kind}.txt"));
            let script = std::fs::read_to_string(&path)
                .unwrap_or_else(|_| panic!("missing {}", path.display()));
            let mut s = Session::new(&sc, &cl, 1);
            for line in script.lines() {
                if s.is_over() {
                    break;
                }
                let _ = s.step(line);
            }
            s.finish("end_of_input");
            let trace: Vec<String> = s
                .turns()
                .iter()
                .map(|t| {
                    let moves: Vec<&str> = t.moves.iter().map(|m| m.mv.name()).collect();
                    format!("{} [{}] {} -> {}", t.n, moves.join(","), t.user, t.openness)
                })
                .collect();
            let end = s.end().unwrap();
            let outcome = ending_outcome(&sc, end);
            let trace = trace.join("\n");
            if kind == "good" {
                assert_eq!(
                    outcome,
                    Some(Outcome::Good),
                    "{id}: the guide-following playthrough should reach a good (reconnected) ending, got {:?}:\n{trace}",
                    end.ending
                );
            } else {
                let band = sc.band_index(s.openness());
                assert!(
                    outcome == Some(Outcome::Bad) || band <= 1,
                    "{id}: the mistake-laden playthrough should end withdrawn or shut down, got {:?} at {}:\n{trace}",
                    end.ending,
                    s.openness()
                );
            }
        }
    }
}
