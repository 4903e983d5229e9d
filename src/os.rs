//! Small facts about the process and the machine that several layers need.

use std::os::unix::fs::MetadataExt;

use crate::error::{Error, Result};

pub mod trust;

/// The effective user id of this process (the owner of /proc/self on Linux).
pub fn effective_uid() -> Option<u32> {
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

pub fn running_as_root() -> bool {
    effective_uid() == Some(0)
}

/// The real user id of this process: who started it, whatever it may have become since.
pub fn real_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let ids = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    ids.split_whitespace().next()?.parse().ok()
}

/// The name of `uid` in the passwd database: /etc/passwd, else `getent passwd` for users
/// that only a name service (LDAP, NIS, systemd-homed) knows.
pub fn user_name(uid: u32) -> Option<String> {
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|text| passwd_name(&text, uid))
        .or_else(|| {
            let out = std::process::Command::new("getent")
                .args(["passwd", &uid.to_string()])
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .output()
                .ok()?;
            out.status
                .success()
                .then(|| passwd_name(&String::from_utf8_lossy(&out.stdout), uid))
                .flatten()
        })
}

/// The name of the first entry for `uid` in passwd(5) text.
fn passwd_name(text: &str, uid: u32) -> Option<String> {
    text.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id = fields.nth(1)?;
        // `+name` and `-name` are NIS compat markers, not users.
        (!name.is_empty() && !name.starts_with(['+', '-']) && id.parse() == Ok(uid))
            .then(|| name.to_owned())
    })
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

/// How long a credential command may take: a password manager waiting for a touch or a
/// hung network call must not hold carve for good.
const SECRET_COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs a configured credential command (`sh -c`) and takes the first line it prints.
/// `setting` names the config key in errors; the output itself is never shown.
pub fn run_secret_command(setting: &str, command: &str) -> Result<Secret> {
    run_secret_command_within(setting, command, SECRET_COMMAND_TIMEOUT)
}

fn run_secret_command_within(
    setting: &str,
    command: &str,
    timeout: std::time::Duration,
) -> Result<Secret> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    // Its own process group, so a timeout ends the shell and whatever it started.
    let mut child = std::process::Command::new("sh")
        .args(["-c", command])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .process_group(0)
        .spawn()
        .map_err(|e| Error::config(format!("cannot run {setting}: {e}")))?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout.read_to_end(&mut bytes).map(|_| bytes)
    });
    let deadline = std::time::Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Ok(None) => {
                kill_group(&mut child);
                return Err(Error::config(format!(
                    "{setting} did not finish within {} s and was stopped",
                    timeout.as_secs_f64()
                )));
            }
            Err(e) => return Err(Error::config(format!("cannot run {setting}: {e}"))),
        }
    };
    if !status.success() {
        return Err(Error::config(format!("{setting} failed ({status})")));
    }
    let bytes = reader
        .join()
        .ok()
        .and_then(|r| r.ok())
        .ok_or_else(|| Error::config(format!("cannot read what {setting} printed")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::config(format!("{setting} printed something that is not UTF-8")))?;
    match text.lines().next() {
        Some(line) if !line.trim().is_empty() => Ok(Secret::new(line.trim())),
        _ => Err(Error::config(format!("{setting} printed nothing"))),
    }
}

fn kill_group(child: &mut std::process::Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the group the child leads, which
        // was created for it alone.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    child.wait().ok();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uid_is_named_by_its_passwd_entry() {
        let text = "root:x:0:0:root:/root:/bin/bash\n+nis:x:1000:1000::/:\n\
                    alice:x:1000:1000:Alice:/home/alice:/bin/sh\nbad line\n";
        assert_eq!(passwd_name(text, 0).as_deref(), Some("root"));
        assert_eq!(passwd_name(text, 1000).as_deref(), Some("alice"));
        assert_eq!(passwd_name(text, 1001), None);
    }

    #[test]
    fn a_secret_command_that_hangs_is_stopped_and_named() {
        let started = std::time::Instant::now();
        let err = run_secret_command_within(
            "database.password_command",
            "echo s3cret; sleep 30",
            std::time::Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "it waited"
        );
        assert!(
            err.message
                .contains("database.password_command did not finish within 1 s"),
            "{err}"
        );
        assert!(!err.message.contains("s3cret"), "{err}");
        assert!(
            !err.message.contains("sleep"),
            "the command is not echoed: {err}"
        );
        assert_eq!(
            run_secret_command("t", "echo s3cret").unwrap().expose(),
            "s3cret"
        );
    }
}
