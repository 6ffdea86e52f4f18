//! Packaging a Lambda source directory: only what the user meant to ship, zipped deterministically
//! (same files, same bytes, same CodeSha256).
//!
//! - Regular files only: a FIFO, socket or device is an error naming it, never read.
//! - Symlinks are followed when they stay inside the source directory; one that leaves it, or
//!   points at what is never packaged (a hidden path, a secret such as `.aws/credentials`), is
//!   an error naming the link, never its target. A directory reached through links is read once.
//! - A hard link is packaged only when every name of its file lies inside the source directory:
//!   one whose file has a name elsewhere (a link to `~/.aws/credentials`, or a package manager's
//!   store) is an error naming it.
//! - Left out, whatever `include` says: every hidden path (any component starting with `.`),
//!   credentials and secrets (`*.pem`, `*.key`, `*.tfstate*`, SSH keys `id_rsa*`, `id_ed25519*`...,
//!   and, hidden anyway, `.env*`, `.aws/`, `.git/`, `.config/gh`, `.docker/config.json`,
//!   `.kube/config`, `.git-credentials`, `.cargo/credentials*`, the cloud CLIs' files,
//!   `.terraform.d/credentials*`), Python caches; and `.provisionignore` patterns (gitignore
//!   syntax) and `exclude` globs.
//! - Execute bits are kept (0755 for executables, 0644 otherwise); names must be UTF-8.
//! - Lambda's direct-upload limits are checked: 50 MB zipped, 250 MB unzipped.

use base64::Engine;
use sha2::{Digest, Sha256};
use std::fmt;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Lambda's limit for a zip uploaded directly (CreateFunction / UpdateFunctionCode).
pub const MAX_ZIPPED_BYTES: u64 = 50 * 1024 * 1024;
/// Lambda's limit for the unzipped deployment package.
pub const MAX_UNZIPPED_BYTES: u64 = 250 * 1024 * 1024;
/// The ignore file read in a source directory, in gitignore syntax.
pub const IGNORE_FILE: &str = ".provisionignore";

/// Names never packaged, whatever the globs say: they hold secrets or repository data. (Every
/// hidden path is left out too; the hidden ones are listed for what they are.)
const SECRET_PATTERNS: &[&str] = &[
    ".env",
    ".env.*",
    ".aws",
    ".git",
    ".ssh",
    ".config/gh",
    ".config/gcloud",
    ".docker/config.json",
    ".kube/config",
    ".git-credentials",
    ".cargo/credentials*",
    ".azure",
    ".oci",
    ".terraform.d/credentials*",
    ".terraformrc",
    ".vault-token",
    ".gnupg",
    ".pgpass",
    ".boto",
    ".s3cfg",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.tfstate",
    "*.tfstate.*",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    ".npmrc",
    ".pypirc",
];
/// Caches never worth shipping.
const CACHE_PATTERNS: &[&str] = &["__pycache__", "*.pyc", ".pytest_cache", ".DS_Store"];

/// One file in the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackagedFile {
    /// Path inside the zip, `/`-separated.
    pub name: String,
    pub size: u64,
    pub executable: bool,
}

/// A packaged source directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub zip: Vec<u8>,
    pub files: Vec<PackagedFile>,
}

impl Package {
    /// base64(sha256(zip)): Lambda's CodeSha256.
    pub fn code_sha256(&self) -> String {
        code_sha256(&self.zip)
    }

    /// Bytes of all files before compression.
    pub fn unzipped_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    /// Writes the package's files into `dir` (an empty directory) as Lambda lays them out in
    /// `/var/task`: what preview runs is what would be deployed, nothing else of the source.
    pub fn extract_to(&self, dir: &Path) -> std::io::Result<()> {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&self.zip)).map_err(std::io::Error::other)?;
        archive.extract(dir).map_err(std::io::Error::other)
    }
}

