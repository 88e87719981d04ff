//! Measuring the classifier against a labelled set (the TSV format of `shared/eval`):
//! precision, recall and F1 per move, micro- and macro-F1, and how many neutral lines
//! were flagged. Used by `scripts/eval-classifier` and by the test that holds the targets.

use crate::classify::{Classifier, Context};
use crate::moves::Move;
use std::collections::BTreeSet;
use std::fmt;

/// One labelled line.
#[derive(Debug, Clone)]
pub struct Example {
    pub line_no: usize,
    pub gold: BTreeSet<Move>,
    pub text: String,
}

/// Parse `moves<TAB>text` lines (header first). Errors name the line.
pub fn parse_tsv(source: &str) -> Result<Vec<Example>, String> {
    let mut out = Vec::new();
    for (i, line) in source.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let (labels, text) = line
            .split_once('\t')
            .ok_or_else(|| format!("line {}: no tab between labels and text", i + 1))?;
        let mut gold = BTreeSet::new();
        for name in labels.split(',').map(str::trim) {
            if name == "none" {
                continue;
            }
            let m = Move::from_name(name)
                .ok_or_else(|| format!("line {}: unknown move `{name}`", i + 1))?;
            gold.insert(m);
        }
        out.push(Example {
            line_no: i + 1,
            gold,
            text: text.to_string(),
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// A line the classifier got wrong.
#[derive(Debug, Clone)]
pub struct Miss {
    pub line_no: usize,
    pub text: String,
    pub missing: Vec<Move>,
    pub extra: Vec<Move>,
}

/// The result of scoring one labelled set.
#[derive(Debug, Clone)]
pub struct Report {
    pub name: String,
    pub per_move: Vec<(Move, Counts)>,
    pub neutral_lines: usize,
    pub neutral_flagged: usize,
    pub misses: Vec<Miss>,
}

impl Report {
    pub fn micro(&self) -> Counts {
        self.per_move
            .iter()
            .fold(Counts::default(), |a, (_, c)| Counts {
                tp: a.tp + c.tp,
                fp: a.fp + c.fp,
                fn_: a.fn_ + c.fn_,
            })
    }

    pub fn macro_f1(&self) -> f64 {
        self.per_move.iter().map(|(_, c)| c.f1()).sum::<f64>() / self.per_move.len() as f64
    }

    pub fn neutral_flagged_share(&self) -> f64 {
        ratio(self.neutral_flagged, self.neutral_lines)
    }

    /// The project's targets: micro-F1 ≥ 0.90, every move's F1 ≥ 0.80, at most 5% of
    /// neutral lines flagged. Returns what falls short.
    pub fn shortfalls(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.micro().f1() < 0.90 {
            out.push(format!("micro-F1 {:.3} < 0.90", self.micro().f1()));
        }
        for (m, c) in &self.per_move {
            if c.f1() < 0.80 {
                out.push(format!("{m}: F1 {:.3} < 0.80", c.f1()));
            }
        }
        if self.neutral_flagged_share() > 0.05 {
            out.push(format!(
                "{:.1}% of neutral lines flagged > 5%",
                100.0 * self.neutral_flagged_share()
            ));
        }
        out
    }
}

/// Classify every example alone (no session context) and score the result.
pub fn evaluate(name: &str, classifier: &Classifier, examples: &[Example]) -> Report {
    let mut per_move: Vec<(Move, Counts)> =
        Move::ALL.iter().map(|&m| (m, Counts::default())).collect();
    let (mut neutral_lines, mut neutral_flagged) = (0, 0);
    let mut misses = Vec::new();
    for ex in examples {
        let predicted: BTreeSet<Move> = classifier
            .classify(&ex.text, Context::default())
            .distinct_moves()
            .into_iter()
            .collect();
        if ex.gold.is_empty() {
            neutral_lines += 1;
            if !predicted.is_empty() {
                neutral_flagged += 1;
            }
        }
        for (m, c) in per_move.iter_mut() {
            match (predicted.contains(m), ex.gold.contains(m)) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, true) => c.fn_ += 1,
                (false, false) => {}
            }
        }
        if predicted != ex.gold {
            misses.push(Miss {
                line_no: ex.line_no,
                text: ex.text.clone(),
                missing: ex.gold.difference(&predicted).copied().collect(),
                extra: predicted.difference(&ex.gold).copied().collect(),
            });
        }
    }
    Report {
        name: name.to_string(),
        per_move,
        neutral_lines,
        neutral_flagged,
        misses,
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.name)?;
        writeln!(
            f,
            "  {:<22} {:>9} {:>9} {:>9} {:>5} {:>5} {:>5}",
            "move", "precision", "recall", "F1", "TP", "FP", "FN"
        )?;
        for (m, c) in &self.per_move {
            writeln!(
                f,
                "  {:<22} {:>9.3} {:>9.3} {:>9.3} {:>5} {:>5} {:>5}",
                m.name(),
                c.precision(),
                c.recall(),
                c.f1(),
                c.tp,
                c.fp,
                c.fn_
            )?;
        }
        let micro = self.micro();
        writeln!(
            f,
            "  micro: precision {:.3} recall {:.3} F1 {:.3}; macro-F1 {:.3}",
            micro.precision(),
            micro.recall(),
            micro.f1(),
            self.macro_f1()
        )?;
        writeln!(
            f,
            "  neutral lines flagged: {} of {} ({:.1}%)",
            self.neutral_flagged,
            self.neutral_lines,
            100.0 * self.neutral_flagged_share()
        )
    }
}

