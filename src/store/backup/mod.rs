//! Backups of carve's database with PostgreSQL's own tools: `pg_dump` in its custom
//! format (one consistent snapshot), `pg_restore` in one transaction. The schema
//! version of a backup is read back from the `_sqlx_migrations` rows inside it, so a
//! backup file carries it and nothing else has to be kept beside it.

mod contents;
mod target;

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

pub use contents::{contents, occupants};
pub use target::ClientTarget;

use super::local::PgBinaries;
use crate::error::{Error, Result};

/// `pg_dump` and `pg_restore` of one PostgreSQL installation.
#[derive(Debug, Clone)]
pub struct DumpTools {
    bin: PgBinaries,
}

impl DumpTools {
    pub fn find(configured: Option<&Path>) -> Result<DumpTools> {
        PgBinaries::find_dump_tools(configured).map(|bin| DumpTools { bin })
    }

    /// Dumps the target into `file` (which must not exist yet) and returns the schema
    /// versions the dump holds. The dump is written beside it under another name, owner
    /// only, and takes `file`'s name once it is complete and readable: a failed backup
    /// leaves no file that looks like one.
    pub async fn dump(
        &self,
        target: &ClientTarget,
        file: &Path,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<Vec<i64>> {
        let partial = partial_name(file);
        private_file(&partial, file)?;
        let result = async {
            let mut command = self.command("pg_dump", Some(target));
            command
                .args(["--format=custom", "--verbose", "--file"])
                .arg(&partial)
                .arg(format!("--dbname={}", target.url));
            run(command, "pg_dump", progress).await?;
            let versions = self.schema_versions(&partial).await?;
            if versions.is_empty() {
                return Err(Error::validation(
                    "the database holds no carve schema (no _sqlx_migrations rows): nothing to back up",
                ));
            }
            // A hard link does not replace a file that appeared meanwhile.
            std::fs::hard_link(&partial, file).map_err(|e| {
                Error::validation(format!("cannot write the backup {}: {e}", file.display()))
            })?;
            Ok(versions)
        }
        .await;
        let _ = std::fs::remove_file(&partial);
        result
    }

    /// The schema versions recorded in a backup (`_sqlx_migrations`, applied ones).
    pub async fn schema_versions(&self, file: &Path) -> Result<Vec<i64>> {
        let mut command = self.command("pg_restore", None);
        command
            .args(["--data-only", "--table=_sqlx_migrations", "--file=-"])
            .arg(file);
        let out = run(command, "pg_restore", &|_| {}).await.map_err(|e| {
            Error::validation(format!(
                "{} is not a backup pg_restore can read: {}",
                file.display(),
                e.message
            ))
        })?;
        Ok(applied_versions(&out))
    }

    /// Restores `file` into the target in one transaction: on any error nothing stays.
    /// Objects become the restoring role's and privileges are left out (the roles of
    /// the backed-up server need not exist here); comments on extensions are skipped,
    /// since only an extension's owner may set them.
    pub async fn restore(
        &self,
        target: &ClientTarget,
        file: &Path,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<()> {
        let mut list = self.command("pg_restore", None);
        list.arg("--list").arg(file);
        let toc = run(list, "pg_restore --list", &|_| {}).await?;
        let list_file =
            std::env::temp_dir().join(format!("carve-restore-{}.list", std::process::id()));
        private_file(&list_file, &list_file)?;
        let result = async {
            std::fs::write(&list_file, without_extension_comments(&toc)).map_err(|e| {
                Error::internal(format!("cannot write {}: {e}", list_file.display()))
            })?;
            let mut command = self.command("pg_restore", Some(target));
            command
                .args([
                    "--no-owner",
                    "--no-acl",
                    "--single-transaction",
                    "--exit-on-error",
                    "--verbose",
                ])
                .arg("--use-list")
                .arg(&list_file)
                .arg(format!("--dbname={}", target.url))
                .arg(file);
            run(command, "pg_restore", progress).await.map(|_| ())
        }
        .await;
        let _ = std::fs::remove_file(&list_file);
        result
    }

    fn command(&self, tool: &str, target: Option<&ClientTarget>) -> Command {
        let mut command = Command::new(self.bin.tool(tool));
        // Never a prompt: there is no terminal to answer it on.
        command.arg("--no-password").env("PGAPPNAME", "carve");
        if let Some(password) = target.and_then(|t| t.password.as_ref()) {
            command.env("PGPASSWORD", password.expose());
        }
        command
    }
}

/// Runs a tool, handing each line it writes on stderr to `progress`; returns stdout.
/// A failure is described by the tool's error lines (libpq never repeats a password).
async fn run(mut command: Command, what: &str, progress: &(dyn Fn(&str) + Sync)) -> Result<String> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| Error::local_cluster(format!("cannot run {what}: {e}")))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let reading = tokio::spawn(async move {
        let mut text = String::new();
        let mut reader = BufReader::new(stdout);
        tokio::io::AsyncReadExt::read_to_string(&mut reader, &mut text)
            .await
            .map(|_| text)
    });
    let mut errors = Vec::new();
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.contains("error:") || line.contains("FATAL:") || line.contains("ERROR:") {
            errors.push(line.clone());
        }
        progress(&line);
    }
    let status = child
        .wait()
        .await
        .map_err(|e| Error::local_cluster(format!("{what} did not finish: {e}")))?;
    let out = reading.await.ok().and_then(|r| r.ok()).unwrap_or_default();
    if status.success() {
        return Ok(out);
    }
    let detail = match errors.is_empty() {
        true => status.to_string(),
        false => errors.join("; "),
    };
    let message = format!("{what} failed: {detail}");
    if detail.contains("connection to server") {
        Err(Error::connection(message))
    } else {
        Err(Error::conflict(message))
    }
}

