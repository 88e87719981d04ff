//! Scenarios: one partner and one situation, entirely as data.
//!
//! A scenario file (RON) is read into raw serde structs (`deny_unknown_fields`), then
//! validated into [`Scenario`], where every move, band and reveal reference is resolved.
//! The engine only ever sees a validated `Scenario`. Problems come back as
//! [`Diagnostic`]s with a line and column, all of them at once.

use crate::diagnostic::{Diagnostic, Loc, SourceTree};
use crate::moves::{Kind, Move};
use crate::suggest::did_you_mean;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;

// ---------------------------------------------------------------------------------------
// Raw file structures: what an author writes.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub relationship: String,
    pub partner: String,
    pub brief: String,
    pub goal: String,
    /// What the partner does or says as the scene opens.
    pub opening: String,
    /// Openness at the start, 0–100.
    pub openness: i32,
    pub max_turns: u32,
    pub bands: Vec<RawBand>,
    /// Extra words for the classifier's word classes (`stressor`, `grievance`).
    #[serde(default)]
    pub words: BTreeMap<String, Vec<String>>,
    pub reactions: Vec<RawReaction>,
    #[serde(default)]
    pub reveals: Vec<RawReveal>,
    pub endings: Vec<RawEnding>,
    /// The "two weeks later" check-in, offered after a plan and a follow-up were agreed.
    #[serde(default)]
    pub check_in: Option<RawCheckIn>,
    /// When the scene opens at a hard moment (the guide's timing prerequisite), what makes
    /// it hard: the scorecard notes whether the user offered a better time.
    #[serde(default)]
    pub moment: Option<String>,
}

