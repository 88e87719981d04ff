//! The guide's step 7 made real: when a talk ends with a concrete plan and a follow-up
//! agreed, the plan is saved; the next `play` of that scenario can start with the "two
//! weeks later" check-in, in which the partner refers back to the plan. Whether it went
//! well or only partly depends on the seed and on what was agreed.

use crate::moves::Move;
use crate::scenario::{Outcome, Scenario};
use crate::session::{End, Turn, ending_outcome};
use rand::SeedableRng;
use rand::rand_core::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What the user agreed, in their own words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub scenario: String,
    /// The line that carried the concrete plan.
    pub plan: String,
    /// The line that set the follow-up.
    pub follow_up: String,
    /// The line that named a specific need, if any.
    #[serde(default)]
    pub need: Option<String>,
    pub agreed: String,
}

/// How the plan went, two weeks on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Went {
    Well,
    Partly,
}

/// Recorded in a transcript header, so replay can rebuild the same check-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckIn {
    pub plan: Plan,
    pub went: Went,
}

/// The plan a finished talk agreed, if it agreed one: a concrete plan and a follow-up,
/// and an ending that was not a bad one.
pub fn agreed(sc: &Scenario, turns: &[Turn], end: &End, date: &str) -> Option<Plan> {
    if ending_outcome(sc, end) == Some(Outcome::Bad) {
        return None;
    }
    let line_with = |m: Move| {
        turns
            .iter()
            .rev()
            .find(|t| t.moves.iter().any(|x| x.mv == m))
            .map(|t| t.user.clone())
    };
    Some(Plan {
        scenario: sc.id.clone(),
        plan: line_with(Move::ConcretePlan)?,
        follow_up: line_with(Move::FollowUp)?,
        need: line_with(Move::SpecificNeed),
        agreed: date.to_string(),
    })
}

/// Well or partly: more likely well when a specific need was named too.
pub fn went(plan: &Plan, seed: u64) -> Went {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_c4ec_1a00_0007);
    let chance_well: u64 = if plan.need.is_some() { 70 } else { 50 };
    if ((u128::from(rng.next_u64()) * 100) >> 64) < u128::from(chance_well) {
        Went::Well
    } else {
        Went::Partly
    }
}

/// The scenario, set two weeks later: the partner opens by referring back to the plan.
pub fn apply(sc: &Scenario, c: &CheckIn) -> Scenario {
    let mut out = sc.clone();
    let quote: String = c.plan.plan.chars().take(160).collect();
    let (openness, text) = match (&sc.check_in, c.went) {
        (Some(t), Went::Well) => (t.openness, t.went_well.clone()),
        (Some(t), Went::Partly) => ((t.openness - 15).max(0), t.partly.clone()),
        (None, Went::Well) => (
            (sc.openness + 25).clamp(55, 100),
            "*looks up, and this time smiles* Two weeks, huh. We said \"{plan}\". I think it's actually been helping.".to_string(),
        ),
        (None, Went::Partly) => (
            (sc.openness + 10).min(100),
            "*hesitates* So... we said \"{plan}\". Honestly, it's been on and off. Can we talk about it?".to_string(),
        ),
    };
    out.openness = openness;
    out.opening = text.replace("{plan}", &quote);
    out.brief = format!(
        "Two weeks ago, at the end of your last talk with {}, you agreed: \"{quote}\", and to check in: \"{}\". This is that check-in.",
        sc.partner,
        c.plan.follow_up.chars().take(160).collect::<String>()
    );
    out.goal = "Check in warmly on the plan: notice what worked, listen to what didn't, and adjust it together.".into();
    out.title = format!("{} — two weeks later", sc.title);
    out
}

/// Where the saved plan for a scenario lives.
pub fn plan_path(data: &Path, scenario: &str) -> PathBuf {
    data.join("plans").join(format!("{scenario}.json"))
}

pub fn save(data: &Path, plan: &Plan) -> std::io::Result<()> {
    let dir = data.join("plans");
    crate::paths::private_dir(&dir)?;
    let mut f = crate::paths::private_new(&plan_path(data, &plan.scenario))?;
    serde_json::to_writer_pretty(&mut f, plan)?;
    Ok(())
}

/// The saved plan for a scenario, if there is a readable one.
pub fn load(data: &Path, scenario: &str) -> Option<Plan> {
    let text = std::fs::read_to_string(plan_path(data, scenario)).ok()?;
    serde_json::from_str(&text).ok()
}

pub fn remove(data: &Path, scenario: &str) {
    let _ = std::fs::remove_file(plan_path(data, scenario));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(need: bool) -> Plan {
        Plan {
            scenario: "s".into(),
            plan: "Let's eat together on Friday at 7.".into(),
            follow_up: "Let's check in next Sunday.".into(),
            need: need.then(|| "I need an evening a week.".to_string()),
            agreed: "2026-11-23T00:00:00Z".into(),
        }
    }

    #[test]
    fn the_seed_decides_and_a_named_need_helps() {
        let well = |need| {
            (0..400)
                .filter(|&s| went(&plan(need), s) == Went::Well)
                .count()
        };
        assert_eq!(went(&plan(true), 5), went(&plan(true), 5));
        let (with, without) = (well(true), well(false));
        assert!(with > without, "{with} vs {without}");
        assert!(without > 120 && without < 280, "{without}");
    }

    #[test]
    fn the_check_in_quotes_the_plan() {
        let src = include_str!("../tests/fixtures/scenarios/ok/small-talk.ron");
        let sc = Scenario::parse("s.ron", src).unwrap();
        for went in [Went::Well, Went::Partly] {
            let c = CheckIn {
                plan: plan(false),
                went,
            };
            let out = apply(&sc, &c);
            assert!(out.opening.contains("Let's eat together on Friday at 7."));
            assert!(out.brief.contains("two weeks") || out.brief.contains("Two weeks"));
            assert_eq!(out.content_hash, sc.content_hash);
        }
    }
}
