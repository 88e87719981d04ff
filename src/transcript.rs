//! Transcripts: JSON Lines, one event per line — a header, one object per turn (undone
//! turns stay, marked by an `undo` event), and an end event with the scorecard.
//!
//! The writer appends and flushes each event as it happens, so a crash or `kill -9` loses
//! no completed turn; files are created owner-only. If the file cannot be written the
//! session goes on in memory and the events can be written elsewhere at the end. The
//! reader tolerates a half-written last line.

use crate::session::Turn;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The transcript format written by this version.
pub const FORMAT: u32 = 1;

/// Transcripts larger than this are refused by readers.
pub const MAX_TRANSCRIPT_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    pub app: String,
    /// Scenario id.
    pub scenario: String,
    pub title: String,
    pub partner: String,
    /// Content hash of the scenario source, to tell an edited scenario from the original.
    pub scenario_hash: String,
    /// Where the scenario came from when it was not built in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_path: Option<String>,
    pub seed: u64,
    /// UTC start time, RFC 3339.
    pub started: String,
    /// Set when this talk was the "two weeks later" check-in on an agreed plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_in: Option<crate::checkin::CheckIn>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndRecord {
    pub reason: String,
    #[serde(default)]
    pub ending: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    pub ended: String,
    pub scorecard: serde_json::Value,
}

/// One line of a transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Header(Header),
    Turn(Turn),
    /// The user took back turn `n`; it stays in the file, marked undone.
    Undo {
        n: u32,
    },
    /// A line about danger or self-harm was set aside (its text is not kept).
    Safety {
        rule: String,
    },
    End(EndRecord),
}

/// A transcript read back.
#[derive(Debug, Clone)]
pub struct Transcript {
    pub header: Header,
    /// Every turn in the order it happened, with whether it was later undone.
    pub turns: Vec<(Turn, bool)>,
    pub end: Option<EndRecord>,
    /// The last line was cut off (a crash mid-write) and was skipped.
    pub truncated: bool,
    /// The safety rule of each safety note shown, in order.
    pub safety_notes: Vec<String>,
}

impl Transcript {
    /// The turns that stand (not undone), in order.
    pub fn kept_turns(&self) -> Vec<Turn> {
        self.turns
            .iter()
            .filter(|(_, undone)| !undone)
            .map(|(t, _)| t.clone())
            .collect()
    }

    /// Parse transcript text. `path` only labels errors (`PATH:LINE: message`).
    pub fn parse(path: &str, text: &str) -> Result<Transcript, String> {
        let shown = crate::term::one_line(path);
        let lines: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .collect();
        let mut header = None;
        let mut turns: Vec<(Turn, bool)> = Vec::new();
        let mut end = None;
        let mut truncated = false;
        let mut safety_notes = Vec::new();
        for (k, &(i, line)) in lines.iter().enumerate() {
            let event: Event = match serde_json::from_str(line) {
                Ok(e) => e,
                Err(e) => {
                    let last = k + 1 == lines.len();
                    if last && !text.ends_with('\n') && header.is_some() {
                        truncated = true;
                        break;
                    }
                    return Err(format!(
                        "{shown}:{}:{}: not a transcript event: {}",
                        i + 1,
                        e.column(),
                        crate::term::one_line(&e.to_string())
                    ));
                }
            };
            match event {
                Event::Header(h) => {
                    if header.is_some() {
                        return Err(format!("{shown}:{}:1: a second header", i + 1));
                    }
                    if h.format > FORMAT {
                        return Err(format!(
                            "{shown}:{}:1: transcript format {} is newer than this rehearse understands ({FORMAT})",
                            i + 1,
                            h.format
                        ));
                    }
                    header = Some(h);
                }
                _ if header.is_none() => {
                    return Err(format!(
                        "{shown}:{}:1: a transcript starts with its header",
                        i + 1
                    ));
                }
                Event::Turn(t) => turns.push((t, false)),
                Event::Undo { n } => {
                    if let Some(t) = turns
                        .iter_mut()
                        .rev()
                        .find(|(t, undone)| t.n == n && !undone)
                    {
                        t.1 = true;
                    }
                }
                Event::Safety { rule } => safety_notes.push(rule),
                Event::End(e) => end = Some(e),
            }
        }
        let header = header.ok_or_else(|| format!("{shown}:1:1: empty transcript (no header)"))?;
        Ok(Transcript {
            header,
            turns,
            end,
            truncated,
            safety_notes,
        })
    }

