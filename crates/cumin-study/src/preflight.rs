//! Cheap checks before any heavy work: no episode file is given twice, the denominators
//! file is there and the output folder can be written. An unwritable `--out` found only after an hour of estimation
//! wastes the hour; here it fails in a millisecond. Nothing is created: the folder's
//! nearest existing ancestor is probed with a scratch folder that is removed at once, so
//! an input error still leaves no output behind.

use crate::error::StudyError;
use crate::settings::Settings;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Checks what can be checked without reading the inputs (the episode files' existence
/// and the settings were checked by [`crate::StudyConfig::check`]).
pub fn check(settings: &Settings) -> Result<(), StudyError> {
    distinct_inputs(&settings.inputs)?;
    if !settings.denominators.is_file() {
        return Err(StudyError::MissingInput {
            what: "denominators",
            path: settings.denominators.clone(),
        });
    }
    probe_output(&settings.out)
}

/// Refuses an episode file given twice — the same path twice, a path and a glob that
/// matches it, or two files with the same bytes (a copy of one census year's file under
/// another name) — since every row would be read twice and counted as two episodes,
/// moving the estimates with exit status 0 (red team round 3). Only files of equal size
/// are hashed, so the check costs nothing when the files differ in size.
pub fn distinct_inputs(inputs: &[PathBuf]) -> Result<(), StudyError> {
    let mut by_size: BTreeMap<u64, Vec<&PathBuf>> = BTreeMap::new();
    for p in inputs {
        let len = std::fs::metadata(p)
            .map(|m| m.len())
            .map_err(|_| StudyError::MissingInput {
                what: "episodes",
                path: p.clone(),
            })?;
        by_size.entry(len).or_default().push(p);
    }
    for same_size in by_size.values().filter(|v| v.len() > 1) {
        let mut paths: BTreeMap<PathBuf, &PathBuf> = BTreeMap::new();
        let mut hashes: BTreeMap<String, &PathBuf> = BTreeMap::new();
        for p in same_size {
            let canonical = std::fs::canonicalize(p).unwrap_or_else(|_| (*p).clone());
            let twice = match paths.insert(canonical, p) {
                Some(first) => Some((first, "are the same file")),
                None => hashes
                    .insert(cumin_report::hash_file(p)?, p)
                    .map(|first| (first, "have the same bytes")),
            };
            if let Some((first, how)) = twice {
                return Err(StudyError::Config(format!(
                    "the episode files {} and {} {how}: every row would be read twice and \
                     counted as two episodes. Give each census year's file once",
                    first.display(),
                    p.display()
                )));
            }
        }
    }
    Ok(())
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
    fn an_episode_file_given_twice_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("cin_2013.csv");
        let b = dir.path().join("cin_2014.csv");
        let copy = dir.path().join("copy_of_2013.csv");
        std::fs::write(&a, "ACADYR\n2012/13\n").unwrap();
        std::fs::write(&b, "ACADYR\n2013/14\n").unwrap();
        std::fs::write(&copy, "ACADYR\n2012/13\n").unwrap();
        distinct_inputs(&[a.clone(), b.clone()]).unwrap();
        let e = distinct_inputs(&[a.clone(), b.clone(), a.clone()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("are the same file"), "{e}");
        let dotted = dir.path().join(".").join("cin_2013.csv");
        let e = distinct_inputs(&[a.clone(), dotted])
            .unwrap_err()
            .to_string();
        assert!(e.contains("are the same file"), "{e}");
        let e = distinct_inputs(&[a.clone(), b, copy.clone()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("have the same bytes"), "{e}");
        assert!(
            e.contains("cin_2013.csv") && e.contains("copy_of_2013.csv"),
            "{e}"
        );
        let missing = dir.path().join("gone.csv");
        let e = distinct_inputs(&[a, missing]).unwrap_err().to_string();
        assert!(e.contains("gone.csv"), "{e}");
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
