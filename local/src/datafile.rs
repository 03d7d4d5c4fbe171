//! The data folder's key files, created safely when several processes start at once.
//!
//! `./scripts/run-local &` followed at once by `oms-local token ...` starts two processes that
//! both find no issuer key and both create one. Each file is therefore created as a whole or not
//! at all: the new content goes to a temporary file of this process in the same folder (owner
//! read/write only), is flushed, and is then hard-linked to the final name. `link` never
//! replaces an existing name, so exactly one process wins; every other one removes its
//! temporary file and reads the winner's, which is complete by construction (nothing ever
//! writes to the final name). Nobody can see a half-written key, and nobody overwrites a key
//! another process already handed out tokens for.

use std::io::Write;
use std::path::Path;

/// Creates `dir` (and its parents) if missing; a folder this creates is its owner's only.
pub fn ensure_private_dir(dir: &Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

/// Reads the key file at `path`, or creates it with `make()`'s content if there is none yet:
/// atomically (see the module) and readable by its owner only. An existing file that others
/// may read is narrowed to its owner first. `valid` says whether existing content is usable.
pub fn read_or_create(
    path: &Path,
    make: impl FnOnce() -> Result<Vec<u8>, String>,
    valid: impl Fn(&[u8]) -> bool,
) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    ensure_private_dir(dir)?;
    if let Some(existing) = read_existing(path)? {
        return check(path, existing, &valid);
    }
    let content = make()?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let written = write_private(&temporary, &content).and_then(|()| match std::fs::hard_link(&temporary, path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(format!("{shown}: {e}")),
    });
    let _ = std::fs::remove_file(&temporary);
    if written? {
        return Ok(content);
    }
    // Another process created it first: its file is complete, use it.
    match read_existing(path)? {
        Some(existing) => check(path, existing, &valid),
        None => Err(format!("{shown}: created by another process and removed again")),
    }
}

fn check(path: &Path, content: Vec<u8>, valid: &impl Fn(&[u8]) -> bool) -> Result<Vec<u8>, String> {
    if valid(&content) {
        Ok(content)
    } else {
        Err(format!(
            "{}: not a key this server wrote; delete it to have a new one made",
            path.display()
        ))
    }
}

fn read_existing(path: &Path) -> Result<Option<Vec<u8>>, String> {
    match std::fs::read(path) {
        Ok(content) => {
            narrow_to_owner(path)?;
            Ok(Some(content))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

#[cfg(unix)]
fn narrow_to_owner(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if metadata.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn narrow_to_owner(_: &Path) -> Result<(), String> {
    Ok(())
}

fn write_private(path: &Path, content: &[u8]) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    file.write_all(content)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn racing_creators_all_get_the_one_file_that_was_linked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/key.bin");
        let handles: Vec<_> = (0..16u8)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || read_or_create(&path, || Ok(vec![i; 32]), |c| c.len() == 32).unwrap())
            })
            .collect();
        let results: Vec<Vec<u8>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let on_disk = std::fs::read(&path).unwrap();
        assert!(
            results.iter().all(|r| *r == on_disk),
            "every caller sees the file on disk"
        );
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "no temporary files are left: {leftovers:?}");
    }

    #[cfg(unix)]
    #[test]
    fn key_files_are_the_owners_only_and_older_readable_ones_are_narrowed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.bin");
        read_or_create(&path, || Ok(vec![1; 32]), |_| true).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        read_or_create(&path, || unreachable!("exists"), |_| true).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let fresh = dir.path().join("made/here");
        ensure_private_dir(&fresh).unwrap();
        assert_eq!(std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777, 0o700);
    }

    #[test]
    fn unusable_existing_content_is_an_error_not_a_silent_replacement() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.bin");
        std::fs::write(&path, b"short").unwrap();
        let error = read_or_create(&path, || Ok(vec![0; 32]), |c| c.len() >= 32).unwrap_err();
        assert!(error.contains("delete it"), "{error}");
        assert_eq!(std::fs::read(&path).unwrap(), b"short");
    }
}
