//! Hostile input: files from strangers and pasted junk get a clear answer, never a panic,
//! and nothing in them can drive the terminal.

use crate::common::*;

fn fixture() -> String {
    std::fs::read_to_string(root().join(FIXTURE)).unwrap()
}

fn assert_clean(bytes: &[u8], what: &str) {
    assert!(!bytes.contains(&0x1b), "raw ESC in {what}");
    assert!(!bytes.contains(&0x07), "raw BEL in {what}");
    assert!(
        !bytes.contains(&0x9b) || std::str::from_utf8(bytes).is_ok(),
        "raw CSI in {what}"
    );
}

#[test]
fn escape_sequences_inside_a_scenario_never_reach_the_terminal() {
    let env = Env::new();
    let evil = fixture()
        .replace("partner: \"Jo\"", "partner: \"Jo\\u{1b}]0;owned\\u{7}\"")
        .replace("Jo has cancelled", "\\u{1b}[2JJo has cancelled")
        .replace("\"Mm.\"", "\"Mm.\\u{1b}[31m red\\r\"");
    assert_ne!(evil, fixture());
    let path = env.home().join("evil.ron");
    std::fs::write(&path, &evil).unwrap();
    let path = path.to_str().unwrap();
    let out = env
        .cmd(&["play", path, "--seed", "1", "--color", "always"])
        .write_stdin("Hi.\nOkay.\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    // Colour codes are ours; strip them, and nothing else may remain.
    let text = stdout_of(&out);
    let no_colour = regex::Regex::new("\u{1b}\\[[0-9;]*m")
        .unwrap()
        .replace_all(&text, "");
    assert_clean(no_colour.as_bytes(), "play output");
    assert!(
        no_colour.contains("\\u{1b}"),
        "escapes are shown, not obeyed"
    );

    let bad = evil.replace(
        "(on: \"criticism\", delta: -10",
        "(on: \"crit\\u{1b}[2Jicism\", delta: -10",
    );
    std::fs::write(env.home().join("bad.ron"), bad).unwrap();
    let out = env
        .cmd(&["validate", env.home().join("bad.ron").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_clean(&out.stderr, "validate diagnostics");
}

#[test]
fn truncated_binary_and_huge_scenario_files_get_a_located_error() {
    let env = Env::new();
    let src = fixture();
    let cut = env.home().join("cut.ron");
    std::fs::write(&cut, &src[..src.len() / 2]).unwrap();
    let out = env
        .cmd(&["validate", cut.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.starts_with(&format!("{}:", cut.display())), "{err}");
    assert!(
        regex::Regex::new(r"^\S+:\d+:\d+: ").unwrap().is_match(&err),
        "{err}"
    );

    let binary = env.home().join("binary.ron");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x28, 0x1b, 0x5b]).unwrap();
    let out = env
        .cmd(&["play", binary.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("not UTF-8"));

    let huge = env.home().join("huge.ron");
    std::fs::write(&huge, format!("({})", " ".repeat(5 << 20))).unwrap();
    let out = env
        .cmd(&["validate", huge.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("too large"), "{}", stderr_of(&out));
    assert!(!stderr_of(&out).contains("panicked"));
}

#[test]
fn binary_junk_and_blank_lines_in_a_session() {
    let env = Env::new();
    let mut input: Vec<u8> = vec![0xff, 0xc3, 0x28, b'\n', b'\n', b' ', b'\t', b'\n'];
    input.extend_from_slice(b"\x1b[6n\x07you never listen\x1b]52;c;aGk=\x07\n");
    input.extend_from_slice(&[0u8; 64]);
    input.push(b'\n');
    let out = env
        .cmd(&["play", FIXTURE, "--seed", "1", "--color", "never"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_clean(&out.stdout, "play output");
    assert_clean(&out.stderr, "play errors");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Scorecard: "));
}
