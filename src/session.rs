//! The session engine: a typed line in, a turn out. Pure and deterministic: no terminal,
//! no files, no clock. The same scenario, seed and lines give the same turns, always.
//!
//! Per turn: classify the line (with the partner's last reply as context), choose the
//! scenario's reaction for each move, move openness, pick the lead reaction's reply with
//! the seeded generator (no reply repeats while alternatives remain), let a reveal out if
//! the user explored well enough, and check the endings.

use crate::classify::{Classification, Classifier, Context, MoveMatch, SafetyFlag};
use crate::moves::{Kind, Move};
use crate::scenario::{Condition, Outcome, Reaction, Scenario};
use rand::SeedableRng;
use rand::rand_core::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The effect one move had on the partner this turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effect {
    #[serde(rename = "move")]
    pub mv: Option<Move>,
    /// Index of the scenario reaction that answered it.
    pub reaction: usize,
    pub delta: i32,
}

/// One exchange: what the user said, what it was taken as, and what the partner did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub n: u32,
    pub user: String,
    pub moves: Vec<MoveMatch>,
    pub partner: String,
    pub openness_before: i32,
    pub openness: i32,
    pub band: String,
    pub delta: i32,
    pub effects: Vec<Effect>,
    /// The reveal the partner let out this turn, if any.
    pub reveal: Option<String>,
    /// The partner asked for space in this reply.
    pub asks_space: bool,
    /// Pushing was read in the light of a space request made just before.
    pub after_space_request: bool,
    /// The scenario reaction whose reply was used, and which reply (none for a reveal).
    #[serde(default)]
    pub lead_reaction: Option<usize>,
    #[serde(default)]
    pub reply_index: Option<usize>,
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct End {
    /// `ending` (a scenario ending fired), `turn_limit`, `quit` or `end_of_input`.
    pub reason: String,
    /// The ending id, if a scenario ending fired.
    pub ending: Option<String>,
    /// The ending's outcome (good, bad, neutral), if one fired.
    pub outcome_kind: Option<String>,
    /// The ending's closing text.
    pub text: Option<String>,
}

/// What `step` produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepResult {
    /// An ordinary exchange (and possibly the end of the session).
    Turn(Box<Turn>),
    /// The line speaks of danger or self-harm: the session steps out of the role once and
    /// the partner does not answer it.
    Safety(SafetyFlag),
    /// The line was empty after trimming: nothing happens.
    Empty,
    /// The session has already ended.
    Ended,
}

/// Everything that changes as the talk goes on. Cloned whole to undo an exchange.
#[derive(Debug, Clone)]
struct State {
    rng: ChaCha8Rng,
    openness: i32,
    turn: u32,
    /// For each move, the turns in which it occurred.
    occurrences: BTreeMap<Move, Vec<u32>>,
    /// Moves per past turn (index = turn - 1).
    turn_moves: Vec<Vec<Move>>,
    /// Replies already used: (reaction, reply).
    used: BTreeSet<(usize, usize)>,
    revealed: Vec<bool>,
    /// The reveal the partner's last reply was, if it was one (`said_last`).
    said_last: Option<usize>,
    asks_space: bool,
    /// The safety rules whose note was shown: each kind of danger (violence, self-harm)
    /// steps out of the role once.
    safety_noted: Vec<String>,
    /// Past user lines with the moves they carried, for `{quote:...}` replies.
    lines: Vec<(String, Vec<Move>)>,
    end: Option<End>,
}

/// A rehearsal in progress.
pub struct Session<'a> {
    scenario: &'a Scenario,
    classifier: &'a Classifier,
    seed: u64,
    state: State,
    turns: Vec<Turn>,
    history: Vec<(State, usize)>,
    /// The last line taken spoke of danger or self-harm (whether or not its note was
    /// shown): such a line is kept nowhere it need not be.
    last_spoke_of_danger: bool,
}

