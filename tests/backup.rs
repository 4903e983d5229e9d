//! `carve db backup` and `carve db restore` through the real binary: a database holding
//! every kind of row comes back equal (export, journal, and undo of what was done
//! before the backup), a non-empty target or a newer backup is refused untouched, an
//! older backup is migrated, and the password reaches neither argv nor a message.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::Value;
use support::billing::{MBPS, OCT};
use support::cli::Cli;
use support::site::count;

/// Everything carve keeps: the tree, addresses (one with a PTR name waiting in the rDNS
/// outbox), a provisioned service, an issued invoice, the journal and row history.
/// Returns the journal id of an allocation to undo later.
async fn every_kind_of_row(t: &support::TestDb, cli: &Cli<'_>) -> i64 {
    let db = support::site::site(t).await;
    support::site::provisioned(&db).await;
    cli.ok(&[
        "ip",
        "allocate",
        "--pool",
        "203.0.113.64/26",
        "--rdns",
        "web-1.example.net",
    ]);
    let transit = cli.billed_transit(&db).await;
    let usage = format!("{transit},{OCT},{},{}\n", 10 * MBPS, 20 * MBPS);
    let (code, doc, _) = cli.json(&["billing", "ingest", "-"], Some(&usage));
    assert_eq!(code, 0, "{doc}");
    cli.ok(&["billing", "close", "--cycle", "2026-10"]);
    cli.ok(&["subnet", "allocate", "--len", "56", "--family", "6"]);
    let change = support::undo::last_change(t).await;
    for table in [
        "subnets",
        "ip_addresses",
        "services",
        "invoices",
        "provisioning_logs",
        "row_changes",
        "rdns_outbox",
    ] {
        let n = count(t, &format!("SELECT count(*) FROM {table}")).await;
        assert!(n > 0, "the source database holds no {table}");
    }
    change
}

/// What a user compares: the whole tree and every address, and the whole journal.
fn views(cli: &Cli) -> (Value, Value) {
    (
        cli.ok(&["export", "--format", "json"]),
        cli.ok(&["log", "--limit", "100000"]),
    )
}

/// Runs a command that must be refused with exit `code`; returns the error message.
fn refused(cli: &Cli, args: &[&str], code: i32) -> String {
    let (got, doc, _) = cli.json(args, None);
    assert_eq!(got, code, "{args:?}: {doc}");
    doc["error"]["message"].as_str().unwrap().to_owned()
}

fn path(file: &Path) -> &str {
    file.to_str().unwrap()
}

#[tokio::test]
async fn a_restored_backup_holds_everything_and_undo_still_works() {
    let source = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &source.url);
    let change = every_kind_of_row(&source, &cli).await;
    let before = views(&cli);

    let file = home.path().join("carve.dump");
    let backup = cli.ok(&["db", "backup", path(&file)]);
    assert_eq!(
        backup["schema_version"],
        carve::store::known_schema_version()
    );
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o077,
        0,
        "a backup holds everything: owner only, not {mode:o}"
    );

    let fresh = support::empty_db().await;
    let restored_cli = Cli::of(home.path(), &fresh.url);
    let restored = restored_cli.ok(&["db", "restore", path(&file)]);
    assert_eq!(restored["backup_schema_version"], backup["schema_version"]);
    assert_eq!(restored["applied"], serde_json::json!([]));
    for (key, table) in [
        ("subnets", "subnets"),
        ("addresses", "ip_addresses"),
        ("services", "services"),
        ("invoices", "invoices"),
        ("journal_rows", "provisioning_logs"),
        ("row_history", "row_changes"),
        ("rdns_outbox", "rdns_outbox"),
    ] {
        let n = count(&source, &format!("SELECT count(*) FROM {table}")).await;
        assert_eq!(restored["restored"][key], n, "{key}: {restored}");
    }
    assert_eq!(views(&restored_cli), before);

    // The allocation made before the backup is taken back in the restored database.
    let undone = restored_cli.ok(&["undo", &change.to_string()]);
    assert!(!undone["undone"].as_array().unwrap().is_empty(), "{undone}");
    let v6 = restored_cli.ok(&["subnet", "list", "--family", "6", "--status", "allocated"]);
    let source_v6 = cli.ok(&["subnet", "list", "--family", "6", "--status", "allocated"]);
    assert_eq!(
        source_v6.as_array().unwrap().len(),
        v6.as_array().unwrap().len() + 1,
        "the /56 is free again: {v6}"
    );
}

