//! Reading a RON file on past its first problem, so an author sees every problem at once.
//!
//! `ron` stops at the first thing it cannot read. When that thing is one a person fixes
//! without looking elsewhere (a misspelt field or condition, a field written twice, a value
//! of the wrong kind, curly quotes, a field left out), the problem is reported, the text is
//! patched the way the fix would go (the nearest name, a neutral value), and parsing starts
//! again. The fields left out of one structure are reported together. A broken bracket,
//! comma or quote stops it: whatever came after would be noise.
//!
//! Patches never add or remove a line, so line numbers are the file's own; a rename that
//! changes a name's length, or a field written in, shifts the columns after it on that
//! line, and `remap` takes that back. A problem found inside a patch is about the patch,
//! not the file, and is dropped.
//!
//! May not: read or write files, print, or know what a scenario is (callers give the
//! parse to run).

use crate::diagnostic::{Diagnostic, offset_of, value_end};
use ron::error::{Error as E, SpannedError};

/// At most this many problems from one file's parse: past that, fixing comes first.
const MAX_PARSE_PROBLEMS: usize = 20;

/// What a recovering parse found.
pub struct Recovered<T> {
    /// The value parsed from `text`, if parsing got to the end.
    pub value: Option<T>,
    /// The source with every patch applied; positions in it map back with `remap`.
    pub text: String,
    /// The problems found on the way, located in the original source.
    pub errors: Vec<Diagnostic>,
    /// Whether a number or a text was made up to read on. Checks that compare values
    /// (is an ending reachable in `max_turns`, is a band named) would then report made-up
    /// problems, so callers skip them until the file parses as written.
    pub guessed: bool,
    patches: Vec<Patch>,
}

/// One edit on one line: `old` characters at character column `col` (1-based, in the
/// text as it was just before this edit) became `new` characters.
#[derive(Debug, Clone, Copy)]
struct Patch {
    line: usize,
    col: usize,
    old: usize,
    new: usize,
}

/// Parse `source` with `parse`, patching and parsing again after each problem that can be
/// read past.
pub fn parse<T>(
    path: &str,
    source: &str,
    parse: impl Fn(&str) -> Result<T, SpannedError>,
) -> Recovered<T> {
    let mut out = Recovered {
        value: None,
        text: source.to_string(),
        errors: Vec::new(),
        guessed: false,
        patches: Vec::new(),
    };
    // Invisible characters where RON wants a blank or a name: reported, then read as
    // blanks (one character for one, so no column moves).
    let invisible = crate::diagnostic::invisible_characters(source);
    let char_end = |at: usize| at + source[at..].chars().next().map_or(1, char::len_utf8);
    for &(at, _) in invisible.iter().rev() {
        out.text.replace_range(at..char_end(at), " ");
    }
    // One problem for a run of them side by side.
    let mut runs: Vec<(usize, usize, &str)> = Vec::new();
    for &(at, name) in &invisible {
        match runs.last_mut() {
            Some((_, end, n)) if *end == at && *n == name => *end = char_end(at),
            _ => runs.push((at, char_end(at), name)),
        }
    }
    for (at, end, name) in runs {
        let count = source[at..end].chars().count();
        let message = if count == 1 {
            format!(
                "an invisible character ({name}) is here: delete it, and type a plain space \
                 if one is needed"
            )
        } else {
            format!(
                "{count} invisible characters (each {name}) are here: delete them, and type \
                 a plain space if one is needed"
            )
        };
        out.errors
            .push(Diagnostic::at_offset(path, source, Some(at), message));
    }
    let mut last: Option<(usize, usize)> = None;
    // The fields found missing so far at the last problem's place: one report names them
    // all, as one `)` is where each is missing.
    let mut missing: Vec<&'static str> = Vec::new();
    loop {
        if out.errors.len() >= MAX_PARSE_PROBLEMS {
            if let Err(err) = parse(&out.text) {
                let next = Diagnostic::from_ron(path, &out.text, &err);
                if let Some(d) = out.remap(next, source) {
                    out.errors.push(Diagnostic {
                        message: format!(
                            "stopped after {MAX_PARSE_PROBLEMS} problems, with more from here \
                             on: fix these and run `validate` again"
                        ),
                        ..d
                    });
                }
            }
            break;
        }
        let err = match parse(&out.text) {
            Ok(value) => {
                out.value = Some(value);
                break;
            }
            Err(err) => err,
        };
        let here = (err.span.start.line, err.span.start.col);
        if last == Some(here) {
            // No progress: the patch did not get the parse past this point.
            break;
        }
        last = Some(here);
        let found = Diagnostic::from_ron(path, &out.text, &err);
        match out.remap(found, source) {
            Some(d) => match &err.code {
                E::MissingStructField { field, outer } => match out.errors.last_mut() {
                    Some(prev)
                        if !missing.is_empty() && (prev.line, prev.col) == (d.line, d.col) =>
                    {
                        missing.push(field);
                        prev.message = crate::diagnostic::missing_fields(&missing, outer.as_ref());
                    }
                    _ => {
                        missing = vec![field];
                        out.errors.push(d);
                    }
                },
                _ => {
                    missing.clear();
                    out.errors.push(d);
                }
            },
            // About a patch of ours: nothing more can be trusted.
            None => break,
        }
        let edit = match &err.code {
            E::MissingStructField { field, .. } => missing_field(&out.text, &err, field, &parse),
            _ => fix(&out.text, &err),
        };
        match edit {
            Some(edit) => {
                out.guessed |= edit.guess;
                out.apply(edit)
            }
            None => break,
        }
    }
    out
}