    /// Read and parse a transcript file, refusing huge or non-UTF-8 files.
    pub fn read(path: &Path) -> Result<Transcript, String> {
        let shown = crate::term::one_line(&path.display().to_string());
        let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?;
        if meta.len() > MAX_TRANSCRIPT_BYTES {
            return Err(format!(
                "{shown}: {} bytes is too large for a transcript (limit {MAX_TRANSCRIPT_BYTES})",
                meta.len()
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            format!(
                "{shown}: not UTF-8 text (offset {})",
                e.utf8_error().valid_up_to()
            )
        })?;
        Transcript::parse(&path.display().to_string(), &text)
    }
}

/// Appends events to a transcript file, one flushed line each, and keeps them in memory
/// so they can be written elsewhere if the file fails.
#[derive(Debug, Default)]
pub struct Writer {
    file: Option<File>,
    path: Option<PathBuf>,
    lines: Vec<String>,
    /// Why writing stopped, once it has.
    failure: Option<String>,
}

impl Writer {
    /// A writer that keeps events in memory only (`--no-save`).
    pub fn in_memory() -> Writer {
        Writer::default()
    }

    /// A transcript at a path the user chose. A missing folder is created (0700); an
    /// existing regular file is never replaced (a device or a pipe is written to).
    pub fn create(path: &Path) -> Writer {
        let opened = (|| -> io::Result<File> {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
                && !dir.exists()
            {
                crate::paths::private_dir(dir)?;
            }
            match std::fs::metadata(path) {
                // A device or a pipe (`/dev/full`, a FIFO): written to, nothing replaced.
                Ok(m) if !m.is_file() && !m.is_dir() => {
                    std::fs::OpenOptions::new().write(true).open(path)
                }
                _ => crate::paths::private_create_new(path),
            }
        })();
        Writer::opened(path.to_path_buf(), opened)
    }

    /// A new transcript named `STEM.jsonl` in rehearse's own folder `dir`: the folder is
    /// made (or made again) owner-only, and a name already taken gets a `_2`, `_3`, ...
    pub fn create_in(dir: &Path, stem: &str) -> Writer {
        let opened = (|| -> io::Result<(PathBuf, File)> {
            if let Some(data) = dir.parent().filter(|d| !d.as_os_str().is_empty()) {
                crate::paths::private_dir(data)?;
            }
            crate::paths::private_dir(dir)?;
            crate::paths::private_unique(dir, stem, "jsonl")
        })();
        match opened {
            Ok((path, f)) => Writer::opened(path, Ok(f)),
            Err(e) => Writer::opened(dir.join(format!("{stem}.jsonl")), Err(e)),
        }
    }

