//! Normalising a typed line before matching, and mapping matches back to the original.
//!
//! The classifier's patterns are written against a canonical form: lower case, straight
//! quotes, plain dashes, single spaces, runs of `!?` collapsed, and common contractions
//! spelt one way ("dont" → "don't", "u" → "you"). The substitution table is data, from the
//! rule file. Every byte of the normalised text remembers the span of the original it came
//! from, so a match is always reported as byte offsets into what the user typed.

use std::collections::HashMap;

/// Whole-word substitutions, keys in canonical lower case ("dont" → "don't"). Looked up
/// once per word of every line: hashed with foldhash, not the standard library's SipHash
/// (the keys come from the rule file, so there is nothing to defend against).
pub type Substitutions = HashMap<String, String, foldhash::fast::FixedState>;

/// A line in canonical form, with a map back to the original bytes.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    pub text: String,
    /// For each byte of `text`, the original span `(start, end)` it came from.
    origin: Vec<(usize, usize)>,
    original_len: usize,
}

impl Normalized {
    /// The original byte span for the normalised span `start..end`.
    /// The words of a match, as a span of the original: the punctuation and spaces a
    /// pattern may take in at its edges (". How", "you, ") are left out, unless the
    /// match is nothing but them.
    pub fn word_span(&self, start: usize, end: usize) -> (usize, usize) {
        let m = &self.text[start..end];
        let lead = m.len()
            - m.trim_start_matches(|c: char| c.is_whitespace() || ".,;:!-".contains(c))
                .len();
        let trail = m.len()
            - m.trim_end_matches(|c: char| c.is_whitespace() || ",;:-".contains(c))
                .len();
        if lead + trail >= m.len() {
            return self.original_span(start, end);
        }
        self.original_span(start + lead, end - trail)
    }

    pub fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        if start >= self.origin.len() {
            return (self.original_len, self.original_len);
        }
        let s = self.origin[start].0;
        let e = if end > start {
            self.origin[(end - 1).min(self.origin.len() - 1)].1
        } else {
            s
        };
        (s, e.max(s))
    }

    /// Push one ASCII byte, from the original span `span`.
    fn push_byte(&mut self, b: u8, span: (usize, usize)) {
        self.text.push(char::from(b));
        self.origin.push(span);
    }

    fn push(&mut self, c: char, span: (usize, usize)) {
        let before = self.text.len();
        self.text.push(c);
        for _ in before..self.text.len() {
            self.origin.push(span);
        }
    }

    fn push_str(&mut self, s: &str, span: (usize, usize)) {
        self.text.push_str(s);
        self.origin.extend(std::iter::repeat_n(span, s.len()));
    }

    fn last(&self) -> Option<u8> {
        self.text.as_bytes().last().copied()
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '\'' || c == '\u{2019}' || c == '\u{2018}'
}

/// [`is_word_char`] for the byte starting a character: ASCII bytes answer at once, the
/// first byte of a multi-byte character needs the character.
fn starts_word(line: &str, i: usize) -> bool {
    match line.as_bytes()[i] {
        b if b.is_ascii() => b.is_ascii_alphanumeric() || b == b'\'',
        _ => line[i..].chars().next().is_some_and(is_word_char),
    }
}

fn canonical_char(c: char) -> Option<char> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '`' | '\u{00B4}' | '\u{2032}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}' => '"',
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        c if c.is_whitespace() || c.is_control() => ' ',
        c => return if c.is_control() { None } else { Some(c) },
    })
}

/// Normalise `line` using the word `substitutions` (keys in canonical lower case).
pub fn normalize(line: &str, substitutions: &Substitutions) -> Normalized {
    let mut out = Normalized::default();
    normalize_into(line, substitutions, &mut out);
    out
}

