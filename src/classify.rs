//! The classifier: a line in, the moves it carries out, each with the rule that found it
//! and the byte span of the words that triggered it.
//!
//! One `RegexSet` pass over the normalised line finds every candidate pattern; only those
//! candidates then run their own regex for a span and their rule's exceptions. A rule's
//! exceptions veto a match they overlap ("you never know"), and a rule that fires can
//! override other moves on the same line (an attack dressed as a feeling is criticism,
//! not an I-statement). Compiled once per process and shared.

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
        // The earliest surviving match of each rule: (rule index, normalised span).
        let mut hits: Vec<(usize, usize, usize)> = Vec::new();
        for pi in self.set.matches(text).iter() {
            let ri = self.pattern_rule[pi];
            let rule = &self.rules.rules[ri];
            if rule.when == When::AfterSpaceRequest && !ctx.after_space_request {
                continue;
            }
            let Some((s, e)) = self.first_unvetoed(pi, ri, text) else {
                continue;
            };
            match hits.iter_mut().find(|h| h.0 == ri) {
                Some(h) if s < h.1 => *h = (ri, s, e),
                Some(_) => {}
                None => hits.push((ri, s, e)),
            }
        }
        let overridden: Vec<Move> = hits
            .iter()
            .flat_map(|h| self.rules.rules[h.0].overrides.iter().copied())
            .collect();
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
                    if overridden.contains(&mv) || out.has(mv) {
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

    /// The first match of pattern `pi` that none of rule `ri`'s exceptions overlaps.
    fn first_unvetoed(&self, pi: usize, ri: usize, text: &str) -> Option<(usize, usize)> {
        let exceptions = self.compiled[ri].exceptions.as_ref();
        let vetoes: Vec<(usize, usize)> = match exceptions {
            Some(ex) => ex.find_iter(text).map(|m| (m.start(), m.end())).collect(),
            None => Vec::new(),
        };
        self.patterns[pi]
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .find(|&(s, e)| !vetoes.iter().any(|&(vs, ve)| vs < e.max(s + 1) && s < ve))
    }
}
