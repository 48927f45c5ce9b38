//! `--help` of every subcommand, as snapshots: every enum flag lists its values, every
//! flag with a default says it.

use crate::support::{cumin, text};

/// The help of `cumin ARGS --help`.
fn help(args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.push("--help");
    let o = cumin(&all);
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn help_of_every_subcommand() {
    for (name, args) in [
        ("cumin", &[][..]),
        ("estimate", &["estimate"][..]),
        ("run", &["run"][..]),
        ("init", &["init"][..]),
        ("validate", &["validate"][..]),
        ("simulate", &["simulate"][..]),
        ("demo", &["demo"][..]),
    ] {
        insta::assert_snapshot!(format!("help_{name}"), help(args));
    }
}

/// (only in this subcommand, flag, what its help must say).
const WANTED: &[(&str, &str, &[&str])] = &[
    (
        "",
        "--id-mode",
        &[
            "combined",
            "pmr-school-age",
            "la-only",
            "pmr-only",
            "[default: combined]",
        ],
    ),
    (
        "",
        "--estimator",
        &[
            "cohort-splice",
            "life-table",
            "[default: cohort-splice,life-table]",
        ],
    ),
    (
        "",
        "--conflict-policy",
        &["split", "merge", "drop", "[default: split]"],
    ),
    (
        "",
        "--splice-design",
        &["longest-lookback", "jay2025", "[default: longest-lookback]"],
    ),
    (
        "",
        "--sdc",
        &[
            "jay2025",
            "dfe",
            "ons-srs",
            "ukllc",
            "none",
            "[default: jay2025]",
        ],
    ),
    (
        "",
        "--linkage",
        &["exact", "merge", "corrected", "[default: corrected with"],
    ),
    (
        "",
        "--outcome",
        &[
            "referral",
            "assessed",
            "cin",
            "s47",
            "cpp",
            "[default: referral",
        ],
    ),
    (
        "",
        "--preset",
        &["jay2025", "jay2025-strict", "[default: none]"],
    ),
    ("", "--window-start", &["[default: 2011-04-01]"]),
    ("", "--bootstrap", &["[default: 200]"]),
    ("", "--seed", &["[default: "]),
    (
        "",
        "--format",
        &["csv", "parquet", "both", "[default: both]"],
    ),
    (
        "",
        "--frailty",
        &[
            "gamma",
            "lognormal",
            "mixture",
            "[default: gamma, or the --params file's]",
        ],
    ),
    ("", "--scale", &["[default: 0.05, or the --params file's]"]),
    (
        "",
        "--mechanism",
        &[
            "pmr-onset",
            "mixture-deprived",
            "independent",
            "[default: none]",
        ],
    ),
    (
        "",
        "--progress",
        &["auto", "bar", "log", "off", "[default: auto]"],
    ),
    ("demo", "--out", &["[default: cumin-demo]"]),
    ("init", "[PATH]", &["[default: study.toml]"]),
];

/// Every flag that takes one of a fixed set of values lists them, and every flag with a
/// default states it, in every subcommand that has the flag.
#[test]
fn every_choice_lists_its_values_and_every_default_is_stated() {
    for sub in ["estimate", "run", "init", "validate", "simulate", "demo"] {
        let h = help(&[sub]);
        for (only, flag, values) in WANTED {
            if !only.is_empty() && only != &sub {
                continue;
            }
            let Some(at) = h.find(&format!("  {flag}")) else {
                continue;
            };
            let section = &h[at + 2..];
            let end = section.find("\n  -").map_or(section.len(), |e| e + 1);
            let section = &section[..end];
            for v in *values {
                assert!(
                    section.contains(v),
                    "cumin {sub} --help: {flag} does not say {v}:\n{section}"
                );
            }
        }
    }
}
