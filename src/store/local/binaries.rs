//! Finding the PostgreSQL server binaries on this machine (DESIGN.md section 4):
//! a configured directory, then PATH, then `pg_config --bindir`, then Debian's
//! versioned directories, newest first. The client tools a backup runs (`pg_dump`,
//! `pg_restore`) are found the same way.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A directory holding `initdb`, `pg_ctl` and `postgres`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBinaries {
    pub dir: PathBuf,
}

const SERVER: [&str; 3] = ["initdb", "pg_ctl", "postgres"];
const DUMP: [&str; 2] = ["pg_dump", "pg_restore"];
const DEBIAN_ROOT: &str = "/usr/lib/postgresql";

impl PgBinaries {
    pub fn find(configured: Option<&Path>) -> Result<PgBinaries> {
        if let Some(dir) = configured {
            return if holds(dir, &SERVER) {
                Ok(PgBinaries {
                    dir: dir.to_path_buf(),
                })
            } else {
                Err(Error::local_cluster(format!(
                    "local.bin_dir {} does not hold initdb, pg_ctl and postgres",
                    dir.display()
                )))
            };
        }
        candidates()
            .into_iter()
            .find(|dir| holds(dir, &SERVER))
            .map(|dir| PgBinaries { dir })
            .ok_or_else(not_found)
    }

    /// The directory of `pg_dump` and `pg_restore`: `local.bin_dir` when it holds them,
    /// else where the server binaries are looked for (a client-only machine has them
    /// without a server).
    pub fn find_dump_tools(configured: Option<&Path>) -> Result<PgBinaries> {
        configured
            .map(Path::to_path_buf)
            .into_iter()
            .chain(candidates())
            .find(|dir| holds(dir, &DUMP))
            .map(|dir| PgBinaries { dir })
            .ok_or_else(|| {
                Error::local_cluster(
                    "no pg_dump and pg_restore found (looked in local.bin_dir, PATH, \
                     `pg_config --bindir` and /usr/lib/postgresql/*/bin): install them \
                     (Debian/Ubuntu: apt-get install postgresql-client)",
                )
            })
    }

    pub fn tool(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

fn not_found() -> Error {
    Error::local_cluster(
        "no PostgreSQL server binaries found (looked for initdb, pg_ctl and postgres in PATH, \
         `pg_config --bindir` and /usr/lib/postgresql/*/bin): install them \
         (Debian/Ubuntu: apt-get install postgresql postgresql-contrib) or point carve at an \
         existing database with --database-url or CARVE_DATABASE_URL",
    )
}

fn holds(dir: &Path, tools: &[&str]) -> bool {
    tools.iter().all(|tool| dir.join(tool).is_file())
}

fn candidates() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    // On PATH, `initdb` is often a symlink (Debian's wrappers, /usr/local/bin links):
    // the real directory is where the link points.
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            for tool in [SERVER[0], DUMP[0]] {
                if let Ok(real) = std::fs::canonicalize(dir.join(tool)) {
                    dirs.extend(real.parent().map(Path::to_path_buf));
                }
            }
            dirs.push(dir);
        }
    }
    if let Ok(out) = std::process::Command::new("pg_config")
        .arg("--bindir")
        .output()
        && out.status.success()
    {
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if !dir.is_empty() {
            dirs.push(PathBuf::from(dir));
        }
    }
    dirs.extend(debian_versioned_dirs());
    dirs
}

/// `/usr/lib/postgresql/<major>/bin`, the newest major version first.
fn debian_versioned_dirs() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(DEBIAN_ROOT) else {
        return Vec::new();
    };
    let mut versions: Vec<(u32, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((major, e.path().join("bin")))
        })
        .collect();
    versions.sort_by_key(|(major, _)| std::cmp::Reverse(*major));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_directory_without_the_tools_is_refused_by_name() {
        let err = PgBinaries::find(Some(Path::new("/nonexistent/pg/bin"))).unwrap_err();
        assert!(err.message.contains("/nonexistent/pg/bin"), "{err}");
        assert_eq!(err.kind.exit_code(), 2);
    }
}
