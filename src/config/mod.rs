//! Configuration: `config.toml` (in the platform config dir, or `--config FILE`),
//! then environment overrides, then command-line flags. A file that does not parse or
//! holds an unknown key is an error naming file, line, column and key: never a silent
//! default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::os::trust::{Owners, untrusted};
use crate::os::{Secret, running_as_root};

mod allocation;
pub use allocation::ReleaseCooldown;
mod profile;
mod rdns;
pub use rdns::{ProviderKind, RdnsProvider, SecretSource};
mod toml_errors;
use toml_errors::describe_toml_error;
mod ui;
use ui::{KeyList, UiSection};

/// The file as written by the user. Every key is documented in `config.example.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileConfig {
    database: DatabaseSection,
    local: LocalSection,
    log: LogSection,
    ui: UiSection,
    allocation: allocation::AllocationSection,
    keys: BTreeMap<String, KeyList>,
    profiles: BTreeMap<String, profile::ProfileSection>,
    rdns: rdns::RdnsSection,
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct DatabaseSection {
    url: Option<Secret>,
    /// A standby of the database `url` names, for what only reads.
    read_url: Option<Secret>,
    password_command: Option<String>,
    connect_timeout_secs: u64,
    lock_timeout_secs: u64,
    max_connections: u32,
    read_only: bool,
}

