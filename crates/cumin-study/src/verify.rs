//! `cumin verify DIR`: whether an output folder is complete and unmodified, by its
//! manifest: every file listed is there with the size and BLAKE3 hash recorded, and no
//! file is there that it does not list. The manifest itself cannot vouch for itself:
//! its own hash is reported, for the output checker's record.

use crate::error::StudyError;
use crate::output::files_under;
use std::path::Path;

/// What `cumin verify` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verification {
    /// The profile the manifest names.
    pub profile: String,
    /// Whether the manifest says the folder holds anything for release.
    pub for_release: bool,
    /// Files listed and found as recorded.
    pub matching: usize,
    /// Files for release, and files not for release (as listed).
    pub release_counts: (usize, usize),
    /// Files listed whose size or hash differs.
    pub changed: Vec<String>,
    /// Files listed but absent.
    pub missing: Vec<String>,
    /// Files present but not listed.
    pub extra: Vec<String>,
    /// BLAKE3 of `manifest.json`.
    pub manifest_blake3: String,
}

impl Verification {
    /// Whether the folder is complete and unmodified.
    pub fn ok(&self) -> bool {
        self.changed.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

fn bad(dir: &Path, why: &str) -> StudyError {
    StudyError::Output(format!("{}: {why}", dir.display()))
}

/// Checks folder `dir` against its `manifest.json`.
pub fn verify(dir: &Path) -> Result<Verification, StudyError> {
    let manifest_path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path).map_err(|_| {
        bad(
            dir,
            "no manifest.json: not a finished cumin output folder (a run writes it last)",
        )
    })?;
    let manifest: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| bad(dir, &format!("manifest.json is not valid JSON: {e}")))?;
    let files = manifest["files"]
        .as_array()
        .ok_or_else(|| bad(dir, "manifest.json lists no files"))?;
    let mut v = Verification {
        profile: manifest["sdc"]["profile"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        for_release: manifest["sdc"]["for_release"].as_bool().unwrap_or(false),
        manifest_blake3: cumin_report::hash_file(&manifest_path)?,
        ..Verification::default()
    };
    let mut listed = std::collections::BTreeSet::new();
    for f in files {
        let (Some(name), Some(hash)) = (f["name"].as_str(), f["blake3"].as_str()) else {
            return Err(bad(dir, "manifest.json has a file without name or blake3"));
        };
        listed.insert(name.to_owned());
        let status = f["release"].as_str().unwrap_or_default();
        if status.starts_with("for release") {
            v.release_counts.0 += 1;
        } else {
            v.release_counts.1 += 1;
        }
        let path = dir.join(name);
        if !path.is_file() {
            v.missing.push(name.to_owned());
            continue;
        }
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        let same_size = f["bytes"].as_u64().is_none_or(|b| b == size);
        if same_size && cumin_report::hash_file(&path)? == hash {
            v.matching += 1;
        } else {
            v.changed.push(name.to_owned());
        }
    }
    v.extra = files_under(dir)?
        .into_iter()
        .filter(|f| f != "manifest.json" && !listed.contains(f))
        .collect();
    Ok(v)
}
