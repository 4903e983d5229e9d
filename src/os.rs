//! Small facts about the process and the machine that several layers need.

use std::os::unix::fs::MetadataExt;

use crate::error::{Error, Result};

/// The effective user id of this process (the owner of /proc/self on Linux).
pub fn effective_uid() -> Option<u32> {
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

pub fn running_as_root() -> bool {
    effective_uid() == Some(0)
}

/// FNV-1a: a stable, dependency-free hash for naming directories after paths.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A string that holds a credential: it can be used, but never printed by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// Runs a configured credential command (`sh -c`) and takes the first line it prints.
/// `setting` names the config key in errors; the output itself is never shown.
pub fn run_secret_command(setting: &str, command: &str) -> Result<Secret> {
    let out = std::process::Command::new("sh")
        .args(["-c", command])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| Error::config(format!("cannot run {setting}: {e}")))?;
    if !out.status.success() {
        return Err(Error::config(format!("{setting} failed ({})", out.status)));
    }
    let text = String::from_utf8(out.stdout)
        .map_err(|_| Error::config(format!("{setting} printed something that is not UTF-8")))?;
    match text.lines().next() {
        Some(line) if !line.trim().is_empty() => Ok(Secret::new(line.trim())),
        _ => Err(Error::config(format!("{setting} printed nothing"))),
    }
}
