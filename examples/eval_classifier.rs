//! Scores the built-in classifier on labelled TSV sets: `eval_classifier [--misses] FILE...`.
//! Run through `scripts/eval-classifier`.
//!
//! A file whose header starts with `moves` is scored per move; one whose header starts
//! with `safety` (labels yes/no) scores the safety rules. Any other file is taken as plain
//! lines, and each line is printed with what the classifier found (`--after-space` reads
//! them as replies right after the partner asked for space).

use rehearse::classify::{Classifier, Context};
use rehearse::evaluate::{evaluate, evaluate_safety, parse_safety_tsv, parse_tsv};
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let show_misses = args.iter().any(|a| a == "--misses");
    let after_space = args.iter().any(|a| a == "--after-space");
    let classifier = Classifier::builtin();
    let mut short = false;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for path in args.iter().filter(|a| !a.starts_with("--")) {
        let source = match std::fs::read_to_string(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::from(1);
            }
        };
        let header = source.lines().next().unwrap_or("");
        let result = if header.starts_with("safety") {
            safety(
                &mut out,
                path,
                &source,
                &classifier,
                show_misses,
                &mut short,
            )
        } else if header.starts_with("moves") {
            moves(
                &mut out,
                path,
                &source,
                &classifier,
                show_misses,
                &mut short,
            )
        } else {
            probe(&mut out, &source, &classifier, after_space);
            Ok(())
        };
        if let Err(e) = result {
            eprintln!("{path}:{e}");
            return ExitCode::from(1);
        }
        let _ = writeln!(out);
    }
    if short {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn moves(
    out: &mut impl Write,
    path: &str,
    source: &str,
    classifier: &Classifier,
    show_misses: bool,
    short: &mut bool,
) -> Result<(), String> {
    let examples = parse_tsv(source)?;
    let report = evaluate(path, classifier, &examples);
    let _ = write!(out, "{report}");
    let shortfalls = report.shortfalls();
    if shortfalls.is_empty() {
        let _ = writeln!(out, "  targets met");
    } else {
        *short = true;
        let _ = writeln!(out, "  below target: {}", shortfalls.join("; "));
    }
    if show_misses {
        for m in &report.misses {
            let names = |v: &[rehearse::moves::Move]| {
                v.iter().map(|m| m.name()).collect::<Vec<_>>().join(",")
            };
            let _ = writeln!(
                out,
                "  {}:{}: missing [{}] extra [{}]  {}",
                path,
                m.line_no,
                names(&m.missing),
                names(&m.extra),
                m.text
            );
        }
    }
    Ok(())
}

fn safety(
    out: &mut impl Write,
    path: &str,
    source: &str,
    classifier: &Classifier,
    show_misses: bool,
    short: &mut bool,
) -> Result<(), String> {
    let lines = parse_safety_tsv(source)?;
    let report = evaluate_safety(path, classifier, &lines);
    let _ = write!(out, "{report}");
    if report.yes_caught < report.yes_lines || report.no_flagged > 0 {
        *short = true;
    }
    if show_misses {
        for (line_no, expected, text) in &report.misses {
            let what = if *expected { "missed" } else { "false alarm" };
            let _ = writeln!(out, "  {path}:{line_no}: {what}  {text}");
        }
    }
    Ok(())
}

fn probe(out: &mut impl Write, source: &str, classifier: &Classifier, after_space: bool) {
    let ctx = Context {
        after_space_request: after_space,
    };
    for line in source.lines().filter(|l| !l.trim().is_empty()) {
        let c = classifier.classify(line, ctx);
        let mut found: Vec<String> = c
            .moves
            .iter()
            .map(|m| format!("{}({}:{:?})", m.mv, m.rule, &line[m.start..m.end]))
            .collect();
        if let Some(s) = &c.safety {
            found.push(format!("SAFETY({})", s.rule));
        }
        let _ = writeln!(out, "{line}\n    -> {}", found.join(" "));
    }
}
