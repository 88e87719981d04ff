//! The classifier's measured targets, held by a test: on the project's corpus and on the
//! public dev set beside the repository, micro-F1 >= 0.90, every move's F1 >= 0.80, and at
//! most 5% of neutral lines flagged; on the safety corpus, every danger line caught and
//! at most 5% false alarms. `scripts/eval-classifier` prints the full figures.

use crate::common::root;
use rehearse::classify::Classifier;
use rehearse::evaluate::{evaluate, evaluate_safety, parse_safety_tsv, parse_tsv};

fn check(path: &std::path::Path, classifier: &Classifier) {
    let source = std::fs::read_to_string(path).unwrap();
    let examples = parse_tsv(&source).unwrap();
    assert!(examples.len() >= 300, "{} is a real set", path.display());
    let report = evaluate(&path.display().to_string(), classifier, &examples);
    let short = report.shortfalls();
    assert!(
        short.is_empty(),
        "{report}below target: {}",
        short.join("; ")
    );
}

#[test]
fn the_project_corpus_meets_the_targets() {
    let c = Classifier::builtin();
    check(&root().join("tests/corpus/moves.tsv"), &c);
}

#[test]
fn the_public_dev_set_meets_the_targets() {
    let path = root().join("../shared/eval/moves-dev.tsv");
    if !path.exists() {
        // CI always has shared/ beside the clone; a developer's checkout elsewhere may not.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have ../shared/eval/moves-dev.tsv"
        );
        eprintln!("skipped: {} is not present", path.display());
        return;
    }
    check(&path, &Classifier::builtin());
}

#[test]
fn safety_lines_are_caught_without_false_alarms() {
    let c = Classifier::builtin();
    let path = root().join("tests/corpus/safety.tsv");
    let lines = parse_safety_tsv(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let r = evaluate_safety("safety.tsv", &c, &lines);
    assert!(r.yes_lines >= 40 && r.no_lines >= 40);
    assert_eq!(r.yes_caught, r.yes_lines, "{r}");
    assert!(r.false_alarm_rate() <= 0.05, "{r}");
}