/// The follow-up talk, "two weeks later". `{plan}` in any of its texts is replaced with
/// the user's own words from the plan they agreed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheckIn {
    /// Openness at the start when the plan went well (15 less when it went partly).
    pub openness: i32,
    /// How the partner opens when the plan went well, and when it went only partly.
    pub went_well: String,
    pub partly: String,
    /// The check-in's own turn limit (else the first talk's).
    #[serde(default)]
    pub max_turns: Option<u32>,
    /// Tried before the first talk's reactions: the first talk's still answer whatever
    /// these do not.
    #[serde(default)]
    pub reactions: Vec<RawReaction>,
    /// What the partner holds back this time. They replace the first talk's reveals.
    #[serde(default)]
    pub reveals: Vec<RawReveal>,
    /// When given, they replace the first talk's endings.
    #[serde(default)]
    pub endings: Vec<RawEnding>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBand {
    pub id: String,
    pub from: i32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReaction {
    /// A move name, or `any_mistake`, `any_practice`, `no_move`.
    pub on: String,
    #[serde(default)]
    pub when: Vec<RawCondition>,
    pub delta: i32,
    /// The partner's reply asks for space: pushing on next turn is pursuit.
    #[serde(default)]
    pub asks_space: bool,
    pub replies: Vec<RawReply>,
}

/// A reply: either a plain string or `(text: "...", weight: 2, once: true)`.
#[derive(Debug, Clone)]
pub struct RawReply {
    pub text: String,
    pub weight: u32,
    pub once: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReplyFields {
    text: String,
    #[serde(default = "one")]
    weight: u32,
    #[serde(default)]
    once: bool,
}

fn one() -> u32 {
    1
}

impl<'de> Deserialize<'de> for RawReply {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ReplyVisitor;
        impl<'de> Visitor<'de> for ReplyVisitor {
            type Value = RawReply;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a reply: a string, or (text: \"...\", weight: N, once: true)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawReply, E> {
                Ok(RawReply {
                    text: v.to_string(),
                    weight: 1,
                    once: false,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawReply, A::Error> {
                let f = RawReplyFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawReply {
                    text: f.text,
                    weight: f.weight,
                    once: f.once,
                })
            }
        }
        d.deserialize_any(ReplyVisitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReveal {
    pub id: String,
    /// Moves that can draw this out (empty: any practice).
    #[serde(default)]
    pub on: Vec<String>,
    #[serde(default)]
    pub when: Vec<RawCondition>,
    pub text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnding {
    pub id: String,
    /// `good` (reconnected), `bad` (withdrawn, shut down) or `neutral`.
    pub outcome: String,
    pub when: Vec<RawCondition>,
    pub text: String,
}

/// How each condition is written, for messages about a condition written wrongly.
pub const CONDITION_FORMS: &[(&str, &str)] = &[
    ("band", "band(\"open\")"),
    ("band_at_least", "band_at_least(\"guarded\")"),
    ("band_at_most", "band_at_most(\"guarded\")"),
    ("min_openness", "min_openness(60)"),
    ("max_openness", "max_openness(40)"),
    ("turn_at_least", "turn_at_least(3)"),
    ("turn_at_most", "turn_at_most(8)"),
    ("seen", "seen(\"concrete_plan\", 1)"),
    ("not_seen", "not_seen(\"criticism\")"),
    ("repeat", "repeat(2)"),
    ("quiet_for", "quiet_for(\"criticism\", 3)"),
    ("last_move", "last_move(\"pursuit\")"),
    ("after_space_request", "after_space_request"),
    ("mistake_streak", "mistake_streak(3)"),
    ("practice_streak", "practice_streak(2)"),
    ("revealed", "revealed(\"night-shifts\")"),
    ("said_last", "said_last(\"night-shifts\")"),
    ("not", "not(seen(\"criticism\", 1))"),
];

/// Conditions, written in snake_case: `band("open")`, `min_openness(60)`,
/// `seen("concrete_plan", 1)`, `not(revealed("deadline"))`, ...
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawCondition {
    Band(String),
    BandAtLeast(String),
    BandAtMost(String),
    MinOpenness(i32),
    MaxOpenness(i32),
    TurnAtLeast(u32),
    TurnAtMost(u32),
    Seen(String, u32),
    NotSeen(String),
    Repeat(u32),
    QuietFor(String, u32),
    LastMove(String),
    AfterSpaceRequest,
    MistakeStreak(u32),
    PracticeStreak(u32),
    Revealed(String),
    /// The partner's last reply was this reveal.
    SaidLast(String),
    Not(Box<RawCondition>),
}

// ---------------------------------------------------------------------------------------
// Validated domain types: what the engine sees.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relationship {
    Romantic,
    Family,
    Friend,
}

impl Relationship {
    pub fn name(self) -> &'static str {
        match self {
            Relationship::Romantic => "romantic",
            Relationship::Family => "family",
            Relationship::Friend => "friend",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Band {
    pub id: String,
    pub from: i32,
}

/// What a reaction responds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Move(Move),
    AnyMistake,
    AnyPractice,
    NoMove,
}

impl Trigger {
    pub fn matches(self, m: Option<Move>) -> bool {
        match (self, m) {
            (Trigger::Move(t), Some(m)) => t == m,
            (Trigger::AnyMistake, Some(m)) => m.kind() == Kind::Mistake,
            (Trigger::AnyPractice, Some(m)) => m.kind() == Kind::Practice,
            (Trigger::NoMove, None) => true,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// Band index in `bands`, compared with the current band.
    Band(usize),
    BandAtLeast(usize),
    BandAtMost(usize),
    MinOpenness(i32),
    MaxOpenness(i32),
    TurnAtLeast(u32),
    TurnAtMost(u32),
    Seen(Move, u32),
    NotSeen(Move),
    Repeat(u32),
    QuietFor(Move, u32),
    LastMove(Move),
    AfterSpaceRequest,
    MistakeStreak(u32),
    PracticeStreak(u32),
    Revealed(usize),
    /// The partner's last reply was this reveal (index in `reveals`).
    SaidLast(usize),
    Not(Box<Condition>),
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub text: String,
    pub weight: u32,
    pub once: bool,
    /// Moves whose earlier line this reply quotes back (`{quote:criticism}`).
    pub quotes: Vec<Move>,
}

#[derive(Debug, Clone)]
pub struct Reaction {
    pub on: Trigger,
    pub when: Vec<Condition>,
    pub delta: i32,
    pub asks_space: bool,
    pub replies: Vec<Reply>,
}

#[derive(Debug, Clone)]
pub struct Reveal {
    pub id: String,
    pub on: Vec<Move>,
    pub when: Vec<Condition>,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Good,
    Bad,
    Neutral,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Good => "good",
            Outcome::Bad => "bad",
            Outcome::Neutral => "neutral",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Ending {
    pub id: String,
    pub outcome: Outcome,
    pub when: Vec<Condition>,
    pub text: String,
}

/// A validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub relationship: Relationship,
    pub partner: String,
    pub brief: String,
    pub goal: String,
    pub opening: String,
    pub openness: i32,
    pub max_turns: u32,
    /// Sorted by `from`, the first starting at 0.
    pub bands: Vec<Band>,
    pub words: BTreeMap<String, Vec<String>>,
    pub reactions: Vec<Reaction>,
    pub reveals: Vec<Reveal>,
    pub endings: Vec<Ending>,
    /// A hash of the source text, to tell an edited scenario from the original.
    pub content_hash: String,
    pub check_in: Option<CheckInTalk>,
    pub moment: Option<String>,
}

/// A scenario's own follow-up talk, "two weeks later". `{plan}` is still in its texts;
/// `checkin::apply` fills it in.
#[derive(Debug, Clone)]
pub struct CheckInTalk {
    pub openness: i32,
    pub went_well: String,
    pub partly: String,
    pub max_turns: Option<u32>,
    /// Tried before the first talk's reactions.
    pub reactions: Vec<Reaction>,
    /// Replace the first talk's reveals; conditions index into these.
    pub reveals: Vec<Reveal>,
    /// Replace the first talk's endings when not empty.
    pub endings: Vec<Ending>,
}

impl Scenario {
    /// Index of the band that `openness` falls in.
    pub fn band_index(&self, openness: i32) -> usize {
        self.bands
            .iter()
            .rposition(|b| openness >= b.from)
            .unwrap_or(0)
    }

    pub fn band_name(&self, openness: i32) -> &str {
        &self.bands[self.band_index(openness)].id
    }

    /// Parse and validate scenario source. `path` only labels diagnostics.
    /// Every problem is reported at once: `recover` reads on past the ones it can
    /// (a misspelt name, a wrong kind of value), and the file is then validated as if they
    /// were fixed, unless a number or text had to be made up to read on.
    pub fn parse(path: &str, source: &str) -> Result<Scenario, Vec<Diagnostic>> {
        // Some editors start a file with a byte-order mark; the author never sees it.
        let source = source.strip_prefix('\u{feff}').unwrap_or(source);
        let options = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        let mut read =
            crate::recover::parse(path, source, |text| options.from_str::<RawScenario>(text));
        let Some(raw) = read.value.take() else {
            return Err(read.errors);
        };
        if read.errors.is_empty() {
            return validate(raw, path, source);
        }
        let mut errors = std::mem::take(&mut read.errors);
        if !read.guessed
            && let Err(more) = validate(raw, path, &read.text)
        {
            errors.extend(more.into_iter().filter_map(|d| read.remap(d, source)));
        }
        errors.sort_by_key(|d| (d.line, d.col));
        Err(errors)
    }

    /// The "two weeks later" talk as a scenario of its own, with `{plan}` still in its
    /// texts: the check-in's reactions are tried before this scenario's, its reveals
    /// replace this scenario's (the first talk's reveals were said two weeks ago), its
    /// endings replace this scenario's when it has any, and there is no hard moment.
    /// Openness, opening, brief and goal are left for `checkin::apply` to set.
    pub fn check_in_talk(&self) -> Scenario {
        let (reactions, reveals, endings) =
            check_in_parts(&self.reactions, &self.endings, self.check_in.as_ref());
        let mut out = self.clone();
        if let Some(c) = &self.check_in {
            out.openness = c.openness;
            out.max_turns = c.max_turns.unwrap_or(self.max_turns);
        }
        out.reactions = reactions;
        out.reveals = reveals;
        out.endings = endings;
        out.moment = None;
        out.check_in = None;
        out
    }

    /// What the engine relies on, checked on a scenario already built (a parsed one always
    /// passes; a transformed one, like a check-in, is held to the same standard). Each
    /// problem as a sentence; empty when there are none.
    pub fn engine_problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.bands.first().is_none_or(|b| b.from != 0)
            || self.bands.windows(2).any(|w| w[0].from >= w[1].from)
        {
            out.push("bands must start at 0 and rise".to_string());
        }
        if !(0..=100).contains(&self.openness) || self.max_turns == 0 {
            out.push(format!(
                "openness {} or max_turns {} out of range",
                self.openness, self.max_turns
            ));
        }
        fn refs(c: &Condition, out: &mut Vec<usize>, bands: &mut Vec<usize>) {
            match c {
                Condition::Revealed(i) | Condition::SaidLast(i) => out.push(*i),
                Condition::Band(b) | Condition::BandAtLeast(b) | Condition::BandAtMost(b) => {
                    bands.push(*b)
                }
                Condition::Not(inner) => refs(inner, out, bands),
                _ => {}
            }
        }
        let all_when = self
            .reactions
            .iter()
            .map(|r| ("a reaction", &r.when))
            .chain(self.reveals.iter().map(|r| ("a reveal", &r.when)))
            .chain(self.endings.iter().map(|e| ("an ending", &e.when)));
        for (what, when) in all_when {
            let (mut reveals, mut bands) = (Vec::new(), Vec::new());
            for c in when {
                refs(c, &mut reveals, &mut bands);
            }
            if reveals.iter().any(|&i| i >= self.reveals.len())
                || bands.iter().any(|&b| b >= self.bands.len())
            {
                out.push(format!(
                    "{what} refers to a reveal or band that is not there"
                ));
            }
        }
        let covered = |t: Option<Move>| {
            self.reactions
                .iter()
                .any(|r| r.when.is_empty() && r.on.matches(t))
        };
        for m in Move::ALL.iter().copied().map(Some).chain([None]) {
            if !covered(m) {
                let name = m.map_or("no_move", Move::name);
                out.push(format!("no reaction without conditions covers `{name}`"));
            }
        }
        if self.reactions.iter().any(|r| r.replies.is_empty()) {
            out.push("a reaction has no replies".into());
        }
        let never = Reachability::new(self.openness, self.max_turns, &self.reactions, &self.bands);
        let dead: Vec<usize> = (0..self.reveals.len())
            .filter(|&i| never.why(&self.reveals[i].when, &[]).is_some())
            .collect();
        if !self
            .endings
            .iter()
            .any(|e| e.outcome == Outcome::Good && never.why(&e.when, &dead).is_none())
        {
            out.push("no good ending can be reached".into());
        }
        let texts = std::iter::once(&self.opening)
            .chain(
                self.reactions
                    .iter()
                    .flat_map(|r| r.replies.iter().map(|x| &x.text)),
            )
            .chain(self.reveals.iter().map(|r| &r.text))
            .chain(self.endings.iter().map(|e| &e.text));
        for t in texts {
            if t.contains("{plan}") {
                out.push(format!("`{{plan}}` left unfilled in \"{t}\""));
            }
        }
        out
    }
}

/// The check-in's reactions, reveals and endings, put together with the first talk's.
/// The first talk's reveals do not come out again, so its conditions on them
/// (`revealed`, `said_last`) are false in the check-in: reactions and endings that need
/// them drop out, and `not(...)` of them holds.
fn check_in_parts(
    reactions: &[Reaction],
    endings: &[Ending],
    check_in: Option<&CheckInTalk>,
) -> (Vec<Reaction>, Vec<Reveal>, Vec<Ending>) {
    let first_talk = reactions.iter().filter_map(|r| {
        Some(Reaction {
            when: without_first_talk_reveals(&r.when)?,
            ..r.clone()
        })
    });
    let first_endings = || {
        endings.iter().filter_map(|e| {
            Some(Ending {
                when: without_first_talk_reveals(&e.when)?,
                ..e.clone()
            })
        })
    };
    match check_in {
        Some(c) => (
            c.reactions.iter().cloned().chain(first_talk).collect(),
            c.reveals.clone(),
            if c.endings.is_empty() {
                first_endings().collect()
            } else {
                c.endings.clone()
            },
        ),
        None => (first_talk.collect(), Vec::new(), first_endings().collect()),
    }
}

/// Conditions with every reveal condition decided as false; `None` when they then can
/// never hold all together.
fn without_first_talk_reveals(when: &[Condition]) -> Option<Vec<Condition>> {
    /// `Some(c)`: still a condition; `None` with the bool: decided.
    fn fold(c: &Condition) -> Result<Condition, bool> {
        match c {
            Condition::Revealed(_) | Condition::SaidLast(_) => Err(false),
            Condition::Not(inner) => match fold(inner) {
                Ok(c) => Ok(Condition::Not(Box::new(c))),
                Err(b) => Err(!b),
            },
            other => Ok(other.clone()),
        }
    }
    let mut out = Vec::new();
    for c in when {
        match fold(c) {
            Ok(c) => out.push(c),
            Err(true) => {}
            Err(false) => return None,
        }
    }
    Some(out)
}

/// Words a scenario may add to, and the classes they extend.
pub const WORD_CLASSES: &[&str] = &["stressor", "grievance"];

/// FNV-1a, 64-bit: a stable content hash with no extra dependency.
pub fn content_hash(source: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in source.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

struct Validator<'a> {
    path: &'a str,
    source: &'a str,
    tree: SourceTree,
    errors: Vec<Diagnostic>,
}

impl Validator<'_> {
    /// Report `message` at the item `at` points to (or the nearest enclosing one).
    fn error(&mut self, at: &Loc, message: String) {
        let offset = self.tree.offset(at);
        self.errors.push(Diagnostic::at_offset(
            self.path,
            self.source,
            offset,
            message,
        ));
    }

    /// The 1-based line of the item `at` points to.
    fn line_of(&self, at: &Loc) -> usize {
        let offset = self.tree.offset(at).unwrap_or(0).min(self.source.len());
        self.source.as_bytes()[..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn resolve_move(&mut self, name: &str, at: &Loc) -> Option<Move> {
        let m = Move::from_name(name);
        if m.is_none() {
            let hint = did_you_mean(name, Move::ALL.iter().map(|m| m.name()));
            self.error(at, format!("unknown move `{name}`{hint}"));
        }
        m
    }
}

/// What the conditions of one part of the file may refer to.
struct Refs<'a> {
    bands: &'a [String],
    /// The reveals of the same talk (the first talk's, or the check-in's).
    reveals: &'a [String],
    /// `check-in ` in messages about the check-in, else empty.
    talk: &'static str,
}

/// Which placeholders a text may use.
#[derive(Clone, Copy)]
struct Allow {
    /// `{quote:MOVE}`: only replies, which the session fills in.
    quote: bool,
    /// `{plan}`: only the check-in's texts.
    plan: bool,
}

fn validate(raw: RawScenario, path: &str, source: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let mut v = Validator {
        path,
        source,
        tree: SourceTree::new(source),
        errors: Vec::new(),
    };
    let top = Loc::root();

    let relationship = match raw.relationship.as_str() {
        "romantic" => Some(Relationship::Romantic),
        "family" => Some(Relationship::Family),
        "friend" => Some(Relationship::Friend),
        other => {
            let hint = did_you_mean(other, ["romantic", "family", "friend"]);
            v.error(
                &top.field("relationship"),
                format!("unknown relationship `{other}` (romantic, family or friend){hint}"),
            );
            None
        }
    };
    for (field, value) in [
        ("id", &raw.id),
        ("title", &raw.title),
        ("partner", &raw.partner),
        ("brief", &raw.brief),
        ("opening", &raw.opening),
    ] {
        if value.trim().is_empty() {
            v.error(&top.field(field), format!("`{field}` is empty"));
        }
    }
    let first_talk = Allow {
        quote: false,
        plan: false,
    };
    for (field, value) in [("opening", &raw.opening), ("brief", &raw.brief)] {
        placeholders(&mut v, value, &top.field(field), first_talk);
    }
    if !raw
        .id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        v.error(
            &top.field("id"),
            format!(
                "id `{}` should use lower-case letters, digits and `-`",
                raw.id
            ),
        );
    }
    if !(0..=100).contains(&raw.openness) {
        v.error(
            &top.field("openness"),
            "openness must be between 0 and 100".into(),
        );
    }
    if raw.max_turns == 0 {
        v.error(
            &top.field("max_turns"),
            "max_turns must be at least 1".into(),
        );
    }

    // Bands: unique ids, strictly increasing thresholds, the first at 0.
    let mut bands: Vec<Band> = Vec::new();
    for (i, b) in raw.bands.iter().enumerate() {
        let at = top.field("bands").index(i);
        if bands.iter().any(|x| x.id == b.id) {
            v.error(&at.field("id"), format!("duplicate band `{}`", b.id));
            continue;
        }
        if let Some(last) = bands.last()
            && b.from <= last.from
        {
            v.error(
                &at.field("from"),
                format!(
                    "band `{}` starts at {} but must start above `{}` ({})",
                    b.id, b.from, last.id, last.from
                ),
            );
        }
        bands.push(Band {
            id: b.id.clone(),
            from: b.from,
        });
    }
    if bands.is_empty() {
        v.error(
            &top.name("bands"),
            "a scenario needs at least one band".into(),
        );
    } else if bands[0].from != 0 {
        v.error(
            &top.field("bands").index(0).field("from"),
            "the first band must start at 0".into(),
        );
    }
    let band_ids: Vec<String> = bands.iter().map(|b| b.id.clone()).collect();
    let reveal_ids: Vec<String> = raw.reveals.iter().map(|r| r.id.clone()).collect();
    let refs = Refs {
        bands: &band_ids,
        reveals: &reveal_ids,
        talk: "",
    };

    for name in raw.words.keys() {
        if !WORD_CLASSES.contains(&name.as_str()) {
            let hint = did_you_mean(name, WORD_CLASSES.iter().copied());
            v.error(
                &top.field("words").key_name(name),
                format!("`words` can extend `stressor` and `grievance`, not `{name}`{hint}"),
            );
        }
    }

    // Reply texts seen so far, with where: a reply is said once in the whole file.
    let mut seen_texts: BTreeMap<String, Loc> = BTreeMap::new();
    let reactions = reactions(
        &mut v,
        &raw.reactions,
        &top.field("reactions"),
        &refs,
        &mut seen_texts,
        first_talk,
    );
    // Every possible line must find a reaction: each move, and a line with none.
    let unconditional = |t: Option<Move>| {
        reactions
            .iter()
            .any(|r| r.when.is_empty() && r.on.matches(t))
    };
    // A move whose name is misspelt in an unconditional reaction (`critcism`) already has
    // its own error with the spelling to use; saying it is not covered would only point
    // away from the cause.
    let misspelt: Vec<&str> = raw
        .reactions
        .iter()
        .filter(|r| r.when.is_empty() && Move::from_name(&r.on).is_none())
        .filter_map(|r| crate::suggest::nearest(&r.on, trigger_names()))
        .collect();
    for kind in [Kind::Mistake, Kind::Practice] {
        let missing: Vec<&str> = Move::ALL
            .iter()
            .filter(|m| m.kind() == kind && !unconditional(Some(**m)))
            .map(|m| m.name())
            .filter(|name| !misspelt.contains(name))
            .collect();
        if !missing.is_empty() {
            v.error(
                &top.name("reactions"),
                format!(
                    "no reaction without conditions covers {}: add one for each, or one for `any_{}`",
                    missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "),
                    kind.name()
                ),
            );
        }
    }
    if !unconditional(None) {
        v.error(
            &top.name("reactions"),
            "no reaction without conditions covers `no_move` (a line with no move)".into(),
        );
    }

    let reveals = reveals(
        &mut v,
        &raw.reveals,
        &top.field("reveals"),
        &refs,
        first_talk,
    );
    let endings = endings(
        &mut v,
        &raw.endings,
        &top.field("endings"),
        &refs,
        first_talk,
    );
    if !endings.iter().any(|e| e.outcome == Outcome::Good) {
        v.error(
            &top.name("endings"),
            "a scenario needs at least one `good` ending".into(),
        );
    }

    // What can never happen, judged from the start: reveals and endings whose conditions
    // no session can meet.
    let never = Reachability::new(raw.openness, raw.max_turns, &reactions, &bands);
    let dead_reveals = unreachable_reveals(&mut v, &never, &reveals, &top.field("reveals"), "");
    for (i, e) in endings.iter().enumerate() {
        if let Some(why) = never.why(&e.when, &dead_reveals) {
            v.error(
                &top.field("endings").index(i).field("id"),
                format!("ending `{}` cannot be reached from the start: {why}", e.id),
            );
        }
    }

    let check_in = raw.check_in.as_ref().map(|c| {
        check_in(
            &mut v,
            c,
            &top.field("check_in"),
            &band_ids,
            &mut seen_texts,
        )
    });
    if let (Some(c), Some(raw_c)) = (&check_in, &raw.check_in) {
        check_in_reachable(
            &mut v,
            c,
            raw_c,
            &top,
            &reactions,
            &endings,
            &bands,
            raw.max_turns,
        );
    }

    if !v.errors.is_empty() {
        // In file order, as an author reads them.
        v.errors.sort_by_key(|d| (d.line, d.col));
        return Err(v.errors);
    }
    let Some(relationship) = relationship else {
        return Err(v.errors);
    };
    Ok(Scenario {
        id: raw.id,
        title: raw.title,
        summary: raw.summary,
        relationship,
        partner: raw.partner,
        brief: raw.brief,
        goal: raw.goal,
        opening: raw.opening,
        openness: raw.openness,
        max_turns: raw.max_turns,
        bands,
        words: raw.words,
        reactions,
        reveals,
        endings,
        content_hash: content_hash(source),
        moment: raw.moment.filter(|m| !m.trim().is_empty()),
        check_in,
    })
}

/// What a reaction's `on` may name: a move, or `any_mistake`, `any_practice`, `no_move`.
fn trigger_names() -> impl Iterator<Item = &'static str> {
    Move::ALL
        .iter()
        .map(|m| m.name())
        .chain(["any_mistake", "any_practice", "no_move"])
}

fn reactions(
    v: &mut Validator,
    raw: &[RawReaction],
    at: &Loc,
    refs: &Refs,
    seen_texts: &mut BTreeMap<String, Loc>,
    allow: Allow,
) -> Vec<Reaction> {
    let mut reactions = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        let at = at.index(i);
        let on = match r.on.as_str() {
            "any_mistake" => Some(Trigger::AnyMistake),
            "any_practice" => Some(Trigger::AnyPractice),
            "no_move" => Some(Trigger::NoMove),
            name => {
                let m = Move::from_name(name);
                if m.is_none() {
                    let hint = did_you_mean(name, trigger_names());
                    v.error(
                        &at.field("on"),
                        format!("unknown move `{name}` in `on`{hint}"),
                    );
                }
                m.map(Trigger::Move)
            }
        };
        let when = conditions(v, &r.when, &at.field("when"), refs);
        if r.replies.is_empty() {
            v.error(
                &at.field("replies"),
                format!("a {}reaction to `{}` has no replies", refs.talk, r.on),
            );
        }
        let mut replies = Vec::new();
        for (j, reply) in r.replies.iter().enumerate() {
            let reply_at = at.field("replies").index(j);
            let text = reply.text.trim();
            if text.is_empty() {
                v.error(
                    &reply_at.text(),
                    format!("an empty reply in the {}reaction to `{}`", refs.talk, r.on),
                );
                continue;
            }
            if let Some(first) = seen_texts.get(text) {
                let mut shown: String = text.chars().take(40).collect();
                if shown.len() < text.len() {
                    shown.push('…');
                }
                let line = v.line_of(first);
                v.error(
                    &reply_at.text(),
                    format!("duplicate reply \"{shown}\" (first on line {line})"),
                );
            } else {
                seen_texts.insert(text.to_string(), reply_at.text());
            }
            if reply.weight == 0 {
                v.error(
                    &reply_at.field("weight"),
                    "a reply's weight must be at least 1".into(),
                );
            }
            let quotes = placeholders(
                v,
                &reply.text,
                &reply_at.text(),
                Allow {
                    quote: true,
                    ..allow
                },
            );
            replies.push(Reply {
                text: reply.text.clone(),
                weight: reply.weight.max(1),
                once: reply.once,
                quotes,
            });
        }
        if let Some(on) = on {
            reactions.push(Reaction {
                on,
                when,
                delta: r.delta,
                asks_space: r.asks_space,
                replies,
            });
        }
    }
    reactions
}

fn reveals(
    v: &mut Validator,
    raw: &[RawReveal],
    at: &Loc,
    refs: &Refs,
    allow: Allow,
) -> Vec<Reveal> {
    let mut reveals = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        let at = at.index(i);
        let id_at = at.field("id");
        if reveals.iter().any(|x: &Reveal| x.id == r.id) {
            v.error(&id_at, format!("duplicate {}reveal `{}`", refs.talk, r.id));
        }
        let on: Vec<Move> =
            r.on.iter()
                .enumerate()
                .filter_map(|(k, n)| v.resolve_move(n, &at.field("on").index(k)))
                .collect();
        if on.iter().any(|m| m.kind() == Kind::Mistake) {
            v.error(
                &id_at,
                format!("{}reveal `{}` can never trigger on a mistake: reveals need a line with no mistake", refs.talk, r.id),
            );
        }
        let when = conditions(v, &r.when, &at.field("when"), refs);
        if r.text.trim().is_empty() {
            v.error(
                &at.field("text"),
                format!("{}reveal `{}` has no text", refs.talk, r.id),
            );
        }
        placeholders(v, &r.text, &at.field("text"), allow);
        reveals.push(Reveal {
            id: r.id.clone(),
            on,
            when,
            text: r.text.clone(),
        });
    }
    reveals
}

fn endings(
    v: &mut Validator,
    raw: &[RawEnding],
    at: &Loc,
    refs: &Refs,
    allow: Allow,
) -> Vec<Ending> {
    let mut endings = Vec::new();
    for (i, e) in raw.iter().enumerate() {
        let at = at.index(i);
        let id_at = at.field("id");
        if endings.iter().any(|x: &Ending| x.id == e.id) {
            v.error(&id_at, format!("duplicate {}ending `{}`", refs.talk, e.id));
        }
        let outcome = match e.outcome.as_str() {
            "good" => Outcome::Good,
            "bad" => Outcome::Bad,
            "neutral" => Outcome::Neutral,
            other => {
                let hint = did_you_mean(other, ["good", "bad", "neutral"]);
                v.error(
                    &at.field("outcome"),
                    format!("unknown outcome `{other}` (good, bad or neutral){hint}"),
                );
                Outcome::Neutral
            }
        };
        if e.when.is_empty() {
            v.error(
                &id_at,
                format!(
                    "{}ending `{}` has no conditions: it would end the talk at once",
                    refs.talk, e.id
                ),
            );
        }
        let when = conditions(v, &e.when, &at.field("when"), refs);
        placeholders(v, &e.text, &at.field("text"), allow);
        endings.push(Ending {
            id: e.id.clone(),
            outcome,
            when,
            text: e.text.clone(),
        });
    }
    endings
}

/// The check-in's own parts, validated like the first talk's. Its conditions refer to its
/// own reveals; its texts may use `{plan}`.
fn check_in(
    v: &mut Validator,
    c: &RawCheckIn,
    at: &Loc,
    band_ids: &[String],
    seen_texts: &mut BTreeMap<String, Loc>,
) -> CheckInTalk {
    let allow = Allow {
        quote: false,
        plan: true,
    };
    if !(0..=100).contains(&c.openness) {
        v.error(
            &at.field("openness"),
            "check_in openness must be between 0 and 100".into(),
        );
    }
    for (field, text) in [("went_well", &c.went_well), ("partly", &c.partly)] {
        if text.trim().is_empty() {
            v.error(
                &at.field(field),
                format!("check_in `{field}` is empty: it is how the check-in opens"),
            );
        }
        placeholders(v, text, &at.field(field), allow);
    }
    if c.max_turns == Some(0) {
        v.error(
            &at.field("max_turns"),
            "check_in max_turns must be at least 1".into(),
        );
    }
    let reveal_ids: Vec<String> = c.reveals.iter().map(|r| r.id.clone()).collect();
    let refs = Refs {
        bands: band_ids,
        reveals: &reveal_ids,
        talk: "check-in ",
    };
    let reactions = reactions(
        v,
        &c.reactions,
        &at.field("reactions"),
        &refs,
        seen_texts,
        allow,
    );
    let reveals = reveals(v, &c.reveals, &at.field("reveals"), &refs, allow);
    let endings = endings(v, &c.endings, &at.field("endings"), &refs, allow);
    if !endings.is_empty() && !endings.iter().any(|e| e.outcome == Outcome::Good) {
        v.error(
            &at.name("endings"),
            "the check-in's endings need at least one `good` ending".into(),
        );
    }
    CheckInTalk {
        openness: c.openness.clamp(0, 100),
        went_well: c.went_well.clone(),
        partly: c.partly.clone(),
        max_turns: c.max_turns.filter(|&n| n > 0),
        reactions,
        reveals,
        endings,
    }
}

/// The check-in judged from its own start: its reveals and endings (or the first talk's
/// endings it falls back on) must be reachable with its reactions and the first talk's.
#[allow(clippy::too_many_arguments)]
fn check_in_reachable(
    v: &mut Validator,
    c: &CheckInTalk,
    raw: &RawCheckIn,
    top: &Loc,
    reactions: &[Reaction],
    endings: &[Ending],
    bands: &[Band],
    max_turns: u32,
) {
    let at = top.field("check_in");
    let (all_reactions, _, all_endings) = check_in_parts(reactions, endings, Some(c));
    // A plan that went only partly starts lower: judge from the lower start.
    let start = (c.openness - 15).max(0);
    let never = Reachability::new(
        start,
        c.max_turns.unwrap_or(max_turns),
        &all_reactions,
        bands,
    );
    let dead = unreachable_reveals(v, &never, &c.reveals, &at.field("reveals"), "check-in ");
    if !raw.endings.is_empty() {
        for (i, e) in c.endings.iter().enumerate() {
            if let Some(why) = never.why(&e.when, &dead) {
                v.error(
                    &at.field("endings").index(i).field("id"),
                    format!(
                        "check-in ending `{}` cannot be reached from the check-in's start: {why}",
                        e.id
                    ),
                );
            }
        }
    } else if !all_endings
        .iter()
        .any(|e| e.outcome == Outcome::Good && never.why(&e.when, &dead).is_none())
    {
        v.error(
            &top.name("check_in"),
            "the check-in has no good ending it can reach: it falls back on the first talk's endings, and their good ones wait for the first talk's reveals, which do not come out again; give `check_in` its own `endings`".into(),
        );
    }
}

/// Report reveals no session can draw out; their indexes, for what waits on them.
fn unreachable_reveals(
    v: &mut Validator,
    never: &Reachability,
    reveals: &[Reveal],
    at: &Loc,
    talk: &str,
) -> Vec<usize> {
    let mut dead = Vec::new();
    for (i, r) in reveals.iter().enumerate() {
        let own = r
            .when
            .iter()
            .any(|c| matches!(c, Condition::Revealed(x) | Condition::SaidLast(x) if *x == i));
        if let Some(why) = never
            .why(&r.when, &dead)
            .or(own.then(|| "it waits for itself to have been revealed".to_string()))
        {
            v.error(
                &at.index(i).field("id"),
                format!("{talk}reveal `{}` can never trigger: {why}", r.id),
            );
            dead.push(i);
        }
    }
    dead
}

struct Reachability<'a> {
    low: i32,
    high: i32,
    max_turns: u32,
    asks_space: bool,
    bands: &'a [Band],
}

impl<'a> Reachability<'a> {
    fn new(start: i32, max_turns: u32, reactions: &[Reaction], bands: &'a [Band]) -> Self {
        let start = start.clamp(0, 100);
        Reachability {
            low: if reactions.iter().any(|r| r.delta < 0) {
                0
            } else {
                start
            },
            high: if reactions.iter().any(|r| r.delta > 0) {
                100
            } else {
                start
            },
            max_turns,
            asks_space: reactions.iter().any(|r| r.asks_space),
            bands,
        }
    }

    fn band_range(&self, i: usize) -> (i32, i32) {
        let from = self.bands.get(i).map_or(0, |b| b.from);
        let to = self.bands.get(i + 1).map_or(100, |b| b.from - 1);
        (from, to)
    }

    /// Why these conditions (all together) can never hold, if they cannot.
    fn why(&self, when: &[Condition], dead_reveals: &[usize]) -> Option<String> {
        let (mut lo, mut hi) = (0, 100);
        for c in when {
            match c {
                Condition::MinOpenness(n) => lo = lo.max(*n),
                Condition::MaxOpenness(n) => hi = hi.min(*n),
                Condition::Band(b) => {
                    let (f, t) = self.band_range(*b);
                    lo = lo.max(f);
                    hi = hi.min(t);
                }
                Condition::BandAtLeast(b) => lo = lo.max(self.band_range(*b).0),
                Condition::BandAtMost(b) => hi = hi.min(self.band_range(*b).1),
                Condition::TurnAtLeast(n)
                | Condition::MistakeStreak(n)
                | Condition::PracticeStreak(n)
                | Condition::Seen(_, n)
                | Condition::Repeat(n)
                    if *n > self.max_turns =>
                {
                    return Some(format!(
                        "it needs {n} turns but the talk ends after {} (max_turns)",
                        self.max_turns
                    ));
                }
                Condition::AfterSpaceRequest if !self.asks_space => {
                    return Some("no reaction ever asks for space (`asks_space: true`)".into());
                }
                Condition::Revealed(r) | Condition::SaidLast(r) if dead_reveals.contains(r) => {
                    return Some("it waits for a reveal that can never trigger".into());
                }
                _ => {}
            }
        }
        if lo > hi {
            return Some(format!(
                "its openness conditions contradict each other (at least {lo} and at most {hi})"
            ));
        }
        if lo > self.high || hi < self.low {
            return Some(format!(
                "it needs openness from {lo} to {hi}, but openness can only range from {} to {}",
                self.low, self.high
            ));
        }
        None
    }
}

/// Placeholders in a text: `{quote:MOVE}` (replies only) resolved to moves, `{plan}` (the
/// check-in only); anything else in braces that looks like one is reported.
fn placeholders(v: &mut Validator, text: &str, at: &Loc, allow: Allow) -> Vec<Move> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        let next = after[name_len..].chars().next();
        if name.is_empty() || !matches!(next, Some('}' | ':') | None) {
            // Not a placeholder: a brace in ordinary text.
            rest = after;
            continue;
        }
        let Some(close) = after.find('}') else {
            v.error(at, format!("unclosed `{{{name}` placeholder"));
            break;
        };
        let inner = &after[..close];
        match (name, next) {
            ("quote", Some(':')) if allow.quote => {
                let m = &inner[name_len + 1..];
                match Move::from_name(m) {
                    Some(m) => out.push(m),
                    None => {
                        let hint = did_you_mean(m, Move::ALL.iter().map(|m| m.name()));
                        v.error(at, format!("unknown move `{m}` in `{{quote:{m}}}`{hint}"));
                    }
                }
            }
            ("quote", Some(':')) => v.error(
                at,
                "`{quote:...}` only works in replies (the person quotes an earlier line back)"
                    .into(),
            ),
            ("plan", Some('}')) if allow.plan => {}
            ("plan", Some('}')) => v.error(
                at,
                "`{plan}` only means something in `check_in`, where there is a plan to refer to"
                    .into(),
            ),
            _ => {
                let hint = did_you_mean(name, ["quote", "plan"]);
                v.error(
                    at,
                    format!(
                        "unknown placeholder `{{{inner}}}`{hint} (replies can use `{{quote:MOVE}}`, check-in texts `{{plan}}`)"
                    ),
                );
            }
        }
        rest = &after[close + 1..];
    }
    out
}

fn conditions(v: &mut Validator, raw: &[RawCondition], at: &Loc, refs: &Refs) -> Vec<Condition> {
    raw.iter()
        .enumerate()
        .filter_map(|(i, c)| condition(v, c, &at.index(i), refs))
        .collect()
}

/// One condition; `at` is the condition itself, its first argument is `at.index(0)`.
fn condition(v: &mut Validator, raw: &RawCondition, at: &Loc, refs: &Refs) -> Option<Condition> {
    let arg = at.index(0);
    let band = |v: &mut Validator, name: &str| {
        let i = refs.bands.iter().position(|b| b == name);
        if i.is_none() {
            let hint = did_you_mean(name, refs.bands.iter().map(String::as_str));
            v.error(&arg, format!("unknown band `{name}`{hint}"));
        }
        i
    };
    let reveal = |v: &mut Validator, id: &str| {
        let i = refs.reveals.iter().position(|r| r == id);
        if i.is_none() {
            let hint = did_you_mean(id, refs.reveals.iter().map(String::as_str));
            let whose = if refs.talk.is_empty() {
                ""
            } else {
                " (the check-in's conditions refer to its own reveals)"
            };
            v.error(
                &arg,
                format!("unknown {}reveal `{id}`{hint}{whose}", refs.talk),
            );
        }
        i
    };
    Some(match raw {
        RawCondition::Band(b) => Condition::Band(band(v, b)?),
        RawCondition::BandAtLeast(b) => Condition::BandAtLeast(band(v, b)?),
        RawCondition::BandAtMost(b) => Condition::BandAtMost(band(v, b)?),
        RawCondition::MinOpenness(n) => Condition::MinOpenness(*n),
        RawCondition::MaxOpenness(n) => Condition::MaxOpenness(*n),
        RawCondition::TurnAtLeast(n) => Condition::TurnAtLeast(*n),
        RawCondition::TurnAtMost(n) => Condition::TurnAtMost(*n),
        RawCondition::Seen(m, n) => Condition::Seen(v.resolve_move(m, &arg)?, *n),
        RawCondition::NotSeen(m) => Condition::NotSeen(v.resolve_move(m, &arg)?),
        RawCondition::Repeat(n) => Condition::Repeat(*n),
        RawCondition::QuietFor(m, n) => Condition::QuietFor(v.resolve_move(m, &arg)?, *n),
        RawCondition::LastMove(m) => Condition::LastMove(v.resolve_move(m, &arg)?),
        RawCondition::AfterSpaceRequest => Condition::AfterSpaceRequest,
        RawCondition::MistakeStreak(n) => Condition::MistakeStreak(*n),
        RawCondition::PracticeStreak(n) => Condition::PracticeStreak(*n),
        RawCondition::Revealed(id) => Condition::Revealed(reveal(v, id)?),
        RawCondition::SaidLast(id) => Condition::SaidLast(reveal(v, id)?),
        RawCondition::Not(inner) => Condition::Not(Box::new(condition(v, inner, &arg, refs)?)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The forms shown in messages name every condition there is, and each parses.
    #[test]
    fn condition_forms_cover_every_condition_and_parse() {
        let err = ron::from_str::<RawCondition>("no_such_condition").unwrap_err();
        let ron::error::Error::NoSuchEnumVariant { expected, .. } = err.code else {
            panic!("{err}");
        };
        let names: Vec<&str> = CONDITION_FORMS.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, expected.to_vec());
        for (name, form) in CONDITION_FORMS {
            assert!(form.starts_with(name), "{form}");
            ron::from_str::<RawCondition>(form).unwrap_or_else(|e| panic!("{form}: {e}"));
        }
    }

    /// Every reply of every built-in file (first talk and check-in) is located at its own
    /// literal, in file order: the locator reads the whole of each real file.
    #[test]
    fn every_reply_of_the_built_ins_is_found_at_its_own_place() {
        for (name, src) in crate::builtin::files() {
            let sc = Scenario::parse(name, src).unwrap();
            let tree = SourceTree::new(src);
            let mut last = 0;
            let parts = [(Loc::root(), sc.reactions.len())].into_iter().chain(
                sc.check_in
                    .as_ref()
                    .map(|c| (Loc::root().field("check_in"), c.reactions.len())),
            );
            let mut n = 0;
            for (base, count) in parts {
                for i in 0..count {
                    let at = base.field("reactions").index(i).field("replies");
                    let mut j = 0;
                    while let Some(offset) = tree.offset(&at.index(j).text()) {
                        if offset == tree.offset(&at).unwrap() {
                            break; // past the last reply: the list itself
                        }
                        assert!(offset > last, "{name}: reaction {i} reply {j} out of order");
                        assert_eq!(&src[offset..offset + 1], "\"", "{name}: {i}/{j}");
                        last = offset;
                        j += 1;
                        n += 1;
                    }
                }
            }
            let replies: usize = sc.reactions.iter().map(|r| r.replies.len()).sum::<usize>()
                + sc.check_in
                    .as_ref()
                    .map_or(0, |c| c.reactions.iter().map(|r| r.replies.len()).sum());
            assert_eq!(n, replies, "{name}: every reply located");
        }
    }

    #[test]
    fn in_the_check_in_the_first_talks_reveal_conditions_are_false() {
        let r = || Condition::Revealed(0);
        let s = || Condition::SaidLast(1);
        let band = Condition::Band(2);
        assert_eq!(without_first_talk_reveals(&[band.clone(), r()]), None);
        assert_eq!(without_first_talk_reveals(&[s()]), None);
        assert_eq!(
            without_first_talk_reveals(&[band.clone(), Condition::Not(Box::new(r()))]),
            Some(vec![band.clone()])
        );
        assert_eq!(
            without_first_talk_reveals(&[Condition::Not(Box::new(Condition::Not(Box::new(s()))))]),
            None
        );
        assert_eq!(
            without_first_talk_reveals(&[Condition::Not(Box::new(band.clone()))]),
            Some(vec![Condition::Not(Box::new(band))])
        );
    }

    #[test]
    fn a_check_in_without_endings_of_its_own_needs_a_first_talk_ending_it_can_reach() {
        let src = include_str!("../tests/fixtures/scenarios/ok/small-talk.ron")
            .replace(
                r#"when: [band("open"), seen("concrete_plan", 1)],"#,
                r#"when: [band("open"), seen("concrete_plan", 1), revealed("night-shifts")],"#,
            )
            .trim_end()
            .trim_end_matches(')')
            .to_string()
            + r#"    check_in: (openness: 60, went_well: "Hi. \"{plan}\"?", partly: "Hm. \"{plan}\"."),
)
"#;
        let errors = Scenario::parse("s.ron", &src).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .message
                .contains("the check-in has no good ending it can reach"),
            "{}",
            errors[0]
        );
        assert_eq!(
            errors[0].source_line.as_deref().map(str::trim_start),
            Some(
                r#"check_in: (openness: 60, went_well: "Hi. \"{plan}\"?", partly: "Hm. \"{plan}\"."),"#
            )
        );
    }
}
