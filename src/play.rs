//! Driving a session from a line source: the rustyline REPL on a terminal, or one user line
//! per input line when stdin is piped. Both feed the same [`Session`]; slash commands work
//! in both. Output goes to a writer; text or JSON events.

use crate::classify::Classifier;
use crate::coach::{Advice, HintState, Pending};
use crate::moves::Kind;
use crate::render;
use crate::scenario::Scenario;
use crate::score::{Scorecard, add_advice, score};
use crate::session::{End, Session, StepResult, Turn};
use crate::transcript::{EndRecord, Event, Header, Journal, lock};
use serde_json::json;
use std::io::{self, BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The longest line taken from the user, in bytes; longer input is cut at a char boundary.
pub const MAX_LINE: usize = 4096;

#[derive(Debug, Clone, Default)]
pub struct PlayOptions {
    pub seed: u64,
    pub json: bool,
    /// Echo the user's line before the reply (piped input, where it was not typed on screen).
    pub echo: bool,
    /// After a mistake, show a short note and a better phrasing.
    pub coach: bool,
}

/// Where user lines come from.
pub trait LineSource {
    /// The next line; `None` at end of input.
    fn next_line(&mut self, prompt: &str) -> io::Result<Option<String>>;

    /// `line` may be kept for recalling later (the line editor's history). Not called for
    /// a line that spoke of danger or self-harm: that is kept nowhere.
    fn keep(&mut self, _line: &str) {}
}

/// Piped stdin (or any reader): one user line per input line. Bytes that are not UTF-8
/// are replaced, never fatal.
pub struct Lines<R>(pub R);

impl<R: BufRead> LineSource for Lines<R> {
    /// Memory stays bounded whatever comes in: past `MAX_LINE` (plus a few bytes, so a
    /// cut can tell it happened) the rest of the line is read and dropped.
    fn next_line(&mut self, _prompt: &str) -> io::Result<Option<String>> {
        let keep = MAX_LINE + 4;
        let mut buf = Vec::new();
        let mut seen_any = false;
        loop {
            let chunk = match self.0.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                if !seen_any {
                    return Ok(None);
                }
                break;
            }
            seen_any = true;
            let (part, done) = match newline_at(chunk) {
                Some(i) => (&chunk[..i], Some(i + 1)),
                None => (chunk, None),
            };
            let room = keep.saturating_sub(buf.len());
            buf.extend_from_slice(&part[..part.len().min(room)]);
            let used = done.unwrap_or(chunk.len());
            self.0.consume(used);
            if done.is_some() {
                break;
            }
        }
        while buf.last().is_some_and(|&b| b == b'\r') {
            buf.pop();
        }
        // Valid UTF-8 (nearly every line) becomes the String without a copy.
        Ok(Some(String::from_utf8(buf).unwrap_or_else(|e| {
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        })))
    }
}

