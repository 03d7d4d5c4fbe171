//! `--ready-file`: how a process that started `oms-local serve` or `oms-local data-api` learns
//! its address (with `--port 0`, a free port) without reading its log. Once the server is bound
//! and about to answer, its base URL is written to a temporary file beside the given path and
//! renamed onto it: a reader that finds the file finds the whole URL, never a part of it.

use std::io::Write;
use std::path::Path;

/// Writes `url` and a newline to `path`, atomically (write, flush, rename; see the module).
pub fn write(path: &Path, url: &str) -> Result<(), String> {
    let shown = path.display();
    let file_name = path
        .file_name()
        .ok_or_else(|| format!("--ready-file {shown}: not a file name"))?;
    let mut temporary_name = file_name.to_os_string();
    temporary_name.push(format!(".{}.tmp", std::process::id()));
    let temporary = path.with_file_name(temporary_name);
    let written = std::fs::File::create(&temporary).and_then(|mut file| {
        file.write_all(format!("{url}\n").as_bytes())?;
        file.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&temporary, path));
    if let Err(error) = renamed {
        let _ = std::fs::remove_file(&temporary);
        return Err(format!("--ready-file {shown}: {error}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_replaces_the_file_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ready");
        std::fs::write(&path, "http://127.0.0.1:1 (a previous run)").unwrap();
        write(&path, "http://127.0.0.1:43210").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "http://127.0.0.1:43210\n");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["ready"]);
    }

    #[test]
    fn a_folder_that_does_not_exist_is_an_error_naming_the_option() {
        let dir = tempfile::tempdir().unwrap();
        let error = write(&dir.path().join("missing/ready"), "http://127.0.0.1:1").unwrap_err();
        assert!(error.starts_with("--ready-file "), "{error}");
    }
}
