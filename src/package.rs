//! Deterministic zip of a Lambda source directory: same files, same bytes, same CodeSha256.

use base64::Engine;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Files and folders never packaged.
const SKIPPED: &[&str] = &["__pycache__", ".pytest_cache", ".DS_Store", ".git"];

/// Zips `dir`: entries sorted by path, fixed timestamps and permissions, so the bytes depend only
/// on file names and contents.
pub fn zip_directory(dir: &Path) -> std::io::Result<Vec<u8>> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    if files.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no files to package in {}", dir.display()),
        ));
    }
    files.sort();
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (name, path) in files {
        writer.start_file(name, options).map_err(std::io::Error::other)?;
        writer.write_all(&std::fs::read(path)?)?;
    }
    Ok(writer.finish().map_err(std::io::Error::other)?.into_inner())
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().to_string();
        if SKIPPED.contains(&name.as_str()) || name.ends_with(".pyc") {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect(root, &path, out)?;
        } else {
            let relative = path.strip_prefix(root).expect("walked below root");
            let name = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            out.push((name, path));
        }
    }
    Ok(())
}

/// base64(sha256(bytes)), the form of Lambda's CodeSha256.
pub fn code_sha256(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn same_content_gives_same_bytes_whatever_the_mtime_or_creation_order() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        write(a.path(), "index.py", "x = 1\n");
        write(a.path(), "lib/util.py", "y = 2\n");
        write(b.path(), "lib/util.py", "y = 2\n");
        std::thread::sleep(std::time::Duration::from_millis(1100));
        write(b.path(), "index.py", "x = 1\n");
        write(b.path(), "__pycache__/index.cpython-311.pyc", "junk");
        let za = zip_directory(a.path()).unwrap();
        let zb = zip_directory(b.path()).unwrap();
        assert_eq!(code_sha256(&za), code_sha256(&zb));
    }

    #[test]
    fn changed_content_changes_the_hash() {
        let a = tempfile::tempdir().unwrap();
        write(a.path(), "index.py", "x = 1\n");
        let before = code_sha256(&zip_directory(a.path()).unwrap());
        write(a.path(), "index.py", "x = 2\n");
        assert_ne!(before, code_sha256(&zip_directory(a.path()).unwrap()));
    }

    #[test]
    fn empty_directory_is_an_error() {
        let a = tempfile::tempdir().unwrap();
        assert!(zip_directory(a.path()).is_err());
    }

    #[test]
    fn hash_is_base64_sha256() {
        assert_eq!(code_sha256(b""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    }
}