fn newline_at(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// A rustyline editor on a real terminal.
pub struct Repl {
    editor: rustyline::DefaultEditor,
    history: Option<std::path::PathBuf>,
    /// Whether the line held text when Ctrl-C was last pressed (set by [`CtrlC`]).
    cleared_text: Arc<AtomicBool>,
}

/// Notes, on each Ctrl-C, whether it cleared typed text, then lets the editor go on as
/// usual (the line is dropped and `readline` returns `Interrupted`).
struct CtrlC(Arc<AtomicBool>);

impl rustyline::ConditionalEventHandler for CtrlC {
    fn handle(
        &self,
        _: &rustyline::Event,
        _: rustyline::RepeatCount,
        _: bool,
        ctx: &rustyline::EventContext,
    ) -> Option<rustyline::Cmd> {
        self.0.store(!ctx.line().is_empty(), Ordering::SeqCst);
        None
    }
}

/// What Ctrl-C did: it clears a typed line; on an empty line, pressed again at once, it
/// ends the talk.
const CTRL_C_NOTE: &str = "(line cleared: press Ctrl-C again, or Ctrl-D, to end the talk)";

impl Repl {
    pub fn new(history: Option<std::path::PathBuf>) -> rustyline::Result<Repl> {
        let config = rustyline::Config::builder()
            // Lines are added by `keep`, once the session knows they may be.
            .auto_add_history(false)
            .max_history_size(500)?
            .build();
        let mut editor = rustyline::DefaultEditor::with_config(config)?;
        if let Some(h) = &history {
            let _ = editor.load_history(h);
        }
        let cleared_text = Arc::new(AtomicBool::new(false));
        editor.bind_sequence(
            rustyline::KeyEvent::ctrl('C'),
            rustyline::EventHandler::Conditional(Box::new(CtrlC(cleared_text.clone()))),
        );
        Ok(Repl {
            editor,
            history,
            cleared_text,
        })
    }
}

impl LineSource for Repl {
    fn keep(&mut self, line: &str) {
        if self.editor.add_history_entry(line).unwrap_or(false)
            && let Some(h) = &self.history
        {
            let _ = self.editor.append_history(h);
        }
    }

    fn next_line(&mut self, prompt: &str) -> io::Result<Option<String>> {
        use rustyline::error::ReadlineError;
        // After a first Ctrl-C the note leads the next prompt: the editor draws it once the
        // terminal is raw again, so a second Ctrl-C pressed on seeing it is read as a key
        // (the talk ends with its scorecard), never as a signal on the cooked terminal.
        let mut after_ctrl_c = String::new();
        loop {
            let shown = if after_ctrl_c.is_empty() {
                prompt
            } else {
                &after_ctrl_c
            };
            match self.editor.readline(shown) {
                Ok(line) => return Ok(Some(line)),
                Err(ReadlineError::Interrupted) => {
                    // Ctrl-C clears the line. Pressed on an empty line right after the
                    // note, it ends the talk properly; a line typed since is only cleared.
                    let cleared_text = self.cleared_text.swap(false, Ordering::SeqCst);
                    if !after_ctrl_c.is_empty() && !cleared_text {
                        return Ok(None);
                    }
                    after_ctrl_c = format!("{CTRL_C_NOTE}\n{prompt}");
                }
                Err(ReadlineError::Eof) => return Ok(None),
                Err(ReadlineError::Io(e)) => return Err(e),
                Err(e) => return Err(io::Error::other(e.to_string())),
            }
        }
    }
}

/// The line, cut to `MAX_LINE` bytes at a char boundary, and whether it was cut.
fn cut(mut line: String) -> (String, bool) {
    if line.len() <= MAX_LINE {
        return (line, false);
    }
    let mut at = MAX_LINE;
    while !line.is_char_boundary(at) {
        at -= 1;
    }
    line.truncate(at);
    (line, true)
}

/// Everything `run` needs besides the scenario, classifier, input and output.
pub struct Play<'a> {
    pub opts: &'a PlayOptions,
    /// Where the transcript goes (a file, or memory only), shared with signal handlers.
    pub transcript: &'a Mutex<Journal>,
    /// The transcript header; `None` writes no header (used by tests of the loop).
    pub header: Option<Header>,
    /// Produces the end time for the end event.
    pub clock: &'a dyn Fn() -> String,
    /// Warnings (a transcript that cannot be written) go here, once.
    pub warn: &'a mut dyn Write,
    /// Better phrasings (`--coach`) and `/hint`.
    pub coach: &'a Pending,
}

/// How a played session came out.
pub struct Outcome {
    pub turns: Vec<Turn>,
    pub end: End,
    pub scorecard: Scorecard,
}

