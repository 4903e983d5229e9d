//! Start-up: parse the command line, load the configuration, start logging, run.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind as ClapErrorKind;

use carve::cli::{self, Cli, Next, Output};
use carve::config::{Overrides, Settings};
use carve::engine::text::{QUOTE_MAX, clean, cut};
use carve::os::Secret;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if is_nagios_check(&args) && !shows_help(&e) => {
            return unknown(&one_line(&e.render().to_string()));
        }
        Err(e) => return usage_error(e, &args),
    };
    let out = Output {
        json: cli.json,
        quiet: cli.quiet,
    };
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
        runtime.block_on(async {
            match cli::run(cli, &settings, &out).await? {
                Next::Done => Ok(()),
                Next::Ui {
                    db,
                    settings,
                    global_args,
                } => carve::tui::open(db, &settings, global_args).await,
            }
        })
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The check printed its own status line (and exit code) already.
        Err(error) if matches!(error.kind, carve::error::ErrorKind::Check(_)) => {
            ExitCode::from(error.kind.exit_code())
        }
        // A check that could not run at all (its config, say) is UNKNOWN, not CRITICAL.
        Err(error) if is_nagios_check(&args) => unknown(&error.message),
        Err(error) => {
            tracing::warn!(kind = error.kind.as_str(), "{}", error.message);
            out.error(&error);
            ExitCode::from(error.kind.exit_code())
        }
    }
}

/// `--format nagios`: a monitoring check, whose every failure to run is UNKNOWN (exit 3,
/// one status line on stdout), as the plugin guidelines want.
fn is_nagios_check(args: &[OsString]) -> bool {
    args.windows(2)
        .any(|w| w[0] == "--format" && w[1] == "nagios")
        || args.iter().any(|a| a == "--format=nagios")
}

fn unknown(message: &str) -> ExitCode {
    let message = message.lines().collect::<Vec<_>>().join("; ");
    println!(
        "UTILIZATION UNKNOWN - {}",
        cut(&clean(&message), QUOTE_MAX * 4)
    );
    ExitCode::from(3)
}

fn shows_help(error: &clap::Error) -> bool {
    matches!(
        error.kind(),
        ClapErrorKind::DisplayHelp | ClapErrorKind::DisplayVersion
    )
}

/// Help and version go to stdout with exit 0; real usage errors exit 2 (DESIGN.md
/// section 5) as one `error:` line, with the JSON error document too when `--json` was
/// asked for. The line quotes what was typed only cleaned and cut short.
fn usage_error(error: clap::Error, args: &[OsString]) -> ExitCode {
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
    let line = if error.kind() == ClapErrorKind::InvalidUtf8 {
        not_utf8(args)
    } else {
        one_line(&error.render().to_string())
    };
    eprintln!("error: {line}");
    if args.iter().any(|a| a == "--json") {
        let message = error.kind().as_str().unwrap_or("invalid usage").to_owned();
        let doc = serde_json::json!({"error": {"kind": "usage", "message": message}});
        println!("{doc}");
    }
    ExitCode::from(2)
}

/// clap's words for which argument is not UTF-8 name none: say which one, by position
/// and with its bytes shown escaped.
fn not_utf8(args: &[OsString]) -> String {
    let Some((n, arg)) = args
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, a)| a.to_str().is_none())
    else {
        return "an argument is not valid UTF-8".to_owned();
    };
    let shown: String = arg
        .as_bytes()
        .utf8_chunks()
        .fold(String::new(), |mut s, chunk| {
            s.push_str(chunk.valid());
            for byte in chunk.invalid() {
                s.push_str(&format!("\\x{byte:02X}"));
            }
            s
        });
    let after = match args.get(n - 1).and_then(|a| a.to_str()) {
        Some(option) if n > 1 && option.starts_with('-') => format!(" (the value of {option})"),
        _ => String::new(),
    };
    format!(
        "argument {n} '{}'{after} is not valid UTF-8: carve reads names and values as UTF-8 text",
        cut(&clean(&shown), QUOTE_MAX)
    )
}

/// clap's multi-line report (error, tips, usage, a pointer to --help) as one line.
fn one_line(rendered: &str) -> String {
    let mut parts = rendered
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"));
    let first = parts.next().unwrap_or("invalid usage");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let rest: Vec<&str> = parts.collect();
    let text = if rest.is_empty() {
        first.to_owned()
    } else {
        format!("{first} ({}; see --help)", rest.join("; "))
    };
    cut(&clean(&text), 2 * QUOTE_MAX)
}
