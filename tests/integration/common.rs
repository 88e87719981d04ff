//! Running the real binary in a private, throw-away data directory.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

pub const FIXTURE: &str = "tests/fixtures/scenarios/ok/small-talk.ron";

/// A test environment: a temporary `REHEARSE_HOME` that vanishes afterwards.
pub struct Env {
    pub home: TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            home: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// `rehearse ARGS` with this environment, no colour, no inherited NO_COLOR surprises.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("rehearse").expect("binary built");
        c.current_dir(root())
            .env("REHEARSE_HOME", self.home.path())
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .args(args);
        c
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }
}

/// The repository root (where `cargo test` runs the binary from).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// The transcripts saved in the data directory, oldest first (none if it has none).
pub fn transcripts(env: &Env) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(env.home().join("transcripts"))
        .map(|rd| rd.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// Parse JSON Lines output.
pub fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}
