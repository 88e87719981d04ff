//! Located problems in user-written files, printed as `PATH:LINE:COL: message` followed by
//! the source line and a caret under the spot.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: String,
    /// 1-based line and column (column in characters).
    pub line: usize,
    pub col: usize,
    pub message: String,
    /// The offending source line, if known, with control characters made visible.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at a byte offset of `source` (or at 1:1 when unknown).
    pub fn at_offset(path: &str, source: &str, offset: Option<usize>, message: String) -> Self {
        let offset = offset.unwrap_or(0).min(source.len());
        let offset = (0..=offset)
            .rev()
            .find(|&i| source.is_char_boundary(i))
            .unwrap_or(0);
        let before = &source[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = source[line_start..offset].chars().count() + 1;
        Diagnostic::at_line_col(path, source, line, col, message)
    }

    /// A diagnostic at a 1-based line and character column.
    pub fn at_line_col(path: &str, source: &str, line: usize, col: usize, message: String) -> Self {
        let source_line = source
            .lines()
            .nth(line.saturating_sub(1))
            .map(crate::term::visible);
        Diagnostic {
            path: path.to_string(),
            line: line.max(1),
            col: col.max(1),
            message,
            source_line,
        }
    }

    /// From a RON parse error, whose positions are 1-based lines and character columns.
    pub fn from_ron(path: &str, source: &str, err: &ron::error::SpannedError) -> Self {
        use ron::error::Error as E;
        let mut pos = err.span.start;
        // A wrong-type span can start on the blank before the value: step onto the value.
        if let Some(text) = source.lines().nth(pos.line.saturating_sub(1)) {
            let skip = text
                .chars()
                .skip(pos.col.saturating_sub(1))
                .take_while(|c| c.is_whitespace())
                .count();
            if pos.col.saturating_sub(1) + skip < text.chars().count() {
                pos.col += skip;
            }
        }
        let at = offset_of(source, pos.line, pos.col);
        let lexed = lex(source, at);
        let ahead = source[at..].trim_start();
        let ahead_at = source.len() - ahead.len();
        let mut message = ron_message(&err.code);
        let mut moved_to = None;
        if ahead.starts_with(is_curly_quote) {
            // Often reported at the blank before it (the end of the line above).
            moved_to = Some(ahead_at);
            message = "curly quotes: write text between straight double quotes (\"), \
                       not “ ” or ‘ ’"
                .into();
        } else if source.trim().is_empty() {
            message = "the file is empty: a scenario starts with `(` and ends with `)`".into();
        } else if let Some(open) = lexed.unclosed_string {
            // A quote that is never closed swallows the rest of the file.
            moved_to = Some(open);
            message = "this text has no closing `\"`".into();
        } else if let Some(open) = lexed.unclosed_comment {
            moved_to = Some(open);
            message = "this comment is never closed: end it with `*/`".into();
        } else if let Some(&(open, close)) = lexed.strings.last()
            && close <= at
            && source[open..close].contains('\n')
            && !source[close..at].contains('\n')
            && !matches!(err.code, E::NoSuchStructField { .. })
        {
            // A missing closing quote shows up later, where the text "closes" on the next
            // quote and what follows it makes no sense: point at where the text began.
            let ends = line_of(source, close);
            moved_to = Some(open);
            message = format!(
                "this text seems to have no closing `\"`: as written it runs on to line {ends}"
            );
        } else if let Some(form) = condition_form(source, at, &lexed, &err.code) {
            message = form;
        } else if matches!(err.code, E::ExpectedComma | E::ExpectedIdentifier)
            && ahead.starts_with('(')
            && let Some(&(b'(', opened)) = lexed.open.last()
        {
            // Inside `( ... )` only `name: value` can come next, so a `(` here starts the
            // next item of a list: the one before it was never closed.
            let before = source[..ahead_at].trim_end();
            let line = line_of(source, opened);
            message = if before.ends_with(',') {
                moved_to = Some(before.len() - 1);
                format!("the `(` opened on line {line} is not closed: put `)` before this comma")
            } else {
                moved_to = Some(before.len());
                format!("the `(` opened on line {line} is not closed: end it with `),` here")
            };
        } else if let E::UnexpectedChar(c @ (')' | ']' | '}')) = err.code
            && let Some(&(b, opened)) = lexed.open.last()
        {
            let closer = match b {
                b'(' => ')',
                b'[' => ']',
                _ => '}',
            };
            message = format!(
                "this `{c}` does not match the `{}` opened on line {}: close that one with \
                 `{closer}` first",
                b as char,
                line_of(source, opened)
            );
        } else if source[at..].trim().is_empty() && !lexed.open.is_empty() {
            let closers: String = lexed
                .open
                .iter()
                .rev()
                .map(|&(b, _)| match b {
                    b'(' => ')',
                    b'[' => ']',
                    _ => '}',
                })
                .collect();
            let (b, first) = lexed.open[lexed.open.len() - 1];
            message = if closers.len() == 1 {
                format!(
                    "the file ends before the `{}` on line {} is closed: add `{closers}` at the end",
                    b as char,
                    line_of(source, first)
                )
            } else {
                format!(
                    "the file ends with {} brackets still open (the last one opened on line {}): \
                     add `{closers}` at the end",
                    closers.len(),
                    line_of(source, first)
                )
            };
            // Just after the last thing written, where the closing bracket belongs.
            moved_to = Some(source.trim_end().len());
        } else if matches!(err.code, E::TrailingCharacters) {
            // Point at the extra text, not at the blank after the closing bracket.
            let rest = &source[at..];
            moved_to = Some(at + (rest.len() - rest.trim_start().len()));
        } else if matches!(err.code, E::ExpectedComma) {
            // A missing comma is noticed at the next line's first token: point just after
            // the previous value instead, where the comma belongs.
            let lines: Vec<&str> = source.lines().collect();
            let at_line_start = lines.get(pos.line.saturating_sub(1)).is_some_and(|l| {
                l.chars()
                    .take(pos.col.saturating_sub(1))
                    .all(char::is_whitespace)
            });
            if at_line_start
                && let Some((i, prev)) = lines[..pos.line.saturating_sub(1)]
                    .iter()
                    .enumerate()
                    .rev()
                    .find(|(_, l)| !l.trim().is_empty())
            {
                pos.line = i + 1;
                pos.col = prev.trim_end().chars().count() + 1;
                message = "expected a comma at the end of this line".into();
            }
        }
        let message = crate::term::visible(&message);
        match moved_to {
            Some(offset) => Diagnostic::at_offset(path, source, Some(offset), message),
            None => Diagnostic::at_line_col(path, source, pos.line, pos.col, message),
        }
    }
}

