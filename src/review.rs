//! Rendering a saved transcript for review: every turn with its moves highlighted, the
//! partner's openness over time, the scorecard with each point explained, and for each
//! mistake a better phrasing (and, with `--what-if`, what the partner would have said).

//!
//! The text format is for the terminal; markdown ([`markdown`]) and HTML ([`html`]) are
//! for keeping and sharing. A transcript is a file that may come from anyone, so every
//! string in it is neutralised for the output it lands in: terminal controls are made
//! visible ([`crate::term::visible`]) in every format, markdown escapes what would change
//! formatting, and HTML escapes `& < > " '` and carries no scripts and no outside links.

mod html;
mod markdown;

use crate::classify::MoveMatch;
use crate::coach::{Advice, Coach};
use crate::moves::Kind;
use crate::render;
use crate::score::Scorecard;
use crate::session::Turn;
use crate::term::{one_line, readable_id, visible};
use crate::transcript::Transcript;
use colored::Colorize;
use std::fmt::Write;

/// Output formats for `review`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Html,
}

/// What a mistake turn could have been: the rewrite, and the partner's answer to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WhatIf {
    pub n: u32,
    pub advice: Advice,
    /// The partner's reply and openness had the rewrite been said instead.
    pub partner: String,
    pub openness: i32,
    pub band: String,
}

/// Everything a review shows.
pub struct Review<'a> {
    pub transcript: &'a Transcript,
    /// The scorecard: from the end event, or recomputed from the turns.
    pub scorecard: Option<&'a Scorecard>,
    /// Starting openness, when the scenario is known (for the chart).
    pub start_openness: Option<i32>,
    pub coach: &'a Coach,
    pub what_if: &'a [WhatIf],
}

impl Review<'_> {
    /// The partner's name as recorded (raw: escape it for the output it goes to).
    fn partner(&self) -> &str {
        &self.transcript.header.partner
    }

    fn advice_for(&self, t: &Turn) -> Vec<Advice> {
        t.moves
            .iter()
            .filter(|m| m.kind == Kind::Mistake)
            .filter_map(|m| self.coach.advise_turn(m.mv, t, self.partner()))
            .collect()
    }

    /// Openness at the start and after each kept turn.
    pub fn curve(&self) -> Vec<i32> {
        let kept = self.transcript.kept_turns();
        let start = self
            .start_openness
            .or_else(|| kept.first().map(|t| t.openness_before))
            .unwrap_or(0);
        std::iter::once(start)
            .chain(kept.iter().map(|t| t.openness))
            .collect()
    }
}

/// Render a review in the given format.
pub fn render(r: &Review<'_>, format: Format) -> String {
    match format {
        Format::Text => text(r),
        Format::Markdown => markdown::render(r),
        Format::Html => html::render(r),
    }
}

/// A piece of a user line, and the moves whose matched span covers it.
struct Segment<'t, 'm> {
    text: &'t str,
    moves: Vec<&'m MoveMatch>,
}

/// Cut `text` at every matched span's edges, so overlapping moves can all be shown.
/// Spans that do not fit the text (a hand-edited transcript) are ignored.
fn segments<'t, 'm>(text: &'t str, moves: &'m [MoveMatch]) -> Vec<Segment<'t, 'm>> {
    let valid: Vec<&MoveMatch> = moves
        .iter()
        .filter(|m| m.start < m.end && text.get(m.start..m.end).is_some())
        .collect();
    let mut cuts = vec![0, text.len()];
    for m in &valid {
        cuts.push(m.start);
        cuts.push(m.end);
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2)
        .filter_map(|w| {
            let piece = text.get(w[0]..w[1]).filter(|p| !p.is_empty())?;
            Some(Segment {
                text: piece,
                moves: valid
                    .iter()
                    .filter(|m| m.start <= w[0] && w[1] <= m.end)
                    .copied()
                    .collect(),
            })
        })
        .collect()
}

/// The words a move matched, on one line (empty when the span does not fit the text).
fn matched<'t>(t: &'t Turn, m: &MoveMatch) -> &'t str {
    t.user.get(m.start..m.end).unwrap_or("")
}

