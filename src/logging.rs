//! Logs go to a file, never to the terminal (the TUI owns the screen; the CLI's stdout
//! is for results). Nothing that is logged may carry a password: database targets are
//! logged through their password-free descriptions only.

use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

use crate::config::Settings;
use crate::error::Result;
use crate::os::trust;

/// Starts file logging. A log file that cannot be opened costs a warning, not the
/// command; one that someone else could have planted (a symlink, another user's file)
/// is refused.
pub fn init(settings: &Settings) -> Result<()> {
    let path = &settings.log_file;
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let file = match trust::open_log(path)? {
        Ok(file) => file,
        Err(e) => {
            eprintln!("warning: not logging: cannot open {}: {e}", path.display());
            return Ok(());
        }
    };
    // The level was validated when the settings were loaded.
    let mut filter =
        EnvFilter::try_new(&settings.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    // The HTTP client and TLS log whole requests at debug and trace, DNS providers' API
    // keys included: never below info, whatever the level asked for.
    for quiet in ["ureq=info", "ureq_proto=info", "rustls=info"] {
        filter = filter.add_directive(quiet.parse().expect("a valid directive"));
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init();
    Ok(())
}