/// When the problem is in how a condition is written (`seen("x")`, `not(a, b)`,
/// `after_space_request()`), how that condition is written.
fn condition_form(
    source: &str,
    at: usize,
    lexed: &Lexed,
    code: &ron::error::Error,
) -> Option<String> {
    let name_before = |end: usize| {
        let head = source[..end].trim_end();
        let start = head
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        &head[start..]
    };
    let form = |name: &str| {
        crate::scenario::CONDITION_FORMS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, f)| {
                let note = match *n {
                    "not" => ", with one condition inside",
                    _ if !f.contains('(') => ", with no brackets",
                    _ => "",
                };
                format!("`{n}` is written `{f}`{note}")
            })
    };
    // `seen("x")`: serde names the variant, `RawCondition::Seen`.
    if let ron::error::Error::ExpectedDifferentLength { expected, .. } = code
        && let Some(rest) = expected.split("RawCondition::").nth(1)
    {
        let camel: String = rest
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        let mut snake = String::new();
        for c in camel.chars() {
            if c.is_ascii_uppercase() && !snake.is_empty() {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        }
        return form(&snake);
    }
    // `after_space_request()`: the problem is right after the name.
    if source[at..].trim_start().starts_with('(')
        && let Some(f) = form(name_before(at))
    {
        return Some(f);
    }
    // Inside `name(...)`: too many or too few values.
    let &(b, open) = lexed.open.last()?;
    if b != b'(' {
        return None;
    }
    form(name_before(open))
}

