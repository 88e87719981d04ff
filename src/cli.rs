//! The command line: clap definitions (the only module that knows clap), and dispatch to
//! the library. Every flag's help text is its doc comment here.

use crate::classify::{Classifier, Context};
use crate::play::{self, LineSource, Lines, PlayOptions, Repl};
use crate::render;
use crate::rules::RuleSet;
use crate::scenario::Scenario;
use crate::{builtin, checkin, paths, term, transcript};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::json;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

// The command line. The summary is given as `about`, not a doc comment: clap drops a doc
// comment's final period, which reads as a cut-off sentence at the top of --help.
#[derive(Debug, Parser)]
#[command(
    name = "rehearse",
    version,
    propagate_version = true,
    about = "Rehearse a hard conversation with someone who is pulling away, privately, in \
             your terminal. Type what you would say; a scripted partner withdraws or opens \
             up; at the end a scorecard shows what the guide would call helpful, and what hurt."
)]
pub struct Cli {
    /// When to use colour: auto (a terminal, and NO_COLOR unset), always or never.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, global = true)]
    pub color: ColorWhen,

    /// With no command, `rehearse` plays the default scenario and takes play's options.
    #[command(flatten)]
    pub play: PlayFlags,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Rehearse a talk (the default: `rehearse` alone plays `work-deadline`).
    Play(PlayArgs),
    /// List the built-in scenarios.
    List {
        /// A JSON array instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show the moves the classifier finds in each TEXT, or in each line of stdin.
    Classify {
        /// One JSON object per line instead of text.
        #[arg(long)]
        json: bool,
        /// Classify piped stdin on N threads; the output keeps the input order. (Lines
        /// typed at a terminal are answered one by one.)
        #[arg(long, value_name = "N", default_value_t = 1,
              value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=256))]
        jobs: usize,
        /// Lines to classify; with none, stdin is read line by line.
        text: Vec<String>,
    },
    /// Check scenario files and report every problem as PATH:LINE:COL: message.
    Validate {
        /// Scenario files (.ron).
        #[arg(required = true)]
        paths: Vec<String>,
        /// Also play many seeded sessions with forced moves and report the endings and
        /// reveals reached and the replies no session heard.
        #[arg(long)]
        explore: bool,
        /// Sessions per simulated user (guide-following, random, mistake-heavy).
        #[arg(long, default_value_t = 300, requires = "explore")]
        sessions: usize,
    },
    /// List every classifier rule: its move, patterns, exceptions, examples and guide passage.
    Rules {
        /// A JSON array instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Look back at a saved transcript: every turn, the openness chart, the scorecard.
    Review {
        /// A transcript file (.jsonl), as printed at the end of `play` or by `history`.
        transcript: std::path::PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReviewFormat::Text)]
        format: ReviewFormat,
        /// Write the review to FILE instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<std::path::PathBuf>,
        /// For each mistake, show the better phrasing and what the partner would have said.
        #[arg(long)]
        what_if: bool,
    },
    /// Re-run a transcript's lines with its seed, and show where the outcome differs.
    Replay {
        /// A transcript file (.jsonl).
        transcript: std::path::PathBuf,
        /// Play the lines against this scenario (an id or a .ron path) instead of the original.
        #[arg(long, value_name = "SCENARIO")]
        scenario: Option<String>,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Saved sessions with their date, scenario, score and outcome, and a trend per scenario.
    History {
        /// A JSON array, one object per saved session.
        #[arg(long)]
        json: bool,
    },
    /// Delete saved sessions: one transcript, or everything rehearse has kept.
    #[command(group(clap::ArgGroup::new("what").required(true).args(["all", "transcript"])))]
    Forget {
        /// Delete every saved transcript, the line-editing history and saved plans.
        #[arg(long)]
        all: bool,
        /// One transcript file to delete.
        transcript: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReviewFormat {
    Text,
    Markdown,
    Html,
}

#[derive(Debug, Default, clap::Args)]
pub struct PlayArgs {
    /// A built-in scenario id (see `rehearse list`) or a path to a .ron scenario file.
    pub scenario: Option<String>,
    #[command(flatten)]
    pub flags: PlayFlags,
}

/// Play's options, also accepted by `rehearse` alone (`rehearse --seed 42`).
#[derive(Debug, Default, clap::Args)]
pub struct PlayFlags {
    /// Seed for the partner's reply choice: the same seed and lines give the same talk.
    #[arg(long)]
    pub seed: Option<u64>,
    /// One JSON object per line (each turn, then the end with the scorecard) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write the transcript here instead of the data directory.
    #[arg(long, value_name = "PATH", conflicts_with = "no_save")]
    pub transcript: Option<std::path::PathBuf>,
    /// Keep nothing: no transcript, no line-editing history, no saved plan.
    #[arg(long)]
    pub no_save: bool,
    /// After a mistake, show a short note and a better phrasing, tied to the guide's steps.
    #[arg(long)]
    pub coach: bool,
    /// Start with the "two weeks later" check-in on the plan you last agreed in this
    /// scenario (on a terminal you are asked; this answers yes without asking).
    #[arg(long)]
    pub check_in: bool,
}

/// An error that has already been explained to the user: exit 1 with no further message.
#[derive(Debug)]
struct Reported;

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("reported")
    }
}