/// [`normalize`] into `out`, reusing its buffers: what the classifier calls per line.
/// ASCII, nearly every byte typed, takes a byte at a time; any other character the
/// general path (which `reference::normalize` checks in the tests).
pub fn normalize_into(line: &str, substitutions: &Substitutions, out: &mut Normalized) {
    out.text.clear();
    out.origin.clear();
    out.text.reserve(line.len() + 8);
    out.origin.reserve(line.len() + 8);
    out.original_len = line.len();
    let bytes = line.as_bytes();
    let mut word = String::new();
    let mut i = 0;
    while i < line.len() {
        if starts_word(line, i) {
            // Gather the whole word; quotes around it ('fine', 'u') are not part of it.
            let start = i;
            let mut end = i;
            while end < line.len() && starts_word(line, end) {
                end += utf8_len(bytes[end]);
            }
            i = end;
            let raw = &line[start..end];
            let core = raw.trim_start_matches(is_quote);
            let core_start = start + (raw.len() - core.len());
            let core = core.trim_end_matches(is_quote);
            let core_end = core_start + core.len();
            let rep = if core.is_empty() {
                None
            } else {
                lookup(core, substitutions, &mut word)
            };
            match rep {
                Some(rep) => {
                    push_chars(out, line, start, core_start);
                    out.push_str(rep, (core_start, core_end));
                    push_chars(out, line, core_end, end);
                }
                // Keep a per-character map so spans inside a word stay exact.
                None => push_chars(out, line, start, end),
            }
            continue;
        }
        let b = bytes[i];
        let (c, len) = if b.is_ascii() {
            (char::from(b), 1)
        } else {
            let c = line[i..].chars().next().unwrap_or(' ');
            (c, c.len_utf8())
        };
        let span = (i, i + len);
        i += len;
        let Some(c) = canonical_char(c) else { continue };
        match c {
            ' ' => {
                if !matches!(out.last(), None | Some(b' ')) {
                    out.push_byte(b' ', span);
                }
            }
            '!' | '?' => match out.last() {
                Some(b'!') if c == '?' => {
                    out.text.pop();
                    out.origin.pop();
                    out.push_byte(b'?', span);
                }
                Some(b'!' | b'?') => {
                    if let Some(last) = out.origin.last_mut() {
                        last.1 = span.1;
                    }
                }
                _ => out.push(c, span),
            },
            '.' if out.text.ends_with("...") => {
                if let Some(last) = out.origin.last_mut() {
                    last.1 = span.1;
                }
            }
            '\u{2026}' => out.push_str("...", span),
            c if c.is_ascii() => out.push_byte(c.to_ascii_lowercase() as u8, span),
            c => {
                for l in c.to_lowercase() {
                    out.push(l, span);
                }
            }
        }
    }
    if out.last() == Some(b' ') {
        out.text.pop();
        out.origin.pop();
    }
}

/// How many bytes the character starting with `b` takes.
fn utf8_len(b: u8) -> usize {
    match b {
        0..0xC0 => 1,
        0xC0..0xE0 => 2,
        0xE0..0xF0 => 3,
        _ => 4,
    }
}

/// The substitution for a word (its quotes already trimmed), looked up in canonical lower
/// case: built on the stack for a short ASCII word, in `word` otherwise.
fn lookup<'a>(core: &str, substitutions: &'a Substitutions, word: &mut String) -> Option<&'a str> {
    const SHORT: usize = 32;
    if core.is_ascii() && core.len() <= SHORT {
        let mut buf = [0u8; SHORT];
        let lower = &mut buf[..core.len()];
        lower.copy_from_slice(core.as_bytes());
        lower.make_ascii_lowercase();
        // Lower-cased ASCII is ASCII, so this never fails.
        let key = std::str::from_utf8(lower).ok()?;
        return substitutions.get(key).map(String::as_str);
    }
    word.clear();
    for d in core.chars() {
        push_lower(word, d);
    }
    substitutions.get(word.as_str()).map(String::as_str)
}

fn is_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}')
}

/// Copy `line[from..to]` in canonical lower case, each char mapped to its own span.
fn push_chars(out: &mut Normalized, line: &str, from: usize, to: usize) {
    let mut k = from;
    for d in line[from..to].chars() {
        let span = (k, k + d.len_utf8());
        k = span.1;
        if d.is_ascii() {
            // A word's ASCII characters are letters, digits and `'`: canonical already.
            out.push_byte(d.to_ascii_lowercase() as u8, span);
            continue;
        }
        let d = canonical_char(d).unwrap_or(d);
        for l in d.to_lowercase() {
            out.push(l, span);
        }
    }
}

