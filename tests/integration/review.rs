//! `rehearse review`: text, markdown and HTML of a fixed transcript against golden files,
//! hostile transcripts, cut-off transcripts, `-o FILE`, and unreadable input.
//!
//! The transcript `tests/golden/review/session.jsonl` was played against
//! `tests/golden/review/small-talk.ron` (a copy of the fixture scenario, so that editing
//! the fixture does not change these files); its `scenario_path` is relative to the repo
//! root, where the tests run the binary. After a deliberate change to the output, accept
//! the new files with `UPDATE_GOLDEN=1 cargo test review`.

use crate::common::*;
use std::path::{Path, PathBuf};

const SESSION: &str = "tests/golden/review/session.jsonl";

fn golden_dir() -> PathBuf {
    root().join("tests/golden/review")
}

/// A line diff of `expected` against `actual`, showing only changed lines with a little
/// context, for a readable failure.
fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    // Longest common subsequence table, from the end.
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, usize, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', i + 1, a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', i + 1, a[i]));
            i += 1;
        } else {
            ops.push(('+', j + 1, b[j]));
            j += 1;
        }
    }
    let near_change = |k: usize| {
        let lo = k.saturating_sub(2);
        let hi = (k + 3).min(ops.len());
        ops[lo..hi].iter().any(|o| o.0 != ' ')
    };
    let mut out = String::new();
    let mut shown = 0;
    let mut skipped = false;
    for (k, (op, n, line)) in ops.iter().enumerate() {
        if !near_change(k) {
            skipped = true;
            continue;
        }
        if skipped {
            out.push_str("   ...\n");
            skipped = false;
        }
        shown += 1;
        if shown > 120 {
            out.push_str("   (more differences left out)\n");
            break;
        }
        out.push_str(&format!("{op}{n:>4} {line}\n"));
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        out.push_str("(the files differ in their final newline)\n");
    }
    out
}

/// Compare `actual` with the golden file `name`, or rewrite it when UPDATE_GOLDEN=1.
fn golden(name: &str, actual: &str) {
    let path = golden_dir().join(name);
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with UPDATE_GOLDEN=1 cargo test review",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "the review differs from {} (- golden, + now). If the change is intended, run \
             UPDATE_GOLDEN=1 cargo test review and commit the new file.\n{}",
            path.display(),
            diff(&expected, actual)
        );
    }
}

/// `rehearse review ARGS` that must succeed; its stdout.
fn review(env: &Env, args: &[&str]) -> String {
    let mut all = vec!["review"];
    all.extend_from_slice(args);
    let out = env.cmd(&all).output().unwrap();
    assert!(
        out.status.success(),
        "review {args:?} failed: {}",
        stderr_of(&out)
    );
    stdout_of(&out)
}

#[test]
fn text_review_matches_the_golden_file() {
    let env = Env::new();
    let text = review(&env, &[SESSION]);
    assert!(!text.contains('\u{1b}'), "no colour when piped");
    golden("session.txt", &text);
}

#[test]
fn markdown_review_matches_the_golden_file() {
    let env = Env::new();
    golden(
        "session.md",
        &review(&env, &[SESSION, "--format", "markdown"]),
    );
}

#[test]
fn html_review_matches_the_golden_file() {
    let env = Env::new();
    golden(
        "session.html",
        &review(&env, &[SESSION, "--format", "html"]),
    );
}

#[test]
fn markdown_shows_turns_moves_advice_chart_and_scorecard() {
    let env = Env::new();
    let md = review(&env, &[SESSION, "--format", "markdown"]);
    for want in [
        "# Review: Coffee with Jo",
        "## Openness over time",
        "| turn | openness | change | band | moves |",
        "(taken back with /undo)",
        "**Try instead**",
        "drew out night shifts",
        "## Scorecard: ",
        "### The guide's seven steps",
        "### How the score adds up",
    ] {
        assert!(md.contains(want), "markdown lacks {want:?}:\n{md}");
    }
    // The user's own formatting characters are shown, not obeyed.
    assert!(md.contains(r"\*old\*"), "{md}");
    assert!(md.contains(r"\<3"), "{md}");
    assert!(md.contains(r"\&"), "{md}");
    assert!(md.contains(r"\|"), "{md}");
}

