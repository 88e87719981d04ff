//! The review as Markdown (CommonMark with GitHub tables): headings per turn, matched
//! words in bold, the openness sparkline and a table, the scorecard as lists and tables.
//!
//! Every string from the transcript goes through [`esc`] (or [`code`] for ids), so a line
//! such as `*[click](x)* <b>` shows as typed and cannot add links, HTML or formatting.

use super::{Review, Segment, actions, delimited, end_reason, matched, segments, signed};
use crate::moves::{Kind, Move};
use crate::render::sparkline;
use crate::score::Scorecard;
use crate::session::Turn;
use crate::term::{one_line, readable_id};
use std::fmt::Write;

/// Escape text for Markdown: on one line, controls made visible, and every character that
/// could start formatting, a link, HTML, an entity or a table cell escaped.
pub(super) fn esc(s: &str) -> String {
    let s = one_line(s);
    let mut out = String::with_capacity(s.len() + 8);
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let at_start = i == 0;
        let escape = match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '~' | '#' => true,
            // Block markers matter only where a line could start.
            '-' | '+' | '=' => at_start,
            // `1.` or `1)` at the start would begin a list: escape the mark after the digits.
            '.' | ')' => chars[..i].iter().all(char::is_ascii_digit) && i > 0,
            // Keep `http://…` from turning into a link.
            ':' => chars.get(i + 1) == Some(&'/') && chars.get(i + 2) == Some(&'/'),
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A code span holding `s` verbatim (fenced with enough backticks); empty for empty `s`.
pub(super) fn code(s: &str) -> String {
    let s = one_line(s);
    if s.is_empty() {
        return String::new();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with(['`', ' ']) || s.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn is_flank_punct(c: char) -> bool {
    c.is_ascii_punctuation() || (!c.is_alphanumeric() && !c.is_whitespace())
}

/// Would `delim` + `text` + `delim` read as emphasis between `before` and `after`?
/// (CommonMark's flanking rules for `*`.)
fn flanks(text: &str, before: Option<char>, after: Option<char>) -> bool {
    let (Some(first), Some(last)) = (text.chars().next(), text.chars().last()) else {
        return false;
    };
    let opens = !first.is_whitespace()
        && (!is_flank_punct(first)
            || before.is_none_or(|b| b.is_whitespace() || is_flank_punct(b)));
    let closes = !last.is_whitespace()
        && (!is_flank_punct(last) || after.is_none_or(|a| a.is_whitespace() || is_flank_punct(a)));
    opens && closes
}

/// `**text**` when CommonMark will read it as bold in this context, else a code span.
fn strong(text: &str, before: Option<char>, after: Option<char>) -> String {
    if flanks(text, before, after) {
        format!("**{}**", esc(text))
    } else {
        code(text)
    }
}

/// The user's line with every matched span in bold (runs of touching spans together).
fn highlight(t: &Turn) -> String {
    let segs = segments(&t.user, &t.moves);
    let mut out = String::new();
    let mut i = 0;
    while i < segs.len() {
        let covered = !segs[i].moves.is_empty();
        let mut j = i;
        while j < segs.len() && segs[j].moves.is_empty() != covered {
            j += 1;
        }
        let run: String = segs[i..j].iter().map(|s: &Segment| s.text).collect();
        if covered {
            // Whitespace at a run's edges stays outside the bold markers.
            let lead = &run[..run.len() - run.trim_start().len()];
            let core = run.trim();
            let trail = &run[lead.len() + core.len()..];
            let before = lead
                .chars()
                .last()
                .or_else(|| i.checked_sub(1).and_then(|k| segs[k].text.chars().last()));
            let after = trail
                .chars()
                .next()
                .or_else(|| segs.get(j).and_then(|s| s.text.chars().next()));
            out.push_str(&esc(lead));
            out.push_str(&strong(core, before, after));
            out.push_str(&esc(trail));
        } else {
            out.push_str(&esc(&run));
        }
        i = j;
    }
    out
}

/// Table-cell text with `` `ids` `` as code spans, everything else escaped (a `|` is
/// escaped even inside a code span, as GitHub tables require).
fn with_code(s: &str) -> String {
    delimited(&one_line(s), '`')
        .into_iter()
        .map(|(is_code, piece)| {
            if is_code {
                code(piece).replace('|', "\\|")
            } else {
                esc(piece)
            }
        })
        .collect()
}

/// A partner line: `*stage directions*` in italics, everything else escaped.
fn partner_line(s: &str) -> String {
    let line = one_line(s);
    let pieces = actions(line.trim());
    let mut out = String::new();
    for (i, &(action, piece)) in pieces.iter().enumerate() {
        let before = i.checked_sub(1).and_then(|k| pieces[k].1.chars().last());
        let after = pieces.get(i + 1).and_then(|p| p.1.chars().next());
        match action {
            true if flanks(piece, before, after) => {
                let _ = write!(out, "*{}*", esc(piece));
            }
            true => {
                let _ = write!(out, "\\*{}\\*", esc(piece));
            }
            false => out.push_str(&esc(piece)),
        }
    }
    out
}

pub(super) fn render(r: &Review<'_>) -> String {
    let t = r.transcript;
    let h = &t.header;
    let partner = esc(r.partner());
    let mut s = String::new();
    let _ = writeln!(s, "# Review: {} ({})\n", esc(&h.title), code(&h.scenario));
    let _ = writeln!(
        s,
        "Started {} · seed {} · with {}\n",
        esc(&h.started),
        h.seed,
        partner
    );
    if t.truncated {
        let _ = writeln!(
            s,
            "> **Note:** the last line of this transcript was cut off, probably by a crash; it is skipped.\n"
        );
    }
    if !t.safety_notes.is_empty() {
        let _ = writeln!(
            s,
            "> **Note:** {} line{} about safety {} set aside: the partner did not answer {}, and {} text was not kept.\n",
            t.safety_notes.len(),
            if t.safety_notes.len() == 1 { "" } else { "s" },
            if t.safety_notes.len() == 1 {
                "was"
            } else {
                "were"
            },
            if t.safety_notes.len() == 1 {
                "it"
            } else {
                "them"
            },
            if t.safety_notes.len() == 1 {
                "its"
            } else {
                "their"
            },
        );
    }

    chart(&mut s, r);

    let _ = writeln!(s, "## The talk\n");
    for (turn, undone) in &t.turns {
        turn_section(&mut s, r, turn, *undone);
    }
    match &t.end {
        Some(end) => {
            let _ = writeln!(s, "### The end\n");
            if let Some(text) = end.text.as_deref().filter(|x| !x.trim().is_empty()) {
                let _ = writeln!(s, "{partner}: {}\n", partner_line(text));
            }
            if let Some(why) = end_reason(r) {
                let _ = writeln!(s, "{}\n", esc(&why));
            }
        }
        None => {
            let _ = writeln!(
                s,
                "> **Note:** the session has no end event: it was interrupted.\n"
            );
        }
    }
    if r.scorecard.is_some() && !r.transcript.safety_notes.is_empty() {
        let _ = writeln!(s, "> {}\n", crate::render::SAFETY_BEFORE_SCORE);
    }
    match r.scorecard {
        Some(card) => scorecard(&mut s, r, card),
        None => {
            let _ = writeln!(
                s,
                "## Scorecard\n\nNo scorecard: the talk was interrupted and its scenario {} could not be found to score it.",
                code(&h.scenario)
            );
        }
    }
    s
}

fn chart(s: &mut String, r: &Review<'_>) {
    let curve = r.curve();
    let _ = writeln!(s, "## Openness over time\n");
    let _ = writeln!(
        s,
        "{}'s openness from 0 (shut off) to 100 (open): {} — {} at the start, {} at the end.\n",
        esc(r.partner()),
        code(&sparkline(&curve)),
        curve[0],
        curve.last().copied().unwrap_or(curve[0])
    );
    let _ = writeln!(s, "| turn | openness | change | band | moves |");
    let _ = writeln!(s, "|---:|---:|---:|---|---|");
    let _ = writeln!(s, "| start | {} | | | |", curve[0]);
    for t in r.transcript.kept_turns() {
        // Each move marked as what it is: a turn can hold a mistake and a practice.
        let names: Vec<String> = t
            .moves
            .iter()
            .map(|m| {
                let mark = match m.kind {
                    Kind::Mistake => "✗",
                    Kind::Practice => "✓",
                };
                format!("{mark} {}", esc(m.mv.label()))
            })
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            t.n,
            t.openness,
            signed(t.openness - t.openness_before),
            esc(&readable_id(&t.band)),
            names.join(", ")
        );
    }
    let _ = writeln!(s);
}

fn turn_section(s: &mut String, r: &Review<'_>, t: &Turn, undone: bool) {
    let partner = esc(r.partner());
    if undone {
        let _ = writeln!(s, "### Turn {} (taken back with /undo)\n", t.n);
    } else {
        let _ = writeln!(s, "### Turn {}\n", t.n);
    }
    let _ = writeln!(s, "You: {}\n", highlight(t));
    for m in &t.moves {
        let (sign, kind) = match m.kind {
            Kind::Mistake => ("✗", "mistake"),
            Kind::Practice => ("✓", "practice"),
        };
        let _ = writeln!(
            s,
            "- {sign} **{}** ({}, {kind}): “{}” · rule {}",
            esc(m.mv.label()),
            code(m.mv.name()),
            esc(matched(t, m)),
            code(&m.rule)
        );
    }
    if !t.moves.is_empty() {
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "{partner}: {}\n", partner_line(&t.partner));
    let reveal = t
        .reveal
        .as_deref()
        .map(|id| format!(" · drew out {}", esc(&readable_id(id))))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "Openness {} → {} ({}, {}){reveal}\n",
        t.openness_before,
        t.openness,
        signed(t.openness - t.openness_before),
        esc(&readable_id(&t.band))
    );
    if undone {
        return;
    }
    for a in r.advice_for(t) {
        let _ = writeln!(
            s,
            "> **Try instead** (step {}: {}): {}\n>\n> {}\n",
            a.step,
            esc(a.step_title),
            esc(&a.rewrite),
            esc(&a.advice)
        );
    }
    for w in r.what_if.iter().filter(|w| w.n == t.n) {
        let _ = writeln!(
            s,
            "> **What if:** {partner} would have said “{}” (openness {}, {})\n",
            partner_line(&w.partner),
            w.openness,
            esc(&readable_id(&w.band))
        );
    }
}

fn scorecard(s: &mut String, r: &Review<'_>, card: &Scorecard) {
    let partner = esc(r.partner());
    let _ = writeln!(s, "## Scorecard: {}/100\n", card.score);
    let kind = card
        .outcome_kind
        .as_deref()
        .map(|k| format!(" ({})", esc(k)))
        .unwrap_or_else(|| " (no ending reached: the band the talk stopped in)".to_string());
    let _ = writeln!(
        s,
        "Outcome: **{}**{kind} after {} turn{}. {partner}'s openness: {}/100 ({}), from {} at the start.\n",
        esc(&readable_id(&card.outcome)),
        card.turns,
        if card.turns == 1 { "" } else { "s" },
        card.final_openness,
        esc(&readable_id(&card.band)),
        card.openness_curve
            .first()
            .copied()
            .unwrap_or(card.final_openness)
    );

    let _ = writeln!(s, "### The guide's seven steps\n");
    let _ = writeln!(s, "| | step | reached |");
    let _ = writeln!(s, "|---|---|---|");
    for st in &card.steps {
        let (mark, at) = match st.achieved_turn {
            Some(n) => (
                "✓",
                format!(
                    "turn {n}{}",
                    st.by
                        .map(|m| format!(" ({})", esc(m.label())))
                        .unwrap_or_default()
                ),
            ),
            None => ("·", "not yet".to_string()),
        };
        let _ = writeln!(s, "| {mark} | {}. {} | {at} |", st.step, esc(&st.title));
    }
    let _ = writeln!(s);
    if card.order.1 > 0 {
        let _ = writeln!(
            s,
            "Order: {} of {} pairs of steps came in the guide's order.\n",
            card.order.0, card.order.1
        );
    }

    let _ = writeln!(s, "### Mistakes\n");
    let mut any = false;
    for &m in Move::ALL.iter().filter(|m| m.kind() == Kind::Mistake) {
        if let Some(turns) = card.mistakes.get(m.name()).filter(|t| !t.is_empty()) {
            any = true;
            let list: Vec<String> = turns.iter().map(u32::to_string).collect();
            let _ = writeln!(
                s,
                "- ✗ **{}**: turn{} {} — {}",
                esc(m.label()),
                if turns.len() == 1 { "" } else { "s" },
                list.join(", "),
                esc(m.guide_ref())
            );
        }
    }
    if !any {
        let _ = writeln!(s, "None.");
    }
    let _ = writeln!(s);

    if card.reveals_total > 0 {
        let ids: Vec<String> = card
            .revealed
            .iter()
            .map(|id| esc(&readable_id(id)))
            .collect();
        let _ = writeln!(
            s,
            "You drew out {} of {} things {partner} was holding back{}\n",
            card.revealed.len(),
            card.reveals_total,
            if ids.is_empty() {
                ".".to_string()
            } else {
                format!(": {}.", ids.join(", "))
            }
        );
    }

    let _ = writeln!(s, "### How the score adds up\n");
    let _ = writeln!(s, "| points | part | detail |");
    let _ = writeln!(s, "|---:|---|---|");
    for p in &card.parts {
        let _ = writeln!(
            s,
            "| {:+} | {} | {} |",
            p.points,
            esc(&p.label),
            with_code(&p.detail)
        );
    }
    let _ = writeln!(s, "| **{}** | **Score** | out of 100 |", card.score);
}
