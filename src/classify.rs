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
use std::sync::OnceLock;

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

/// A regex compiled on first use: most patterns are only needed once the shared set
/// says they may match, so start-up pays for the set alone.
struct Lazy {
    source: String,
    regex: OnceLock<Regex>,
}

impl Lazy {
    fn new(source: String) -> Lazy {
        Lazy {
            source,
            regex: OnceLock::new(),
        }
    }

    fn get(&self) -> &Regex {
        // Every pattern was compiled once during rule validation, so this cannot fail.
        self.regex
            .get_or_init(|| Regex::new(&self.source).expect("validated pattern"))
    }
}

struct CompiledRule {
    exceptions: Option<Lazy>,
}

/// Compiled rules, ready to classify lines.
pub struct Classifier {
    rules: RuleSet,
    set: RegexSet,
    patterns: Vec<Lazy>,
    pattern_rule: Vec<usize>,
    compiled: Vec<CompiledRule>,
    /// The straightforward algorithm, compiled on first use (tests only): the oracle the
    /// fast path is checked against.
    reference: OnceLock<Reference>,
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
        let patterns = all.iter().map(|p| Lazy::new(p.to_string())).collect();
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
                    Some(Lazy::new(joined))
                };
                CompiledRule { exceptions }
            })
            .collect();
        Ok(Classifier {
            rules,
            set,
            patterns,
            pattern_rule,
            compiled,
            reference: OnceLock::new(),
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
            if let Label::Move(mv) = self.rules.rules[ri].label
                && overridden(mv, s, e)
            {
                continue;
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
            Some(ex) => ex
                .get()
                .find_iter(text)
                .map(|m| (m.start(), m.end()))
                .collect(),
            None => Vec::new(),
        };
        for m in self.patterns[pi].get().find_iter(text) {
            let span = (m.start(), m.end());
            if !vetoes.iter().any(|&v| overlaps(span, v)) {
                out.push((ri, span.0, span.1));
            }
        }
    }
}

/// The reference classifier: every pattern's own regex over the line (the original
/// normaliser), each rule's exceptions as one alternation. Slow and plainly right; the
/// equivalence tests hold the fast path to it.
struct Reference {
    patterns: Vec<Regex>,
    exceptions: Vec<Option<Regex>>,
}

impl Reference {
    fn new(rules: &RuleSet) -> Reference {
        let mut patterns = Vec::new();
        let mut exceptions = Vec::new();
        for r in &rules.rules {
            for p in &r.expanded {
                patterns.push(Regex::new(p).expect("validated pattern"));
            }
            exceptions.push(if r.expanded_exceptions.is_empty() {
                None
            } else {
                let joined = r
                    .expanded_exceptions
                    .iter()
                    .map(|e| format!("(?:{e})"))
                    .collect::<Vec<_>>()
                    .join("|");
                Some(Regex::new(&joined).expect("validated exceptions"))
            });
        }
        Reference {
            patterns,
            exceptions,
        }
    }
}