impl std::error::Error for Reported {}

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    let cli = match parse(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    set_color(cli.color);
    match run(cli) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<Reported>().is_some() => ExitCode::from(1),
        Err(e) => {
            note(format_args!(
                "rehearse: {}",
                term::visible(&format!("{e:#}"))
            ));
            ExitCode::from(1)
        }
    }
}

/// The command line. Play's options given before a command (`rehearse --seed 3 list`) are
/// refused; `--color` is global and may stand anywhere.
fn parse(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let mut cmd = Cli::command();
    let matches = cmd.try_get_matches_from_mut(args)?;
    if let Some((name, _)) = matches.subcommand() {
        let before = cmd
            .get_arguments()
            .filter(|a| !a.is_global_set())
            .find(|a| {
                matches.value_source(a.get_id().as_str())
                    == Some(clap::parser::ValueSource::CommandLine)
            });
        if let Some(a) = before {
            let flag = a.get_long().unwrap_or(a.get_id().as_str());
            let hint = if name == "play" {
                format!("put it after the scenario: `rehearse play <scenario> --{flag} ...`")
            } else {
                format!("`--{flag}` belongs to `rehearse play`, not to `rehearse {name}`")
            };
            return Err(cmd.error(
                clap::error::ErrorKind::ArgumentConflict,
                format!("`--{flag}` cannot come before the command `{name}`: {hint}"),
            ));
        }
    }
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn set_color(when: ColorWhen) {
    let on = match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
        }
    };
    colored::control::set_override(on);
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let command = cli.command.unwrap_or(Command::Play(PlayArgs {
        scenario: None,
        flags: cli.play,
    }));
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match command {
        Command::Play(args) => cmd_play(args, &mut out),
        Command::List { json } => cmd_list(json, &mut out),
        Command::Classify { json, jobs, text } => cmd_classify(json, jobs, text, &mut out),
        Command::Validate {
            paths,
            explore,
            sessions,
        } => cmd_validate(&paths, explore.then_some(sessions), &mut out),
        Command::Rules { json } => cmd_rules(json, &mut out),
        Command::Review {
            transcript,
            format,
            output,
            what_if,
        } => cmd_review(&transcript, format, output.as_deref(), what_if, &mut out),
        Command::Replay {
            transcript,
            scenario,
            json,
        } => cmd_replay(&transcript, scenario.as_deref(), json, &mut out),
        Command::History { json } => cmd_history(json, &mut out),
        Command::Forget { all, transcript } => cmd_forget(all, transcript.as_deref(), &mut out),
    }
}

/// Load a scenario by built-in id or path, printing diagnostics on failure.
pub fn load_scenario(spec: &str) -> anyhow::Result<Scenario> {
    if let Some(s) = builtin::get(spec) {
        return Ok(s);
    }
    let looks_like_path = spec.ends_with(".ron") || spec.contains('/') || Path::new(spec).exists();
    if !looks_like_path {
        anyhow::bail!(
            "no built-in scenario `{}`{}; `rehearse list` shows them, or give a path to a .ron file",
            term::one_line(spec),
            builtin::suggest(spec)
        );
    }
    let source = read_text(Path::new(spec))?;
    Scenario::parse(spec, &source).map_err(|errors| {
        for e in &errors {
            note(e);
        }
        anyhow::Error::new(Reported)
    })
}

/// Scenario files larger than this are refused before parsing.
pub const MAX_SCENARIO_BYTES: u64 = 4 << 20;

fn read_text(path: &Path) -> anyhow::Result<String> {
    read_text_unnamed(path)
        .map_err(|e| anyhow::anyhow!("{}: {e}", term::one_line(&path.display().to_string())))
}

