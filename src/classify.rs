//! The classifier: a line in, the moves it carries out, each with the rule that found it
//! and the byte span of the words that triggered it.
//!
//! One Aho-Corasick pass over the normalised line finds the literals that every match of
//! a pattern must contain (read off each pattern's syntax tree); only the patterns whose
//! literals all occurred then run their own regex for a span (an anchored lazy DFA
//! tried only where a match can begin, over the line or, for a line with non-ASCII
//! characters, over its one-byte-per-character shadow; see `mod shadow`), and their
//! rule's exceptions only when they matched. A rule's exceptions veto a match they
//! overlap ("you never know"), and a rule that fires can override other moves whose match
//! starts inside its own (an attack dressed as a feeling is criticism, not an
//! I-statement). Compiled once per process and shared.

use crate::moves::{Kind, Move};
use crate::rules::{Label, Rule, RuleSet, When};
use crate::text::{Normalized, normalize, normalize_into};
use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::nfa::contiguous::NFA;
use regex::{Regex, RegexBuilder};
use regex_automata::{Anchored, Input, hybrid};
use serde::Serialize;
use std::sync::{Arc, OnceLock};

/// What the session knows that can change how a line reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context {
    /// The partner's last reply asked for space.
    pub after_space_request: bool,
}

/// One move found in a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct MoveMatch {
    #[serde(rename = "move")]
    pub mv: Move,
    pub kind: Kind,
    pub rule: String,
    /// Byte offsets into the original line.
    pub start: usize,
    pub end: usize,
}

/// A line that speaks of danger or self-harm: not a move, never scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SafetyFlag {
    pub rule: String,
    pub start: usize,
    pub end: usize,
}

/// Everything the classifier found in a line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classification {
    /// At most one match per move, ordered by where it starts.
    pub moves: Vec<MoveMatch>,
    /// The safety rule that fired, if the line speaks of danger or self-harm.
    pub safety: Option<SafetyFlag>,
}

impl Classification {
    pub fn has(&self, m: Move) -> bool {
        self.moves.iter().any(|x| x.mv == m)
    }

    pub fn distinct_moves(&self) -> Vec<Move> {
        self.moves.iter().map(|x| x.mv).collect()
    }
}

/// A regex compiled on first use, so building a classifier pays only for the prefilter.
struct Lazy {
    source: String,
    /// How the engine's shadows stand for non-ASCII characters.
    kinds: Arc<shadow::Kinds>,
    regex: OnceLock<Regex>,
    /// The engine for ASCII lines, compiled from the same pattern without Unicode classes
    /// and boundaries: on an ASCII line that form matches exactly what `regex` matches.
    ascii: OnceLock<Ascii>,
}

struct AnchoredDfa {
    /// The pattern as written; `None` if it failed to compile (then the Unicode regex
    /// runs instead). The state caches of both DFAs live in each thread's [`Caches`].
    exact: OnceLock<Option<hybrid::dfa::DFA>>,
    /// The same pattern with its long bounded repetitions made unbounded (see [`relax`]),
    /// and the most bytes, from a search's start to the end of the haystack, for which it
    /// matches exactly what `exact` matches. Searches that short use it: `[^.?!]{0,60}` is
    /// one state where the bounded form needs sixty, and on new text that is the
    /// difference between reusing states and building them.
    relaxed: Option<(hybrid::dfa::DFA, usize)>,
    /// Where a match beginning with each byte may start (see [`first_bytes`]).
    first: [u8; 256],
    /// Compiled for shadows (see `shadow`): also right on a non-ASCII line's shadow.
    shadow: bool,
}

/// How a pattern runs on an ASCII line (and, if its DFA is marked so, on shadows).
enum Ascii {
    /// An anchored lazy DFA, tried only at positions holding a byte a match can begin
    /// with. An anchored automaton has far fewer states than an unanchored one (which
    /// carries a partial match begun at every earlier position), so on new text it builds
    /// fewer states and its tables stay smaller.
    Anchored(Box<AnchoredDfa>),
    /// No usable first bytes (or the pattern can match empty): the usual unanchored
    /// search.
    Unanchored(regex::bytes::Regex),
    /// The pattern needs Unicode to compile; ASCII lines use `regex` too.
    Unicode,
}

/// The most memory one lazy DFA's state cache may take before it is cleared and rebuilt
/// (the regex crate's default).
const CACHE_CAPACITY: usize = 2 << 20;

/// The most memory one thread's lazy-DFA state caches may take together before they are
/// all dropped (checked between lines): with ~1,000 patterns, the per-cache capacity
/// alone would let a long run of new text grow the caches to gigabytes.
const CACHE_BUDGET: usize = 32 << 20;

/// A pattern's state caches in one thread: one for each of its anchored DFAs.
#[derive(Default)]
struct DfaCaches {
    exact: Option<hybrid::dfa::Cache>,
    relaxed: Option<hybrid::dfa::Cache>,
}

impl DfaCaches {
    fn memory_usage(&self) -> usize {
        [&self.exact, &self.relaxed]
            .into_iter()
            .flatten()
            .map(|c| c.memory_usage())
            .sum()
    }
}

type CacheSlot = Option<Box<DfaCaches>>;

/// One thread's lazy-DFA state caches, per engine it has used: a slot per pattern, then
/// one per rule's exception set.
#[derive(Default)]
struct Caches {
    engines: Vec<(u64, Vec<CacheSlot>)>,
    /// What the caches take, as they report it, and the slots.
    bytes: usize,
}

impl Caches {
    /// Engine `id`'s slots (`n` of them), and the byte count to keep up to date.
    fn of(&mut self, id: u64, n: usize) -> (&mut [CacheSlot], &mut usize) {
        let at = match self.engines.iter().position(|e| e.0 == id) {
            Some(at) => at,
            None => {
                // The slots count too: many short-lived classifiers in one thread (one per
                // scenario, say) must not pile up unseen.
                self.bytes += n * std::mem::size_of::<CacheSlot>();
                self.engines
                    .push((id, std::iter::repeat_with(|| None).take(n).collect()));
                self.engines.len() - 1
            }
        };
        (&mut self.engines[at].1, &mut self.bytes)
    }

    /// Drop every cache if together they have passed the budget.
    fn trim(&mut self) {
        if self.bytes > CACHE_BUDGET {
            self.engines.clear();
            self.bytes = 0;
        }
    }
}

impl Ascii {
    fn compile(source: &str, kinds: &shadow::Kinds) -> Ascii {
        Ascii::anchored(source, kinds).unwrap_or_else(|| {
            match regex::bytes::RegexBuilder::new(source)
                .unicode(false)
                .size_limit(256 << 20)
                .dfa_size_limit(CACHE_CAPACITY)
                .build()
            {
                Ok(re) => Ascii::Unanchored(re),
                Err(_) => Ascii::Unicode,
            }
        })
    }

    /// The pattern's form for the anchored DFAs, and whether it is the shadow form.
    fn ascii_hir(source: &str, kinds: &shadow::Kinds) -> Option<(regex_syntax::hir::Hir, bool)> {
        // A pattern whose classes hold all or none of each kind of non-ASCII character
        // runs on a non-ASCII line too, through its shadow; any other runs on ASCII lines
        // only, from its ASCII-only form.
        Some(
            match regex_syntax::Parser::new()
                .parse(source)
                .ok()
                .and_then(|h| shadow::pattern(&h, kinds))
            {
                Some(h) => (h, true),
                None => (
                    regex_syntax::ParserBuilder::new()
                        .unicode(false)
                        .utf8(false)
                        .build()
                        .parse(source)
                        .ok()?,
                    false,
                ),
            },
        )
    }

    fn anchored(source: &str, kinds: &shadow::Kinds) -> Option<Ascii> {
        let (hir, shadow) = Ascii::ascii_hir(source, kinds)?;
        if hir.properties().minimum_len().is_none_or(|n| n == 0) {
            return None;
        }
        let first = first_bytes(&hir)?;
        let mut exact_up_to = None;
        let loose = relax(&hir, 0, &mut exact_up_to);
        let relaxed = exact_up_to.and_then(|n| Some((anchored_dfa(&loose)?, n)));
        // With a relaxed form, most searches never need the exact one: it is compiled on
        // first need, from the source again. (Keeping the syntax trees instead would save
        // that second parse but hold ~3 MB in every session.)
        let exact = OnceLock::new();
        if relaxed.is_none() {
            let _ = exact.set(Some(anchored_dfa(&hir)?));
        }
        Some(Ascii::Anchored(Box::new(AnchoredDfa {
            exact,
            relaxed,
            first,
            shadow,
        })))
    }
}

/// An anchored lazy DFA for `hir`, if it compiles.
fn anchored_dfa(hir: &regex_syntax::hir::Hir) -> Option<hybrid::dfa::DFA> {
    use regex_automata::nfa::thompson;
    let nfa = thompson::Compiler::new()
        .configure(
            thompson::Config::new()
                .utf8(false)
                .nfa_size_limit(Some(256 << 20)),
        )
        .build_from_hir(hir)
        .ok()?;
    hybrid::dfa::DFA::builder()
        .configure(
            hybrid::dfa::DFA::config()
                .cache_capacity(CACHE_CAPACITY)
                .minimum_cache_clear_count(None),
        )
        .build_from_nfa(nfa)
        .ok()
}

/// Bounded repetitions allowing at least this many turns are relaxed by [`relax`].
const RELAX_FROM: u32 = 10;

