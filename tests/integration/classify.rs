//! `rehearse classify`: moves with their rule and the span of the words that triggered them.

use crate::common::*;

#[test]
fn json_spans_point_at_the_matched_words() {
    let env = Env::new();
    let text = "Honestly, u NEVER listen to me!!!";
    let out = env.cmd(&["classify", "--json", text]).output().unwrap();
    assert!(out.status.success());
    let lines = json_lines(&stdout_of(&out));
    assert_eq!(lines.len(), 1);
    let obj = &lines[0];
    assert_eq!(obj["line"], 1);
    assert_eq!(obj["text"], text);
    let moves = obj["moves"].as_array().unwrap();
    let crit = moves
        .iter()
        .find(|m| m["move"] == "criticism")
        .expect("criticism found");
    assert_eq!(crit["kind"], "mistake");
    assert!(crit["rule"].as_str().unwrap().starts_with("criticism."));
    let (s, e) = (
        crit["start"].as_u64().unwrap() as usize,
        crit["end"].as_u64().unwrap() as usize,
    );
    let span = &text[s..e];
    assert!(span.contains("u NEVER"), "span was {span:?}");
}

#[test]
fn stdin_lines_are_numbered_and_empty_moves_are_empty() {
    let env = Env::new();
    let out = env
        .cmd(&["classify", "--json"])
        .write_stdin("I'll be home at six.\nI miss feeling close to you.\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines = json_lines(&stdout_of(&out));
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(lines[0]["moves"].as_array().unwrap().len(), 0);
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[1]["moves"][0]["move"], "i_statement");
}

#[test]
fn text_output_highlights_only_with_colour() {
    let env = Env::new();
    let plain = env
        .cmd(&["classify", "--color", "never", "You never talk to me."])
        .output()
        .unwrap();
    let plain = stdout_of(&plain);
    assert!(plain.contains("criticism"));
    assert!(plain.contains("\"You never\""), "{plain}");
    assert!(!plain.contains('\u{1b}'));

    let coloured = env
        .cmd(&["classify", "--color", "always", "You never talk to me."])
        .output()
        .unwrap();
    assert!(stdout_of(&coloured).contains("\u{1b}["));

    let no_color = env
        .cmd(&["classify", "You never talk to me."])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!stdout_of(&no_color).contains('\u{1b}'));
}

#[test]
fn escape_sequences_in_input_never_reach_the_terminal() {
    let env = Env::new();
    let out = env
        .cmd(&["classify", "--color", "never"])
        .write_stdin("you never \u{1b}]0;pwned\u{7} listen\n\u{1b}[2J\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!out.stdout.contains(&0x1b), "raw ESC reached stdout");
    assert!(!out.stdout.contains(&0x07), "raw BEL reached stdout");
}

#[test]
fn binary_junk_on_stdin_is_read_not_fatal() {
    let env = Env::new();
    let junk: Vec<u8> = (0u8..=255)
        .filter(|&b| b != b'\n')
        .chain(b"\nI miss you\n".iter().copied())
        .collect();
    let out = env
        .cmd(&["classify", "--json"])
        .write_stdin(junk)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let lines = json_lines(&stdout_of(&out));
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["moves"][0]["move"], "i_statement");
}

#[test]
fn a_closed_stdout_pipe_ends_quietly() {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    let env = Env::new();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("rehearse"))
        .args(["classify", "--json"])
        .env("REHEARSE_HOME", env.home())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        for _ in 0..20_000 {
            if stdin.write_all(b"you never listen to me\n").is_err() {
                break;
            }
        }
    });
    // Read a little, then close our end, like `| head -1`.
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = [0u8; 64];
    stdout.read_exact(&mut buf).unwrap();
    drop(stdout);
    writer.join().unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.is_empty(), "nothing on stderr for a closed pipe: {err}");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn rules_lists_every_rule_with_its_explanation() {
    let env = Env::new();
    let out = env.cmd(&["rules", "--json"]).output().unwrap();
    assert!(out.status.success());
    let rules: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = rules.as_array().unwrap();
    for name in [
        "criticism",
        "contempt",
        "defensiveness",
        "dismissing",
        "kitchen_sinking",
        "pursuit",
        "assuming_intent",
        "i_statement",
        "open_question",
        "reflective_listening",
        "validation",
        "external_stressor",
        "specific_need",
        "concrete_plan",
        "playfulness",
        "follow_up",
        "giving_space",
    ] {
        assert!(
            rules.iter().any(|r| r["move"] == name),
            "no rule for {name}"
        );
    }
    for r in rules {
        assert!(!r["id"].as_str().unwrap().is_empty());
        assert!(!r["patterns"].as_array().unwrap().is_empty());
        assert!(!r["guide"].as_str().unwrap().is_empty());
        assert!(r["exceptions"].is_array() && r["examples"].is_array());
    }
    let text = env.cmd(&["rules", "--color", "never"]).output().unwrap();
    let text = stdout_of(&text);
    for r in rules {
        assert!(text.contains(r["id"].as_str().unwrap()));
    }
}
