//! The classifier: a line in, the moves it carries out, each with the rule that found it
//! and the byte span of the words that triggered it.
//!
//! One `RegexSet` pass over the normalised line finds every candidate pattern; only those
//! candidates then run their own regex for a span and their rule's exceptions. A rule's
//! exceptions veto a match they overlap ("you never know"), and a rule that fires can
//! override other moves whose match starts inside its own (an attack dressed as a
//! feeling is criticism, not an I-statement). Compiled once per process and shared.

use crate::moves::{Kind, Move};
use crate::rules::{Label, Rule, RuleSet, When};
use crate::text::{Normalized, normalize};
use regex::{Regex, RegexSet, RegexSetBuilder};
use serde::Serialize;

/// What the session knows that can change how a line reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context {
    /// The partner's last reply asked for space.
    pub after_space_request: bool,
}

/// One move found in a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct MoveMatch {
    #[serde(rename = "move")]
    pub mv: Move,
    pub kind: Kind,
    pub rule: String,
    /// Byte offsets into the original line.
    pub start: usize,
    pub end: usize,
}

/// A line that speaks of danger or self-harm: not a move, never scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SafetyFlag {
    pub rule: String,
    pub start: usize,
    pub end: usize,
}

/// Everything the classifier found in a line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classification {
    /// At most one match per move, ordered by where it starts.
    pub moves: Vec<MoveMatch>,
    /// The safety rule that fired, if the line speaks of danger or self-harm.
    pub safety: Option<SafetyFlag>,
}

impl Classification {
    pub fn has(&self, m: Move) -> bool {
        self.moves.iter().any(|x| x.mv == m)
    }

    pub fn distinct_moves(&self) -> Vec<Move> {
        self.moves.iter().map(|x| x.mv).collect()
    }
}

struct CompiledRule {
    exceptions: Option<Regex>,
}

/// Compiled rules, ready to classify lines.
pub struct Classifier {
    rules: RuleSet,
    set: RegexSet,
    patterns: Vec<Regex>,
    pattern_rule: Vec<usize>,
    compiled: Vec<CompiledRule>,
}

impl Classifier {
    /// Compile a validated rule set. Patterns were checked during validation.
    pub fn new(rules: RuleSet) -> Result<Classifier, regex::Error> {
        let mut all = Vec::new();
        let mut pattern_rule = Vec::new();
        for (i, r) in rules.rules.iter().enumerate() {
            for p in &r.expanded {
                all.push(p.as_str());
                pattern_rule.push(i);
            }
        }
        let set = RegexSetBuilder::new(&all)
            .dfa_size_limit(32 << 20)
            .size_limit(64 << 20)
            .build()?;
        let patterns = all
            .iter()
            .map(|p| Regex::new(p))
            .collect::<Result<_, _>>()?;
        let compiled = rules
            .rules
            .iter()
            .map(|r| {
                let exceptions = if r.expanded_exceptions.is_empty() {
                    None
                } else {
                    let joined = r
                        .expanded_exceptions
                        .iter()
                        .map(|e| format!("(?:{e})"))
                        .collect::<Vec<_>>()
                        .join("|");
                    Some(Regex::new(&joined)?)
                };
                Ok(CompiledRule { exceptions })
            })
            .collect::<Result<_, regex::Error>>()?;
        Ok(Classifier {
            rules,
            set,
            patterns,
            pattern_rule,
            compiled,
        })
    }

    /// The built-in rules, compiled.
    pub fn builtin() -> Classifier {
        Classifier::new(RuleSet::builtin()).expect("built-in rules compile")
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Normalise a line the way the patterns expect.
    pub fn normalize(&self, line: &str) -> Normalized {
        normalize(line, &self.rules.substitutions)
    }

    /// Classify one line in the given session context.
    pub fn classify(&self, line: &str, ctx: Context) -> Classification {
        let norm = self.normalize(line);
        let text = norm.text.as_str();
        // Every surviving (unvetoed) match of each candidate rule: (rule index, span).
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        for pi in self.set.matches(text).iter() {
            let ri = self.pattern_rule[pi];
            let rule = &self.rules.rules[ri];
            if rule.when == When::AfterSpaceRequest && !ctx.after_space_request {
                continue;
            }
            self.unvetoed(pi, ri, text, &mut found);
        }
        // Overrides are local: a rule vetoes the overridden moves' matches that start
        // inside one of its own matches ("I feel like you never…" is criticism, not an
        // I-statement, yet "I feel hurt. You never…" carries both).
        let overriders: Vec<(Move, usize, usize)> = found
            .iter()
            .flat_map(|&(ri, s, e)| {
                self.rules.rules[ri]
                    .overrides
                    .iter()
                    .map(move |&m| (m, s, e))
            })
            .collect();
        let overridden = |mv: Move, s: usize, e: usize| {
            // Where the words start: a pattern may begin on the space or comma before.
            let s = text[s..e]
                .find(|c: char| c.is_alphanumeric())
                .map_or(s, |k| s + k);
            overriders
                .iter()
                .any(|&(m, os, oe)| m == mv && os <= s && s < oe.max(os + 1))
        };
        // The earliest surviving match of each rule.
        let mut hits: Vec<(usize, usize, usize)> = Vec::new();
        for &(ri, s, e) in &found {
            if let Label::Move(mv) = self.rules.rules[ri].label {
                if overridden(mv, s, e) {
                    continue;
                }
            }
            match hits.iter_mut().find(|h| h.0 == ri) {
                Some(h) if s < h.1 => *h = (ri, s, e),
                Some(_) => {}
                None => hits.push((ri, s, e)),
            }
        }
        hits.sort_by_key(|h| (h.1, h.0));
        let mut out = Classification::default();
        for (ri, s, e) in hits {
            let rule: &Rule = &self.rules.rules[ri];
            let (start, end) = norm.original_span(s, e);
            match rule.label {
                Label::Safety => {
                    if out.safety.is_none() {
                        out.safety = Some(SafetyFlag {
                            rule: rule.id.clone(),
                            start,
                            end,
                        });
                    }
                }
                Label::Move(mv) => {
                    if out.has(mv) {
                        continue;
                    }
                    out.moves.push(MoveMatch {
                        mv,
                        kind: mv.kind(),
                        rule: rule.id.clone(),
                        start,
                        end,
                    });
                }
            }
        }
        out
    }

    /// Every match of pattern `pi` that none of rule `ri`'s exceptions overlaps.
    fn unvetoed(&self, pi: usize, ri: usize, text: &str, out: &mut Vec<(usize, usize, usize)>) {
        let vetoes: Vec<(usize, usize)> = match self.compiled[ri].exceptions.as_ref() {
            Some(ex) => ex.find_iter(text).map(|m| (m.start(), m.end())).collect(),
            None => Vec::new(),
        };
        for m in self.patterns[pi].find_iter(text) {
            let span = (m.start(), m.end());
            if !vetoes.iter().any(|&v| overlaps(span, v)) {
                out.push((ri, span.0, span.1));
            }
        }
    }
}

/// Whether two spans share a byte (an empty span counts as covering its position).
fn overlaps(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.1.max(b.0 + 1) && b.0 < a.1.max(a.0 + 1)
}

#[cfg(test)]
mod tests {}