/// `hir` with each repetition `x{m,n}` (n >= [`RELAX_FROM`], `x` never empty) made
/// `x{m,}`; `exact_up_to` is lowered to the longest span of haystack (from a search's
/// start to its end) on which the two forms are sure to match alike. `context` is the
/// fewest bytes the rest of the pattern takes whenever `hir` is used.
///
/// Why they match alike: in a span of `h` bytes, a repetition whose turns take at least
/// `b` bytes each, beside parts taking at least `c` bytes, can turn at most
/// `(h - c) / b` times. If that is at most `n`, the bound can never bite, so both forms
/// have the same ways of matching, and they rank them alike (greedy prefers one more
/// turn, lazy one fewer, bounded or not), so leftmost-first picks the same match. The
/// test is `h <= n * b + c`.
fn relax(
    hir: &regex_syntax::hir::Hir,
    context: usize,
    exact_up_to: &mut Option<usize>,
) -> regex_syntax::hir::Hir {
    use regex_syntax::hir::{Capture, Hir, HirKind, Repetition};
    let min = |h: &Hir| h.properties().minimum_len().unwrap_or(0);
    match hir.kind() {
        HirKind::Repetition(r) => {
            let sub = Box::new(relax(&r.sub, context, exact_up_to));
            let turn = min(&r.sub);
            let max = match r.max {
                Some(n) if n >= RELAX_FROM && turn > 0 => {
                    let up_to = (n as usize).saturating_mul(turn).saturating_add(context);
                    *exact_up_to = Some(exact_up_to.map_or(up_to, |x| x.min(up_to)));
                    None
                }
                max => max,
            };
            Hir::repetition(Repetition {
                min: r.min,
                max,
                greedy: r.greedy,
                sub,
            })
        }
        HirKind::Concat(subs) => {
            let all: usize = subs.iter().map(min).sum();
            Hir::concat(
                subs.iter()
                    .map(|h| relax(h, context + (all - min(h)), exact_up_to))
                    .collect(),
            )
        }
        HirKind::Alternation(subs) => Hir::alternation(
            subs.iter()
                .map(|h| relax(h, context, exact_up_to))
                .collect(),
        ),
        HirKind::Capture(c) => Hir::capture(Capture {
            index: c.index,
            name: c.name.clone(),
            sub: Box::new(relax(&c.sub, context, exact_up_to)),
        }),
        _ => hir.clone(),
    }
}

/// Where a match beginning with a given byte may start (see [`first_bytes`]).
const NEVER: u8 = 0;
/// Only at the start of the line (after `^`).
const AT_LINE_START: u8 = 1;
/// Only where the byte before is not a word byte, or at the start (after `\b` and
/// before a word byte).
const AT_WORD_START: u8 = 2;
const ANYWHERE: u8 = 3;

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// For each byte, where a non-empty match of `hir` beginning with it may start:
/// [`NEVER`], [`AT_LINE_START`], [`AT_WORD_START`] or [`ANYWHERE`] (the weakest over
/// the pattern's branches); `None` if the pattern can match the empty string. A match of
/// an ASCII pattern starting at `s` always consumes `hay[s]`, and the assertions before
/// its first byte say what may come before it, so only positions passing this need
/// trying. (Any word assertion here is the ASCII one: the anchored automata run on ASCII
/// lines and on shadows, whose word kinds are ASCII word bytes.)
fn first_bytes(hir: &regex_syntax::hir::Hir) -> Option<[u8; 256]> {
    use regex_syntax::hir::{Class, HirKind, Look};
    /// What the assertions passed so far require of the start.
    #[derive(Clone, Copy)]
    struct Lead {
        line_start: bool,
        /// Before a word byte, the byte before the start is not a word byte.
        word_start: bool,
    }
    fn weakest(a: Option<Lead>, b: Option<Lead>) -> Option<Lead> {
        match (a, b) {
            (Some(a), Some(b)) => Some(Lead {
                line_start: a.line_start && b.line_start,
                word_start: a.word_start && b.word_start,
            }),
            (a, None) => a,
            (None, b) => b,
        }
    }
    fn add(set: &mut [u8; 256], bytes: std::ops::RangeInclusive<usize>, lead: Lead) {
        for b in bytes {
            let at = if lead.line_start {
                AT_LINE_START
            } else if lead.word_start && is_word_byte(b as u8) {
                AT_WORD_START
            } else {
                ANYWHERE
            };
            set[b] = set[b].max(at);
        }
    }
    /// Adds the first bytes of `hir` entered with `lead`; returns the weakest lead with
    /// which it can match empty, `None` if it cannot.
    fn walk(hir: &regex_syntax::hir::Hir, lead: Lead, set: &mut [u8; 256]) -> Option<Lead> {
        match hir.kind() {
            HirKind::Empty => Some(lead),
            HirKind::Look(Look::Start) => Some(Lead {
                line_start: true,
                ..lead
            }),
            HirKind::Look(
                Look::WordAscii
                | Look::WordUnicode
                | Look::WordStartAscii
                | Look::WordStartUnicode
                | Look::WordStartHalfAscii
                | Look::WordStartHalfUnicode,
            ) => Some(Lead {
                word_start: true,
                ..lead
            }),
            HirKind::Look(_) => Some(lead),
            HirKind::Literal(l) => match l.0.first() {
                Some(&b) => {
                    add(set, b as usize..=b as usize, lead);
                    None
                }
                None => Some(lead),
            },
            HirKind::Class(Class::Bytes(c)) => {
                for r in c.ranges() {
                    add(set, r.start() as usize..=r.end() as usize, lead);
                }
                None
            }
            HirKind::Class(Class::Unicode(c)) => {
                for r in c.ranges() {
                    let (lo, hi) = (r.start() as u32, r.end() as u32);
                    if lo < 0x80 {
                        add(set, lo as usize..=hi.min(0x7f) as usize, lead);
                    }
                    if hi >= 0x80 {
                        // Any lead byte of a multi-byte character.
                        add(set, 0xc0..=0xff, lead);
                    }
                }
                None
            }
            HirKind::Repetition(r) => {
                let sub = walk(&r.sub, lead, set);
                if r.min == 0 {
                    weakest(Some(lead), sub)
                } else {
                    sub
                }
            }
            HirKind::Capture(c) => walk(&c.sub, lead, set),
            HirKind::Concat(subs) => {
                let mut lead = Some(lead);
                for h in subs {
                    lead = walk(h, lead?, set);
                }
                lead
            }
            HirKind::Alternation(subs) => subs
                .iter()
                .fold(None, |empty, h| weakest(empty, walk(h, lead, set))),
        }
    }
    let mut set = [NEVER; 256];
    let none = Lead {
        line_start: false,
        word_start: false,
    };
    walk(hir, none, &mut set).is_none().then_some(set)
}

/// Whether a match beginning at `s` may start there, by [`first_bytes`].
fn may_start(first: &[u8; 256], hay: &[u8], s: usize) -> bool {
    match first[hay[s] as usize] {
        NEVER => false,
        AT_LINE_START => s == 0,
        AT_WORD_START => s == 0 || !is_word_byte(hay[s - 1]),
        _ => true,
    }
}

impl Lazy {
    fn new(source: String, kinds: Arc<shadow::Kinds>) -> Lazy {
        Lazy {
            source,
            kinds,
            regex: OnceLock::new(),
            ascii: OnceLock::new(),
        }
    }

    /// Compile now what lines will need: the anchored DFA, and the Unicode regex only if
    /// the DFA does not also run on shadows. (Every normalised line has a shadow, so the
    /// Unicode regex of such a pattern is compiled only if a line without one ever comes:
    /// compiling it for every pattern would take ~80 MB.)
    fn warm(&self) {
        if !matches!(self.ascii(), Ascii::Anchored(a) if a.shadow) {
            self.get();
        }
    }

    fn ascii(&self) -> &Ascii {
        self.ascii
            .get_or_init(|| Ascii::compile(&self.source, &self.kinds))
    }

    /// Every match in `text`, leftmost-first, as the Unicode regex finds them, appended
    /// to `out`. `hay` says how the anchored DFA may search the line; `cache` is this
    /// pattern's slot in the thread's [`Caches`] and their byte count.
    fn find_all(
        &self,
        text: &str,
        hay: Haystack<'_>,
        cache: (&mut CacheSlot, &mut usize),
        out: &mut Vec<(usize, usize)>,
    ) {
        let done = match hay {
            Haystack::Ascii => self.find_ascii(text.as_bytes(), None, cache, out),
            Haystack::Shadow(sh) => self.find_ascii(&sh.bytes, Some(&sh.starts), cache, out),
            Haystack::Unicode => false,
        };
        if !done {
            out.extend(self.get().find_iter(text).map(|m| (m.start(), m.end())));
        }
    }

    /// The matches in an ASCII haystack (a line, or a shadow whose byte `i` stands for the
    /// line's bytes from `starts[i]`). False, with `out` untouched, if this pattern cannot
    /// run there.
    fn find_ascii(
        &self,
        hay: &[u8],
        starts: Option<&[usize]>,
        (slot, cached): (&mut CacheSlot, &mut usize),
        out: &mut Vec<(usize, usize)>,
    ) -> bool {
        let at_line = |i: usize| starts.map_or(i, |m| m[i]);
        match self.ascii() {
            Ascii::Anchored(a) if starts.is_none() || a.shadow => {
                let was = slot.as_ref().map_or(0, |c| c.memory_usage());
                let caches = slot.get_or_insert_with(Box::default);
                let found = self.search(a, caches, hay, at_line, out);
                // The caches grew, or shrank if one filled up and its DFA cleared it.
                *cached = (*cached + caches.memory_usage()).saturating_sub(was);
                found
            }
            Ascii::Unanchored(re) if starts.is_none() => {
                out.extend(re.find_iter(hay).map(|m| (m.start(), m.end())));
                true
            }
            _ => false,
        }
    }

