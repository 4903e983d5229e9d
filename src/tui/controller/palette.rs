//! The `:` palette's commands: run as carve itself, with the UI's global options, so
//! that they reach the same database and read and write the way the CLI does.

use super::Controller;
use crate::tui::ops::Msg;

impl Controller {
    /// Runs `carve ARGS` (the same binary, same database) and returns what it printed.
    pub(super) async fn palette(&self, id: u64, args: Vec<String>) -> Msg {
        let mut command = tokio::process::Command::new(&self.exe);
        if self.global_args.iter().any(|a| a == "--database-url") {
            // The UI reached its database by URL (the demo): a profile from the
            // environment would be a second choice of database, refused.
            command.env_remove("CARVE_PROFILE");
        }
        let output = command
            .args(&self.global_args)
            .args(&args)
            .stdin(std::process::Stdio::null())
            .output()
            .await;
        match output {
            Ok(out) => {
                let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
                text.push_str(&String::from_utf8_lossy(&out.stderr));
                Msg::Palette {
                    id,
                    ok: out.status.success(),
                    output: text,
                }
            }
            Err(e) => Msg::Palette {
                id,
                ok: false,
                output: format!("cannot start {}: {e}", self.exe.display()),
            },
        }
    }
}
