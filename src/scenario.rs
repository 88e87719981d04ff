//! Scenarios: one partner and one situation, entirely as data.
//!
//! A scenario file (RON) is read into raw serde structs (`deny_unknown_fields`), then
//! validated into [`Scenario`], where every move, band and reveal reference is resolved.
//! The engine only ever sees a validated `Scenario`. Problems come back as
//! [`Diagnostic`]s with a line and column, all of them at once.

use crate::diagnostic::Diagnostic;
use crate::moves::{Kind, Move};
use crate::suggest::did_you_mean;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::collections::{BTreeMap, BTreeSet};
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

/// How the partner opens the follow-up talk. `{plan}` is replaced with the user's own
/// words from the plan they agreed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheckIn {
    pub openness: i32,
    pub went_well: String,
    pub partly: String,
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
    pub check_in: Option<CheckInText>,
    pub moment: Option<String>,
}

/// A scenario's own words for the follow-up check-in.
#[derive(Debug, Clone)]
pub struct CheckInText {
    pub openness: i32,
    pub went_well: String,
    pub partly: String,
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
    pub fn parse(path: &str, source: &str) -> Result<Scenario, Vec<Diagnostic>> {
        let raw: RawScenario = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
            .from_str(source)
            .map_err(|e| vec![Diagnostic::from_ron(path, source, &e)])?;
        validate(raw, path, source)
    }
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
    errors: Vec<Diagnostic>,
    /// How many times each quoted literal has been looked up, to locate the n-th use.
    seen_literals: BTreeMap<String, usize>,
}

impl Validator<'_> {
    /// Report `message` at the source position of the string literal `value` (its n-th
    /// occurrence, counting lookups in file order), or at the start of the file.
    fn error_at(&mut self, value: &str, message: String) {
        let needle = format!("\"{value}\"");
        let k = self.seen_literals.entry(needle.clone()).or_insert(0);
        let found: Vec<usize> = self.source.match_indices(&needle).map(|(i, _)| i).collect();
        let offset = found.get(*k).or(found.first()).copied();
        *k += 1;
        self.errors.push(Diagnostic::at_offset(
            self.path,
            self.source,
            offset,
            message,
        ));
    }

    fn error_at_field(&mut self, field: &str, message: String) {
        let offset = find_field(self.source, field);
        self.errors.push(Diagnostic::at_offset(
            self.path,
            self.source,
            offset,
            message,
        ));
    }

    fn resolve_move(&mut self, name: &str) -> Option<Move> {
        let m = Move::from_name(name);
        if m.is_none() {
            let hint = did_you_mean(name, Move::ALL.iter().map(|m| m.name()));
            self.error_at(name, format!("unknown move `{name}`{hint}"));
        } else {
            self.note_literal(name);
        }
        m
    }

    /// Count a literal use that resolved fine, so later lookups point at the right place.
    fn note_literal(&mut self, value: &str) {
        *self
            .seen_literals
            .entry(format!("\"{value}\""))
            .or_insert(0) += 1;
    }
}