    /// The anchored DFA's matches: see [`Lazy::find_ascii`].
    fn search(
        &self,
        a: &AnchoredDfa,
        caches: &mut DfaCaches,
        hay: &[u8],
        at_line: impl Fn(usize) -> usize,
        out: &mut Vec<(usize, usize)>,
    ) -> bool {
        let before = out.len();
        // `find_iter` on non-empty matches: the leftmost start where the pattern matches,
        // its leftmost-first end, then on from that end.
        let mut at = 0;
        while let Some(k) = (at..hay.len()).position(|s| may_start(&a.first, hay, s)) {
            let s = at + k;
            let (dfa, cache) = match &a.relaxed {
                Some((loose, up_to)) if hay.len() - s <= *up_to => (loose, &mut caches.relaxed),
                _ => {
                    let exact = a.exact.get_or_init(|| {
                        let (hir, _) = Ascii::ascii_hir(&self.source, &self.kinds)?;
                        anchored_dfa(&hir)
                    });
                    let Some(exact) = exact else {
                        out.truncate(before);
                        return false;
                    };
                    (exact, &mut caches.exact)
                }
            };
            let cache = cache.get_or_insert_with(|| dfa.create_cache());
            let input = Input::new(hay).span(s..hay.len()).anchored(Anchored::Yes);
            match dfa.try_search_fwd(cache, &input) {
                Ok(Some(m)) => {
                    out.push((at_line(s), at_line(m.offset())));
                    at = m.offset();
                }
                Ok(None) => at = s + 1,
                Err(_) => {
                    // Cannot happen with these settings (no quit bytes, never gives up);
                    // stay exact if it ever does.
                    out.truncate(before);
                    return false;
                }
            }
        }
        true
    }

    fn get(&self) -> &Regex {
        self.regex.get_or_init(|| {
            // The syntax was checked during rule validation; the roomy size limit keeps a
            // large word class from failing here.
            RegexBuilder::new(&self.source)
                .size_limit(256 << 20)
                .dfa_size_limit(CACHE_CAPACITY)
                .build()
                .expect("validated pattern")
        })
    }
}

/// How the anchored DFAs may search a line, decided once per line.
#[derive(Clone, Copy)]
enum Haystack<'a> {
    /// The line is ASCII: as it is.
    Ascii,
    /// Through its shadow.
    Shadow(&'a shadow::Shadow),
    /// Not at all: only the Unicode regexes.
    Unicode,
}

/// What the fast path needs besides the rules: the literal prefilter and one lazily
/// compiled regex per pattern and per rule's exceptions.
struct Engine {
    /// Tells this engine's state caches apart in a thread's [`Caches`].
    id: u64,
    /// How its shadows stand for non-ASCII characters.
    kinds: Arc<shadow::Kinds>,
    prefilter: Prefilter,
    patterns: Vec<Lazy>,
    exceptions: Vec<Option<Lazy>>,
}

impl Engine {
    fn new(rules: &RuleSet) -> Engine {
        let kinds = Arc::new(shadow::Kinds::new(rules.rules.iter().flat_map(|r| {
            r.expanded
                .iter()
                .chain(&r.expanded_exceptions)
                .map(String::as_str)
        })));
        let mut patterns = Vec::new();
        let mut requirements = Vec::new();
        for r in &rules.rules {
            for p in &r.expanded {
                requirements.push(literals::requirements(p));
                patterns.push(Lazy::new(p.clone(), kinds.clone()));
            }
        }
        let exceptions = rules
            .rules
            .iter()
            .map(|r| {
                (!r.expanded_exceptions.is_empty()).then(|| {
                    let joined = r
                        .expanded_exceptions
                        .iter()
                        .map(|e| format!("(?:{e})"))
                        .collect::<Vec<_>>()
                        .join("|");
                    Lazy::new(joined, kinds.clone())
                })
            })
            .collect();
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Engine {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            kinds,
            prefilter: Prefilter::new(&requirements),
            patterns,
            exceptions,
        }
    }

    /// Compile every regex now (a background thread does this while the user reads).
    fn warm(&self) {
        for p in self.patterns.iter().chain(self.exceptions.iter().flatten()) {
            p.warm();
        }
    }
}

/// Which patterns may match a line: per pattern, groups of literals ("one of these
/// occurs in any match"), all of which must occur. One Aho-Corasick automaton finds every
/// literal of every group in one pass; a pattern runs only when its groups all occurred.
/// Patterns with no usable literal always run.
struct Prefilter {
    /// The literals' automaton and its unanchored start state. The pass walks it byte by
    /// byte itself: going through `AhoCorasick::find_overlapping_iter` cost a call and its
    /// bookkeeping for each of the ~70 literal occurrences in a typical line.
    ac: Option<(NFA, StateID)>,
    /// Literal → the groups it belongs to.
    lit_groups: Lists,
    /// Group → the patterns whose primary (most selective) group it is.
    prim_patterns: Lists,
    /// Bit set of the groups that are some pattern's primary group: of the ~260 groups a
    /// typical line holds, under 20 are, and only those lead to patterns.
    primary: Vec<u64>,
    /// Pattern → its other groups.
    sec_groups: Lists,
    /// Patterns without a usable literal.
    always: Vec<u32>,
    groups: usize,
    patterns: usize,
}

/// Lists of ids, one per index, laid out so that a one-item list (most of them: a
/// literal in one group, a group leading to one pattern) costs one memory access: the
/// line's lookups land all over these tables, and each access is likely a cache miss.
struct Lists {
    /// The item itself, or with [`Lists::SPILLED`] set, where the list starts in
    /// `spilled`: its length, then its items.
    head: Vec<u32>,
    spilled: Vec<u32>,
}

impl Lists {
    const SPILLED: u32 = 1 << 31;

    fn new(lists: &[Vec<u32>]) -> Lists {
        // Every empty list shares the one at 0 (a line reads it often: it stays cached).
        let mut spilled = vec![0];
        let head = lists
            .iter()
            .map(|l| match l.as_slice() {
                &[item] if item < Lists::SPILLED => item,
                [] => Lists::SPILLED,
                items => {
                    let at = u32::try_from(spilled.len())
                        .ok()
                        .filter(|&at| at < Lists::SPILLED)
                        .expect("lists fit in 31 bits");
                    spilled.push(items.len() as u32);
                    spilled.extend_from_slice(items);
                    at | Lists::SPILLED
                }
            })
            .collect();
        Lists { head, spilled }
    }

    fn len(&self) -> usize {
        self.head.len()
    }

    fn get(&self, i: usize) -> &[u32] {
        let h = &self.head[i];
        if h & Lists::SPILLED == 0 {
            return std::slice::from_ref(h);
        }
        let at = (h & !Lists::SPILLED) as usize;
        &self.spilled[at + 1..at + 1 + self.spilled[at] as usize]
    }
}

impl Prefilter {
    fn new(requirements: &[Vec<Vec<Vec<u8>>>]) -> Prefilter {
        use std::collections::HashMap;
        let mut group_ids: HashMap<&[Vec<u8>], u32> = HashMap::new();
        let mut lit_ids: HashMap<&[u8], u32> = HashMap::new();
        let mut lits: Vec<&[u8]> = Vec::new();
        let mut lit_groups: Vec<Vec<u32>> = Vec::new();
        let mut prim: Vec<Vec<u32>> = Vec::new();
        let mut sec: Vec<Vec<u32>> = Vec::new();
        let mut always = Vec::new();
        for (pi, reqs) in requirements.iter().enumerate() {
            let mut mine = Vec::new();
            for set in reqs {
                let next = group_ids.len() as u32;
                let g = *group_ids.entry(set.as_slice()).or_insert(next);
                if g == next {
                    prim.push(Vec::new());
                    for lit in literals::minimal(set) {
                        let next = lits.len() as u32;
                        let l = *lit_ids.entry(lit).or_insert(next);
                        if l == next {
                            lits.push(lit);
                            lit_groups.push(Vec::new());
                        }
                        lit_groups[l as usize].push(g);
                    }
                }
                if !mine.contains(&g) {
                    mine.push(g);
                }
            }
            match mine.split_first() {
                Some((&first, rest)) => {
                    prim[first as usize].push(pi as u32);
                    sec.push(rest.to_vec());
                }
                None => {
                    always.push(pi as u32);
                    sec.push(Vec::new());
                }
            }
        }
        let ac = (!lits.is_empty()).then(|| {
            let nfa = NFA::builder()
                .prefilter(false)
                .build(&lits)
                .expect("literal automaton");
            let start = nfa
                .start_state(aho_corasick::Anchored::No)
                .expect("an unanchored automaton");
            (nfa, start)
        });
        let mut primary = vec![0u64; prim.len().div_ceil(64)];
        for (g, _) in prim.iter().enumerate().filter(|(_, ps)| !ps.is_empty()) {
            primary[g / 64] |= 1 << (g % 64);
        }
        Prefilter {
            ac,
            lit_groups: Lists::new(&lit_groups),
            prim_patterns: Lists::new(&prim),
            primary,
            sec_groups: Lists::new(&sec),
            always,
            groups: prim.len(),
            patterns: requirements.len(),
        }
    }

    /// Mark in `s.candidates` every pattern that may match `text`.
    fn candidates(&self, text: &str, s: &mut Scratch) {
        let words = |n: usize| n.div_ceil(64);
        s.group_hit.clear();
        s.group_hit.resize(words(self.groups), 0);
        s.candidates.clear();
        s.candidates.resize(words(self.patterns), 0);
        if let Some((nfa, start)) = &self.ac {
            s.lit_seen.clear();
            s.lit_seen.resize(self.lit_groups.len().div_ceil(64), 0);
            // Every literal ending at each byte (an overlapping search): the automaton's
            // match states list the literals of their whole failure chain.
            let mut sid = *start;
            for &b in text.as_bytes() {
                sid = nfa.next_state(aho_corasick::Anchored::No, sid, b);
                if !nfa.is_special(sid) || !nfa.is_match(sid) {
                    continue;
                }
                for i in 0..nfa.match_len(sid) {
                    let l = nfa.match_pattern(sid, i).as_usize();
                    if s.lit_seen[l / 64] & (1 << (l % 64)) != 0 {
                        continue;
                    }
                    s.lit_seen[l / 64] |= 1 << (l % 64);
                    for &g in self.lit_groups.get(l) {
                        s.group_hit[g as usize / 64] |= 1 << (g % 64);
                    }
                }
            }
        }
        for &p in &self.always {
            s.candidates[p as usize / 64] |= 1 << (p % 64);
        }
        let hit = |g: u32, s: &Scratch| s.group_hit[g as usize / 64] & (1 << (g % 64)) != 0;
        for w in 0..s.group_hit.len() {
            let mut bits = s.group_hit[w] & self.primary[w];
            while bits != 0 {
                let g = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                for &p in self.prim_patterns.get(g) {
                    let p = p as usize;
                    if self.sec_groups.get(p).iter().all(|&g| hit(g, s)) {
                        s.candidates[p / 64] |= 1 << (p % 64);
                    }
                }
            }
        }
    }
}

