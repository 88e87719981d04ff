//! Scores the built-in classifier on labelled TSV sets: `eval_classifier [--misses] FILE...`.
//! Run through `scripts/eval-classifier`.

use rehearse::classify::Classifier;
use rehearse::evaluate::{evaluate, parse_tsv};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let show_misses = args.iter().any(|a| a == "--misses");
    let classifier = Classifier::builtin();
    let mut short = false;
    for path in args.iter().filter(|a| !a.starts_with("--")) {
        let source = match std::fs::read_to_string(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::from(1);
            }
        };
        let examples = match parse_tsv(&source) {
            Ok(x) => x,
            Err(e) => {
                eprintln!("{path}:{e}");
                return ExitCode::from(1);
            }
        };
        let report = evaluate(path, &classifier, &examples);
        print!("{report}");
        let shortfalls = report.shortfalls();
        if shortfalls.is_empty() {
            println!("  targets met");
        } else {
            short = true;
            println!("  below target: {}", shortfalls.join("; "));
        }
        if show_misses {
            for m in &report.misses {
                let names = |v: &[rehearse::moves::Move]| {
                    v.iter().map(|m| m.name()).collect::<Vec<_>>().join(",")
                };
                println!(
                    "  {}:{}: missing [{}] extra [{}]  {}",
                    path,
                    m.line_no,
                    names(&m.missing),
                    names(&m.extra),
                    m.text
                );
            }
        }
        println!();
    }
    if short {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
