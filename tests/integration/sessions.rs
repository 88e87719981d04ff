//! Coming back to a talk: replay, the saved plan and the two-weeks-later check-in,
//! history, and live coaching.

use crate::common::*;

fn saved_transcript(env: &Env) -> std::path::PathBuf {
    transcripts(env).pop().expect("a saved transcript")
}

#[test]
fn replaying_an_unchanged_transcript_reports_no_difference() {
    let env = Env::new();
    env.cmd(&["play", FIXTURE, "--seed", "5"])
        .write_stdin(
            "I miss you.\nYou never call.\n/undo\nWhat has been going on?\nThat makes sense.\n",
        )
        .assert()
        .success();
    let t = saved_transcript(&env);
    let t = t.to_str().unwrap();
    let out = env.cmd(&["replay", t, "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["identical"], true, "{r:#}");
    assert_eq!(r["score_before"], r["score_after"]);
    let text = stdout_of(&env.cmd(&["replay", t]).output().unwrap());
    assert!(text.contains("No difference"), "{text}");
}

#[test]
fn replaying_against_an_edited_scenario_shows_where_it_differs() {
    let env = Env::new();
    env.cmd(&["play", FIXTURE, "--seed", "5"])
        .write_stdin("Hi Jo.\nWhat has been going on?\n")
        .assert()
        .success();
    let t = saved_transcript(&env);
    let edited = env.home().join("edited.ron");
    let src = std::fs::read_to_string(root().join(FIXTURE)).unwrap();
    let changed = src.replace(
        "(on: \"open_question\", delta: 12,",
        "(on: \"open_question\", delta: 2,",
    );
    assert_ne!(src, changed);
    std::fs::write(&edited, changed).unwrap();
    let out = env
        .cmd(&[
            "replay",
            t.to_str().unwrap(),
            "--scenario",
            edited.to_str().unwrap(),
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "exit 0 either way");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["identical"], false);
    assert_eq!(r["first_difference"]["n"], 2);
    assert_eq!(r["first_difference"]["what"], "openness");
    assert_eq!(r["scenario_changed"], true);
    // In words: the scenario named on the command line is the one replayed against.
    let text = stdout_of(
        &env.cmd(&[
            "replay",
            t.to_str().unwrap(),
            "--scenario",
            edited.to_str().unwrap(),
        ])
        .output()
        .unwrap(),
    );
    assert!(text.contains("against the one you named"), "{text}");

    // A talk played from a file that is gone says which file it was.
    let copy = env.home().join("copy.ron");
    std::fs::write(&copy, &src).unwrap();
    env.cmd(&["play", copy.to_str().unwrap(), "--seed", "5"])
        .write_stdin("Hi Jo.\n")
        .assert()
        .success();
    let t = saved_transcript(&env);
    std::fs::remove_file(&copy).unwrap();
    let out = env.cmd(&["replay", t.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains("copy.ron, which is gone") && err.contains("--scenario"),
        "{err}"
    );
}

#[test]
fn undo_says_the_partner_is_back_where_they_were() {
    let env = Env::new();
    let out = env
        .cmd(&["play", FIXTURE, "--seed", "5", "--color", "never"])
        .write_stdin("What has been going on?\n/undo\n")
        .output()
        .unwrap();
    let text = stdout_of(&out).replace("\n  ", " ");
    let line = text
        .lines()
        .find(|l| l.contains("Took back turn 1"))
        .unwrap_or_else(|| panic!("{text}"));
    // The meter shows the change the undo made, not a bare "(±0)".
    assert!(
        line.contains("is back to how things stood before it: openness"),
        "{line}"
    );
    assert!(line.contains("(-12)"), "{line}");
}

#[test]
fn an_agreed_plan_brings_a_two_weeks_later_check_in() {
    let env = Env::new();
    let script =
        std::fs::read_to_string(root().join("tests/golden/playthroughs/work-deadline.good.txt"))
            .unwrap();
    let out = env
        .cmd(&["play", "work-deadline", "--seed", "1", "--color", "never"])
        .write_stdin(script)
        .output()
        .unwrap();
    let text = stdout_of(&out);
    assert!(text.contains("follow-up check-in"), "{text}");
    let plan: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(env.home().join("plans/work-deadline.json")).unwrap(),
    )
    .unwrap();
    let plan_line = plan["plan"].as_str().unwrap().to_string();

    // Opening the check-in and leaving before saying anything keeps the plan for next
    // time, and keeps no transcript of a talk that never happened.
    let saved = || transcripts(&env).len();
    let before = saved();
    let out = env
        .cmd(&["play", "work-deadline", "--check-in", "--seed", "1"])
        .write_stdin("")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stdout_of(&out).contains("no transcript was kept"));
    assert!(env.home().join("plans/work-deadline.json").exists());
    assert_eq!(saved(), before);

    let out = env
        .cmd(&[
            "play",
            "work-deadline",
            "--check-in",
            "--seed",
            "1",
            "--color",
            "never",
        ])
        .write_stdin("How has it been going for you?\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(text.contains("two weeks later"), "{text}");
    assert!(
        text.contains(&plan_line),
        "the partner refers back to the plan: {text}"
    );
    // The check-in was used up, and its transcript replays to the same talk.
    assert!(!env.home().join("plans/work-deadline.json").exists());
    let t = saved_transcript(&env);
    let header = &json_lines(&std::fs::read_to_string(&t).unwrap())[0];
    assert!(header["check_in"]["went"].is_string());
    let r = env
        .cmd(&["replay", t.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(r["identical"], true, "{r:#}");
    // Without a saved plan, asking for a check-in is explained.
    let out = env
        .cmd(&["play", "work-deadline", "--check-in"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("no plan is saved"));
}

#[test]
fn coaching_suggests_a_better_phrasing_after_a_mistake() {
    let env = Env::new();
    let out = env
        .cmd(&[
            "play",
            FIXTURE,
            "--seed",
            "1",
            "--coach",
            "--json",
            "--no-save",
        ])
        .write_stdin("You never call me anymore.\nI miss you.\n")
        .output()
        .unwrap();
    let ev = json_lines(&stdout_of(&out));
    let advice = ev[0]["coach"].as_array().unwrap();
    assert_eq!(advice[0]["move"], "criticism");
    assert_eq!(advice[0]["step"], 1);
    assert!(!advice[0]["rewrite"].as_str().unwrap().is_empty());
    assert_eq!(ev[1]["coach"].as_array().unwrap().len(), 0);
    let end = ev.last().unwrap();
    assert_eq!(end["scorecard"]["advice"][0]["turn"], 1);
    let text = stdout_of(
        &env.cmd(&["play", FIXTURE, "--seed", "1", "--coach", "--no-save"])
            .write_stdin("You never call me anymore.\n/hint\n")
            .output()
            .unwrap(),
    );
    assert!(text.contains("coach:") && text.contains("try:"), "{text}");
    assert!(text.contains("hint:"), "{text}");
    assert!(text.contains("Better phrasings"), "{text}");
}

#[test]
fn at_a_hard_moment_hints_offer_a_better_time_until_one_is_offered() {
    let env = Env::new();
    // The default scenario opens late at night: the scorecard's "Pick a calm moment".
    let hints = |input: &str| -> Vec<String> {
        let out = env
            .cmd(&["play", "work-deadline", "--seed", "1", "--no-save"])
            .write_stdin(input.to_string())
            .output()
            .unwrap();
        stdout_of(&out)
            .lines()
            .filter(|l| l.starts_with("hint: "))
            .map(str::to_string)
            .collect()
    };
    let h = hints("/hint\nI feel lonely lately.\n/hint\n");
    assert_eq!(h.len(), 2);
    assert!(
        h.iter().all(|l| l.contains("time")),
        "both suggest a better time: {h:?}"
    );
    // Once a later time is offered, the hints move on to the guide's steps.
    let h = hints("Could we talk tomorrow evening after dinner?\n/hint\n");
    assert_eq!(h.len(), 1);
    assert!(!h[0].contains("calm moment"), "{h:?}");
}

#[test]
fn history_shows_a_trend_per_scenario() {
    let env = Env::new();
    for (seed, lines) in [
        ("1", "You never call.\n"),
        ("2", "I miss you.\nWhat has been going on?\n"),
    ] {
        env.cmd(&["play", FIXTURE, "--seed", seed])
            .write_stdin(lines)
            .assert()
            .success();
    }
    let text = stdout_of(&env.cmd(&["history", "--color", "never"]).output().unwrap());
    assert!(text.contains("Trend per scenario"), "{text}");
    assert!(text.contains("small-talk"), "{text}");
    assert!(text.contains("2 sessions"), "{text}");
    assert!(
        text.contains("up "),
        "the second talk scored higher: {text}"
    );
}

#[test]
fn a_saved_talk_with_nothing_said_is_listed_as_not_started_and_not_scored() {
    // Earlier versions kept a transcript (a header and an end event) of a talk ended
    // before anything was said: it is listed as not started and reviewed without a score.
    let env = Env::new();
    env.cmd(&["play", FIXTURE, "--seed", "3"])
        .write_stdin("I miss you.\n")
        .assert()
        .success();
    let played = saved_transcript(&env);
    let events: Vec<String> = std::fs::read_to_string(&played)
        .unwrap()
        .lines()
        .filter(|l| !l.contains(r#""type":"turn""#))
        .map(str::to_string)
        .collect();
    let empty = env.home().join("transcripts/0000-empty.jsonl");
    std::fs::write(&empty, events.join("\n") + "\n").unwrap();
    let history = stdout_of(&env.cmd(&["history", "--color", "never"]).output().unwrap());
    let row = history
        .lines()
        .find(|l| l.contains("0000-empty"))
        .unwrap_or_else(|| panic!("{history}"));
    assert!(
        row.contains("–/100") && row.contains("not started"),
        "{row}"
    );
    assert!(
        history.contains(" 1 session,"),
        "left out of the trend: {history}"
    );
    let review = stdout_of(
        &env.cmd(&["review", empty.to_str().unwrap()])
            .output()
            .unwrap(),
    );
    assert!(review.contains("nothing to score"), "{review}");
    assert!(!review.contains("Scorecard:"), "{review}");
}
