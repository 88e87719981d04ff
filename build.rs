//! Embeds every scenario file under `scenarios/` in the binary, so `rehearse` runs with no
//! files around it. Adding a `.ron` file there makes it a built-in scenario.

use std::fmt::Write;
use std::path::Path;

fn main() {
    println!("cargo::rerun-if-changed=scenarios");
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "ron"));
    files.sort();
    let mut out = String::from(
        "/// (file name, source) of every built-in scenario.\npub const FILES: &[(&str, &str)] = &[\n",
    );
    for p in &files {
        println!("cargo::rerun-if-changed={}", p.display());
        let name = p.file_name().unwrap().to_string_lossy();
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            p.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtin_scenarios.rs");
    std::fs::write(dest, out).unwrap();
}
