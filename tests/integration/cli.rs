//! The command-line contract: help, version, exit codes, `list`, `validate`.

use crate::common::*;

#[test]
fn help_and_version() {
    let env = Env::new();
    let help = env.cmd(&["--help"]).output().unwrap();
    assert!(help.status.success());
    let help = stdout_of(&help);
    for cmd in ["play", "list", "classify", "validate", "rules"] {
        assert!(help.contains(cmd), "--help does not mention {cmd}");
    }
    // The summary is whole sentences: its last one keeps its period.
    let summary = help.split("\n\n").next().unwrap();
    assert!(summary.ends_with("and what hurt."), "{summary}");
    let play_help = stdout_of(&env.cmd(&["play", "--help"]).output().unwrap());
    for flag in ["--seed", "--json", "SCENARIO"] {
        assert!(play_help.contains(flag), "play --help lacks {flag}");
    }
    let version = env.cmd(&["--version"]).output().unwrap();
    assert!(version.status.success());
    assert!(stdout_of(&version).starts_with("rehearse "));
}

#[test]
fn usage_errors_exit_2_and_bad_input_exits_1() {
    let env = Env::new();
    env.cmd(&["frobnicate"]).assert().code(2);
    env.cmd(&["play", "--seed", "banana"]).assert().code(2);
    env.cmd(&["--color", "sometimes", "list"]).assert().code(2);
    let out = env
        .cmd(&["play", "work-dedline"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.contains("did you mean `work-deadline`"), "{err}");
    let out = env.cmd(&["play", "no/such/file.ron"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!stderr_of(&out).contains("panicked"));
}

#[test]
fn color_may_come_before_or_after_the_command_and_play_options_only_after() {
    let env = Env::new();
    for args in [
        &["--color", "always", "list"][..],
        &["list", "--color", "always"][..],
    ] {
        let out = env.cmd(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
        assert!(stdout_of(&out).contains("work-deadline"), "{args:?}");
        assert!(
            stdout_of(&out).contains('\x1b'),
            "{args:?} asked for colour"
        );
    }
    let out = env
        .cmd(&["--color", "never", "classify", "You never listen."])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!stdout_of(&out).contains('\x1b'));
    // Play's options before another command are refused, with the place to put them.
    let out = env.cmd(&["--seed", "3", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("`--seed` belongs to `rehearse play`"));
    let out = env
        .cmd(&["--coach", "play", "work-deadline"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("rehearse play <scenario> --coach"));
}

#[test]
fn list_shows_the_built_in_scenarios() {
    let env = Env::new();
    let out = env.cmd(&["list", "--json"]).output().unwrap();
    assert!(out.status.success());
    let items: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = items.as_array().unwrap();
    assert_eq!(items[0]["id"], "work-deadline", "the default comes first");
    for item in items {
        for key in ["id", "title", "summary", "relationship"] {
            assert!(
                item[key].as_str().is_some_and(|s| !s.is_empty()),
                "{key} missing in {item}"
            );
        }
        let rel = item["relationship"].as_str().unwrap();
        assert!(["romantic", "family", "friend"].contains(&rel));
    }
    let text = stdout_of(&env.cmd(&["list", "--color", "never"]).output().unwrap());
    for item in items {
        assert!(text.contains(item["id"].as_str().unwrap()));
        assert!(text.contains(item["title"].as_str().unwrap()));
    }
}

#[test]
fn validate_accepts_good_files_and_locates_problems() {
    let env = Env::new();
    env.cmd(&["validate", FIXTURE]).assert().success();

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.ron");
    let good = std::fs::read_to_string(root().join(FIXTURE)).unwrap();
    let broken = good.replacen(
        "on: \"criticism\", delta: -10",
        "on: \"critcism\", delta: -10",
        1,
    );
    assert_ne!(good, broken);
    std::fs::write(&bad, &broken).unwrap();
    let bad = bad.to_str().unwrap();
    let out = env.cmd(&["validate", FIXTURE, bad]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    let line = broken.lines().position(|l| l.contains("critcism")).unwrap() + 1;
    let col = broken
        .lines()
        .nth(line - 1)
        .unwrap()
        .find("\"critcism\"")
        .unwrap()
        + 1;
    assert!(
        err.contains(&format!("{bad}:{line}:{col}: unknown move `critcism`")),
        "{err}"
    );
    assert!(err.contains("did you mean `criticism`?"), "{err}");
    assert!(err.contains('^'), "a caret under the problem: {err}");

    // A syntax error: path:line:col from the parser.
    let syntax = dir.path().join("syntax.ron");
    std::fs::write(
        &syntax,
        "(\n  id: \"x\",\n  title: \"t\"\n  summary: \"s\",\n)",
    )
    .unwrap();
    let out = env
        .cmd(&["validate", syntax.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.starts_with(&format!(
            "{}:3:13: expected a comma at the end of this line",
            syntax.display()
        )),
        "{err}"
    );
}

#[test]
fn the_explorer_plays_the_check_in_too() {
    let env = Env::new();
    let out = env
        .cmd(&[
            "validate",
            "--explore",
            "--sessions",
            "20",
            "tests/fixtures/scenarios/ok/small-talk-check-in.ron",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    let (_, check_in) = text
        .split_once("The two-weeks-later check-in:")
        .unwrap_or_else(|| panic!("no check-in section: {text}"));
    assert!(check_in.contains("guide-following"), "{check_in}");
    assert!(check_in.contains("reveal thursdays"), "{check_in}");
    assert!(!check_in.contains("never heard"), "{check_in}");
}
