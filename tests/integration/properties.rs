//! Property tests: whatever bytes arrive — a mutated scenario file, a line of junk, a
//! corrupted transcript — the loader, the classifier and the reader answer without
//! panicking. `scripts/fuzz` runs these much longer (PROPTEST_CASES).

use proptest::prelude::*;
use rehearse::classify::{Classifier, Context};
use rehearse::scenario::Scenario;
use rehearse::transcript::Transcript;
use std::sync::OnceLock;

const SCENARIO: &str = include_str!("../fixtures/scenarios/ok/small-talk.ron");

fn classifier() -> &'static Classifier {
    static C: OnceLock<Classifier> = OnceLock::new();
    C.get_or_init(Classifier::builtin)
}

fn transcript_text() -> &'static str {
    static T: OnceLock<String> = OnceLock::new();
    T.get_or_init(|| {
        let sc = Scenario::parse("s.ron", SCENARIO).unwrap();
        let mut s = rehearse::session::Session::new(&sc, classifier(), 1);
        let mut out = String::new();
        let header = serde_json::json!({"type": "header", "format": 1, "app": "t",
            "scenario": "small-talk", "title": "t", "partner": "Jo", "scenario_hash": "0",
            "seed": 1, "started": "2026-01-01T00:00:00Z"});
        out.push_str(&header.to_string());
        out.push('\n');
        for line in ["I miss you.", "You never call.", "What has been going on?"] {
            if let rehearse::session::StepResult::Turn(t) = s.step(line) {
                let ev = rehearse::transcript::Event::Turn(*t);
                out.push_str(&serde_json::to_string(&ev).unwrap());
                out.push('\n');
            }
        }
        out
    })
}

/// What a person writing a scenario by hand types by mistake.
const SLIPS: &[&str] = &[
    "“",
    "”",
    "‘",
    "’",
    "\"",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "yes",
    "fourteen",
    "/*",
    "//",
    "r#\"",
    "\\",
    "é",
    "\n",
    "\u{a0}",
    "\u{200b}",
    "\u{feff}",
    "partnr",
    "seen(\"criticism\")",
    "after_space_request()",
    "not(band(\"open\"), repeat(2))",
];

/// A mutation of `base`: cut it, flip bytes, splice junk in.
fn mutated(base: &'static str) -> impl Strategy<Value = String> {
    (
        0..=base.len(),
        proptest::collection::vec((0..base.len().max(1), any::<u8>()), 0..8),
        proptest::option::of((0..=base.len(), ".{0,40}")),
    )
        .prop_map(move |(cut, flips, splice)| {
            let mut bytes = base.as_bytes().to_vec();
            for (i, b) in flips {
                if i < bytes.len() {
                    bytes[i] = b;
                }
            }
            if let Some((at, junk)) = splice {
                let at = at.min(bytes.len());
                bytes.splice(at..at, junk.into_bytes());
            }
            bytes.truncate(cut.max(bytes.len() / 2));
            String::from_utf8_lossy(&bytes).into_owned()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_scenario_loader_never_panics(src in mutated(SCENARIO)) {
        if let Err(errors) = Scenario::parse("fuzz.ron", &src) {
            prop_assert!(!errors.is_empty());
            for e in errors {
                prop_assert!(e.line >= 1 && e.col >= 1);
                let shown = e.to_string();
                prop_assert!(shown.starts_with("fuzz.ron:"));
                prop_assert!(!shown.contains(char::from(0x1b)), "raw escape in {}", shown);
            }
        }
    }

    /// The slips a person makes writing a scenario by hand, several at once: the loader
    /// reads on past some of them, and never panics or points outside the file.
    #[test]
    fn typing_slips_never_break_the_loader(
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), 0..SLIPS.len(), any::<bool>()), 1..6)
    ) {
        let mut src = SCENARIO.to_string();
        for (at, slip, delete) in edits {
            let mut i = at.index(src.len() + 1);
            while !src.is_char_boundary(i) {
                i -= 1;
            }
            match src[i..].chars().next() {
                Some(c) if delete => src.replace_range(i..i + c.len_utf8(), ""),
                _ => src.insert_str(i, SLIPS[slip]),
            }
        }
        if let Err(errors) = Scenario::parse("fuzz.ron", &src) {
            prop_assert!(!errors.is_empty());
            let lines = src.split('\n').count();
            for e in errors {
                prop_assert!(e.line >= 1 && e.line <= lines && e.col >= 1, "{}", e);
                prop_assert!(e.to_string().starts_with("fuzz.ron:"));
            }
        }
    }

    #[test]
    fn arbitrary_text_never_breaks_the_loader(src in "\\PC{0,300}") {
        let _ = Scenario::parse("fuzz.ron", &src);
    }

    #[test]
    fn the_classifier_gives_spans_inside_the_line(line in "\\PC{0,200}|[a-z' ,.?!]{0,120}", space in any::<bool>()) {
        let c = classifier().classify(&line, Context { after_space_request: space });
        for m in &c.moves {
            prop_assert!(m.start <= m.end && m.end <= line.len());
            prop_assert!(line.is_char_boundary(m.start) && line.is_char_boundary(m.end));
        }
    }

    #[test]
    fn control_characters_never_break_the_classifier(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let line = String::from_utf8_lossy(&bytes);
        let _ = classifier().classify(&line, Context::default());
    }

    #[test]
    fn the_transcript_reader_never_panics(text in mutated(transcript_text())) {
        if let Ok(t) = Transcript::parse("fuzz.jsonl", &text) {
            prop_assert!(t.turns.len() <= 3 + 1);
        }
    }
}

#[test]
fn deeply_nested_conditions_are_an_error_not_a_crash() {
    let deep = format!("{}revealed(\"x\"){}", "not(".repeat(5000), ")".repeat(5000));
    let src = SCENARIO.replace("when: [min_openness(60)]", &format!("when: [{deep}]"));
    let errors = Scenario::parse("deep.ron", &src).unwrap_err();
    assert!(errors[0].to_string().starts_with("deep.ron:"));
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(Transcript::parse("deep.jsonl", &deep_json).is_err());
}
