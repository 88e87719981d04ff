//! Text rendering for the terminal: the brief, each exchange with its openness meter,
//! `/why`, the scorecard, classifier output and the rule list. Colour goes through
//! `colored`, whose on/off switch the CLI sets once. Everything that came from a user or a
//! file passes through [`crate::term`] first.

use crate::classify::{Classification, MoveMatch};
use crate::moves::{Kind, Move};
use crate::rules::Rule;
use crate::scenario::Scenario;
use crate::score::Scorecard;
use crate::session::{End, Turn};
use crate::term::{one_line, readable_id, visible};
use colored::{ColoredString, Colorize};
use std::fmt::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Width to wrap prose at; 0 leaves lines whole (piped output, files).
static WIDTH: AtomicUsize = AtomicUsize::new(0);

/// Wrap prose at `width` columns from now on (the CLI sets the terminal's width).
pub fn set_width(width: usize) {
    WIDTH.store(width, Ordering::Relaxed);
}

/// The terminal width, when stdout is a terminal.
pub fn terminal_width() -> usize {
    textwrap::termwidth()
}

/// Wrap a paragraph, continuing lines with `indent`; unchanged when wrapping is off.
pub fn wrap(text: &str, indent: &str) -> String {
    wrap_at(text, indent, WIDTH.load(Ordering::Relaxed))
}

/// Wrap at `width` columns (under 20: not at all). Words are never broken, not even at a
/// hyphen: a rule id like `criticism.you-absolute` stays whole, overflowing if it must.
fn wrap_at(text: &str, indent: &str, width: usize) -> String {
    if width < 20 {
        return text.to_string();
    }
    let opts = textwrap::Options::new(width.min(100))
        .subsequent_indent(indent)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::fill(text, opts)
}

/// The note shown when a line speaks of danger or self-harm: once for each kind, worded
/// for the kind (`rule` is the safety rule that matched).
pub fn safety_note(rule: &str) -> String {
    let (what, who) = match rule {
        "safety.violence" => (
            "someone may be hurting you, or that you may not be safe",
            "A domestic-violence support line in your country",
        ),
        "safety.self-harm" => (
            "it may be about hurting yourself",
            "A crisis line or a counsellor in your country",
        ),
        _ => (
            "it may be about your safety",
            "A counsellor, or a crisis or domestic-violence support line in your country,",
        ),
    };
    format!(
        "Stepping out of the rehearsal for a moment. What you just wrote sounds like {what}. \
         This is a practice tool, and it cannot help with that. If you are in danger right \
         now, please contact your local emergency services. {who} can listen and help you \
         think through what to do next. You matter more than this rehearsal.\n\
         You can go on with the rehearsal by typing your next line, or end it with /quit."
    )
}

/// `safety_note` wrapped for the terminal.
pub fn safety_note_wrapped(rule: &str) -> String {
    wrap(&safety_note(rule), "")
}

/// Said instead of a scorecard when the talk ended before the user said anything.
pub const NOTHING_TO_SCORE: &str = "The talk itself never started, so there is nothing to score. Start again whenever you \
     are ready.";

/// `SAFETY_BEFORE_SCORE` wrapped for the terminal.
pub fn safety_before_score() -> String {
    wrap(SAFETY_BEFORE_SCORE, "")
}

/// Said before the scorecard of a session in which the safety note was shown: a score
/// should not be the last word after that.
pub const SAFETY_BEFORE_SCORE: &str = "\
Before the score: earlier you wrote something about your safety. That matters far more \
than any number below. If you are in danger, please contact your local emergency \
services, or a crisis or domestic-violence support line in your country.";

fn move_colored(m: Move, text: &str) -> ColoredString {
    match m.kind() {
        Kind::Mistake => text.red().bold(),
        Kind::Practice => text.green().bold(),
    }
}

