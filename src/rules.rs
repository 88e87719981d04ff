//! The classifier's rule file: raw RON structs, and their validation into [`RuleSet`].
//!
//! Rules are data, not code (`rules/moves.ron`, embedded at build time). Each rule names
//! its move, its regex patterns (written against the normalised line, see [`crate::text`]),
//! exceptions that veto a match they overlap, the moves it overrides on the same line, the
//! guide passage it stands for, and examples and counter-examples that the tests replay.
//! Patterns may use word classes shared across the file: `{absolute}` expands to
//! `(?:never|always|...)`.

use crate::moves::Move;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// The rule file shipped inside the binary.
pub const BUILTIN_RULES: &str = include_str!("../rules/moves.ron");

/// What a rule marks: one of the seventeen moves, or the safety signal (a line about
/// danger or self-harm, which is never scored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Label {
    Move(Move),
    Safety,
}

impl Label {
    pub fn name(self) -> &'static str {
        match self {
            Label::Move(m) => m.name(),
            Label::Safety => "safety",
        }
    }

    fn from_name(name: &str) -> Option<Label> {
        if name == "safety" {
            Some(Label::Safety)
        } else {
            Move::from_name(name).map(Label::Move)
        }
    }
}

fn move_names() -> impl Iterator<Item = &'static str> {
    Move::ALL.iter().map(|m| m.name())
}

/// When a rule may fire, given what the partner said last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    #[default]
    Always,
    /// Only right after the partner asked for space.
    AfterSpaceRequest,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRuleFile {
    /// Whole-word substitutions applied while normalising ("dont" → "don't").
    #[serde(default)]
    pub substitutions: BTreeMap<String, String>,
    /// Named word classes, referenced in patterns as `{name}`.
    #[serde(default)]
    pub classes: BTreeMap<String, Vec<String>>,
    pub rules: Vec<RawRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: String,
    #[serde(rename = "move")]
    pub label: String,
    pub patterns: Vec<String>,
    #[serde(default)]
    pub exceptions: Vec<String>,
    #[serde(default)]
    pub overrides: Vec<String>,
    #[serde(default)]
    pub when: When,
    pub guide: String,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub counter_examples: Vec<String>,
}

/// A validated rule: patterns expanded, every class resolved.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub label: Label,
    /// The patterns as written in the file.
    pub patterns: Vec<String>,
    /// The patterns with word classes expanded: what the regex engine sees.
    pub expanded: Vec<String>,
    pub exceptions: Vec<String>,
    pub expanded_exceptions: Vec<String>,
    pub overrides: Vec<Move>,
    pub when: When,
    pub guide: String,
    pub examples: Vec<String>,
    pub counter_examples: Vec<String>,
}

/// Every rule, with the word classes and substitutions they rely on.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub substitutions: crate::text::Substitutions,
    pub classes: BTreeMap<String, Vec<String>>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{0}")]
    Syntax(String),
    #[error("rule `{rule}`: {message}")]
    Rule { rule: String, message: String },
}

impl RuleSet {
    /// The built-in rules. They are tested, so a failure here is a build defect.
    pub fn builtin() -> RuleSet {
        match RuleSet::builtin_with_words(&BTreeMap::new()) {
            Ok(set) => set,
            Err(errors) => panic!("built-in rules/moves.ron is invalid: {errors:?}"),
        }
    }

    /// The built-in rules with a scenario's words added to their classes. The built-in
    /// patterns' regex syntax is checked by the tests (see `builtin_rules_are_valid`) and
    /// added words are escaped, so this skips the syntax check: it is on the way to the
    /// first prompt.
    pub fn builtin_with_words(
        extra_words: &BTreeMap<String, Vec<String>>,
    ) -> Result<RuleSet, Vec<RuleError>> {
        let raw: RawRuleFile = ron::from_str(BUILTIN_RULES)
            .map_err(|e| vec![RuleError::Syntax(format!("rules/moves.ron:{e}"))])?;
        RuleSet::validate(raw, extra_words, false)
    }

    /// Parse and validate a rule file, reporting every problem at once.
    pub fn parse(source: &str) -> Result<RuleSet, Vec<RuleError>> {
        let raw: RawRuleFile = ron::from_str(source)
            .map_err(|e| vec![RuleError::Syntax(format!("rules/moves.ron:{e}"))])?;
        RuleSet::from_raw(raw, &BTreeMap::new())
    }

    /// Validate raw rules. `extra_words` extends existing classes (a scenario's own
    /// stressors and old grievances).
    pub fn from_raw(
        raw: RawRuleFile,
        extra_words: &BTreeMap<String, Vec<String>>,
    ) -> Result<RuleSet, Vec<RuleError>> {
        RuleSet::validate(raw, extra_words, true)
    }