impl Default for DatabaseSection {
    fn default() -> Self {
        DatabaseSection {
            url: None,
            read_url: None,
            password_command: None,
            connect_timeout_secs: 10,
            lock_timeout_secs: 30,
            max_connections: 8,
            read_only: false,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct LocalSection {
    data_dir: Option<PathBuf>,
    bin_dir: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct LogSection {
    level: Option<String>,
    file: Option<PathBuf>,
}

/// Where the database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// The tenant's PostgreSQL; `source` says which setting chose it (for messages).
    Url { url: Secret, source: &'static str },
    /// The private cluster under the data directory.
    Local,
}

/// Command-line values that override the file and the environment.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub database_url: Option<Secret>,
    /// `--read-only`: refuse every change, whatever the config says.
    pub read_only: bool,
    /// `--profile NAME` (else `CARVE_PROFILE`).
    pub profile: Option<String>,
}

/// The resolved settings every other module reads.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The file the settings came from, if one was read.
    pub config_file: Option<PathBuf>,
    pub database: DatabaseTarget,
    /// Where what only reads goes (a standby of `database`), when set: `read_url` of the
    /// profile or of `[database]`, only together with the `url` beside it.
    pub reads: Option<DatabaseTarget>,
    pub password_command: Option<String>,
    pub connect_timeout: Duration,
    /// The longest any session waits for a lock before carve gives up.
    pub lock_timeout: Duration,
    pub max_connections: u32,
    pub data_dir: PathBuf,
    pub bin_dir: Option<PathBuf>,
    pub log_level: String,
    pub log_file: PathBuf,
    /// The TUI theme: a bundled theme's name or an absolute path to a theme file, for
    /// `tui::theme::Theme::load` (which checks that it exists).
    pub theme: String,
    /// Refuse every change (`--read-only`, `database.read_only` or the profile's).
    pub read_only: bool,
    /// The profile in use, named on every screen and before every change.
    pub profile: Option<String>,
    /// `[allocation] release_cooldown`: how long released space stays parked.
    pub release_cooldown: ReleaseCooldown,
    /// `[keys]`: action name -> the keys bound to it, checked by the TUI's keymap.
    pub keys: BTreeMap<String, Vec<String>>,
    /// `[[rdns.providers]]`: who serves which reverse zones.
    pub rdns: Vec<RdnsProvider>,
}

impl Settings {
    /// Reads the config file and the process environment.
    pub fn load(overrides: &Overrides) -> Result<Settings> {
        Self::load_with_env(overrides, |key| std::env::var(key).ok())
    }

    /// Like [`Settings::load`], with the environment given as a lookup (for tests).
    pub fn load_with_env(
        overrides: &Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings> {
        let explicit = overrides
            .config_file
            .clone()
            .or_else(|| env("CARVE_CONFIG").map(PathBuf::from));
        let (file, config_file) = match explicit {
            Some(path) => (parse_file(&path)?, Some(path)),
            None => match default_config_path().filter(|p| p.exists()) {
                Some(path) => (parse_file(&path)?, Some(path)),
                None => (FileConfig::default(), None),
            },
        };
        resolve(file, config_file, overrides, env)
    }
}

fn resolve(
    file: FileConfig,
    config_file: Option<PathBuf>,
    overrides: &Overrides,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Settings> {
    let non_empty = |key: &str| env(key).filter(|v| !v.is_empty());
    // A profile, chosen on purpose, wins over URLs lying around in the environment.
    let chosen = profile::choose(
        file.profiles,
        overrides
            .profile
            .clone()
            .or_else(|| non_empty("CARVE_PROFILE")),
        overrides.database_url.is_some(),
    )?;
    let database = if let Some(chosen) = &chosen {
        chosen.database.clone()
    } else if let Some(url) = &overrides.database_url {
        DatabaseTarget::Url {
            url: url.clone(),
            source: "--database-url",
        }
    } else if let Some(url) = non_empty("CARVE_DATABASE_URL") {
        DatabaseTarget::Url {
            url: Secret::new(url),
            source: "CARVE_DATABASE_URL",
        }
    } else if let Some(url) = non_empty("DATABASE_URL") {
        DatabaseTarget::Url {
            url: Secret::new(url),
            source: "DATABASE_URL",
        }
    } else if let Some(url) = file.database.url.clone() {
        DatabaseTarget::Url {
            url,
            source: "database.url",
        }
    } else {
        DatabaseTarget::Local
    };
    let reads = reads_target(&file.database, chosen.as_ref(), &database)?;

    let data_dir = match non_empty("CARVE_DATA_DIR") {
        Some(dir) => absolute("CARVE_DATA_DIR", PathBuf::from(dir))?,
        None => match file.local.data_dir {
            Some(dir) => absolute("local.data_dir", dir)?,
            None => default_data_dir()?,
        },
    };
    let bin_dir = file
        .local
        .bin_dir
        .map(|dir| absolute("local.bin_dir", dir))
        .transpose()?;
    if file.database.connect_timeout_secs == 0 {
        return Err(Error::config(
            "database.connect_timeout_secs must be at least 1",
        ));
    }
    if file.database.lock_timeout_secs == 0 {
        return Err(Error::config(
            "database.lock_timeout_secs must be at least 1: carve never waits for a lock without end",
        ));
    }
    if file.database.max_connections == 0 {
        return Err(Error::config("database.max_connections must be at least 1"));
    }
    let log_level = non_empty("CARVE_LOG")
        .or(file.log.level)
        .unwrap_or_else(|| "info".to_owned());
    if !is_log_filter(&log_level) {
        return Err(Error::config(format!(
            "log.level {log_level:?} is not a level (error, warn, info, debug, trace) or a filter like \"carve=debug\""
        )));
    }
    let log_file = match file.log.file {
        Some(path) => absolute("log.file", path)?,
        None => data_dir.join("carve.log"),
    };
    let theme = match chosen.as_ref().and_then(|c| c.theme.clone()) {
        Some(theme) => theme,
        None => file.ui.theme()?,
    };
    let release_cooldown = file.allocation.release_cooldown()?;
    let rdns = file.rdns.providers()?;
    let keys = file
        .keys
        .into_iter()
        .map(|(k, v)| (k, v.into_vec()))
        .collect();

    Ok(Settings {
        config_file,
        database,
        reads,
        password_command: match &chosen {
            Some(c) => c.password_command.clone(),
            None => file.database.password_command,
        },
        read_only: overrides.read_only
            || chosen
                .as_ref()
                .and_then(|c| c.read_only)
                .unwrap_or(file.database.read_only),
        profile: chosen.map(|c| c.name),
        connect_timeout: Duration::from_secs(file.database.connect_timeout_secs),
        lock_timeout: Duration::from_secs(file.database.lock_timeout_secs),
        max_connections: file.database.max_connections,
        data_dir,
        bin_dir,
        log_level,
        log_file,
        theme,
        release_cooldown,
        keys,
        rdns,
    })
}

/// The standby for reads: the profile's `read_url` with its `url`, or `[database]`'s
/// with the `url` beside it. A URL from the command line or the environment names a
/// database the file's `read_url` may not be a standby of: it is then left out.
fn reads_target(
    section: &DatabaseSection,
    chosen: Option<&profile::Chosen>,
    database: &DatabaseTarget,
) -> Result<Option<DatabaseTarget>> {
    if let Some(chosen) = chosen {
        return Ok(chosen.reads.clone());
    }
    let Some(url) = section.read_url.clone() else {
        return Ok(None);
    };
    if section.url.is_none() {
        return Err(Error::config(
            "database.read_url goes with database.url (a standby of that database): set url too",
        ));
    }
    Ok(match database {
        DatabaseTarget::Url {
            source: "database.url",
            ..
        } => Some(DatabaseTarget::Url {
            url,
            source: "database.read_url",
        }),
        _ => None,
    })
}

impl Settings {
    /// The settings for a command that only reads, when a standby is set for reads:
    /// its URL, and nothing written there (schema checked, not migrated).
    pub fn for_reads(&self) -> Option<Settings> {
        let reads = self.reads.clone()?;
        Some(Settings {
            database: reads,
            reads: None,
            read_only: true,
            ..self.clone()
        })
    }
}

/// A level (`info`) or a comma list of `target=level` directives (`carve=debug,sqlx=warn`).
fn is_log_filter(filter: &str) -> bool {
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    let is_level = |s: &str| LEVELS.contains(&s.to_ascii_lowercase().as_str());
    filter
        .split(',')
        .all(|directive| match directive.trim().split_once('=') {
            None => is_level(directive.trim()),
            Some((target, level)) => {
                !target.is_empty()
                    && target
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                    && is_level(level)
            }
        })
}

fn absolute(key: &str, path: PathBuf) -> Result<PathBuf> {
    if path.is_absolute() {
        Ok(path)
    } else {
        Err(Error::config(format!(
            "{key} must be an absolute path, got {}",
            path.display()
        )))
    }
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "carve")
}

pub fn default_config_path() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

/// Root's home is 0700, so the `postgres` system user could not reach a cluster there:
/// as root the data lives in the system state directory instead.
fn default_data_dir() -> Result<PathBuf> {
    if running_as_root() {
        return Ok(PathBuf::from("/var/lib/carve"));
    }
    project_dirs()
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| Error::config("cannot find a home directory: set CARVE_DATA_DIR"))
}

fn parse_file(path: &Path) -> Result<FileConfig> {
    // It names commands carve runs (password_command): only its user's or root's.
    if let Some(why) = untrusted("config file", path, &Owners::me_or_root()) {
        return Err(Error::config(why));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::config(format!("cannot read config file {}: {e}", path.display())))?;
    parse_str(&text).map_err(|e| Error::config(format!("{}:{e}", path.display())))
}

/// Parses config text; the error starts with `line:column:` and names the key.
fn parse_str(text: &str) -> std::result::Result<FileConfig, String> {
    toml::from_str(text).map_err(|e| describe_toml_error(text, &e))
}

#[cfg(test)]
mod tests;