/// Per-thread buffers reused from line to line.
#[derive(Default)]
struct Scratch {
    lit_seen: Vec<u64>,
    group_hit: Vec<u64>,
    candidates: Vec<u64>,
    /// (rule, start of its vetoes in `veto`, end) for rules whose exceptions ran.
    veto_of: Vec<(usize, usize, usize)>,
    veto: Vec<(usize, usize)>,
    /// The current pattern's matches.
    spans: Vec<(usize, usize)>,
    /// The line's shadow, if it is not ASCII.
    shadow: shadow::Shadow,
    found: Vec<(usize, usize, usize)>,
    /// The earliest surviving match of each rule, as (rule, start, end).
    hits: Vec<(usize, usize, usize)>,
    caches: Caches,
    /// The line, normalised.
    norm: Normalized,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

struct Inner {
    rules: RuleSet,
    pattern_rule: Vec<usize>,
    engine: OnceLock<Engine>,
    /// The straightforward algorithm, compiled on first use (tests only): the oracle the
    /// fast path is checked against.
    reference: OnceLock<Reference>,
}

impl Inner {
    fn engine(&self) -> &Engine {
        self.engine.get_or_init(|| Engine::new(&self.rules))
    }
}

/// Compiled rules, ready to classify lines. Cheap to clone (shared).
#[derive(Clone)]
pub struct Classifier {
    inner: Arc<Inner>,
}

impl Classifier {
    /// Compile a validated rule set: the literal prefilter now, each regex on first use.
    pub fn new(rules: RuleSet) -> Result<Classifier, regex::Error> {
        let c = Classifier::unbuilt(rules);
        c.inner.engine();
        Ok(c)
    }

    /// Like [`Classifier::new`], but build the prefilter and compile every regex on a
    /// background thread: the first `classify` waits for the prefilter if it is not
    /// ready yet. For interactive use, where the user reads and types meanwhile.
    pub fn new_in_background(rules: RuleSet) -> Classifier {
        let c = Classifier::unbuilt(rules);
        let weak = Arc::downgrade(&c.inner);
        let spawned = std::thread::Builder::new()
            .name("classifier".into())
            .spawn(move || {
                let Some(inner) = weak.upgrade() else { return };
                let engine = inner.engine();
                // Compile regex by regex, and stop if the classifier is gone.
                for p in engine
                    .patterns
                    .iter()
                    .chain(engine.exceptions.iter().flatten())
                {
                    if Arc::strong_count(&inner) == 1 {
                        return;
                    }
                    p.warm();
                }
            });
        if spawned.is_err() {
            c.inner.engine();
        }
        c
    }

    fn unbuilt(rules: RuleSet) -> Classifier {
        let pattern_rule = rules
            .rules
            .iter()
            .enumerate()
            .flat_map(|(i, r)| std::iter::repeat_n(i, r.expanded.len()))
            .collect();
        Classifier {
            inner: Arc::new(Inner {
                rules,
                pattern_rule,
                engine: OnceLock::new(),
                reference: OnceLock::new(),
            }),
        }
    }

    /// Compile every regex lines will need now, so no later line pays for a first use.
    pub fn warm(&self) {
        self.inner.engine().warm();
    }

    /// How the patterns and exception sets run, compiling them all: (anchored, of which
    /// also on non-ASCII lines' shadows, unanchored, Unicode only). For the benchmarks.
    #[doc(hidden)]
    pub fn engine_kinds(&self) -> (usize, usize, usize, usize) {
        let e = self.inner.engine();
        let mut n = (0, 0, 0, 0);
        for p in e.patterns.iter().chain(e.exceptions.iter().flatten()) {
            match p.ascii() {
                Ascii::Anchored(a) => {
                    n.0 += 1;
                    n.1 += usize::from(a.shadow);
                }
                Ascii::Unanchored(_) => n.2 += 1,
                Ascii::Unicode => n.3 += 1,
            }
        }
        n
    }

    /// The built-in rules, compiled.
    pub fn builtin() -> Classifier {
        Classifier::new(RuleSet::builtin()).expect("built-in rules compile")
    }

    pub fn rules(&self) -> &RuleSet {
        &self.inner.rules
    }

    /// Normalise a line the way the patterns expect.
    pub fn normalize(&self, line: &str) -> Normalized {
        normalize(line, &self.inner.rules.substitutions)
    }

    /// Classify one line in the given session context.
    pub fn classify(&self, line: &str, ctx: Context) -> Classification {
        SCRATCH.with(|s| match s.try_borrow_mut() {
            Ok(mut s) => self.classify_with(line, ctx, &mut s),
            Err(_) => self.classify_with(line, ctx, &mut Scratch::default()),
        })
    }

    fn classify_with(&self, line: &str, ctx: Context, s: &mut Scratch) -> Classification {
        let mut norm = std::mem::take(&mut s.norm);
        normalize_into(line, &self.inner.rules.substitutions, &mut norm);
        let out = self.classify_normalized(&norm, ctx, s);
        s.norm = norm;
        out
    }

    fn classify_normalized(
        &self,
        norm: &Normalized,
        ctx: Context,
        s: &mut Scratch,
    ) -> Classification {
        let inner = &*self.inner;
        let rules = &inner.rules.rules;
        let engine = inner.engine();
        let text = norm.text.as_str();
        engine.prefilter.candidates(text, s);
        s.found.clear();
        s.veto_of.clear();
        s.veto.clear();
        s.caches.trim();
        let (slots, cached) = s
            .caches
            .of(engine.id, engine.patterns.len() + engine.exceptions.len());
        let hay = if text.is_ascii() {
            Haystack::Ascii
        } else if s.shadow.build(text, &engine.kinds) {
            Haystack::Shadow(&s.shadow)
        } else {
            Haystack::Unicode
        };
        // Every surviving (unvetoed) match of each candidate pattern, in pattern order:
        // (rule index, span).
        for w in 0..s.candidates.len() {
            let mut bits = s.candidates[w];
            while bits != 0 {
                let pi = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let ri = inner.pattern_rule[pi];
                if rules[ri].when == When::AfterSpaceRequest && !ctx.after_space_request {
                    continue;
                }

                s.spans.clear();
                engine.patterns[pi].find_all(
                    text,
                    hay,
                    (&mut slots[pi], &mut *cached),
                    &mut s.spans,
                );
                if s.spans.is_empty() {
                    continue;
                }
                let (vs, ve) = match s.veto_of.iter().find(|v| v.0 == ri) {
                    Some(&(_, vs, ve)) => (vs, ve),
                    None => {
                        let vs = s.veto.len();
                        if let Some(ex) = &engine.exceptions[ri] {
                            let slot = &mut slots[engine.patterns.len() + ri];
                            ex.find_all(text, hay, (slot, &mut *cached), &mut s.veto);
                        }
                        s.veto_of.push((ri, vs, s.veto.len()));
                        (vs, s.veto.len())
                    }
                };
                for &span in &s.spans {
                    if !s.veto[vs..ve].iter().any(|&v| overlaps(span, v)) {
                        s.found.push((ri, span.0, span.1));
                    }
                }
            }
        }
        let (found, hits) = (&s.found, &mut s.hits);
        if found.is_empty() {
            return Classification::default();
        }
        // Overrides are local: a rule vetoes the overridden moves' matches that start
        // inside one of its own matches ("I feel like you never…" is criticism, not an
        // I-statement, yet "I feel hurt. You never…" carries both).
        let overridden = |mv: Move, s: usize, e: usize| {
            // Where the words start: a pattern may begin on the space or comma before.
            let s = text[s..e]
                .find(|c: char| c.is_alphanumeric())
                .map_or(s, |k| s + k);
            found.iter().any(|&(ri, os, oe)| {
                os <= s && s < oe.max(os + 1) && rules[ri].overrides.contains(&mv)
            })
        };
        // The earliest surviving match of each rule.
        hits.clear();
        for &(ri, s, e) in found {
            if let Label::Move(mv) = rules[ri].label
                && overridden(mv, s, e)
            {
                continue;
            }
            match hits.iter_mut().find(|h| h.0 == ri) {
                Some(h) if s < h.1 => *h = (ri, s, e),
                Some(_) => {}
                None => hits.push((ri, s, e)),
            }
        }
        hits.sort_by_key(|h| (h.1, h.0));
        let mut out = Classification::default();
        for &(ri, s, e) in hits.iter() {
            let rule: &Rule = &rules[ri];
            let (start, end) = norm.word_span(s, e);
            match rule.label {
                Label::Safety => {
                    if out.safety.is_none() {
                        out.safety = Some(SafetyFlag {
                            rule: rule.id.clone(),
                            start,
                            end,
                        });
                    }
                }
                Label::Move(mv) => {
                    if out.has(mv) {
                        continue;
                    }
                    out.moves.push(MoveMatch {
                        mv,
                        kind: mv.kind(),
                        rule: rule.id.clone(),
                        start,
                        end,
                    });
                }
            }
        }
        out
    }
}

/// Shadows: a non-ASCII line as ASCII, so the anchored automata can run on it too.
///
/// Each non-ASCII character becomes one byte standing for its kind (see [`KINDS`]): a
/// word character, a digit, a space, a symbol…, as `\w`, `\d`, `\s` and `\b` see it. The
/// bytes chosen do not occur in a normalised line (it is lower case, with no control
/// characters); a line that holds one anyway has no shadow. The non-ASCII characters the
/// rules write out (`café`, `£`) are *named*: each gets a byte of its own (see
/// [`Kinds`]). A pattern runs on shadows only if each of its classes holds all or none of
/// the rest of each kind, and its literals are ASCII or named characters: on the shadow
/// it then matches exactly where its Unicode form matches on the line, one byte per
/// character. Word characters get ASCII word bytes, so `\b` on the shadow is `\b` on
/// the line.
mod shadow {
    use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, ClassUnicode, Hir, HirKind, Look};
    use std::sync::OnceLock;

