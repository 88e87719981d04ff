//! Coaching: for a mistake line, a better phrasing tied to the guide step it breaks; for
//! `/hint`, what the guide would try next given the steps still missing and the partner's
//! state. The advice is data (`rules/coach.ron`): each rewrite can be limited to lines that
//! match a pattern, so the suggestion fits the kind of line (a criticism about phones gets
//! a different rewrite from one about work), with a general fallback per move.

use crate::moves::{Kind, Move, Step};
use crate::text::{Substitutions, normalize};
use regex::Regex;
use serde::Deserialize;

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
    /// The scene opens at a hard moment, no better time has been offered yet, and it is
    /// still early enough for that to count (the scorecard's "Pick a calm moment").
    BadMoment,
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
    /// Compiled on first use: start-up pays only for a syntax check.
    when: Option<LazyRegex>,
    step: Step,
    advice: String,
    rewrite: String,
}

/// A regex whose syntax was checked, compiled the first time it is needed.
struct LazyRegex {
    source: String,
    regex: std::sync::OnceLock<Regex>,
}

impl LazyRegex {
    fn new(source: String) -> Result<LazyRegex, String> {
        regex_syntax::Parser::new()
            .parse(&source)
            .map_err(|e| e.to_string())?;
        Ok(LazyRegex {
            source,
            regex: std::sync::OnceLock::new(),
        })
    }

    fn is_match(&self, text: &str) -> bool {
        self.regex
            .get_or_init(|| Regex::new(&self.source).expect("syntax checked when parsed"))
            .is_match(text)
    }
}

/// The state `/hint` looks at.
#[derive(Debug, Clone, Default)]
pub struct HintState {
    pub turns: usize,
    pub last_had_mistake: bool,
    pub after_space_request: bool,
    pub low_openness: bool,
    /// The scene opens at a hard moment and no better time has been offered yet, early
    /// enough for offering one to count.
    pub bad_moment: bool,
    /// Steps reached so far (1–7).
    pub reached: Vec<u8>,
    /// How many hints were already given (to vary the wording).
    pub asked: usize,
}

/// The built-in coaching data, parsed on another thread while the brief is read: off the
/// way to the first prompt. `get` waits for it the first time it is needed.
pub struct Pending {
    ready: std::sync::OnceLock<Coach>,
    building: std::sync::Mutex<Option<std::thread::JoinHandle<Coach>>>,
    substitutions: Substitutions,
}

impl Pending {
    pub fn builtin(substitutions: &Substitutions) -> Pending {
        let subs = substitutions.clone();
        let building = std::thread::Builder::new()
            .name("coach".into())
            .spawn(move || Coach::builtin(&subs))
            .ok();
        Pending {
            ready: std::sync::OnceLock::new(),
            building: std::sync::Mutex::new(building),
            substitutions: substitutions.clone(),
        }
    }

    pub fn get(&self) -> &Coach {
        self.ready.get_or_init(|| {
            let building = self
                .building
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            // If the thread could not start (or failed), build it here.
            building
                .and_then(|h| h.join().ok())
                .unwrap_or_else(|| Coach::builtin(&self.substitutions))
        })
    }
}

/// The coaching data, compiled.
pub struct Coach {
    rewrites: Vec<Rewrite>,
    hints: Vec<(HintWhen, Vec<String>)>,
    substitutions: Substitutions,
}

impl Coach {
    /// The built-in coaching data. It is tested, so a failure here is a build defect.
    pub fn builtin(substitutions: &Substitutions) -> Coach {
        Coach::parse(BUILTIN_COACH, substitutions).expect("built-in rules/coach.ron is valid")
    }