/// The brief shown before the first line; `interactive` adds how to use the prompt.
pub fn brief(sc: &Scenario, seed: u64, interactive: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} {}",
        "Rehearsing:".bold(),
        format!("{} ({})", one_line(&sc.title), one_line(&sc.id)).bold()
    );
    let _ = writeln!(
        s,
        "{}\n",
        format!("seed {seed}: play again with --seed {seed} to hear the same replies").dimmed()
    );
    let _ = writeln!(s, "{}\n", wrap(&visible(sc.brief.trim()), ""));
    let _ = writeln!(
        s,
        "{}\n",
        wrap(
            &format!(
                "{} {}",
                "What you hope for:".bold(),
                visible(sc.goal.trim())
            ),
            ""
        )
    );
    // How to use the prompt, only where there is one (piped input gets no prompt noise).
    if interactive {
        let _ = writeln!(
            s,
            "{}\n",
            wrap(
                "Type what you would say, one line at a time. /help lists commands; /quit ends \
                 the talk.",
                ""
            )
            .dimmed()
        );
    }
    let _ = writeln!(s, "{}", partner_says(sc, &sc.opening));
    s
}

pub fn partner_says(sc: &Scenario, text: &str) -> String {
    wrap(
        &format!(
            "{} {}",
            format!("{}:", one_line(&sc.partner)).cyan().bold(),
            visible(text.trim())
        ),
        "  ",
    )
}

/// `[██████░░░░] 42 guarded (+6)`
pub fn meter(sc: &Scenario, openness: i32, delta: i32) -> String {
    let filled = (openness.clamp(0, 100) as usize + 5) / 10;
    let bar = format!("{}{}", "█".repeat(filled), "░".repeat(10 - filled));
    let band = sc.band_name(openness);
    let frac = f64::from(openness) / 100.0;
    let bar = if frac < 0.3 {
        bar.red()
    } else if frac < 0.6 {
        bar.yellow()
    } else {
        bar.green()
    };
    let delta = match delta {
        d if d > 0 => format!("(+{d})").green(),
        d if d < 0 => format!("({d})").red(),
        _ => "(±0)".dimmed(),
    };
    format!(
        "  {} [{bar}] {openness} {} {delta}",
        "openness".dimmed(),
        readable_id(band)
    )
}

/// One exchange, as printed after the user's line.
pub fn turn(sc: &Scenario, t: &Turn, echo_user: bool) -> String {
    let mut s = String::new();
    if echo_user {
        let _ = writeln!(s, "{} {}", "you:".bold(), one_line(&t.user));
    }
    let _ = writeln!(s, "{}", partner_says(sc, &t.partner));
    let _ = writeln!(s, "{}", meter(sc, t.openness, t.delta));
    s
}

/// `--coach`: a short inline note after a mistake, with a better phrasing.
pub fn coach(a: &crate::coach::Advice) -> String {
    let note = format!(
        "  {} {} {}",
        "coach:".yellow().bold(),
        visible(&a.advice),
        format!("(step {}: {})", a.step, a.step_title).dimmed()
    );
    let try_ = format!("    {} \"{}\"", "try:".yellow(), visible(&a.rewrite));
    format!("{}\n{}\n", wrap(&note, "    "), wrap(&try_, "      "))
}

/// `/hint`.
pub fn hint(text: &str) -> String {
    wrap(
        &format!("{} {}", "hint:".yellow().bold(), visible(text)),
        "  ",
    )
}

/// After `/undo`.
pub fn undone(sc: &Scenario, t: &Turn, openness: i32) -> String {
    let text = format!(
        "{} {} {} is back to how things stood before it: {}.",
        format!("Took back turn {}:", t.n).dimmed(),
        crate::term::quoted_sentence_end(&one_line(&t.user)),
        one_line(&sc.partner),
        meter(sc, openness, openness - t.openness).trim_start()
    );
    format!("{}\n", wrap(&text, "  "))
}

/// How the session ended, with the ending's closing text.
pub fn ending(sc: &Scenario, end: &End) -> String {
    let mut s = String::new();
    if let Some(text) = &end.text {
        let _ = writeln!(s, "\n{}", partner_says(sc, text));
    }
    let why = match end.reason.as_str() {
        "ending" => format!(
            "The talk ended: {} ({}).",
            readable_id(end.ending.as_deref().unwrap_or("")),
            end.outcome_kind.as_deref().unwrap_or("")
        ),
        "turn_limit" => format!("The talk ran out of time after {} turns.", sc.max_turns),
        "end_of_input" => "You ended the rehearsal (end of input).".into(),
        "interrupted" => "The rehearsal was interrupted.".into(),
        _ => "You ended the rehearsal.".into(),
    };
    let _ = writeln!(s, "{}", why.dimmed());
    s
}