/// A scenario file's text; errors do not repeat the path (callers put it in front).
fn read_text_unnamed(path: &Path) -> anyhow::Result<String> {
    let in_words = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow::anyhow!("no such file"),
        std::io::ErrorKind::PermissionDenied => anyhow::anyhow!("not allowed to read this file"),
        _ => anyhow::Error::new(e),
    };
    let meta = std::fs::metadata(path).map_err(in_words)?;
    if meta.is_dir() {
        anyhow::bail!("a directory, not a scenario file");
    }
    if meta.len() > MAX_SCENARIO_BYTES {
        anyhow::bail!(
            "{} bytes is too large for a scenario file (limit {MAX_SCENARIO_BYTES})",
            meta.len()
        );
    }
    let bytes = std::fs::read(path).map_err(in_words)?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        anyhow::anyhow!("not UTF-8 text (invalid byte at offset {at})")
    })
}

/// A line on stderr. A closed or failing stderr is not worth a panic.
fn note(msg: impl std::fmt::Display) {
    let _ = writeln!(io::stderr(), "{msg}");
}

/// The built-in rules, with the scenario's own stressors and grievances added.
pub fn classifier_for(scenario: &Scenario) -> anyhow::Result<Classifier> {
    let rules = RuleSet::builtin_with_words(&scenario.words).map_err(|errors| {
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("scenario `{}` words: {}", scenario.id, text.join("; "))
    })?;
    // The user reads the brief while the rules compile on a background thread.
    Ok(Classifier::new_in_background(rules))
}

fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::process::id()) % 1_000_000
}

