//! The scorecard: how the talk went against the guide, with turn numbers as evidence.
//!
//! A pure function of the scenario, the turns and the end. The score's parts are listed so
//! the user sees why: steps reached, their order, the partner's final openness, the
//! outcome, and the mistakes.

use crate::moves::{Kind, Move, Step};
use crate::scenario::{Outcome, Scenario};
use crate::session::{End, Turn, ending_outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const POINTS_PER_STEP: i32 = 6;
pub const ORDER_POINTS: i32 = 8;
pub const OPENNESS_POINTS: i32 = 30;
pub const GOOD_ENDING_POINTS: i32 = 20;
pub const NEUTRAL_ENDING_POINTS: i32 = 10;
pub const POINTS_PER_MISTAKE: i32 = 4;
pub const MISTAKE_CAP: i32 = 40;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepResult {
    pub step: u8,
    pub title: String,
    /// The first turn that carried out this step.
    pub achieved_turn: Option<u32>,
    /// The move that did it.
    #[serde(rename = "move")]
    pub by: Option<Move>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Part {
    pub label: String,
    pub points: i32,
    pub max: i32,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scorecard {
    pub score: u32,
    /// The ending id if one fired, else the partner's final band.
    pub outcome: String,
    /// good, bad or neutral when an ending fired.
    pub outcome_kind: Option<String>,
    pub reason: String,
    pub turns: u32,
    pub final_openness: i32,
    pub band: String,
    pub steps: Vec<StepResult>,
    /// Steps reached in the guide's order (pairs in order / pairs compared).
    pub order: (u32, u32),
    /// For each mistake move, the turns where it happened.
    pub mistakes: BTreeMap<String, Vec<u32>>,
    /// For each practice, the turns where it happened.
    pub practices: BTreeMap<String, Vec<u32>>,
    /// Openness at the start and after each turn.
    pub openness_curve: Vec<i32>,
    pub revealed: Vec<String>,
    pub reveals_total: usize,
    pub parts: Vec<Part>,
    /// Reflections to questions, as in motivational-interviewing coding (MITI).
    #[serde(default)]
    pub listening: Listening,
    /// The guide's prerequisites, where the talk shows them.
    #[serde(default)]
    pub prerequisites: Vec<Prerequisite>,
    /// A better phrasing for each mistake line (filled in with [`add_advice`]).
    #[serde(default)]
    pub advice: Vec<TurnAdvice>,
}

/// Reflections to questions: 1:1 is the usual "fair" mark, 2:1 "good".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Listening {
    pub reflections: u32,
    pub questions: u32,
    /// reflections / questions, when there was a question.
    pub ratio: Option<f64>,
    /// `good` (>= 2:1), `fair` (>= 1:1), `below fair`, or `no questions`.
    pub mark: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prerequisite {
    pub name: String,
    pub met: bool,
    pub note: String,
}

/// The coach's better phrasing for one mistake line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnAdvice {
    pub turn: u32,
    #[serde(rename = "move")]
    pub mv: Move,
    pub step: u8,
    pub advice: String,
    pub rewrite: String,
}

/// Add the coach's better phrasing for every mistake line of `turns`.
pub fn add_advice(
    card: &mut Scorecard,
    turns: &[Turn],
    coach: &crate::coach::Coach,
    partner: &str,
) {
    card.advice = turns
        .iter()
        .flat_map(|t| {
            t.moves
                .iter()
                .filter(|m| m.kind == Kind::Mistake)
                .filter_map(move |m| coach.advise_turn(m.mv, t, partner).map(|a| (t.n, a)))
        })
        .map(|(turn, a)| TurnAdvice {
            turn,
            mv: a.mv,
            step: a.step,
            advice: a.advice,
            rewrite: a.rewrite,
        })
        .collect();
}

fn listening(turns: &[Turn]) -> Listening {
    let has = |t: &Turn, m: Move| t.moves.iter().any(|x| x.mv == m);
    let reflections = turns
        .iter()
        .filter(|t| has(t, Move::ReflectiveListening))
        .count() as u32;
    // A question asks the partner for something to tell: an open question, or a line
    // ending in '?' that is not a reflection checked with a rising tone ("so it's the
    // deadline?") nor an offer ("coffee on Saturday?", "check in on Sunday?").
    let offer = |t: &Turn| {
        [
            Move::ConcretePlan,
            Move::FollowUp,
            Move::Playfulness,
            Move::GivingSpace,
        ]
        .iter()
        .any(|&m| has(t, m))
    };
    let questions = turns
        .iter()
        .filter(|t| {
            has(t, Move::OpenQuestion)
                || (t.user.contains('?') && !has(t, Move::ReflectiveListening) && !offer(t))
        })
        .count() as u32;
    let ratio = (questions > 0).then(|| f64::from(reflections) / f64::from(questions));
    let mark = match ratio {
        None => "no questions",
        Some(r) if r >= 2.0 => "good",
        Some(r) if r >= 1.0 => "fair",
        Some(_) => "below fair",
    };
    Listening {
        reflections,
        questions,
        ratio,
        mark: mark.into(),
    }
}

fn prerequisites(sc: &Scenario, turns: &[Turn]) -> Vec<Prerequisite> {
    let mut out = Vec::new();
    if let Some(first) = turns.first() {
        let hot = first.moves.iter().find(|m| m.kind == Kind::Mistake);
        out.push(Prerequisite {
            name: "Come in curious, not accusing".into(),
            met: hot.is_none(),
            note: match hot {
                None => "Your first line carried no mistake.".into(),
                Some(m) => format!(
                    "Your first line was {}. The guide asks you to check your own state before you start; if it is panic, take fifteen minutes to settle first.",
                    m.mv.label()
                ),
            },
        });
    }
    // Judged once the talk has begun: before the first line nothing was missed yet.
    if let Some(moment) = sc.moment.as_ref().filter(|_| !turns.is_empty()) {
        let deferred = offered_a_better_time(turns);
        out.push(Prerequisite {
            name: "Pick a calm moment".into(),
            met: deferred,
            note: if deferred {
                format!("{moment} You offered a better time, or space, early on.")
            } else {
                format!(
                    "{moment} The guide suggests a calm time with an hour free: offering to talk later is a good first move here."
                )
            },
        });
    }
    out
}

/// An ending's id as words ("left it there").
fn ending_words(e: &End) -> String {
    crate::term::readable_id(e.ending.as_deref().unwrap_or(""))
}

/// Turns within which offering a better time, or space, meets a hard moment.
pub const MOMENT_TURNS: usize = 3;

/// Whether one of the first [`MOMENT_TURNS`] lines offered a better time or space: what
/// the guide asks for when the talk opens at a hard moment.
pub fn offered_a_better_time(turns: &[Turn]) -> bool {
    turns.iter().take(MOMENT_TURNS).any(|t| {
        t.moves.iter().any(|m| {
            matches!(
                m.mv,
                Move::GivingSpace | Move::FollowUp | Move::ConcretePlan
            )
        })
    })
}

impl Scorecard {
    pub fn mistake_count(&self) -> usize {
        self.mistakes.values().map(Vec::len).sum()
    }
}

/// Score a session.
pub fn score(sc: &Scenario, turns: &[Turn], end: Option<&End>) -> Scorecard {
    let mut mistakes: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut practices: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for &m in Move::ALL {
        match m.kind() {
            Kind::Mistake => mistakes.insert(m.name().to_string(), Vec::new()),
            Kind::Practice => practices.insert(m.name().to_string(), Vec::new()),
        };
    }
    for t in turns {
        for mm in &t.moves {
            let map = match mm.kind {
                Kind::Mistake => &mut mistakes,
                Kind::Practice => &mut practices,
            };
            map.entry(mm.mv.name().to_string()).or_default().push(t.n);
        }
    }

    let steps: Vec<StepResult> = Step::ALL
        .iter()
        .map(|&step| {
            let hit = turns.iter().find_map(|t| {
                t.moves
                    .iter()
                    .find(|m| step.moves().contains(&m.mv))
                    .map(|m| (t.n, m.mv))
            });
            StepResult {
                step: step.number(),
                title: step.title().to_string(),
                achieved_turn: hit.map(|h| h.0),
                by: hit.map(|h| h.1),
            }
        })
        .collect();

    let reached: Vec<(u8, u32)> = steps
        .iter()
        .filter_map(|s| s.achieved_turn.map(|t| (s.step, t)))
        .collect();
    let (mut in_order, mut pairs) = (0u32, 0u32);
    for (i, a) in reached.iter().enumerate() {
        for b in &reached[i + 1..] {
            pairs += 1;
            if a.1 <= b.1 {
                in_order += 1;
            }
        }
    }

    let final_openness = turns.last().map_or(sc.openness, |t| t.openness);
    let outcome_kind = end.and_then(|e| ending_outcome(sc, e));
    let n_reached = reached.len() as i32;
    let n_mistakes = mistakes.values().map(Vec::len).sum::<usize>() as i32;

    let mut parts = vec![Part {
        label: "Guide steps reached".into(),
        points: n_reached * POINTS_PER_STEP,
        max: 7 * POINTS_PER_STEP,
        detail: format!("{n_reached} of 7, {POINTS_PER_STEP} points each"),
    }];
    parts.push(Part {
        label: "Steps in the guide's order".into(),
        points: if pairs == 0 {
            0
        } else {
            (ORDER_POINTS as f64 * f64::from(in_order) / f64::from(pairs)).round() as i32
        },
        max: ORDER_POINTS,
        detail: if pairs == 0 {
            "reach at least two steps to judge their order".into()
        } else {
            format!("{in_order} of {pairs} pairs of steps came in the guide's order")
        },
    });
    parts.push(Part {
        label: format!("{}'s openness at the end", sc.partner),
        points: (OPENNESS_POINTS as f64 * f64::from(final_openness) / 100.0).round() as i32,
        max: OPENNESS_POINTS,
        detail: format!(
            "{final_openness}/100 ({}), from {} at the start",
            crate::term::readable_id(sc.band_name(final_openness)),
            sc.openness
        ),
    });
    let (outcome_points, outcome_detail) = match (outcome_kind, end) {
        (Some(Outcome::Good), Some(e)) => (
            GOOD_ENDING_POINTS,
            format!("a good ending, {}", ending_words(e)),
        ),
        (Some(Outcome::Neutral), Some(e)) => (
            NEUTRAL_ENDING_POINTS,
            format!("a neutral ending, {}", ending_words(e)),
        ),
        (Some(Outcome::Bad), Some(e)) => (0, format!("a bad ending, {}", ending_words(e))),
        (_, None) => (0, "no ending yet: the talk is still going".into()),
        _ => (
            0,
            "the talk ended before any of the scenario's endings".into(),
        ),
    };
    parts.push(Part {
        label: "Outcome".into(),
        points: outcome_points,
        max: GOOD_ENDING_POINTS,
        detail: outcome_detail,
    });
    parts.push(Part {
        label: "Mistakes".into(),
        points: -(n_mistakes * POINTS_PER_MISTAKE).min(MISTAKE_CAP),
        max: 0,
        detail: format!("{n_mistakes} × -{POINTS_PER_MISTAKE} (at most -{MISTAKE_CAP})"),
    });
    let total: i32 = parts.iter().map(|p| p.points).sum();

    let outcome = end
        .and_then(|e| e.ending.clone())
        .unwrap_or_else(|| sc.band_name(final_openness).to_string());
    let mut openness_curve = vec![sc.openness];
    openness_curve.extend(turns.iter().map(|t| t.openness));
    let revealed: Vec<String> = turns.iter().filter_map(|t| t.reveal.clone()).collect();

    Scorecard {
        score: total.clamp(0, 100) as u32,
        outcome,
        outcome_kind: outcome_kind.map(|o| o.name().to_string()),
        reason: end.map_or_else(|| "in_progress".to_string(), |e| e.reason.clone()),
        turns: turns.len() as u32,
        final_openness,
        band: sc.band_name(final_openness).to_string(),
        steps,
        order: (in_order, pairs),
        mistakes,
        practices,
        openness_curve,
        revealed,
        reveals_total: sc.reveals.len(),
        parts,
        listening: listening(turns),
        prerequisites: prerequisites(sc, turns),
        advice: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Classifier;
    use crate::session::{Session, StepResult};

    const FIXTURE: &str = include_str!("../tests/fixtures/scenarios/ok/small-talk.ron");

    fn play(lines: &[&str]) -> Scorecard {
        let sc = Scenario::parse("small-talk.ron", FIXTURE).unwrap();
        let cl = Classifier::builtin();
        let mut s = Session::new(&sc, &cl, 1);
        for l in lines {
            assert!(matches!(s.step(l), StepResult::Turn(_)), "{l}");
        }
        s.finish("end_of_input");
        score(&sc, s.turns(), s.end())
    }

    #[test]
    fn steps_carry_the_turn_that_reached_them() {
        let card = play(&["I miss you.", "What has been going on?", "Hmm."]);
        assert_eq!(card.steps.len(), 7);
        assert_eq!(card.steps[0].achieved_turn, Some(1));
        assert_eq!(card.steps[1].achieved_turn, Some(2));
        assert_eq!(card.steps[4].achieved_turn, None);
        assert_eq!(card.order, (1, 1));
    }

    #[test]
    fn parts_add_up_to_the_score() {
        let card = play(&["I miss you.", "You never call.", "That makes sense."]);
        let sum: i32 = card.parts.iter().map(|p| p.points).sum();
        assert_eq!(card.score as i32, sum.clamp(0, 100));
        assert_eq!(card.mistakes["criticism"], vec![2]);
        assert_eq!(card.mistake_count(), 1);
        assert_eq!(
            card.outcome, card.band,
            "no ending fired: the band is the outcome"
        );
        assert_eq!(card.openness_curve.len(), 4);
    }

    #[test]
    fn a_good_ending_scores_higher_than_a_bad_one() {
        let good = play(&[
            "I miss you.",
            "What has been going on for you?",
            "That makes sense.",
            "Let's get coffee on Saturday morning.",
        ]);
        let bad = play(&["You never call.", "Grow up.", "Oh, poor you."]);
        assert_eq!(good.outcome, "reconnected", "{good:#?}");
        assert_eq!(bad.outcome, "walked_away");
        assert!(
            good.score > bad.score + 30,
            "{} vs {}",
            good.score,
            bad.score
        );
    }
}

#[cfg(test)]
mod listening_tests {
    use super::*;
    use crate::classify::Classifier;
    use crate::session::Session;

    #[test]
    fn reflections_to_questions_and_prerequisites() {
        let src = include_str!("../tests/fixtures/scenarios/ok/small-talk.ron").replace(
            "    max_turns: 12,",
            "    max_turns: 12,\n    moment: \"Jo is about to leave.\",",
        );
        let sc = Scenario::parse("s.ron", &src).unwrap();
        let cl = Classifier::builtin();
        let mut s = Session::new(&sc, &cl, 1);
        for l in [
            "You never call me.",
            "What has been going on for you?",
            "It sounds like you've been stretched really thin.",
            "So what I'm hearing is that the shifts leave you wiped out.",
            "So what you're saying is the shifts are the worst of it?",
            "Could we get coffee on Saturday at 10?",
        ] {
            let _ = s.step(l);
        }
        let card = score(&sc, s.turns(), None);
        assert_eq!(card.listening.questions, 1);
        assert_eq!(
            card.listening.reflections,
            3,
            "a reflection with a rising tone is a reflection, an offer no question: {:?}",
            s.turns()
        );
        assert_eq!(card.listening.mark, "good");
        assert_eq!(card.prerequisites.len(), 2);
        assert!(!card.prerequisites[0].met, "the talk opened with criticism");
        assert!(!card.prerequisites[1].met, "no better time was offered");
        let before = score(&sc, &[], None);
        assert!(
            before.prerequisites.is_empty(),
            "nothing is judged before the first line"
        );
    }
}