/// The original text with each matched span highlighted in its move's colour.
pub fn highlight(text: &str, moves: &[MoveMatch]) -> String {
    let mut spans: Vec<&MoveMatch> = moves.iter().filter(|m| m.end > m.start).collect();
    spans.sort_by_key(|m| (m.start, m.end));
    let mut out = String::new();
    let mut at = 0;
    for m in spans {
        if m.start < at || m.end > text.len() {
            continue;
        }
        out.push_str(&one_line(&text[at..m.start]));
        out.push_str(
            &move_colored(m.mv, &one_line(&text[m.start..m.end]))
                .underline()
                .to_string(),
        );
        at = m.end;
    }
    out.push_str(&one_line(&text[at..]));
    out
}

/// `classify` text output for one line.
pub fn classification(text: &str, c: &Classification, rules: &[Rule]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", highlight(text, &c.moves));
    if c.moves.is_empty() {
        let _ = writeln!(s, "  {}", "no move found".dimmed());
    }
    for m in &c.moves {
        let guide = rules
            .iter()
            .find(|r| r.id == m.rule)
            .map_or("", |r| r.guide.as_str());
        let _ = writeln!(
            s,
            "  {} ({}) \"{}\" {} {}",
            move_colored(m.mv, m.mv.name()),
            m.kind.name(),
            one_line(&text[m.start..m.end]),
            format!("[{}]", m.rule).dimmed(),
            visible(guide).dimmed()
        );
    }
    if let Some(f) = &c.safety {
        let _ = writeln!(
            s,
            "  {} \"{}\" {}",
            "safety".magenta().bold(),
            one_line(&text[f.start..f.end]),
            format!("[{}]", f.rule).dimmed()
        );
    }
    s
}

/// `/why`: which moves the last line carried, by which rule, and what they did.
pub fn why(sc: &Scenario, t: &Turn, rules: &[Rule]) -> String {
    let mut s = String::new();
    let mut line = |text: String, indent: &str| {
        let _ = writeln!(s, "{}", wrap(&text, indent));
    };
    line(
        format!("Turn {}: {}", t.n, highlight(&t.user, &t.moves)),
        "  ",
    );
    if t.moves.is_empty() {
        line(
            format!(
                "  No move found in this line, so {} took it as small talk.",
                one_line(&sc.partner)
            ),
            "    ",
        );
    }
    if t.after_space_request {
        line(
            format!(
                "  (Said right after {} asked for space: pushing here counts as pursuit.)",
                one_line(&sc.partner)
            ),
            "    ",
        );
    }
    for m in &t.moves {
        let guide = rules
            .iter()
            .find(|r| r.id == m.rule)
            .map_or("", |r| r.guide.as_str());
        let delta = t
            .effects
            .iter()
            .find(|e| e.mv == Some(m.mv))
            .map_or(0, |e| e.delta);
        line(
            format!(
                "  {} ({}): \"{}\" by rule {}",
                move_colored(m.mv, m.mv.label()),
                m.kind.name(),
                one_line(&t.user[m.start..m.end]),
                m.rule
            ),
            "      ",
        );
        line(format!("    guide: {}", visible(guide)), "      ");
        line(
            format!(
                "    effect on {}: {delta:+} openness",
                one_line(&sc.partner)
            ),
            "      ",
        );
    }
    line(
        format!(
            "  Openness {} → {} ({}).",
            t.openness_before,
            t.openness,
            readable_id(&t.band)
        ),
        "    ",
    );
    if let Some(r) = &t.reveal {
        line(
            format!(
                "  This line drew out something {} had held back ({}).",
                one_line(&sc.partner),
                readable_id(r)
            ),
            "    ",
        );
    }
    s
}

/// Openness over time as a one-line sparkline.
pub fn sparkline(values: &[i32]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    values
        .iter()
        .map(|&v| BARS[((v.clamp(0, 100) as usize) * 7 + 50) / 100])
        .collect()
}