    /// The kinds of non-ASCII characters (disjoint, together all of them), as classes of
    /// the regex engine's Unicode tables, and the byte each stands as.
    const KINDS: [(&str, u8); 6] = [
        // Other word characters: letters, marks, connectors.
        (r"[\w&&[^\p{N}\x00-\x7F]]", b'Q'),
        // Decimal digits (`\d`), which are word characters.
        (r"[\d&&[^\x00-\x7F]]", b'Z'),
        // Other numbers that are word characters (Roman numerals).
        (r"[\w&&\p{N}&&[^\d\x00-\x7F]]", b'X'),
        // Numbers that are not word characters (fractions, superscripts).
        (r"[\p{N}&&[^\w\x00-\x7F]]", 0x02),
        // Spaces.
        (r"[\s&&[^\x00-\x7F]]", 0x03),
        // Everything else: punctuation, symbols, emoji.
        (r"[^\w\s\p{N}\x00-\x7F]", 0x01),
    ];

    fn kinds() -> &'static [(ClassUnicode, u8)] {
        static K: OnceLock<Vec<(ClassUnicode, u8)>> = OnceLock::new();
        K.get_or_init(|| {
            KINDS
                .iter()
                .map(
                    |&(src, b)| match regex_syntax::parse(src).map(Hir::into_kind) {
                        Ok(HirKind::Class(Class::Unicode(c))) => (c, b),
                        _ => unreachable!("a fixed class"),
                    },
                )
                .collect()
        })
    }

    /// How one engine's shadows stand for non-ASCII characters: each character its rules
    /// name (in a literal such as `café` or `£`, or a class) gets a byte of its own, while
    /// there are bytes to spare; every other character stands as its kind. A class then
    /// runs on shadows if it holds each named character or not, and all or none of the
    /// rest of each kind.
    pub struct Kinds {
        /// Named characters and their bytes, by character.
        pub(super) named: Vec<(char, u8)>,
        /// The kinds without the named characters, and their bytes.
        rest: Vec<(ClassUnicode, u8)>,
        /// The bytes standing for something (so they may not appear in a line or a
        /// literal).
        taken: [bool; 256],
    }

    impl Kinds {
        /// Name the non-ASCII characters written in `patterns`. A character written in
        /// some other way (an escape, inside a range) is not named; a pattern that needs
        /// it to be runs on the Unicode regex instead, as before.
        pub fn new<'a>(patterns: impl Iterator<Item = &'a str>) -> Kinds {
            let mut chars: Vec<char> = patterns
                .flat_map(str::chars)
                .filter(|c| !c.is_ascii())
                .collect();
            chars.sort_unstable();
            chars.dedup();
            let mut taken = [false; 256];
            for &(_, b) in KINDS.iter() {
                taken[b as usize] = true;
            }
            // Word characters stand as upper-case letters and the others as control
            // bytes: a normalised line has neither, and `\b` on the shadow stays `\b` on
            // the line. (Not \t, \n, \r and the like, which ASCII classes and anchors
            // know.)
            let mut word = (b'A'..=b'Z').filter(|&b| !taken[b as usize]);
            let mut other = (0x04..=0x08).chain(0x0e..=0x1f);
            let is_word = |c: char| {
                kinds()
                    .iter()
                    .find(|k| holds(&k.0, c))
                    .is_some_and(|k| super::is_word_byte(k.1))
            };
            let named: Vec<(char, u8)> = chars
                .into_iter()
                .filter_map(|c| {
                    let b = if is_word(c) {
                        word.next()
                    } else {
                        other.next()
                    }?;
                    Some((c, b))
                })
                .collect();
            for &(_, b) in &named {
                taken[b as usize] = true;
            }
            let named_class = ClassUnicode::new(
                named
                    .iter()
                    .map(|&(c, _)| regex_syntax::hir::ClassUnicodeRange::new(c, c)),
            );
            let rest = kinds()
                .iter()
                .map(|(k, b)| {
                    let mut k = k.clone();
                    k.difference(&named_class);
                    (k, *b)
                })
                .collect();
            Kinds { named, rest, taken }
        }

        /// The byte of `c` if the rules write it out (a named character).
        fn named(&self, c: char) -> Option<u8> {
            let i = self.named.binary_search_by_key(&c, |n| n.0).ok()?;
            Some(self.named[i].1)
        }

        /// The byte `c` (not ASCII) stands as.
        fn byte(&self, c: char) -> Option<u8> {
            self.named(c)
                .or_else(|| kinds().iter().find(|k| holds(&k.0, c)).map(|k| k.1))
        }

        fn stands_for_something(&self, b: u8) -> bool {
            self.taken[b as usize]
        }
    }

    fn holds(class: &ClassUnicode, c: char) -> bool {
        let ranges = class.ranges();
        let i = ranges.partition_point(|r| r.end() < c);
        ranges.get(i).is_some_and(|r| r.start() <= c)
    }

    #[cfg(test)]
    #[test]
    fn the_kinds_split_every_non_ascii_character_and_keep_word_boundaries() {
        let word = match regex_syntax::parse(r"\w").map(Hir::into_kind) {
            Ok(HirKind::Class(Class::Unicode(c))) => c,
            _ => unreachable!(),
        };
        for c in ('\u{80}'..=char::MAX).filter(|c| !c.is_ascii()) {
            let mut of = kinds().iter().filter(|k| holds(&k.0, c));
            let (_, b) = of.next().unwrap_or_else(|| panic!("{c:?} has no kind"));
            assert!(of.next().is_none(), "{c:?} has two kinds");
            let word_byte = b.is_ascii_alphanumeric() || *b == b'_';
            assert_eq!(holds(&word, c), word_byte, "{c:?}: \\b would differ");
        }
        for &(_, b) in kinds() {
            assert!(
                b.is_ascii_uppercase() || b.is_ascii_control(),
                "{b}: may be in a line"
            );
        }
    }

    /// A non-ASCII line as ASCII, with a map back.
    #[derive(Default)]
    pub struct Shadow {
        pub bytes: Vec<u8>,
        /// `starts[i]`: where the character behind byte `i` starts in the line; one more
        /// entry for the line's end.
        pub starts: Vec<usize>,
    }

    impl Shadow {
        /// Make `self` the shadow of `text`; false if `text` has none.
        pub fn build(&mut self, text: &str, kinds: &Kinds) -> bool {
            self.bytes.clear();
            self.starts.clear();
            if text.bytes().any(|b| kinds.stands_for_something(b)) {
                return false;
            }
            for (i, c) in text.char_indices() {
                let b = if c.is_ascii() {
                    c as u8
                } else {
                    match kinds.byte(c) {
                        Some(b) => b,
                        // Unassigned in the tables: cannot happen, as the kinds cover all.
                        None => return false,
                    }
                };
                self.bytes.push(b);
                self.starts.push(i);
            }
            self.starts.push(text.len());
            true
        }
    }

    /// The pattern (parsed in Unicode mode) rewritten to run on shadows, if it can.
    pub fn pattern(hir: &Hir, kinds: &Kinds) -> Option<Hir> {
        let pattern = |h: &Hir| pattern(h, kinds);
        Some(match hir.kind() {
            HirKind::Empty => Hir::empty(),
            HirKind::Literal(l) => {
                // A Unicode literal is UTF-8; each character stands as one byte.
                let text = std::str::from_utf8(&l.0).ok()?;
                let mut bytes = Vec::with_capacity(text.len());
                for c in text.chars() {
                    bytes.push(match c {
                        c if !c.is_ascii() => kinds.named(c)?,
                        c if kinds.stands_for_something(c as u8) => return None,
                        c => c as u8,
                    });
                }
                Hir::literal(bytes)
            }
            HirKind::Class(Class::Unicode(c)) => {
                let mut ranges: Vec<ClassBytesRange> = Vec::new();
                for r in c.ranges() {
                    if (r.start() as u32) < 0x80 {
                        let end = (r.end() as u32).min(0x7f) as u8;
                        ranges.push(ClassBytesRange::new(r.start() as u8, end));
                    }
                }
                let mut bytes = ClassBytes::new(ranges);
                let taken = (0..=255u8).filter(|&b| kinds.stands_for_something(b));
                bytes.difference(&ClassBytes::new(taken.map(|b| ClassBytesRange::new(b, b))));
                let byte = |b: u8| ClassBytes::new([ClassBytesRange::new(b, b)]);
                for &(ch, b) in &kinds.named {
                    if holds(c, ch) {
                        bytes.union(&byte(b));
                    }
                }
                for (kind, b) in &kinds.rest {
                    let mut both = c.clone();
                    both.intersect(kind);
                    if both == *kind {
                        bytes.union(&byte(*b));
                    } else if !both.ranges().is_empty() {
                        return None;
                    }
                }
                Hir::class(Class::Bytes(bytes))
            }
            // Byte classes and ASCII word boundaries see a non-ASCII character as its
            // UTF-8 bytes, which a shadow does not keep.
            HirKind::Class(Class::Bytes(_)) => return None,
            HirKind::Look(look) => Hir::look(match look {
                Look::WordUnicode => Look::WordAscii,
                Look::WordUnicodeNegate => Look::WordAsciiNegate,
                Look::WordStartUnicode => Look::WordStartAscii,
                Look::WordEndUnicode => Look::WordEndAscii,
                Look::WordStartHalfUnicode => Look::WordStartHalfAscii,
                Look::WordEndHalfUnicode => Look::WordEndHalfAscii,
                Look::Start
                | Look::End
                | Look::StartLF
                | Look::EndLF
                | Look::StartCRLF
                | Look::EndCRLF => *look,
                _ => return None,
            }),
            HirKind::Repetition(r) => Hir::repetition(regex_syntax::hir::Repetition {
                sub: Box::new(pattern(&r.sub)?),
                ..r.clone()
            }),
            HirKind::Capture(c) => Hir::capture(regex_syntax::hir::Capture {
                sub: Box::new(pattern(&c.sub)?),
                ..c.clone()
            }),
            HirKind::Concat(subs) => Hir::concat(subs.iter().map(pattern).collect::<Option<_>>()?),
            HirKind::Alternation(subs) => {
                Hir::alternation(subs.iter().map(pattern).collect::<Option<_>>()?)
            }
        })
    }
}