    fn validate(
        raw: RawRuleFile,
        extra_words: &BTreeMap<String, Vec<String>>,
        check_syntax: bool,
    ) -> Result<RuleSet, Vec<RuleError>> {
        let check = |x: String| {
            if check_syntax {
                check_regex(&x)?;
            }
            Ok(x)
        };
        let mut errors = Vec::new();
        let mut classes = raw.classes;
        for (name, words) in extra_words {
            match classes.get_mut(name) {
                Some(list) => list.extend(words.iter().map(|w| regex::escape(&w.to_lowercase()))),
                None => errors.push(RuleError::Rule {
                    rule: "(scenario words)".into(),
                    message: format!("no word class named `{name}`"),
                }),
            }
        }
        let mut seen = HashMap::new();
        let mut rules = Vec::with_capacity(raw.rules.len());
        for r in raw.rules {
            let mut fail = |message: String| {
                errors.push(RuleError::Rule {
                    rule: r.id.clone(),
                    message,
                })
            };
            if seen.insert(r.id.clone(), ()).is_some() {
                fail("duplicate rule id".into());
            }
            let label = Label::from_name(&r.label);
            if label.is_none() {
                let hint = crate::suggest::did_you_mean(&r.label, move_names().chain(["safety"]));
                fail(format!("unknown move `{}`{hint}", r.label));
            }
            let mut overrides = Vec::new();
            for name in &r.overrides {
                match Move::from_name(name) {
                    Some(m) => overrides.push(m),
                    None => {
                        let hint = crate::suggest::did_you_mean(name, move_names());
                        fail(format!("overrides unknown move `{name}`{hint}"));
                    }
                }
            }
            if r.patterns.is_empty() {
                fail("has no patterns".into());
            }
            let mut expanded = Vec::new();
            for p in &r.patterns {
                match expand(p, &classes).and_then(check) {
                    Ok(x) => expanded.push(x),
                    Err(m) => fail(format!("pattern {p:?}: {m}")),
                }
            }
            let mut expanded_exceptions = Vec::new();
            for p in &r.exceptions {
                match expand(p, &classes).and_then(check) {
                    Ok(x) => expanded_exceptions.push(x),
                    Err(m) => fail(format!("exception {p:?}: {m}")),
                }
            }
            let Some(label) = label else { continue };
            rules.push(Rule {
                id: r.id,
                label,
                patterns: r.patterns,
                expanded,
                exceptions: r.exceptions,
                expanded_exceptions,
                overrides,
                when: r.when,
                guide: r.guide,
                examples: r.examples,
                counter_examples: r.counter_examples,
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(RuleSet {
            substitutions: raw.substitutions.into_iter().collect(),
            classes,
            rules,
        })
    }
}

/// Check a pattern's syntax (the classifier compiles it for real, once). Parsing to the
/// syntax tree catches everything `Regex::new` rejects short of size limits, at a tenth of
/// the cost of compiling.
fn check_regex(pattern: &str) -> Result<(), String> {
    regex_syntax::Parser::new()
        .parse(pattern)
        .map(|_| ())
        .map_err(|e| {
            e.to_string()
                .lines()
                .last()
                .unwrap_or("invalid regex")
                .to_string()
        })
}

/// Replace each `{name}` that names a class with a non-capturing alternation.
/// Braces holding digits (`{2}`, `{1,3}`) are regex repetition and stay as they are.
pub fn expand(pattern: &str, classes: &BTreeMap<String, Vec<String>>) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}');
        let name = close.map(|c| &after[..c]).unwrap_or("");
        let is_name = !name.is_empty()
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let escaped = out.ends_with('\\') && !out.ends_with("\\\\");
        if is_name && !escaped {
            let words = classes.get(name).ok_or_else(|| {
                let hint = crate::suggest::did_you_mean(name, classes.keys().map(String::as_str));
                format!("unknown word class `{{{name}}}`{hint}")
            })?;
            out.push_str("(?:");
            out.push_str(&words.join("|"));
            out.push(')');
            rest = &after[name.len() + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_expand_and_repetitions_stay() {
        let classes: BTreeMap<_, _> = [("abs".to_string(), vec!["never".into(), "always".into()])]
            .into_iter()
            .collect();
        assert_eq!(
            expand(r"\byou {abs}\b a{2,3} \{abs\}", &classes).unwrap(),
            r"\byou (?:never|always)\b a{2,3} \{abs\}"
        );
        let err = expand("{asb}", &classes).unwrap_err();
        assert!(err.contains("did you mean `abs`"), "{err}");
    }

    #[test]
    fn builtin_rules_load() {
        let set = RuleSet::builtin();
        for &m in Move::ALL {
            assert!(
                set.rules.iter().any(|r| r.label == Label::Move(m)),
                "no rule for {m}"
            );
        }
        assert!(set.rules.iter().any(|r| r.label == Label::Safety));
    }

    #[test]
    fn builtin_rules_are_valid() {
        // The full check, regex syntax included: `builtin()` relies on it.
        if let Err(errors) = RuleSet::parse(BUILTIN_RULES) {
            panic!("{errors:?}");
        }
        let fast = RuleSet::builtin();
        let full = RuleSet::parse(BUILTIN_RULES).unwrap();
        let a: Vec<_> = fast
            .rules
            .iter()
            .map(|r| (&r.id, &r.expanded, &r.expanded_exceptions))
            .collect();
        let b: Vec<_> = full
            .rules
            .iter()
            .map(|r| (&r.id, &r.expanded, &r.expanded_exceptions))
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn bad_rules_report_every_problem() {
        let src = r#"(classes: {}, rules: [
            (id: "a", move: "critcism", patterns: ["{nope}"], guide: "x"),
            (id: "a", move: "contempt", patterns: ["(unclosed"], guide: "x"),
        ])"#;
        let errors = RuleSet::parse(src).unwrap_err();
        assert_eq!(errors.len(), 4, "{errors:?}");
    }
}