fn turns_list(turns: &[u32]) -> String {
    turns
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The full scorecard.
pub fn scorecard(sc: &Scenario, card: &Scorecard) -> String {
    scorecard_for(&sc.partner, card)
}

/// The full scorecard, knowing only the partner's name.
pub fn scorecard_for(partner: &str, card: &Scorecard) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n{}",
        format!("Scorecard: {}/100", card.score).bold().underline()
    );
    let kind = card
        .outcome_kind
        .as_deref()
        .map(|k| format!(" ({k})"))
        .unwrap_or_else(|| {
            if card.reason == "in_progress" {
                " (so far: the band the talk is in)".to_string()
            } else {
                " (no ending reached: the band the talk stopped in)".to_string()
            }
        });
    let outcome = format!(
        "Outcome: {}{kind} after {} turn{}. {}'s openness: {}/100 ({}), from {} at the start.",
        readable_id(&card.outcome),
        card.turns,
        if card.turns == 1 { "" } else { "s" },
        one_line(partner),
        card.final_openness,
        readable_id(&card.band),
        card.openness_curve
            .first()
            .copied()
            .unwrap_or(card.final_openness)
    );
    let _ = writeln!(s, "{}", wrap(&outcome, "  "));
    let _ = writeln!(s, "Openness over time: {}", sparkline(&card.openness_curve));
    let _ = writeln!(s, "\n{}", "The guide's seven steps".bold());
    for st in &card.steps {
        match st.achieved_turn {
            Some(t) => {
                let by = st.by.map(|m| m.label()).unwrap_or("");
                let _ = writeln!(
                    s,
                    "  {} {}. {} — turn {t} ({by})",
                    "✓".green(),
                    st.step,
                    visible(&st.title)
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "  {} {}. {}",
                    "·".dimmed(),
                    st.step,
                    visible(&st.title).dimmed()
                );
            }
        }
    }
    if card.order.1 > 0 {
        let _ = writeln!(
            s,
            "  Order: {} of {} pairs of steps came in the guide's order.",
            card.order.0, card.order.1
        );
    }
    let _ = writeln!(s, "\n{}", "Mistakes".bold());
    let mut any = false;
    for &m in Move::ALL.iter().filter(|m| m.kind() == Kind::Mistake) {
        if let Some(turns) = card.mistakes.get(m.name()).filter(|t| !t.is_empty()) {
            any = true;
            let _ = writeln!(
                s,
                "  {}: turn{} {} — {}",
                move_colored(m, m.label()),
                if turns.len() == 1 { "" } else { "s" },
                turns_list(turns),
                m.guide_ref().dimmed()
            );
        }
    }
    if !any {
        let _ = writeln!(s, "  none");
    }
    if !card.advice.is_empty() {
        let _ = writeln!(s, "\n{}", "Better phrasings".bold());
        // Two mistakes in one line can share a rewrite: it is offered once.
        let mut offered = std::collections::HashSet::new();
        for a in card
            .advice
            .iter()
            .filter(|a| offered.insert((a.turn, &a.rewrite)))
        {
            let _ = writeln!(
                s,
                "{}",
                wrap(
                    &format!(
                        "  turn {} ({}): try \"{}\" (step {}: {})",
                        a.turn,
                        a.mv.label(),
                        visible(&a.rewrite),
                        a.step,
                        crate::moves::Step::ALL
                            .iter()
                            .find(|s| s.number() == a.step)
                            .map_or("", |s| s.title())
                    ),
                    "    "
                )
            );
        }
    }
    let l = &card.listening;
    if l.questions > 0 || l.reflections > 0 {
        let ratio = l
            .ratio
            .map_or_else(String::new, |r| format!(" ({r:.1}:1, {})", l.mark));
        let listening = format!(
            "{} {} reflection{} to {} question{}{ratio}. Fair is 1:1, good is 2:1: reflect more than you ask.",
            "Listening:".bold(),
            l.reflections,
            if l.reflections == 1 { "" } else { "s" },
            l.questions,
            if l.questions == 1 { "" } else { "s" },
        );
        let _ = writeln!(s, "\n{}", wrap(&listening, "  "));
    }
    if !card.prerequisites.is_empty() {
        let _ = writeln!(
            s,
            "\n{}",
            "Before the talk (the guide's prerequisites)".bold()
        );
        for p in &card.prerequisites {
            let mark = if p.met { "✓".green() } else { "✗".red() };
            let _ = writeln!(
                s,
                "{}",
                wrap(
                    &format!("  {mark} {}: {}", p.name, visible(&p.note)),
                    "    "
                )
            );
        }
    }
    if card.reveals_total > 0 {
        let _ = writeln!(
            s,
            "\nYou drew out {} of {} things {} was holding back.",
            card.revealed.len(),
            card.reveals_total,
            one_line(partner)
        );
    }
    let _ = writeln!(s, "\n{}", "How the score adds up".bold());
    for p in &card.parts {
        let points = format!("{:+4}", p.points);
        let points = if p.points < 0 {
            points.red()
        } else {
            points.normal()
        };
        let line = format!("  {points}  {}: {}", visible(&p.label), visible(&p.detail));
        let _ = writeln!(s, "{}", wrap(&line, "          "));
    }
    s
}