#[tokio::test]
async fn a_restore_into_a_database_that_holds_anything_is_refused_untouched() {
    let source = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &source.url);
    cli.ok(&["subnet", "add", "10.0.0.0/16"]);
    let file = home.path().join("carve.dump");
    cli.ok(&["db", "backup", path(&file)]);

    let target = support::test_db().await;
    let target_cli = Cli::of(home.path(), &target.url);
    target_cli.ok(&["subnet", "add", "192.0.2.0/24"]);
    let (tree, journal) = (target.snapshot().await, target.journal().await);
    let message = refused(&target_cli, &["db", "restore", path(&file)], 1);
    assert!(
        message.contains("not empty") && message.contains("nothing was changed"),
        "{message}"
    );
    assert_eq!(
        (target.snapshot().await, target.journal().await),
        (tree, journal)
    );

    // A single table made by hand is enough to refuse.
    let other = support::empty_db().await;
    other
        .exec("CREATE TABLE notes (t text); INSERT INTO notes VALUES ('keep me')")
        .await;
    let message = refused(
        &Cli::of(home.path(), &other.url),
        &["db", "restore", path(&file)],
        1,
    );
    assert!(message.contains("public.notes"), "{message}");
    assert_eq!(
        count(
            &other,
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        )
        .await,
        1
    );
    assert_eq!(count(&other, "SELECT count(*) FROM notes").await, 1);
}

async fn tables(t: &support::TestDb) -> i64 {
    count(
        t,
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
    )
    .await
}

#[tokio::test]
async fn a_backup_from_a_newer_schema_is_refused_and_an_older_one_migrated() {
    let home = support::reachable_tempdir();
    let newer = support::test_db().await;
    newer
        .exec(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (9999, 'from the future', true, '\\x00', 0)",
        )
        .await;
    let file = home.path().join("newer.dump");
    Cli::of(home.path(), &newer.url).ok(&["db", "backup", path(&file)]);
    let target = support::empty_db().await;
    let target_cli = Cli::of(home.path(), &target.url);
    let message = refused(&target_cli, &["db", "restore", path(&file)], 2);
    assert!(
        message.contains("9999") && message.contains("newer"),
        "{message}"
    );
    assert_eq!(tables(&target).await, 0);

    // An older carve's database: the first ten migrations only.
    let older = support::empty_db().await;
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.migrations = migrator.migrations.iter().take(10).cloned().collect();
    migrator.run(&older.pool).await.unwrap();
    let file = home.path().join("older.dump");
    let backup = Cli::of(home.path(), &older.url).ok(&["db", "backup", path(&file)]);
    assert_eq!(backup["schema_version"], 10);
    let restored = target_cli.ok(&["db", "restore", path(&file)]);
    assert_eq!(restored["backup_schema_version"], 10);
    assert_eq!(
        restored["schema_version"],
        carve::store::known_schema_version()
    );
    let applied = restored["applied"].as_array().unwrap();
    assert_eq!(applied.first(), Some(&Value::from(11)), "{restored}");
    target_cli.ok(&["subnet", "add", "10.0.0.0/8"]);
}

