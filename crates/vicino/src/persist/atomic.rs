//! Atomic file writes: the target path holds either its old contents or the complete new ones,
//! never a half-written file.
//!
//! The bytes go to `.<name>.tmp-<pid>-<n>` in the target's own folder (so the rename never
//! crosses a file system), are flushed and `fsync`ed, and the temp file is then renamed over the
//! target. On any error the temp file is removed and the target is left as it was.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Tells apart temp files of concurrent writes from one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `path` through `fill`, atomically: a temp file in the same folder, fsync, rename, so
/// the path holds either its old contents or the complete new ones. Errors, whichever step
/// fails, are [`Error::Io`] naming `path`.
pub fn write_atomic<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> io::Result<()>,
{
    let tmp = temp_path(path).map_err(|e| Error::io(path, e))?;
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| Error::io(path, e))?;
    match fill_and_sync(file, fill).and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => {
            sync_parent(path);
            Ok(())
        }
        Err(e) => {
            // The write already failed; a failure to clean up would only hide that error.
            let _ = std::fs::remove_file(&tmp);
            Err(Error::io(path, e))
        }
    }
}

fn fill_and_sync<F>(file: File, fill: F) -> io::Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> io::Result<()>,
{
    let mut w = BufWriter::with_capacity(1 << 20, file);
    fill(&mut w)?;
    let file = w.into_inner().map_err(io::IntoInnerError::into_error)?;
    file.sync_all()
}

/// `.<name>.tmp-<pid>-<n>` beside `path`.
fn temp_path(path: &Path) -> io::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path names no file (it ends in `..` or is a root)",
        )
    })?;
    let mut tmp = OsString::from(".");
    tmp.push(name);
    tmp.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    Ok(path.with_file_name(tmp))
}

/// Makes the rename itself durable by syncing the folder. Best effort: some file systems refuse
/// to sync a directory, and the new file is complete and in place either way.
fn sync_parent(path: &Path) {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if let Ok(dir) = File::open(parent) {
            let _ = dir.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        write_atomic(&path, |w| w.write_all(b"first")).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        write_atomic(&path, |w| w.write_all(b"second")).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(entries(dir.path()), ["out.bin"]);
    }

    #[test]
    fn failed_fill_leaves_target_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        std::fs::write(&path, b"old").unwrap();
        let err = write_atomic(&path, |w| {
            w.write_all(&[7u8; 3 << 20])?;
            Err(io::Error::other("disk on fire"))
        })
        .unwrap_err();
        assert!(matches!(err, Error::Io { path: ref p, .. } if *p == path));
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(entries(dir.path()), ["out.bin"]);
    }

    #[test]
    fn missing_folder_is_io_error_with_target_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/folder/out.bin");
        let err = write_atomic(&path, |w| w.write_all(b"x")).unwrap_err();
        assert!(
            matches!(err, Error::Io { path: ref p, .. } if *p == path),
            "{err:?}"
        );
    }

    #[test]
    fn target_that_is_a_folder_is_io_error_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("keep"), b"k").unwrap();
        let err = write_atomic(&path, |w| w.write_all(b"x")).unwrap_err();
        assert!(
            matches!(err, Error::Io { path: ref p, .. } if *p == path),
            "{err:?}"
        );
        assert_eq!(entries(dir.path()), ["sub"]);
        assert_eq!(std::fs::read(path.join("keep")).unwrap(), b"k");
    }

    #[test]
    fn path_without_file_name_is_io_error() {
        let err = write_atomic(Path::new("/"), |w| w.write_all(b"x")).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
    }

    #[test]
    fn relative_path_in_current_folder_has_a_temp_beside_it() {
        let tmp = temp_path(Path::new("out.fvecs")).unwrap();
        let s = tmp.to_string_lossy();
        assert!(s.starts_with(".out.fvecs.tmp-"), "{s}");
        assert_eq!(tmp.parent(), Some(Path::new("")));
    }
}