fn cmd_play(args: PlayArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let spec = args.scenario.as_deref().unwrap_or(builtin::DEFAULT);
    let args = args.flags;
    if let Some(path) = &args.transcript
        && std::fs::metadata(path).is_ok_and(|m| m.is_file() || m.is_dir())
    {
        anyhow::bail!(
            "{} already exists, and rehearse will not write over it: give --transcript a new file name",
            term::one_line(&path.display().to_string())
        );
    }
    let base = load_scenario(spec)?;
    let classifier = classifier_for(&base)?;
    let stdin = io::stdin();
    let interactive = stdin.is_terminal() && io::stdout().is_terminal() && !args.json;
    if io::stdout().is_terminal() && !args.json {
        render::set_width(render::terminal_width());
    }
    let opts = PlayOptions {
        seed: args.seed.unwrap_or_else(fresh_seed),
        json: args.json,
        echo: !interactive,
        coach: args.coach,
    };
    let data = paths::data_dir();
    let mut input: Box<dyn LineSource> = if interactive {
        let history = if args.no_save {
            None
        } else {
            paths::history_file()
        };
        Box::new(Repl::new(history)?)
    } else {
        Box::new(Lines(stdin.lock()))
    };
    // A plan agreed last time: offer the two-weeks-later check-in.
    let saved_plan = data.as_deref().and_then(|d| checkin::load(d, &base.id));
    let check_in = match saved_plan {
        Some(plan)
            if args.check_in || (interactive && ask_check_in(&plan, input.as_mut(), out)?) =>
        {
            Some(checkin::CheckIn {
                went: checkin::went(&plan, opts.seed),
                plan,
            })
        }
        None if args.check_in => anyhow::bail!(
            "no plan is saved for `{}` yet: a check-in follows a talk that ends with a concrete plan and a follow-up",
            term::one_line(&base.id)
        ),
        _ => None,
    };
    let scenario = match &check_in {
        Some(c) => checkin::apply(&base, c),
        None => base,
    };
    let started = transcript::now();
    let writer = if args.no_save {
        transcript::Writer::in_memory()
    } else if let Some(path) = &args.transcript {
        transcript::Writer::create(path)
    } else {
        match paths::transcripts_dir() {
            Some(dir) => {
                let stamp = started.replace(':', "-");
                let stem = format!("{stamp}-{}-{}", scenario.id, opts.seed);
                transcript::Writer::create_in(&dir, &stem)
            }
            None => transcript::Writer::in_memory(),
        }
    };
    let mut warn = io::stderr();
    if let Some(msg) = writer.failure() {
        writeln!(
            warn,
            "rehearse: cannot write the transcript ({}); the talk goes on, kept in memory.",
            term::one_line(msg)
        )?;
    }
    let header = transcript::Header {
        format: transcript::FORMAT,
        app: format!("rehearse {}", env!("CARGO_PKG_VERSION")),
        scenario: scenario.id.clone(),
        title: scenario.title.clone(),
        partner: scenario.partner.clone(),
        scenario_hash: scenario.content_hash.clone(),
        // A built-in scenario needs no path (its hash is of its source, so no parse).
        scenario_path: builtin::source(&scenario.id)
            .filter(|src| crate::scenario::content_hash(src) == scenario.content_hash)
            .is_none()
            .then(|| absolute(spec)),
        seed: opts.seed,
        started,
        check_in: check_in.clone(),
    };
    let coach = crate::coach::Pending::builtin(&classifier.rules().substitutions);
    let journal = std::sync::Arc::new(std::sync::Mutex::new(transcript::Journal::new(writer)));
    close_on_signals(&journal);
    let play = play::Play {
        opts: &opts,
        transcript: &journal,
        header: Some(header),
        clock: &transcript::now,
        warn: &mut warn,
        coach: &coach,
    };
    let outcome = play::run(&scenario, &classifier, play, input.as_mut(), out)?;
    // A talk ended before anything was said leaves nothing behind: no transcript to
    // review, and a check-in's plan is still there for next time.
    let said_nothing = outcome.turns.is_empty();
    if said_nothing {
        transcript::lock(&journal).writer.discard();
    }
    if args.no_save {
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(d) = &data {
        if check_in.is_some() && !said_nothing {
            checkin::remove(d, &scenario.id);
        }
        if let Some(plan) =
            checkin::agreed(&scenario, &outcome.turns, &outcome.end, &transcript::now())
            && checkin::save(d, &plan).is_ok()
            && !args.json
        {
            let note = format!(
                "You agreed a plan and a follow-up. Next time you play {}, you can start with the follow-up check-in.",
                term::one_line(&scenario.id)
            );
            writeln!(out, "\n{}", render::wrap(&note, ""))?;
        }
    }
    if args.json {
        return Ok(ExitCode::SUCCESS);
    }
    let journal = transcript::lock(&journal);
    let writer = &journal.writer;
    if said_nothing {
        writeln!(out, "\nNothing was said, so no transcript was kept.")?;
    } else if let Some(path) = writer.path().filter(|_| writer.is_saving()) {
        let shown = term::one_line(&path.display().to_string());
        writeln!(out, "\nTranscript saved (private to you): {shown}")?;
        writeln!(out, "Look back at it with: rehearse review {shown}")?;
    } else if interactive {
        offer_to_save(writer, input.as_mut(), out)?;
    } else {
        writeln!(out, "\nThe transcript could not be saved.")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM, SIGHUP and SIGINT (Ctrl-C outside the line editor) close the transcript with
/// an `interrupted` end event before the process exits, so nothing said is lost and every
/// reader sees a finished file.
#[cfg(unix)]
fn close_on_signals(journal: &std::sync::Arc<std::sync::Mutex<transcript::Journal>>) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT]) else {
        return;
    };
    let journal = std::sync::Arc::clone(journal);
    // The terminal as it is now (cooked): the line editor switches it to raw mode while
    // it reads, and a signal then must not leave the user's shell raw.
    let stdin = io::stdin();
    let cooked = stdin
        .is_terminal()
        .then(|| nix::sys::termios::tcgetattr(&stdin).ok())
        .flatten();
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            if let Some(t) = &cooked {
                let _ = nix::sys::termios::tcsetattr(
                    io::stdin(),
                    nix::sys::termios::SetArg::TCSANOW,
                    t,
                );
            }
            let wrote = transcript::lock(&journal).close_interrupted(transcript::now());
            if wrote {
                note("\nrehearse: interrupted; the transcript is closed and kept.");
            }
            std::process::exit(128 + sig);
        }
    });
}

#[cfg(not(unix))]
fn close_on_signals(_: &std::sync::Arc<std::sync::Mutex<transcript::Journal>>) {}

/// Ask whether to start with the check-in on a saved plan.
fn ask_check_in(
    plan: &checkin::Plan,
    input: &mut dyn LineSource,
    out: &mut dyn Write,
) -> io::Result<bool> {
    let last = format!(
        "Last time you agreed: \"{}\" and to check in: {}",
        term::one_line(&plan.plan),
        term::quoted_sentence_end(&term::one_line(&plan.follow_up)),
    );
    writeln!(out, "{}", render::wrap(&last, "  "))?;
    out.flush()?;
    let answer = input.next_line("Start with the follow-up check-in? [Y/n] ")?;
    Ok(answer.is_some_and(|a| !a.trim().to_ascii_lowercase().starts_with('n')))
}

