//! Cheap checks before any heavy work: the denominators file is there and the output
//! folder can be written. An unwritable `--out` found only after an hour of estimation
//! wastes the hour; here it fails in a millisecond. Nothing is created: the folder's
//! nearest existing ancestor is probed with a scratch folder that is removed at once, so
//! an input error still leaves no output behind.

use crate::error::StudyError;
use crate::settings::Settings;
use std::path::Path;

/// Checks what can be checked without reading the inputs (the episode files' existence
/// and the settings were checked by [`crate::StudyConfig::check`]).
pub fn check(settings: &Settings) -> Result<(), StudyError> {
    if !settings.denominators.is_file() {
        return Err(StudyError::MissingInput {
            what: "denominators",
            path: settings.denominators.clone(),
        });
    }
    probe_output(&settings.out)
}

/// Whether outputs can be written in `out` (or, if it does not exist yet, where it will
/// be created).
pub fn probe_output(out: &Path) -> Result<(), StudyError> {
    let existing = out
        .ancestors()
        .find(|a| a.as_os_str().is_empty() || a.exists())
        .unwrap_or(out);
    let dir = if existing.as_os_str().is_empty() {
        Path::new(".")
    } else {
        existing
    };
    if !dir.is_dir() {
        return Err(StudyError::OutputNotFolder {
            out: out.to_owned(),
            file: dir.to_owned(),
        });
    }
    let probe = dir.join(format!(".cumin-write-probe-{}", std::process::id()));
    std::fs::create_dir(&probe).map_err(|source| StudyError::OutputNotWritable {
        out: out.to_owned(),
        source,
    })?;
    std::fs::remove_dir(&probe).map_err(|source| StudyError::OutputNotWritable {
        out: out.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_folder_under_a_writable_one_passes_and_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a/b/out");
        probe_output(&out).unwrap();
        assert!(!dir.path().join("a").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        probe_output(dir.path()).unwrap();
        probe_output(Path::new("relative-out-that-does-not-exist")).unwrap();
    }

    #[test]
    fn a_file_in_the_way_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("results");
        std::fs::write(&file, "").unwrap();
        let e = probe_output(&file.join("out")).unwrap_err().to_string();
        assert!(e.contains("is a file"), "{e}");
        assert!(e.contains("results"), "{e}");
    }

    #[test]
    fn an_unwritable_place_fails_with_the_os_error_once() {
        // /sys refuses new folders even to root; elsewhere a read-only folder does.
        let out = Path::new("/sys/cumin-probe-test/out");
        if !Path::new("/sys").is_dir() {
            return;
        }
        let e = probe_output(out).unwrap_err();
        assert!(matches!(e, StudyError::OutputNotWritable { .. }), "{e}");
        assert!(
            !e.to_string().contains("os error"),
            "the source is not repeated: {e}"
        );
        assert!(std::error::Error::source(&e).is_some());
    }
}