#[tokio::test]
async fn bad_files_are_named_and_change_nothing() {
    let home = support::reachable_tempdir();
    let source = support::test_db().await;
    let cli = Cli::of(home.path(), &source.url);
    let target = support::empty_db().await;
    let target_cli = Cli::of(home.path(), &target.url);

    let missing = home.path().join("missing.dump");
    let message = refused(&target_cli, &["db", "restore", path(&missing)], 1);
    assert!(message.contains(path(&missing)), "{message}");

    let sheet = home.path().join("sheet.csv");
    std::fs::write(&sheet, "Subnet\n10.0.0.0/8\n").unwrap();
    let message = refused(&target_cli, &["db", "restore", path(&sheet)], 1);
    assert!(
        message.contains(path(&sheet)) && message.contains("not a backup"),
        "{message}"
    );
    assert_eq!(tables(&target).await, 0);

    // An existing file is never overwritten, and no partial file is left beside it.
    let message = refused(&cli, &["db", "backup", path(&sheet)], 1);
    assert!(message.contains("already exists"), "{message}");
    assert_eq!(
        std::fs::read_to_string(&sheet).unwrap(),
        "Subnet\n10.0.0.0/8\n"
    );
    let nowhere = home.path().join("no/such/dir/carve.dump");
    let message = refused(&cli, &["db", "backup", path(&nowhere)], 1);
    assert!(message.contains(path(&nowhere)), "{message}");
    let left: Vec<_> = std::fs::read_dir(home.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A `local.bin_dir` of stand-ins that write down their arguments and whether a password
/// came in their environment, then run the real tool.
fn recording_tools(home: &Path) -> std::path::PathBuf {
    let real = carve::store::local::PgBinaries::find(None).unwrap().dir;
    let dir = home.join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    for tool in ["pg_dump", "pg_restore"] {
        let script = dir.join(tool);
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$*\" >> {log}/argv\n\
                 echo \"PGPASSWORD=$PGPASSWORD\" >> {log}/env\nexec {real}/{tool} \"$@\"\n",
                log = home.display(),
                real = real.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let config = home.join("config/carve");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.toml"),
        format!("[local]\nbin_dir = \"{}\"\n", dir.display()),
    )
    .unwrap();
    dir
}

#[tokio::test]
async fn the_password_goes_to_the_tools_environment_never_their_arguments() {
    let home = support::reachable_tempdir();
    recording_tools(home.path());
    let source = support::test_db().await;
    // The test server trusts its socket, so any password is accepted and ignored.
    let mut url = url::Url::parse(&source.url).unwrap();
    url.set_password(Some("hunter2")).unwrap();
    let url = url.to_string();
    let cli = Cli::of(home.path(), &url);
    cli.ok(&["subnet", "add", "10.0.0.0/16"]);
    let file = home.path().join("carve.dump");
    cli.ok(&["db", "backup", path(&file)]);
    let target = support::empty_db().await;
    let mut target_url = url::Url::parse(&target.url).unwrap();
    target_url.set_password(Some("hunter2")).unwrap();
    Cli::of(home.path(), target_url.as_str()).ok(&["db", "restore", path(&file)]);

    let argv = std::fs::read_to_string(home.path().join("argv")).unwrap();
    assert!(argv.contains("--format=custom"), "pg_dump ran: {argv}");
    assert!(
        argv.contains("--single-transaction"),
        "pg_restore ran: {argv}"
    );
    assert!(!argv.contains("hunter2"), "{argv}");
    let env = std::fs::read_to_string(home.path().join("env")).unwrap();
    assert!(env.contains("PGPASSWORD=hunter2"), "{env}");

    // A failing dump's message does not repeat it either.
    let mut gone = url::Url::parse(&url).unwrap();
    gone.set_path("/no_such_database");
    let (code, doc, stderr) = Cli::of(home.path(), gone.as_str())
        .json(&["db", "backup", path(&home.path().join("x.dump"))], None);
    assert_eq!(code, 2, "{doc}");
    assert!(
        !doc.to_string().contains("hunter2") && !stderr.contains("hunter2"),
        "{doc}"
    );
}
