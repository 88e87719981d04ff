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

    // Its check-in, two weeks on, plays to its own good ending.
    use rehearse::checkin::{CheckIn, Plan, Went, apply};
    let sc = rehearse::scenario::Scenario::parse("quiet-sister.ron", example).unwrap();
    let plan = Plan {
        scenario: sc.id.clone(),
        plan: "Let's call on Sunday at 6.".into(),
        follow_up: "Let's check in after.".into(),
        need: None,
        agreed: "2026-01-01".into(),
    };
    let talk = apply(
        &sc,
        &CheckIn {
            plan,
            went: Went::Well,
        },
    );
    assert_eq!(talk.engine_problems(), Vec::<String>::new());
    let cl = rehearse::cli::classifier_for(&talk).unwrap();
    let s = play_lines(
        &talk,
        &cl,
        1,
        "How has it been for you?\nWhat was the hardest part?\nSo what I'm hearing is six o'clock is bath time.\nLet's call on Sundays at 8 instead.\n",
    );
    assert_eq!(
        s.end().and_then(|e| e.ending.as_deref()),
        Some("plan-adjusted"),
        "{:#?}",
        s.turns()
    );
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
    assert!(!text.contains("turn_limit"), "said in words: {text}");
    assert!(!text.contains("warning"), "{text}");

    // An ending valid on paper that no simulated talk reaches is a warning.
    let src = std::fs::read_to_string(root().join(FIXTURE))
        .unwrap()
        .replace(
            "when: [band(\"open\"), seen(\"concrete_plan\", 1)]",
            "when: [band(\"open\"), seen(\"concrete_plan\", 1), seen(\"playfulness\", 6)]",
        );
    let path = env.home().join("rare.ron");
    std::fs::write(&path, src).unwrap();
    let out = env
        .cmd(&[
            "validate",
            "--explore",
            "--sessions",
            "50",
            path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let text = stdout_of(&out);
    assert!(
        text.contains("warning: ending `reconnected` was reached in none of the 150 sessions"),
        "{text}"
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

/// A scenario's own words change what a line counts as: with them, naming its stressor is
/// exploring it and dragging in its old grievance is kitchen-sinking; without them, the
/// same lines are neither (so this test fails if the words stop mattering).
#[test]
fn scenario_words_change_what_a_line_counts_as() {
    use rehearse::classify::{Classifier, Context};
    use rehearse::rules::RuleSet;
    let words = [
        (
            "grievance".to_string(),
            vec!["the camping trip".to_string()],
        ),
        (
            "stressor".to_string(),
            vec!["the henderson account".to_string()],
        ),
    ]
    .into_iter()
    .collect();
    let with = Classifier::new(RuleSet::builtin_with_words(&words).unwrap()).unwrap();
    let without = Classifier::builtin();
    for (line, m) in [
        (
            "And then there was the camping trip again.",
            Move::KitchenSinking,
        ),
        ("How's the Henderson account going?", Move::ExternalStressor),
    ] {
        let got = with.classify(line, Context::default());
        assert!(got.has(m), "{line}: with the words, {m}: {got:?}");
        let got = without.classify(line, Context::default());
        assert!(!got.has(m), "{line}: without the words, not {m}: {got:?}");
    }
}

/// Play `lines` from the start, stopping at the end of the talk.
fn play_lines<'a>(
    sc: &'a rehearse::scenario::Scenario,
    cl: &'a rehearse::classify::Classifier,
    seed: u64,
    lines: &str,
) -> rehearse::session::Session<'a> {
    let mut s = rehearse::session::Session::new(sc, cl, seed);
    for line in lines.lines() {
        if s.is_over() {
            break;
        }
        let _ = s.step(line);
    }
    s.finish("end_of_input");
    s
}

/// For every built-in scenario, the "two weeks later" check-in after its guide-following
/// playthrough is a follow-up talk of its own: it validates, it opens on the user's own
/// plan (the real plan, not a playful line), a guide-following check-in
/// (`tests/golden/playthroughs/ID.check-in.txt`) reaches its good ending whichever way the
/// plan went, none of the first talk's reveals come back, and keeping score ends it badly.
#[test]
fn every_built_in_check_in_is_a_follow_up_talk_of_its_own() {
    use rehearse::checkin::{self, CheckIn, Went};
    use rehearse::session::ending_outcome;
    for (name, _) in builtin::files() {
        let id = name.trim_end_matches(".ron");
        let sc = builtin::get(id).unwrap();
        let cl = rehearse::cli::classifier_for(&sc).unwrap();
        let read = |kind: &str| {
            let path = root().join(format!("tests/golden/playthroughs/{id}.{kind}.txt"));
            std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing {}", path.display()))
        };

        // The check-in's own script, as the scenario wrote it.
        let c = sc
            .check_in
            .as_ref()
            .unwrap_or_else(|| panic!("{id}: no check_in"));
        for opening in [&c.went_well, &c.partly] {
            assert!(
                opening.contains("{plan}"),
                "{id}: the opening refers to the plan"
            );
        }
        let replies: usize = c.reactions.iter().map(|r| r.replies.len()).sum();
        assert!(
            replies >= 20,
            "{id}: {replies} check-in replies, want at least 20"
        );
        assert!(c.reveals.len() >= 2, "{id}: at least two check-in reveals");
        assert!(c.endings.iter().any(|e| e.outcome == Outcome::Good), "{id}");
        assert!(c.endings.iter().any(|e| e.outcome == Outcome::Bad), "{id}");

        // The plan the good playthrough agreed.
        let first = play_lines(&sc, &cl, 1, &read("good"));
        let plan = checkin::agreed(&sc, first.turns(), first.end().unwrap(), "2026-01-01")
            .unwrap_or_else(|| panic!("{id}: the good playthrough agrees a plan"));
        // When a line made a plan without play, that is the plan, not a playful line.
        let has = |t: &rehearse::session::Turn, m: Move| t.moves.iter().any(|x| x.mv == m);
        let plan_turn = first.turns().iter().find(|t| t.user == plan.plan).unwrap();
        assert!(has(plan_turn, Move::ConcretePlan), "{id}: {}", plan.plan);
        if first
            .turns()
            .iter()
            .any(|t| has(t, Move::ConcretePlan) && !has(t, Move::Playfulness))
        {
            assert!(
                !has(plan_turn, Move::Playfulness),
                "{id}: the saved plan is the real one, not a playful line: {}",
                plan.plan
            );
        }

        let first_reveals: Vec<&str> = sc.reveals.iter().map(|r| r.text.as_str()).collect();
        let script = read("check-in");
        for went in [Went::Well, Went::Partly] {
            let talk = checkin::apply(
                &sc,
                &CheckIn {
                    plan: plan.clone(),
                    went,
                },
            );
            assert_eq!(
                talk.engine_problems(),
                Vec::<String>::new(),
                "{id} {went:?}"
            );
            assert!(
                talk.moment.is_none(),
                "{id}: the check-in is an agreed time"
            );
            let said = plan.plan.trim_end().trim_end_matches('.');
            assert!(talk.opening.contains(said), "{id}: {}", talk.opening);
            assert!(talk.brief.contains(&plan.plan), "{id}: {}", talk.brief);
            assert!(!talk.opening.contains("{plan}"));
            for seed in [1, 2, 3] {
                let s = play_lines(&talk, &cl, seed, &script);
                let trace: Vec<String> = s
                    .turns()
                    .iter()
                    .map(|t| {
                        let moves: Vec<&str> = t.moves.iter().map(|m| m.mv.name()).collect();
                        format!(
                            "{} [{}] {} -> {} | {}",
                            t.n,
                            moves.join(","),
                            t.user,
                            t.openness,
                            t.partner
                        )
                    })
                    .collect();
                let trace = trace.join("\n");
                let end = s.end().unwrap();
                assert_eq!(
                    ending_outcome(&talk, end),
                    Some(Outcome::Good),
                    "{id} {went:?} seed {seed}: the guide-following check-in should reach its good ending, got {:?}:\n{trace}",
                    end.ending
                );
                for t in s.turns() {
                    assert!(
                        !first_reveals.contains(&t.partner.as_str()),
                        "{id}: a first-talk reveal came back in the check-in: {}",
                        t.partner
                    );
                }
                assert!(
                    s.turns().iter().any(|t| t.reveal.is_some()),
                    "{id}: the check-in's own reveals come out:\n{trace}"
                );
            }
            let s = play_lines(
                &talk,
                &cl,
                1,
                "You never stick to anything.\nYou always let me down.\nThat's no excuse.\nWhatever.\nYou never change.\n",
            );
            let end = s.end().unwrap();
            assert!(
                ending_outcome(&talk, end) == Some(Outcome::Bad)
                    || talk.band_index(s.openness()) <= 1,
                "{id} {went:?}: keeping score should end the check-in badly, got {:?} at {}",
                end.ending,
                s.openness()
            );
        }
    }
}