/// Why a directory cannot be packaged; every variant names the path concerned.
#[derive(Debug)]
pub enum PackageError {
    /// The source resolves outside the project directory (the message says so).
    OutsideProject(String),
    NotADirectory(PathBuf),
    Empty(PathBuf),
    SymlinkOutside {
        link: PathBuf,
        target: PathBuf,
    },
    SecretLink {
        link: PathBuf,
        target: PathBuf,
    },
    /// A file with names outside the source directory: `names` in all, `inside` of them here.
    HardLinkOutside {
        path: PathBuf,
        names: u64,
        inside: usize,
    },
    NotRegular {
        path: PathBuf,
        what: &'static str,
    },
    NotUtf8(PathBuf),
    TooLarge {
        dir: PathBuf,
        what: &'static str,
        bytes: u64,
        limit: u64,
    },
    Glob {
        pattern: String,
        error: String,
    },
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl fmt::Display for PackageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
        match self {
            PackageError::OutsideProject(why) => write!(f, "{why}"),
            PackageError::NotADirectory(p) => write!(f, "{} is not a directory", p.display()),
            PackageError::Empty(p) => write!(f, "no files to package in {}", p.display()),
            // The target is never named: outside the source, that would tell what exists there.
            PackageError::SymlinkOutside { link, .. } => write!(
                f,
                "{} is a symlink leading outside the source directory: copy the file in, or exclude the link",
                link.display()
            ),
            PackageError::SecretLink { link, .. } => write!(
                f,
                "{} is a symlink to a file that is never packaged (a hidden path, secrets, repository data): remove the link, or exclude it",
                link.display()
            ),
            PackageError::HardLinkOutside { path, names, inside } => write!(
                f,
                "{} is a hard link: its file has {names} names, {inside} of them in the source directory, so it is also reachable from outside it; copy the file in (a package manager that links its store: pnpm's package-import-method=copy, uv's UV_LINK_MODE=copy), or exclude it",
                path.display()
            ),
            PackageError::NotRegular { path, what } => {
                write!(f, "{} is a {what}, not a regular file: remove it or exclude it", path.display())
            }
            PackageError::NotUtf8(p) => write!(f, "{} has a name that is not UTF-8: rename it", p.display()),
            PackageError::TooLarge { dir, what, bytes, limit } => write!(
                f,
                "{} packages to {:.1} MB {what}; Lambda accepts at most {:.0} MB for a direct upload: exclude files or use a layer",
                dir.display(),
                mb(*bytes),
                mb(*limit)
            ),
            PackageError::Glob { pattern, error } => write!(f, "invalid glob {pattern:?}: {error}"),
            PackageError::Io { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for PackageError {}

/// Packages `dir` with `include` and `exclude` globs (gitignore syntax, relative to `dir`).
pub fn package(dir: &Path, include: &[String], exclude: &[String]) -> Result<Package, PackageError> {
    if !dir.is_dir() {
        return Err(PackageError::NotADirectory(dir.to_path_buf()));
    }
    let root = dir.canonicalize().map_err(|error| PackageError::Io { path: dir.to_path_buf(), error })?;
    let files = select(dir, &root, include, exclude, &mut std::collections::HashSet::new())?;
    refuse_hard_links_from_outside(&root, &files)?;
    let unzipped: u64 = files.iter().map(|(f, _)| f.size).sum();
    if unzipped > MAX_UNZIPPED_BYTES {
        return Err(PackageError::TooLarge {
            dir: dir.to_path_buf(),
            what: "unzipped",
            bytes: unzipped,
            limit: MAX_UNZIPPED_BYTES,
        });
    }
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |error: std::io::Error| PackageError::Io { path, error }
    };
    for (file, path) in &files {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(9))
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(if file.executable { 0o755 } else { 0o644 });
        writer.start_file(file.name.as_str(), options).map_err(|e| io(path)(std::io::Error::other(e)))?;
        let mut source = std::fs::File::open(path).map_err(io(path))?;
        // Read no more than was measured: a file growing meanwhile cannot blow the limits.
        let copied = std::io::copy(&mut std::io::Read::take(&mut source, file.size), &mut writer).map_err(io(path))?;
        if copied != file.size {
            return Err(io(path)(std::io::Error::other("the file changed while it was being packaged")));
        }
    }
    let zip = writer.finish().map_err(|e| io(dir)(std::io::Error::other(e)))?.into_inner();
    if zip.len() as u64 > MAX_ZIPPED_BYTES {
        return Err(PackageError::TooLarge {
            dir: dir.to_path_buf(),
            what: "zipped",
            bytes: zip.len() as u64,
            limit: MAX_ZIPPED_BYTES,
        });
    }
    Ok(Package { zip, files: files.into_iter().map(|(f, _)| f).collect() })
}

/// The files to package, sorted by name, with their paths on disk. `expanded` holds the real
/// directories already packaged through a symlink: each is read once, whatever links to it.
fn select(
    dir: &Path,
    root: &Path,
    include: &[String],
    exclude: &[String],
    expanded: &mut std::collections::HashSet<PathBuf>,
) -> Result<Vec<(PackagedFile, PathBuf)>, PackageError> {
    let io = |path: &Path, error: std::io::Error| PackageError::Io { path: path.to_path_buf(), error };
    if !dir.is_dir() {
        return Err(PackageError::NotADirectory(dir.to_path_buf()));
    }
    let mut overrides = ignore::overrides::OverrideBuilder::new(dir);
    let mut add = |pattern: String| {
        overrides.add(&pattern).map(|_| ()).map_err(|e| PackageError::Glob { pattern, error: e.to_string() })
    };
    for glob in include {
        add(glob.clone())?;
    }
    for glob in exclude.iter().map(|g| format!("!{g}")) {
        add(glob)?;
    }
    let overrides =
        overrides.build().map_err(|e| PackageError::Glob { pattern: "include".into(), error: e.to_string() })?;
    let always_out = ignored_names();
    let secrets = ignored_names();
    let walk = ignore::WalkBuilder::new(dir)
        .hidden(true)
        .parents(false)
        .ignore(false)
        .git_ignore(false)
        .git_global(false)
        .git_exclude(false)
        .require_git(false)
        .add_custom_ignore_filename(IGNORE_FILE)
        .overrides(overrides)
        .follow_links(false)
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            let hidden = entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.');
            !hidden && !always_out.matched(entry.file_name(), is_dir).is_ignore()
        })
        .build();
    let mut files = Vec::new();
    let mut pending: Vec<ignore::DirEntry> = Vec::new();
    for entry in walk {
        let entry = entry.map_err(|e| io(dir, std::io::Error::other(e.to_string())))?;
        pending.push(entry);
    }
    for entry in pending {
        let path = entry.path();
        if entry.depth() == 0 {
            continue;
        }
        let relative = path.strip_prefix(dir).unwrap_or(path);
        let Some(name) = relative.to_str().map(|s| s.replace(std::path::MAIN_SEPARATOR, "/")) else {
            return Err(PackageError::NotUtf8(path.to_path_buf()));
        };
        let link = std::fs::symlink_metadata(path).map_err(|e| io(path, e))?;
        let is_link = link.file_type().is_symlink();
        let (metadata, real) = if is_link {
            let target = path.canonicalize().map_err(|e| io(path, e))?;
            if !target.starts_with(root) {
                return Err(PackageError::SymlinkOutside { link: path.to_path_buf(), target });
            }
            // A link may not ship what would never be shipped under its own name.
            let inside = target.strip_prefix(root).unwrap_or(&target);
            let hidden = inside.components().any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
            if hidden || secrets.matched_path_or_any_parents(inside, target.is_dir()).is_ignore() {
                return Err(PackageError::SecretLink { link: path.to_path_buf(), target });
            }
            (std::fs::metadata(&target).map_err(|e| io(path, e))?, target)
        } else {
            (link, path.to_path_buf())
        };
        let kind = metadata.file_type();
        if kind.is_dir() {
            // A symlinked directory inside the source: package what it holds, under the link's name.
            if is_link {
                let parent = path.parent().unwrap_or(dir).canonicalize().map_err(|e| io(path, e))?;
                if parent.starts_with(&real) {
                    return Err(PackageError::NotRegular { path: path.to_path_buf(), what: "symlink loop" });
                }
                if !expanded.insert(real.clone()) {
                    continue;
                }
                for (mut file, on_disk) in select(&real, root, include, exclude, expanded)? {
                    file.name = format!("{name}/{}", file.name);
                    files.push((file, on_disk));
                }
            }
            continue;
        }
        let what = if kind.is_fifo() {
            Some("FIFO")
        } else if kind.is_socket() {
            Some("socket")
        } else if kind.is_block_device() || kind.is_char_device() {
            Some("device")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(PackageError::NotRegular { path: path.to_path_buf(), what });
        }
        let executable = metadata.permissions().mode() & 0o111 != 0;
        files.push((PackagedFile { name, size: metadata.len(), executable }, path.to_path_buf()));
    }
    files.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    files.dedup_by(|a, b| a.0.name == b.0.name);
    if files.is_empty() {
        return Err(PackageError::Empty(dir.to_path_buf()));
    }
    Ok(files)
}