/// The first column of the `COPY ... _sqlx_migrations` rows of a data-only restore
/// script, for the rows marked successful (`success` is the fourth column).
fn applied_versions(script: &str) -> Vec<i64> {
    let mut versions = Vec::new();
    let mut in_copy = false;
    for line in script.lines() {
        if line.starts_with("COPY ") && line.contains("_sqlx_migrations") {
            in_copy = true;
        } else if line == "\\." {
            in_copy = false;
        } else if in_copy {
            let fields: Vec<&str> = line.split('\t').collect();
            if fields.get(3) == Some(&"t")
                && let Some(Ok(version)) = fields.first().map(|v| v.parse())
            {
                versions.push(version);
            }
        }
    }
    versions.sort_unstable();
    versions
}

/// The table of contents with `COMMENT - EXTENSION` entries commented out.
fn without_extension_comments(toc: &str) -> String {
    toc.lines()
        .map(|line| {
            if line.contains(" COMMENT - EXTENSION ") {
                format!(";{line}\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect()
}

/// `DIR/.NAME.partial`: beside the backup, so taking its name is a link in one filesystem.
fn partial_name(file: &Path) -> PathBuf {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    file.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

/// Creates `path` empty, readable by its owner only (a backup holds everything); it
/// must not exist yet. `shown` is what an error names.
fn private_file(path: &Path, shown: &Path) -> Result<()> {
    if shown.exists() {
        return Err(Error::validation(format!(
            "{} already exists: carve does not overwrite it; choose another name or remove it",
            shown.display()
        )));
    }
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.flush())
        .map_err(|e| Error::validation(format!("cannot create {}: {e}", shown.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_from_the_successful_migration_rows() {
        let script = "--\nSET x = 1;\nCOPY public._sqlx_migrations (version, description, installed_on, success, checksum, execution_time) FROM stdin;\n\
                      1\tfoundation\t2025-01-01 00:00:00+00\tt\t\\\\x00\t10\n\
                      2\tprovisioning\t2025-01-01 00:00:00+00\tf\t\\\\x00\t10\n\
                      14\tlast\t2025-01-01 00:00:00+00\tt\t\\\\x00\t10\n\\.\n\nSELECT 1;\n";
        assert_eq!(applied_versions(script), vec![1, 14]);
        assert!(applied_versions("SET x = 1;\n").is_empty());
    }

    #[test]
    fn only_comments_on_extensions_are_left_out() {
        let toc = "; Archive\n2; 3079 16385 EXTENSION - btree_gist \n3; 0 0 COMMENT - EXTENSION btree_gist \n4; 1259 1 TABLE public subnets carve\n";
        let kept = without_extension_comments(toc);
        assert!(kept.contains("\n2; 3079 16385 EXTENSION - btree_gist"));
        assert!(kept.contains("\n;3; 0 0 COMMENT - EXTENSION btree_gist"));
        assert!(kept.contains("\n4; 1259 1 TABLE public subnets"));
    }
}