#[test]
fn html_is_one_self_contained_page() {
    let env = Env::new();
    let html = review(&env, &[SESSION, "--format", "html"]);
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("<style>"));
    assert!(html.contains("<svg"), "an inline chart");
    assert!(html.contains("<polyline"), "the openness line");
    assert!(html.contains("prefers-color-scheme: dark"));
    let lower = html.to_lowercase();
    for banned in [
        "<script",
        "http://",
        "https://",
        "<link",
        "<img",
        "<iframe",
        "@import",
        "url(",
        " src=",
        "javascript:",
    ] {
        assert!(!lower.contains(banned), "the page contains {banned:?}");
    }
    for href in html.split("href=\"").skip(1) {
        assert!(
            href.starts_with('#'),
            "only links within the page: {href:.40}"
        );
    }
    assert!(
        html.contains(
            "<mark class=\"mistake mv-contempt\" title=\"contempt (mistake), rule contempt"
        )
    );
    assert!(
        html.contains("class=\"turn undone"),
        "taken-back turns are marked"
    );
    assert!(html.contains("Try instead:"));
}

#[test]
fn what_if_lines_appear_in_every_format() {
    let env = Env::new();
    for format in ["text", "markdown", "html"] {
        let out = review(&env, &[SESSION, "--format", format, "--what-if"]);
        assert!(out.contains("What if"), "{format}:\n{out}");
        assert!(out.contains("would have said"), "{format}:\n{out}");
    }
}

/// Play `scenario` with `lines` into the transcript `name` in `env`'s home.
fn play_into(env: &Env, scenario: &str, name: &str, lines: &str) -> PathBuf {
    let path = env.home().join(name);
    let out = env
        .cmd(&[
            "play",
            scenario,
            "--seed",
            "3",
            "--transcript",
            path.to_str().unwrap(),
        ])
        .write_stdin(lines)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    path
}

/// A transcript of a built-in scenario names no file (replay finds it built in), even
/// when it was played from a byte-identical copy; an edited copy is named, so replay
/// plays what was played.
#[test]
fn only_a_scenario_that_is_not_built_in_is_recorded_by_path() {
    let env = Env::new();
    let builtin = root().join("scenarios/work-deadline.ron");
    let edited = env.home().join("edited.ron");
    let src = std::fs::read_to_string(&builtin).unwrap();
    std::fs::write(&edited, format!("{src}\n// my notes\n")).unwrap();
    for (i, (spec, named)) in [
        ("work-deadline", false),
        (builtin.to_str().unwrap(), false),
        (edited.to_str().unwrap(), true),
    ]
    .into_iter()
    .enumerate()
    {
        let path = play_into(&env, spec, &format!("t{i}.jsonl"), "How has work been?\n");
        let header = json_lines(&std::fs::read_to_string(&path).unwrap()).remove(0);
        assert_eq!(header["scenario"], "work-deadline");
        assert_eq!(
            header.get("scenario_path").is_some(),
            named,
            "{spec}: {header}"
        );
    }
}

