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
///
/// The plan is the latest line with a concrete plan that is not also play: a joke that
/// happens to name a time ("loser makes pancakes?") is not what the two of them agreed
/// to keep. Only when every plan line was playful does the latest one stand.
pub fn agreed(sc: &Scenario, turns: &[Turn], end: &End, date: &str) -> Option<Plan> {
    if ending_outcome(sc, end) == Some(Outcome::Bad) {
        return None;
    }
    let has = |t: &Turn, m: Move| t.moves.iter().any(|x| x.mv == m);
    // The sentence of the latest turn (passing `prefer`, if any does) that carries `m`:
    // a plan said among other things is quoted on its own.
    let said = |m: Move, prefer: &dyn Fn(&Turn) -> bool| {
        let with_m = || turns.iter().rev().filter(|t| has(t, m));
        let t = with_m().find(|t| prefer(t)).or_else(|| with_m().next())?;
        let at = t.moves.iter().find(|x| x.mv == m)?;
        Some(sentence_around(&t.user, at.start, at.end))
    };
    // The plan itself, not a joke that named a time, nor the line that only set the
    // review ("let's sit down on Saturday and see how it went" is the follow-up).
    let plan = said(Move::ConcretePlan, &|t| {
        !has(t, Move::Playfulness) && !has(t, Move::FollowUp)
    })
    .or_else(|| said(Move::ConcretePlan, &|t| !has(t, Move::Playfulness)))?;
    Some(Plan {
        scenario: sc.id.clone(),
        plan,
        follow_up: said(Move::FollowUp, &|_| true)?,
        need: said(Move::SpecificNeed, &|_| true),
        agreed: date.to_string(),
    })
}

