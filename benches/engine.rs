//! `cargo bench --bench engine`: classifier throughput, one engine turn, and the start-up
//! pieces. Targets and the whole-program figures are in `scripts/bench.sh`.

use divan::{Bencher, black_box};
use rehearse::classify::{Classifier, Context};
use rehearse::session::Session;
use std::sync::OnceLock;

fn main() {
    divan::main();
}

fn classifier() -> &'static Classifier {
    static C: OnceLock<Classifier> = OnceLock::new();
    // Compiled in full first, as `play` does on its background thread: the benches
    // measure matching, not first-use compilation.
    C.get_or_init(|| {
        let c = Classifier::builtin();
        c.warm();
        c
    })
}

fn lines() -> &'static [String] {
    static L: OnceLock<Vec<String>> = OnceLock::new();
    L.get_or_init(|| {
        include_str!("../tests/corpus/moves.tsv")
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once('\t').map(|(_, t)| t.to_string()))
            .collect()
    })
}

/// Classify every line of the corpus once (throughput: lines per iteration).
#[divan::bench]
fn classify_corpus(b: Bencher) {
    let c = classifier();
    let lines = lines();
    b.counter(divan::counter::ItemsCount::new(lines.len()))
        .bench(|| {
            for l in lines {
                black_box(c.classify(l, Context::default()));
            }
        });
}

/// Classify one line of new text: the start of one corpus line joined at a word boundary
/// to the end of another, so lines seldom repeat (the repeated corpus above
/// is served from warm DFA caches; this is what unseen text costs).
#[divan::bench(sample_count = 3000, sample_size = 1)]
fn classify_new_text(b: Bencher) {
    let c = classifier();
    let words: Vec<Vec<&str>> = lines().iter().map(|l| l.split(' ').collect()).collect();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    b.counter(divan::counter::ItemsCount::new(1usize))
        .with_inputs(|| {
            let (a, z) = (&words[next(words.len())], &words[next(words.len())]);
            let (i, j) = (1 + next(a.len()), next(z.len()));
            let mut line = a[..i].join(" ");
            line.push(' ');
            line.push_str(&z[j..].join(" "));
            line
        })
        .bench_local_refs(|l| black_box(c.classify(l, Context::default())));
}

/// One engine turn: classify + partner step + record, over a 20-turn session.
#[divan::bench]
fn session_of_20_turns(b: Bencher) {
    let c = classifier();
    let sc = rehearse::builtin::get(rehearse::builtin::DEFAULT).unwrap();
    let lines = lines();
    b.counter(divan::counter::ItemsCount::new(20usize))
        .bench(|| {
            let mut s = Session::new(&sc, c, 7);
            for l in lines.iter().take(20) {
                black_box(s.step(l));
            }
        });
}

/// Parse and validate the rule file.
#[divan::bench(sample_count = 10)]
fn load_rules() {
    black_box(rehearse::rules::RuleSet::builtin());
}

/// Compile the rules into a classifier.
#[divan::bench(sample_count = 5)]
fn compile_classifier() {
    black_box(Classifier::builtin());
}

/// Parse every built-in scenario.
#[divan::bench(sample_count = 20)]
fn parse_scenarios() {
    black_box(rehearse::builtin::all());
}