/// A replacement of `text[start..end]`.
struct Edit {
    start: usize,
    end: usize,
    with: String,
    /// `with` is a made-up number or text, not what the author meant.
    guess: bool,
}

impl<T> Recovered<T> {
    fn apply(&mut self, edit: Edit) {
        let line = self.text[..edit.start].matches('\n').count() + 1;
        let line_start = self.text[..edit.start].rfind('\n').map_or(0, |i| i + 1);
        let col = self.text[line_start..edit.start].chars().count() + 1;
        let old = self.text[edit.start..edit.end].chars().count();
        let new = edit.with.chars().count();
        self.text.replace_range(edit.start..edit.end, &edit.with);
        self.patches.push(Patch {
            line,
            col,
            old,
            new,
        });
    }

    /// Where a problem found in the patched text is in the original `source`: `None` when
    /// it lies inside a patch.
    pub fn remap(&self, d: Diagnostic, source: &str) -> Option<Diagnostic> {
        let mut col = d.col;
        for p in self.patches.iter().rev() {
            if p.line != d.line {
                continue;
            }
            if col >= p.col && col < p.col + p.new.max(1) {
                return None;
            }
            if col >= p.col + p.new {
                col = col - p.new + p.old;
            }
        }
        Some(Diagnostic::at_line_col(
            &d.path, source, d.line, col, d.message,
        ))
    }
}

/// The patch that reads past `err`, if it is a problem that can be read past.
fn fix(text: &str, err: &SpannedError) -> Option<Edit> {
    let pos = err.span.start;
    let mut at = offset_of(text, pos.line, pos.col);
    // Wrong-type spans can start on the blank before the value.
    at += text[at..].len() - text[at..].trim_start().len();
    let rest = &text[at..];
    if rest.starts_with(['“', '”', '‘', '’', '„', '«', '»']) {
        return straighten_quotes(text, at);
    }
    match &err.code {
        E::NoSuchStructField {
            expected, found, ..
        }
        | E::NoSuchEnumVariant {
            expected, found, ..
        } => {
            let name_len = name_at(rest)?;
            if &rest[..name_len] != found.as_str() {
                return None;
            }
            match crate::suggest::nearest(found, expected.iter().copied()) {
                Some(name) => Some(Edit {
                    start: at,
                    end: at + name_len,
                    with: name.to_string(),
                    guess: false,
                }),
                // An unknown field with no near name: read on as if it were not there.
                None if matches!(err.code, E::NoSuchStructField { .. }) => blank_field(text, at),
                None => None,
            }
        }
        // The second of two: read on without it.
        E::DuplicateStructField { .. } => blank_field(text, at),
        // `false` is what leaving a flag out means.
        E::ExpectedBoolean => neutral_value(text, at, "false", false),
        E::ExpectedInteger | E::IntegerOutOfBounds | E::InvalidIntegerDigit { .. } => {
            neutral_value(text, at, "0", true)
        }
        // One value where a list belongs: the list of that one value is what was meant.
        E::ExpectedArray => {
            let end = written_value_end(text, at)?;
            let value = &text[at..end];
            (!value.contains('\n')).then(|| Edit {
                start: at,
                end,
                with: format!("[{value}]"),
                guess: false,
            })
        }
        E::ExpectedFloat => neutral_value(text, at, "0.0", true),
        E::ExpectedString => neutral_value(text, at, "\"\"", true),
        _ => None,
    }
}

