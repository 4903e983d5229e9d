//! `carve` with no command (and `carve demo` on a terminal): the terminal UI.

use std::io::IsTerminal;

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::store::Db;
use crate::tui::keymap::Keymap;
use crate::tui::theme::{Theme, no_color_from_env};
use crate::tui::{self, Options};

/// Opens the UI on `db`, refusing when stdin or stdout is not a terminal.
pub async fn open(db: Db, settings: &Settings, global_args: Vec<String>) -> Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Error::validation(
            "the terminal UI needs a terminal; for scripts use the commands (carve --help)",
        ));
    }
    let read_only = crate::service::database::read_only_reason(settings, &db).await?;
    let options = Options {
        read_only,
        theme: Theme::load(&settings.theme, no_color_from_env())?,
        keymap: Keymap::new(&settings.keys)?,
        database: db.description.clone(),
        profile: settings.profile.clone(),
        global_args,
    };
    tui::run(db, options).await
}
