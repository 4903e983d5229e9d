//! The data dir's own files and directories: created with the right owners and modes,
//! refused when someone else could have changed them, kept closed to other users.

use std::fs::{DirBuilder, File, Permissions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use super::LocalCluster;
use crate::error::{Error, Result};
use crate::os::trust::{Owners, untrusted};

impl LocalCluster {
    /// Creates the data directory's parts with the owners and modes the server needs
    /// (nothing is started); `ensure_running` does it first.
    pub fn prepare_data_dir(&self) -> Result<()> {
        if let Some(user) = &self.run_as {
            user.check_can_reach(&self.pgdata)?;
        }
        make_dir(&self.data_dir, 0o700)?;
        refuse_untrusted("data dir", &self.data_dir, &Owners::me_or_root())?;
        self.keep_data_dir_private()?;
        let cluster_owners = || match &self.run_as {
            Some(user) => Owners::also(user.uid),
            None => Owners::me_or_root(),
        };
        for (what, dir) in [
            ("cluster dir", &self.pgdata),
            ("socket dir", &self.socket_dir),
        ] {
            make_dir(dir, 0o700)?;
            refuse_untrusted(what, dir, &cluster_owners())?;
            if let Some(user) = &self.run_as {
                user.chown(dir)?;
            }
        }
        if let Some(user) = &self.run_as {
            File::options()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(&self.log_file)
                .and_then(|f| f.set_permissions(Permissions::from_mode(0o600)))
                .map_err(|e| {
                    Error::local_cluster(format!("cannot create {}: {e}", self.log_file.display()))
                })?;
            user.chown(&self.log_file)?;
        }
        Ok(())
    }

    /// The data dir holds the whole address plan (the cluster, its log, carve's log):
    /// nobody else may list or enter it. As root the cluster's user must still pass
    /// through, so its group gets search permission and nothing more. A data dir that
    /// an older carve left open is closed.
    fn keep_data_dir_private(&self) -> Result<()> {
        let mode = match &self.run_as {
            Some(user) => {
                std::os::unix::fs::chown(&self.data_dir, None, Some(user.gid)).map_err(|e| {
                    Error::local_cluster(format!(
                        "cannot give {} to the {} group: {e}",
                        self.data_dir.display(),
                        user.name
                    ))
                })?;
                0o710
            }
            None => 0o700,
        };
        std::fs::set_permissions(&self.data_dir, Permissions::from_mode(mode)).map_err(|e| {
            Error::local_cluster(format!("cannot chmod {}: {e}", self.data_dir.display()))
        })
    }
}

/// A directory someone else owns or may write could hold their own PostgreSQL (or
/// socket) in place of carve's.
fn refuse_untrusted(what: &str, dir: &Path, owners: &Owners) -> Result<()> {
    match untrusted(what, dir, owners) {
        Some(why) => Err(Error::local_cluster(why)),
        None => Ok(()),
    }
}

fn make_dir(dir: &Path, mode: u32) -> Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(dir)
        .map_err(|e| Error::local_cluster(format!("cannot create {}: {e}", dir.display())))
}

pub(super) fn lock_file(path: &Path) -> Result<File> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::local_cluster(format!("cannot open {}: {e}", path.display())))?;
    file.lock()
        .map_err(|e| Error::local_cluster(format!("cannot lock {}: {e}", path.display())))?;
    Ok(file)
}