/// A field left out: written in just before the `)` that ends its structure, with the
/// first neutral value of a kind that reads (text, number, list, flag), so the fields after
/// it and the rest of the file are checked too. `None` if no such value reads on (the
/// field holds a structure of its own, say).
fn missing_field<T>(
    text: &str,
    err: &SpannedError,
    field: &str,
    parse: impl Fn(&str) -> Result<T, SpannedError>,
) -> Option<Edit> {
    let pos = err.span.start;
    let at = offset_of(text, pos.line, pos.col);
    if !text[at..].starts_with(')') {
        return None;
    }
    let before = text[..at].trim_end();
    let comma = if before.ends_with([',', '(']) {
        ""
    } else {
        ", "
    };
    ["\"\"", "0", "[]", "false", "0.0"]
        .into_iter()
        .map(|value| Edit {
            start: at,
            end: at,
            with: format!("{comma}{field}: {value}"),
            guess: true,
        })
        .find(|edit| {
            let mut trial = text.to_string();
            trial.insert_str(at, &edit.with);
            match parse(&trial) {
                Ok(_) => true,
                // Read on if the parse got past the value written in.
                Err(e) => {
                    let past = offset_of(&trial, e.span.start.line, e.span.start.col);
                    past >= at + edit.with.len()
                }
            }
        })
}

/// The length of the identifier at the start of `s`.
fn name_at(s: &str) -> Option<usize> {
    let n = s
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    (n > 0).then_some(n)
}

/// `“text”` → `"text"`: each quote is one character, so no column moves.
fn straighten_quotes(text: &str, at: usize) -> Option<Edit> {
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let open = text[at..].chars().next()?;
    let open_len = open.len_utf8();
    let body = &text[at + open_len..line_end];
    let close = match open {
        '«' | '»' => body.find(['»', '«'])?,
        // A single quote closes where no letter follows it: `‘can’t’` is one text.
        '‘' | '’' => body.char_indices().find_map(|(i, c)| {
            let next = body[i + c.len_utf8()..].chars().next();
            (matches!(c, '’' | '‘') && !next.is_some_and(char::is_alphabetic)).then_some(i)
        })?,
        _ => body.find(['”', '“'])?,
    };
    let close_len = body[close..].chars().next()?.len_utf8();
    let inner = &body[..close];
    if inner.contains('"') {
        return None;
    }
    Some(Edit {
        start: at,
        end: at + open_len + close + close_len,
        with: format!("\"{inner}\""),
        guess: false,
    })
}

/// A one-line value at `at` replaced by `with`.
fn neutral_value(text: &str, at: usize, with: &str, guess: bool) -> Option<Edit> {
    let end = written_value_end(text, at)?;
    if text[at..end].contains('\n') {
        return None;
    }
    Some(Edit {
        start: at,
        end,
        with: with.to_string(),
        guess,
    })
}

/// `name: value,` at `at` replaced by blanks (line breaks kept, so nothing moves).
fn blank_field(text: &str, at: usize) -> Option<Edit> {
    let name_len = name_at(&text[at..])?;
    let mut i = at + name_len;
    i += text[i..].len() - text[i..].trim_start().len();
    if !text[i..].starts_with(':') {
        return None;
    }
    let mut end = value_end(text, i + 1)?;
    let after = &text[end..];
    let blank = after.len() - after.trim_start().len();
    if after[blank..].starts_with(',') {
        end += blank + 1;
    }
    let with = text[at..end]
        .chars()
        .map(|c| if c == '\n' { '\n' } else { ' ' })
        .collect();
    Some(Edit {
        start: at,
        end,
        with,
        guess: false,
    })
}