/// `replay` text output.
pub fn replay(
    sc: &Scenario,
    t: &crate::transcript::Transcript,
    r: &crate::replay::ReplayReport,
    changed: bool,
    chosen: bool,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Replayed {} line{} against {} with seed {}.",
        r.lines,
        if r.lines == 1 { "" } else { "s" },
        one_line(&sc.id),
        t.header.seed
    );
    if changed {
        let why = if chosen {
            format!(
                "The talk was played against another scenario or another version of it ({}); its lines are replayed against the one you named.",
                one_line(&t.header.scenario)
            )
        } else {
            "The scenario has changed since this talk was played (it was edited or replaced)."
                .to_string()
        };
        let _ = writeln!(s, "{}", wrap(&why, "").dimmed());
    }
    match &r.first_difference {
        None => {
            let _ = writeln!(
                s,
                "No difference: every reply, every openness value and the outcome are the same."
            );
        }
        Some(d) => {
            let _ = writeln!(s, "{}", format!("First difference at turn {}:", d.n).bold());
            if let Some(turn) = r.turns.iter().find(|x| x.n == d.n) {
                let _ = writeln!(s, "  you: {}", one_line(&turn.user));
            }
            let _ = writeln!(s, "  {} before: {}", d.what, one_line(&d.before));
            let _ = writeln!(s, "  {} now:    {}", d.what, one_line(&d.after));
        }
    }
    let before = r.outcome_before.as_deref().unwrap_or("(not recorded)");
    let _ = writeln!(
        s,
        "Outcome: {} → {}",
        visible(before),
        visible(&r.outcome_after)
    );
    match r.score_before {
        Some(b) => {
            let delta = i64::from(r.score_after) - i64::from(b);
            let _ = writeln!(s, "Score: {b} → {} ({delta:+})", r.score_after);
        }
        None => {
            let _ = writeln!(s, "Score now: {}", r.score_after);
        }
    }
    s
}

