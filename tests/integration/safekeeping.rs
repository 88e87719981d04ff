//! What was said is kept, and kept only where it belongs: no saved file is written over,
//! the folders stay private, huge input stays bounded, `forget` forgets the typed lines
//! too, and a transcript cut before its end still tells how the talk ended.

use crate::common::*;

/// A guide-following script that reaches the small-talk fixture's good ending.
const GOOD_TALK: &str = "\
I've missed you lately, and I feel a bit lost without our coffees.
How have things been for you?
It sounds like the night shifts have been grinding you down.
That makes total sense.
Could we get coffee on Saturday at 10?
Let's check in next Sunday on how it's going.
";

#[test]
fn a_transcript_path_that_exists_is_never_written_over() {
    let env = Env::new();
    let notes = env.home().join("notes.txt");
    std::fs::write(&notes, "my precious notes\n").unwrap();
    let out = env
        .cmd(&["play", FIXTURE, "--seed", "1", "--transcript"])
        .arg(&notes)
        .write_stdin("I miss you.\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("will not write over it"));
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "my precious notes\n"
    );

    // A new path is written, and a second session cannot replace it.
    let path = env.home().join("talks").join("first.jsonl");
    env.cmd(&["play", FIXTURE, "--seed", "1", "--transcript"])
        .arg(&path)
        .write_stdin("I miss you.\n")
        .assert()
        .success();
    let first = std::fs::read_to_string(&path).unwrap();
    assert!(first.contains("I miss you."));
    env.cmd(&["play", FIXTURE, "--seed", "1", "--transcript"])
        .arg(&path)
        .write_stdin("Something else entirely.\n")
        .assert()
        .code(1);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
}

#[cfg(unix)]
#[test]
fn an_existing_data_folder_is_made_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let dir = env.home().join("transcripts");
    std::fs::create_dir_all(&dir).unwrap();
    for d in [env.home(), dir.as_path()] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    env.cmd(&["play", FIXTURE, "--seed", "1"])
        .write_stdin("I miss you.\n")
        .assert()
        .success();
    for d in [env.home(), dir.as_path()] {
        let mode = std::fs::metadata(d).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", d.display());
    }
    assert_eq!(transcripts(&env).len(), 1);
}

#[test]
fn rehearse_alone_takes_plays_options() {
    let env = Env::new();
    let run = |args: &[&str]| {
        let out = env
            .cmd(args)
            .write_stdin("I miss you.\nHow has work been?\n")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
        stdout_of(&out)
    };
    let alone = run(&["--seed", "42", "--no-save"]);
    let play = run(&["play", "--seed", "42", "--no-save"]);
    assert_eq!(alone, play);
    assert!(alone.contains("(work-deadline)"), "{alone}");
    assert!(transcripts(&env).is_empty(), "--no-save kept nothing");
    // A play option still cannot sit beside another command.
    env.cmd(&["--seed", "42", "list"]).assert().code(2);
}

#[test]
fn validate_into_a_closed_pipe_ends_quietly() {
    use std::process::{Command, Stdio};
    let env = Env::new();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("rehearse"))
        .args([
            "validate",
            "--explore",
            "--sessions",
            "5",
            FIXTURE,
            FIXTURE,
            FIXTURE,
        ])
        .current_dir(root())
        .env("REHEARSE_HOME", env.home())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(out.status.code(), Some(101), "{err}");
}

#[test]
fn a_missing_scenario_file_is_named_once() {
    let env = Env::new();
    let out = env.cmd(&["validate", "nope.ron"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.starts_with("nope.ron:1:1: no such file"), "{err}");
    assert_eq!(err.matches("nope.ron").count(), 1, "{err}");
    assert!(!err.contains("os error"), "said in words: {err}");
}

#[test]
fn a_huge_line_is_cut_with_a_notice_and_memory_stays_bounded() {
    let env = Env::new();
    let mut input = "I miss you. ".repeat(90_000).into_bytes(); // about 1 MB
    input.push(b'\n');
    // 64 MB with no newline at all: read and dropped, never held.
    input.extend(std::iter::repeat_n(b'x', 64 << 20));
    let out = env
        .cmd(&["play", FIXTURE, "--seed", "1", "--json", "--no-save"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert_eq!(
        err.matches("longer than 4096 bytes").count(),
        2,
        "both long lines are reported: {err}"
    );
    let events = json_lines(&stdout_of(&out));
    let turns: Vec<_> = events.iter().filter(|e| e["type"] == "turn").collect();
    assert_eq!(turns.len(), 2);
    for t in turns {
        assert!(t["user"].as_str().unwrap().len() <= 4096);
    }
}

#[test]
fn forgetting_a_talk_removes_its_lines_from_the_line_history() {
    let env = Env::new();
    env.cmd(&["play", FIXTURE, "--seed", "1"])
        .write_stdin("My secret line.\n")
        .assert()
        .success();
    let file = transcripts(&env).pop().unwrap();
    // As the line editor writes it after a talk on a terminal.
    let history = env.home().join("history.txt");
    std::fs::write(&history, "#V2\nAn older line.\nMy secret line.\n/why\n").unwrap();
    let out = env.cmd(&["forget"]).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(!file.exists());
    assert_eq!(
        std::fs::read_to_string(&history).unwrap(),
        "#V2\nAn older line.\n/why\n"
    );
    env.cmd(&["forget", "--all"]).assert().success();
    assert!(!history.exists());
}

#[test]
fn a_transcript_cut_before_its_end_still_tells_how_the_talk_ended() {
    let env = Env::new();
    let out = env
        .cmd(&["play", FIXTURE, "--seed", "3", "--json"])
        .write_stdin(GOOD_TALK)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let events = json_lines(&stdout_of(&out));
    let end = events.last().unwrap();
    assert_eq!(
        end["reason"], "ending",
        "the script reaches an ending: {end}"
    );
    let outcome = end["scorecard"]["outcome"].as_str().unwrap().to_string();
    let score = end["scorecard"]["score"].as_u64().unwrap();

    // Cut the file after the last turn, as a kill between the two writes would.
    let file = transcripts(&env).pop().unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("\"type\":\"end\""))
        .collect();
    assert_eq!(kept.len() + 1, text.lines().count());
    std::fs::write(&file, kept.join("\n") + "\n").unwrap();

    let review = env
        .cmd(&["review", "--color", "never"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(review.status.success(), "{}", stderr_of(&review));
    let shown = stdout_of(&review);
    assert!(
        shown.contains(&format!("Scorecard: {score}/100")),
        "same score as at the end of the talk ({score}): {shown}"
    );
    assert!(shown.contains(&format!("Outcome: {outcome}")), "{shown}");
}
