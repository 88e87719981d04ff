//! Making text safe for the terminal: nothing a user typed or a file contained may drive it.

/// Replace control characters (escape sequences, bells, carriage returns, C1 controls)
/// with visible `\u{..}`-style escapes, keeping ordinary text and tabs as they are.
pub fn visible(s: &str) -> String {
    if !s.chars().any(needs_escape) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Like [`visible`] for one line of output: newlines become spaces too.
pub fn one_line(s: &str) -> String {
    visible(&s.replace(['\n', '\r'], " "))
}

/// A scenario's id for an ending, a reveal or a band, as words to show a person:
/// `left_it_there` and `deadline-moved` read "left it there" and "deadline moved".
pub fn readable_id(id: &str) -> String {
    one_line(&id.replace(['_', '-'], " "))
}

/// `"text".` ending a sentence, or `"text?"` alone when the quote ends with its own mark.
pub fn quoted_sentence_end(text: &str) -> String {
    if text.trim_end().ends_with(['.', '?', '!', '…']) {
        format!("\"{}\"", text.trim_end())
    } else {
        format!("\"{text}\".")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_cannot_reach_the_terminal() {
        let s = visible("hi \u{1b}[2J\u{7}\r there\u{9b}31m");
        assert!(!s.chars().any(|c| c.is_control() && c != '\t'));
        assert!(s.contains("\\u{1b}[2J"));
        assert_eq!(
            visible("plain, tabs\tand ünïcode"),
            "plain, tabs\tand ünïcode"
        );
    }

    #[test]
    fn a_quote_ends_its_sentence_once() {
        assert_eq!(quoted_sentence_end("Sunday at 6"), "\"Sunday at 6\".");
        assert_eq!(quoted_sentence_end("Sunday at 6."), "\"Sunday at 6.\"");
        assert_eq!(quoted_sentence_end("Sunday?"), "\"Sunday?\"");
    }
}
