//! Temporary: `cargo run --example check_scenario -- FILE.ron` prints every problem.
fn main() {
    let mut bad = false;
    for path in std::env::args().skip(1) {
        let source = std::fs::read_to_string(&path).expect("readable file");
        match rehearse::scenario::Scenario::parse(&path, &source) {
            Ok(s) => println!(
                "{path}: ok ({} reactions, {} replies, {} reveals, {} endings)",
                s.reactions.len(),
                s.reactions.iter().map(|r| r.replies.len()).sum::<usize>(),
                s.reveals.len(),
                s.endings.len()
            ),
            Err(errors) => {
                bad = true;
                for e in errors {
                    eprintln!("{e}");
                }
            }
        }
    }
    std::process::exit(i32::from(bad));
}