#[test]
fn a_hostile_transcript_is_escaped_everywhere() {
    let env = Env::new();
    let t = play_into(
        &env,
        FIXTURE,
        "t.jsonl",
        "You never listen <script>alert(1)</script> & \"so\" 'there'\n\
         I miss you \u{1b}[2J\u{7} <img src=x onerror=alert(2)> [x](javascript:alert(3))\n",
    );
    let t = t.to_str().unwrap();

    let html = review(&env, &[t, "--format", "html"]);
    assert!(!html.to_lowercase().contains("<script"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;so&quot; &#39;there&#39;"),
        "{html}"
    );
    assert!(
        html.contains("&lt;img src=x onerror=alert(2)&gt;"),
        "{html}"
    );
    assert!(!html.contains("<img"), "{html}");
    assert!(
        !html.contains('\u{1b}') && !html.contains('\u{7}'),
        "no raw controls"
    );
    assert!(html.contains("\\u{1b}[2J"), "controls are shown as text");
    assert!(!html.contains("href=\"javascript"), "{html}");

    let md = review(&env, &[t, "--format", "markdown"]);
    assert!(
        !md.contains('\u{1b}') && !md.contains('\u{7}'),
        "no raw controls"
    );
    assert!(md.contains(r"\<script\>alert(1)\</script\>"), "{md}");
    assert!(md.contains(r"\<img src=x onerror=alert(2)\>"), "{md}");
    assert!(md.contains(r"\[x\](javascript:alert(3))"), "{md}");

    let text = review(&env, &[t]);
    assert!(!text.contains('\u{1b}'), "{text}");
}

#[test]
fn a_transcript_cut_mid_line_still_reviews() {
    let env = Env::new();
    let full = std::fs::read_to_string(root().join(SESSION)).unwrap();
    let last_start = full.trim_end().rfind('\n').unwrap() + 1;
    let cut = &full[..last_start + (full.len() - last_start) / 2];
    let path = env.home().join("cut.jsonl");
    std::fs::write(&path, cut).unwrap();
    let p = path.to_str().unwrap();
    for (format, note) in [
        ("text", "cut off"),
        ("markdown", "cut off"),
        ("html", "cut off"),
    ] {
        let out = review(&env, &[p, "--format", format]);
        assert!(out.contains(note), "{format}:\n{out}");
        assert!(
            out.contains("interrupted"),
            "{format}: no end event:\n{out}"
        );
        assert!(out.contains("Scorecard"), "{format}: rescored:\n{out}");
    }
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn output_file_is_private_and_stdout_stays_empty() {
    let env = Env::new();
    for (format, file) in [("html", "r.html"), ("markdown", "r.md"), ("text", "r.txt")] {
        let target = env.home().join(file);
        let out = env
            .cmd(&[
                "review",
                SESSION,
                "--format",
                format,
                "-o",
                target.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        assert!(out.stdout.is_empty(), "{format}: {}", stdout_of(&out));
        let written = std::fs::read_to_string(&target).unwrap();
        assert!(written.contains("Coffee with Jo"), "{written}");
        assert!(!written.contains('\u{1b}'), "no colour in files");
        #[cfg(unix)]
        assert_eq!(mode(&target), 0o600, "{format}");
    }
}

#[test]
fn unreadable_transcripts_exit_1_naming_the_path() {
    let env = Env::new();
    let missing = env.home().join("nope.jsonl");
    let garbage = env.home().join("garbage.jsonl");
    std::fs::write(&garbage, "this is not a transcript\n{\"type\":\"turn\"}\n").unwrap();
    let binary = env.home().join("binary.jsonl");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x80, b'\n']).unwrap();
    for path in [&missing, &garbage, &binary] {
        let p = path.to_str().unwrap();
        for format in ["text", "markdown", "html"] {
            let out = env
                .cmd(&["review", p, "--format", format])
                .output()
                .unwrap();
            let err = stderr_of(&out);
            assert_eq!(out.status.code(), Some(1), "{p} {format}: {err}");
            assert!(err.contains(&format!("{p}:")), "{p} {format}: {err}");
            assert!(!err.contains("panicked"), "{err}");
            assert!(out.stdout.is_empty());
        }
    }
}

/// The user lines of `session.jsonl` (an older recording, so its replies may differ),
/// played again with its seed, must write the transcript in `played.jsonl` (with the clock, the version and the absolute path made
/// neutral): a change to what a transcript holds, or to how the partner answers, shows up
/// here as a diff. Accept an intended change with `UPDATE_GOLDEN=1 cargo test review`.
#[test]
fn playing_the_golden_lines_writes_the_golden_transcript() {
    let golden_text = std::fs::read_to_string(root().join(SESSION)).unwrap();
    let events: Vec<serde_json::Value> = json_lines(&golden_text);
    let header = &events[0];
    let mut script = String::new();
    for e in &events[1..] {
        match e["type"].as_str() {
            Some("turn") => script.push_str(e["user"].as_str().unwrap()),
            Some("undo") => script.push_str("/undo"),
            // The line itself is not kept; any line of the same kind brings the note back.
            Some("safety") if e["rule"] == "safety.self-harm" => {
                script.push_str("Sometimes I think about hurting myself.")
            }
            _ => continue,
        }
        script.push('\n');
    }
    let env = Env::new();
    let path = env.home().join("played.jsonl");
    let seed = header["seed"].to_string();
    let out = env
        .cmd(&[
            "play",
            header["scenario_path"].as_str().unwrap(),
            "--seed",
            &seed,
            "--transcript",
        ])
        .arg(&path)
        .write_stdin(script)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let root = format!("{}/", root().display());
    let mut neutral = String::new();
    for mut e in json_lines(&std::fs::read_to_string(&path).unwrap()) {
        for k in ["started", "ended"] {
            if e.get(k).is_some() {
                e[k] = "TIME".into();
            }
        }
        if e.get("app").is_some() {
            e["app"] = "rehearse VERSION".into();
        }
        if let Some(p) = e.get("scenario_path").and_then(|p| p.as_str()) {
            e["scenario_path"] = p.trim_start_matches(&root).into();
        }
        neutral.push_str(&serde_json::to_string(&e).unwrap());
        neutral.push('\n');
    }
    golden("played.jsonl", &neutral);
}
