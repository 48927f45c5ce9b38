//! Progress bars on stderr, only when stderr is a terminal.

use cumin_census::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;

/// Draws one bar per stage; silent when stderr is not a terminal.
pub struct Bars {
    current: Mutex<Option<ProgressBar>>,
    enabled: bool,
    quiet: bool,
}

impl Bars {
    /// Bars if stderr is a terminal and not `quiet`.
    pub fn new(quiet: bool) -> Bars {
        Bars {
            current: Mutex::new(None),
            enabled: std::io::stderr().is_terminal() && !quiet,
            quiet,
        }
    }
}

impl Progress for Bars {
    fn begin(&self, stage: &str, total: Option<u64>) {
        if !self.enabled {
            return;
        }
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let style = if total.is_some() {
            ProgressStyle::with_template("{msg:30} [{bar:30}] {percent:>3}% {elapsed}")
        } else {
            ProgressStyle::with_template("{msg:30} {spinner} {human_pos} rows {elapsed}")
        };
        if let Ok(s) = style {
            bar.set_style(s.progress_chars("=> "));
        }
        bar.set_message(stage.to_owned());
        if let Ok(mut c) = self.current.lock()
            && let Some(old) = c.replace(bar)
        {
            old.finish_and_clear();
        }
    }

    fn advance(&self, n: u64) {
        if let Ok(c) = self.current.lock()
            && let Some(b) = c.as_ref()
        {
            b.inc(n);
        }
    }

    fn end(&self) {
        if let Ok(mut c) = self.current.lock()
            && let Some(b) = c.take()
        {
            b.finish_and_clear();
        }
    }

    fn note(&self, message: &str) {
        if !self.quiet {
            eprintln!("note: {message}");
        }
    }
}
