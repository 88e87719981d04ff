//! The REPL in a real pseudo-terminal: type a line, see a reply, `/why`, `/quit`, Ctrl-D.

use crate::common::*;
use expectrl::session::OsSession as Session;
use expectrl::{ControlCode, Expect};
use std::process::Command;
use std::time::Duration;

fn spawn(env: &Env, args: &[&str]) -> Session {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("rehearse"));
    cmd.args(args)
        .current_dir(root())
        .env("REHEARSE_HOME", env.home())
        .env("NO_COLOR", "1")
        .env("TERM", "xterm");
    let mut s = Session::spawn(cmd).expect("spawn in a pty");
    s.set_expect_timeout(Some(Duration::from_secs(20)));
    s
}

/// A rehearsal of the fixture (seed 2) whose transcript goes to `t`.
fn spawn_saving_to(env: &Env, t: &std::path::Path) -> Session {
    spawn(
        env,
        &[
            "play",
            FIXTURE,
            "--seed",
            "2",
            "--transcript",
            t.to_str().unwrap(),
        ],
    )
}

#[test]
fn a_line_gets_a_reply_why_explains_and_quit_scores() {
    let env = Env::new();
    let mut s = spawn(&env, &["play", FIXTURE, "--seed", "2"]);
    s.expect("/help lists commands").unwrap();
    s.expect("You wanted to talk?").unwrap();
    s.expect("you> ").unwrap();
    s.send_line("You never call me anymore.").unwrap();
    s.expect("openness [").unwrap();
    s.expect("you> ").unwrap();
    s.send_line("/why").unwrap();
    s.expect("criticism (mistake)").unwrap();
    s.expect("by rule criticism.").unwrap();
    s.expect("you> ").unwrap();
    s.send_line("/quit").unwrap();
    s.expect("Scorecard: ").unwrap();
    s.expect(expectrl::Eof).unwrap();

    // The line-editing history is kept, privately, in the data directory.
    let history = env.home().join("history.txt");
    let text = std::fs::read_to_string(&history).expect("history file");
    assert!(text.contains("You never call me anymore."));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&history).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir = std::fs::metadata(env.home()).unwrap().permissions().mode();
        assert_eq!(dir & 0o077, 0, "data directory is owner-only");
    }
}

#[test]
fn a_line_about_danger_is_not_kept_in_the_line_history() {
    let env = Env::new();
    let mut s = spawn(&env, &["play", FIXTURE, "--seed", "2"]);
    s.expect("you> ").unwrap();
    s.send_line("I miss our coffees.").unwrap();
    s.expect("openness [").unwrap();
    s.expect("you> ").unwrap();
    s.send_line("I don't feel safe at home, he hit me last week.")
        .unwrap();
    s.expect("Stepping out of the rehearsal").unwrap();
    s.expect("you> ").unwrap();
    s.send_line("/quit").unwrap();
    s.expect("Scorecard: ").unwrap();
    s.expect(expectrl::Eof).unwrap();
    let text = std::fs::read_to_string(env.home().join("history.txt")).expect("history file");
    assert!(text.contains("I miss our coffees."), "{text}");
    assert!(!text.contains("hit me"), "{text}");
}

#[test]
fn ctrl_c_clears_the_line_and_ctrl_d_ends_with_the_scorecard() {
    let env = Env::new();
    let mut s = spawn(&env, &["play", FIXTURE, "--seed", "2"]);
    s.expect("you> ").unwrap();
    s.send("half a thought").unwrap();
    s.send(ControlCode::EndOfText).unwrap(); // Ctrl-C
    s.expect("line cleared").unwrap();
    s.expect("you> ").unwrap();
    s.send_line("I miss you.").unwrap();
    s.expect("openness [").unwrap();
    s.expect("you> ").unwrap();
    s.send(ControlCode::EndOfTransmission).unwrap(); // Ctrl-D
    s.expect("Scorecard: ").unwrap();
    s.expect("after 1 turn.").unwrap();
    s.expect(expectrl::Eof).unwrap();
}

