//! `rehearse play` on piped stdin: the same engine as the REPL, with no prompt noise.

use crate::common::*;

const LINES: &str = "Hi Jo.\n\
    I miss you. What has been going on for you?\n\
    That makes sense.\n\
    How are the night shifts treating you?\n\
    Let's get coffee on Saturday morning.\n";

#[test]
fn piped_text_play_shows_replies_meter_and_scorecard() {
    let env = Env::new();
    let out = env
        .cmd(&["play", FIXTURE, "--seed", "4"])
        .write_stdin(LINES)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(text.contains("Coffee with Jo"), "the brief: {text}");
    assert!(
        text.contains("you: Hi Jo."),
        "user lines are echoed: {text}"
    );
    assert!(text.matches("Jo: ").count() >= 5, "{text}");
    assert!(text.contains("openness ["), "{text}");
    assert!(text.contains("Scorecard: "), "{text}");
    assert!(!text.contains("you> "), "no prompt on piped input");
    assert!(
        !text.contains("/help lists commands"),
        "no prompt instructions on piped input: {text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn json_events_have_the_contract_shape() {
    let env = Env::new();
    let out = env
        .cmd(&["play", FIXTURE, "--seed", "4", "--json"])
        .write_stdin(LINES)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let events = json_lines(&stdout_of(&out));
    let (end, turns) = events.split_last().unwrap();
    assert!(!turns.is_empty());
    for (i, t) in turns.iter().enumerate() {
        assert_eq!(t["type"], "turn");
        assert_eq!(t["n"], i as u64 + 1);
        assert!(t["user"].is_string() && t["partner"].is_string());
        assert!(t["moves"].is_array());
        let o = t["openness"].as_i64().unwrap();
        assert!((0..=100).contains(&o));
        assert!(t["band"].is_string());
        for m in t["moves"].as_array().unwrap() {
            for k in ["move", "kind", "rule", "start", "end"] {
                assert!(!m[k].is_null(), "move lacks {k}: {m}");
            }
        }
    }
    assert_eq!(end["type"], "end");
    assert!(end["reason"].is_string());
    let card = &end["scorecard"];
    let score = card["score"].as_u64().unwrap();
    assert!(score <= 100);
    assert!(card["outcome"].is_string());
    let steps = card["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 7);
    for s in steps {
        assert!(
            s.get("achieved_turn").is_some(),
            "achieved_turn present (or null)"
        );
    }
    assert!(
        steps[0]["achieved_turn"].is_u64(),
        "the I-statement was on a turn"
    );
    let mistakes = card["mistakes"].as_object().unwrap();
    assert!(mistakes.contains_key("criticism") && mistakes.contains_key("pursuit"));
}

#[test]
fn same_seed_same_bytes_other_seeds_other_replies() {
    let env = Env::new();
    let run = |seed: &str| {
        let out = env
            .cmd(&["play", FIXTURE, "--seed", seed, "--json"])
            .write_stdin(LINES)
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout
    };
    let a = run("11");
    assert_eq!(
        a,
        run("11"),
        "same seed and lines must give identical bytes"
    );
    let differs = ["1", "2", "3", "4", "5", "6"].iter().any(|s| run(s) != a);
    assert!(differs, "other seeds should choose other replies");
}

#[test]
fn a_fresh_seed_is_printed_so_the_talk_can_be_replayed() {
    let env = Env::new();
    let out = env
        .cmd(&["play", FIXTURE, "--no-save"])
        .write_stdin(LINES)
        .output()
        .unwrap();
    let text = stdout_of(&out);
    let seed: String = text
        .split("--seed ")
        .nth(1)
        .expect("the seed is shown")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let again = env
        .cmd(&["play", FIXTURE, "--seed", &seed, "--no-save"])
        .write_stdin(LINES)
        .output()
        .unwrap();
    assert_eq!(text, stdout_of(&again));
}

#[test]
fn slash_commands_work_on_piped_input_too() {
    let env = Env::new();
    let out = env
        .cmd(&["play", FIXTURE, "--seed", "1"])
        .write_stdin("You never call me.\n/why\n/score\n/help\n/frob\n/quit\nThis is never read.\n")
        .output()
        .unwrap();
    let text = stdout_of(&out);
    assert!(
        text.contains("by rule criticism."),
        "/why names the rule: {text}"
    );
    assert!(
        text.contains("\"You never\""),
        "/why shows the matched words: {text}"
    );
    assert!(
        text.contains("-10 openness"),
        "/why shows the effect: {text}"
    );
    assert!(text.contains("/score"), "/help lists commands");
    assert!(text.contains("Unknown command /frob"));
    assert!(text.contains("You ended the rehearsal."));
    assert!(!text.contains("This is never read."));
    assert_eq!(
        text.matches("Scorecard: ").count(),
        2,
        "/score and the final one"
    );
}

#[test]
fn a_scenario_ending_closes_the_talk() {
    let env = Env::new();
    let out = env
        .cmd(&["play", FIXTURE, "--seed", "1", "--json"])
        .write_stdin("You never call.\nGrow up.\nOh, poor you.\nStill here?\n")
        .output()
        .unwrap();
    let events = json_lines(&stdout_of(&out));
    let end = events.last().unwrap();
    assert_eq!(end["reason"], "ending");
    assert_eq!(end["scorecard"]["outcome"], "walked_away");
    assert_eq!(events.len(), 4, "the line after the ending is not played");
}

#[test]
fn rehearse_alone_plays_the_default_scenario() {
    let env = Env::new();
    let out = env
        .cmd(&["--color", "never"])
        .write_stdin("I miss you.\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(text.contains("(work-deadline)"), "{text}");
    assert!(text.contains("Scorecard: "));
}

#[test]
fn a_safety_line_steps_out_of_the_role_once() {
    let env = Env::new();
    let out = env
        .cmd(&["play", FIXTURE, "--seed", "1"])
        .write_stdin("He hit me last night.\nThis deadline is killing me.\n")
        .output()
        .unwrap();
    let text = stdout_of(&out);
    assert_eq!(
        text.matches("Stepping out of the rehearsal").count(),
        1,
        "{text}"
    );
    assert!(text.contains("emergency services"));
    assert!(
        text.contains("after 1 turn."),
        "only the second line was played: {text}"
    );
}

#[test]
fn huge_and_hostile_lines_do_not_break_the_session() {
    let env = Env::new();
    let mut input = "x".repeat(1 << 20);
    input.push_str("\n\u{1b}[31mred\u{1b}[0m you never listen\n\n\n");
    let out = env
        .cmd(&["play", FIXTURE, "--seed", "1", "--color", "never"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(!out.stdout.contains(&0x1b));
    assert!(stdout_of(&out).contains("after 2 turns"));
}

#[test]
fn each_kind_of_danger_steps_out_of_the_role_once() {
    let env = Env::new();
    let out = env
        .cmd(&["play", FIXTURE, "--seed", "1"])
        .write_stdin(
            "He hit me last night.\nHe hit me again.\nSometimes I think about hurting myself.\n",
        )
        .output()
        .unwrap();
    let text = stdout_of(&out);
    assert_eq!(
        text.matches("Stepping out of the rehearsal").count(),
        2,
        "once for violence, once for self-harm: {text}"
    );
    // Each worded for what was written.
    assert!(text.contains("someone may be hurting you"), "{text}");
    assert!(text.contains("about hurting yourself"), "{text}");
    assert!(
        text.contains("after 1 turn."),
        "the repeated violence line was played: {text}"
    );
    // The score is not the last word after that: a reminder comes before it.
    let reminder = text.find("Before the score: earlier you wrote something about your safety");
    let card = text.find("Scorecard:");
    assert!(
        reminder.is_some() && reminder < card,
        "reminder before the scorecard: {text}"
    );
}

#[test]
fn a_talk_without_danger_gets_no_safety_reminder() {
    let env = Env::new();
    let out = env
        .cmd(&["play", FIXTURE, "--seed", "1"])
        .write_stdin("I miss you and I want to understand what is going on.\n")
        .output()
        .unwrap();
    let text = stdout_of(&out);
    assert!(text.contains("Scorecard:"), "{text}");
    assert!(!text.contains("your safety"), "{text}");
}

#[test]
fn a_talk_ended_before_a_word_is_not_scored_or_kept() {
    let env = Env::new();
    for input in [
        "I miss you and I want to understand what is going on.\n",
        "",
    ] {
        let out = env
            .cmd(&["play", FIXTURE, "--seed", "1"])
            .write_stdin(input)
            .output()
            .unwrap();
        let text = stdout_of(&out);
        if input.is_empty() {
            assert!(text.contains("nothing to score"), "{text}");
            assert!(!text.contains("Scorecard:"), "{text}");
            assert!(text.contains("no transcript was kept"), "{text}");
        }
    }
    let history = stdout_of(&env.cmd(&["history"]).output().unwrap());
    assert_eq!(
        history.matches(".jsonl").count(),
        1,
        "only the talk in which something was said is kept: {history}"
    );
    assert!(history.contains(" 1 session,"), "{history}");
}
