//! The scenario explorer: plays many seeded sessions with forced moves (no text, no
//! classifier) and reports which endings and reveals are reached, how often, and which
//! replies no session ever heard. For scenario authors tuning their deltas and pools.

use crate::classify::{Classification, Classifier, MoveMatch};
use crate::moves::{Kind, Move};
use crate::scenario::Scenario;
use crate::session::{Session, StepResult};
use rand::SeedableRng;
use rand::rand_core::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};

/// How the simulated user behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Mostly the guide's practices, now and then a mistake or small talk.
    Guide,
    /// Any move, uniformly, or none.
    Random,
    /// Mostly mistakes.
    Mistakes,
}

impl Policy {
    pub const ALL: [Policy; 3] = [Policy::Guide, Policy::Random, Policy::Mistakes];

    pub fn name(self) -> &'static str {
        match self {
            Policy::Guide => "guide-following",
            Policy::Random => "random",
            Policy::Mistakes => "mistake-heavy",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct PolicyReport {
    pub sessions: usize,
    /// Ending id (or `turn_limit`) → sessions.
    pub endings: BTreeMap<String, usize>,
    pub mean_turns: f64,
}

#[derive(Debug, Clone, Default)]
pub struct ExploreReport {
    pub policies: Vec<(Policy, PolicyReport)>,
    /// Reveal id → sessions in which it came out.
    pub reveals: BTreeMap<String, usize>,
    /// Endings no session reached.
    pub endings_never: Vec<String>,
    /// (reaction index, reply index) never heard.
    pub replies_never: Vec<(usize, usize)>,
    pub replies_total: usize,
}

fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

fn pick_moves(policy: Policy, rng: &mut ChaCha8Rng) -> Vec<Move> {
    let practices: Vec<Move> = Move::ALL
        .iter()
        .copied()
        .filter(|m| m.kind() == Kind::Practice)
        .collect();
    let mistakes: Vec<Move> = Move::ALL
        .iter()
        .copied()
        .filter(|m| m.kind() == Kind::Mistake)
        .collect();
    let roll = below(rng, 100);
    let (pool, none_share): (&[Move], u64) = match policy {
        Policy::Guide if roll < 85 => (&practices, 5),
        Policy::Guide => (&mistakes, 0),
        Policy::Random => (Move::ALL, 10),
        Policy::Mistakes if roll < 80 => (&mistakes, 5),
        Policy::Mistakes => (&practices, 0),
    };
    if below(rng, 100) < none_share {
        return Vec::new();
    }
    let mut out = vec![pool[below(rng, pool.len() as u64) as usize]];
    // Sometimes a line carries two moves.
    if below(rng, 100) < 25 {
        let second = pool[below(rng, pool.len() as u64) as usize];
        if !out.contains(&second) {
            out.push(second);
        }
    }
    out
}

/// Play `per_policy` sessions with each policy.
pub fn explore(sc: &Scenario, classifier: &Classifier, per_policy: usize) -> ExploreReport {
    let mut report = ExploreReport::default();
    let mut heard: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut endings_seen: BTreeSet<String> = BTreeSet::new();
    for (pi, policy) in Policy::ALL.into_iter().enumerate() {
        let mut pr = PolicyReport {
            sessions: per_policy,
            ..PolicyReport::default()
        };
        let mut turns_total = 0usize;
        for k in 0..per_policy {
            let seed = (pi * per_policy + k) as u64;
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xe8_910e);
            let mut session = Session::new(sc, classifier, seed);
            while !session.is_over() {
                let moves = pick_moves(policy, &mut rng);
                let cls = Classification {
                    moves: moves
                        .iter()
                        .map(|&mv| MoveMatch {
                            mv,
                            kind: mv.kind(),
                            rule: "explore".into(),
                            start: 0,
                            end: 0,
                        })
                        .collect(),
                    safety: None,
                };
                if let StepResult::Turn(t) = session.step_classified("…", cls) {
                    if let (Some(reaction), Some(reply)) = (t.lead_reaction, t.reply_index) {
                        heard.insert((reaction, reply));
                    }
                    if let Some(r) = &t.reveal {
                        *report.reveals.entry(r.clone()).or_default() += 1;
                    }
                }
            }
            turns_total += session.turns().len();
            let end = session.end().expect("the loop runs until the end");
            let key = end.ending.clone().unwrap_or_else(|| end.reason.clone());
            endings_seen.insert(key.clone());
            *pr.endings.entry(key).or_default() += 1;
        }
        pr.mean_turns = turns_total as f64 / per_policy.max(1) as f64;
        report.policies.push((policy, pr));
    }
    report.endings_never = sc
        .endings
        .iter()
        .filter(|e| !endings_seen.contains(&e.id))
        .map(|e| e.id.clone())
        .collect();
    for (ri, r) in sc.reactions.iter().enumerate() {
        for pi in 0..r.replies.len() {
            report.replies_total += 1;
            if !heard.contains(&(ri, pi)) {
                report.replies_never.push((ri, pi));
            }
        }
    }
    report
}