/// Characters that look like a blank or like nothing, outside texts and comments, with
/// what to call them: RON reads them as neither, and the author cannot see them.
pub(crate) fn invisible_characters(source: &str) -> Vec<(usize, &'static str)> {
    let name = |c: char| match c {
        '\u{a0}' => Some("a no-break space"),
        '\u{202f}' => Some("a narrow no-break space"),
        '\u{2000}'..='\u{200a}' | '\u{205f}' | '\u{3000}' => Some("a typographic space"),
        '\u{200b}' => Some("a zero-width space"),
        '\u{200c}' | '\u{200d}' => Some("a zero-width joiner"),
        '\u{2060}' => Some("a word joiner"),
        '\u{feff}' => Some("a byte-order mark"),
        '\u{2028}' | '\u{2029}' => Some("a line separator"),
        _ => None,
    };
    // Every scenario load (the built-ins at start-up too) comes here: only a file that
    // has such a character at all is read for where its texts and comments are.
    if source.is_ascii() || !source.chars().any(|c| name(c).is_some()) {
        return Vec::new();
    }
    let lexed = lex(source, source.len());
    let inside = |i: usize| {
        lexed
            .strings
            .iter()
            .chain(&lexed.comments)
            .any(|&(a, b)| a <= i && i < b)
    };
    source
        .char_indices()
        .filter_map(|(i, c)| name(c).filter(|_| !inside(i)).map(|n| (i, n)))
        .collect()
}

fn is_curly_quote(c: char) -> bool {
    matches!(c, '“' | '”' | '‘' | '’' | '„' | '«' | '»')
}

/// The byte offset of a 1-based line and character column (clamped to the source).
pub fn offset_of(source: &str, line: usize, col: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match source[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return source.len(),
        }
    }
    let text = &source[start..];
    let end = text.find('\n').unwrap_or(text.len());
    start
        + text[..end]
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(end, |(i, _)| i)
}