    fn opened(path: PathBuf, file: io::Result<File>) -> Writer {
        let (file, failure) = match file {
            Ok(f) => (Some(f), None),
            Err(e) => (None, Some(format!("{}: {e}", path.display()))),
        };
        Writer {
            path: Some(path),
            file,
            failure,
            ..Writer::default()
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Why the file could not be written, if it could not.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Is the file being written (as opposed to memory only)?
    pub fn is_saving(&self) -> bool {
        self.file.is_some()
    }

    /// Append one event. Returns the error message the first time writing fails.
    pub fn write(&mut self, event: &Event) -> Option<String> {
        let line = serde_json::to_string(event).expect("events serialise");
        if let Some(f) = &mut self.file {
            let mut bytes = line.clone().into_bytes();
            bytes.push(b'\n');
            if let Err(e) = f.write_all(&bytes).and_then(|()| f.flush()) {
                self.file = None;
                let path = self.path.as_ref().map(|p| p.display().to_string());
                let msg = format!("{}: {e}", path.unwrap_or_default());
                self.failure = Some(msg.clone());
                self.lines.push(line);
                return Some(msg);
            }
        }
        self.lines.push(line);
        None
    }

    /// Stop writing and delete the file, if it is a regular file this writer was writing
    /// (a device or a pipe is left alone): for a talk in which nothing was said.
    pub fn discard(&mut self) {
        if self.file.take().is_some()
            && let Some(path) = &self.path
            && std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
        {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Write every event so far to a new file at `path` (after a failure); an existing
    /// file is not replaced.
    pub fn save_to(&self, path: &Path) -> io::Result<()> {
        let mut f = crate::paths::private_create_new(path)?;
        for l in &self.lines {
            f.write_all(l.as_bytes())?;
            f.write_all(b"\n")?;
        }
        f.flush()
    }
}

/// A writer shared with the signal handler: after every event the session stores the end
/// event it would write if it were interrupted now, so a SIGTERM or SIGHUP can close the
/// transcript properly from another thread.
#[derive(Debug, Default)]
pub struct Journal {
    pub writer: Writer,
    /// The end event to write if the session is interrupted now (its time is set then).
    pub if_interrupted: Option<EndRecord>,
    /// The end event has been written: nothing more goes in.
    pub closed: bool,
}

impl Journal {
    pub fn new(writer: Writer) -> Journal {
        Journal {
            writer,
            if_interrupted: None,
            closed: false,
        }
    }

    /// Append an event unless the journal is closed. Returns a write failure, once.
    pub fn write(&mut self, event: &Event) -> Option<String> {
        if self.closed {
            return None;
        }
        if matches!(event, Event::End(_)) {
            self.closed = true;
        }
        self.writer.write(event)
    }

    /// Close with the interrupted end event (from a signal handler). True if it wrote one.
    pub fn close_interrupted(&mut self, ended: String) -> bool {
        match self.if_interrupted.take() {
            Some(mut end) if !self.closed => {
                end.ended = ended;
                self.write(&Event::End(end));
                true
            }
            _ => false,
        }
    }
}

/// Lock a shared journal, even if another thread panicked while holding it.
pub fn lock(j: &std::sync::Mutex<Journal>) -> std::sync::MutexGuard<'_, Journal> {
    j.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Seconds since the Unix epoch as RFC 3339 UTC (`2026-11-23T18:57:55Z`).
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The current time as RFC 3339 UTC.
pub fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_460_275), "2026-11-23T18:57:55Z");
    }

    fn header() -> String {
        serde_json::to_string(&Event::Header(Header {
            format: FORMAT,
            app: "rehearse test".into(),
            scenario: "small-talk".into(),
            title: "t".into(),
            partner: "Jo".into(),
            scenario_hash: "0".into(),
            scenario_path: None,
            seed: 1,
            started: rfc3339(0),
            check_in: None,
        }))
        .unwrap()
    }

    #[test]
    fn a_cut_last_line_is_tolerated_but_a_bad_middle_line_is_not() {
        let h = header();
        let cut = format!("{h}\n{{\"type\":\"undo\",\"n");
        let t = Transcript::parse("t.jsonl", &cut).unwrap();
        assert!(t.truncated);
        let bad = format!("{h}\nnot json\n{{\"type\":\"undo\",\"n\":1}}\n");
        let err = Transcript::parse("t.jsonl", &bad).unwrap_err();
        assert!(err.starts_with("t.jsonl:2:"), "{err}");
        assert!(Transcript::parse("t.jsonl", "").is_err());
        let newer = h.replace("\"format\":1", "\"format\":99");
        assert!(
            Transcript::parse("t.jsonl", &newer)
                .unwrap_err()
                .contains("newer")
        );
    }
}
