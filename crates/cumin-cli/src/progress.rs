//! Progress on standard error: bars on a terminal, a line per stage for logs, or nothing.
//!
//! Libraries report stages through [`cumin_census::Progress`]; this draws them. A bar
//! redraws ten times a second whether or not its count moves, so its clock shows the
//! tool is working; a stage with a total shows the time left.

use cumin_census::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How progress is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    /// Bars when standard error is a terminal, nothing otherwise.
    #[default]
    Auto,
    /// Bars, even when standard error is not a terminal.
    Bar,
    /// A line when each stage starts, every tenth of the way, and when it ends: for logs
    /// of batch jobs.
    Log,
    /// Nothing.
    Off,
}

/// The stage being run.
struct Stage {
    name: String,
    unit: &'static str,
    total: Option<u64>,
    done: u64,
    start: Instant,
    bar: Option<ProgressBar>,
}

/// Draws the stages the libraries report.
pub struct Bars {
    current: Mutex<Option<Stage>>,
    mode: ProgressMode,
    quiet: bool,
}

impl Bars {
    /// Progress in `mode` (`auto` resolved against standard error now); `quiet` turns
    /// everything off, notes included.
    pub fn new(quiet: bool, mode: ProgressMode) -> Bars {
        let mode = match mode {
            _ if quiet => ProgressMode::Off,
            ProgressMode::Auto if std::io::stderr().is_terminal() => ProgressMode::Bar,
            ProgressMode::Auto => ProgressMode::Off,
            m => m,
        };
        Bars {
            current: Mutex::new(None),
            mode,
            quiet,
        }
    }

    /// Ends the stage in progress, if any, with its closing line.
    fn close(&self, stage: Option<Stage>) {
        let Some(stage) = stage else { return };
        if let Some(bar) = &stage.bar {
            bar.finish_and_clear();
        }
        if self.mode != ProgressMode::Off {
            eprintln!("{}", done_line(&stage));
        }
    }
}

/// The line a finished stage leaves: its name, count and time.
fn done_line(stage: &Stage) -> String {
    let count = if stage.unit.is_empty() {
        String::new()
    } else {
        format!(" {} {},", thousands(stage.done), stage.unit)
    };
    format!(
        "done: {}:{count} {:.1}s",
        stage.name,
        stage.start.elapsed().as_secs_f64()
    )
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The bar's template for a stage with or without a total and a unit.
fn template(total: bool, unit: &str) -> String {
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    if total {
        format!(
            "{{spinner}} {{msg}} [{{bar:25}}] {{human_pos}}/{{human_len}}{unit} · {{elapsed}} · about {{eta}} left"
        )
    } else if unit.is_empty() {
        "{spinner} {msg} · {elapsed}".to_owned()
    } else {
        format!("{{spinner}} {{msg}} {{human_pos}}{unit} ({{per_sec}}) · {{elapsed}}")
    }
}

impl Progress for Bars {
    fn begin(&self, stage: &str, total: Option<u64>) {
        self.begin_counting(stage, total, "");
    }

    fn begin_counting(&self, stage: &str, total: Option<u64>, unit: &'static str) {
        if self.mode == ProgressMode::Off {
            return;
        }
        let bar = (self.mode == ProgressMode::Bar).then(|| {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(&template(total.is_some(), unit)) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(stage.to_owned());
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        if self.mode == ProgressMode::Log {
            match total {
                Some(n) if !unit.is_empty() => {
                    eprintln!("start: {stage} ({} {unit})", thousands(n));
                }
                _ => eprintln!("start: {stage}"),
            }
        }
        let new = Stage {
            name: stage.to_owned(),
            unit,
            total,
            done: 0,
            start: Instant::now(),
            bar,
        };
        let old = self.current.lock().ok().and_then(|mut c| c.replace(new));
        self.close(old);
    }

    fn advance(&self, n: u64) {
        let Ok(mut c) = self.current.lock() else {
            return;
        };
        let Some(stage) = c.as_mut() else { return };
        let before = stage.done;
        stage.done += n;
        if let Some(bar) = &stage.bar {
            bar.inc(n);
        }
        if self.mode == ProgressMode::Log
            && let Some(total) = stage.total.filter(|t| *t > 0)
        {
            let tenth = |d: u64| (d.min(total) * 10) / total;
            if tenth(stage.done) > tenth(before) && stage.done < total {
                eprintln!(
                    "  {}: {}/{} {} ({}%), {:.1}s",
                    stage.name,
                    thousands(stage.done),
                    thousands(total),
                    stage.unit,
                    tenth(stage.done) * 10,
                    stage.start.elapsed().as_secs_f64()
                );
            }
        }
    }

    fn end(&self) {
        let stage = self.current.lock().ok().and_then(|mut c| c.take());
        self.close(stage);
    }

    fn note(&self, message: &str) {
        if self.quiet {
            return;
        }
        let bar = self
            .current
            .lock()
            .ok()
            .and_then(|c| c.as_ref().and_then(|s| s.bar.clone()));
        match bar {
            Some(bar) => bar.suspend(|| eprintln!("note: {message}")),
            None => eprintln!("note: {message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_show_counts_and_time_left_when_they_can() {
        let t = template(true, "replicates");
        assert!(t.contains("{human_pos}/{human_len} replicates"), "{t}");
        assert!(t.contains("{eta}"), "{t}");
        assert!(ProgressStyle::with_template(&t).is_ok());
        let t = template(false, "rows");
        assert!(t.contains("{human_pos} rows ({per_sec})"), "{t}");
        assert!(ProgressStyle::with_template(&t).is_ok());
        let t = template(false, "");
        assert!(
            !t.contains("pos"),
            "a stage without a unit shows no count: {t}"
        );
        assert!(t.contains("{elapsed}"), "{t}");
    }

    #[test]
    fn counts_read_in_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