/// `history` text output: one line per session, then a trend per scenario.
pub fn history(entries: &[crate::history::Entry]) -> String {
    let mut s = String::new();
    if entries.is_empty() {
        let _ = writeln!(s, "No saved sessions yet. Start one with: rehearse play");
        return s;
    }
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let names: Vec<String> = entries.iter().map(|e| one_line(&e.talk())).collect();
    let trends = crate::history::trends(entries);
    // Columns as wide as their widest entry, so every row lines up.
    let name_w = names
        .iter()
        .map(String::as_str)
        .chain(trends.iter().map(|(id, _)| id.as_str()))
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(18);
    let outcomes: Vec<String> = entries
        .iter()
        .map(|e| readable_id(e.outcome.as_deref().unwrap_or("(interrupted)")))
        .collect();
    let outcome_w = outcomes
        .iter()
        .map(|o| o.chars().count())
        .max()
        .unwrap_or(0);
    let turns: Vec<String> = entries.iter().map(|e| plural(e.turns, "turn")).collect();
    let turns_w = turns.iter().map(|t| t.chars().count()).max().unwrap_or(0);
    for (i, e) in entries.iter().enumerate() {
        let score = e
            .score
            .map_or_else(|| "  –".to_string(), |x| format!("{x:>3}"));
        let _ = writeln!(
            s,
            "{}  {:<name_w$} {score}/100  {:<outcome_w$}  {:<turns_w$}  {}",
            one_line(e.date.get(..16).unwrap_or(&e.date)).replace('T', " "),
            names[i],
            outcomes[i],
            turns[i],
            one_line(&e.file.display().to_string()).dimmed()
        );
    }
    if !trends.is_empty() {
        let _ = writeln!(s, "\n{}", "Trend per scenario".bold());
    }
    let spark_w = trends.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    for (id, scores) in &trends {
        let values: Vec<i32> = scores.iter().map(|&x| x as i32).collect();
        let first = scores[0];
        let last = *scores.last().unwrap_or(&first);
        let change = i64::from(last) - i64::from(first);
        let arrow = match change {
            c if c > 0 => format!("up {c}").green(),
            c if c < 0 => format!("down {}", -c).red(),
            _ => "steady".normal(),
        };
        let change = if scores.len() == 1 {
            format!("{first}")
        } else {
            format!("{first} → {last} ({arrow})")
        };
        let _ = writeln!(
            s,
            "  {:<name_w$} {:<spark_w$}  {}, {change}",
            one_line(id),
            sparkline(&values),
            plural(scores.len(), "session"),
        );
    }
    s
}

/// `validate --explore` output: the summary, then every reply no session heard.
pub fn explore(
    path: &str,
    source: &str,
    sc: &Scenario,
    r: &crate::explore::ExploreReport,
) -> String {
    let mut s = explore_summary(sc, r);
    let _ = writeln!(
        s,
        "  replies heard: {} of {}",
        r.replies_total - r.replies_never.len(),
        r.replies_total
    );
    for &(ri, pi) in &r.replies_never {
        let text = &sc.reactions[ri].replies[pi].text;
        let at = source
            .find(text.as_str())
            .map(|o| source[..o].matches('\n').count() + 1)
            .unwrap_or(0);
        let shown: String = one_line(text).chars().take(60).collect();
        let _ = writeln!(s, "    {}:{at}: never heard: \"{shown}\"", one_line(path));
    }
    s
}

/// The endings each simulated user reached, the reveals drawn out, the endings never
/// reached.
pub fn explore_summary(sc: &Scenario, r: &crate::explore::ExploreReport) -> String {
    let mut s = String::new();
    let pct = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
    for (policy, p) in &r.policies {
        let endings: Vec<String> = p
            .endings
            .iter()
            .map(|(id, n)| {
                let name = match id.as_str() {
                    "turn_limit" => "turns ran out".to_string(),
                    other => one_line(other),
                };
                format!("{name} {:.0}%", pct(*n, p.sessions))
            })
            .collect();
        let _ = writeln!(
            s,
            "  {:<16} {} sessions, {:.1} turns on average: {}",
            policy.name(),
            p.sessions,
            p.mean_turns,
            endings.join(", ")
        );
    }
    let all: usize = r.policies.iter().map(|(_, p)| p.sessions).sum();
    for rv in &sc.reveals {
        let n = r.reveals.get(&rv.id).copied().unwrap_or(0);
        if n == 0 {
            let _ = writeln!(
                s,
                "  {}",
                format!(
                    "warning: reveal `{}` came out in none of the {all} sessions: check its conditions",
                    one_line(&rv.id)
                )
                .yellow()
            );
        } else {
            let _ = writeln!(
                s,
                "  reveal {:<24} came out in {:.0}% of sessions",
                one_line(&rv.id),
                pct(n, all)
            );
        }
    }
    for e in &r.endings_never {
        let _ = writeln!(
            s,
            "  {}",
            format!(
                "warning: ending `{}` was reached in none of the {all} sessions: check its conditions",
                one_line(e)
            )
            .yellow()
        );
    }
    s
}

