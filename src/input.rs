//! Reading files named by the user with a cap decided before anything is allocated: a stack file,
//! a var file or a saved plan is small, and a device, a FIFO or an endless file is refused, never
//! read into memory. And the one rule for every file a run reads from the project (the stack
//! file, var files, records, module and function sources): it resolves, symlinks followed,
//! inside the project directory ([`inside`]).

use std::io::Read;
use std::path::{Path, PathBuf};

/// `path`, resolved (symlinks followed), when it lies inside `root` (canonical): the one rule
/// for every file a run reads from the project. The error names `path` as given, never what it
/// resolves to (a link's target outside would tell what exists there) nor what it holds.
///
/// ```
/// let root = std::env::temp_dir().canonicalize().unwrap();
/// assert!(provision::input::inside(&root.join("no-such-file"), &root).unwrap_err().contains("cannot read"));
/// assert!(provision::input::inside(std::path::Path::new("/etc/hostname"), &root).is_err());
/// ```
pub fn inside(path: &Path, root: &Path) -> Result<PathBuf, String> {
    let shown = crate::output::escape(&path.display().to_string());
    let real = path.canonicalize().map_err(|e| format!("cannot read {shown}: {}", e.kind()))?;
    if !real.starts_with(root) {
        return Err(format!(
            "{shown} lies outside the project directory {} (symlinks followed): provision reads no file from outside it; --project-dir DIR names a wider project",
            crate::output::escape(&root.display().to_string())
        ));
    }
    Ok(real)
}

/// The largest stack.toml read.
pub const MAX_STACK_BYTES: u64 = 16 * 1024 * 1024;
/// The largest var file read.
pub const MAX_VAR_FILE_BYTES: u64 = 1024 * 1024;

/// The text of a regular file of at most `limit` bytes; the error says which rule it broke.
pub fn read_text(path: &Path, limit: u64) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("larger than {}", size(limit)));
    }
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()))
}

fn size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_large_files_are_refused_unread() {
        assert_eq!(read_text(Path::new("/dev/zero"), 10), Err("not a regular file".into()));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "x".repeat(2048)).unwrap();
        assert_eq!(read_text(&path, 1024), Err("larger than 1 KiB".into()));
        assert_eq!(read_text(&path, 4096).unwrap().len(), 2048);
    }
}