/// Play a whole session: read lines until the talk ends, then print the scorecard.
pub fn run(
    scenario: &Scenario,
    classifier: &Classifier,
    play: Play<'_>,
    input: &mut dyn LineSource,
    out: &mut dyn Write,
) -> io::Result<Outcome> {
    let Play {
        opts,
        transcript,
        header,
        clock,
        warn,
        coach,
    } = play;
    let mut hints_given = 0;
    let mut session = Session::new(scenario, classifier, opts.seed);
    let record = |event: &Event, warn: &mut dyn Write| -> io::Result<()> {
        let failed = lock(transcript).write(event);
        if let Some(msg) = failed {
            writeln!(
                warn,
                "rehearse: cannot write the transcript ({}); the talk goes on, kept in memory.",
                crate::term::one_line(&msg)
            )?;
        }
        Ok(())
    };
    if let Some(h) = header {
        record(&Event::Header(h), warn)?;
    }
    lock(transcript).if_interrupted = Some(interrupted_end(scenario, &session, clock));
    if !opts.json {
        write!(out, "{}", render::brief(scenario, opts.seed, !opts.echo))?;
        out.flush()?;
    }
    let prompt = "you> ";
    while !session.is_over() {
        let Some(line) = input.next_line(prompt)? else {
            session.finish("end_of_input");
            break;
        };
        let (line, was_cut) = cut(line);
        if was_cut {
            writeln!(
                warn,
                "rehearse: that line was longer than {MAX_LINE} bytes; only the first {MAX_LINE} were kept."
            )?;
        }
        let trimmed = line.trim();
        if trimmed.chars().all(|c| c.is_control() || c.is_whitespace()) {
            // Nothing that could be said: not a turn.
            continue;
        }
        if let Some(cmd) = trimmed.strip_prefix('/') {
            input.keep(&line);
            // `/quit please` is `/quit`: the command is the first word.
            let cmd = cmd
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            match cmd.as_str() {
                "quit" | "q" | "exit" => {
                    session.finish("quit");
                    break;
                }
                "help" | "?" if !opts.json => writeln!(out, "{}", render::HELP)?,
                "score" => {
                    let card = score(scenario, session.turns(), None);
                    if opts.json {
                        writeln!(out, "{}", json!({"type": "score", "scorecard": card}))?;
                    } else {
                        write!(out, "{}", render::scorecard(scenario, &card))?;
                    }
                }
                "why" => match session.turns().last() {
                    Some(t) if opts.json => writeln!(out, "{}", json!({"type": "why", "turn": t}))?,
                    Some(t) => write!(
                        out,
                        "{}",
                        render::why(scenario, t, &classifier.rules().rules)
                    )?,
                    None if !opts.json => writeln!(out, "Nothing said yet: type a line first.")?,
                    None => {}
                },
                "hint" => {
                    let text = coach
                        .get()
                        .hint(&hint_state(&session, hints_given), &scenario.partner);
                    hints_given += 1;
                    if opts.json {
                        writeln!(out, "{}", json!({"type": "hint", "text": text}))?;
                    } else {
                        writeln!(out, "{}", render::hint(&text))?;
                    }
                }
                "undo" => match session.undo() {
                    Some(t) => {
                        record(&Event::Undo { n: t.n }, warn)?;
                        lock(transcript).if_interrupted =
                            Some(interrupted_end(scenario, &session, clock));
                        if opts.json {
                            writeln!(out, "{}", json!({"type": "undo", "n": t.n}))?;
                        } else {
                            write!(out, "{}", render::undone(scenario, &t, session.openness()))?;
                        }
                    }
                    None if !opts.json => writeln!(out, "Nothing to take back yet.")?,
                    None => {}
                },
                _ if !opts.json => writeln!(
                    out,
                    "Unknown command /{}: try /help. (To say a line that starts with '/', add a space before it.)",
                    crate::term::one_line(&cmd)
                )?,
                _ => {}
            }
            out.flush()?;
            continue;
        }
        let result = session.step(&line);
        if !session.last_spoke_of_danger() {
            input.keep(&line);
        }
        match result {
            StepResult::Turn(t) => {
                record(&Event::Turn((*t).clone()), warn)?;
                lock(transcript).if_interrupted = Some(interrupted_end(scenario, &session, clock));
                let advice: Vec<Advice> = if opts.coach {
                    t.moves
                        .iter()
                        .filter(|m| m.kind == Kind::Mistake)
                        .filter_map(|m| coach.get().advise_turn(m.mv, &t, &scenario.partner))
                        .collect()
                } else {
                    Vec::new()
                };
                emit_turn(scenario, &t, &advice, opts, out)?;
            }
            StepResult::Safety(flag) => {
                record(
                    &Event::Safety {
                        rule: flag.rule.clone(),
                    },
                    warn,
                )?;
                if opts.json {
                    writeln!(
                        out,
                        "{}",
                        json!({"type": "safety", "rule": flag.rule, "note": render::safety_note(&flag.rule)})
                    )?;
                } else {
                    writeln!(out, "\n{}\n", render::safety_note_wrapped(&flag.rule))?;
                }
            }
            StepResult::Empty | StepResult::Ended => {}
        }
        out.flush()?;
    }
    let end = session.end().cloned().unwrap_or_else(|| End {
        reason: "end_of_input".into(),
        ending: None,
        outcome_kind: None,
        text: None,
    });
    let mut card = score(scenario, session.turns(), Some(&end));
    add_advice(&mut card, session.turns(), coach.get(), &scenario.partner);
    let card_json = serde_json::to_value(&card).expect("scorecards serialise");
    record(
        &Event::End(EndRecord {
            reason: end.reason.clone(),
            ending: end.ending.clone(),
            text: end.text.clone(),
            ended: clock(),
            scorecard: card_json.clone(),
        }),
        warn,
    )?;
    if opts.json {
        writeln!(
            out,
            "{}",
            json!({
                "type": "end",
                "reason": end.reason,
                "ending": end.ending,
                "text": end.text,
                "scenario": scenario.id,
                "seed": opts.seed,
                "scorecard": card_json,
            })
        )?;
    } else {
        write!(out, "{}", render::ending(scenario, &end))?;
        if session.safety_noted() && !session.turns().is_empty() {
            writeln!(out, "\n{}", render::safety_before_score())?;
        }
        if session.turns().is_empty() {
            // A score of a talk that never started would only read as a judgement.
            writeln!(out, "\n{}", render::NOTHING_TO_SCORE)?;
        } else {
            write!(out, "{}", render::scorecard(scenario, &card))?;
        }
    }
    out.flush()?;
    Ok(Outcome {
        turns: session.turns().to_vec(),
        end,
        scorecard: card,
    })
}
/// The end event to write if the session is killed by a signal now.
fn interrupted_end(sc: &Scenario, session: &Session, clock: &dyn Fn() -> String) -> EndRecord {
    let end = End {
        reason: "interrupted".into(),
        ending: None,
        outcome_kind: None,
        text: None,
    };
    let card = score(sc, session.turns(), Some(&end));
    EndRecord {
        reason: end.reason,
        ending: None,
        text: None,
        ended: clock(),
        scorecard: serde_json::to_value(&card).expect("scorecards serialise"),
    }
}

