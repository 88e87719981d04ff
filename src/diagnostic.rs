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
        let mut message = ron_message(&err.code);
        // A missing comma is noticed at the next line's first token: point just after the
        // previous value instead, where the comma belongs.
        if matches!(err.code, ron::error::Error::ExpectedComma) {
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
        Diagnostic::at_line_col(path, source, pos.line, pos.col, message)
    }
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
        E::MissingStructField { field, outer } => {
            format!("missing field `{field}` in {}", friendly(outer.as_ref()))
        }
        E::DuplicateStructField { field, outer } => {
            format!(
                "field `{field}` appears twice in {}",
                friendly(outer.as_ref())
            )
        }
        other => other.to_string(),
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
            let shown: String = text.chars().take(200).collect();
            let caret_at = (self.col - 1).min(shown.chars().count());
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

#[cfg(test)]
mod tests {
    use super::*;

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