/// Byte offset of `name:` as a field in RON source (skipping comments is not needed for a
/// position hint; the first plausible occurrence is reported).
fn find_field(source: &str, name: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = source[from..].find(name) {
        let at = from + i;
        let before_ok = at == 0
            || !source[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let after = source[at + name.len()..].trim_start();
        if before_ok && after.starts_with(':') {
            return Some(at);
        }
        from = at + name.len();
    }
    None
}

fn validate(raw: RawScenario, path: &str, source: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let mut v = Validator {
        path,
        source,
        errors: Vec::new(),
        seen_literals: BTreeMap::new(),
    };

    let relationship = match raw.relationship.as_str() {
        "romantic" => Some(Relationship::Romantic),
        "family" => Some(Relationship::Family),
        "friend" => Some(Relationship::Friend),
        other => {
            let hint = did_you_mean(other, ["romantic", "family", "friend"]);
            v.error_at(
                other,
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
            v.error_at_field(field, format!("`{field}` is empty"));
        }
    }
    if !raw
        .id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        v.error_at_field(
            "id",
            format!(
                "id `{}` should use lower-case letters, digits and `-`",
                raw.id
            ),
        );
    }
    if !(0..=100).contains(&raw.openness) {
        v.error_at_field("openness", "openness must be between 0 and 100".into());
    }
    if raw.max_turns == 0 {
        v.error_at_field("max_turns", "max_turns must be at least 1".into());
    }

    // Bands: unique ids, strictly increasing thresholds, the first at 0.
    let mut bands: Vec<Band> = Vec::new();
    for b in &raw.bands {
        if bands.iter().any(|x| x.id == b.id) {
            v.error_at(&b.id, format!("duplicate band `{}`", b.id));
            continue;
        }
        v.note_literal(&b.id);
        if let Some(last) = bands.last()
            && b.from <= last.from
        {
            v.error_at_field(
                "from",
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
        v.error_at_field("bands", "a scenario needs at least one band".into());
    } else if bands[0].from != 0 {
        v.error_at_field("bands", "the first band must start at 0".into());
    }
    let band_ids: Vec<String> = bands.iter().map(|b| b.id.clone()).collect();
    let reveal_ids: Vec<String> = raw.reveals.iter().map(|r| r.id.clone()).collect();

    for name in raw.words.keys() {
        if !WORD_CLASSES.contains(&name.as_str()) {
            let hint = did_you_mean(name, WORD_CLASSES.iter().copied());
            v.error_at(
                name,
                format!("`words` can extend `stressor` and `grievance`, not `{name}`{hint}"),
            );
        }
    }

    let mut reactions = Vec::new();
    let mut seen_texts: BTreeSet<String> = BTreeSet::new();
    for r in &raw.reactions {
        let on = match r.on.as_str() {
            "any_mistake" => Some(Trigger::AnyMistake),
            "any_practice" => Some(Trigger::AnyPractice),
            "no_move" => Some(Trigger::NoMove),
            name => {
                let m = Move::from_name(name);
                if m.is_none() {
                    let hint = did_you_mean(
                        name,
                        Move::ALL.iter().map(|m| m.name()).chain([
                            "any_mistake",
                            "any_practice",
                            "no_move",
                        ]),
                    );
                    v.error_at(name, format!("unknown move `{name}` in `on`{hint}"));
                } else {
                    v.note_literal(name);
                }
                m.map(Trigger::Move)
            }
        };
        let when = conditions(&mut v, &r.when, &band_ids, &reveal_ids);
        if r.replies.is_empty() {
            v.error_at_field(
                "replies",
                format!("a reaction to `{}` has no replies", r.on),
            );
        }
        let mut replies = Vec::new();
        for reply in &r.replies {
            let text = reply.text.trim();
            if text.is_empty() {
                v.error_at_field(
                    "replies",
                    format!("an empty reply in the reaction to `{}`", r.on),
                );
                continue;
            }
            if seen_texts.insert(text.to_string()) {
                v.note_literal(&reply.text);
            } else {
                let mut shown: String = text.chars().take(40).collect();
                if shown.len() < text.len() {
                    shown.push('…');
                }
                v.error_at(&reply.text, format!("duplicate reply \"{shown}\""));
            }
            if reply.weight == 0 {
                v.error_at(&reply.text, "a reply's weight must be at least 1".into());
            }
            let quotes = placeholders(&mut v, &reply.text);
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
    // Every possible line must find a reaction: each move, and a line with none.
    let unconditional = |t: Option<Move>| {
        reactions
            .iter()
            .any(|r| r.when.is_empty() && r.on.matches(t))
    };
    for kind in [Kind::Mistake, Kind::Practice] {
        let missing: Vec<&str> = Move::ALL
            .iter()
            .filter(|m| m.kind() == kind && !unconditional(Some(**m)))
            .map(|m| m.name())
            .collect();
        if !missing.is_empty() {
            v.error_at_field(
                "reactions",
                format!(
                    "no reaction without conditions covers {}: add one for each, or one for `any_{}`",
                    missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "),
                    kind.name()
                ),
            );
        }
    }
    if !unconditional(None) {
        v.error_at_field(
            "reactions",
            "no reaction without conditions covers `no_move` (a line with no move)".into(),
        );
    }

    let mut reveals = Vec::new();
    for r in &raw.reveals {
        if reveals.iter().any(|x: &Reveal| x.id == r.id) {
            v.error_at(&r.id, format!("duplicate reveal `{}`", r.id));
        } else {
            v.note_literal(&r.id);
        }
        let on: Vec<Move> = r.on.iter().filter_map(|n| v.resolve_move(n)).collect();
        if on.iter().any(|m| m.kind() == Kind::Mistake) {
            v.error_at(
                &r.id,
                format!("reveal `{}` can never trigger on a mistake: reveals need a line with no mistake", r.id),
            );
        }
        let when = conditions(&mut v, &r.when, &band_ids, &reveal_ids);
        if r.text.trim().is_empty() {
            v.error_at(&r.id, format!("reveal `{}` has no text", r.id));
        }
        reveals.push(Reveal {
            id: r.id.clone(),
            on,
            when,
            text: r.text.clone(),
        });
    }

    let mut endings = Vec::new();
    for e in &raw.endings {
        if endings.iter().any(|x: &Ending| x.id == e.id) {
            v.error_at(&e.id, format!("duplicate ending `{}`", e.id));
        } else {
            v.note_literal(&e.id);
        }
        let outcome = match e.outcome.as_str() {
            "good" => Outcome::Good,
            "bad" => Outcome::Bad,
            "neutral" => Outcome::Neutral,
            other => {
                let hint = did_you_mean(other, ["good", "bad", "neutral"]);
                v.error_at(
                    other,
                    format!("unknown outcome `{other}` (good, bad or neutral){hint}"),
                );
                Outcome::Neutral
            }
        };
        if e.when.is_empty() {
            v.error_at(
                &e.id,
                format!(
                    "ending `{}` has no conditions: it would end the talk at once",
                    e.id
                ),
            );
        }
        let when = conditions(&mut v, &e.when, &band_ids, &reveal_ids);
        endings.push(Ending {
            id: e.id.clone(),
            outcome,
            when,
            text: e.text.clone(),
        });
    }
    if let Some(c) = &raw.check_in {
        if !(0..=100).contains(&c.openness) {
            v.error_at_field(
                "check_in",
                "check_in openness must be between 0 and 100".into(),
            );
        }
        if c.went_well.trim().is_empty() || c.partly.trim().is_empty() {
            v.error_at_field(
                "check_in",
                "check_in needs both `went_well` and `partly` texts".into(),
            );
        }
    }
    if !endings.iter().any(|e| e.outcome == Outcome::Good) {
        v.error_at_field(
            "endings",
            "a scenario needs at least one `good` ending".into(),
        );
    }

    // What can never happen, judged from the start: reveals and endings whose conditions
    // no session can meet.
    let never = Reachability::new(raw.openness, raw.max_turns, &reactions, &bands);
    let mut dead_reveals = Vec::new();
    for (i, r) in reveals.iter().enumerate() {
        let own = r.when.contains(&Condition::Revealed(i));
        if let Some(why) = never
            .why(&r.when, &dead_reveals)
            .or(own.then(|| "it waits for itself to have been revealed".to_string()))
        {
            v.error_at(&r.id, format!("reveal `{}` can never trigger: {why}", r.id));
            dead_reveals.push(i);
        }
    }
    for e in &endings {
        if let Some(why) = never.why(&e.when, &dead_reveals) {
            v.error_at(
                &e.id,
                format!("ending `{}` cannot be reached from the start: {why}", e.id),
            );
        }
    }

    if !v.errors.is_empty() {
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
        check_in: raw.check_in.map(|c| CheckInText {
            openness: c.openness.clamp(0, 100),
            went_well: c.went_well,
            partly: c.partly,
        }),
    })
}

/// What a session can reach from the start: the openness range (any negative delta can
/// take it to 0, any positive one to 100), the turn limit, whether the partner ever asks
/// for space.
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
                Condition::Revealed(r) if dead_reveals.contains(r) => {
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

/// `{quote:MOVE}` placeholders in a reply, resolved to moves.
fn placeholders(v: &mut Validator, text: &str) -> Vec<Move> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("{quote:") {
        let after = &rest[i + 7..];
        let Some(close) = after.find('}') else {
            v.error_at(text, "unclosed `{quote:` placeholder".into());
            break;
        };
        let name = &after[..close];
        match Move::from_name(name) {
            Some(m) => out.push(m),
            None => {
                let hint = did_you_mean(name, Move::ALL.iter().map(|m| m.name()));
                v.error_at(
                    text,
                    format!("unknown move `{name}` in `{{quote:{name}}}`{hint}"),
                );
            }
        }
        rest = &after[close + 1..];
    }
    out
}

fn conditions(
    v: &mut Validator,
    raw: &[RawCondition],
    bands: &[String],
    reveals: &[String],
) -> Vec<Condition> {
    raw.iter()
        .filter_map(|c| condition(v, c, bands, reveals))
        .collect()
}

fn condition(
    v: &mut Validator,
    raw: &RawCondition,
    bands: &[String],
    reveals: &[String],
) -> Option<Condition> {
    let band = |v: &mut Validator, name: &str| {
        let i = bands.iter().position(|b| b == name);
        if i.is_none() {
            let hint = did_you_mean(name, bands.iter().map(String::as_str));
            v.error_at(name, format!("unknown band `{name}`{hint}"));
        } else {
            v.note_literal(name);
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
        RawCondition::Seen(m, n) => Condition::Seen(v.resolve_move(m)?, *n),
        RawCondition::NotSeen(m) => Condition::NotSeen(v.resolve_move(m)?),
        RawCondition::Repeat(n) => Condition::Repeat(*n),
        RawCondition::QuietFor(m, n) => Condition::QuietFor(v.resolve_move(m)?, *n),
        RawCondition::LastMove(m) => Condition::LastMove(v.resolve_move(m)?),
        RawCondition::AfterSpaceRequest => Condition::AfterSpaceRequest,
        RawCondition::MistakeStreak(n) => Condition::MistakeStreak(*n),
        RawCondition::PracticeStreak(n) => Condition::PracticeStreak(*n),
        RawCondition::Revealed(id) => {
            let i = reveals.iter().position(|r| r == id);
            if i.is_none() {
                let hint = did_you_mean(id, reveals.iter().map(String::as_str));
                v.error_at(id, format!("unknown reveal `{id}`{hint}"));
            } else {
                v.note_literal(id);
            }
            Condition::Revealed(i?)
        }
        RawCondition::Not(inner) => Condition::Not(Box::new(condition(v, inner, bands, reveals)?)),
    })
}
