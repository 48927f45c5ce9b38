//! The runs the attacker is given: one small simulated extract, estimated as a user would
//! (`cumin simulate`, `cumin run STUDY.toml`) under every profile and under `none`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Disclosure-control profiles attacked (`none` is the truth).
pub const PROFILES: [&str; 4] = ["jay2025", "dfe", "ons-srs", "ukllc"];

const PERIODS: &str = "periods = [\"2012-2015\", \"2016-2019\", \"2020-2023\"]\n";

/// A study configuration run under every profile.
pub struct Design {
    /// Name in the tables.
    pub name: &'static str,
    /// Lines of the study TOML beside inputs, output and profile.
    pub toml: String,
    /// Whether the denominators need an LA column.
    pub by_la: bool,
    /// A heavy design (minutes of unoptimised runs), attacked only with
    /// `CUMIN_SLOW_TESTS=1` (as CI runs the tests).
    pub slow: bool,
}

/// The designs: every stratification the issue names, with periods, both estimators
/// (the default), the identifier-mode sensitivity, exact linkage (whole counts
/// throughout), the bootstrap (its percentile limits), and both Jay presets. The two
/// heavy ones, strata by LA and by decile and sex (three quarters of the lab's run time
/// in a test build), only with `CUMIN_SLOW_TESTS=1`, which CI sets.
pub fn designs() -> Vec<Design> {
    let slow = crate::support::slow_tests();
    all_designs()
        .into_iter()
        .filter(|d| slow || !d.slow)
        .collect()
}

/// Every design, heavy or not.
fn all_designs() -> Vec<Design> {
    // The bootstrap (on by default) is attacked in the one design that names it; the
    // others run without it, so the lab's many runs stay quick.
    let d = |name, toml: &str, by_la| Design {
        name,
        toml: if toml.contains("bootstrap =") {
            toml.to_owned()
        } else {
            format!("bootstrap = 0\n{toml}")
        },
        by_la,
        slow: matches!(name, "decile:sex" | "la"),
    };
    vec![
        d(
            "decile",
            &format!("by = [\"idaci_decile\"]\n{PERIODS}sensitivity = true\n"),
            false,
        ),
        d(
            "decile-exact",
            &format!("by = [\"idaci_decile\"]\n{PERIODS}linkage = \"exact\"\n"),
            false,
        ),
        d(
            "decile:sex",
            &format!("by = [\"idaci_decile:sex\"]\n{PERIODS}bootstrap = 20\n"),
            false,
        ),
        d("la", &format!("by = [\"la\"]\n{PERIODS}"), true),
        d("jay2025", "preset = \"jay2025\"\n", false),
        d("jay2025-strict", "preset = \"jay2025-strict\"\n", false),
    ]
}

/// The design a stale folder's second run uses (no strata, no periods).
fn plain() -> Design {
    Design {
        name: "plain",
        toml: String::new(),
        by_la: false,
        slow: false,
    }
}

/// Name of the stale-folder scenario in the tables: a plain run into the folder of a
/// decile run under `none` must refuse, and with `--force` leave only its own files.
pub const STALE: &str = "stale: decile under none, then plain";

/// A run to make: design, profile, and the commands.
type Job<'a> = (String, String, Box<dyn Fn() + Send + Sync + 'a>);

/// Every folder written: (design, profile) → folder.
pub struct Lab {
    /// Folders by (design, profile); `none` folders hold the truth.
    pub folders: BTreeMap<(String, String), PathBuf>,
    /// Seconds each step took.
    pub timings: Vec<(String, f64)>,
}

