//! Progress of long commands on stderr: a bar when the service knows how many steps
//! there are, else a spinner with a count. Drawn only when stderr is a terminal and
//! `--quiet` was not given, so pipes, logs and scripts get nothing of it; stdout is
//! never written to.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::output::{Output, clean};
use crate::service::progress::Progress;

/// The bar of one command (or nothing, when it is not to be shown); cleared when it
/// goes, so the command's own output starts on a clean line.
pub struct Shown(Option<ProgressBar>);

impl Shown {
    pub fn on(out: &Output) -> Shown {
        if out.quiet || !std::io::stderr().is_terminal() {
            return Shown(None);
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        // A spinner until the first stage says more (indicatif's default is an empty bar).
        style(&bar, SPINNER);
        bar.enable_steady_tick(Duration::from_millis(120));
        Shown(Some(bar))
    }
}

impl Drop for Shown {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

const SPINNER: &str = "{spinner} {prefix} {elapsed} {wide_msg}";
const COUNTER: &str = "{spinner} {prefix} {human_pos} {elapsed} {wide_msg}";
const BAR: &str = "{prefix:>17} [{bar:30}] {pos}/{len} {elapsed} {wide_msg}";

fn style(bar: &ProgressBar, template: &str) {
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
}

impl Progress for Shown {
    fn stage(&self, name: &'static str, total: u64) {
        let Some(bar) = &self.0 else { return };
        // Length first: the ticker may draw between two of these calls.
        if total == 0 {
            bar.unset_length();
        } else {
            bar.set_length(total);
        }
        bar.set_position(0);
        style(bar, if total == 0 { SPINNER } else { BAR });
        bar.set_prefix(name);
        bar.set_message("");
    }

    fn advance(&self, steps: u64) {
        let Some(bar) = &self.0 else { return };
        // A stage of unknown length shows its count once there is one.
        if bar.length().is_none() && bar.position() == 0 {
            style(bar, COUNTER);
        }
        bar.inc(steps);
    }

    fn detail(&self, text: &str) {
        if let Some(bar) = &self.0 {
            // Names come from the database and from tools: never escape sequences.
            bar.set_message(clean(text));
        }
    }
}