impl<'a> Session<'a> {
    pub fn new(scenario: &'a Scenario, classifier: &'a Classifier, seed: u64) -> Self {
        Session {
            scenario,
            classifier,
            seed,
            state: State {
                rng: ChaCha8Rng::seed_from_u64(seed),
                openness: scenario.openness,
                turn: 0,
                occurrences: BTreeMap::new(),
                turn_moves: Vec::new(),
                used: BTreeSet::new(),
                revealed: vec![false; scenario.reveals.len()],
                said_last: None,
                asks_space: false,
                safety_noted: Vec::new(),
                lines: Vec::new(),
                end: None,
            },
            turns: Vec::new(),
            history: Vec::new(),
            last_spoke_of_danger: false,
        }
    }

    /// Whether the last line given to `step` spoke of danger or self-harm.
    pub fn last_spoke_of_danger(&self) -> bool {
        self.last_spoke_of_danger
    }

    pub fn scenario(&self) -> &Scenario {
        self.scenario
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn openness(&self) -> i32 {
        self.state.openness
    }

    pub fn band(&self) -> &str {
        self.scenario.band_name(self.state.openness)
    }

    pub fn turns(&self) -> &[Turn] {
        &self.turns
    }

    pub fn end(&self) -> Option<&End> {
        self.state.end.as_ref()
    }

    pub fn is_over(&self) -> bool {
        self.state.end.is_some()
    }

    /// The classification context for the next line.
    pub fn context(&self) -> Context {
        Context {
            after_space_request: self.state.asks_space,
        }
    }

    /// Classify a line as the next turn would, without taking the turn.
    pub fn classify(&self, line: &str) -> Classification {
        self.classifier.classify(line, self.context())
    }

    /// Revealed reveal ids, in scenario order.
    pub fn revealed(&self) -> Vec<&str> {
        self.scenario
            .reveals
            .iter()
            .zip(&self.state.revealed)
            .filter(|(_, r)| **r)
            .map(|(x, _)| x.id.as_str())
            .collect()
    }

    /// Take back the last exchange, restoring the partner exactly as it was before it.
    /// Returns the undone turn.
    pub fn undo(&mut self) -> Option<Turn> {
        let (state, n_turns) = self.history.pop()?;
        self.state = state;
        let undone = self.turns.pop();
        debug_assert_eq!(self.turns.len(), n_turns);
        undone
    }

    /// The safety note for `rule` has already been shown (when replaying a transcript in
    /// which it was).
    pub fn mark_safety_noted(&mut self, rule: &str) {
        self.state.safety_noted.push(rule.to_string());
    }

    /// Whether a safety note was shown in this session.
    pub fn safety_noted(&self) -> bool {
        !self.state.safety_noted.is_empty()
    }

    /// End the session for a reason outside the scenario (quit, end of input).
    pub fn finish(&mut self, reason: &str) -> &End {
        self.state.end.get_or_insert_with(|| End {
            reason: reason.to_string(),
            ending: None,
            outcome_kind: None,
            text: None,
        })
    }

    /// The user says `line`.
    pub fn step(&mut self, line: &str) -> StepResult {
        self.last_spoke_of_danger = false;
        if self.state.end.is_some() {
            return StepResult::Ended;
        }
        let line = line.trim();
        if line.is_empty() {
            return StepResult::Empty;
        }
        let cls = self.classifier.classify(line, self.context());
        self.step_classified(line, cls)
    }

    /// Take a turn with a classification made elsewhere (the scenario explorer forces
    /// moves this way). `step` is `classify` followed by this.
    pub fn step_classified(&mut self, line: &str, cls: Classification) -> StepResult {
        if self.state.end.is_some() {
            return StepResult::Ended;
        }
        let ctx = self.context();
        self.last_spoke_of_danger = cls.safety.is_some();
        if let Some(flag) = cls.safety.clone()
            && !self.state.safety_noted.contains(&flag.rule)
        {
            self.state.safety_noted.push(flag.rule.clone());
            return StepResult::Safety(flag);
        }
        self.history.push((self.state.clone(), self.turns.len()));
        let turn = self.take_turn(line, cls, ctx);
        self.turns.push(turn.clone());
        StepResult::Turn(Box::new(turn))
    }

    fn take_turn(&mut self, line: &str, cls: Classification, ctx: Context) -> Turn {
        let sc = self.scenario;
        let st = &mut self.state;
        st.turn += 1;
        let n = st.turn;
        let moves = cls.distinct_moves();
        for &m in &moves {
            st.occurrences.entry(m).or_default().push(n);
        }
        st.turn_moves.push(moves.clone());
        let openness_before = st.openness;

        // One reaction per move (or the no-move reaction), first match in file order.
        let mut effects = Vec::new();
        let targets: Vec<Option<Move>> = if moves.is_empty() {
            vec![None]
        } else {
            moves.iter().copied().map(Some).collect()
        };
        for t in targets {
            let found = sc.reactions.iter().enumerate().find(|(_, r)| {
                r.on.matches(t) && r.when.iter().all(|c| eval(c, sc, st, t, openness_before))
            });
            if let Some((i, r)) = found {
                effects.push(Effect {
                    mv: t,
                    reaction: i,
                    delta: r.delta,
                });
            }
        }
        let delta: i32 = effects.iter().map(|e| e.delta).sum();
        st.openness = (openness_before + delta).clamp(0, 100);

        let has_mistake = moves.iter().any(|m| m.kind() == Kind::Mistake);
        // Lead: the most negative mistake, else the most positive practice; first wins ties.
        let lead = if has_mistake {
            effects
                .iter()
                .filter(|e| e.mv.is_some_and(|m| m.kind() == Kind::Mistake))
                .min_by_key(|e| e.delta)
        } else {
            effects
                .iter()
                .max_by_key(|e| (e.delta, std::cmp::Reverse(e.reaction)))
        }
        .cloned();

        // A reveal, if the user explored well enough and made no mistake this turn.
        let mut reveal = None;
        if !has_mistake && !moves.is_empty() {
            for (i, r) in sc.reveals.iter().enumerate() {
                if st.revealed[i] {
                    continue;
                }
                let drawn = if r.on.is_empty() {
                    moves.iter().any(|m| m.kind() == Kind::Practice)
                } else {
                    r.on.iter().any(|m| moves.contains(m))
                };
                if drawn && r.when.iter().all(|c| eval(c, sc, st, None, st.openness)) {
                    st.revealed[i] = true;
                    reveal = Some(i);
                    break;
                }
            }
        }

        let (partner, asks_space, reply_index) = match (reveal, &lead) {
            (Some(i), _) => (sc.reveals[i].text.clone(), false, None),
            (None, Some(e)) => {
                let r = &sc.reactions[e.reaction];
                let (index, text) = pick_reply(e.reaction, r, st);
                (text, r.asks_space, index)
            }
            (None, None) => (String::new(), false, None),
        };
        st.asks_space = asks_space;
        st.said_last = reveal;
        st.lines.push((line.to_string(), moves.clone()));

        // Endings, in file order; then the turn limit.
        for e in &sc.endings {
            if e.when.iter().all(|c| eval(c, sc, st, None, st.openness)) {
                st.end = Some(End {
                    reason: "ending".into(),
                    ending: Some(e.id.clone()),
                    outcome_kind: Some(e.outcome.name().into()),
                    text: Some(e.text.clone()),
                });
                break;
            }
        }
        if st.end.is_none() && n >= sc.max_turns {
            st.end = Some(End {
                reason: "turn_limit".into(),
                ending: None,
                outcome_kind: None,
                text: None,
            });
        }

        Turn {
            n,
            user: line.to_string(),
            moves: cls.moves,
            partner,
            openness_before,
            openness: st.openness,
            band: sc.band_name(st.openness).to_string(),
            delta,
            effects,
            reveal: reveal.map(|i| sc.reveals[i].id.clone()),
            asks_space,
            after_space_request: ctx.after_space_request,
            lead_reaction: lead
                .as_ref()
                .map(|e| e.reaction)
                .filter(|_| reveal.is_none()),
            reply_index,
        }
    }
}

/// Does condition `c` hold? `current` is the move a reaction is being chosen for.
fn eval(c: &Condition, sc: &Scenario, st: &State, current: Option<Move>, openness: i32) -> bool {
    let band = sc.band_index(openness);
    let count = |m: Move| st.occurrences.get(&m).map_or(0, Vec::len) as u32;
    let streak = |kind: Kind, n: u32| {
        n > 0
            && st.turn_moves.len() >= n as usize
            && st.turn_moves[st.turn_moves.len() - n as usize..]
                .iter()
                .all(|ms| ms.iter().any(|m| m.kind() == kind))
    };
    match c {
        Condition::Band(b) => band == *b,
        Condition::BandAtLeast(b) => band >= *b,
        Condition::BandAtMost(b) => band <= *b,
        Condition::MinOpenness(n) => openness >= *n,
        Condition::MaxOpenness(n) => openness <= *n,
        Condition::TurnAtLeast(n) => st.turn >= *n,
        Condition::TurnAtMost(n) => st.turn <= *n,
        Condition::Seen(m, n) => count(*m) >= *n,
        Condition::NotSeen(m) => count(*m) == 0,
        Condition::Repeat(n) => current.is_some_and(|m| count(m) >= *n),
        Condition::QuietFor(m, n) => {
            // Turns since the last occurrence before this one.
            let last = st
                .occurrences
                .get(m)
                .and_then(|v| v.iter().rev().find(|&&t| t < st.turn).copied());
            last.is_none_or(|t| st.turn - t >= *n)
        }
        Condition::LastMove(m) => {
            st.turn_moves.len() >= 2 && st.turn_moves[st.turn_moves.len() - 2].contains(m)
        }
        Condition::AfterSpaceRequest => st.asks_space,
        Condition::MistakeStreak(n) => streak(Kind::Mistake, *n),
        Condition::PracticeStreak(n) => streak(Kind::Practice, *n),
        Condition::Revealed(i) => st.revealed.get(*i).copied().unwrap_or(false),
        Condition::SaidLast(i) => st.said_last == Some(*i),
        Condition::Not(inner) => !eval(inner, sc, st, current, openness),
    }
}

/// A weighted draw in `0..total` from one 64-bit output: stable across crate versions.
fn draw(rng: &mut ChaCha8Rng, total: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(total)) >> 64) as u64
}

