//! `cumin verify DIR`: whether an output folder is complete and unmodified, by its
//! manifest (`cumin_study::verify`).

use anyhow::{Result, bail};
use std::path::Path;

/// Checks `dir` against its manifest and says what differs; an error if anything does.
pub fn run(dir: &Path) -> Result<()> {
    let v = cumin_study::verify::verify(dir)?;
    println!(
        "{}: profile {}; {} of {} listed files as recorded ({} for release, {} not for release)",
        dir.display(),
        if v.profile.is_empty() {
            "?"
        } else {
            &v.profile
        },
        v.matching,
        v.release_counts.0 + v.release_counts.1,
        v.release_counts.0,
        v.release_counts.1
    );
    for (what, files) in [
        ("changed since the run", &v.changed),
        ("missing", &v.missing),
        ("not in the manifest", &v.extra),
    ] {
        for f in files {
            println!("  {what}: {f}");
        }
    }
    println!("manifest.json blake3 {}", v.manifest_blake3);
    if !v.for_release {
        println!(
            "NOT FOR RELEASE: the manifest says the folder was written without disclosure control"
        );
    }
    if v.ok() {
        println!("complete and unmodified");
        Ok(())
    } else {
        bail!("{} is not as its manifest records it", dir.display())
    }
}
