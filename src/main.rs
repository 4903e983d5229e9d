//! Start-up: parse the command line, load the configuration, start logging, run.

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind as ClapErrorKind;

use carve::cli::{self, Cli, Output};
use carve::config::{Overrides, Settings};
use carve::os::Secret;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let out = Output { json: cli.json };
    let overrides = Overrides {
        config_file: cli.config.clone(),
        database_url: cli.database_url.clone().map(Secret::new),
        read_only: cli.read_only,
        profile: cli.profile.clone(),
    };
    let result = Settings::load(&overrides).and_then(|settings| {
        carve::logging::init(&settings)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| carve::error::Error::internal(format!("cannot start the runtime: {e}")))?;
        runtime.block_on(cli::run(cli, &settings, &out))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::warn!(kind = error.kind.as_str(), "{}", error.message);
            out.error(&error);
            ExitCode::from(error.kind.exit_code())
        }
    }
}

/// Help and version go to stdout with exit 0; real usage errors exit 2 (DESIGN.md
/// section 5), with the JSON error document too when `--json` was asked for.
fn usage_error(error: clap::Error) -> ExitCode {
    if matches!(
        error.kind(),
        ClapErrorKind::DisplayHelp
            | ClapErrorKind::DisplayVersion
            | ClapErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = error.print();
        return if error.kind() == ClapErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let _ = error.print();
    if std::env::args().any(|a| a == "--json") {
        let message = error.kind().as_str().unwrap_or("invalid usage").to_owned();
        let doc = serde_json::json!({"error": {"kind": "usage", "message": message}});
        println!("{doc}");
    }
    ExitCode::from(2)
}