impl Classifier {
    /// The straightforward algorithm (the reference for the equivalence tests): run every
    /// pattern's regex over the line. Compiles its regexes on first call; never used by
    /// the program itself.
    #[doc(hidden)]
    pub fn classify_reference(&self, line: &str, ctx: Context) -> Classification {
        let re = self.reference.get_or_init(|| Reference::new(&self.rules));
        let norm = crate::text::reference::normalize(line, &self.rules.substitutions);
        let text = norm.text.as_str();
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        for (pi, pattern) in re.patterns.iter().enumerate() {
            let ri = self.pattern_rule[pi];
            let rule = &self.rules.rules[ri];
            if rule.when == When::AfterSpaceRequest && !ctx.after_space_request {
                continue;
            }
            let vetoes: Vec<(usize, usize)> = match re.exceptions[ri].as_ref() {
                Some(ex) => ex.find_iter(text).map(|m| (m.start(), m.end())).collect(),
                None => Vec::new(),
            };
            for m in pattern.find_iter(text) {
                let span = (m.start(), m.end());
                if !vetoes.iter().any(|&v| overlaps(span, v)) {
                    found.push((ri, span.0, span.1));
                }
            }
        }
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
            let s = text[s..e]
                .find(|c: char| c.is_alphanumeric())
                .map_or(s, |k| s + k);
            overriders
                .iter()
                .any(|&(m, os, oe)| m == mv && os <= s && s < oe.max(os + 1))
        };
        let mut hits: Vec<(usize, usize, usize)> = Vec::new();
        for &(ri, s, e) in &found {
            if let Label::Move(mv) = self.rules.rules[ri].label
                && overridden(mv, s, e)
            {
                continue;
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
}

/// Whether two spans share a byte (an empty span counts as covering its position).
fn overlaps(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.1.max(b.0 + 1) && b.0 < a.1.max(a.0 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn classifier() -> &'static Classifier {
        static C: OnceLock<Classifier> = OnceLock::new();
        C.get_or_init(Classifier::builtin)
    }

    fn ctx_for(rule: &Rule) -> Context {
        Context {
            after_space_request: rule.when == When::AfterSpaceRequest,
        }
    }

    fn fires(line: &str, ctx: Context, label: Label) -> bool {
        let c = classifier().classify(line, ctx);
        match label {
            Label::Move(m) => c.has(m),
            Label::Safety => c.safety.is_some(),
        }
    }

    fn moves(line: &str) -> Vec<&'static str> {
        classifier()
            .classify(line, Context::default())
            .moves
            .iter()
            .map(|m| m.mv.name())
            .collect()
    }

    #[test]
    fn every_rule_has_examples_and_counter_examples() {
        for rule in &classifier().rules().rules {
            assert!(rule.examples.len() >= 2, "{}: too few examples", rule.id);
            assert!(
                rule.counter_examples.len() >= 2,
                "{}: too few counter-examples",
                rule.id
            );
            assert!(!rule.guide.trim().is_empty(), "{}: no guide", rule.id);
        }
    }

    #[test]
    fn examples_fire_their_move_and_counter_examples_do_not() {
        let mut failures = Vec::new();
        for rule in &classifier().rules().rules {
            let ctx = ctx_for(rule);
            for ex in &rule.examples {
                if !fires(ex, ctx, rule.label) {
                    failures.push(format!("{}: example not caught: {ex:?}", rule.id));
                }
            }
            for ex in &rule.counter_examples {
                if fires(ex, ctx, rule.label) {
                    failures.push(format!("{}: counter-example fired: {ex:?}", rule.id));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn after_space_rules_need_the_context() {
        for rule in &classifier().rules().rules {
            if rule.when != When::AfterSpaceRequest {
                continue;
            }
            assert!(!rule.examples.is_empty() && !rule.counter_examples.is_empty());
            for ex in &rule.examples {
                let c = classifier().classify(ex, Context::default());
                assert!(
                    !c.moves.iter().any(|m| m.rule == rule.id),
                    "{} fired without the context on {ex:?}",
                    rule.id
                );
            }
        }
        let after = Context {
            after_space_request: true,
        };
        for line in ["But why?", "Just tell me.", "Now, please.", "Can we talk?"] {
            assert!(
                classifier().classify(line, after).has(Move::Pursuit),
                "{line}"
            );
        }
        for line in [
            "Okay. I'll be in the kitchen if you need me.",
            "That makes sense, take your time.",
            "Of course. Love you.",
            "No pressure at all.",
        ] {
            assert!(
                !classifier().classify(line, after).has(Move::Pursuit),
                "{line}"
            );
        }
    }

    #[test]
    fn hard_negatives_stay_quiet() {
        for line in [
            "I never thought of it that way.",
            "you never know with traffic",
            "I always forget my keys.",
            "Do you always take the early train?",
            "Are you okay?",
            "I feel like pizza tonight.",
            "Whatever you fancy for dinner is fine.",
            "Don't walk off with my charger, I need it for the car.",
            "Did you leave the hall light on on purpose?",
            "I'll check in at the hotel around three.",
            "Take your time, the bus isn't until eight.",
            "I'm here, by the ticket machines.",
            "I need to pick up milk on the way home.",
        ] {
            assert!(moves(line).is_empty(), "{line:?} gave {:?}", moves(line));
        }
        // A yes/no question is not an open question.
        assert!(!moves("Is the deadline still the 15th?").contains(&"open_question"));
        assert!(moves("What has this week been like for you?").contains(&"open_question"));
    }

    #[test]
    fn overrides_decide_between_moves() {
        assert_eq!(
            moves("I feel like you never make time for me."),
            ["criticism"]
        );
        assert_eq!(moves("That makes sense, if you're five."), ["contempt"]);
        assert_eq!(
            moves("Take your time, but I need an answer tonight."),
            ["pursuit"]
        );
        assert_eq!(
            moves("So you're saying I don't help? That's not fair."),
            ["defensiveness"]
        );
        // Overrides are local: a real feeling next to an attack keeps both moves.
        let both = moves("I feel hurt when you check emails at dinner, you never stop working.");
        assert!(
            both.contains(&"i_statement") && both.contains(&"criticism"),
            "{both:?}"
        );
        assert_eq!(
            moves("Last Christmas at your sister's was so much fun!"),
            ["playfulness"]
        );
    }

    #[test]
    fn flags_explain_themselves_with_exact_spans() {
        let line = "Honestly, u NEVER listen!!! I\u{2019}m so lonely \u{1f494}";
        let c = classifier().classify(line, Context::default());
        let crit = c.moves.iter().find(|m| m.mv == Move::Criticism).unwrap();
        assert_eq!(crit.rule, "criticism.you-absolute");
        assert_eq!(&line[crit.start..crit.end], "u NEVER");
        let feel = c.moves.iter().find(|m| m.mv == Move::IStatement).unwrap();
        assert!(
            line[feel.start..feel.end].starts_with("I\u{2019}m"),
            "{feel:?}"
        );
        for m in &c.moves {
            assert!(line.is_char_boundary(m.start) && line.is_char_boundary(m.end));
        }
        for rule in &classifier().rules().rules {
            assert!(rule.id.contains('.'), "{}", rule.id);
        }
    }

    #[test]
    fn safety_catches_danger_not_figures_of_speech() {
        for line in [
            "He hit me again last night.",
            "I'm scared of what he'll do when he gets home.",
            "Sometimes I think about killing myself.",
            "She threatened to hurt me if I leave.",
        ] {
            let c = classifier().classify(line, Context::default());
            assert!(c.safety.is_some(), "{line}");
        }
        for line in [
            "This deadline is killing me.",
            "I could kill for a coffee.",
            "My boss will murder me.",
            "Hit me up later.",
            "You hurt my feelings.",
        ] {
            let c = classifier().classify(line, Context::default());
            assert!(c.safety.is_none(), "{line}: {:?}", c.safety);
        }
    }

    #[test]
    fn scenario_words_extend_grievance_and_stressor() {
        let raw: crate::rules::RawRuleFile = ron::from_str(crate::rules::BUILTIN_RULES).unwrap();
        let extra = [
            (
                "grievance".to_string(),
                vec!["the camping trip".to_string()],
            ),
            (
                "stressor".to_string(),
                vec!["the Henderson account".to_string()],
            ),
        ]
        .into_iter()
        .collect();
        let c = Classifier::new(RuleSet::from_raw(raw, &extra).unwrap()).unwrap();
        let got = c.classify(
            "And then there was the camping trip again.",
            Context::default(),
        );
        assert!(got.has(Move::KitchenSinking), "{got:?}");
        let got = c.classify("How's the Henderson account going?", Context::default());
        assert!(got.has(Move::ExternalStressor), "{got:?}");
    }

    #[test]
    fn odd_input_never_panics() {
        let long = "you never listen ".repeat(1000);
        let junk =
            String::from_utf8_lossy(&[0xff, 0x00, 0x1b, b'[', 0xe2, 0x80, b'?', 0x07]).into_owned();
        let odd = [
            "",
            " ",
            "\u{0}\u{7f}\u{200b}",
            "''''",
            "?!?!...",
            long.as_str(),
            junk.as_str(),
            "I\u{307}\u{301} \u{df} \u{fb01} \u{1f494} u",
        ];
        for line in odd {
            let c = classifier().classify(line, Context::default());
            for m in &c.moves {
                assert!(m.start <= m.end && m.end <= line.len());
                assert!(line.is_char_boundary(m.start) && line.is_char_boundary(m.end));
            }
        }
    }
}