fn cumin(args: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_cumin"))
        .args(args)
        .output()
        .expect("runs the binary");
    assert!(
        o.status.success(),
        "cumin {args:?} failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Runs `cumin ARGS`, which must refuse; returns its message.
fn cumin_refuses(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_cumin"))
        .args(args)
        .output()
        .expect("runs the binary");
    assert!(!o.status.success(), "cumin {args:?} should have refused");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A path as a TOML string.
fn quoted(p: &Path) -> String {
    format!("{:?}", p.to_string_lossy())
}

/// How a study is run into a folder that is not empty.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Existing {
    /// As any run: the folder must be empty or hold this run's kind of files.
    Allowed,
    /// The run must refuse (the folder holds other files), then succeed with `--force`.
    RefusedThenForced,
}

fn study(dir: &Path, sim: &Path, design: &Design, profile: &str, out: &Path, existing: Existing) {
    let den = if design.by_la {
        "denominators_la.csv"
    } else {
        "denominators.csv"
    };
    let toml = format!(
        "episodes = [{}]\ndenominators = {}\nout = {}\nsdc = {profile:?}\nsii_repetitions = 1000\n{}",
        quoted(&sim.join("episodes.csv")),
        quoted(&sim.join(den)),
        quoted(out),
        design.toml
    );
    let folder = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path = dir.join(format!("{folder}.{}.toml", design.name.replace(':', "-")));
    std::fs::write(&path, toml).expect("writes the study");
    let path = path.to_str().expect("UTF-8 path");
    if existing == Existing::RefusedThenForced {
        let why = cumin_refuses(&["--quiet", "run", path]);
        assert!(why.contains("--force"), "{why}");
        cumin(&["--quiet", "run", path, "--force"]);
    } else {
        cumin(&["--quiet", "run", path]);
    }
}

/// Denominators by LA: the simulated population of each cohort and age shared among the
/// extract's LAs in proportion to their rows (largest remainders), and
/// never below the rows that could hold an event of the cell (cumin refuses a cell with
/// fewer children than children with an event in it; in this small extract an LA's share
/// of a cohort is a handful of children).
fn la_denominators(sim: &Path) {
    let mut rows_by_la: BTreeMap<String, u64> = BTreeMap::new();
    // Rows of each LA by census year and birth cohort (`None`: no birth year on the row).
    let mut rows_by_cell: BTreeMap<(String, i32, Option<i32>), u64> = BTreeMap::new();
    let mut r = csv::Reader::from_path(sim.join("episodes.csv")).expect("episodes");
    let column = |r: &mut csv::Reader<std::fs::File>, name: &str| {
        r.headers()
            .expect("header")
            .iter()
            .position(|h| h == name)
            .expect(name)
    };
    let la = column(&mut r, "CIN_LA");
    let acadyr = column(&mut r, "CIN_ACADYR");
    let (birth_year, birth_month) = (
        column(&mut r, "CIN_YearOfBirth"),
        column(&mut r, "CIN_MonthOfBirth"),
    );
    for rec in r.records() {
        let rec = rec.expect("row");
        *rows_by_la.entry(rec[la].to_owned()).or_default() += 1;
        // `2012/13` is census year 2013; a cohort is named by the March its year ends.
        let Some(year) = rec[acadyr].get(..4).and_then(|y| y.parse::<i32>().ok()) else {
            continue;
        };
        let cohort = rec[birth_year].parse::<i32>().ok().map(|y| {
            let month = rec[birth_month].parse::<i32>().unwrap_or(1);
            if month >= 4 { y + 1 } else { y }
        });
        *rows_by_cell
            .entry((rec[la].to_owned(), year + 1, cohort))
            .or_default() += 1;
    }
    // Age `a` of cohort `b` spans census years `b + a` and `b + a + 1`: a child with an event
    // then has a row of that LA in one of them, of the cohort or with no birth year.
    let floor = |la: &str, b: i32, a: i32| -> u64 {
        [b + a, b + a + 1]
            .into_iter()
            .flat_map(|y| [Some(b), None].map(|c| (la.to_owned(), y, c)))
            .map(|k| rows_by_cell.get(&k).copied().unwrap_or(0))
            .sum()
    };
    let mut population: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut r = csv::Reader::from_path(sim.join("denominators.csv")).expect("denominators");
    for rec in r.records() {
        let rec = rec.expect("row");
        *population
            .entry((rec[0].to_owned(), rec[1].to_owned()))
            .or_default() += rec[4].parse::<u64>().expect("population");
    }
    let total: u64 = rows_by_la.values().sum();
    let mut text = String::from("birth_year,age,LA,population\n");
    for ((b, a), p) in population {
        let shares: Vec<(f64, &String)> = rows_by_la
            .iter()
            .map(|(l, n)| (p as f64 * *n as f64 / total as f64, l))
            .collect();
        let mut whole: Vec<u64> = shares.iter().map(|(s, _)| *s as u64).collect();
        let mut order: Vec<usize> = (0..shares.len()).collect();
        order.sort_by(|&i, &j| {
            (shares[j].0.fract())
                .total_cmp(&shares[i].0.fract())
                .then(i.cmp(&j))
        });
        let left = p - whole.iter().sum::<u64>();
        for &i in order.iter().take(left as usize) {
            whole[i] += 1;
        }
        let (cohort, age) = (
            b.parse::<i32>().expect("birth_year"),
            a.parse::<i32>().expect("age"),
        );
        for ((_, l), n) in shares.iter().zip(whole) {
            let n = n.max(floor(l, cohort, age));
            let _ = writeln!(text, "{b},{a},{l},{n}");
        }
    }
    std::fs::write(sim.join("denominators_la.csv"), text).expect("writes LA denominators");
}

impl Lab {
    /// Simulates the extract and runs every design under every profile and `none`, two at
    /// a time.
    pub fn build() -> Lab {
        // The runs go to one folder under the target directory, emptied first (the lab
        // lives in a static, so nothing would remove a temporary folder). While working on
        // the attacks, CUMIN_ATTACK_LAB=DIR keeps the runs in DIR and reuses them.
        let reuse = std::env::var_os("CUMIN_ATTACK_LAB").map(PathBuf::from);
        let root = reuse
            .clone()
            .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("attack-lab"));
        if reuse.is_none() && root.exists() {
            std::fs::remove_dir_all(&root).expect("empties the lab");
        }
        std::fs::create_dir_all(&root).expect("creates the lab");
        let sim = root.join("sim");
        let mut timings = Vec::new();
        let t0 = std::time::Instant::now();
        if reuse.is_none() || !sim.join("denominators_la.csv").is_file() {
            cumin(&[
                "--quiet",
                "simulate",
                "--out",
                sim.to_str().expect("UTF-8"),
                "--scale",
                "0.005",
                "--seed",
                "18",
                "--format",
                "csv",
            ]);
            la_denominators(&sim);
        }
        timings.push(("simulate".to_owned(), t0.elapsed().as_secs_f64()));
        let designs = designs();
        let plain = plain();
        let mut jobs: Vec<Job<'_>> = Vec::new();
        let mut folders = BTreeMap::new();
        for d in &designs {
            for profile in std::iter::once("none").chain(PROFILES) {
                let out = root.join(format!("{}-{profile}", d.name.replace(':', "-")));
                folders.insert((d.name.to_owned(), profile.to_owned()), out.clone());
                let (root, sim) = (root.clone(), sim.clone());
                jobs.push((
                    d.name.to_owned(),
                    profile.to_owned(),
                    Box::new(move || study(&root, &sim, d, profile, &out, Existing::Allowed)),
                ));
            }
        }
        let out = root.join("plain-none");
        folders.insert(("plain".to_owned(), "none".to_owned()), out.clone());
        let (r, s) = (root.clone(), sim.clone());
        let p = &plain;
        jobs.push((
            "plain".to_owned(),
            "none".to_owned(),
            Box::new(move || study(&r, &s, p, "none", &out, Existing::Allowed)),
        ));
        for profile in PROFILES {
            let out = root.join(format!("stale-{profile}"));
            folders.insert((STALE.to_owned(), profile.to_owned()), out.clone());
            let (r, s) = (root.clone(), sim.clone());
            let first = &designs[0];
            jobs.push((
                STALE.to_owned(),
                profile.to_owned(),
                Box::new(move || {
                    study(&r, &s, first, "none", &out, Existing::Allowed);
                    study(&r, &s, p, profile, &out, Existing::RefusedThenForced);
                }),
            ));
        }
        if reuse.is_some() {
            jobs.retain(|(d, p, _)| {
                !folders[&(d.clone(), p.clone())]
                    .join("manifest.json")
                    .is_file()
            });
        }
        let queue = Mutex::new(jobs);
        let done = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..2 {
                scope.spawn(|| {
                    loop {
                        let Some((d, p, job)) = queue.lock().expect("queue").pop() else {
                            break;
                        };
                        let t = std::time::Instant::now();
                        job();
                        done.lock()
                            .expect("timings")
                            .push((format!("run {d} / {p}"), t.elapsed().as_secs_f64()));
                    }
                });
            }
        });
        timings.extend(done.into_inner().expect("timings"));
        timings.push(("all runs".to_owned(), t0.elapsed().as_secs_f64()));
        Lab { folders, timings }
    }

    /// Whether the lab ran `design`.
    pub fn has(&self, design: &str) -> bool {
        self.folders.keys().any(|(d, _)| d == design)
    }

    /// The folder of `design` under `profile`.
    pub fn folder(&self, design: &str, profile: &str) -> &Path {
        &self.folders[&(design.to_owned(), profile.to_owned())]
    }
}