#[test]
fn ctrl_c_on_a_line_typed_after_the_note_only_clears_that_line() {
    let env = Env::new();
    let mut s = spawn(&env, &["play", FIXTURE, "--seed", "2"]);
    s.expect("you> ").unwrap();
    s.send("first draft").unwrap();
    s.send(ControlCode::EndOfText).unwrap();
    s.expect("line cleared").unwrap();
    s.expect("you> ").unwrap();
    s.send("second draft").unwrap();
    s.expect("second draft").unwrap();
    s.send(ControlCode::EndOfText).unwrap();
    // The second draft is cleared too, and the talk goes on.
    s.expect("line cleared").unwrap();
    s.expect("you> ").unwrap();
    s.send_line("I miss you.").unwrap();
    s.expect("openness [").unwrap();
    s.expect("you> ").unwrap();
    s.send_line("/quit").unwrap();
    s.expect("after 1 turn.").unwrap();
    s.expect(expectrl::Eof).unwrap();
}

#[test]
fn ctrl_c_twice_ends_the_talk_and_closes_the_transcript() {
    let env = Env::new();
    let t = env.home().join("t.jsonl");
    let mut s = spawn_saving_to(&env, &t);
    s.expect("you> ").unwrap();
    s.send_line("I miss you.").unwrap();
    s.expect("openness [").unwrap();
    s.expect("you> ").unwrap();
    s.send(ControlCode::EndOfText).unwrap();
    s.expect("press Ctrl-C again").unwrap();
    s.send(ControlCode::EndOfText).unwrap();
    s.expect("Scorecard: ").unwrap();
    s.expect(expectrl::Eof).unwrap();
    let events = json_lines(&std::fs::read_to_string(&t).unwrap());
    assert_eq!(events.last().unwrap()["type"], "end");
    assert_eq!(events.last().unwrap()["scorecard"]["turns"], 1);
}

#[test]
fn classify_answers_each_typed_line_before_the_next() {
    // A rule writer trying lines at a terminal sees each answer as soon as the line is
    // in, not when input ends.
    let env = Env::new();
    let mut s = spawn(&env, &["classify"]);
    s.send_line("You never listen to me.").unwrap();
    s.expect("criticism (mistake)").unwrap();
    s.send_line("I miss our walks.").unwrap();
    s.expect("i_statement (practice)").unwrap();
    s.send(ControlCode::EndOfTransmission).unwrap();
    s.expect(expectrl::Eof).unwrap();

    // With workers asked for too: they would hold typed lines back, so none are used.
    let mut s = spawn(&env, &["classify", "--jobs", "2"]);
    s.send_line("You never listen to me.").unwrap();
    s.expect("criticism (mistake)").unwrap();
    s.send(ControlCode::EndOfTransmission).unwrap();
    s.expect(expectrl::Eof).unwrap();
}

#[test]
fn pasted_lines_are_each_a_turn_none_lost() {
    // Several lines pasted at once reach the program in one read; the editor must keep
    // what follows the first line for the next prompts instead of dropping it.
    let env = Env::new();
    let t = env.home().join("t.jsonl");
    let mut s = spawn_saving_to(&env, &t);
    s.expect("you> ").unwrap();
    s.send("I miss you.\rWhat has your week been like?\rok\r/quit\r")
        .unwrap();
    s.expect("Scorecard: ").unwrap();
    s.expect(expectrl::Eof).unwrap();
    let events = json_lines(&std::fs::read_to_string(&t).unwrap());
    let said: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "turn")
        .map(|e| e["user"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(said, ["I miss you.", "What has your week been like?", "ok"]);
}

#[test]
fn forget_all_at_a_terminal_asks_first() {
    let env = Env::new();
    env.cmd(&["play", FIXTURE, "--seed", "2"])
        .write_stdin("I miss you.\n")
        .assert()
        .success();
    let saved = || transcripts(&env).len();
    assert_eq!(saved(), 1);
    // Anything but yes keeps everything.
    let mut s = spawn(&env, &["forget", "--all"]);
    s.expect("Delete 1 saved session").unwrap();
    s.expect("[y/N] ").unwrap();
    s.send_line("").unwrap();
    s.expect("Nothing deleted.").unwrap();
    s.expect(expectrl::Eof).unwrap();
    assert_eq!(saved(), 1);
    let mut s = spawn(&env, &["forget", "--all"]);
    s.expect("[y/N] ").unwrap();
    s.send_line("y").unwrap();
    s.expect("Deleted 1 saved session").unwrap();
    s.expect(expectrl::Eof).unwrap();
    assert_eq!(saved(), 0);
}
