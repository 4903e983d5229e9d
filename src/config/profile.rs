//! `[profiles.NAME]`: named tenants (a database, its password command, a theme, read-only)
//! picked with `--profile NAME` or `CARVE_PROFILE`, so that nobody carves in the wrong one.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::DatabaseTarget;
use super::ui::checked_theme;
use crate::error::{Error, Result};
use crate::os::Secret;

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct ProfileSection {
    url: Option<Secret>,
    /// A standby of the same database, for what only reads.
    read_url: Option<Secret>,
    /// The embedded cluster under the data directory instead of a URL.
    embedded: bool,
    password_command: Option<String>,
    read_only: Option<bool>,
    theme: Option<String>,
}

/// What the chosen profile sets; it replaces `[database]`'s URL and password command
/// (a password meant for one tenant never goes to another).
#[derive(Debug)]
pub(super) struct Chosen {
    pub name: String,
    pub database: DatabaseTarget,
    pub reads: Option<DatabaseTarget>,
    pub password_command: Option<String>,
    pub read_only: Option<bool>,
    pub theme: Option<String>,
}

/// The profile called `name`, if one was asked for. `flag_url` is whether
/// `--database-url` was given too: two choices of database are refused, not ranked.
pub(super) fn choose(
    mut profiles: BTreeMap<String, ProfileSection>,
    name: Option<String>,
    flag_url: bool,
) -> Result<Option<Chosen>> {
    let Some(name) = name else {
        return Ok(None);
    };
    let known: Vec<&str> = profiles.keys().map(String::as_str).collect();
    let known = if known.is_empty() {
        "the config file has no [profiles.NAME] section".to_owned()
    } else {
        format!("known: {}", known.join(", "))
    };
    let profile = profiles.remove(&name).ok_or_else(|| {
        let name = crate::engine::text::quote(&name);
        Error::config(format!("no profile {name} ({known})"))
    })?;
    if flag_url {
        return Err(Error::config(format!(
            "--database-url and profile {name:?} both choose a database: give one of them"
        )));
    }
    let database = match (profile.url, profile.embedded) {
        (Some(url), false) => DatabaseTarget::Url {
            url,
            source: "the profile",
        },
        (None, true) => DatabaseTarget::Local,
        (Some(_), true) => {
            return Err(Error::config(format!(
                "profiles.{name}: url and embedded = true both choose a database: keep one"
            )));
        }
        (None, false) => {
            return Err(Error::config(format!(
                "profiles.{name} names no database: set url, or embedded = true"
            )));
        }
    };
    if profile.read_url.is_some() && database == DatabaseTarget::Local {
        return Err(Error::config(format!(
            "profiles.{name}: read_url goes with url (the embedded cluster has no standby)"
        )));
    }
    let reads = profile.read_url.map(|url| DatabaseTarget::Url {
        url,
        source: "the profile's read_url",
    });
    let theme = profile
        .theme
        .map(|t| checked_theme(&format!("profiles.{name}.theme"), t))
        .transpose()?;
    Ok(Some(Chosen {
        name,
        database,
        reads,
        password_command: profile.password_command,
        read_only: profile.read_only,
        theme,
    }))
}