/// The sentence of `line` that holds the byte span `start..end`: from just after the
/// previous `.`, `!` or `?` (a `.` counts only before a space, so "7.30" stays whole) to
/// the end of the sentence the span ends in.
fn sentence_around(line: &str, start: usize, end: usize) -> String {
    let bytes = line.as_bytes();
    let ends_here = |i: usize| match bytes[i] {
        b'!' | b'?' => true,
        b'.' => bytes.get(i + 1).is_none_or(|b| b.is_ascii_whitespace()),
        _ => false,
    };
    let start = start.min(line.len());
    let end = end.clamp(start, line.len());
    let from = (0..start)
        .rev()
        .find(|&i| ends_here(i))
        .map_or(0, |i| i + 1);
    let mut to = (end..line.len())
        .find(|&i| ends_here(i))
        .map_or(line.len(), |i| i + 1);
    while to < line.len() && matches!(bytes[to], b'!' | b'?' | b'.') {
        to += 1;
    }
    line[from..to].trim().to_string()
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

/// The scenario, set two weeks later: a follow-up talk of its own. The partner opens by
/// referring back to the plan; the scenario's `check_in` reactions answer first (its
/// first-talk reactions answer whatever those do not), its check-in reveals and endings
/// replace the first talk's (what came out two weeks ago does not come out again), and
/// `{plan}` in any of its texts becomes the user's own words.
pub fn apply(sc: &Scenario, c: &CheckIn) -> Scenario {
    let mut out = sc.check_in_talk();
    let quote: String = c.plan.plan.chars().take(160).collect();
    // In the partner's lines the plan sits inside a sentence (`We said "{plan}". It...`):
    // without its own full stop, so the sentence does not end twice.
    let said = in_a_sentence(&quote);
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
    let fill = |text: &mut String| {
        if text.contains("{plan}") {
            if said.ends_with(['?', '!']) {
                // `We said "Sundays?". It...` ends the sentence twice: the quote's own mark
                // is enough.
                *text = text.replace("{plan}\".", "{plan}\"");
            }
            *text = text.replace("{plan}", said);
        }
    };
    out.openness = openness;
    out.opening = text;
    fill(&mut out.opening);
    for r in &mut out.reactions {
        for reply in &mut r.replies {
            fill(&mut reply.text);
        }
    }
    for r in &mut out.reveals {
        fill(&mut r.text);
    }
    for e in &mut out.endings {
        fill(&mut e.text);
    }
    out.brief = format!(
        "Two weeks ago, at the end of your last talk with {}, you agreed: \"{quote}\", and to check in: \"{}\". This is that check-in.",
        sc.partner,
        c.plan.follow_up.chars().take(160).collect::<String>()
    );
    out.goal = "Check in warmly on the plan: notice what worked, listen to what didn't, and adjust it together.".into();
    out.title = format!("{} — two weeks later", sc.title);
    out
}

/// A quoted line as it reads inside someone else's sentence: no closing full stop (a
/// question mark, an exclamation or an ellipsis stays).
fn in_a_sentence(line: &str) -> &str {
    let line = line.trim_end();
    match line.strip_suffix('.') {
        Some(rest) if !rest.ends_with('.') => rest.trim_end(),
        _ => line,
    }
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
    fn the_plan_reads_inside_a_sentence() {
        assert_eq!(
            in_a_sentence("Tea at 10 each night. "),
            "Tea at 10 each night"
        );
        assert_eq!(in_a_sentence("Coffee on Saturday?"), "Coffee on Saturday?");
        assert_eq!(in_a_sentence("Let's see..."), "Let's see...");
        assert_eq!(in_a_sentence("Phones away after 9"), "Phones away after 9");
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
            assert!(
                out.opening
                    .contains("\"Let's eat together on Friday at 7\"")
            );
            assert!(out.brief.contains("Let's eat together on Friday at 7."));
            assert!(out.brief.contains("two weeks") || out.brief.contains("Two weeks"));
            assert_eq!(out.content_hash, sc.content_hash);
        }
        // A plan that ends in its own question mark is not followed by a full stop too.
        let mut asked = plan(false);
        asked.plan = "Could we walk on Sundays?".into();
        let out = apply(
            &sc,
            &CheckIn {
                plan: asked,
                went: Went::Well,
            },
        );
        assert!(
            out.opening
                .contains("\"Could we walk on Sundays?\" I think"),
            "{}",
            out.opening
        );
    }

    const WITH_CHECK_IN: &str =
        include_str!("../tests/fixtures/scenarios/ok/small-talk-check-in.ron");

    fn turn_with(n: u32, user: &str, moves: &[Move]) -> Turn {
        Turn {
            n,
            user: user.into(),
            moves: moves
                .iter()
                .map(|&mv| crate::classify::MoveMatch {
                    mv,
                    kind: mv.kind(),
                    rule: "test".into(),
                    start: 0,
                    end: 0,
                })
                .collect(),
            partner: String::new(),
            openness_before: 50,
            openness: 50,
            band: "open".into(),
            delta: 0,
            effects: Vec::new(),
            reveal: None,
            asks_space: false,
            after_space_request: false,
            lead_reaction: None,
            reply_index: None,
        }
    }

    fn ended_well() -> End {
        End {
            reason: "ending".into(),
            ending: Some("reconnected".into()),
            outcome_kind: Some("good".into()),
            text: None,
        }
    }

    #[test]
    fn the_saved_plan_is_the_real_plan_not_a_joke_that_named_a_time() {
        let sc = Scenario::parse(
            "s.ron",
            include_str!("../tests/fixtures/scenarios/ok/small-talk.ron"),
        )
        .unwrap();
        let tea = "Let's have tea at 10 each night, phones in the other room.";
        let joke = "Want to do the Saturday crossword together again, loser makes pancakes?";
        let check = "Let's check in next Sunday on how it's going.";
        let turns = [
            turn_with(1, tea, &[Move::ConcretePlan]),
            turn_with(2, joke, &[Move::ConcretePlan, Move::Playfulness]),
            turn_with(3, check, &[Move::FollowUp]),
        ];
        let plan = agreed(&sc, &turns, &ended_well(), "d").unwrap();
        assert_eq!(plan.plan, tea);
        assert_eq!(plan.follow_up, check);
        // The latest real plan wins over an earlier one.
        let later = "Actually, let's make it tea at 9.";
        let mut more = turns.to_vec();
        more.push(turn_with(4, later, &[Move::ConcretePlan]));
        assert_eq!(agreed(&sc, &more, &ended_well(), "d").unwrap().plan, later);
        // When every plan line is playful, the latest one still stands.
        let only_joke = [
            turn_with(1, joke, &[Move::ConcretePlan, Move::Playfulness]),
            turn_with(2, check, &[Move::FollowUp]),
        ];
        assert_eq!(
            agreed(&sc, &only_joke, &ended_well(), "d").unwrap().plan,
            joke
        );
        // No follow-up, no plan saved.
        assert_eq!(agreed(&sc, &turns[..2], &ended_well(), "d"), None);
        // A later line that is a plan and the review at once is the follow-up, and the
        // plan is the earlier line.
        let review = "And on Saturday let's sit down and see how it went.";
        let both = [
            turn_with(1, tea, &[Move::ConcretePlan]),
            turn_with(2, review, &[Move::ConcretePlan, Move::FollowUp]),
        ];
        let plan = agreed(&sc, &both, &ended_well(), "d").unwrap();
        assert_eq!((plan.plan.as_str(), plan.follow_up.as_str()), (tea, review));
    }

    #[test]
    fn a_plan_is_quoted_as_the_sentence_that_holds_it() {
        let line = "Ha, maybe pottery another month. Let's walk at 7.30 on Thursday! Deal?";
        let at = line.find("Let's").unwrap();
        assert_eq!(
            sentence_around(line, at, at + 10),
            "Let's walk at 7.30 on Thursday!"
        );
        assert_eq!(
            sentence_around(line, 0, 3),
            "Ha, maybe pottery another month."
        );
        assert_eq!(sentence_around("no stop at all", 3, 7), "no stop at all");
        let last = line.find("Deal").unwrap();
        assert_eq!(sentence_around(line, last, line.len()), "Deal?");
    }

    fn play(sc: &Scenario, seed: u64, lines: &[&str]) -> crate::session::Session<'static> {
        let sc: &'static Scenario = Box::leak(Box::new(sc.clone()));
        let cl: &'static crate::classify::Classifier =
            Box::leak(Box::new(crate::classify::Classifier::builtin()));
        let mut s = crate::session::Session::new(sc, cl, seed);
        for line in lines {
            if s.is_over() {
                break;
            }
            let _ = s.step(line);
        }
        s
    }

    #[test]
    fn the_check_in_is_a_talk_of_its_own() {
        let sc = Scenario::parse("c.ron", WITH_CHECK_IN).unwrap();
        assert!(sc.moment.is_none());
        let mut first = sc.clone();
        first.moment = Some("Jo is about to leave.".into());
        for went in [Went::Well, Went::Partly] {
            let out = apply(
                &first,
                &CheckIn {
                    plan: plan(false),
                    went,
                },
            );
            assert_eq!(out.engine_problems(), Vec::<String>::new());
            assert!(out.moment.is_none(), "the check-in is a calm, agreed time");
            assert_eq!(out.max_turns, 10);
            // Its reveals replace the first talk's; its endings too.
            let ids: Vec<&str> = out.reveals.iter().map(|r| r.id.as_str()).collect();
            assert_eq!(ids, ["thursdays", "what-id-change"]);
            let ids: Vec<&str> = out.endings.iter().map(|e| e.id.as_str()).collect();
            assert_eq!(ids, ["kept-going", "gave-up"]);
            // Its reactions come first; the first talk's follow.
            assert_eq!(
                out.reactions.len(),
                sc.check_in.as_ref().unwrap().reactions.len() + sc.reactions.len()
            );
            assert!(out.opening.contains("Let's eat together on Friday at 7\""));
            assert!(
                !out.reactions
                    .iter()
                    .flat_map(|r| &r.replies)
                    .any(|r| r.text.contains("{plan}"))
            );
        }
        let well = apply(
            &sc,
            &CheckIn {
                plan: plan(false),
                went: Went::Well,
            },
        );
        let partly = apply(
            &sc,
            &CheckIn {
                plan: plan(false),
                went: Went::Partly,
            },
        );
        assert_eq!((well.openness, partly.openness), (60, 45));
    }

    #[test]
    fn a_check_in_plays_to_its_own_ending_without_the_first_talks_reveals() {
        let sc = Scenario::parse("c.ron", WITH_CHECK_IN).unwrap();
        let out = apply(
            &sc,
            &CheckIn {
                plan: plan(false),
                went: Went::Well,
            },
        );
        let s = play(
            &out,
            1,
            &[
                "What has it been like for you?",
                "What was the hardest part?",
                "So what I'm hearing is Thursdays wreck you.",
                "Let's move it to Saturday morning instead.",
                "Let's check in again in two weeks.",
            ],
        );
        let partners: Vec<&str> = s.turns().iter().map(|t| t.partner.as_str()).collect();
        assert_eq!(
            s.end().and_then(|e| e.ending.as_deref()),
            Some("kept-going"),
            "{partners:#?}"
        );
        assert!(
            partners
                .iter()
                .any(|p| p.contains("Thursdays were the hard part"))
        );
        // The reflection right after the reveal is answered by the `said_last` reaction.
        assert_eq!(partners[2], "Yeah. Thursdays. You got it in one.");
        assert!(
            partners[3].contains("not \"Let's eat together on Friday at 7\" any more"),
            "{}",
            partners[3]
        );
        assert!(
            !partners
                .iter()
                .any(|p| p.contains("night shifts are wrecking me"))
        );
        // Scorekeeping in the check-in is met by the check-in's own reply, and two
        // mistakes in a row end it badly.
        let s = play(
            &out,
            1,
            &["You never keep your word.", "You always do this."],
        );
        assert_eq!(
            s.turns()[0].partner,
            "You're keeping score now? Give me a second."
        );
        assert_eq!(s.end().and_then(|e| e.ending.as_deref()), Some("gave-up"));
    }

    #[test]
    fn without_a_check_in_of_its_own_the_first_talks_reveals_stay_said() {
        let src = include_str!("../tests/fixtures/scenarios/ok/small-talk.ron");
        let sc = Scenario::parse("s.ron", src).unwrap();
        let out = apply(
            &sc,
            &CheckIn {
                plan: plan(true),
                went: Went::Well,
            },
        );
        assert!(out.reveals.is_empty());
        assert_eq!(out.endings.len(), sc.endings.len());
        assert_eq!(out.engine_problems(), Vec::<String>::new());
        let s = play(
            &out,
            3,
            &[
                "What has been weighing on you?",
                "What's been going on?",
                "How are the night shifts?",
            ],
        );
        assert!(
            s.turns()
                .iter()
                .all(|t| t.reveal.is_none() && !t.partner.contains("night shifts are wrecking"))
        );
    }
}