/// Refuses a packaged file that is a hard link with a name outside the source directory `root`:
/// every name of it must be found inside (counted over the whole directory, what is packaged or
/// not, and only when a packaged file has more than one name).
fn refuse_hard_links_from_outside(root: &Path, files: &[(PackagedFile, PathBuf)]) -> Result<(), PackageError> {
    use std::os::unix::fs::MetadataExt;
    let linked: Vec<(&Path, (u64, u64), u64)> = files
        .iter()
        .filter_map(|(_, path)| {
            let m = std::fs::metadata(path).ok()?;
            (m.nlink() > 1).then_some((path.as_path(), (m.dev(), m.ino()), m.nlink()))
        })
        .collect();
    if linked.is_empty() {
        return Ok(());
    }
    let mut names: std::collections::HashMap<(u64, u64), usize> = std::collections::HashMap::new();
    for entry in ignore::WalkBuilder::new(root).standard_filters(false).follow_links(false).build().flatten() {
        if entry.file_type().is_some_and(|t| t.is_file()) {
            if let Ok(m) = entry.metadata() {
                if m.nlink() > 1 {
                    *names.entry((m.dev(), m.ino())).or_default() += 1;
                }
            }
        }
    }
    for (path, id, all) in linked {
        let inside = names.get(&id).copied().unwrap_or(0);
        if (inside as u64) < all {
            return Err(PackageError::HardLinkOutside { path: path.to_path_buf(), names: all, inside });
        }
    }
    Ok(())
}