fn push_lower(word: &mut String, c: char) {
    let c = canonical_char(c).unwrap_or(c);
    for l in c.to_lowercase() {
        word.push(l);
    }
}

/// The original normaliser, kept verbatim as the reference the fast one is tested against.
#[doc(hidden)]
pub mod reference {
    use super::{Normalized, Substitutions};

    fn is_word_char(c: char) -> bool {
        c.is_alphanumeric() || c == '\'' || c == '\u{2019}' || c == '\u{2018}'
    }

    fn canonical_char(c: char) -> Option<char> {
        Some(match c {
            '\u{2018}' | '\u{2019}' | '\u{201B}' | '`' | '\u{00B4}' | '\u{2032}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}' => '"',
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            c if c.is_whitespace() || c.is_control() => ' ',
            c => return if c.is_control() { None } else { Some(c) },
        })
    }

    struct Builder {
        out: String,
        origin: Vec<(usize, usize)>,
    }

    impl Builder {
        fn push(&mut self, c: char, span: (usize, usize)) {
            let before = self.out.len();
            self.out.push(c);
            for _ in before..self.out.len() {
                self.origin.push(span);
            }
        }

        fn push_str(&mut self, s: &str, span: (usize, usize)) {
            self.out.push_str(s);
            self.origin.extend(std::iter::repeat_n(span, s.len()));
        }

        fn last(&self) -> Option<char> {
            self.out.chars().next_back()
        }
    }

    /// Normalise `line` using the word `substitutions` (keys in canonical lower case).
    pub fn normalize(line: &str, substitutions: &Substitutions) -> Normalized {
        let mut b = Builder {
            out: String::with_capacity(line.len() + 8),
            origin: Vec::with_capacity(line.len() + 8),
        };
        let mut iter = line.char_indices().peekable();
        let mut word = String::new();
        while let Some((i, c)) = iter.next() {
            if is_word_char(c) {
                // Gather the whole word; quotes around it ('fine', 'u') are not part of it.
                let start = i;
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = iter.peek() {
                    if !is_word_char(d) {
                        break;
                    }
                    end = j + d.len_utf8();
                    iter.next();
                }
                let raw = &line[start..end];
                let core = raw.trim_start_matches(is_quote);
                let core_start = start + (raw.len() - core.len());
                let core = core.trim_end_matches(is_quote);
                let core_end = core_start + core.len();
                word.clear();
                for d in core.chars() {
                    push_lower(&mut word, d);
                }
                match substitutions.get(word.as_str()) {
                    Some(rep) if !core.is_empty() => {
                        push_chars(&mut b, line, start, core_start);
                        b.push_str(rep, (core_start, core_end));
                        push_chars(&mut b, line, core_end, end);
                    }
                    // Keep a per-character map so spans inside a word stay exact.
                    _ => push_chars(&mut b, line, start, end),
                }
                continue;
            }
            let span = (i, i + c.len_utf8());
            let Some(c) = canonical_char(c) else { continue };
            match c {
                ' ' => {
                    if !matches!(b.last(), None | Some(' ')) {
                        b.push(' ', span);
                    }
                }
                '!' | '?' => match b.last() {
                    Some('!') if c == '?' => {
                        b.out.pop();
                        b.origin.pop();
                        b.push('?', span);
                    }
                    Some('!' | '?') => {
                        if let Some(last) = b.origin.last_mut() {
                            last.1 = span.1;
                        }
                    }
                    _ => b.push(c, span),
                },
                '.' if b.out.ends_with("...") => {
                    if let Some(last) = b.origin.last_mut() {
                        last.1 = span.1;
                    }
                }
                '\u{2026}' => b.push_str("...", span),
                c => {
                    for l in c.to_lowercase() {
                        b.push(l, span);
                    }
                }
            }
        }
        if b.out.ends_with(' ') {
            b.out.pop();
            b.origin.pop();
        }
        Normalized {
            text: b.out,
            origin: b.origin,
            original_len: line.len(),
        }
    }

