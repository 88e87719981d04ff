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

/// Open `path` for appending, creating it owner-only (0600) if needed.
pub fn private_append(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let f = opts.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    Ok(f)
}

/// Create a new file at `path` owner-only (0600), replacing any file already there.
pub fn private_new(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.create(true).write(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let f = opts.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    Ok(f)
}

/// Where saved transcripts go: `$DATA/transcripts`.
pub fn transcripts_dir() -> Option<PathBuf> {
    data_dir().map(|d| d.join("transcripts"))
}

/// The line-editing history file, created private. `None` when it cannot be made.
pub fn history_file() -> Option<PathBuf> {
    let dir = data_dir()?;
    private_dir(&dir).ok()?;
    let path = dir.join("history.txt");
    private_append(&path).ok()?;
    Some(path)
}
