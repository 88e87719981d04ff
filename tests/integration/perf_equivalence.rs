//! The fast classifier must say exactly what the straightforward one says: same moves,
//! same rule ids, same spans, same safety flag, for the built-in rules, for rules extended
//! with a scenario's words, and for a synthetic rule file full of awkward patterns. Runs
//! both over the labelled corpora and a few thousand generated and mutated lines, with
//! and without the after-space context.

use rehearse::classify::{Classifier, Context};
use rehearse::rules::{RawRuleFile, RuleSet};
use std::collections::BTreeMap;
use std::path::Path;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

fn tsv_texts(path: &Path) -> Vec<String> {
    let Ok(src) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    src.lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t').map(|(_, t)| t.to_string()))
        .collect()
}

fn seed_lines(rules: &RuleSet) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut lines = tsv_texts(&root.join("tests/corpus/moves.tsv"));
    lines.extend(tsv_texts(&root.join("tests/corpus/safety.tsv")));
    lines.extend(tsv_texts(&root.join("../shared/eval/moves-dev.tsv")));
    for r in &rules.rules {
        lines.extend(r.examples.iter().cloned());
        lines.extend(r.counter_examples.iter().cloned());
    }
    lines
}

const ODD: &[&str] = &[
    "\u{2019}",
    "\u{2018}",
    "\u{201c}",
    "\u{201d}",
    "\u{2014}",
    "\u{2026}",
    "é",
    "É",
    "İ",
    "ß",
    "\u{fb01}",
    "\u{1f494}",
    "\u{200b}",
    "\u{0}",
    "\u{1b}[31m",
    "\t",
    "  ",
    "!!!",
    "?!?",
    "...",
    "'",
    "\"",
    "-",
    ",",
    ".",
    "?",
    "ǅ",
    "Ω",
    "K",
    "ſ",
    "\u{307}",
    "\u{301}",
    "日本",
    "\u{a0}",
    "\u{2003}",
    "\u{3000}",
    "٣",
    "\u{2165}",
    "Q",
    "\u{1}",
    "\u{1f600}you",
    "naïve",
    "½",
    "²",
    "\u{2009}",
    "‿",
    "\u{200d}",
    "Z",
    "X",
    "\u{2}",
];

/// Mutations of real lines: case, quotes, non-ASCII, punctuation, splices, class words.
fn generated(rules: &RuleSet, seeds: &[String], n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed | 1);
    let words: Vec<&str> = rules
        .classes
        .values()
        .flatten()
        .map(String::as_str)
        .filter(|w| !w.contains(['\\', '?', '(', '[', '|']))
        .chain(rules.substitutions.keys().map(String::as_str))
        .collect();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let mut line = rng.pick(seeds).clone();
        for _ in 0..1 + rng.below(3) {
            let cut = |line: &str, rng: &mut Rng| {
                let bounds: Vec<usize> = (0..=line.len())
                    .filter(|&i| line.is_char_boundary(i))
                    .collect();
                *rng.pick(&bounds)
            };
            match rng.below(9) {
                0 => line = line.to_uppercase(),
                1 => {
                    let at = cut(&line, &mut rng);
                    let odd = *rng.pick(ODD);
                    line.insert_str(at, odd);
                }
                2 => {
                    let at = cut(&line, &mut rng);
                    let w = *rng.pick(&words);
                    line.insert_str(at, &format!(" {w} "));
                }
                3 => {
                    let other = rng.pick(seeds).clone();
                    let at = cut(&line, &mut rng);
                    let at2 = cut(&other, &mut rng);
                    line = format!("{}{}", &line[..at], &other[at2..]);
                }
                4 => line = line.replace(['\'', '’'], ""),
                5 => line = line.replace('\'', "\u{2019}").replace(' ', "  "),
                6 => {
                    let at = cut(&line, &mut rng);
                    let mut end = (at + 1 + rng.below(4)).min(line.len());
                    while !line.is_char_boundary(end) {
                        end += 1;
                    }
                    line.replace_range(at..end, "");
                }
                7 => {
                    line = line
                        .chars()
                        .map(|c| {
                            if rng.below(4) == 0 {
                                c.to_ascii_uppercase()
                            } else {
                                c
                            }
                        })
                        .collect()
                }
                _ => {
                    let other = rng.pick(seeds).clone();
                    line = format!("{line} {other}");
                }
            }
        }
        out.push(line);
    }
    out
}