/// Literals that any match of a pattern must contain, read off its syntax tree.
mod literals {
    use regex_syntax::hir::{Class, Hir, HirKind};

    /// Exact sets larger than this are not multiplied out further.
    const CAP: usize = 16;
    /// Classes of at most this many characters become sets of literals.
    const CLASS_MAX: usize = 10;
    /// Groups kept per pattern (the most selective first).
    const MAX_GROUPS: usize = 4;

    type Set = Vec<Vec<u8>>;

    struct Info {
        /// The node matches exactly one of these strings (when small enough to know).
        exact: Option<Set>,
        /// Sets, one string of each of which occurs in any match of the node.
        all: Vec<Set>,
    }

    fn exact(set: Set) -> Info {
        Info {
            exact: Some(set),
            all: Vec::new(),
        }
    }

    /// Usable as a requirement: non-empty, no empty string.
    fn usable(set: &Set) -> bool {
        !set.is_empty() && set.iter().all(|s| !s.is_empty())
    }

    fn score(set: &Set) -> (usize, isize) {
        let min = set.iter().map(Vec::len).min().unwrap_or(0);
        (min.min(6), -(set.len() as isize))
    }

    fn norm(mut set: Set) -> Set {
        set.sort();
        set.dedup();
        set
    }

    /// `set` without the literals that contain another of its literals: wherever such a
    /// literal occurs, so does the shorter one, so it changes nothing about "one of these
    /// occurs" but gives the literal pass more to find (a sixth of all literals).
    pub fn minimal(set: &[Vec<u8>]) -> Vec<&[u8]> {
        // Comparing the end bytes before the whole window: a plain `w == b` calls memcmp
        // for every window, which added ~40M instructions (6%) to building the classifier.
        let holds = |a: &[u8], b: &[u8]| {
            !b.is_empty()
                && b.len() < a.len()
                && a.windows(b.len())
                    .any(|w| w[0] == b[0] && w[w.len() - 1] == b[b.len() - 1] && w == b)
        };
        set.iter()
            .filter(|a| !set.iter().any(|b| holds(a, b)))
            .map(Vec::as_slice)
            .collect()
    }

    fn best(info: Info) -> Option<Set> {
        info.exact
            .into_iter()
            .chain(info.all)
            .filter(usable)
            .max_by_key(score)
    }

    fn info(hir: &Hir) -> Info {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => exact(vec![Vec::new()]),
            HirKind::Literal(l) => exact(vec![l.0.to_vec()]),
            HirKind::Class(Class::Unicode(c)) => {
                let n: usize = c
                    .ranges()
                    .iter()
                    .map(|r| r.end() as usize - r.start() as usize + 1)
                    .sum();
                if n > CLASS_MAX {
                    return Info {
                        exact: None,
                        all: Vec::new(),
                    };
                }
                let mut set = Vec::new();
                for r in c.ranges() {
                    for ch in r.start()..=r.end() {
                        let mut buf = [0; 4];
                        set.push(ch.encode_utf8(&mut buf).as_bytes().to_vec());
                    }
                }
                exact(set)
            }
            HirKind::Class(Class::Bytes(c)) => {
                let n: usize = c
                    .ranges()
                    .iter()
                    .map(|r| r.end() as usize - r.start() as usize + 1)
                    .sum();
                if n > CLASS_MAX {
                    return Info {
                        exact: None,
                        all: Vec::new(),
                    };
                }
                exact(
                    c.ranges()
                        .iter()
                        .flat_map(|r| r.start()..=r.end())
                        .map(|b| vec![b])
                        .collect(),
                )
            }
            HirKind::Capture(c) => info(&c.sub),
            HirKind::Repetition(r) => {
                if r.max == Some(0) {
                    return exact(vec![Vec::new()]);
                }
                let sub = info(&r.sub);
                if r.min == 0 {
                    let exact = match (r.max, sub.exact) {
                        (Some(1), Some(mut e)) => {
                            e.push(Vec::new());
                            Some(norm(e))
                        }
                        _ => None,
                    };
                    return Info {
                        exact,
                        all: Vec::new(),
                    };
                }
                let mut all = sub.all;
                if r.min == 1 && r.max == Some(1) {
                    return Info {
                        exact: sub.exact,
                        all,
                    };
                }
                if let Some(e) = sub.exact
                    && usable(&e)
                {
                    all.push(e);
                }
                Info { exact: None, all }
            }
            HirKind::Alternation(subs) => {
                let infos: Vec<Info> = subs.iter().map(info).collect();
                let exact = if infos.iter().all(|i| i.exact.is_some()) {
                    let union: Set = norm(
                        infos
                            .iter()
                            .flat_map(|i| i.exact.iter().flatten().cloned())
                            .collect(),
                    );
                    (union.len() <= CAP).then_some(union)
                } else {
                    None
                };
                let mut union = Vec::new();
                for i in infos {
                    match best(i) {
                        Some(set) => union.extend(set),
                        None => {
                            return Info {
                                exact,
                                all: Vec::new(),
                            };
                        }
                    }
                }
                Info {
                    exact,
                    all: vec![norm(union)],
                }
            }
            HirKind::Concat(subs) => {
                let mut all = Vec::new();
                let mut run: Set = vec![Vec::new()];
                let mut whole = true;
                for sub in subs {
                    let i = info(sub);
                    all.extend(i.all);
                    match i.exact {
                        Some(e) if run.len() * e.len() <= CAP => {
                            let mut next = Vec::with_capacity(run.len() * e.len());
                            for a in &run {
                                for b in &e {
                                    let mut s = a.clone();
                                    s.extend_from_slice(b);
                                    next.push(s);
                                }
                            }
                            run = norm(next);
                        }
                        Some(e) => {
                            whole = false;
                            all.push(std::mem::replace(&mut run, e));
                        }
                        None => {
                            whole = false;
                            all.push(std::mem::replace(&mut run, vec![Vec::new()]));
                        }
                    }
                }
                if whole {
                    Info {
                        exact: Some(run),
                        all,
                    }
                } else {
                    all.push(run);
                    Info { exact: None, all }
                }
            }
        }
    }

    /// Groups of literals for `pattern`, most selective first: every match contains one
    /// literal of each group. Empty when nothing usable is known (the pattern always runs).
    pub fn requirements(pattern: &str) -> Vec<Set> {
        let Ok(hir) = regex_syntax::Parser::new().parse(pattern) else {
            return Vec::new();
        };
        let i = info(&hir);
        let mut sets: Vec<Set> = i
            .exact
            .into_iter()
            .chain(i.all)
            .filter(usable)
            .map(norm)
            .collect();
        sets.sort_by_key(|s| std::cmp::Reverse(score(s)));
        sets.dedup();
        sets.truncate(MAX_GROUPS);
        sets
    }
}

/// The reference classifier: every pattern's own regex over the line (the original
/// normaliser), each rule's exceptions as one alternation. Slow and plainly right; the
/// equivalence tests hold the fast path to it.
struct Reference {
    patterns: Vec<Regex>,
    exceptions: Vec<Option<Regex>>,
}

impl Reference {
    fn new(rules: &RuleSet) -> Reference {
        let mut patterns = Vec::new();
        let mut exceptions = Vec::new();
        for r in &rules.rules {
            for p in &r.expanded {
                patterns.push(Regex::new(p).expect("validated pattern"));
            }
            exceptions.push(if r.expanded_exceptions.is_empty() {
                None
            } else {
                let joined = r
                    .expanded_exceptions
                    .iter()
                    .map(|e| format!("(?:{e})"))
                    .collect::<Vec<_>>()
                    .join("|");
                Some(Regex::new(&joined).expect("validated exceptions"))
            });
        }
        Reference {
            patterns,
            exceptions,
        }
    }
}