/// Pick a reply from a reaction: weighted, never a used `once` reply, and no repeat while
/// unused replies remain. `{quote:MOVE}` replies need an earlier line with that move.
fn pick_reply(ri: usize, r: &Reaction, st: &mut State) -> (Option<usize>, String) {
    let earlier = &st.lines;
    let quote = |m: Move| {
        earlier
            .iter()
            .rev()
            .find(|(_, ms)| ms.contains(&m))
            .map(|(l, _)| l.as_str())
    };
    let quotable = |i: usize| r.replies[i].quotes.iter().all(|&m| quote(m).is_some());
    let mut eligible: Vec<usize> = (0..r.replies.len())
        .filter(|&i| quotable(i))
        .filter(|&i| !(r.replies[i].once && st.used.contains(&(ri, i))))
        .collect();
    if eligible.is_empty() {
        // Every reply was once-only and used: better to repeat one than to say nothing.
        eligible = (0..r.replies.len()).filter(|&i| quotable(i)).collect();
    }
    let fresh: Vec<usize> = eligible
        .iter()
        .copied()
        .filter(|&i| !st.used.contains(&(ri, i)))
        .collect();
    let pool = if fresh.is_empty() {
        // Every reply has been used: start the pool over (except once-only ones).
        for &i in &eligible {
            st.used.remove(&(ri, i));
        }
        eligible
    } else {
        fresh
    };
    let Some(&first) = pool.first() else {
        return (None, String::new());
    };
    let total: u64 = pool.iter().map(|&i| u64::from(r.replies[i].weight)).sum();
    let mut x = draw(&mut st.rng, total);
    let mut chosen = first;
    for &i in &pool {
        let w = u64::from(r.replies[i].weight);
        if x < w {
            chosen = i;
            break;
        }
        x -= w;
    }
    st.used.insert((ri, chosen));
    let mut text = r.replies[chosen].text.clone();
    for &m in &r.replies[chosen].quotes {
        if let Some(q) = quote(m) {
            let q: String = q.chars().take(120).collect();
            text = text.replace(&format!("{{quote:{}}}", m.name()), &q);
        }
    }
    (Some(chosen), text)
}

