//! `carve completions SHELL` and `carve man`: generated from the same clap definitions
//! as `--help`, so they never drift from the commands.

use clap::CommandFactory;

use super::Cli;
use super::output::write_out;
use crate::error::{Error, Result};

pub fn completions(shell: clap_complete::Shell) {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "carve", &mut script);
    write_out(&script);
}

pub fn man() -> Result<()> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| Error::internal(format!("cannot render the manual page: {e}")))?;
    write_out(&page);
    Ok(())
}
