//! Paths carve trusts with its data, its commands and its log, checked as ssh and
//! PostgreSQL check theirs: a file or directory that another user owns, or that group
//! or others may write, could have been put there or changed by someone else (a
//! PostgreSQL of their own in the socket dir, a `password_command` in the config).

use std::fs::{File, Metadata, OpenOptions};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use crate::error::{Error, Result};

/// Who may own a trusted path: this process's user, root, and `also` (the `postgres`
/// user for the cluster's own directories when carve runs as root).
pub struct Owners {
    also: Option<u32>,
}

impl Owners {
    pub fn me_or_root() -> Owners {
        Owners { also: None }
    }

    pub fn also(uid: u32) -> Owners {
        Owners { also: Some(uid) }
    }

    fn allows(&self, uid: u32) -> bool {
        uid == 0 || Some(uid) == super::effective_uid() || Some(uid) == self.also
    }
}

/// Why `path` (described as `what`, e.g. "config file") is not to be trusted, if it
/// exists and is not; a path that does not exist yet is carve's to create.
pub fn untrusted(what: &str, path: &Path, owners: &Owners) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    judge(what, path, &meta, owners)
}

fn judge(what: &str, path: &Path, meta: &Metadata, owners: &Owners) -> Option<String> {
    let shown = path.display();
    if !owners.allows(meta.uid()) {
        let owner = super::user_name(meta.uid()).unwrap_or_else(|| meta.uid().to_string());
        // The cluster's own directories belong to the user the cluster runs as.
        let rightful = owners
            .also
            .and_then(super::user_name)
            .or_else(|| super::effective_uid().and_then(super::user_name))
            .unwrap_or_else(|| "$(id -un)".to_owned());
        let allowed = match owners.also.and_then(super::user_name) {
            Some(user) => format!("you, root or {user}"),
            None => "you or root".to_owned(),
        };
        return Some(format!(
            "refusing the {what} {shown}: it belongs to {owner}, not to {allowed}, so \
             they could have put anything there; if it is yours, run `chown {rightful} {shown}`"
        ));
    }
    let mode = meta.mode() & 0o7777;
    // A sticky directory (/tmp) still lets others add entries; refuse it as well.
    if mode & 0o022 != 0 {
        return Some(format!(
            "refusing the {what} {shown}: group or others may write it (mode {mode:04o}), \
             so anyone could change it; run `chmod go-w {shown}`"
        ));
    }
    None
}

/// Opens the log for appending, creating it (0600) if missing, without following a
/// symlink at its name. Err: refused (a symlink, another user's or writable by others);
/// Ok(Err): it could not be opened for an ordinary reason.
pub fn open_log(path: &Path) -> Result<std::io::Result<File>> {
    let opened = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path);
    let file = match opened {
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(Error::config(format!(
                "refusing the log file {0}: it is a symlink, so carve would write wherever \
                 it points; remove it (`rm {0}`) or set log.file",
                path.display()
            )));
        }
        Err(e) => return Ok(Err(e)),
        Ok(file) => file,
    };
    let meta = match file.metadata() {
        Ok(meta) => meta,
        Err(e) => return Ok(Err(e)),
    };
    match judge("log file", path, &meta, &Owners::me_or_root()) {
        Some(why) => Err(Error::config(why)),
        None => Ok(Ok(file)),
    }
}