/// Secrets and caches: excluded at every depth, whatever the globs say.
fn ignored_names() -> ignore::gitignore::Gitignore {
    let mut builder = ignore::gitignore::GitignoreBuilder::new("/");
    for pattern in SECRET_PATTERNS.iter().chain(CACHE_PATTERNS) {
        // Patterns without a slash match at any depth, as in .gitignore.
        let _ = builder.add_line(None, pattern);
    }
    builder.build().unwrap_or_else(|_| ignore::gitignore::Gitignore::empty())
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

    /// A source directory holding these files (name, text).
    fn source(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (name, text) in files {
            write(d.path(), name, text);
        }
        d
    }

    /// The package of the whole directory: no include or exclude globs.
    fn package_whole(dir: &Path) -> Result<Package, PackageError> {
        package(dir, &[], &[])
    }

    fn names(p: &Package) -> Vec<&str> {
        p.files.iter().map(|f| f.name.as_str()).collect()
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
        let za = package_whole(a.path()).unwrap();
        let zb = package_whole(b.path()).unwrap();
        assert_eq!(za.code_sha256(), zb.code_sha256());
    }

    #[test]
    fn changed_content_changes_the_hash() {
        let a = source(&[("index.py", "x = 1\n")]);
        let before = package_whole(a.path()).unwrap().code_sha256();
        write(a.path(), "index.py", "x = 2\n");
        assert_ne!(before, package_whole(a.path()).unwrap().code_sha256());
    }

    #[test]
    fn empty_or_missing_directory_is_an_error_naming_it() {
        let a = tempfile::tempdir().unwrap();
        assert!(matches!(package_whole(a.path()), Err(PackageError::Empty(_))));
        let missing = a.path().join("nope");
        let e = package(&missing, &[], &[]).unwrap_err().to_string();
        assert!(e.contains("nope"), "{e}");
    }

    #[test]
    fn secrets_dotfiles_and_ignored_files_are_left_out_and_change_nothing() {
        let clean = source(&[("index.py", "x = 1\n")]);
        let dirty = source(&[("index.py", "x = 1\n")]);
        for secret in [
            ".env",
            ".env.production",
            ".aws/credentials",
            "terraform.tfstate",
            "key.pem",
            "id_rsa",
            "sub/id_ed25519",
            ".git/config",
            ".hidden",
            "notes.md",
            "build/out.bin",
        ] {
            write(dirty.path(), secret, "SECRET");
        }
        write(dirty.path(), IGNORE_FILE, "notes.md\n");
        let p = package(dirty.path(), &[], &["build/".into()]).unwrap();
        assert_eq!(names(&p), ["index.py"]);
        assert_eq!(p.code_sha256(), package_whole(clean.path()).unwrap().code_sha256());
    }

    #[test]
    fn include_globs_select_files_but_never_hidden_paths_or_credentials() {
        let d = source(&[("index.py", "x = 1\n"), ("README.md", "docs\n"), ("lib/deploy.pem", "SECRET\n")]);
        for hidden in [
            ".config.json",
            ".env",
            ".config/gh/hosts.yml",
            ".docker/config.json",
            ".kube/config",
            ".git-credentials",
            ".cargo/credentials.toml",
            "lib/.terraform.d/credentials.tfrc.json",
        ] {
            write(d.path(), hidden, "SECRET\n");
        }
        let include: Vec<String> = [
            "*.py",
            "*.pem",
            ".config.json",
            ".env",
            ".config/**",
            ".docker/**",
            ".kube/**",
            ".git-credentials",
            ".cargo/**",
            "lib/**",
        ]
        .map(String::from)
        .to_vec();
        let p = package(d.path(), &include, &[]).unwrap();
        assert_eq!(names(&p), ["index.py"]);
    }

    #[test]
    fn a_hard_link_with_a_name_outside_is_refused_one_with_every_name_inside_is_packaged() {
        let outside = source(&[("credentials", "[default]\nsecret\n")]);
        let d = source(&[("index.py", "x = 1\n")]);
        std::fs::hard_link(d.path().join("index.py"), d.path().join("copy.py")).unwrap();
        let p = package_whole(d.path()).unwrap();
        assert_eq!(names(&p), ["copy.py", "index.py"]);
        // A name inside the source but left out of the package still counts as inside.
        std::fs::create_dir(d.path().join(".hidden")).unwrap();
        std::fs::hard_link(d.path().join("index.py"), d.path().join(".hidden/third.py")).unwrap();
        assert!(package_whole(d.path()).is_ok());
        std::fs::hard_link(outside.path().join("credentials"), d.path().join("notes.txt")).unwrap();
        let e = package_whole(d.path()).unwrap_err().to_string();
        assert!(e.contains("notes.txt") && e.contains("hard link") && e.contains("2 names, 1 of them"), "{e}");
        assert!(!e.contains(&outside.path().display().to_string()), "the other name is never shown: {e}");
    }

    #[test]
    fn symlinks_inside_are_followed_outside_are_refused() {
        let outside = source(&[("secret.txt", "SECRET")]);
        let d = source(&[("index.py", "x = 1\n"), ("lib/util.py", "y\n")]);
        std::os::unix::fs::symlink(d.path().join("index.py"), d.path().join("alias.py")).unwrap();
        std::os::unix::fs::symlink(d.path().join("lib"), d.path().join("vendor")).unwrap();
        let p = package_whole(d.path()).unwrap();
        assert_eq!(names(&p), ["alias.py", "index.py", "lib/util.py", "vendor/util.py"]);
        std::os::unix::fs::symlink(outside.path().join("secret.txt"), d.path().join("leak.txt")).unwrap();
        let e = package_whole(d.path()).unwrap_err().to_string();
        assert!(e.contains("leak.txt") && e.contains("outside the source directory"), "{e}");
        assert!(!e.contains("secret.txt"), "the target is never named: {e}");
    }

    #[test]
    fn links_to_secrets_are_refused_whatever_their_own_name() {
        for (target, link) in [(".aws/credentials", "config"), (".env", "settings.txt"), ("keys/id_rsa", "deploy.txt")]
        {
            let d = source(&[("index.py", "x = 1\n")]);
            write(d.path(), target, "secret\n");
            std::os::unix::fs::symlink(d.path().join(target), d.path().join(link)).unwrap();
            let e = package_whole(d.path()).unwrap_err().to_string();
            assert!(e.contains(link) && e.contains("never packaged"), "{target}: {e}");
        }
    }

    #[test]
    fn a_directory_reached_through_many_links_is_read_once() {
        // Ten levels, each linking to the next twice: without memory of what was read, 2^10 walks.
        let d = source(&[("index.py", "x = 1\n")]);
        for level in 0..10 {
            write(d.path(), &format!("l{level}/f.py"), "y\n");
            if level > 0 {
                for name in ["a", "b"] {
                    let link = d.path().join(format!("l{}/{name}", level - 1));
                    std::os::unix::fs::symlink(d.path().join(format!("l{level}")), link).unwrap();
                }
            }
        }
        // Read once: 10 levels of one file and two links each (2^10 paths to each deepest file
        // if every link were walked again).
        let p = package_whole(d.path()).unwrap();
        assert!(p.files.len() < 40, "{} files", p.files.len());
    }

    #[test]
    fn fifos_are_refused_by_name_never_read() {
        let d = source(&[("index.py", "x = 1\n")]);
        let fifo = d.path().join("pipe");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let e = package_whole(d.path()).unwrap_err().to_string();
        assert!(e.contains("pipe") && e.contains("FIFO"), "{e}");
    }

    #[test]
    fn execute_bits_are_kept() {
        let d = source(&[("bootstrap", "#!/bin/sh\n"), ("lib.txt", "x\n")]);
        std::fs::set_permissions(d.path().join("bootstrap"), std::fs::Permissions::from_mode(0o750)).unwrap();
        let p = package_whole(d.path()).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(p.zip.clone())).unwrap();
        assert_eq!(archive.by_name("bootstrap").unwrap().unix_mode().map(|m| m & 0o777), Some(0o755));
        assert_eq!(archive.by_name("lib.txt").unwrap().unix_mode().map(|m| m & 0o777), Some(0o644));
    }

    #[test]
    fn non_utf8_names_are_refused_with_the_path() {
        use std::os::unix::ffi::OsStrExt;
        let d = source(&[("index.py", "x = 1\n")]);
        let bad = d.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9.py"));
        std::fs::write(&bad, "x").unwrap();
        let e = package_whole(d.path()).unwrap_err().to_string();
        assert!(e.contains("not UTF-8") && e.contains("caf"), "{e}");
    }

    #[test]
    fn extracted_it_holds_exactly_the_packaged_files_with_their_modes() {
        let d = source(&[
            ("index.py", "x = 1\n"),
            ("lib/util.py", "y = 2\n"),
            (".env", "SECRET\n"),
            ("bootstrap", "#!/bin/sh\n"),
        ]);
        std::fs::set_permissions(d.path().join("bootstrap"), std::fs::Permissions::from_mode(0o700)).unwrap();
        let p = package_whole(d.path()).unwrap();
        let out = tempfile::tempdir().unwrap();
        p.extract_to(out.path()).unwrap();
        let mut found: Vec<String> = ignore::WalkBuilder::new(out.path())
            .hidden(false)
            .build()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
            .map(|e| e.path().strip_prefix(out.path()).unwrap().to_string_lossy().into_owned())
            .collect();
        found.sort();
        assert_eq!(found, ["bootstrap", "index.py", "lib/util.py"]);
        assert_eq!(std::fs::read_to_string(out.path().join("lib/util.py")).unwrap(), "y = 2\n");
        let mode = std::fs::metadata(out.path().join("bootstrap")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o755);
    }

    #[test]
    fn hash_is_base64_sha256() {
        assert_eq!(code_sha256(b""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    }
}