/// `mistake` if the turn carried any mistake, else `practice` if any practice, else `none`.
fn turn_kind(t: &Turn) -> &'static str {
    if t.moves.iter().any(|m| m.kind == Kind::Mistake) {
        "mistake"
    } else if t.moves.is_empty() {
        "none"
    } else {
        "practice"
    }
}

/// `+6`, `-10`, `±0`.
fn signed(d: i32) -> String {
    if d == 0 {
        "±0".into()
    } else {
        format!("{d:+}")
    }
}

/// Split a partner line into plain text and `*stage directions*` (true).
fn actions(s: &str) -> Vec<(bool, &str)> {
    delimited(s, '*')
}

/// Split text into plain pieces and pieces between a pair of `delim` (true), such as the
/// `` `ids` `` in a score part's detail.
fn delimited(s: &str, delim: char) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find(delim) {
        let Some(len) = rest[open + 1..].find(delim) else {
            break;
        };
        let inner = &rest[open + 1..open + 1 + len];
        let clean = !inner.is_empty() && inner.trim() == inner;
        if !clean {
            out.push((false, &rest[..open + 1]));
            rest = &rest[open + 1..];
            continue;
        }
        if open > 0 {
            out.push((false, &rest[..open]));
        }
        out.push((true, inner));
        rest = &rest[open + len + 2..];
    }
    if !rest.is_empty() {
        out.push((false, rest));
    }
    out
}

/// How the talk ended, in words (mirrors the end of `play`).
fn end_reason(r: &Review<'_>) -> Option<String> {
    let end = r.transcript.end.as_ref()?;
    Some(match end.reason.as_str() {
        "ending" => {
            let kind = r
                .scorecard
                .and_then(|c| c.outcome_kind.as_deref())
                .map(|k| format!(" ({})", one_line(k)))
                .unwrap_or_default();
            format!(
                "The talk ended: {}{kind}.",
                readable_id(end.ending.as_deref().unwrap_or(""))
            )
        }
        "turn_limit" => format!(
            "The talk ran out of time after {} turns.",
            r.transcript.kept_turns().len()
        ),
        "interrupted" => "The rehearsal was interrupted before it finished.".into(),
        "end_of_input" => "You ended the rehearsal (end of input).".into(),
        _ => "You ended the rehearsal.".into(),
    })
}