/// `rules` text output.
pub fn rules(rules: &[Rule]) -> String {
    let mut s = String::new();
    for r in rules {
        let _ = writeln!(s, "{} → {}", r.id.bold(), r.label.name());
        let _ = writeln!(s, "  guide: {}", r.guide);
        for p in &r.patterns {
            let _ = writeln!(s, "  pattern:   {p}");
        }
        for p in &r.exceptions {
            let _ = writeln!(s, "  exception: {p}");
        }
        if !r.overrides.is_empty() {
            let names: Vec<&str> = r.overrides.iter().map(|m| m.name()).collect();
            let _ = writeln!(s, "  overrides: {}", names.join(", "));
        }
        for e in &r.examples {
            let _ = writeln!(s, "  example:   {e}");
        }
        for e in &r.counter_examples {
            let _ = writeln!(s, "  not:       {e}");
        }
        let _ = writeln!(s);
    }
    s
}

pub const HELP: &str = "\
Commands:
  /why     which moves your last line carried, found by which rule, and what they did
  /hint    what the guide would try next, given where the talk is
  /undo    take back your last line and try another (the transcript keeps both)
  /score   the scorecard so far
  /help    this list
  /quit    end the talk and see the scorecard (Ctrl-D does the same)
Anything else you type is said to the other person. Ctrl-C clears the line.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_shared_by_two_mistakes_is_offered_once() {
        colored::control::set_override(false);
        let sc = crate::builtin::get("work-deadline").unwrap();
        let mut card = crate::score::score(&sc, &[], None);
        for mv in [Move::Criticism, Move::Contempt] {
            card.advice.push(crate::score::TurnAdvice {
                turn: 3,
                mv,
                step: 1,
                advice: format!("about {mv}"),
                rewrite: "I miss you.".into(),
            });
        }
        let out = scorecard(&sc, &card);
        assert_eq!(out.matches("try \"I miss you.\"").count(), 1, "{out}");
    }

    #[test]
    fn history_columns_line_up() {
        colored::control::set_override(false);
        let entry =
            |scenario: &str, turns: usize, score: u32, check_in: bool| crate::history::Entry {
                date: "2026-12-03T06:52:33Z".into(),
                scenario: scenario.into(),
                title: String::new(),
                score: Some(score),
                outcome: Some(if turns > 1 { "reconnected" } else { "guarded" }.into()),
                turns,
                finished: true,
                check_in,
                file: std::path::PathBuf::from(format!("/t/{scenario}-{turns}.jsonl")),
            };
        let entries = [
            entry("in-law-stress", 1, 17, true),
            entry("work-deadline", 12, 80, false),
            entry("work-deadline", 2, 32, false),
        ];
        let out = history(&entries);
        let (rows, trend) = out.split_once("Trend per scenario").unwrap();
        let col = |line: &str, what: &str| line.find(what).map(|i| line[..i].chars().count());
        let paths: Vec<_> = rows.lines().filter_map(|l| col(l, "/t/")).collect();
        assert_eq!(paths.len(), 3, "{out}");
        assert!(paths.iter().all(|&p| p == paths[0]), "{out}");
        let counts: Vec<_> = trend.lines().filter_map(|l| col(l, " session")).collect();
        assert_eq!(counts.len(), 2, "{out}");
        assert_eq!(counts[0], counts[1], "{out}");
        // One session has no change to speak of.
        assert!(trend.contains("1 session, 17\n"), "{out}");
        assert!(trend.contains("2 sessions, 80 → 32 (down 48)"), "{out}");
    }

    #[test]
    fn wrapping_never_breaks_a_rule_id() {
        let text = "matched by rule criticism.you-absolute and by rule contempt.sarcasm here";
        for width in 20..60 {
            let out = wrap_at(text, "  ", width);
            for id in ["criticism.you-absolute", "contempt.sarcasm"] {
                assert!(out.contains(id), "width {width}: {out}");
            }
        }
    }

    #[test]
    fn sparkline_spans_the_range() {
        assert_eq!(sparkline(&[0, 50, 100]), "▁▅█");
    }

    #[test]
    fn highlight_keeps_text_and_neutralises_escapes() {
        colored::control::set_override(false);
        let m = MoveMatch {
            mv: Move::Criticism,
            kind: Kind::Mistake,
            rule: "r".into(),
            start: 0,
            end: 9,
        };
        let out = highlight("you never\u{1b}[2J listen", &[m]);
        assert_eq!(out, "you never\\u{1b}[2J listen");
    }
}