fn assert_same(c: &Classifier, lines: &[String]) {
    let mut failures = Vec::new();
    for line in lines {
        for after in [false, true] {
            let ctx = Context {
                after_space_request: after,
            };
            let fast = c.classify(line, ctx);
            let reference = c.classify_reference(line, ctx);
            if fast != reference && failures.len() < 10 {
                failures.push(format!(
                    "{line:?} (after space: {after})\n  fast:      {fast:?}\n  reference: {reference:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn builtin_rules_fast_equals_reference_on_corpora_and_generated_lines() {
    let c = Classifier::builtin();
    let mut lines = seed_lines(c.rules());
    assert!(lines.len() > 600, "corpora missing: {}", lines.len());
    let extra = generated(c.rules(), &lines, 4000, 0x5eed);
    lines.extend(extra);
    assert_same(&c, &lines);
}

#[test]
fn scenario_words_fast_equals_reference() {
    let raw: RawRuleFile = ron::from_str(rehearse::rules::BUILTIN_RULES).unwrap();
    let extra: BTreeMap<String, Vec<String>> = [
        (
            "grievance".to_string(),
            vec!["the camping trip".to_string(), "Café (again)?".to_string()],
        ),
        (
            "stressor".to_string(),
            vec!["the Henderson account".to_string(), "ŞİRKET".to_string()],
        ),
    ]
    .into_iter()
    .collect();
    let c = Classifier::new(RuleSet::from_raw(raw, &extra).unwrap()).unwrap();
    let mut seeds = seed_lines(c.rules());
    seeds.extend([
        "And then there was the camping trip again.".to_string(),
        "How's the Henderson account going?".to_string(),
        "Is the café (again)? thing still bothering you?".to_string(),
        "How is şirket going, it sounds hard".to_string(),
    ]);
    let lines = generated(c.rules(), &seeds, 1500, 0xfeed);
    assert_same(&c, &lines);
}

/// Awkward patterns for a literal prefilter and for ASCII-only matching: case flags,
/// empty matches, classes, Unicode word boundaries, `.` and negated classes on non-ASCII,
/// anchors, optional words, exceptions that overlap, and for anchored searches tried only
/// where a match can begin: optional or repeated first parts, matches back to back.
const SYNTHETIC: &str = r#"(
    substitutions: { "u": "you", "dont": "don't" },
    classes: { "abs": ["never", "always", "ever?"], "x": ["é+", "ß", "caf\\w", "(?i)K"] },
    rules: [
        (id: "a.case", move: "criticism", patterns: ["(?i)YOU {abs}", "\\bwhy\\b(?i:NOT)?"], exceptions: ["you never know"], guide: "g"),
        (id: "a.empty", move: "contempt", patterns: ["x*", "\\b", "(?:)", "^"], overrides: ["criticism"], guide: "g"),
        (id: "a.class", move: "pursuit", patterns: ["{x}\\s", "[^a-z ]{2,}", "\\w+é", ".\\b."], exceptions: ["\\bß", "[0-9]"], guide: "g"),
        (id: "a.bound", move: "i_statement", patterns: ["\\bi feel[^.?!]{0,20}\\b(?:sad|hurt)\\b", "(?-u:\\b)me(?-u:\\b)", "^i\\b", "hurt$", "\\Bel\\B"], guide: "g"),
        (id: "a.opt", move: "playfulness", patterns: ["(?:thank(?:s| you)?|cheers)?!", "(?:a|b)?(?:c|d)?e{0,2}f", "you{0}r", "(?s).{3}z"], when: after_space_request, guide: "g"),
        (id: "a.safe", move: "safety", patterns: ["\\b(?:hit|hurt)s? me\\b", "\\bkill\\w*"], exceptions: ["killing me", "hit me up"], guide: "g"),
        (id: "a.start", move: "follow_up", patterns: ["(?:so,? )?\\byou\\b", "(?:^|[.!?] )(?:well )?i\\b", "[.,] ?but\\b", "a{0,3}b", "aa", "(?:\\bno|yes\\b)", "(?:£|\\$)\\d+", "(?:[^.?!]{0,8})\\bok\\b"], exceptions: ["\\bbab"], guide: "g"),
        (id: "a.uni", move: "specific_need", patterns: ["ǆ", "straße", "[α-ωΑ-Ω]+", "\\pL{3}\\d", "[[:alpha:]]{12}", "\\d\\d"], guide: "g"),
        (id: "a.named", move: "validation", patterns: ["\\bcafé\\b", "[£€]\\d", "[^£\\w\\s]\\w", "\\bna[ïi]ve\\B", "\\w[^\\wé]"], exceptions: ["é£"], guide: "g"),
        (id: "k.space", move: "defensiveness", patterns: ["\\w\\s\\w"], guide: "g"),
        (id: "k.nonspace", move: "dismissing", patterns: ["\\S\\S\\S\\s"], guide: "g"),
        (id: "k.symbol", move: "kitchen_sinking", patterns: ["[^\\w\\s]+"], guide: "g"),
        (id: "k.digit", move: "assuming_intent", patterns: ["\\b\\d+\\b"], guide: "g"),
        (id: "k.number", move: "open_question", patterns: ["[\\pN--\\d]"], guide: "g"),
        (id: "k.word", move: "reflective_listening", patterns: ["\\w{2}\\b"], guide: "g"),
    ],
)"#;

#[test]
fn synthetic_rules_fast_equals_reference() {
    let rules = RuleSet::parse(SYNTHETIC)
        .map_err(|e| format!("{e:?}"))
        .unwrap();
    let c = Classifier::new(rules).unwrap();
    let builtin = RuleSet::builtin();
    let mut seeds = seed_lines(&builtin);
    seeds.extend(
        [
            "Why not? You NEVER listen, u dont care.",
            "Thank you! cheers! cdf aef zzz",
            "I feel so very sad. It hurt",
            "ǅemal said Straße, STRASSE, café cafe\u{301} ÉÉ ß",
            "he hits me and says it's killing me 42",
            "ΑΒΓ δέλτα el hello bell",
            "ababab aaaa aaaaa baab. well i said so, you know. yes no noyes, but ok",
            "£5 or $10? i. but,but ok ok",
            "you\u{1f494}never, café\u{2003}you ٣٣ ok\u{3000}yes Ⅻ ΩΩΩ1 Qué \u{1}é",
            "i feel sad٣ hurt½ i\u{2009}feel\u{2009}hurt ab٣b a²b kill٣ ok½ok ٣٣ Ⅻ3 you‿r",
            "cafè café caféé cafés £5 €5 ¥5 5£ é£ naïve naïves naïveté NAÏVE Café—ok €£x",
            "",
            "!!",
        ]
        .map(String::from),
    );
    let mut lines = seeds.clone();
    lines.extend(generated(&builtin, &seeds, 2500, 0xabcdef));
    assert_same(&c, &lines);
}

#[test]
fn classify_jobs_2_equals_jobs_1_in_input_order() {
    let rules = RuleSet::builtin();
    let seeds = seed_lines(&rules);
    let mut input = generated(&rules, &seeds, 3000, 0x10b5).join("\n");
    input.push('\n');
    let env = crate::common::Env::new();
    let run = |args: &[&str]| {
        let out = env
            .cmd(args)
            .write_stdin(input.clone())
            .output()
            .expect("runs");
        assert!(out.status.success(), "{args:?}");
        out.stdout
    };
    let one = run(&["classify", "--json"]);
    assert_eq!(one.iter().filter(|&&b| b == b'\n').count(), 3000);
    assert_eq!(one, run(&["classify", "--json", "--jobs", "2"]));
    assert_eq!(
        run(&["classify", "--color", "never"]),
        run(&["classify", "--color", "never", "--jobs", "3"])
    );
}
