//! `carve db local start|stop|status`, `carve db migrate`, `carve db backup|restore`.

use std::path::PathBuf;

use clap::Subcommand;
use serde::Serialize;

use super::output::{Output, rows};
use super::progress::Shown;
use crate::config::Settings;
use crate::error::Result;
use crate::model::{ClusterPlace, ClusterState, MigrationReport};
use crate::service::backup::{self, RestoreReport};
use crate::service::database;
use crate::service::local::Local;

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// The embedded PostgreSQL cluster under the data dir.
    Local {
        #[command(subcommand)]
        command: LocalCommand,
    },
    /// Bring the database schema up to date (also done at the start of every command).
    Migrate,
    /// Write a consistent backup of carve's database (pg_dump, custom format) to a new
    /// file only you can read; the schema version is recorded in it.
    Backup {
        /// The backup file to create (an existing file is not overwritten).
        file: PathBuf,
    },
    /// Restore a backup into the configured database, which must be empty; an older
    /// backup is migrated to this carve's schema, a newer one refused.
    Restore {
        /// A file written by carve db backup.
        file: PathBuf,
    },
    /// Print the SQL that creates a read-only role and an operator role with the right
    /// grants in this database (or run it with --apply, as a role that may grant).
    Roles {
        /// Run the SQL (as a role that may create roles and grant) instead of printing it.
        #[arg(long)]
        apply: bool,
    },
}

/// `db local` and printing the roles' SQL change no data.
pub fn reads_only(command: &DbCommand) -> bool {
    matches!(
        command,
        DbCommand::Local { .. } | DbCommand::Roles { apply: false } | DbCommand::Backup { .. }
    )
}

#[derive(Debug, Subcommand)]
pub enum LocalCommand {
    /// Create the cluster if needed, start it and migrate its schema.
    Start,
    /// Stop the cluster (fast shutdown: open sessions are ended).
    Stop,
    /// Say whether the cluster exists and runs, and where it lives.
    Status,
}

pub async fn run(command: DbCommand, settings: &Settings, out: &Output) -> Result<()> {
    match command {
        DbCommand::Migrate => {
            let (db, report) = database::open(settings).await?;
            out.emit(
                &MigrateResult {
                    database: db.description,
                    report,
                },
                |r| {
                    let applied = match r.report.applied.len() {
                        0 => "already current".to_owned(),
                        n => format!("applied {n} migration(s)"),
                    };
                    rows(&[
                        ("database", r.database.clone()),
                        (
                            "schema",
                            format!("version {} ({applied})", r.report.schema_version),
                        ),
                    ])
                },
            );
            Ok(())
        }
        DbCommand::Local { command } => local(command, settings, out).await,
        DbCommand::Backup { file } => {
            let progress = Shown::on(out);
            let report = backup::backup(settings, &file, &progress).await?;
            drop(progress);
            out.emit(&report, |r| {
                format!(
                    "backup written\n{}",
                    rows(&[
                        ("database", r.database.clone()),
                        ("file", r.file.clone()),
                        ("schema", format!("version {}", r.schema_version)),
                        ("size", format!("{} bytes", r.bytes)),
                    ])
                )
            });
            Ok(())
        }
        DbCommand::Restore { file } => {
            let progress = Shown::on(out);
            let report = backup::restore(settings, &file, &progress).await?;
            drop(progress);
            out.emit(&report, restored_text);
            Ok(())
        }
        DbCommand::Roles { apply: false } => {
            let sql = database::roles_sql();
            out.emit(&serde_json::json!({ "sql": sql }), |_| sql.clone());
            Ok(())
        }
        DbCommand::Roles { apply: true } => {
            let (db, _) = database::open(settings).await?;
            database::apply_roles(&db).await?;
            out.emit(
                &serde_json::json!({ "applied": true, "database": db.description }),
                |_| {
                    "roles carve_readonly and carve_operator are in place; grant them to people \
                 (GRANT carve_readonly TO alice)"
                        .to_owned()
                },
            );
            Ok(())
        }
    }
}

fn restored_text(r: &RestoreReport) -> String {
    let schema = match r.migration.applied.len() {
        0 => format!("version {}", r.migration.schema_version),
        n => format!(
            "version {} (the backup's {} migrated, {n} migration(s))",
            r.migration.schema_version, r.backup_schema_version
        ),
    };
    let c = &r.restored;
    format!(
        "backup restored\n{}\nprivileges are not restored: run carve db roles --apply here",
        rows(&[
            ("database", r.database.clone()),
            ("file", r.file.clone()),
            ("schema", schema),
            ("subnets", c.subnets.to_string()),
            ("addresses", c.addresses.to_string()),
            ("services", c.services.to_string()),
            ("invoices", c.invoices.to_string()),
            ("journal rows", c.journal_rows.to_string()),
            ("row history", c.row_history.to_string()),
            ("rDNS outbox", c.rdns_outbox.to_string()),
        ])
    )
}

#[derive(Serialize)]
struct MigrateResult {
    database: String,
    #[serde(flatten)]
    report: MigrationReport,
}

#[derive(Serialize)]
struct LocalStatus {
    #[serde(flatten)]
    state: ClusterState,
    /// What this command did: started, stopped, or nothing.
    action: &'static str,
    data_dir: String,
    socket_dir: String,
    bin_dir: String,
    log_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_version: Option<i64>,
}

impl LocalStatus {
    fn new(place: ClusterPlace, state: ClusterState, action: &'static str) -> Self {
        LocalStatus {
            state,
            action,
            data_dir: place.data_dir.display().to_string(),
            socket_dir: place.socket_dir.display().to_string(),
            bin_dir: place.bin_dir.display().to_string(),
            log_file: place.log_file.display().to_string(),
            schema_version: None,
        }
    }

    fn human(&self) -> String {
        let state = match &self.state {
            ClusterState::Uninitialised => {
                "not created yet (carve db local start creates it)".to_owned()
            }
            ClusterState::Stopped => "stopped".to_owned(),
            ClusterState::Running { pid } => format!("running (pid {pid})"),
        };
        let headline = match self.action {
            "started" => "local cluster started",
            "stopped" => "local cluster stopped",
            _ => "local cluster",
        };
        let mut pairs = vec![
            ("state", state),
            ("data dir", self.data_dir.clone()),
            ("socket dir", self.socket_dir.clone()),
            ("server", self.bin_dir.clone()),
            ("log", self.log_file.clone()),
        ];
        if let Some(version) = self.schema_version {
            pairs.push(("schema", format!("version {version}")));
        }
        format!("{headline}\n{}", rows(&pairs))
    }
}

async fn local(command: LocalCommand, settings: &Settings, out: &Output) -> Result<()> {
    let cluster = Local::of(settings)?;
    let mut schema_version = None;
    let action = match command {
        LocalCommand::Status => "none",
        LocalCommand::Start => {
            let (started, report) = cluster.start(settings).await?;
            schema_version = Some(report.schema_version);
            if started { "started" } else { "none" }
        }
        LocalCommand::Stop => {
            if cluster.stop().await? {
                "stopped"
            } else {
                "none"
            }
        }
    };
    let mut status = LocalStatus::new(cluster.place(), cluster.state().await?, action);
    status.schema_version = schema_version;
    out.emit(&status, LocalStatus::human);
    Ok(())
}
