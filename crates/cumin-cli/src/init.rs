//! `cumin init`: a starter study file, every setting with its default and meaning.

use crate::args::InitArgs;
use anyhow::{Context, Result, bail};

/// Writes the starter study file; an existing file is kept unless `--force`.
pub fn run(a: &InitArgs, quiet: bool) -> Result<()> {
    if a.path.exists() && !a.force {
        bail!(
            "{} already exists; cumin init does not overwrite it (--force does, or give another \
             name: cumin init other.toml)",
            a.path.display()
        );
    }
    std::fs::write(&a.path, cumin_study::starter::STARTER_STUDY)
        .with_context(|| format!("cannot write {}", a.path.display()))?;
    if !quiet {
        let p = a.path.display();
        println!("wrote {p}: every setting with its default and what it means.");
        println!("next: set episodes, denominators and out in it, then");
        println!("  cumin validate --study {p}    # read and check the extract");
        println!("  cumin run {p}                 # estimate");
    }
    Ok(())
}
