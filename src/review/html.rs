//! The review as one self-contained HTML page: inline CSS (light and dark), an inline SVG
//! chart of the partner's openness, each turn with its moves marked, and the scorecard.
//!
//! No scripts, no fonts, images or links to other hosts, and a Content-Security-Policy
//! that forbids them anyway. Every string from the transcript goes through [`esc`].

use super::{Review, actions, delimited, end_reason, matched, segments, signed, turn_kind};
use crate::moves::{Kind, Move};
use crate::render::sparkline;
use crate::score::Scorecard;
use crate::session::Turn;
use crate::term::{one_line, readable_id, visible};
use std::fmt::Write;

/// Escape text for HTML content and attribute values, with controls made visible.
pub(super) fn esc(s: &str) -> String {
    let s = visible(s);
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// [`esc`] on one line (newlines become spaces).
fn esc1(s: &str) -> String {
    esc(&one_line(s))
}

const STYLE: &str = r#"
:root {
  color-scheme: light dark;
  --bg: #f7f6f2; --fg: #1f2430; --muted: #5d6775; --card: #ffffff; --line: #e2dfd8;
  --accent: #3465a4; --accent-soft: rgba(52, 101, 164, .12);
  --mistake: #b3261e; --mistake-bg: #fbe0dc; --practice: #1b7a43; --practice-bg: #d7f0e0;
  --try-bg: #fff5d9; --try-line: #d9a520; --none: #8a93a0;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #14171c; --fg: #e5e7ea; --muted: #9aa3af; --card: #1c2027; --line: #2f353e;
    --accent: #8ab4f8; --accent-soft: rgba(138, 180, 248, .14);
    --mistake: #ff8a80; --mistake-bg: #4b2522; --practice: #6fdc9a; --practice-bg: #1d3d2a;
    --try-bg: #352c17; --try-line: #b8902e; --none: #7c8592;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 46rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2.2rem 0 .8rem; padding-bottom: .3rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 1.2rem 0 .5rem; }
code { font: .85em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  background: var(--accent-soft); padding: .05em .35em; border-radius: 4px; overflow-wrap: anywhere; }
.meta, .muted { color: var(--muted); }
.meta { margin: 0 0 1rem; font-size: .95rem; }
.note { border-left: 4px solid var(--try-line); background: var(--try-bg); padding: .6rem .9rem; border-radius: 6px; }
.summary { display: flex; flex-wrap: wrap; gap: .6rem 1.4rem; align-items: center;
  background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: .9rem 1.1rem; }
.score { font-size: 2.4rem; font-weight: 700; line-height: 1; }
.score small { font-size: 1rem; font-weight: 400; color: var(--muted); }
.summary p { margin: 0; }
figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: .8rem .8rem .4rem; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { font-size: .9rem; color: var(--muted); padding: .2rem .3rem; }
.spark { font-family: ui-monospace, Menlo, Consolas, monospace; color: var(--accent); margin-right: .4rem; }
.legend { display: flex; flex-wrap: wrap; gap: .3rem 1.1rem; font-size: .85rem; color: var(--muted); margin: .3rem .3rem .4rem; }
.legend span::before { content: ""; display: inline-block; width: .7rem; height: .7rem; margin-right: .35rem; vertical-align: -.05rem; }
.legend .k-practice::before { background: var(--practice); border-radius: 50%; }
.legend .k-mistake::before { background: var(--mistake); transform: rotate(45deg) scale(.85); }
.legend .k-none::before { border: 2px solid var(--none); border-radius: 50%; }
.grid { stroke: var(--line); stroke-width: 1; }
.axis { fill: var(--muted); font: 12px system-ui, sans-serif; }
.area { fill: var(--accent-soft); }
.curve { fill: none; stroke: var(--accent); stroke-width: 2.5; stroke-linejoin: round; stroke-linecap: round; }
.pt-practice { fill: var(--practice); }
.pt-mistake { fill: var(--mistake); }
.pt-none { fill: var(--card); stroke: var(--none); stroke-width: 2; }
a .pt-practice:hover, a .pt-mistake:hover, a .pt-none:hover { stroke: var(--fg); stroke-width: 2; }
details { margin-top: .5rem; font-size: .9rem; }
summary { cursor: pointer; color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.neg { color: var(--mistake); }
.turn { background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--none);
  border-radius: 10px; padding: .7rem 1rem .8rem; margin: .8rem 0; }
.turn.k-mistake { border-left-color: var(--mistake); }
.turn.k-practice { border-left-color: var(--practice); }
.turn header { display: flex; flex-wrap: wrap; justify-content: space-between; gap: .2rem 1rem; align-items: baseline; }
.turn h3 { margin: 0; }
.openness { font-size: .9rem; color: var(--muted); font-variant-numeric: tabular-nums; }
.delta { font-weight: 600; }
.delta.up { color: var(--practice); }
.delta.down { color: var(--mistake); }
.line { margin: .5rem 0 0; display: grid; grid-template-columns: auto 1fr; gap: .6rem; align-items: baseline; }
.who { min-width: 2.6rem; max-width: 9rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
  font-weight: 600; color: var(--muted); font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; }
.line.muted { display: block; }
.said { overflow-wrap: anywhere; }
.partner .said { color: var(--fg); }
.action { color: var(--muted); }
.action::before { content: "("; font-style: normal; }
.action::after { content: ")"; font-style: normal; }
mark { color: inherit; border-radius: 3px; padding: 0 .1em; }
mark.practice { background: var(--practice-bg); box-shadow: inset 0 -2px 0 var(--practice); }
mark.mistake { background: var(--mistake-bg); box-shadow: inset 0 -2px 0 var(--mistake); }
ul.moves { list-style: none; margin: .35rem 0 0; padding: 0 0 0 3.2rem; font-size: .88rem; }
ul.moves li { margin: .15rem 0; }
.tag { display: inline-block; font-size: .75rem; font-weight: 600; padding: 0 .45rem; border-radius: 999px;
  border: 1px solid currentColor; margin-right: .3rem; white-space: nowrap; }
.tag.practice { color: var(--practice); }
.tag.mistake { color: var(--mistake); }
.tag.undone { color: var(--muted); }
.turn.undone { opacity: .72; border-style: dashed; border-left-style: solid; }
.turn.undone .you .said { text-decoration: line-through; text-decoration-color: var(--muted); }
.reveal { margin: .5rem 0 0; font-size: .92rem; }
.reveal::before { content: "✦ "; color: var(--accent); }
.try { margin: .7rem 0 0; background: var(--try-bg); border-left: 4px solid var(--try-line);
  border-radius: 6px; padding: .5rem .8rem; font-size: .95rem; }
.try p { margin: .2rem 0; }
.try .step { color: var(--muted); font-size: .85rem; }
.whatif { background: var(--accent-soft); border-left-color: var(--accent); }
.ending { font-size: 1.02rem; }
ol.steps { list-style: none; padding: 0; margin: 0; }
ol.steps li { display: flex; gap: .6rem; padding: .35rem 0; border-bottom: 1px solid var(--line); }
ol.steps .mark { width: 1.2rem; text-align: center; font-weight: 700; }
ol.steps li.done .mark { color: var(--practice); }
ol.steps li.missed { color: var(--muted); }
ol.steps .when { margin-left: auto; color: var(--muted); font-size: .9rem; text-align: right; }
ul.mistakes { padding-left: 1.2rem; }
ul.mistakes li { margin: .3rem 0; }
tr.total td { font-weight: 700; border-bottom: none; }
footer { margin-top: 2.5rem; font-size: .85rem; color: var(--muted); }
a { color: var(--accent); }
@media (max-width: 34rem) {
  main { padding: 1rem .7rem 2rem; }
  ul.moves { padding-left: 0; }
  .axis { font-size: 20px; }
  .turn { padding: .6rem .7rem; }
}
@media print {
  body { background: #fff; }
  .turn, figure, .summary { break-inside: avoid; }
}
"#;

pub(super) fn render(r: &Review<'_>) -> String {
    let t = r.transcript;
    let h = &t.header;
    let mut s = String::new();
    let _ = writeln!(s, "<!DOCTYPE html>");
    let _ = writeln!(s, "<html lang=\"en\">");
    let _ = writeln!(s, "<head>");
    let _ = writeln!(s, "<meta charset=\"utf-8\">");
    let _ = writeln!(
        s,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    );
    let _ = writeln!(
        s,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
    );
    let _ = writeln!(s, "<meta name=\"referrer\" content=\"no-referrer\">");
    let _ = writeln!(s, "<meta name=\"color-scheme\" content=\"light dark\">");
    let _ = writeln!(s, "<title>Review: {} · rehearse</title>", esc1(&h.title));
    let _ = writeln!(s, "<style>{STYLE}</style>");
    let _ = writeln!(s, "</head>");
    let _ = writeln!(s, "<body>");
    let _ = writeln!(s, "<main>");
    let _ = writeln!(s, "<h1>Review: {}</h1>", esc1(&h.title));
    let _ = writeln!(
        s,
        "<p class=\"meta\">Scenario <code>{}</code> · with {} · seed {} · started {}</p>",
        esc1(&h.scenario),
        esc1(r.partner()),
        h.seed,
        esc1(&h.started)
    );
    if t.truncated {
        let _ = writeln!(
            s,
            "<p class=\"note\">The last line of this transcript was cut off, probably by a crash; it is skipped.</p>"
        );
    }
    if t.end.is_none() {
        let _ = writeln!(
            s,
            "<p class=\"note\">The session has no end event: it was interrupted.</p>"
        );
    }
    if !t.safety_notes.is_empty() {
        let n = t.safety_notes.len();
        let _ = writeln!(
            s,
            "<p class=\"note\">{n} line{} about safety {} set aside: the partner did not answer {}, and {} text was not kept.</p>",
            if n == 1 { "" } else { "s" },
            if n == 1 { "was" } else { "were" },
            if n == 1 { "it" } else { "them" },
            if n == 1 { "its" } else { "their" },
        );
    }
    summary(&mut s, r);

    let _ = writeln!(s, "<section aria-labelledby=\"h-chart\">");
    let _ = writeln!(
        s,
        "<h2 id=\"h-chart\">{}'s openness over time</h2>",
        esc1(r.partner())
    );
    chart(&mut s, r);
    let _ = writeln!(s, "</section>");

    let _ = writeln!(s, "<section aria-labelledby=\"h-talk\">");
    let _ = writeln!(s, "<h2 id=\"h-talk\">The talk</h2>");
    let mut undone_seen = 0;
    for (turn, undone) in &t.turns {
        if *undone {
            undone_seen += 1;
        }
        turn_card(&mut s, r, turn, *undone, undone_seen);
    }
    if let Some(end) = &t.end {
        let _ = writeln!(s, "<div class=\"turn ending\">");
        if let Some(text) = end.text.as_deref().filter(|x| !x.trim().is_empty()) {
            let _ = writeln!(
                s,
                "<p class=\"line partner\"><span class=\"who\">{}</span> <span class=\"said\">{}</span></p>",
                esc1(r.partner()),
                partner_line(text)
            );
        }
        if let Some(why) = end_reason(r) {
            let _ = writeln!(s, "<p class=\"line muted\">{}</p>", esc1(&why));
        }
        let _ = writeln!(s, "</div>");
    }
    let _ = writeln!(s, "</section>");

    let _ = writeln!(s, "<section aria-labelledby=\"h-score\">");
    if r.scorecard.is_some() && !r.transcript.safety_notes.is_empty() {
        let _ = writeln!(
            s,
            "<p class=\"note\">{}</p>",
            esc1(crate::render::SAFETY_BEFORE_SCORE)
        );
    }
    match r.scorecard {
        Some(card) => scorecard(&mut s, r, card),
        None => {
            let _ = writeln!(s, "<h2 id=\"h-score\">Scorecard</h2>");
            let _ = writeln!(
                s,
                "<p>No scorecard: the talk was interrupted and its scenario <code>{}</code> could not be found to score it.</p>",
                esc1(&h.scenario)
            );
        }
    }
    let _ = writeln!(s, "</section>");
    let _ = writeln!(
        s,
        "<footer>Made by {} from a saved rehearsal. This page is private: it holds what you practised saying.</footer>",
        esc1(&h.app)
    );
    let _ = writeln!(s, "</main>");
    let _ = writeln!(s, "</body>");
    let _ = writeln!(s, "</html>");
    s
}

/// The score, outcome and openness at a glance.
fn summary(s: &mut String, r: &Review<'_>) {
    let curve = r.curve();
    let first = curve[0];
    let last = curve.last().copied().unwrap_or(first);
    let _ = writeln!(s, "<div class=\"summary\">");
    if let Some(card) = r.scorecard {
        let _ = writeln!(
            s,
            "<p class=\"score\">{}<small>/100</small></p>",
            card.score
        );
        let kind = card
            .outcome_kind
            .as_deref()
            .map(|k| format!(" ({})", esc1(k)))
            .unwrap_or_else(|| " (no ending reached: the band the talk stopped in)".to_string());
        let _ = writeln!(
            s,
            "<p>Outcome: <strong>{}</strong>{kind}<br>after {} turn{}</p>",
            esc(&readable_id(&card.outcome)),
            card.turns,
            if card.turns == 1 { "" } else { "s" }
        );
    }
    let _ = writeln!(
        s,
        "<p>{}'s openness<br><strong>{first} → {last}</strong> <span class=\"muted\">out of 100</span></p>",
        esc1(r.partner())
    );
    let _ = writeln!(s, "</div>");
}

/// Kept turns that exist, to link the scorecard's turn numbers to them.
fn kept_numbers(r: &Review<'_>) -> Vec<u32> {
    r.transcript.kept_turns().iter().map(|t| t.n).collect()
}

fn turn_link(n: u32, kept: &[u32]) -> String {
    if kept.contains(&n) {
        format!("<a href=\"#turn-{n}\">turn {n}</a>")
    } else {
        format!("turn {n}")
    }
}

/// The widest a character of the axis font gets, in chart units (20px on narrow screens).
const AXIS_CHAR: f64 = 11.0;

/// Which of the x-axis labels to draw (`x` gives each one's position): `start` (drawn from
/// its point rightwards) and the last turn always, and between them every k-th turn, for
/// the smallest k at which no two labels touch at the widest the font gets.
fn axis_labels(labels: &[String], x: impl Fn(usize) -> f64) -> Vec<usize> {
    let span = |i: usize| {
        let w = labels[i].chars().count() as f64 * AXIS_CHAR;
        if i == 0 {
            (x(0), x(0) + w)
        } else {
            (x(i) - w / 2.0, x(i) + w / 2.0)
        }
    };
    let clears = |a: usize, b: usize| span(a).1 + 6.0 <= span(b).0;
    let n = labels.len();
    for k in 1..n.max(2) {
        let middle: Vec<usize> = (k..n.saturating_sub(1)).step_by(k).collect();
        if middle.windows(2).any(|w| !clears(w[0], w[1])) {
            continue;
        }
        let mut shown = vec![0];
        shown.extend(middle.into_iter().filter(|&i| clears(0, i)));
        if n > 1 {
            while shown.len() > 1 && !clears(shown[shown.len() - 1], n - 1) {
                shown.pop();
            }
            shown.push(n - 1);
        }
        return shown;
    }
    if n > 1 { vec![0, n - 1] } else { vec![0] }
}

/// The inline SVG chart: openness per kept turn, points marked by what the turn carried.
fn chart(s: &mut String, r: &Review<'_>) {
    const W: f64 = 640.0;
    const H: f64 = 260.0;
    const LEFT: f64 = 40.0;
    const RIGHT: f64 = 16.0;
    const TOP: f64 = 14.0;
    const BOTTOM: f64 = 34.0;
    let kept = r.transcript.kept_turns();
    let curve = r.curve();
    let steps = (curve.len() - 1).max(1) as f64;
    let x = |i: usize| LEFT + (W - LEFT - RIGHT) * i as f64 / steps;
    let y = |v: i32| TOP + (H - TOP - BOTTOM) * (100 - v.clamp(0, 100)) as f64 / 100.0;
    let partner = esc1(r.partner());
    let first = curve[0];
    let last = curve.last().copied().unwrap_or(first);
    let mistakes = kept.iter().filter(|t| turn_kind(t) == "mistake").count();
    let practices = kept.iter().filter(|t| turn_kind(t) == "practice").count();

    let _ = writeln!(s, "<figure>");
    let _ = writeln!(
        s,
        "<svg viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" preserveAspectRatio=\"xMidYMid meet\">"
    );
    let _ = writeln!(
        s,
        "<title id=\"chart-title\">{partner}'s openness, from 0 (shut off) to 100 (open), at the start and after each turn</title>"
    );
    let _ = writeln!(
        s,
        "<desc id=\"chart-desc\">From {first} at the start to {last} after {} turn{}. {mistakes} turn{} carried a mistake, {practices} only practices.</desc>",
        kept.len(),
        if kept.len() == 1 { "" } else { "s" },
        if mistakes == 1 { "" } else { "s" },
    );
    for v in [0, 25, 50, 75, 100] {
        let yy = y(v);
        let _ = writeln!(
            s,
            "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{yy:.1}\" x2=\"{:.1}\" y2=\"{yy:.1}\"/><text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{v}</text>",
            W - RIGHT,
            LEFT - 8.0,
            yy + 4.0
        );
    }
    let labels: Vec<String> = (0..curve.len())
        .map(|i| {
            if i == 0 {
                "start".to_string()
            } else {
                kept[i - 1].n.to_string()
            }
        })
        .collect();
    for i in axis_labels(&labels, x) {
        let _ = writeln!(
            s,
            "<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{}\">{}</text>",
            x(i),
            H - BOTTOM + 20.0,
            if i == 0 { "start" } else { "middle" },
            labels[i]
        );
    }
    let pts: Vec<String> = curve
        .iter()
        .enumerate()
        .map(|(i, &v)| format!("{:.1},{:.1}", x(i), y(v)))
        .collect();
    let _ = writeln!(
        s,
        "<polygon class=\"area\" points=\"{:.1},{:.1} {} {:.1},{:.1}\"/>",
        x(0),
        y(0),
        pts.join(" "),
        x(curve.len() - 1),
        y(0)
    );
    let _ = writeln!(
        s,
        "<polyline class=\"curve\" points=\"{}\"/>",
        pts.join(" ")
    );
    let _ = writeln!(
        s,
        "<circle class=\"pt-none\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4.5\"><title>Start: openness {first}</title></circle>",
        x(0),
        y(first)
    );
    for (i, t) in kept.iter().enumerate() {
        let (cx, cy) = (x(i + 1), y(t.openness));
        let kind = turn_kind(t);
        let names: Vec<&str> = t.moves.iter().map(|m| m.mv.label()).collect();
        let what = match kind {
            "none" => "no move".to_string(),
            _ => names.join(", "),
        };
        let title = format!(
            "Turn {}: openness {} → {} ({}, {}); {what}",
            t.n,
            t.openness_before,
            t.openness,
            signed(t.openness - t.openness_before),
            readable_id(&t.band)
        );
        let shape = match kind {
            "mistake" => format!(
                "<rect class=\"pt-mistake\" x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" transform=\"rotate(45 {cx:.1} {cy:.1})\">",
                cx - 5.0,
                cy - 5.0
            ),
            "practice" => {
                format!("<circle class=\"pt-practice\" cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"6\">")
            }
            _ => format!("<circle class=\"pt-none\" cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"4.5\">"),
        };
        let close = if kind == "mistake" {
            "</rect>"
        } else {
            "</circle>"
        };
        let _ = writeln!(
            s,
            "<a href=\"#turn-{}\">{shape}<title>{}</title>{close}</a>",
            t.n,
            esc1(&title)
        );
    }
    let _ = writeln!(s, "</svg>");
    let _ = writeln!(
        s,
        "<div class=\"legend\" aria-hidden=\"true\"><span class=\"k-practice\">practice</span><span class=\"k-mistake\">mistake</span><span class=\"k-none\">no move</span></div>"
    );
    let _ = writeln!(
        s,
        "<figcaption><span class=\"spark\" aria-hidden=\"true\">{}</span> {partner} went from {first} at the start to {last} at the end.</figcaption>",
        sparkline(&curve)
    );
    let _ = writeln!(s, "</figure>");
    let _ = writeln!(s, "<details><summary>The same numbers as a table</summary>");
    let _ = writeln!(
        s,
        "<table><thead><tr><th>turn</th><th class=\"num\">openness</th><th class=\"num\">change</th><th>band</th><th>moves</th></tr></thead><tbody>"
    );
    let _ = writeln!(
        s,
        "<tr><td>start</td><td class=\"num\">{first}</td><td></td><td></td><td></td></tr>"
    );
    for t in &kept {
        let names: Vec<String> = t.moves.iter().map(|m| esc(m.mv.label())).collect();
        let _ = writeln!(
            s,
            "<tr><td><a href=\"#turn-{n}\">{n}</a></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            t.openness,
            signed(t.openness - t.openness_before),
            esc(&readable_id(&t.band)),
            names.join(", "),
            n = t.n
        );
    }
    let _ = writeln!(s, "</tbody></table></details>");
}

/// The user's line with each matched span in a `<mark>`: a class per kind and per move,
/// and a title naming the moves and their rules.
fn highlight(t: &Turn) -> String {
    let mut out = String::new();
    for seg in segments(&t.user, &t.moves) {
        let text = esc1(seg.text);
        if seg.moves.is_empty() {
            out.push_str(&text);
            continue;
        }
        let kind = if seg.moves.iter().any(|m| m.kind == Kind::Mistake) {
            "mistake"
        } else {
            "practice"
        };
        let mut classes = vec![kind.to_string()];
        classes.extend(seg.moves.iter().map(|m| format!("mv-{}", m.mv.name())));
        let title: Vec<String> = seg
            .moves
            .iter()
            .map(|m| format!("{} ({}), rule {}", m.mv.name(), m.kind.name(), m.rule))
            .collect();
        let _ = write!(
            out,
            "<mark class=\"{}\" title=\"{}\">{text}</mark>",
            classes.join(" "),
            esc1(&title.join("; "))
        );
    }
    out
}

/// Text with `` `ids` `` as `<code>`, everything escaped.
fn with_code(s: &str) -> String {
    delimited(&one_line(s), '`')
        .into_iter()
        .map(|(code, piece)| {
            if code {
                format!("<code>{}</code>", esc(piece))
            } else {
                esc(piece)
            }
        })
        .collect()
}

/// A partner line with `*stage directions*` set apart.
fn partner_line(s: &str) -> String {
    actions(s.trim())
        .into_iter()
        .map(|(action, piece)| {
            if action {
                format!("<em class=\"action\">{}</em>", esc1(piece))
            } else {
                esc1(piece)
            }
        })
        .collect()
}

fn delta_span(d: i32) -> String {
    let class = match d {
        d if d > 0 => "delta up",
        d if d < 0 => "delta down",
        _ => "delta",
    };
    format!("<span class=\"{class}\">{}</span>", signed(d))
}

fn turn_card(s: &mut String, r: &Review<'_>, t: &Turn, undone: bool, undone_seen: usize) {
    let kind = turn_kind(t);
    let partner = esc1(r.partner());
    if undone {
        let _ = writeln!(
            s,
            "<article class=\"turn undone k-{kind}\" id=\"turn-{}-undone-{undone_seen}\">",
            t.n
        );
    } else {
        let _ = writeln!(s, "<article class=\"turn k-{kind}\" id=\"turn-{}\">", t.n);
    }
    let _ = writeln!(s, "<header>");
    let _ = writeln!(
        s,
        "<h3>Turn {}{}</h3>",
        t.n,
        if undone {
            " <span class=\"tag undone\">taken back with /undo</span>"
        } else {
            ""
        }
    );
    let _ = writeln!(
        s,
        "<span class=\"openness\">openness {} → <strong>{}</strong> {} · {}</span>",
        t.openness_before,
        t.openness,
        delta_span(t.openness - t.openness_before),
        esc(&readable_id(&t.band))
    );
    let _ = writeln!(s, "</header>");
    let _ = writeln!(
        s,
        "<p class=\"line you\"><span class=\"who\">You</span> <span class=\"said\">{}</span></p>",
        highlight(t)
    );
    if !t.moves.is_empty() {
        let _ = writeln!(s, "<ul class=\"moves\">");
        for m in &t.moves {
            let k = m.kind.name();
            let _ = writeln!(
                s,
                "<li><span class=\"tag {k}\" title=\"{}\">{}</span> “{}” <code title=\"the classifier rule that found it\">{}</code></li>",
                esc1(&format!("{} ({k})", m.mv.name())),
                esc1(m.mv.label()),
                esc1(matched(t, m)),
                esc1(&m.rule)
            );
        }
        let _ = writeln!(s, "</ul>");
    }
    let _ = writeln!(
        s,
        "<p class=\"line partner\"><span class=\"who\">{partner}</span> <span class=\"said\">{}</span></p>",
        partner_line(&t.partner)
    );
    if let Some(id) = &t.reveal {
        let _ = writeln!(
            s,
            "<p class=\"reveal\">You drew out something {partner} was holding back: {}</p>",
            esc(&readable_id(id))
        );
    }
    if !undone {
        for a in r.advice_for(t) {
            let _ = writeln!(s, "<div class=\"try\">");
            let _ = writeln!(
                s,
                "<p><strong>Try instead:</strong> “{}”</p>",
                esc1(&a.rewrite)
            );
            let _ = writeln!(
                s,
                "<p class=\"step\">Step {}: {} · for {}</p>",
                a.step,
                esc1(a.step_title),
                esc1(a.mv.label())
            );
            let _ = writeln!(s, "<p>{}</p>", esc1(&a.advice));
            let _ = writeln!(s, "</div>");
        }
        for w in r.what_if.iter().filter(|w| w.n == t.n) {
            let _ = writeln!(
                s,
                "<div class=\"try whatif\"><p><strong>What if:</strong> {partner} would have said “{}” <span class=\"muted\">(openness {}, {})</span></p></div>",
                partner_line(&w.partner),
                w.openness,
                esc(&readable_id(&w.band))
            );
        }
    }
    let _ = writeln!(s, "</article>");
}

fn scorecard(s: &mut String, r: &Review<'_>, card: &Scorecard) {
    let partner = esc1(r.partner());
    let kept = kept_numbers(r);
    let _ = writeln!(s, "<h2 id=\"h-score\">Scorecard: {}/100</h2>", card.score);
    let kind = card
        .outcome_kind
        .as_deref()
        .map(|k| format!(" ({})", esc1(k)))
        .unwrap_or_else(|| " (no ending reached: the band the talk stopped in)".to_string());
    let _ = writeln!(
        s,
        "<p>Outcome: <strong>{}</strong>{kind} after {} turn{}. {partner}'s openness: {}/100 ({}), from {} at the start.</p>",
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

    let _ = writeln!(s, "<h3>The guide's seven steps</h3>");
    let _ = writeln!(s, "<ol class=\"steps\">");
    for st in &card.steps {
        match st.achieved_turn {
            Some(n) => {
                let by = st
                    .by
                    .map(|m| format!(" ({})", esc1(m.label())))
                    .unwrap_or_default();
                let _ = writeln!(
                    s,
                    "<li class=\"done\"><span class=\"mark\" aria-label=\"reached\">✓</span><span>{}. {}</span><span class=\"when\">{}{by}</span></li>",
                    st.step,
                    esc1(&st.title),
                    turn_link(n, &kept)
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "<li class=\"missed\"><span class=\"mark\" aria-label=\"not reached\">·</span><span>{}. {}</span><span class=\"when\">not yet</span></li>",
                    st.step,
                    esc1(&st.title)
                );
            }
        }
    }
    let _ = writeln!(s, "</ol>");
    if card.order.1 > 0 {
        let _ = writeln!(
            s,
            "<p>Order: {} of {} pairs of steps came in the guide's order.</p>",
            card.order.0, card.order.1
        );
    }

    let _ = writeln!(s, "<h3>Mistakes</h3>");
    let mut items = Vec::new();
    for &m in Move::ALL.iter().filter(|m| m.kind() == Kind::Mistake) {
        if let Some(turns) = card.mistakes.get(m.name()).filter(|t| !t.is_empty()) {
            let links: Vec<String> = turns.iter().map(|&n| turn_link(n, &kept)).collect();
            items.push(format!(
                "<li><span class=\"tag mistake\">{}</span> {} <span class=\"muted\">— {}</span></li>",
                esc1(m.label()),
                links.join(", "),
                esc1(m.guide_ref())
            ));
        }
    }
    if items.is_empty() {
        let _ = writeln!(s, "<p>None.</p>");
    } else {
        let _ = writeln!(s, "<ul class=\"mistakes\">\n{}\n</ul>", items.join("\n"));
    }

    if card.reveals_total > 0 {
        let ids: Vec<String> = card
            .revealed
            .iter()
            .map(|id| esc(&readable_id(id)))
            .collect();
        let _ = writeln!(
            s,
            "<p>You drew out {} of {} things {partner} was holding back{}</p>",
            card.revealed.len(),
            card.reveals_total,
            if ids.is_empty() {
                ".".to_string()
            } else {
                format!(": {}.", ids.join(", "))
            }
        );
    }

    let _ = writeln!(s, "<h3>How the score adds up</h3>");
    let _ = writeln!(
        s,
        "<table><thead><tr><th class=\"num\">points</th><th>part</th><th>detail</th></tr></thead><tbody>"
    );
    for p in &card.parts {
        let _ = writeln!(
            s,
            "<tr><td class=\"num{}\">{:+}</td><td>{}</td><td>{}</td></tr>",
            if p.points < 0 { " neg" } else { "" },
            p.points,
            esc1(&p.label),
            with_code(&p.detail)
        );
    }
    let _ = writeln!(
        s,
        "<tr class=\"total\"><td class=\"num\">{}</td><td>Score</td><td>out of 100</td></tr>",
        card.score
    );
    let _ = writeln!(s, "</tbody></table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_labels_never_overlap_and_keep_both_ends() {
        for turns in 1..120 {
            let labels: Vec<String> = std::iter::once("start".to_string())
                .chain((1..=turns).map(|n| n.to_string()))
                .collect();
            let x = |i: usize| 40.0 + 584.0 * i as f64 / turns as f64;
            let shown = axis_labels(&labels, x);
            assert_eq!(shown.first(), Some(&0), "{turns} turns");
            assert_eq!(shown.last(), Some(&turns), "{turns} turns");
            for pair in shown.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                let right = if a == 0 {
                    x(0) + 5.0 * AXIS_CHAR
                } else {
                    x(a) + labels[a].len() as f64 * AXIS_CHAR / 2.0
                };
                let left = x(b) - labels[b].len() as f64 * AXIS_CHAR / 2.0;
                assert!(right < left, "{turns} turns: labels {a} and {b} overlap");
            }
            if turns <= 8 {
                assert_eq!(shown.len(), turns + 1, "a short talk labels every turn");
            }
        }
    }
}