    pub fn parse(source: &str, substitutions: &Substitutions) -> Result<Coach, String> {
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
                Some(LazyRegex::new(joined).map_err(|e| format!("{}: {e}", r.mv))?)
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

    /// A better phrasing for a mistake in a played turn. Right after the partner asked for
    /// space any further push reads as pursuit, so there the better move is to give the
    /// space asked for, whatever the line was.
    pub fn advise_turn(&self, mv: Move, t: &crate::session::Turn, partner: &str) -> Option<Advice> {
        if t.after_space_request
            && let Some(mut a) = self.advise(Move::Pursuit, "you asked for space", partner)
        {
            a.mv = mv;
            return Some(a);
        }
        self.advise(mv, &t.user, partner)
    }

    /// What the guide would try next.
    pub fn hint(&self, st: &HintState, partner: &str) -> String {
        let applies = |w: HintWhen| match w {
            HintWhen::BadMoment => st.bad_moment,
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
    fn every_built_in_condition_compiles() {
        for r in &coach().rewrites {
            if let Some(w) = &r.when {
                assert!(Regex::new(&w.source).is_ok(), "{}", w.source);
            }
        }
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

    /// Realistic lines per mistake, each on a different topic or to a different person;
    /// every one should get its own rewrite.
    const TOPICAL_LINES: &[(Move, &[&str])] = &[
        (
            Move::Criticism,
            &[
                "You're always on your phone.",
                "You always put work first.",
                "u never text me back",
                "You never lift a finger around the house.",
                "You never touch me anymore.",
                "You always take your mother's side.",
                "You're always out with your mates.",
                "You're always spending money on rubbish.",
                "Mum, you never listen to a word I say.",
                "What is wrong with you lately?",
            ],
        ),
        (
            Move::Contempt,
            &[
                "Oh great, another thrilling night of watching you stare at a laptop.",
                "Wow, another evening glued to TikTok. Riveting.",
                "Oh poor you, what a hard life.",
                "Oh so NOW you want to talk.",
                "Do you want a medal for doing the dishes?",
                "Run back to mummy then, you're such a mummy's boy.",
                "Grow up.",
                "Another parcel? Big spender.",
            ],
        ),
        (
            Move::Defensiveness,
            &[
                "Well what about you? You're glued to your phone just as much.",
                "I work too, you know.",
                "It's not my fault your mother rang.",
                "I did every school run this week!",
                "My phone died, I couldn't text you back.",
                "It was my own money, I can spend it how I like.",
                "Oh, so now it's my fault?",
                "I was only trying to help!",
            ],
        ),
        (
            Move::Dismissing,
            &[
                "Everyone has deadlines.",
                "Come on, it's only money.",
                "Stop being so dramatic about your sister.",
                "You're overreacting, it was one dinner with my parents.",
                "Your dad being in hospital isn't a reason to shut me out.",
                "That's no excuse for not texting back.",
                "I don't see why you're so upset, it was a joke.",
                "Everybody has bad weeks with the kids.",
            ],
        ),
        (
            Move::KitchenSinking,
            &[
                "You did this with your ex as well.",
                "And not to mention the money you spent on that bike.",
                "This is just like last Christmas.",
                "And another thing, you still haven't fixed the shed door.",
                "You're always on your phone, just like on our honeymoon.",
                "And don't get me started on your golf weekends.",
                "Same as when you forgot to pick me up in 2019.",
                "Not to mention how your mother spoke to me.",
            ],
        ),
        (
            Move::Pursuit,
            &[
                "Sis, you can't keep ghosting me. Call me back tonight.",
                "Mom, I've called you four times, pick up the phone.",
                "why wont u answer my texts??",
                "Talk to me right now.",
                "Don't walk away from me!",
                "I know you said you wanted space, but can we just do this now?",
                "Mate, why are you blanking me? Reply!",
                "Put the laptop down and talk to me.",
            ],
        ),
        (
            Move::AssumingIntent,
            &[
                "You're bored of me, aren't you.",
                "You'd rather be at the office anyway.",
                "You're planning to leave, I can tell.",
                "You're ignoring my texts on purpose.",
                "You're doing this on purpose to punish me.",
                "You care more about your phone than me.",
                "I know you'd rather be down the pub with your mates.",
                "You're clearly trying to get out of seeing my parents.",
                "You don't even want to touch me anymore.",
            ],
        ),
    ];

    #[test]
    fn every_mistake_gets_different_rewrites_for_different_topics() {
        let c = coach();
        for &(mv, lines) in TOPICAL_LINES {
            let mut seen: Vec<(String, &str)> = Vec::new();
            for line in lines.iter() {
                let a = c.advise(mv, line, "Sam").expect("advice");
                if let Some((_, other)) = seen.iter().find(|(r, _)| *r == a.rewrite) {
                    panic!(
                        "{mv}: {line:?} and {other:?} get the same rewrite {:?}",
                        a.rewrite
                    );
                }
                seen.push((a.rewrite, line));
            }
        }
    }

    #[test]
    fn each_move_has_tailored_rewrites_and_its_fallback_last() {
        let raw: RawCoach = ron::from_str(BUILTIN_COACH).unwrap();
        for &m in Move::ALL.iter().filter(|m| m.kind() == Kind::Mistake) {
            let own: Vec<&RawRewrite> = raw.rewrites.iter().filter(|r| r.mv == m.name()).collect();
            let tailored = own.iter().filter(|r| !r.when.is_empty()).count();
            assert!(
                (6..=9).contains(&tailored),
                "{m}: {tailored} tailored rewrites"
            );
            assert!(
                own.last().unwrap().when.is_empty(),
                "{m}: the fallback must come last"
            );
            let mut rewrites: Vec<&str> = own.iter().map(|r| r.rewrite.as_str()).collect();
            rewrites.sort();
            rewrites.dedup();
            assert_eq!(
                rewrites.len(),
                own.len(),
                "{m}: two entries share a rewrite"
            );
        }
    }

    #[test]
    fn every_rewrite_reads_as_a_practice_and_no_mistake() {
        use crate::classify::{Classifier, Context};
        let classifier = Classifier::builtin();
        let raw: RawCoach = ron::from_str(BUILTIN_COACH).unwrap();
        let mut bad = Vec::new();
        for r in &raw.rewrites {
            let text = r.rewrite.replace("{partner}", "Sam");
            let mut contexts = vec![Context::default()];
            if r.mv == Move::Pursuit.name() {
                // Pursuit often follows a request for space: the better line must not
                // read as pushing again in that moment either.
                contexts.push(Context {
                    after_space_request: true,
                });
            }
            for ctx in contexts {
                let found = classifier.classify(&text, ctx).distinct_moves();
                let practice = found.iter().any(|m| m.kind() == Kind::Practice);
                let mistakes: Vec<&Move> =
                    found.iter().filter(|m| m.kind() == Kind::Mistake).collect();
                if !practice || !mistakes.is_empty() {
                    bad.push(format!("{} ({ctx:?}): {text:?} -> {found:?}", r.mv));
                }
            }
        }
        assert!(
            bad.is_empty(),
            "rewrites that do not model a practice:\n{}",
            bad.join("\n")
        );
    }

    #[test]
    fn every_rewrite_carries_out_its_own_step() {
        use crate::classify::{Classifier, Context};
        let classifier = Classifier::builtin();
        let raw: RawCoach = ron::from_str(BUILTIN_COACH).unwrap();
        let mut bad = Vec::new();
        for r in &raw.rewrites {
            let step = Step::ALL.iter().find(|s| s.number() == r.step).unwrap();
            let found = classifier
                .classify(&r.rewrite, Context::default())
                .distinct_moves();
            if !step.moves().iter().any(|m| found.contains(m)) {
                bad.push(format!(
                    "{} step {}: {:?} -> {found:?}",
                    r.mv, r.step, r.rewrite
                ));
            }
        }
        assert!(
            bad.is_empty(),
            "rewrites that do not read as their step:\n{}",
            bad.join("\n")
        );
    }

    /// The lines a hint quotes as examples (between double quotes).
    fn quoted(hint: &str) -> Vec<String> {
        hint.split('"')
            .skip(1)
            .step_by(2)
            .map(|q| q.replace("{partner}", "Sam"))
            .collect()
    }

    #[test]
    fn every_line_a_hint_suggests_reads_as_a_practice_and_no_mistake() {
        use crate::classify::{Classifier, Context};
        let classifier = Classifier::builtin();
        let raw: RawCoach = ron::from_str(BUILTIN_COACH).unwrap();
        let mut bad = Vec::new();
        for h in &raw.hints {
            let ctx = Context {
                after_space_request: h.when == HintWhen::AfterSpaceRequest,
            };
            for text in &h.texts {
                let lines = quoted(text);
                assert!(!lines.is_empty(), "{:?}: no example in {text:?}", h.when);
                for line in lines {
                    let found = classifier.classify(&line, ctx).distinct_moves();
                    let practice = found.iter().any(|m| m.kind() == Kind::Practice);
                    let mistake = found.iter().any(|m| m.kind() == Kind::Mistake);
                    // A hint for a missing step must model that step.
                    let step_ok = match h.when {
                        HintWhen::MissingStep(n) => Step::ALL
                            .iter()
                            .find(|s| s.number() == n)
                            .is_some_and(|s| s.moves().iter().any(|m| found.contains(m))),
                        _ => true,
                    };
                    if !practice || mistake || !step_ok {
                        bad.push(format!("{:?}: {line:?} -> {found:?}", h.when));
                    }
                }
            }
        }
        assert!(
            bad.is_empty(),
            "hints that suggest lines the classifier does not read as meant:\n{}",
            bad.join("\n")
        );
    }

    #[test]
    fn hints_vary_when_asked_again_in_every_situation() {
        let raw: RawCoach = ron::from_str(BUILTIN_COACH).unwrap();
        for h in &raw.hints {
            assert!(
                (3..=5).contains(&h.texts.len()),
                "{:?}: {} texts",
                h.when,
                h.texts.len()
            );
        }
        let c = coach();
        let states = [
            HintState::default(),
            HintState {
                turns: 3,
                after_space_request: true,
                ..HintState::default()
            },
            HintState {
                turns: 3,
                last_had_mistake: true,
                ..HintState::default()
            },
            HintState {
                turns: 3,
                low_openness: true,
                ..HintState::default()
            },
            HintState {
                turns: 8,
                reached: vec![1, 2, 3, 4, 5, 6, 7],
                ..HintState::default()
            },
        ];
        for st in states {
            let first = c.hint(&st, "Sam");
            let again = c.hint(
                &HintState {
                    asked: 1,
                    ..st.clone()
                },
                "Sam",
            );
            assert!(!first.is_empty() && !first.contains("{partner}"));
            assert_ne!(first, again, "{st:?}");
        }
        // Each missing step gets its own hint once the earlier steps are reached.
        let mut seen = Vec::new();
        for n in 1..=7u8 {
            let st = HintState {
                turns: 5,
                reached: (1..n).collect(),
                ..HintState::default()
            };
            let h = c.hint(&st, "Sam");
            assert!(!seen.contains(&h), "step {n}: {h}");
            seen.push(h);
        }
    }
}
