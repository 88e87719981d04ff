//! Re-running a transcript: the same user lines with the same seed, against the same
//! scenario or another (or an edited) one, and where the outcome differs. Also the
//! review's "what if": each mistake turn replaced by the coach's rewrite.

use crate::classify::Classifier;
use crate::coach::Coach;
use crate::moves::Kind;
use crate::review::WhatIf;
use crate::scenario::Scenario;
use crate::score::{Scorecard, score};
use crate::session::{Session, StepResult, Turn};
use crate::transcript::Transcript;
use serde::Serialize;

/// The first place a replay differs from the transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The turn number (for an ending difference, the last turn).
    pub n: u32,
    /// `reply`, `openness`, `reveal`, `turns` or `ending`.
    pub what: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    pub lines: usize,
    pub first_difference: Option<Difference>,
    pub outcome_before: Option<String>,
    pub outcome_after: String,
    pub score_before: Option<u32>,
    pub score_after: u32,
    pub turns: Vec<Turn>,
    pub scorecard: Scorecard,
}

fn fresh_session<'a>(t: &Transcript, sc: &'a Scenario, cl: &'a Classifier) -> Session<'a> {
    let mut s = Session::new(sc, cl, t.header.seed);
    // The safety notes were already shown in the original; their lines were not kept.
    for rule in &t.safety_notes {
        s.mark_safety_noted(rule);
    }
    s
}

/// Replay the transcript's kept lines against `sc`.
pub fn replay(t: &Transcript, sc: &Scenario, cl: &Classifier) -> ReplayReport {
    let before = t.kept_turns();
    let mut session = fresh_session(t, sc, cl);
    for turn in &before {
        if session.is_over() {
            break;
        }
        let _ = session.step(&turn.user);
    }
    let after: Vec<Turn> = session.turns().to_vec();
    let end_before = t.end.as_ref();
    let stopped_early = after.len() < before.len();
    if !session.is_over() {
        let reason = end_before.map_or("end_of_input", |e| e.reason.as_str());
        // The original ended by quitting or running out of input: end the same way.
        session.finish(if reason == "ending" || reason == "turn_limit" {
            "end_of_input"
        } else {
            reason
        });
    }
    let end_after = session.end().cloned();
    let card = score(sc, &after, end_after.as_ref());

    let mut diff = None;
    for (a, b) in before.iter().zip(&after) {
        let d = if a.partner != b.partner {
            Some(("reply", a.partner.clone(), b.partner.clone()))
        } else if a.openness != b.openness {
            Some(("openness", a.openness.to_string(), b.openness.to_string()))
        } else if a.reveal != b.reveal {
            let show = |r: &Option<String>| r.clone().unwrap_or_else(|| "none".into());
            Some(("reveal", show(&a.reveal), show(&b.reveal)))
        } else {
            None
        };
        if let Some((what, x, y)) = d {
            diff = Some(Difference {
                n: a.n,
                what: what.into(),
                before: x,
                after: y,
            });
            break;
        }
    }
    let outcome_before = end_before.and_then(|e| {
        e.scorecard
            .get("outcome")
            .and_then(|o| o.as_str())
            .map(str::to_string)
    });
    if diff.is_none() && stopped_early {
        let n = after.last().map_or(0, |t| t.n);
        diff = Some(Difference {
            n,
            what: "turns".into(),
            before: format!("{} turns", before.len()),
            after: format!("the talk ended after turn {n}"),
        });
    }
    if diff.is_none()
        && let Some(ob) = &outcome_before
        && *ob != card.outcome
    {
        diff = Some(Difference {
            n: after.last().map_or(0, |t| t.n),
            what: "ending".into(),
            before: ob.clone(),
            after: card.outcome.clone(),
        });
    }
    let score_before = end_before.and_then(|e| {
        e.scorecard
            .get("score")
            .and_then(serde_json::Value::as_u64)
            .map(|s| s as u32)
    });
    ReplayReport {
        lines: before.len(),
        first_difference: diff,
        outcome_before,
        outcome_after: card.outcome.clone(),
        score_before,
        score_after: card.score,
        turns: after,
        scorecard: card,
    }
}

/// How a talk whose end event is missing (the program was killed, or the file was cut)
/// ended: replaying its kept lines, if every turn comes out as recorded and the last one
/// reached one of the scenario's endings or its turn limit, that end. `None` when the
/// replay differs or the talk was simply still going.
pub fn recover_end(t: &Transcript, sc: &Scenario, cl: &Classifier) -> Option<crate::session::End> {
    let before = t.kept_turns();
    let mut session = fresh_session(t, sc, cl);
    for turn in &before {
        if session.is_over() {
            return None;
        }
        let _ = session.step(&turn.user);
    }
    let same = session.turns().len() == before.len()
        && before
            .iter()
            .zip(session.turns())
            .all(|(a, b)| a.partner == b.partner && a.openness == b.openness);
    if same && session.is_over() {
        session.end().cloned()
    } else {
        None
    }
}

/// For each kept mistake turn: the coach's rewrite, and what the partner would have said
/// to it, running the engine from that turn with the same seed.
pub fn what_if(t: &Transcript, sc: &Scenario, cl: &Classifier, coach: &Coach) -> Vec<WhatIf> {
    let kept = t.kept_turns();
    let mut out = Vec::new();
    for (i, turn) in kept.iter().enumerate() {
        let Some(mistake) = turn.moves.iter().find(|m| m.kind == Kind::Mistake) else {
            continue;
        };
        let Some(advice) = coach.advise_turn(mistake.mv, turn, &sc.partner) else {
            continue;
        };
        let mut session = fresh_session(t, sc, cl);
        for earlier in &kept[..i] {
            let _ = session.step(&earlier.user);
        }
        if session.is_over() {
            break;
        }
        if let StepResult::Turn(alt) = session.step(&advice.rewrite) {
            out.push(WhatIf {
                n: turn.n,
                advice,
                partner: alt.partner,
                openness: alt.openness,
                band: alt.band,
            });
        }
    }
    out
}