impl Classifier {
    /// The straightforward algorithm (the reference for the equivalence tests): run every
    /// pattern's regex over the line. Compiles its regexes on first call; never used by
    /// the program itself.
    #[doc(hidden)]
    pub fn classify_reference(&self, line: &str, ctx: Context) -> Classification {
        let inner = &*self.inner;
        let re = inner.reference.get_or_init(|| Reference::new(&inner.rules));
        let norm = crate::text::reference::normalize(line, &inner.rules.substitutions);
        let text = norm.text.as_str();
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        for (pi, pattern) in re.patterns.iter().enumerate() {
            let ri = inner.pattern_rule[pi];
            let rule = &inner.rules.rules[ri];
            if rule.when == When::AfterSpaceRequest && !ctx.after_space_request {
                continue;
            }
            let vetoes: Vec<(usize, usize)> = match re.exceptions[ri].as_ref() {
                Some(ex) => ex.find_iter(text).map(|m| (m.start(), m.end())).collect(),
                None => Vec::new(),
            };
            for m in pattern.find_iter(text) {
                let span = (m.start(), m.end());
                if !vetoes.iter().any(|&v| overlaps(span, v)) {
                    found.push((ri, span.0, span.1));
                }
            }
        }
        let overriders: Vec<(Move, usize, usize)> = found
            .iter()
            .flat_map(|&(ri, s, e)| {
                inner.rules.rules[ri]
                    .overrides
                    .iter()
                    .map(move |&m| (m, s, e))
            })
            .collect();
        let overridden = |mv: Move, s: usize, e: usize| {
            let s = text[s..e]
                .find(|c: char| c.is_alphanumeric())
                .map_or(s, |k| s + k);
            overriders
                .iter()
                .any(|&(m, os, oe)| m == mv && os <= s && s < oe.max(os + 1))
        };
        let mut hits: Vec<(usize, usize, usize)> = Vec::new();
        for &(ri, s, e) in &found {
            if let Label::Move(mv) = inner.rules.rules[ri].label
                && overridden(mv, s, e)
            {
                continue;
            }
            match hits.iter_mut().find(|h| h.0 == ri) {
                Some(h) if s < h.1 => *h = (ri, s, e),
                Some(_) => {}
                None => hits.push((ri, s, e)),
            }
        }
        hits.sort_by_key(|h| (h.1, h.0));
        let mut out = Classification::default();
        for (ri, s, e) in hits {
            let rule: &Rule = &inner.rules.rules[ri];
            let (start, end) = norm.word_span(s, e);
            match rule.label {
                Label::Safety => {
                    if out.safety.is_none() {
                        out.safety = Some(SafetyFlag {
                            rule: rule.id.clone(),
                            start,
                            end,
                        });
                    }
                }
                Label::Move(mv) => {
                    if out.has(mv) {
                        continue;
                    }
                    out.moves.push(MoveMatch {
                        mv,
                        kind: mv.kind(),
                        rule: rule.id.clone(),
                        start,
                        end,
                    });
                }
            }
        }
        out
    }
}

