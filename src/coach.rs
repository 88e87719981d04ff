//! Coaching: for a mistake line, a better phrasing tied to the guide step it breaks; for
//! `/hint`, what the guide would try next given the steps still missing and the partner's
//! state. The advice is data (`rules/coach.ron`): each rewrite can be limited to lines that
//! match a pattern, so the suggestion fits the kind of line (a criticism about phones gets
//! a different rewrite from one about work), with a general fallback per move.

use crate::moves::{Kind, Move, Step};
use crate::text::normalize;
use regex::Regex;
use serde::Deserialize;
use std::collections::HashMap;

/// The coaching file shipped inside the binary.
pub const BUILTIN_COACH: &str = include_str!("../rules/coach.ron");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCoach {
    rewrites: Vec<RawRewrite>,
    hints: Vec<RawHint>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRewrite {
    #[serde(rename = "move")]
    mv: String,
    /// Regexes against the normalised line; the rewrite applies when any matches. Empty:
    /// the fallback for the move.
    #[serde(default)]
    when: Vec<String>,
    /// The guide step (1–7) the better phrasing carries out.
    step: u8,
    advice: String,
    rewrite: String,
}

/// When a hint applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HintWhen {
    /// Nothing has been said yet.
    Start,
    /// The last line carried a mistake.
    AfterMistake,
    /// The partner just asked for space.
    AfterSpaceRequest,
    /// The partner is in one of the two lowest bands.
    LowOpenness,
    /// This guide step has not been reached yet.
    MissingStep(u8),
    /// Every step has been reached.
    AllSteps,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHint {
    when: HintWhen,
    texts: Vec<String>,
}

/// A suggested better phrasing for a mistake line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Advice {
    #[serde(rename = "move")]
    pub mv: Move,
    pub step: u8,
    pub step_title: &'static str,
    pub advice: String,
    pub rewrite: String,
}

struct Rewrite {
    mv: Move,
    when: Option<Regex>,
    step: Step,
    advice: String,
    rewrite: String,
}

/// The state `/hint` looks at.
#[derive(Debug, Clone, Default)]
pub struct HintState {
    pub turns: usize,
    pub last_had_mistake: bool,
    pub after_space_request: bool,
    pub low_openness: bool,
    /// Steps reached so far (1–7).
    pub reached: Vec<u8>,
    /// How many hints were already given (to vary the wording).
    pub asked: usize,
}

/// The coaching data, compiled.
pub struct Coach {
    rewrites: Vec<Rewrite>,
    hints: Vec<(HintWhen, Vec<String>)>,
    substitutions: HashMap<String, String>,
}

impl Coach {
    /// The built-in coaching data. It is tested, so a failure here is a build defect.
    pub fn builtin(substitutions: &HashMap<String, String>) -> Coach {
        Coach::parse(BUILTIN_COACH, substitutions).expect("built-in rules/coach.ron is valid")
    }

    pub fn parse(source: &str, substitutions: &HashMap<String, String>) -> Result<Coach, String> {
        let raw: RawCoach = ron::from_str(source).map_err(|e| format!("rules/coach.ron:{e}"))?;
        let mut rewrites = Vec::new();
        for r in raw.rewrites {
            let mv = Move::from_name(&r.mv).ok_or_else(|| format!("unknown move `{}`", r.mv))?;
            let step = Step::ALL
                .iter()
                .copied()
                .find(|s| s.number() == r.step)
                .ok_or_else(|| format!("no step {} (steps are 1–7)", r.step))?;
            let when = if r.when.is_empty() {
                None
            } else {
                let joined = r
                    .when
                    .iter()
                    .map(|w| format!("(?:{w})"))
                    .collect::<Vec<_>>()
                    .join("|");
                Some(Regex::new(&joined).map_err(|e| format!("{}: {e}", r.mv))?)
            };
            rewrites.push(Rewrite {
                mv,
                when,
                step,
                advice: r.advice,
                rewrite: r.rewrite,
            });
        }
        for &m in Move::ALL.iter().filter(|m| m.kind() == Kind::Mistake) {
            if !rewrites.iter().any(|r| r.mv == m && r.when.is_none()) {
                return Err(format!("no fallback rewrite (without `when`) for `{m}`"));
            }
        }
        let hints = raw.hints.into_iter().map(|h| (h.when, h.texts)).collect();
        Ok(Coach {
            rewrites,
            hints,
            substitutions: substitutions.clone(),
        })
    }

    /// A better phrasing for `line`, which carried the mistake `mv`.
    pub fn advise(&self, mv: Move, line: &str, partner: &str) -> Option<Advice> {
        let norm = normalize(line, &self.substitutions);
        let r = self
            .rewrites
            .iter()
            .filter(|r| r.mv == mv)
            .find(|r| r.when.as_ref().is_none_or(|w| w.is_match(&norm.text)))?;
        Some(Advice {
            mv,
            step: r.step.number(),
            step_title: r.step.title(),
            advice: r.advice.replace("{partner}", partner),
            rewrite: r.rewrite.replace("{partner}", partner),
        })
    }

    /// What the guide would try next.
    pub fn hint(&self, st: &HintState, partner: &str) -> String {
        let applies = |w: HintWhen| match w {
            HintWhen::Start => st.turns == 0,
            HintWhen::AfterMistake => st.last_had_mistake,
            HintWhen::AfterSpaceRequest => st.after_space_request,
            HintWhen::LowOpenness => st.low_openness && st.turns > 0,
            HintWhen::MissingStep(n) => !st.reached.contains(&n),
            HintWhen::AllSteps => st.reached.len() >= 7,
        };
        self.hints
            .iter()
            .find(|(w, texts)| applies(*w) && !texts.is_empty())
            .map(|(_, texts)| texts[st.asked % texts.len()].replace("{partner}", partner))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coach() -> Coach {
        Coach::builtin(&crate::rules::RuleSet::builtin().substitutions)
    }

    #[test]
    fn every_mistake_gets_advice_tied_to_a_step() {
        let c = coach();
        for &m in Move::ALL.iter().filter(|m| m.kind() == Kind::Mistake) {
            let a = c.advise(m, "whatever", "Sam").expect("fallback advice");
            assert!((1..=7).contains(&a.step));
            assert!(!a.rewrite.is_empty() && !a.advice.is_empty());
        }
        assert!(c.advise(Move::IStatement, "I miss you", "Sam").is_none());
    }

    #[test]
    fn rewrites_fit_the_kind_of_line() {
        let c = coach();
        let phones = c
            .advise(Move::Criticism, "You're always on your phone", "Sam")
            .unwrap();
        let work = c
            .advise(Move::Criticism, "You always put work first", "Sam")
            .unwrap();
        assert_ne!(phones.rewrite, work.rewrite);
    }

    #[test]
    fn hints_follow_the_state() {
        let c = coach();
        let start = c.hint(&HintState::default(), "Sam");
        let repair = c.hint(
            &HintState {
                turns: 2,
                last_had_mistake: true,
                ..HintState::default()
            },
            "Sam",
        );
        let plan = c.hint(
            &HintState {
                turns: 6,
                reached: vec![1, 2, 3, 4],
                ..HintState::default()
            },
            "Sam",
        );
        assert!(!start.is_empty() && !repair.is_empty() && !plan.is_empty());
        assert_ne!(start, repair);
        assert_ne!(repair, plan);
    }
}
