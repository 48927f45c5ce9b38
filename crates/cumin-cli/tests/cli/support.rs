//! What the tests of the `cumin` binary share.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary with `args`.
pub fn cumin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cumin"))
        .args(args)
        .output()
        .expect("runs the binary")
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Standard output and error, for messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
