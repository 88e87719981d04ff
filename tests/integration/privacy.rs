//! Privacy: nothing can leave the machine, saved files are owner-only, and `forget`
//! deletes what was kept.

use crate::common::*;

#[test]
fn no_networking_crate_is_in_the_dependency_tree() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "--locked",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(root())
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(crates.contains(&"regex"), "the tree was read: {tree}");
    const NETWORKING: &[&str] = &[
        "reqwest",
        "hyper",
        "ureq",
        "curl",
        "curl-sys",
        "isahc",
        "surf",
        "h2",
        "http",
        "tokio",
        "async-std",
        "mio",
        "socket2",
        "rustls",
        "native-tls",
        "openssl",
        "openssl-sys",
        "tungstenite",
        "attohttpc",
        "minreq",
        "trust-dns-resolver",
        "hickory-resolver",
        "quinn",
        "libssh2-sys",
        "git2",
    ];
    for name in NETWORKING {
        assert!(
            !crates.contains(name),
            "networking crate `{name}` in the dependency tree"
        );
    }
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn saved_sessions_and_plans_are_owner_only() {
    let env = Env::new();
    let out = env
        .cmd(&["play", "work-deadline", "--seed", "1"])
        .write_stdin("I miss you.\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let dir = env.home().join("transcripts");
    assert_eq!(mode(&dir), 0o700);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    assert_eq!(mode(&files[0]), 0o600);
}

#[test]
fn forget_deletes_one_session_or_everything() {
    let env = Env::new();
    for seed in ["1", "2"] {
        env.cmd(&["play", FIXTURE, "--seed", seed])
            .write_stdin("I miss you.\n")
            .assert()
            .success();
    }
    let history = |env: &Env| -> Vec<serde_json::Value> {
        let out = env.cmd(&["history", "--json"]).output().unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };
    let entries = history(&env);
    assert_eq!(entries.len(), 2);
    for e in &entries {
        for k in ["date", "scenario", "score", "outcome", "file"] {
            assert!(!e[k].is_null(), "history entry lacks {k}: {e}");
        }
    }
    let first = entries[0]["file"].as_str().unwrap().to_string();

    // A file that is not a transcript is never deleted.
    let precious = env.home().join("notes.txt");
    std::fs::write(&precious, "mine").unwrap();
    let out = env
        .cmd(&["forget", precious.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(precious.exists());

    env.cmd(&["forget", &first]).assert().success();
    assert!(!std::path::Path::new(&first).exists());
    assert_eq!(history(&env).len(), 1);

    env.cmd(&["forget", "--all"]).assert().success();
    assert_eq!(history(&env).len(), 0);
    env.cmd(&["forget"]).assert().code(2);
}