/// How the safety rules do on a labelled `safety<TAB>text` set (yes/no per line).
#[derive(Debug, Clone, Default)]
pub struct SafetyReport {
    pub name: String,
    /// Lines labelled `yes`, and how many of them were flagged.
    pub yes_lines: usize,
    pub yes_caught: usize,
    /// Lines labelled `no`, and how many of them were flagged anyway.
    pub no_lines: usize,
    pub no_flagged: usize,
    /// Lines the rules got wrong: (line number, expected flag, text).
    pub misses: Vec<(usize, bool, String)>,
}

impl SafetyReport {
    /// Share of `yes` lines caught.
    pub fn recall(&self) -> f64 {
        ratio(self.yes_caught, self.yes_lines)
    }

    /// Share of `no` lines flagged (false alarms).
    pub fn false_alarm_rate(&self) -> f64 {
        ratio(self.no_flagged, self.no_lines)
    }
}

/// Parse a `safety<TAB>text` file (header first; labels `yes` or `no`).
pub fn parse_safety_tsv(source: &str) -> Result<Vec<(usize, bool, String)>, String> {
    let mut out = Vec::new();
    for (i, line) in source.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let (label, text) = line
            .split_once('\t')
            .ok_or_else(|| format!("line {}: no tab between label and text", i + 1))?;
        let flag = match label.trim() {
            "yes" => true,
            "no" => false,
            other => return Err(format!("line {}: label `{other}` is not yes or no", i + 1)),
        };
        out.push((i + 1, flag, text.to_string()));
    }
    Ok(out)
}

/// Classify every line alone and compare the safety flag with the label.
pub fn evaluate_safety(
    name: &str,
    classifier: &Classifier,
    lines: &[(usize, bool, String)],
) -> SafetyReport {
    let mut r = SafetyReport {
        name: name.to_string(),
        ..SafetyReport::default()
    };
    for (line_no, expected, text) in lines {
        let flagged = classifier
            .classify(text, Context::default())
            .safety
            .is_some();
        if *expected {
            r.yes_lines += 1;
            r.yes_caught += usize::from(flagged);
        } else {
            r.no_lines += 1;
            r.no_flagged += usize::from(flagged);
        }
        if flagged != *expected {
            r.misses.push((*line_no, *expected, text.clone()));
        }
    }
    r
}

impl fmt::Display for SafetyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.name)?;
        writeln!(
            f,
            "  safety lines caught: {} of {} ({:.1}%)",
            self.yes_caught,
            self.yes_lines,
            100.0 * self.recall()
        )?;
        writeln!(
            f,
            "  other lines flagged: {} of {} ({:.1}%)",
            self.no_flagged,
            self.no_lines,
            100.0 * self.false_alarm_rate()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_follow_the_eval_readme() {
        let c = Counts {
            tp: 8,
            fp: 2,
            fn_: 8,
        };
        assert!((c.precision() - 0.8).abs() < 1e-9);
        assert!((c.recall() - 0.5).abs() < 1e-9);
        assert!((c.f1() - 2.0 * 0.8 * 0.5 / 1.3).abs() < 1e-9);
        assert_eq!(Counts::default().f1(), 0.0);
    }

    #[test]
    fn safety_tsv_is_scored() {
        let lines = parse_safety_tsv(
            "safety\ttext\nyes\tHe hit me last night.\nno\tThis deadline is killing me.\n",
        )
        .unwrap();
        assert_eq!(lines.len(), 2);
        let r = evaluate_safety("t", &Classifier::builtin(), &lines);
        assert_eq!(
            (r.yes_lines, r.yes_caught, r.no_lines, r.no_flagged),
            (1, 1, 1, 0)
        );
        assert!(parse_safety_tsv("safety\ttext\nmaybe\tx\n").is_err());
    }

    #[test]
    fn tsv_parses_and_rejects_unknown_moves() {
        let ok = parse_tsv("moves\ttext\nnone\thi\ncriticism,pursuit\tyou never call\n").unwrap();
        assert_eq!(ok.len(), 2);
        assert!(ok[0].gold.is_empty());
        assert_eq!(ok[1].gold.len(), 2);
        assert!(
            parse_tsv("moves\ttext\nnope\thi\n")
                .unwrap_err()
                .contains("line 2")
        );
    }
}