/// What `/hint` looks at: the steps still missing and the partner's state.
fn hint_state(session: &Session, asked: usize) -> HintState {
    let turns = session.turns();
    let mut reached: Vec<u8> = turns
        .iter()
        .flat_map(|t| t.moves.iter().filter_map(|m| m.mv.step()))
        .map(|s| s.number())
        .collect();
    reached.sort_unstable();
    reached.dedup();
    HintState {
        turns: turns.len(),
        last_had_mistake: turns
            .last()
            .is_some_and(|t| t.moves.iter().any(|m| m.kind == Kind::Mistake)),
        after_space_request: session.context().after_space_request,
        low_openness: session.scenario().band_index(session.openness()) <= 1,
        bad_moment: session.scenario().moment.is_some()
            && turns.len() < crate::score::MOMENT_TURNS
            && !crate::score::offered_a_better_time(turns),
        reached,
        asked,
    }
}

fn emit_turn(
    sc: &Scenario,
    t: &Turn,
    advice: &[Advice],
    opts: &PlayOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    if opts.json {
        let mut obj = json!({
                "type": "turn",
                "n": t.n,
                "user": t.user,
                "moves": t.moves,
                "partner": t.partner,
                "openness": t.openness,
                "band": t.band,
                "delta": t.delta,
                "reveal": t.reveal,
                "asks_space": t.asks_space,
        });
        if opts.coach {
            obj["coach"] = json!(advice);
        }
        writeln!(out, "{obj}")
    } else {
        write!(out, "{}", render::turn(sc, t, opts.echo))?;
        for a in advice {
            write!(out, "{}", render::coach(a))?;
        }
        Ok(())
    }
}