/// Just past what the author wrote as the value at (or after blanks from) `at`: up to
/// the comma, closing bracket or line end that ends it, so `minus 9` is one value here,
/// where RON would read `minus` and stop.
fn written_value_end(text: &str, at: usize) -> Option<usize> {
    let s = text.as_bytes();
    let mut i = at;
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    let mut depth = 0usize;
    let start = i;
    while i < s.len() {
        match s[i] {
            b'"' => {
                i += 1;
                while i < s.len() && s[i] != b'"' {
                    i += if s[i] == b'\\' { 2 } else { 1 };
                }
                if i >= s.len() {
                    return None;
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
                if depth == 0 {
                    i += 1;
                    break;
                }
            }
            b',' if depth == 0 => break,
            b'\n' if depth == 0 => break,
            _ => {}
        }
        i += 1;
    }
    let end = i.min(s.len());
    // Trailing blanks before a `,` or the line's end are not part of the value.
    let trimmed = text[start..end].trim_end().len();
    (trimmed > 0).then_some(start + trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Thing {
        name: String,
        count: i32,
        loud: bool,
        #[serde(default)]
        tags: Vec<String>,
    }

    fn problems(src: &str) -> Vec<String> {
        let r = parse("t.ron", src, |t| ron::from_str::<Thing>(t));
        r.errors
            .iter()
            .map(|d| format!("{}:{}: {}", d.line, d.col, d.message))
            .collect()
    }

    #[test]
    fn reads_on_past_names_values_and_quotes_it_can_fix() {
        let src = "(\n  nme: \"a\", count: twelve,\n  loud: yes,\n  tags: [“x”, ‘can’t’],\n)\n";
        let got = problems(src);
        assert_eq!(got.len(), 5, "{got:?}");
        assert!(got[0].starts_with("2:3: unknown field `nme`"), "{got:?}");
        assert!(got[0].contains("did you mean `name`?"), "{got:?}");
        // The rename made the line one character longer; the column is the file's own.
        assert!(
            got[1].starts_with("2:20: expected a whole number"),
            "{got:?}"
        );
        assert!(
            got[2].starts_with("3:9: expected `true` or `false`"),
            "{got:?}"
        );
        assert!(got[3].starts_with("4:10: curly quotes"), "{got:?}");
        assert!(got[4].starts_with("4:15: curly quotes"), "{got:?}");
    }

    #[test]
    fn an_unknown_field_with_no_near_name_is_read_past() {
        let got = problems("(name: \"a\", colour: (r: 1, g: [2]), count: 1, loud: maybe)");
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            got[0].starts_with("1:13: unknown field `colour`"),
            "{got:?}"
        );
        assert!(
            got[1].starts_with("1:53: expected `true` or `false`"),
            "{got:?}"
        );
    }

    #[test]
    fn a_value_written_in_words_is_one_problem() {
        let got = problems("(name: \"a\", count: minus 9, loud: true)");
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("1:20: expected a whole number"),
            "{got:?}"
        );
    }

    #[test]
    fn a_broken_bracket_stops_the_reading() {
        let got = problems("(nme: \"a\", count: 1, loud: true\n");
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            got[1].contains("the file ends before the `(` on line 1"),
            "{got:?}"
        );
    }

    #[test]
    fn past_the_limit_it_says_there_is_more() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Many {
            texts: Vec<String>,
        }
        let items: Vec<String> = (0..30).map(|i| format!("  “t{i}”,")).collect();
        let src = format!("(texts: [\n{}\n])", items.join("\n"));
        let r = parse("t.ron", &src, |t| ron::from_str::<Many>(t));
        assert_eq!(r.errors.len(), MAX_PARSE_PROBLEMS + 1);
        let last = r.errors.last().unwrap();
        assert!(
            last.message.starts_with("stopped after 20 problems"),
            "{}",
            last.message
        );
        assert_eq!(last.line, 2 + MAX_PARSE_PROBLEMS, "{}", last.message);
    }

    #[test]
    fn every_missing_field_is_reported_and_the_rest_read_on() {
        let got = problems("(\n  name: \"a\",\n)\n");
        assert_eq!(got, ["3:1: missing fields `count` and `loud` in `Thing`"]);
        // Problems after the written-in fields are still found, at their own columns.
        let got = problems("(name: \"a\", tags: [“x”])");
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with("1:20: curly quotes"), "{got:?}");
        assert_eq!(got[1], "1:24: missing fields `count` and `loud` in `Thing`");
        let r = parse("t.ron", "(name: \"a\")", |t| ron::from_str::<Thing>(t));
        assert!(r.guessed, "made-up values keep value checks from running");
        assert!(r.value.is_some());
    }

    #[test]
    fn a_file_with_no_problem_parses_unpatched() {
        let r = parse("t.ron", "(name: \"a\", count: 1, loud: true)", |t| {
            ron::from_str::<Thing>(t)
        });
        assert!(r.errors.is_empty());
        assert!(r.value.is_some());
    }
}
