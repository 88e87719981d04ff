//! Engine latency, measured: time per turn (classify + partner step + record) as p50/p99
//! over many seeded sessions, and the cost of each start-up piece. Run through
//! `scripts/bench.sh` (or `cargo run --release --example bench_turns`).

use rehearse::classify::Classifier;
use rehearse::session::Session;
use std::time::{Duration, Instant};

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let t = Instant::now();
    let checked = rehearse::rules::RuleSet::parse(rehearse::rules::BUILTIN_RULES).expect("valid");
    let t_checked = t.elapsed();
    drop(checked);
    let t = Instant::now();
    let rules = rehearse::rules::RuleSet::builtin();
    let t_rules = t.elapsed();
    let t = Instant::now();
    let classifier = Classifier::new(rules).expect("rules compile");
    let t_compile = t.elapsed();
    // As in `play`: every regex is compiled on a background thread while the user reads
    // the brief; here, wait for it.
    let t = Instant::now();
    classifier.warm();
    let t_warm = t.elapsed();
    let (anchored, shadowed, unanchored, unicode) = classifier.engine_kinds();
    let t = Instant::now();
    let scenarios = rehearse::builtin::all();
    let t_scenarios = t.elapsed();
    let sc = scenarios
        .iter()
        .find(|s| s.id == rehearse::builtin::DEFAULT)
        .expect("default scenario");

    let corpus = include_str!("../tests/corpus/moves.tsv");
    let lines: Vec<&str> = corpus
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t').map(|(_, t)| t))
        .collect();

    // Warm up, then time each step of many 20-turn sessions. Each turn is then taken back
    // and taken again four times: the best of the five is the same work with this line's
    // tables already in the processor's caches, which tells the engine's own work apart
    // from waiting on memory (see docs/performance.md). The target is the first figure.
    let mut times = Vec::new();
    let mut again = Vec::new();
    let mut transcript = Vec::new();
    let mut turn = |s: &mut Session, line: &str| {
        let t = Instant::now();
        let r = s.step(line);
        // "Record": serialise the turn as the transcript would.
        let took = if let rehearse::session::StepResult::Turn(turn) = &r {
            transcript.clear();
            serde_json::to_writer(&mut transcript, turn).expect("serialise");
            true
        } else {
            false
        };
        (t.elapsed(), took)
    };
    for seed in 0..400u64 {
        let mut s = Session::new(sc, &classifier, seed);
        for k in 0..20 {
            let line = lines[(seed as usize * 20 + k) % lines.len()];
            let (d, took) = turn(&mut s, line);
            if seed >= 20 {
                times.push(d);
            }
            if took {
                let mut best = d;
                for _ in 0..4 {
                    s.undo();
                    best = best.min(turn(&mut s, line).0);
                }
                if seed >= 20 {
                    again.push(best);
                }
            }
            if s.is_over() {
                break;
            }
        }
    }
    times.sort();
    again.sort();
    println!("start-up pieces:");
    println!(
        "  parse + validate rules, regex syntax checked {:>10.2?}",
        t_checked
    );
    println!(
        "  parse built-in rules (syntax checked by tests) {:>10.2?}",
        t_rules
    );
    println!("  build the literal prefilter {:>10.2?}", t_compile);
    println!(
        "  compile every regex (background in play) {:>10.2?}",
        t_warm
    );
    println!(
        "  patterns and exception sets: {anchored} anchored at their first bytes ({shadowed} of them also on non-ASCII lines' shadows), {unanchored} unanchored, {unicode} Unicode only"
    );
    println!(
        "  parse built-in scenarios {:>10.2?} ({} scenarios)",
        t_scenarios,
        scenarios.len()
    );
    println!(
        "engine time per turn (classify + partner step + record), {} turns:",
        times.len()
    );
    println!("  p50 {:>10.2?}", pct(&times, 0.50));
    println!("  p90 {:>10.2?}", pct(&times, 0.90));
    println!("  p99 {:>10.2?}", pct(&times, 0.99));
    println!("  max {:>10.2?}", times[times.len() - 1]);
    println!(
        "the same turns taken again at once (best of 5, tables in the processor's caches), {} turns:",
        again.len()
    );
    println!("  p50 {:>10.2?}", pct(&again, 0.50));
    println!("  p99 {:>10.2?}", pct(&again, 0.99));
    println!("  max {:>10.2?}", again[again.len() - 1]);
}
