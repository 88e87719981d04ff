//! Where rehearse keeps its private files: `$REHEARSE_HOME`, else the platform's data
//! directory (XDG on Linux). Directories are created owner-only (0700), files 0600.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// The data directory, or `None` when the platform has no home to put it in.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("REHEARSE_HOME").filter(|h| !h.is_empty()) {
        return Some(PathBuf::from(home));
    }
    directories::ProjectDirs::from("", "", "rehearse").map(|d| d.data_dir().to_path_buf())
}

/// Create `dir` (and parents) with owner-only permissions on the last component.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    {
        fs::create_dir_all(dir)
    }
}

/// Open `path` with `opts`, a file it creates being owner-only (0600). With `reset`, a
/// file that already existed is made owner-only too.
fn private_open(opts: &mut OpenOptions, path: &Path, reset: bool) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let f = opts.open(path)?;
    #[cfg(unix)]
    if reset {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = reset;
    Ok(f)
}

/// Open `path` for appending, creating it owner-only (0600) if needed.
pub fn private_append(path: &Path) -> io::Result<File> {
    private_open(OpenOptions::new().create(true).append(true), path, true)
}

/// Create a new file at `path` owner-only (0600), replacing any file already there.
pub fn private_new(path: &Path) -> io::Result<File> {
    private_open(
        OpenOptions::new().create(true).write(true).truncate(true),
        path,
        true,
    )
}

/// Create a file at `path` owner-only (0600); an existing file is an error
/// (`AlreadyExists`), never replaced.
pub fn private_create_new(path: &Path) -> io::Result<File> {
    private_open(OpenOptions::new().create_new(true).write(true), path, false)
}

/// Create `dir/STEM.EXT` owner-only, or `dir/STEM_2.EXT`, `_3`, ... when the name is
/// taken: nothing already saved is replaced, and a later file sorts after the earlier
/// (`_` comes after `.`).
pub fn private_unique(dir: &Path, stem: &str, ext: &str) -> io::Result<(PathBuf, File)> {
    for n in 1u32.. {
        let name = if n == 1 {
            format!("{stem}.{ext}")
        } else {
            format!("{stem}_{n}.{ext}")
        };
        let path = dir.join(name);
        match private_create_new(&path) {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 10_000 => continue,
            Err(e) => return Err(e),
        }
    }
    unreachable!("the loop returns")
}

/// Where saved transcripts go: `$DATA/transcripts`.
pub fn transcripts_dir() -> Option<PathBuf> {
    data_dir().map(|d| d.join("transcripts"))
}

/// Where the line-editing history lives: `$DATA/history.txt`.
pub fn history_path() -> Option<PathBuf> {
    data_dir().map(|d| d.join("history.txt"))
}

/// The line-editing history file, created private. `None` when it cannot be made.
pub fn history_file() -> Option<PathBuf> {
    let path = history_path()?;
    private_dir(path.parent()?).ok()?;
    private_append(&path).ok()?;
    Some(path)
}

/// Drop every entry equal to one of `lines` from the line-editing history file (the
/// format rustyline writes: an optional `#V2` header, then one entry per line with `\n`
/// and `\` escaped). Returns how many entries were dropped; a missing file drops none.
pub fn forget_history_lines(
    path: &Path,
    lines: &std::collections::HashSet<String>,
) -> io::Result<usize> {
    let text = match fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let v2 = text.lines().next() == Some("#V2");
    let unescape = |entry: &str| -> String {
        if !v2 {
            return entry.to_string();
        }
        let mut out = String::with_capacity(entry.len());
        let mut chars = entry.chars();
        while let Some(c) = chars.next() {
            match (c, chars.clone().next()) {
                ('\\', Some('n')) => {
                    out.push('\n');
                    chars.next();
                }
                ('\\', Some('\\')) => {
                    out.push('\\');
                    chars.next();
                }
                _ => out.push(c),
            }
        }
        out
    };
    let mut kept = String::with_capacity(text.len());
    let mut dropped = 0;
    for (i, entry) in text.lines().enumerate() {
        if i == 0 && v2 {
            kept.push_str(entry);
            kept.push('\n');
        } else if lines.contains(unescape(entry).trim()) {
            dropped += 1;
        } else {
            kept.push_str(entry);
            kept.push('\n');
        }
    }
    if dropped > 0 {
        // Write the new history beside the old, then rename over it: a crash leaves one
        // or the other, never half of each.
        let tmp = path.with_extension("txt.forget");
        let _ = fs::remove_file(&tmp);
        let mut f = private_create_new(&tmp)?;
        io::Write::write_all(&mut f, kept.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgetting_lines_drops_only_those_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.txt");
        fs::write(
            &path,
            "#V2\nI miss you.\nback\\\\slash\n/why\nI miss you.\n",
        )
        .unwrap();
        let forget: std::collections::HashSet<String> =
            ["I miss you.".to_string(), "back\\slash".to_string()].into();
        assert_eq!(forget_history_lines(&path, &forget).unwrap(), 3);
        assert_eq!(fs::read_to_string(&path).unwrap(), "#V2\n/why\n");
        assert_eq!(
            forget_history_lines(&dir.path().join("none"), &forget).unwrap(),
            0
        );
    }

    #[test]
    fn a_taken_name_gets_a_number_and_nothing_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("talk.jsonl"), "first").unwrap();
        let (path, _) = private_unique(dir.path(), "talk", "jsonl").unwrap();
        assert_eq!(path, dir.path().join("talk_2.jsonl"));
        let (third, _) = private_unique(dir.path(), "talk", "jsonl").unwrap();
        assert_eq!(third, dir.path().join("talk_3.jsonl"));
        let mut names = vec!["talk_2.jsonl", "talk.jsonl", "talk_3.jsonl"];
        names.sort();
        assert_eq!(names, ["talk.jsonl", "talk_2.jsonl", "talk_3.jsonl"]);
        assert_eq!(
            fs::read_to_string(dir.path().join("talk.jsonl")).unwrap(),
            "first"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