/// Whether two spans share a byte (an empty span counts as covering its position).
fn overlaps(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.1.max(b.0 + 1) && b.0 < a.1.max(a.0 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn classifier() -> &'static Classifier {
        static C: OnceLock<Classifier> = OnceLock::new();
        C.get_or_init(Classifier::builtin)
    }

    fn ctx_for(rule: &Rule) -> Context {
        Context {
            after_space_request: rule.when == When::AfterSpaceRequest,
        }
    }

    fn fires(line: &str, ctx: Context, label: Label) -> bool {
        let c = classifier().classify(line, ctx);
        match label {
            Label::Move(m) => c.has(m),
            Label::Safety => c.safety.is_some(),
        }
    }

    fn moves(line: &str) -> Vec<&'static str> {
        classifier()
            .classify(line, Context::default())
            .moves
            .iter()
            .map(|m| m.mv.name())
            .collect()
    }

    #[test]
    fn every_builtin_pattern_runs_on_ascii_lines_and_shadows() {
        // Each pattern left to the Unicode regex costs memory in every session (~0.5 MB
        // each) and time on every non-ASCII line: write non-ASCII characters out
        // (`café`, `[£€]`), not as ranges or escapes, so the shadows can name them.
        let c = classifier();
        let (anchored, shadowed, _, _) = c.engine_kinds();
        let e = c.inner.engine();
        let total = e.patterns.len() + e.exceptions.iter().flatten().count();
        assert_eq!((anchored, shadowed), (total, total));
        assert!(
            e.kinds.named.iter().any(|n| n.0 == 'é') && e.kinds.named.iter().any(|n| n.0 == '£'),
            "the built-in rules write café and £"
        );
    }

    #[test]
    fn a_pattern_is_tried_only_where_its_leading_assertions_allow() {
        let first = |p: &str| {
            let hir = regex_syntax::ParserBuilder::new()
                .unicode(false)
                .build()
                .parse(p)
                .expect("pattern");
            first_bytes(&hir).expect("cannot match empty")
        };
        let f = first(r"\b(?:so|and) |, well|^ok|(?:\bmaybe)? ?now");
        assert_eq!(f[b's' as usize], AT_WORD_START);
        assert_eq!(f[b',' as usize], ANYWHERE);
        assert_eq!(f[b'o' as usize], AT_LINE_START);
        // `(?:\bmaybe)?` can be skipped, so `now` may start anywhere.
        assert_eq!(f[b'n' as usize], ANYWHERE);
        assert_eq!(f[b'm' as usize], AT_WORD_START);
        assert_eq!(f[b' ' as usize], ANYWHERE);
        assert_eq!(f[b'x' as usize], NEVER);
        // The weakest branch wins for a byte two branches share.
        assert_eq!(first(r"^so|\bsee|is")[b's' as usize], AT_WORD_START);
        assert_eq!(first(r"^so|\bsee|is")[b'i' as usize], ANYWHERE);
        let hay = b"also so, ok";
        let so = first(r"\bso\b");
        let starts: Vec<usize> = (0..hay.len()).filter(|&s| may_start(&so, hay, s)).collect();
        assert_eq!(starts, [5]);
        let ok = first(r"^ok");
        assert!(may_start(&ok, b"ok", 0) && !may_start(&ok, b"o ok", 2));
        assert!(first_bytes(&regex_syntax::parse(r"\b(?:so)?").unwrap()).is_none());
    }

    #[test]
    fn a_literal_that_holds_another_of_its_group_is_dropped() {
        let minimal = |set: &[&str]| -> Vec<String> {
            let set: Vec<Vec<u8>> = set.iter().map(|l| l.as_bytes().to_vec()).collect();
            literals::minimal(&set)
                .into_iter()
                .map(|l| String::from_utf8(l.to_vec()).unwrap())
                .collect()
        };
        // "so sorry" and "sorry now" contain "sorry": wherever they occur, so does it.
        assert_eq!(
            minimal(&["my bad", "so sorry", "sorry", "sorry now"]),
            ["my bad", "sorry"]
        );
        // Only a literal of the same group makes one redundant, and only a shorter one.
        assert_eq!(
            minimal(&["i am sorry", "i'm sorry"]),
            ["i am sorry", "i'm sorry"]
        );
        assert_eq!(minimal(&["sorry", "sorry"]), ["sorry", "sorry"]);
        assert_eq!(minimal(&["i", "hi", "him"]), ["i"]);
        assert_eq!(minimal(&["", "hi"]), ["", "hi"]);
    }

    #[test]
    fn lists_hold_one_item_inline_and_the_rest_spilled() {
        let lists = vec![
            vec![7],
            vec![],
            vec![1, 2, 3],
            vec![Lists::SPILLED + 5],
            vec![],
            vec![0],
        ];
        let l = Lists::new(&lists);
        assert_eq!(l.len(), lists.len());
        for (i, want) in lists.iter().enumerate() {
            assert_eq!(l.get(i), want.as_slice(), "list {i}");
        }
        // Two one-item lists and two empty ones take no room beside their heads.
        assert_eq!(l.spilled.len(), 1 + 4 + 2);
    }

    #[test]
    fn every_rule_has_examples_and_counter_examples() {
        for rule in &classifier().rules().rules {
            assert!(rule.examples.len() >= 2, "{}: too few examples", rule.id);
            assert!(
                rule.counter_examples.len() >= 2,
                "{}: too few counter-examples",
                rule.id
            );
            assert!(!rule.guide.trim().is_empty(), "{}: no guide", rule.id);
        }
    }

    #[test]
    fn examples_fire_their_move_and_counter_examples_do_not() {
        let mut failures = Vec::new();
        for rule in &classifier().rules().rules {
            let ctx = ctx_for(rule);
            for ex in &rule.examples {
                if !fires(ex, ctx, rule.label) {
                    failures.push(format!("{}: example not caught: {ex:?}", rule.id));
                }
            }
            for ex in &rule.counter_examples {
                if fires(ex, ctx, rule.label) {
                    failures.push(format!("{}: counter-example fired: {ex:?}", rule.id));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn after_space_rules_need_the_context() {
        for rule in &classifier().rules().rules {
            if rule.when != When::AfterSpaceRequest {
                continue;
            }
            assert!(!rule.examples.is_empty() && !rule.counter_examples.is_empty());
            for ex in &rule.examples {
                let c = classifier().classify(ex, Context::default());
                assert!(
                    !c.moves.iter().any(|m| m.rule == rule.id),
                    "{} fired without the context on {ex:?}",
                    rule.id
                );
            }
        }
        let after = Context {
            after_space_request: true,
        };
        for line in ["But why?", "Just tell me.", "Now, please.", "Can we talk?"] {
            assert!(
                classifier().classify(line, after).has(Move::Pursuit),
                "{line}"
            );
        }
        for line in [
            "Okay. I'll be in the kitchen if you need me.",
            "That makes sense, take your time.",
            "Of course. Love you.",
            "No pressure at all.",
        ] {
            assert!(
                !classifier().classify(line, after).has(Move::Pursuit),
                "{line}"
            );
        }
    }

    #[test]
    fn hard_negatives_stay_quiet() {
        for line in [
            "I never thought of it that way.",
            "you never know with traffic",
            "I always forget my keys.",
            "Do you always take the early train?",
            "Are you okay?",
            "I feel like pizza tonight.",
            "Whatever you fancy for dinner is fine.",
            "Don't walk off with my charger, I need it for the car.",
            "Did you leave the hall light on on purpose?",
            "I'll check in at the hotel around three.",
            "Take your time, the bus isn't until eight.",
            "I'm here, by the ticket machines.",
            "I need to pick up milk on the way home.",
        ] {
            assert!(moves(line).is_empty(), "{line:?} gave {:?}", moves(line));
        }
        // A yes/no question is not an open question.
        assert!(!moves("Is the deadline still the 15th?").contains(&"open_question"));
        assert!(moves("What has this week been like for you?").contains(&"open_question"));
    }

    #[test]
    fn overrides_decide_between_moves() {
        assert_eq!(
            moves("I feel like you never make time for me."),
            ["criticism"]
        );
        assert_eq!(moves("That makes sense, if you're five."), ["contempt"]);
        assert_eq!(
            moves("Take your time, but I need an answer tonight."),
            ["pursuit"]
        );
        assert_eq!(
            moves("So you're saying I don't help? That's not fair."),
            ["defensiveness"]
        );
        // Overrides are local: a real feeling next to an attack keeps both moves.
        let both = moves("I feel hurt when you check emails at dinner, you never stop working.");
        assert!(
            both.contains(&"i_statement") && both.contains(&"criticism"),
            "{both:?}"
        );
        assert_eq!(
            moves("Last Christmas at your sister's was so much fun!"),
            ["playfulness"]
        );
    }

    #[test]
    fn flags_explain_themselves_with_exact_spans() {
        let line = "Honestly, u NEVER listen!!! I\u{2019}m so lonely \u{1f494}";
        let c = classifier().classify(line, Context::default());
        let crit = c.moves.iter().find(|m| m.mv == Move::Criticism).unwrap();
        assert_eq!(crit.rule, "criticism.you-absolute");
        assert_eq!(&line[crit.start..crit.end], "u NEVER");
        let feel = c.moves.iter().find(|m| m.mv == Move::IStatement).unwrap();
        assert!(
            line[feel.start..feel.end].starts_with("I\u{2019}m"),
            "{feel:?}"
        );
        for m in &c.moves {
            assert!(line.is_char_boundary(m.start) && line.is_char_boundary(m.end));
        }
        for rule in &classifier().rules().rules {
            assert!(rule.id.contains('.'), "{}", rule.id);
        }
    }

    #[test]
    fn safety_catches_danger_not_figures_of_speech() {
        for line in [
            "He hit me again last night.",
            "I'm scared of what he'll do when he gets home.",
            "Sometimes I think about killing myself.",
            "She threatened to hurt me if I leave.",
        ] {
            let c = classifier().classify(line, Context::default());
            assert!(c.safety.is_some(), "{line}");
        }
        for line in [
            "This deadline is killing me.",
            "I could kill for a coffee.",
            "My boss will murder me.",
            "Hit me up later.",
            "You hurt my feelings.",
        ] {
            let c = classifier().classify(line, Context::default());
            assert!(c.safety.is_none(), "{line}: {:?}", c.safety);
        }
    }

    #[test]
    fn scenario_words_extend_grievance_and_stressor() {
        let raw: crate::rules::RawRuleFile = ron::from_str(crate::rules::BUILTIN_RULES).unwrap();
        let extra = [
            (
                "grievance".to_string(),
                vec!["the camping trip".to_string()],
            ),
            (
                "stressor".to_string(),
                vec!["the Henderson account".to_string()],
            ),
        ]
        .into_iter()
        .collect();
        let c = Classifier::new(RuleSet::from_raw(raw, &extra).unwrap()).unwrap();
        let got = c.classify(
            "And then there was the camping trip again.",
            Context::default(),
        );
        assert!(got.has(Move::KitchenSinking), "{got:?}");
        let got = c.classify("How's the Henderson account going?", Context::default());
        assert!(got.has(Move::ExternalStressor), "{got:?}");
        // Without the scenario's words the same lines carry neither move.
        let plain = classifier();
        let got = plain.classify(
            "And then there was the camping trip again.",
            Context::default(),
        );
        assert!(!got.has(Move::KitchenSinking), "{got:?}");
        let got = plain.classify("How's the Henderson account going?", Context::default());
        assert!(!got.has(Move::ExternalStressor), "{got:?}");
    }

    #[test]
    fn spans_hold_the_words_not_the_punctuation_before_them() {
        let line = "Sorry, that was unfair. How has the launch been for you?";
        let got = classifier().classify(line, Context::default());
        let q = got
            .moves
            .iter()
            .find(|m| m.mv == Move::OpenQuestion)
            .expect("an open question");
        assert!(line[q.start..q.end].starts_with("How has"), "{q:?}");
        assert!(line[q.start..q.end].ends_with('?'), "{q:?}");
    }

    #[test]
    fn odd_input_never_panics() {
        let long = "you never listen ".repeat(1000);
        let junk =
            String::from_utf8_lossy(&[0xff, 0x00, 0x1b, b'[', 0xe2, 0x80, b'?', 0x07]).into_owned();
        let odd = [
            "",
            " ",
            "\u{0}\u{7f}\u{200b}",
            "''''",
            "?!?!...",
            long.as_str(),
            junk.as_str(),
            "I\u{307}\u{301} \u{df} \u{fb01} \u{1f494} u",
        ];
        for line in odd {
            let c = classifier().classify(line, Context::default());
            for m in &c.moves {
                assert!(m.start <= m.end && m.end <= line.len());
                assert!(line.is_char_boundary(m.start) && line.is_char_boundary(m.end));
            }
        }
    }

    #[test]
    fn state_caches_are_counted_dropped_past_the_budget_and_rebuilt_alike() {
        let c = Classifier::builtin();
        let lines = [
            "You never listen to me, why do you always do this?",
            "I feel lonely when we don't talk. Could we have dinner Friday?",
            "How has work been lately? It sounds like a lot.",
            "Je suis désolé, café? You always say that \u{1f494}",
        ];
        let mut s = Scratch::default();
        let first: Vec<_> = lines
            .iter()
            .map(|l| c.classify_with(l, Context::default(), &mut s))
            .collect();
        assert!(s.caches.bytes > 0, "the caches used are counted");
        let id = c.inner.engine().id;
        let slots = &s.caches.engines.iter().find(|e| e.0 == id).unwrap().1;
        let used = slots.iter().flatten().count();
        assert!(used > 0);
        let slot_bytes = slots.len() * std::mem::size_of::<CacheSlot>();
        let reported: usize = slots.iter().flatten().map(|c| c.memory_usage()).sum();
        assert_eq!(
            s.caches.bytes,
            reported + slot_bytes,
            "the count is what the caches report, and the slots"
        );
        // Past the budget, the next line starts from empty caches and classifies alike.
        s.caches.bytes = CACHE_BUDGET + 1;
        let again: Vec<_> = lines
            .iter()
            .map(|l| c.classify_with(l, Context::default(), &mut s))
            .collect();
        assert_eq!(first, again);
        let slots = &s.caches.engines.iter().find(|e| e.0 == id).unwrap().1;
        let reported: usize = slots.iter().flatten().map(|c| c.memory_usage()).sum();
        assert_eq!(
            s.caches.bytes,
            reported + slot_bytes,
            "counted afresh after the trim"
        );
        assert!(s.caches.bytes < CACHE_BUDGET);
    }

    /// Patterns whose long bounded repetitions get a relaxed form: concatenated, nested,
    /// lazy, with turns of more than one byte, anchored at the end.
    const RELAXABLE: &[&str] = &[
        r"a[^.]{0,10}b",
        r"a(?:b[^.]{0,10}){0,10}c",
        r"(?:ab|a){1,10}b",
        r"x(?:\w+ ){0,10}?y",
        r"(?:^|\. )a[^.]{3,12}b$",
        r"\ba[ab ]{0,10}\bb\b",
    ];

    fn lazy(source: &str) -> Lazy {
        Lazy::new(
            source.to_string(),
            Arc::new(shadow::Kinds::new(std::iter::empty())),
        )
    }

    fn fast_matches(l: &Lazy, line: &str, slot: &mut CacheSlot) -> Vec<(usize, usize)> {
        let (mut out, mut bytes) = (Vec::new(), 0);
        l.find_all(line, Haystack::Ascii, (slot, &mut bytes), &mut out);
        out
    }

    #[test]
    fn a_short_search_uses_the_relaxed_form_and_a_long_one_the_exact_form() {
        // "i feel" and "hurt" take 10 bytes, the gap at most 40: exact up to 50 bytes.
        let l = lazy(r"\bi feel[^.?!]{0,40}\bhurt\b");
        let Ascii::Anchored(a) = l.ascii() else {
            panic!("an anchored DFA")
        };
        assert_eq!(a.relaxed.as_ref().map(|r| r.1), Some(50));
        assert!(a.exact.get().is_none(), "the exact form waits to be needed");
        let mut slot = None;
        let short = format!("so i feel{} hurt", " x".repeat(19));
        assert_eq!(fast_matches(&l, &short, &mut slot), [(3, short.len())]);
        let caches = slot.as_ref().expect("caches made");
        assert!(caches.relaxed.is_some() && caches.exact.is_none());
        assert!(a.exact.get().is_none());
        // A gap one byte too long: the relaxed form would match; the exact one says no.
        let long = format!("i feel{} hurt", " x".repeat(20));
        assert_eq!(long.len(), 51);
        assert_eq!(fast_matches(&l, &long, &mut slot), []);
        assert!(matches!(a.exact.get(), Some(Some(_))));
        assert!(slot.as_ref().unwrap().exact.is_some());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn relaxed_repetitions_match_as_the_bounded_ones_do(line in "[ab .xy]{0,30}") {
            static COMPILED: OnceLock<Vec<(Lazy, Regex)>> = OnceLock::new();
            let compiled = COMPILED.get_or_init(|| {
                RELAXABLE.iter().map(|p| (lazy(p), Regex::new(p).unwrap())).collect()
            });
            for (l, re) in compiled {
                proptest::prop_assert!(
                    matches!(l.ascii(), Ascii::Anchored(a) if a.relaxed.is_some()),
                    "{} has a relaxed form", l.source
                );
                let want: Vec<(usize, usize)> =
                    re.find_iter(&line).map(|m| (m.start(), m.end())).collect();
                proptest::prop_assert_eq!(
                    fast_matches(l, &line, &mut None), want, "{}", l.source
                );
            }
        }
    }
}