/// The 1-based line of a byte offset.
fn line_of(source: &str, offset: usize) -> usize {
    source.as_bytes()[..offset.min(source.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// What a quick look at a RON source up to some point finds: the strings (where each
/// opens and just past where it closes), brackets still open, and a string or block
/// comment that never closes.
#[derive(Debug, Default)]
struct Lexed {
    strings: Vec<(usize, usize)>,
    /// Comments, each from its `//` or `/*` to just past its end.
    comments: Vec<(usize, usize)>,
    open: Vec<(u8, usize)>,
    unclosed_string: Option<usize>,
    unclosed_comment: Option<usize>,
}

/// Read `source` up to byte `upto` as RON tokens, only as far as brackets, strings and
/// comments go. Anything up to `upto` counts; a string or comment begun before it that
/// runs to the end of the file is unclosed.
fn lex(source: &str, upto: usize) -> Lexed {
    let s = source.as_bytes();
    let mut out = Lexed::default();
    let mut i = 0;
    while i < s.len() && i < upto {
        match s[i] {
            b'/' if s.get(i + 1) == Some(&b'/') => {
                let open = i;
                while i < s.len() && s[i] != b'\n' {
                    i += 1;
                }
                out.comments.push((open, i));
            }
            b'/' if s.get(i + 1) == Some(&b'*') => {
                let open = i;
                let mut depth = 0;
                while i < s.len() {
                    if s[i..].starts_with(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if s[i..].starts_with(b"*/") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                if depth > 0 {
                    out.unclosed_comment = Some(open);
                }
                out.comments.push((open, i));
                continue;
            }
            b'"' => {
                let open = i;
                i += 1;
                while i < s.len() && s[i] != b'"' {
                    i += if s[i] == b'\\' { 2 } else { 1 };
                }
                if i >= s.len() {
                    out.unclosed_string = Some(open);
                } else {
                    i += 1;
                    out.strings.push((open, i));
                }
                continue;
            }
            b'r' if matches!(s.get(i + 1), Some(b'"' | b'#'))
                && (i == 0 || !(s[i - 1].is_ascii_alphanumeric() || s[i - 1] == b'_')) =>
            {
                let open = i;
                let hashes = s[i + 1..].iter().take_while(|&&b| b == b'#').count();
                if s.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                let body = i + 2 + hashes;
                match s[body..].windows(close.len()).position(|w| w == close) {
                    Some(n) => {
                        i = body + n + close.len();
                        out.strings.push((open, i));
                    }
                    None => {
                        out.unclosed_string = Some(open);
                        i = s.len();
                    }
                }
                continue;
            }
            b'\'' => {
                // A char literal: 'x' or '\n'. An apostrophe anywhere else is left alone.
                let len = source[i + 1..].chars().next().map_or(1, char::len_utf8);
                if s.get(i + 1) == Some(&b'\\') {
                    if let Some(n) = s[i + 2..].iter().position(|&b| b == b'\'') {
                        i += n + 2;
                    }
                } else if s.get(i + 1 + len) == Some(&b'\'') {
                    i += 1 + len;
                }
            }
            b @ (b'(' | b'[' | b'{') => out.open.push((b, i)),
            b @ (b')' | b']' | b'}') => {
                let want = match b {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                if out.open.last().is_some_and(|&(o, _)| o == want) {
                    out.open.pop();
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// "missing field `a` in a band", or "missing fields `a`, `b` and `c` in a band".
pub fn missing_fields(fields: &[&str], outer: Option<&String>) -> String {
    let named: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
    let list = match named.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("s {} and {last}", rest.join(", ")),
        _ => format!(" {}", named.join("")),
    };
    // A reply written as `(weight: 2)` is read as a map inside its reaction, so `ron`
    // names the reaction; but `text` is a reply's field, not a reaction's.
    let reply = "RawReplyFields".to_string();
    let outer = match outer {
        Some(o) if o == "RawReaction" && fields == ["text"] => Some(&reply),
        _ => outer,
    };
    format!("missing field{list} in {}", friendly(outer))
}

/// What the author calls the thing a raw struct stands for.
fn friendly(outer: Option<&String>) -> String {
    let name = outer.map_or("", String::as_str);
    match name {
        "RawScenario" => "the scenario".into(),
        "RawBand" => "a band".into(),
        "RawReaction" => "a reaction".into(),
        "RawReplyFields" => "a reply".into(),
        "RawReveal" => "a reveal".into(),
        "RawEnding" => "an ending".into(),
        "RawCheckIn" => "check_in".into(),
        "RawCondition" => "a condition".into(),
        "" => "this place".into(),
        other => format!("`{other}`"),
    }
}

/// RON's error, reworded for scenario authors, with "did you mean" for near misses.
fn ron_message(code: &ron::error::Error) -> String {
    use ron::error::Error as E;
    let list = |xs: &[&str]| {
        xs.iter()
            .map(|x| format!("`{x}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match code {
        E::NoSuchStructField {
            expected,
            found,
            outer,
        } => format!(
            "unknown field `{found}` in {}{}; expected one of {}",
            friendly(outer.as_ref()),
            crate::suggest::did_you_mean(found, expected.iter().copied()),
            list(expected)
        ),
        E::NoSuchEnumVariant {
            expected,
            found,
            outer,
        } => format!(
            "unknown {} `{found}`{}; expected one of {}",
            if outer.as_deref() == Some("RawCondition") {
                "condition".to_string()
            } else {
                format!("name in {}", friendly(outer.as_ref()))
            },
            crate::suggest::did_you_mean(found, expected.iter().copied()),
            list(expected)
        ),
        E::MissingStructField { field, outer } => missing_fields(&[field], outer.as_ref()),
        E::DuplicateStructField { field, outer } => {
            format!(
                "field `{field}` appears twice in {}",
                friendly(outer.as_ref())
            )
        }
        E::Eof => "the file ends too early".into(),
        E::ExpectedBoolean => "expected `true` or `false`".into(),
        E::ExpectedInteger | E::InvalidIntegerDigit { .. } => {
            "expected a whole number, like `12` or `-10`".into()
        }
        E::ExpectedFloat => "expected a number, like `0.5`".into(),
        E::IntegerOutOfBounds => "this number is too large".into(),
        E::ExpectedString => "expected text in double quotes, like \"Hello\"".into(),
        E::ExpectedStringEnd => "this text has no closing `\"`".into(),
        E::ExpectedArray => "expected a list in square brackets, like `[\"a\", \"b\"]`".into(),
        E::ExpectedArrayEnd => "expected a comma or the `]` that ends this list".into(),
        E::ExpectedMap => "expected a map in curly brackets, like `{ \"key\": [\"a\"] }`".into(),
        E::ExpectedMapColon => "expected a `:` between the key and its value".into(),
        E::ExpectedMapEnd => "expected a comma or the `}` that ends this map".into(),
        E::ExpectedStructLike | E::ExpectedNamedStructLike(_) => {
            "expected a group in round brackets, like `(name: value)`".into()
        }
        E::ExpectedStructLikeEnd => "expected a comma or the `)` that ends this group".into(),
        E::ExpectedComma => "expected a comma here".into(),
        E::ExpectedIdentifier => "expected a field name".into(),
        E::TrailingCharacters => "unexpected text after the closing bracket of the file".into(),
        E::UnclosedBlockComment => "this comment is never closed: end it with `*/`".into(),
        E::UnexpectedChar(c) => format!("unexpected character `{c}`"),
        other => {
            // RON's own wording, in the same lower-case style as the rest.
            let text = other.to_string();
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => text,
            }
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = crate::term::visible(&self.path);
        let message = crate::term::visible(&self.message);
        write!(f, "{path}:{}:{}: {message}", self.line, self.col)?;
        if let Some(text) = &self.source_line {
            let number = self.line.to_string();
            let pad = " ".repeat(number.len());
            // A long line is shown as a window around the spot, marked `…` where cut.
            let chars: Vec<char> = text.chars().collect();
            let spot = self.col - 1;
            let from = if spot > 150 { spot - 100 } else { 0 };
            let to = (from + 200).min(chars.len());
            let mut shown: String = if from > 0 {
                "…".into()
            } else {
                String::new()
            };
            shown.extend(&chars[from.min(to)..to]);
            if to < chars.len() {
                shown.push('…');
            }
            let caret_at = (spot - from + usize::from(from > 0)).min(shown.chars().count());
            let lead: String = shown
                .chars()
                .take(caret_at)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "\n{pad} |\n{number} | {shown}\n{pad} | {lead}^")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Where things are in a RON file.
//
// serde gives the validator values, not positions. Once a file has parsed, `SourceTree`
// reads it a second time, lightly (strings, comments, brackets, field names), and keeps
// where every value starts, so a problem found later can be reported at the very item it
// is about: `reactions[12].replies[3]`, not the first `replies:` in the file.

/// One step from a value to a part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The value of a struct field.
    Field(&'static str),
    /// The name of a struct field (for problems with the field as a whole).
    Name(&'static str),
    /// An element of a list, or an argument of `name(a, b)`.
    Index(usize),
    /// The value under a string key of a map.
    Key(String),
    /// The key itself of a map entry.
    KeyName(String),
    /// Into field `text` when the value is a struct; else stays (a reply is a string or
    /// `(text: ...)`).
    Text,
}

/// A path from the top of the file: built step by step as validation walks the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loc(pub Vec<Step>);

impl Loc {
    pub fn root() -> Loc {
        Loc(Vec::new())
    }

    fn with(&self, step: Step) -> Loc {
        let mut steps = self.0.clone();
        steps.push(step);
        Loc(steps)
    }

    pub fn field(&self, name: &'static str) -> Loc {
        self.with(Step::Field(name))
    }

    pub fn name(&self, name: &'static str) -> Loc {
        self.with(Step::Name(name))
    }

    pub fn index(&self, i: usize) -> Loc {
        self.with(Step::Index(i))
    }

    pub fn key(&self, key: &str) -> Loc {
        self.with(Step::Key(key.to_string()))
    }

    pub fn key_name(&self, key: &str) -> Loc {
        self.with(Step::KeyName(key.to_string()))
    }

    pub fn text(&self) -> Loc {
        self.with(Step::Text)
    }
}

#[derive(Debug)]
struct Node {
    /// Byte offset of the value's first character.
    start: usize,
    kind: NodeKind,
}

#[derive(Debug)]
enum NodeKind {
    /// A number, an identifier, a char, a unit.
    Atom,
    /// A string literal, decoded.
    Str(String),
    /// `(a: 1, b: 2)` or `Name(a: 1)`: (field name, where the name is, value).
    Struct(Vec<(String, usize, Node)>),
    /// `(1, 2)`, `name(1, 2)` or `Some(x)`.
    Tuple(Vec<Node>),
    List(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// The positions of every value in a RON source that has already parsed.
#[derive(Debug)]
pub struct SourceTree {
    root: Option<Node>,
}

impl SourceTree {
    pub fn new(source: &str) -> SourceTree {
        let mut p = Reader {
            s: source.as_bytes(),
            src: source,
            i: 0,
        };
        p.skip_attributes();
        SourceTree { root: p.value() }
    }

    /// Byte offset of the item at `loc`, or of the nearest enclosing item found.
    pub fn offset(&self, loc: &Loc) -> Option<usize> {
        let mut node = self.root.as_ref()?;
        let mut at = node.start;
        for step in &loc.0 {
            node = unwrap_newtype(node, step);
            let next = match (step, &node.kind) {
                (Step::Field(name), NodeKind::Struct(fields)) => fields
                    .iter()
                    .find(|f| f.0 == *name)
                    .map(|f| (&f.2, f.2.start)),
                (Step::Name(name), NodeKind::Struct(fields)) => {
                    return Some(fields.iter().find(|f| f.0 == *name).map_or(at, |f| f.1));
                }
                (Step::Index(i), NodeKind::List(items) | NodeKind::Tuple(items)) => {
                    items.get(*i).map(|n| (n, n.start))
                }
                (Step::Key(k) | Step::KeyName(k), NodeKind::Map(entries)) => entries
                    .iter()
                    .find(|(key, _)| matches!(&key.kind, NodeKind::Str(s) if s == k))
                    .map(|(key, value)| match step {
                        Step::KeyName(_) => (key, key.start),
                        _ => (value, value.start),
                    }),
                (Step::Text, NodeKind::Struct(fields)) => fields
                    .iter()
                    .find(|f| f.0 == "text")
                    .map(|f| (&f.2, f.2.start))
                    .or(Some((node, node.start))),
                (Step::Text, _) => Some((node, node.start)),
                _ => None,
            };
            match next {
                Some((n, offset)) => {
                    node = n;
                    at = offset;
                }
                None => return Some(at),
            }
        }
        Some(at)
    }
}

/// `Some(x)` (and any one-argument wrapper) stands for `x` when the path goes inside it.
fn unwrap_newtype<'n>(mut node: &'n Node, step: &Step) -> &'n Node {
    if matches!(step, Step::Index(_) | Step::Text) {
        // An index into `name(a, b)` addresses the arguments themselves.
        return node;
    }
    while let NodeKind::Tuple(items) = &node.kind
        && items.len() == 1
    {
        node = &items[0];
    }
    node
}

/// Just past the RON value that starts at `at` (after blanks), if it reads as one value.
pub(crate) fn value_end(source: &str, at: usize) -> Option<usize> {
    let mut r = Reader {
        s: source.as_bytes(),
        src: source,
        i: at,
    };
    r.value()?;
    Some(r.i.min(source.len()))
}

/// A forgiving reader over RON that has already been parsed by `ron`: it never fails
/// loudly, it just stops describing the file where it no longer understands it.
struct Reader<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        loop {
            match self.peek() {
                Some(c) if c.is_ascii_whitespace() => self.i += 1,
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'/') => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.i += 1;
                    }
                }
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'*') => {
                    // Block comments nest in RON.
                    self.i += 2;
                    let mut depth = 1;
                    while depth > 0 && self.i < self.s.len() {
                        if self.s[self.i..].starts_with(b"/*") {
                            depth += 1;
                            self.i += 2;
                        } else if self.s[self.i..].starts_with(b"*/") {
                            depth -= 1;
                            self.i += 2;
                        } else {
                            self.i += 1;
                        }
                    }
                }
                Some(c) if c >= 0x80 => {
                    // Unicode whitespace is rare; anything else non-ASCII ends the blank.
                    match self.src[self.i..].chars().next() {
                        Some(ch) if ch.is_whitespace() => self.i += ch.len_utf8(),
                        _ => return,
                    }
                }
                _ => return,
            }
        }
    }

    /// `#![enable(...)]` lines before the value.
    fn skip_attributes(&mut self) {
        loop {
            self.skip_ws();
            if !self.s[self.i.min(self.s.len())..].starts_with(b"#!") {
                return;
            }
            let mut depth = 0;
            while let Some(c) = self.peek() {
                self.i += 1;
                match c {
                    b'[' => depth += 1,
                    b']' => {
                        depth -= 1;
                        if depth <= 0 {
                            break;
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn ident(&mut self) -> &str {
        let start = self.i;
        if self.s[self.i..].starts_with(b"r#") {
            self.i += 2;
        }
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80)
        {
            self.i += 1;
        }
        let end = self.i.min(self.s.len());
        self.src
            .get(start..end)
            .unwrap_or("")
            .trim_start_matches("r#")
    }

    fn value(&mut self) -> Option<Node> {
        self.skip_ws();
        let start = self.i;
        let c = self.peek()?;
        let kind = match c {
            b'"' => NodeKind::Str(self.string()?),
            b'r' | b'b' if self.raw_or_byte_string_ahead() => {
                if self.peek() == Some(b'b') {
                    self.i += 1;
                }
                if self.peek() == Some(b'r') {
                    NodeKind::Str(self.raw_string()?)
                } else {
                    NodeKind::Str(self.string()?)
                }
            }
            b'\'' => {
                self.i += 1;
                while let Some(c) = self.peek() {
                    self.i += 1;
                    match c {
                        b'\\' => self.i += 1,
                        b'\'' => break,
                        _ => {}
                    }
                }
                NodeKind::Atom
            }
            b'[' => {
                self.i += 1;
                NodeKind::List(self.items(b']')?)
            }
            b'{' => {
                self.i += 1;
                let mut entries = Vec::new();
                loop {
                    self.skip_ws();
                    if self.peek()? == b'}' {
                        self.i += 1;
                        break;
                    }
                    let key = self.value()?;
                    self.skip_ws();
                    if self.peek()? != b':' {
                        return None;
                    }
                    self.i += 1;
                    let value = self.value()?;
                    entries.push((key, value));
                    self.skip_ws();
                    if self.peek() == Some(b',') {
                        self.i += 1;
                    }
                }
                NodeKind::Map(entries)
            }
            b'(' => self.group()?,
            c if c.is_ascii_alphabetic() || c == b'_' => {
                self.ident();
                let after = self.i;
                self.skip_ws();
                if self.peek() == Some(b'(') {
                    self.group()?
                } else {
                    self.i = after;
                    NodeKind::Atom
                }
            }
            _ => {
                // Numbers and anything else: up to the next separator.
                while self.peek().is_some_and(|c| {
                    !c.is_ascii_whitespace() && !matches!(c, b',' | b')' | b']' | b'}' | b':')
                }) {
                    self.i += 1;
                }
                if self.i == start {
                    return None;
                }
                NodeKind::Atom
            }
        };
        Some(Node { start, kind })
    }

    fn raw_or_byte_string_ahead(&self) -> bool {
        let rest = &self.s[self.i..];
        rest.starts_with(b"r\"")
            || rest.starts_with(b"r#") && rest[1..].iter().find(|&&c| c != b'#') == Some(&b'"')
            || rest.starts_with(b"b\"")
            || rest.starts_with(b"br\"")
            || rest.starts_with(b"br#")
    }

    /// A `"..."` literal, decoded (the common escapes; others kept as written).
    fn string(&mut self) -> Option<String> {
        self.i += 1;
        let mut out = String::new();
        let mut from = self.i;
        loop {
            let c = self.peek()?;
            match c {
                b'"' => {
                    out.push_str(self.src.get(from..self.i)?);
                    self.i += 1;
                    return Some(out);
                }
                b'\\' => {
                    out.push_str(self.src.get(from..self.i)?);
                    let e = *self.s.get(self.i + 1)?;
                    self.i += 2;
                    match e {
                        b'n' => out.push('\n'),
                        b't' => out.push('\t'),
                        b'r' => out.push('\r'),
                        b'0' => out.push('\0'),
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'\'' => out.push('\''),
                        b'\n' => self.skip_ws(),
                        _ => {
                            // \u{..} and \x..: kept as written; they only matter for
                            // matching map keys, which are plain words.
                            out.push('\\');
                            out.push(e as char);
                        }
                    }
                    from = self.i;
                }
                _ => self.i += 1,
            }
        }
    }

    /// `r"..."` or `r#"..."#`.
    fn raw_string(&mut self) -> Option<String> {
        self.i += 1;
        let mut hashes = 0;
        while self.peek() == Some(b'#') {
            hashes += 1;
            self.i += 1;
        }
        if self.peek()? != b'"' {
            return None;
        }
        self.i += 1;
        let start = self.i;
        let close: Vec<u8> = std::iter::once(b'"')
            .chain(std::iter::repeat_n(b'#', hashes))
            .collect();
        let len = self.s[start..]
            .windows(close.len())
            .position(|w| w == close.as_slice())?;
        self.i = start + len + close.len();
        Some(self.src.get(start..start + len)?.to_string())
    }

    /// After `(`: a struct when the first thing inside is `name:`, else a tuple.
    fn group(&mut self) -> Option<NodeKind> {
        self.i += 1;
        self.skip_ws();
        let save = self.i;
        let is_struct = if self
            .peek()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        {
            self.ident();
            self.skip_ws();
            let colon = self.peek() == Some(b':') && self.s.get(self.i + 1) != Some(&b':');
            self.i = save;
            colon
        } else {
            false
        };
        if !is_struct {
            return Some(NodeKind::Tuple(self.items(b')')?));
        }
        let mut fields = Vec::new();
        loop {
            self.skip_ws();
            if self.peek()? == b')' {
                self.i += 1;
                break;
            }
            let name_at = self.i;
            let name = self.ident().to_string();
            if name.is_empty() {
                return None;
            }
            self.skip_ws();
            if self.peek()? != b':' {
                return None;
            }
            self.i += 1;
            let value = self.value()?;
            fields.push((name, name_at, value));
            self.skip_ws();
            if self.peek() == Some(b',') {
                self.i += 1;
            }
        }
        Some(NodeKind::Struct(fields))
    }

    /// Comma-separated values up to `close`.
    fn items(&mut self, close: u8) -> Option<Vec<Node>> {
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            if self.peek()? == close {
                self.i += 1;
                return Some(items);
            }
            items.push(self.value()?);
            self.skip_ws();
            if self.peek() == Some(b',') {
                self.i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(src: &str, loc: &Loc) -> (usize, usize) {
        let d = Diagnostic::at_offset(
            "a.ron",
            src,
            SourceTree::new(src).offset(loc),
            String::new(),
        );
        (d.line, d.col)
    }

    #[test]
    fn the_tree_finds_each_item_in_its_own_place() {
        let src = r##"#![enable(implicit_some)]
// a comment with "quotes" and (brackets
(
    id: "x", /* a (block /* nested */) comment */
    bands: [(id: "low", from: 0), (id: "high", from: 50)],
    words: { "stressor": ["a", "b"], "grievance": [] },
    reactions: [
        (on: "criticism", when: [band("low"), not(seen("pursuit", 2))], replies: [
            "one \"quoted\" reply",
            (text: "two", weight: 2),
            r#"raw "three""#,
        ]),
    ],
    check_in: Some((openness: 60, went_well: "w")),
    nothing: None,
)"##;
        let r = Loc::root();
        let reply = |i| r.field("reactions").index(0).field("replies").index(i);
        assert_eq!(at(src, &r.field("id")), (4, 9));
        assert_eq!(at(src, &r.field("bands").index(1).field("id")), (5, 40));
        assert_eq!(at(src, &r.field("bands").index(1).name("from")), (5, 48));
        assert_eq!(at(src, &r.field("words").key("grievance")), (6, 51));
        assert_eq!(at(src, &r.field("words").key_name("grievance")), (6, 38));
        assert_eq!(at(src, &reply(0).text()), (9, 13));
        assert_eq!(at(src, &reply(1).text()), (10, 20));
        assert_eq!(at(src, &reply(2)), (11, 13));
        let when = r.field("reactions").index(0).field("when");
        assert_eq!(at(src, &when.index(0).index(0)), (8, 39));
        assert_eq!(at(src, &when.index(1).index(0).index(0)), (8, 56));
        assert_eq!(at(src, &r.field("check_in").field("went_well")), (14, 46));
        // A path that goes further than the file: the nearest enclosing item.
        assert_eq!(at(src, &reply(7)), (8, 82));
        assert_eq!(at(src, &r.field("missing").index(3)), (3, 1));
    }

    #[test]
    fn a_long_line_is_shown_around_the_spot() {
        let line = format!("{}X{}", "a".repeat(2000), "b".repeat(500));
        let d = Diagnostic::at_line_col("a.ron", &line, 1, 2001, "here".into());
        let shown = d.to_string();
        let mut rows = shown.lines().skip(2);
        let text = rows.next().unwrap().trim_start_matches("1 | ");
        let caret = rows.next().unwrap().trim_start_matches("  | ");
        assert!(text.starts_with('…') && text.ends_with('…'), "{shown}");
        assert!(text.chars().count() < 250, "{shown}");
        let under = caret.chars().count() - 1;
        assert_eq!(text.chars().nth(under), Some('X'), "{shown}");
    }

    #[test]
    fn renders_location_line_and_caret() {
        let src = "(\n  id: 3,\n)";
        let d = Diagnostic::at_offset("a.ron", src, Some(8), "expected a string".into());
        assert_eq!((d.line, d.col), (2, 7));
        assert_eq!(
            d.to_string(),
            "a.ron:2:7: expected a string\n  |\n2 |   id: 3,\n  |       ^"
        );
    }
}