fn text(r: &Review<'_>) -> String {
    let h = &r.transcript.header;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}",
        format!("Review: {} ({})", one_line(&h.title), one_line(&h.scenario)).bold()
    );
    let _ = writeln!(
        s,
        "Started {} · seed {} · with {}",
        one_line(&h.started),
        h.seed,
        one_line(&h.partner)
    );
    if r.transcript.truncated {
        let _ = writeln!(
            s,
            "{}",
            "(The last line of this transcript was cut off, probably by a crash; it is skipped.)"
                .dimmed()
        );
    }
    let _ = writeln!(s, "\nOpenness over time: {}", render::sparkline(&r.curve()));
    for (t, undone) in &r.transcript.turns {
        let _ = writeln!(s);
        let label = format!("Turn {}", t.n);
        if *undone {
            let _ = writeln!(
                s,
                "{} {}",
                label.dimmed(),
                "(taken back with /undo)".dimmed()
            );
        } else {
            let _ = writeln!(s, "{}", label.bold());
        }
        let _ = writeln!(s, "  you: {}", render::highlight(&t.user, &t.moves));
        for m in &t.moves {
            let _ = writeln!(
                s,
                "    {} ({}) \"{}\" [{}]",
                m.mv.label(),
                m.kind.name(),
                one_line(t.user.get(m.start..m.end).unwrap_or("")),
                one_line(&m.rule)
            );
        }
        let _ = writeln!(
            s,
            "  {}: {}",
            one_line(r.partner()),
            visible(t.partner.trim())
        );
        let _ = writeln!(
            s,
            "  openness {} → {} ({}){}",
            t.openness_before,
            t.openness,
            readable_id(&t.band),
            t.reveal
                .as_ref()
                .map(|id| format!(" · drew out: {}", readable_id(id)))
                .unwrap_or_default()
        );
        if !*undone {
            for a in r.advice_for(t) {
                let _ = writeln!(
                    s,
                    "  {} {} (step {}: {})",
                    "Try instead:".yellow().bold(),
                    visible(&a.rewrite),
                    a.step,
                    a.step_title
                );
                let _ = writeln!(s, "    {}", visible(&a.advice).dimmed());
            }
            for w in r.what_if.iter().filter(|w| w.n == t.n) {
                let _ = writeln!(
                    s,
                    "    What if: {} would have said \"{}\" (openness {}, {})",
                    one_line(r.partner()),
                    one_line(&w.partner),
                    w.openness,
                    readable_id(&w.band)
                );
            }
        }
    }
    match (&r.transcript.end, r.scorecard) {
        (Some(end), _) if end.text.is_some() => {
            let _ = writeln!(
                s,
                "\n{}: {}",
                one_line(r.partner()),
                visible(end.text.as_deref().unwrap_or("").trim())
            );
        }
        (None, _) => {
            let _ = writeln!(
                s,
                "\n{}",
                "(The session has no end event: it was interrupted.)".dimmed()
            );
        }
        _ => {}
    }
    if r.scorecard.is_some() && r.transcript.kept_turns().is_empty() {
        // As at the end of the talk itself: a score of nothing said would read as a verdict.
        let _ = writeln!(s, "\n{}", render::NOTHING_TO_SCORE);
    } else if let Some(card) = r.scorecard {
        if !r.transcript.safety_notes.is_empty() {
            let _ = writeln!(s, "\n{}", render::safety_before_score());
        }
        s.push_str(&render::scorecard_for(r.partner(), card));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::moves::Move;

    fn mm(mv: Move, start: usize, end: usize) -> MoveMatch {
        MoveMatch {
            mv,
            kind: mv.kind(),
            rule: format!("{}.test", mv.name()),
            start,
            end,
        }
    }

    #[test]
    fn segments_split_overlaps_and_skip_spans_that_do_not_fit() {
        let text = "So it sounds like the shifts are brutal";
        let moves = [
            mm(Move::ReflectiveListening, 0, 21),
            mm(Move::ExternalStressor, 18, 39),
            mm(Move::Criticism, 30, 999),
        ];
        let segs = segments(text, &moves);
        let pieces: Vec<(&str, usize)> = segs.iter().map(|s| (s.text, s.moves.len())).collect();
        assert_eq!(
            pieces,
            [
                ("So it sounds like ", 1),
                ("the", 2),
                (" shifts are brutal", 1)
            ]
        );
        // A span inside a multi-byte character is ignored, not a panic.
        assert_eq!(segments("é", &[mm(Move::Criticism, 0, 1)]).len(), 1);
        assert!(segments("", &[]).is_empty());
    }

    #[test]
    fn stage_directions_and_code_are_found_in_pairs() {
        assert_eq!(
            actions("*sips* Go on. *pause"),
            [(true, "sips"), (false, " Go on. *pause")]
        );
        assert_eq!(actions("a * b * c"), [(false, "a *"), (false, " b * c")]);
        assert_eq!(
            delimited("ending `x`", '`'),
            [(false, "ending "), (true, "x")]
        );
    }

    #[test]
    fn markdown_escapes_formatting_and_fences_code() {
        assert_eq!(
            markdown::esc("*a* _b_ `c` <d> [e](f) & g|h #i"),
            r"\*a\* \_b\_ \`c\` \<d\> \[e\](f) \& g\|h \#i"
        );
        assert_eq!(markdown::esc("- x"), r"\- x");
        assert_eq!(markdown::esc("1. x"), r"1\. x");
        assert_eq!(markdown::esc("see http://x"), r"see http\://x");
        assert_eq!(markdown::esc("a\u{1b}[2Jb\nc"), r"a\\u{1b}\[2Jb c");
        assert_eq!(markdown::code("a`b"), "``a`b``");
        assert_eq!(markdown::code("`a"), "`` `a ``");
        assert_eq!(markdown::code(""), "");
    }

    #[test]
    fn html_escapes_the_five_and_shows_controls() {
        assert_eq!(
            html::esc("<a href=\"x\">'&'</a>\u{1b}[2J"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\\u{1b}[2J"
        );
    }

    /// How many `<` in markdown are neither backslash-escaped nor inside a code span.
    fn raw_lt(md: &str) -> usize {
        let chars: Vec<char> = md.chars().collect();
        let (mut i, mut n, mut fence) = (0, 0, 0);
        while i < chars.len() {
            match chars[i] {
                '\\' => i += 1,
                '`' => {
                    let run = chars[i..].iter().take_while(|&&c| c == '`').count();
                    fence = match fence {
                        0 => run,
                        f if f == run => 0,
                        f => f,
                    };
                    i += run - 1;
                }
                '<' if fence == 0 => n += 1,
                _ => {}
            }
            i += 1;
        }
        n
    }

    fn transcript(user: &str) -> Transcript {
        let header = r#"{"type":"header","format":1,"app":"rehearse test","scenario":"s<i>","title":"T <b>","partner":"Jo<script>","scenario_hash":"0","seed":1,"started":"2026-01-01T00:00:00Z"}"#;
        let turn = serde_json::json!({
            "type": "turn", "n": 1, "user": user,
            "moves": [{"move": "criticism", "kind": "mistake", "rule": "r\"<x>", "start": 0, "end": 9}],
            "partner": "*sighs* <b>Fine</b>", "openness_before": 40, "openness": 30,
            "band": "guarded", "delta": -10, "effects": [], "reveal": "<r>",
            "asks_space": false, "after_space_request": false
        });
        Transcript::parse("t.jsonl", &format!("{header}\n{turn}\n")).unwrap()
    }

    #[test]
    fn every_format_neutralises_a_hostile_transcript_and_shows_what_if() {
        let t = transcript("You never <script>alert(1)</script>\u{1b}[2J");
        let coach = Coach::builtin(&crate::text::Substitutions::default());
        let advice = coach
            .advise(Move::Criticism, &t.turns[0].0.user, "Jo")
            .unwrap();
        let what_if = [WhatIf {
            n: 1,
            advice,
            partner: "*nods* <i>Okay</i>".into(),
            openness: 55,
            band: "open<".into(),
        }];
        let r = Review {
            transcript: &t,
            scorecard: None,
            start_openness: None,
            coach: &coach,
            what_if: &what_if,
        };
        let html = render(&r, Format::Html);
        let md = render(&r, Format::Markdown);
        for out in [&html, &md] {
            assert!(!out.contains('\u{1b}'));
            assert!(out.contains("What if"), "{out}");
        }
        assert!(!html.contains("<script") && !html.contains("<b>"), "{html}");
        assert!(!html.contains("<i>"), "{html}");
        assert_eq!(raw_lt(&md), 0, "every `<` is escaped or in code: {md}");
        // In markdown a code span shows its text as it is, so ids may keep their `<`.
        assert!(md.contains("(`s<i>`)"), "{md}");
        assert!(md.contains("\\<i\\>Okay\\</i\\>"), "{md}");
        assert!(html.contains("<mark class=\"mistake mv-criticism\" title=\"criticism (mistake), rule r&quot;&lt;x&gt;\">You never</mark>"), "{html}");
        assert!(html.contains("&lt;i&gt;Okay&lt;/i&gt;"), "{html}");
        assert!(html.contains("<em class=\"action\">nods</em>"), "{html}");
        assert!(
            html.contains("holding back: &lt;r&gt;</p>"),
            "the reveal: {html}"
        );
        assert!(html.contains("No scorecard"), "{html}");
        assert!(md.contains("**You never** \\<script\\>"), "{md}");
        assert!(md.contains("*sighs* \\<b\\>Fine\\</b\\>"), "{md}");
        assert!(md.contains("open\\<"), "{md}");
        // The chart starts from the first turn's openness when the scenario is unknown.
        assert_eq!(r.curve(), [40, 30]);
    }
}