/// Used by the scorecard: was a `good` ending reached?
pub fn ending_outcome(sc: &Scenario, end: &End) -> Option<Outcome> {
    let id = end.ending.as_deref()?;
    sc.endings.iter().find(|e| e.id == id).map(|e| e.outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../tests/fixtures/scenarios/ok/small-talk.ron");

    fn scenario() -> Scenario {
        Scenario::parse("small-talk.ron", FIXTURE).unwrap()
    }

    fn turn(r: StepResult) -> Turn {
        match r {
            StepResult::Turn(t) => *t,
            other => panic!("expected a turn, got {other:?}"),
        }
    }

    #[test]
    fn practices_open_and_mistakes_close() {
        let (sc, cl) = (scenario(), Classifier::builtin());
        let mut s = Session::new(&sc, &cl, 1);
        let t = turn(s.step("What has been going on for you?"));
        assert_eq!(t.openness_before, 40);
        assert_eq!(t.openness, 52);
        assert!(t.moves.iter().any(|m| m.mv == Move::OpenQuestion));
        let t = turn(s.step("You never call me anymore."));
        assert_eq!(t.openness, 42);
        assert!(t.asks_space, "the criticism reaction asks for space");
        // Pushing right after a request for space costs more.
        let t = turn(s.step("Just tell me why."));
        assert!(t.after_space_request);
        assert!(
            t.moves.iter().any(|m| m.mv == Move::Pursuit),
            "{:?}",
            t.moves
        );
        assert_eq!(t.openness, 22);
    }

    #[test]
    fn a_line_with_no_move_uses_the_no_move_reaction() {
        let (sc, cl) = (scenario(), Classifier::builtin());
        let mut s = Session::new(&sc, &cl, 1);
        let t = turn(s.step("Hi."));
        assert!(t.moves.is_empty());
        assert_eq!(t.delta, 0);
        assert!(["Mm.", "*sips* Go on."].contains(&t.partner.as_str()));
        assert_eq!(s.step("   "), StepResult::Empty);
    }

    #[test]
    fn replies_do_not_repeat_while_alternatives_remain() {
        let (sc, cl) = (scenario(), Classifier::builtin());
        for seed in 0..20 {
            let mut s = Session::new(&sc, &cl, seed);
            let a = turn(s.step("Hi.")).partner;
            let b = turn(s.step("Hello.")).partner;
            assert_ne!(a, b, "seed {seed}: the two no-move replies must alternate");
        }
    }

    #[test]
    fn same_seed_same_talk_other_seeds_differ() {
        let (sc, cl) = (scenario(), Classifier::builtin());
        let lines = [
            "Hi.",
            "That makes sense.",
            "Okay.",
            "Sure.",
            "It sounds like a lot.",
        ];
        let run = |seed| {
            let mut s = Session::new(&sc, &cl, seed);
            lines
                .iter()
                .map(|l| turn(s.step(l)).partner)
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert!((0..10).any(|seed| run(seed) != run(7)));
    }

    #[test]
    fn quotes_bring_back_an_earlier_line() {
        let (sc, cl) = (scenario(), Classifier::builtin());
        let mut s = Session::new(&sc, &cl, 1);
        turn(s.step("You never call me."));
        turn(s.step("That makes sense."));
        let t = turn(s.step("You always cancel."));
        assert_eq!(
            t.partner,
            "You said \"You never call me.\" already. I need a minute."
        );
    }

    #[test]
    fn reveals_need_openness_and_an_exploring_move() {
        let (sc, cl) = (scenario(), Classifier::builtin());
        let mut s = Session::new(&sc, &cl, 1);
        // Openness 40 → 52: not yet open enough at 60.
        assert_eq!(turn(s.step("What has been going on?")).reveal, None);
        // 52 → 64: now the question draws it out.
        let t = turn(s.step("What's been weighing on you?"));
        assert_eq!(t.reveal.as_deref(), Some("night-shifts"));
        assert!(t.partner.contains("night shifts"));
        assert_eq!(s.revealed(), vec!["night-shifts"]);
    }

    /// small-talk with a reaction to what Jo has just let out, and an ending that needs
    /// the reveal to be the last thing said.
    fn said_last_scenario() -> Scenario {
        let src = FIXTURE
            .replace(
                r#"        (on: "open_question", delta: 12, replies: ["#,
                r#"        (on: "validation", when: [said_last("night-shifts")], delta: 10, replies: [
            "*nods* Thanks. I haven't said that out loud to anyone.",
        ]),
        (on: "open_question", delta: 12, replies: ["#,
            )
            .replace(
                r#"        (id: "reconnected","#,
                r#"        (id: "heard", outcome: "neutral", when: [said_last("night-shifts"), seen("giving_space", 1)],
            text: "*Jo breathes out.* Okay. That's out."),
        (id: "reconnected","#,
            );
        Scenario::parse("said-last.ron", &src).unwrap()
    }

    #[test]
    fn said_last_holds_only_right_after_the_reveal() {
        let (sc, cl) = (said_last_scenario(), Classifier::builtin());
        let mut s = Session::new(&sc, &cl, 1);
        turn(s.step("What has been going on?"));
        assert_eq!(
            turn(s.step("What's been weighing on you?"))
                .reveal
                .as_deref(),
            Some("night-shifts")
        );
        // The line right after the reveal meets the reaction to it...
        let t = turn(s.step("That makes sense."));
        assert_eq!(
            t.partner,
            "*nods* Thanks. I haven't said that out loud to anyone."
        );
        // ...and undoing it brings the moment back exactly.
        s.undo().unwrap();
        let again = turn(s.step("That makes sense."));
        assert_eq!(again, t);
        // One line later the reveal is no longer the last thing said.
        let t = turn(s.step("That makes sense."));
        assert_ne!(
            t.partner,
            "*nods* Thanks. I haven't said that out loud to anyone."
        );
        assert!(s.end().is_none());
    }

    #[test]
    fn said_last_in_an_ending_means_the_reply_just_given() {
        let (sc, cl) = (said_last_scenario(), Classifier::builtin());
        let mut s = Session::new(&sc, &cl, 1);
        turn(s.step("No pressure, I'm here whenever you're ready."));
        assert!(s.end().is_none());
        let t = turn(s.step("What has been going on?"));
        assert_eq!(t.reveal.as_deref(), Some("night-shifts"));
        assert_eq!(s.end().and_then(|e| e.ending.as_deref()), Some("heard"));
    }

    #[test]
    fn endings_fire_and_stop_the_talk() {
        let (sc, cl) = (scenario(), Classifier::builtin());
        let mut s = Session::new(&sc, &cl, 1);
        turn(s.step("You never call."));
        turn(s.step("Oh, poor you."));
        turn(s.step("Grow up."));
        let end = s.end().expect("three mistakes in a row walk Jo away");
        assert_eq!(end.ending.as_deref(), Some("walked_away"));
        assert_eq!(s.step("Wait."), StepResult::Ended);
    }

    #[test]
    fn the_turn_limit_ends_the_talk() {
        let (sc, cl) = (scenario(), Classifier::builtin());
        let mut s = Session::new(&sc, &cl, 1);
        for _ in 0..sc.max_turns {
            turn(s.step("Hmm."));
        }
        assert_eq!(s.end().unwrap().reason, "turn_limit");
    }

    #[test]
    fn undo_restores_the_partner_exactly() {
        let (sc, cl) = (scenario(), Classifier::builtin());
        let mut a = Session::new(&sc, &cl, 9);
        let mut b = Session::new(&sc, &cl, 9);
        turn(a.step("What has been going on?"));
        turn(b.step("What has been going on?"));
        turn(a.step("You never call."));
        let undone = a.undo().unwrap();
        assert_eq!(undone.user, "You never call.");
        assert_eq!(a.openness(), b.openness());
        // From here both sessions must say exactly the same things.
        for line in ["That makes sense.", "Hi.", "It sounds hard."] {
            assert_eq!(turn(a.step(line)), turn(b.step(line)));
        }
    }
}
