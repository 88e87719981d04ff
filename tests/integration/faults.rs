//! Faults lose nothing: a killed session keeps every completed turn, signals close the
//! transcript with an end event, and an unwritable data directory does not stop the talk.

use crate::common::*;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn spawn_play(env: &Env, transcript: &Path) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("rehearse"))
        .args(["play", FIXTURE, "--seed", "3", "--transcript"])
        .arg(transcript)
        .current_dir(root())
        .env("REHEARSE_HOME", env.home())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait until the transcript holds `n` complete lines.
fn wait_for_lines(path: &Path, n: usize) {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.matches('\n').count() >= n {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the transcript never reached {n} lines: {text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn events(path: &Path) -> Vec<serde_json::Value> {
    json_lines(&std::fs::read_to_string(path).unwrap())
}

#[test]
fn kill_9_mid_session_loses_no_completed_turn() {
    let env = Env::new();
    let t = env.home().join("t.jsonl");
    let mut child = spawn_play(&env, &t);
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"I miss you.\nWhat has been going on?\n")
        .unwrap();
    stdin.flush().unwrap();
    wait_for_lines(&t, 3);
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let ev = events(&t);
    assert_eq!(ev[0]["type"], "header");
    assert_eq!(ev[1]["type"], "turn");
    assert_eq!(ev[1]["user"], "I miss you.");
    assert_eq!(ev[2]["user"], "What has been going on?");
    // Such a transcript still reviews and replays.
    let review = env
        .cmd(&["review", t.to_str().unwrap(), "--color", "never"])
        .output()
        .unwrap();
    assert!(review.status.success(), "{}", stderr_of(&review));
    assert!(stdout_of(&review).contains("interrupted"));
    env.cmd(&["replay", t.to_str().unwrap()]).assert().success();
}

fn signal_closes_the_transcript(sig: &str, code: i32) {
    let env = Env::new();
    let t = env.home().join("t.jsonl");
    let mut child = spawn_play(&env, &t);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"I miss you.\n").unwrap();
    stdin.flush().unwrap();
    wait_for_lines(&t, 2);
    let status = Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ev = events(&t);
    let end = ev.last().unwrap();
    assert_eq!(end["type"], "end", "{ev:#?}");
    assert_eq!(end["reason"], "interrupted");
    assert_eq!(end["scorecard"]["turns"], 1);
    drop(stdin);
}

#[test]
fn sigterm_closes_the_transcript_with_an_end_event() {
    signal_closes_the_transcript("TERM", 143);
}

#[test]
fn sighup_closes_the_transcript_with_an_end_event() {
    signal_closes_the_transcript("HUP", 129);
}

#[test]
fn sigint_closes_the_transcript_with_an_end_event() {
    signal_closes_the_transcript("INT", 130);
}

#[test]
fn an_unwritable_data_directory_does_not_stop_the_talk() {
    let env = Env::new();
    // A data directory under a plain file can never be created.
    let blocker = env.home().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let out = env
        .cmd(&["play", FIXTURE, "--seed", "1"])
        .env("REHEARSE_HOME", blocker.join("data"))
        .write_stdin("I miss you.\nWhat has been going on?\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = stderr_of(&out);
    assert_eq!(
        err.matches("cannot write the transcript").count(),
        1,
        "said once: {err}"
    );
    let text = stdout_of(&out);
    assert!(text.contains("Scorecard: "));
    assert!(text.contains("after 2 turns"));
    assert!(text.contains("The transcript could not be saved."));
}

#[test]
fn a_full_disk_mid_session_is_reported_once() {
    let full = Path::new("/dev/full");
    if !full.exists() {
        eprintln!(
            "no /dev/full on this system: the failing-write case is covered by the unwritable directory test"
        );
        return;
    }
    let env = Env::new();
    let out = env
        .cmd(&["play", FIXTURE, "--seed", "1", "--transcript", "/dev/full"])
        .write_stdin("I miss you.\nWhat has been going on?\nThat makes sense.\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = stderr_of(&out);
    assert_eq!(
        err.matches("cannot write the transcript").count(),
        1,
        "{err}"
    );
    assert!(stdout_of(&out).contains("after 3 turns"));
}
