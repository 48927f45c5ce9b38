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

/// Whether the slow tests run: `CUMIN_SLOW_TESTS=1`, which `.ci/run` sets (the README's
/// plain `cargo test --workspace` leaves them out; the README says which they are).
pub fn slow_tests() -> bool {
    std::env::var_os("CUMIN_SLOW_TESTS").is_some_and(|v| v != "0")
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

/// `cumin --progress log estimate` in `dir` of the demo's inputs, copied there as
/// `cin.parquet` and `denominators.csv`, into `out`, with `extra` flags.
pub fn estimate_demo_logged(dir: &Path, out: &str, extra: &[&str]) -> Output {
    for (from, to) in [
        ("fixtures/demo/episodes.parquet", "cin.parquet"),
        ("fixtures/demo/denominators.csv", "denominators.csv"),
    ] {
        std::fs::copy(root().join(from), dir.join(to)).unwrap();
    }
    let mut args = vec![
        "--progress",
        "log",
        "estimate",
        "--episodes",
        "cin.parquet",
        "--denominators",
        "denominators.csv",
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    cumin_in(dir, &args)
}

/// Runs `cumin ARGS` with `dir` as the current folder.
pub fn cumin_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cumin"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs the binary")
}

/// Text for a snapshot: `dir` written `[DIR]`, the repository `[REPO]`, and the
/// seconds at the end of progress lines `[T]s`.
pub fn redact(text: &str, dir: &Path) -> String {
    let root = root().canonicalize().unwrap();
    let text = text
        .replace(&dir.display().to_string(), "[DIR]")
        .replace(&root.display().to_string(), "[REPO]");
    text.lines()
        .map(|line| {
            let cut = line.strip_suffix('s').and_then(|rest| {
                let start = rest.rfind(' ')? + 1;
                let number = &rest[start..];
                (number.contains('.') && number.chars().all(|c| c.is_ascii_digit() || c == '.'))
                    .then_some(start)
            });
            match cut {
                Some(start) => format!("{}[T]s\n", &line[..start]),
                None => format!("{line}\n"),
            }
        })
        .collect()
}