/// After a failed write, ask for another place to put the transcript.
fn offer_to_save(
    writer: &transcript::Writer,
    input: &mut dyn LineSource,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(
        out,
        "\nThe transcript could not be written where it should go."
    )?;
    out.flush()?;
    loop {
        let Some(answer) =
            input.next_line("Save it to another file (a path, or Enter to skip): ")?
        else {
            return Ok(());
        };
        let answer = answer.trim();
        if answer.is_empty() {
            return Ok(());
        }
        match writer.save_to(Path::new(answer)) {
            Ok(()) => {
                writeln!(out, "Saved: {}", term::one_line(answer))?;
                return Ok(());
            }
            Err(e) => writeln!(out, "Could not write {}: {e}", term::one_line(answer))?,
        }
        out.flush()?;
    }
}

fn absolute(spec: &str) -> String {
    std::fs::canonicalize(spec).map_or_else(|_| spec.to_string(), |p| p.display().to_string())
}

fn cmd_list(json: bool, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let all = builtin::all();
    if json {
        let items: Vec<_> = all
            .iter()
            .map(|s| {
                json!({
                    "id": s.id,
                    "title": s.title,
                    "summary": s.summary,
                    "relationship": s.relationship.name(),
                    "partner": s.partner,
                    "default": s.id == builtin::DEFAULT,
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&items)?)?;
    } else {
        use colored::Colorize;
        let width = all.iter().map(|s| s.id.len()).max().unwrap_or(0);
        for s in &all {
            let id = format!("{:<width$}", s.id);
            writeln!(
                out,
                "{}  {} ({}, with {})\n{:width$}  {}",
                id.bold(),
                s.title,
                s.relationship.name(),
                s.partner,
                "",
                s.summary.dimmed()
            )?;
        }
        writeln!(out, "\nStart one with: rehearse play ID")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn cmd_classify(
    json: bool,
    jobs: usize,
    text: Vec<String>,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let classifier = Classifier::builtin();
    let fmt = LineFormat {
        classifier: &classifier,
        json,
    };
    // Lines are formatted into `buf` and written out in blocks; someone typing lines at
    // a terminal gets each answer as soon as the line is in.
    let mut buf = Vec::with_capacity(1 << 16);
    let typed = io::stdin().is_terminal();
    if !text.is_empty() {
        for (i, t) in text.iter().enumerate() {
            fmt.write(i + 1, t, &mut buf)?;
        }
        out.write_all(&buf)?;
    } else if jobs <= 1 || typed {
        // Typed lines come one at a time: workers would only hold the answers back.
        let mut lines = Lines(io::BufReader::with_capacity(1 << 16, io::stdin().lock()));
        let mut n = 0;
        while let Some(line) = lines.next_line("")? {
            n += 1;
            fmt.write(n, &line, &mut buf)?;
            if typed || buf.len() >= 1 << 15 {
                out.write_all(&buf)?;
                buf.clear();
                if typed {
                    out.flush()?;
                }
            }
        }
        out.write_all(&buf)?;
    } else {
        classify_parallel(
            &fmt,
            jobs,
            io::BufReader::with_capacity(1 << 16, io::stdin()),
            out,
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// One classified line as `classify` prints it.
struct LineFormat<'a> {
    classifier: &'a Classifier,
    json: bool,
}

#[derive(serde::Serialize)]
struct JsonLine<'a> {
    line: usize,
    text: &'a str,
    moves: &'a [crate::classify::MoveMatch],
    #[serde(skip_serializing_if = "Option::is_none")]
    safety: Option<&'a crate::classify::SafetyFlag>,
}

impl LineFormat<'_> {
    /// Append the line's classification to `out` (a buffer: serde_json writes a line
    /// in many small pieces).
    fn write(&self, n: usize, line: &str, out: &mut Vec<u8>) -> io::Result<()> {
        let c = self.classifier.classify(line, Context::default());
        if self.json {
            let obj = JsonLine {
                line: n,
                text: line,
                moves: &c.moves,
                safety: c.safety.as_ref(),
            };
            serde_json::to_writer(&mut *out, &obj)?;
            out.push(b'\n');
            Ok(())
        } else {
            write!(
                out,
                "{}",
                render::classification(line, &c, &self.classifier.rules().rules)
            )
        }
    }
}

/// `classify --jobs N`: a reader cuts stdin into chunks of lines, N workers classify
/// them, and this thread writes the results in input order. At most a fixed number of
/// chunks is in flight, so memory stays constant however long the input.
fn classify_parallel(
    fmt: &LineFormat<'_>,
    jobs: usize,
    input: impl io::BufRead + Send,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    use std::collections::BTreeMap;
    use std::sync::{Mutex, mpsc};
    const CHUNK: usize = 1024;
    let in_flight = jobs * 4;
    let (job_tx, job_rx) = mpsc::sync_channel::<(usize, usize, Vec<String>)>(in_flight);
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::sync_channel::<(usize, io::Result<Vec<u8>>)>(in_flight);
    let (token_tx, token_rx) = mpsc::sync_channel::<()>(in_flight);
    for _ in 0..in_flight {
        token_tx.send(()).expect("fresh channel");
    }
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let reader = scope.spawn(move || -> io::Result<()> {
            let mut lines = Lines(input);
            let (mut seq, mut n) = (0, 0);
            loop {
                // Wait until the writer has room for another chunk.
                if token_rx.recv().is_err() {
                    return Ok(());
                }
                let mut chunk = Vec::with_capacity(CHUNK);
                while chunk.len() < CHUNK {
                    match lines.next_line("")? {
                        Some(l) => chunk.push(l),
                        None => break,
                    }
                }
                if chunk.is_empty() {
                    return Ok(());
                }
                let first = n + 1;
                n += chunk.len();
                let last = chunk.len() < CHUNK;
                if job_tx.send((seq, first, chunk)).is_err() || last {
                    return Ok(());
                }
                seq += 1;
            }
        });
        for _ in 0..jobs {
            let (job_rx, done_tx) = (&job_rx, done_tx.clone());
            scope.spawn(move || {
                loop {
                    let job = job_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok((seq, first, chunk))) = job else {
                        return;
                    };
                    let mut buf = Vec::with_capacity(chunk.len() * 256);
                    let res = chunk
                        .iter()
                        .enumerate()
                        .try_for_each(|(i, l)| fmt.write(first + i, l, &mut buf))
                        .map(|()| buf);
                    if done_tx.send((seq, res)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        // Write chunks in order as they complete.
        let mut pending = BTreeMap::new();
        let mut next = 0;
        let mut result = Ok(());
        for (seq, res) in done_rx.iter() {
            pending.insert(seq, res);
            while let Some(res) = pending.remove(&next) {
                next += 1;
                if let Err(e) = res.and_then(|buf| out.write_all(&buf)) {
                    result = Err(e);
                    break;
                }
                let _ = token_tx.send(());
            }
            if result.is_err() {
                break;
            }
        }
        drop(token_tx);
        drop(done_rx);
        result?;
        reader.join().expect("reader thread")?;
        Ok(())
    })
}

fn cmd_validate(
    paths: &[String],
    explore: Option<usize>,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let mut ok = true;
    for p in paths {
        let shown = term::one_line(p);
        let source = match read_text_unnamed(Path::new(p)) {
            Ok(s) => s,
            Err(e) => {
                note(format_args!("{shown}:1:1: {e:#}"));
                ok = false;
                continue;
            }
        };
        match Scenario::parse(p, &source) {
            Ok(s) => {
                let classifier = match classifier_for(&s) {
                    Ok(c) => c,
                    Err(e) => {
                        note(format_args!("{shown}:1:1: {e:#}"));
                        ok = false;
                        continue;
                    }
                };
                let replies: usize = s.reactions.iter().map(|r| r.replies.len()).sum();
                let count = |n: usize, one: &str, many: &str| {
                    format!("{n} {}", if n == 1 { one } else { many })
                };
                writeln!(
                    out,
                    "{shown}: ok ({}, {}, {}, {})",
                    count(s.reactions.len(), "reaction", "reactions"),
                    count(replies, "reply", "replies"),
                    count(s.reveals.len(), "reveal", "reveals"),
                    count(s.endings.len(), "ending", "endings")
                )?;
                if let Some(n) = explore {
                    let report = crate::explore::explore(&s, &classifier, n);
                    write!(out, "{}", render::explore(p, &source, &s, &report))?;
                    if s.check_in.is_some() {
                        // The two-weeks-later talk, as a plan that went partly opens it
                        // (the harder start).
                        let talk = checkin::apply(
                            &s,
                            &checkin::CheckIn {
                                plan: checkin::Plan {
                                    scenario: s.id.clone(),
                                    plan: "Let's eat together on Friday at 7.".into(),
                                    follow_up: "Let's check in next Sunday.".into(),
                                    need: None,
                                    agreed: String::new(),
                                },
                                went: checkin::Went::Partly,
                            },
                        );
                        let report = crate::explore::explore(&talk, &classifier, n);
                        writeln!(out, "\nThe two-weeks-later check-in:")?;
                        // Its endings and reveals; the first talk's replies that it falls
                        // back on are listed above already.
                        write!(out, "{}", render::explore_summary(&talk, &report))?;
                    }
                }
                out.flush()?;
            }
            Err(errors) => {
                ok = false;
                for e in errors {
                    note(e);
                }
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn cmd_rules(json: bool, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let rules = RuleSet::builtin();
    if json {
        let items: Vec<_> = rules
            .rules
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "move": r.label.name(),
                    "kind": match r.label {
                        crate::rules::Label::Move(m) => m.kind().name(),
                        crate::rules::Label::Safety => "safety",
                    },
                    "patterns": r.patterns,
                    "expanded_patterns": r.expanded,
                    "exceptions": r.exceptions,
                    "expanded_exceptions": r.expanded_exceptions,
                    "overrides": r.overrides.iter().map(|m| m.name()).collect::<Vec<_>>(),
                    "when": match r.when {
                        crate::rules::When::Always => "always",
                        crate::rules::When::AfterSpaceRequest => "after_space_request",
                    },
                    "guide": r.guide,
                    "examples": r.examples,
                    "counter_examples": r.counter_examples,
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&items)?)?;
    } else {
        write!(out, "{}", render::rules(&rules.rules))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn read_transcript(path: &Path) -> anyhow::Result<transcript::Transcript> {
    transcript::Transcript::read(path).map_err(|e| anyhow::anyhow!(e))
}

/// The scenario a transcript was played against: its recorded path, else the built-in
/// with its id. `None` when neither can be found.
fn transcript_scenario(t: &transcript::Transcript) -> Option<Scenario> {
    let base = match &t.header.scenario_path {
        Some(p) => read_text(Path::new(p))
            .ok()
            .and_then(|source| Scenario::parse(p, &source).ok()),
        None => None,
    }
    .or_else(|| builtin::get(&t.header.scenario))?;
    Some(match &t.header.check_in {
        Some(c) => checkin::apply(&base, c),
        None => base,
    })
}

fn cmd_review(
    path: &Path,
    format: ReviewFormat,
    output: Option<&Path>,
    what_if: bool,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let t = read_transcript(path)?;
    let scenario = transcript_scenario(&t).filter(|s| s.content_hash == t.header.scenario_hash);
    let rules = RuleSet::builtin();
    let coach = crate::coach::Coach::builtin(&rules.substitutions);
    // The scorecard the user saw, or one recomputed from the turns if the talk was cut off.
    let stored: Option<crate::score::Scorecard> = t
        .end
        .as_ref()
        .and_then(|e| serde_json::from_value(e.scorecard.clone()).ok());
    let card = match (stored, &scenario) {
        (Some(card), _) => Some(card),
        (None, Some(sc)) => {
            // The engine is deterministic: replaying the kept lines tells whether the
            // last turn reached an ending before the file was cut.
            let end = crate::replay::recover_end(&t, sc, &classifier_for(sc)?);
            Some(crate::score::score(sc, &t.kept_turns(), end.as_ref()))
        }
        (None, None) => None,
    };
    let what_ifs = match (&scenario, what_if) {
        (Some(sc), true) => crate::replay::what_if(&t, sc, &classifier_for(sc)?, &coach),
        (None, true) => anyhow::bail!(
            "--what-if needs the scenario `{}` as it was when this talk was played, and it has changed or is missing",
            term::one_line(&t.header.scenario)
        ),
        _ => Vec::new(),
    };
    let review = crate::review::Review {
        transcript: &t,
        scorecard: card.as_ref(),
        start_openness: scenario.as_ref().map(|s| s.openness),
        coach: &coach,
        what_if: &what_ifs,
    };
    let format = match format {
        ReviewFormat::Text => crate::review::Format::Text,
        ReviewFormat::Markdown => crate::review::Format::Markdown,
        ReviewFormat::Html => crate::review::Format::Html,
    };
    if output.is_some() || format != crate::review::Format::Text {
        // Files and non-terminal formats never carry terminal colour codes.
        colored::control::set_override(false);
    }
    let text = crate::review::render(&review, format);
    match output {
        Some(file) => {
            let mut f = paths::private_new(file).map_err(|e| {
                anyhow::anyhow!("{}: {e}", term::one_line(&file.display().to_string()))
            })?;
            f.write_all(text.as_bytes())?;
        }
        None => {
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_replay(
    path: &Path,
    scenario: Option<&str>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let t = read_transcript(path)?;
    let sc = match scenario {
        Some(spec) => load_scenario(spec)?,
        None => transcript_scenario(&t).ok_or_else(|| {
            let from = match t.header.scenario_path.as_deref() {
                Some(p) if Path::new(p).exists() => {
                    format!(" (it was played from {}, which no longer reads as a valid scenario: `rehearse validate` says why)", term::one_line(p))
                }
                Some(p) => format!(" (it was played from {}, which is gone)", term::one_line(p)),
                None => String::new(),
            };
            anyhow::anyhow!(
                "cannot find the scenario `{}` this talk was played against{from}; name one with --scenario",
                term::one_line(&t.header.scenario)
            )
        })?,
    };
    let changed = sc.content_hash != t.header.scenario_hash;
    let report = crate::replay::replay(&t, &sc, &classifier_for(&sc)?);
    if json {
        let obj = json!({
            "type": "replay",
            "scenario": sc.id,
            "scenario_changed": changed,
            "seed": t.header.seed,
            "identical": report.first_difference.is_none(),
            "first_difference": report.first_difference,
            "outcome_before": report.outcome_before,
            "outcome_after": report.outcome_after,
            "score_before": report.score_before,
            "score_after": report.score_after,
            "turns": report.turns,
            "scorecard": report.scorecard,
        });
        writeln!(out, "{obj}")?;
    } else {
        write!(
            out,
            "{}",
            render::replay(&sc, &t, &report, changed, scenario.is_some())
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn cmd_history(json: bool, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let dir = paths::transcripts_dir();
    let (entries, problems) = dir.as_deref().map(crate::history::scan).unwrap_or_default();
    for p in &problems {
        note(format_args!("rehearse: skipped {p}"));
    }
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&entries)?)?;
    } else {
        write!(out, "{}", render::history(&entries))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn cmd_forget(all: bool, one: Option<&Path>, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    if let Some(path) = one {
        let shown = term::one_line(&path.display().to_string());
        // Only ever delete a file that really is a transcript.
        let t = read_transcript(path).map_err(|e| anyhow::anyhow!("{e:#}; nothing deleted"))?;
        std::fs::remove_file(path).map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
        writeln!(out, "Deleted {shown}.")?;
        // What was typed in that talk goes from the line-editing history too.
        let said: std::collections::HashSet<String> = t
            .turns
            .iter()
            .map(|(turn, _)| turn.user.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        if let Some(history) = paths::history_path() {
            match paths::forget_history_lines(&history, &said) {
                Ok(0) => {}
                Ok(n) => writeln!(
                    out,
                    "Removed {n} of its line{} from the line-editing history.",
                    if n == 1 { "" } else { "s" }
                )?,
                Err(e) => note(format_args!(
                    "rehearse: could not clean the line-editing history: {e}"
                )),
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    debug_assert!(all);
    let Some(data) = paths::data_dir() else {
        writeln!(out, "Nothing saved.")?;
        return Ok(ExitCode::SUCCESS);
    };
    let transcripts: Vec<std::path::PathBuf> = std::fs::read_dir(data.join("transcripts"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                .collect()
        })
        .unwrap_or_default();
    let n = transcripts.len();
    let extras = ["history.txt", "plans"];
    // At a terminal, ask first: this cannot be undone. (Scripts pipe their input and are
    // not asked.)
    if std::io::stdin().is_terminal() && (n > 0 || extras.iter().any(|e| data.join(e).exists())) {
        write!(
            out,
            "Delete {n} saved session{}, the line-editing history and any saved plans? This cannot be undone. [y/N] ",
            if n == 1 { "" } else { "s" }
        )?;
        out.flush()?;
        let mut answer = String::new();
        io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            writeln!(out, "Nothing deleted.")?;
            return Ok(ExitCode::SUCCESS);
        }
    }
    for p in &transcripts {
        std::fs::remove_file(p)?;
    }
    for extra in extras {
        let p = data.join(extra);
        if p.is_dir() {
            std::fs::remove_dir_all(&p)?;
        } else if p.exists() {
            std::fs::remove_file(&p)?;
        }
    }
    writeln!(
        out,
        "Deleted {n} saved session{}, the line-editing history and any saved plans.",
        if n == 1 { "" } else { "s" }
    )?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
