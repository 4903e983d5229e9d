//! PostgreSQL refuses to run as root. When carve runs as root, the private cluster runs
//! as the `postgres` system user instead, and its directories must belong to that user.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::error::{Error, Result};

const CLUSTER_USER: &str = "postgres";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

impl SystemUser {
    /// The `postgres` account, looked up through NSS (`getent passwd`).
    pub fn postgres() -> Result<SystemUser> {
        let missing = || {
            Error::local_cluster(format!(
                "carve runs as root, so the local cluster must run as the `{CLUSTER_USER}` \
                 system user, and there is none (install the postgresql package, which creates it)"
            ))
        };
        let out = std::process::Command::new("getent")
            .args(["passwd", CLUSTER_USER])
            .output()
            .map_err(|_| missing())?;
        let line = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<&str> = line.trim().split(':').collect();
        match (out.status.success(), fields.get(2), fields.get(3)) {
            (true, Some(uid), Some(gid)) => Ok(SystemUser {
                name: CLUSTER_USER.to_owned(),
                uid: uid.parse().map_err(|_| missing())?,
                gid: gid.parse().map_err(|_| missing())?,
            }),
            _ => Err(missing()),
        }
    }

    pub fn chown(&self, path: &Path) -> Result<()> {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid)).map_err(|e| {
            Error::local_cluster(format!(
                "cannot give {} to the {} user: {e}",
                path.display(),
                self.name
            ))
        })
    }

    /// Refuses a directory this user cannot reach: every ancestor needs search permission
    /// for it (root's 0700 home is the usual culprit).
    pub fn check_can_reach(&self, dir: &Path) -> Result<()> {
        for ancestor in dir.ancestors().skip(1) {
            let Ok(meta) = std::fs::metadata(ancestor) else {
                continue;
            };
            let mode = meta.permissions().mode();
            let searchable = if meta.uid() == self.uid {
                mode & 0o100 != 0
            } else if meta.gid() == self.gid {
                mode & 0o010 != 0
            } else {
                mode & 0o001 != 0
            };
            if !searchable {
                return Err(Error::local_cluster(format!(
                    "the local cluster runs as the `{}` user, which cannot reach {} \
                     ({} is mode {:o}): choose a data dir it can reach with CARVE_DATA_DIR \
                     or local.data_dir, e.g. /var/lib/carve",
                    self.name,
                    dir.display(),
                    ancestor.display(),
                    mode & 0o777
                )));
            }
        }
        Ok(())
    }
}