    fn is_quote(c: char) -> bool {
        matches!(c, '\'' | '\u{2019}' | '\u{2018}')
    }

    /// Copy `line[from..to]` in canonical lower case, each char mapped to its own span.
    fn push_chars(b: &mut Builder, line: &str, from: usize, to: usize) {
        let mut k = from;
        for d in line[from..to].chars() {
            let span = (k, k + d.len_utf8());
            let d = canonical_char(d).unwrap_or(d);
            for l in d.to_lowercase() {
                b.push(l, span);
            }
            k = span.1;
        }
    }

    fn push_lower(word: &mut String, c: char) {
        let c = canonical_char(c).unwrap_or(c);
        for l in c.to_lowercase() {
            word.push(l);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subs() -> Substitutions {
        [("dont", "don't"), ("u", "you"), ("im", "i'm")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn canonical_form() {
        let n = normalize(
            "  Why  DONT u\ttalk to me?!?!  I’m   “fine” — really…",
            &subs(),
        );
        assert_eq!(n.text, "why don't you talk to me? i'm \"fine\" - really...");
    }

    #[test]
    fn spans_map_back_to_original_bytes() {
        let line = "Honestly, u NEVER listen!!!";
        let n = normalize(line, &subs());
        let at = n.text.find("you never").unwrap();
        let (s, e) = n.original_span(at, at + "you never".len());
        assert_eq!(&line[s..e], "u NEVER");
        let bang = n.text.find('!').unwrap();
        let (s, e) = n.original_span(bang, bang + 1);
        assert_eq!(&line[s..e], "!!!");
    }

    fn same_as_reference(line: &str) {
        let subs = subs();
        let fast = normalize(line, &subs);
        let slow = reference::normalize(line, &subs);
        assert_eq!(fast.text, slow.text, "{line:?}");
        assert_eq!(fast.origin, slow.origin, "{line:?}");
        assert_eq!(fast.original_len, slow.original_len, "{line:?}");
    }

    #[test]
    fn the_fast_path_normalises_as_the_reference_does() {
        for line in [
            "",
            "   ",
            "DONT u see?!?! I'M 'u' ‘Dont’ don’t",
            "\tWhy…  so quiet... ok..... `fine` — «really»",
            "Ça va? İstanbul, \u{212A}elvin, STRASSE ẞ, ΣΊΣΥΦΟΣ",
            "supercalifragilisticexpialidociousandthensome DONT",
            "nonASCIIwordthatislongerthanthirtytwobytesé u",
            "'''' ' u' 'u ’’ 1st 2nite B4",
            "\u{1b}[31mred\u{7f} \u{0} 💔 \u{200b}u\u{2028}",
        ] {
            same_as_reference(line);
        }
        // One buffer reused from line to line holds nothing of the line before.
        let mut n = Normalized::default();
        normalize_into("A much LONGER line, u know?!", &subs(), &mut n);
        normalize_into("Im ok", &subs(), &mut n);
        let fresh = reference::normalize("Im ok", &subs());
        assert_eq!((n.text, n.origin), (fresh.text, fresh.origin));
    }

    proptest::proptest! {
        #[test]
        fn any_line_normalises_as_the_reference_does(
            line in "\\PC{0,60}|[a-zA-Z0-9'`’‘ ,.…?!\t-]{0,60}|(?:u|dont|IM|'u'|é|İ|!|\\.| ){0,20}"
        ) {
            same_as_reference(&line);
        }
    }

    #[test]
    fn multibyte_and_controls_are_safe() {
        let line = "Ça\u{1b}[31m va? 💔 İ";
        let n = normalize(line, &subs());
        for i in 0..n.text.len() {
            for j in i..=n.text.len() {
                let (s, e) = n.original_span(i, j);
                assert!(s <= e && e <= line.len());
                assert!(line.is_char_boundary(s) && line.is_char_boundary(e));
            }
        }
        assert!(!n.text.contains('\u{1b}'));
    }
}
