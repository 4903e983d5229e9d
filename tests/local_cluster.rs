//! The embedded default database, driven through the real binary as a user would:
//! `carve db local start|stop|status`, data kept across restarts, clear refusals.

mod support;

use std::path::Path;

use serde_json::Value;

fn carve_json(home: &Path, args: &[&str]) -> (i32, Value, String) {
    let (code, stdout, stderr) = support::run(support::carve(home).arg("--json").args(args));
    let doc = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {stdout} / {stderr}"));
    (code, doc, stderr)
}

fn psql(home: &Path, socket_dir: &str, sql: &str) -> String {
    let out = std::process::Command::new("psql")
        .args([
            "-X", "-A", "-t", "-h", socket_dir, "-U", "carve", "-d", "carve", "-c", sql,
        ])
        .env("HOME", home)
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Stops the cluster under `home` when a test ends, even by panic, so no server is left
/// running over a deleted directory.
struct StopOnDrop<'a>(&'a Path);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let _ = support::carve(self.0)
            .args(["db", "local", "stop"])
            .output();
    }
}

#[test]
fn start_status_stop_restart_keeps_data() {
    let home = support::reachable_tempdir();
    let home = home.path();
    let _stop = StopOnDrop(home);

    let (code, doc, _) = carve_json(home, &["db", "local", "status"]);
    assert_eq!((code, doc["state"].as_str()), (0, Some("uninitialised")));

    let (code, doc, stderr) = carve_json(home, &["db", "local", "start"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["state"], "running");
    assert_eq!(doc["action"], "started");
    assert_eq!(doc["schema_version"], carve::store::known_schema_version());
    let socket_dir = doc["socket_dir"].as_str().unwrap().to_owned();
    let pid = doc["pid"].as_u64().unwrap();
    assert!(pid > 0);

    // The socket directory is private, and the server listens on no TCP port.
    let mode = std::fs::metadata(&socket_dir).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o700
    );
    assert_eq!(psql(home, &socket_dir, "SHOW listen_addresses"), "");

    // A second start is a no-op that says so.
    let (code, doc, _) = carve_json(home, &["db", "local", "start"]);
    assert_eq!(
        (code, doc["action"].as_str(), doc["pid"].as_u64()),
        (0, Some("none"), Some(pid))
    );

    psql(
        home,
        &socket_dir,
        "INSERT INTO locations (name) VALUES ('EU-FRA')",
    );

    let (code, doc, _) = carve_json(home, &["db", "local", "stop"]);
    assert_eq!(
        (code, doc["state"].as_str(), doc["action"].as_str()),
        (0, Some("stopped"), Some("stopped"))
    );
    let (_, doc, _) = carve_json(home, &["db", "local", "status"]);
    assert_eq!(doc["state"], "stopped");
    let (code, doc, _) = carve_json(home, &["db", "local", "stop"]);
    assert_eq!((code, doc["action"].as_str()), (0, Some("none")));

    // Any command that needs the database starts the cluster on demand.
    let (code, doc, stderr) = carve_json(home, &["db", "migrate"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(doc["applied"].as_array().unwrap().is_empty());
    assert_eq!(
        psql(home, &socket_dir, "SELECT name FROM locations"),
        "EU-FRA"
    );

    let (code, _, _) = carve_json(home, &["db", "local", "stop"]);
    assert_eq!(code, 0);
}

#[test]
fn concurrent_first_starts_create_one_cluster() {
    let home = support::reachable_tempdir();
    let _stop = StopOnDrop(home.path());
    let runs = support::run_concurrently(4, || {
        let mut command = support::carve(home.path());
        command.args(["--json", "db", "local", "start"]);
        command
    });
    let mut started = 0;
    for (code, doc, stderr) in runs {
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(doc["state"], "running");
        started += usize::from(doc["action"] == "started");
    }
    assert_eq!(started, 1);
    let (code, _, _) = carve_json(home.path(), &["db", "local", "stop"]);
    assert_eq!(code, 0);
}

#[test]
fn missing_server_binaries_say_what_to_install() {
    let home = support::reachable_tempdir();
    let config = home.path().join("config.toml");
    let empty_bin = home.path().join("bin");
    std::fs::create_dir(&empty_bin).unwrap();
    std::fs::write(&config, format!("[local]\nbin_dir = {:?}\n", empty_bin)).unwrap();
    let (code, stdout, stderr) = support::run(
        support::carve(home.path())
            .arg("--config")
            .arg(&config)
            .args(["db", "local", "start"]),
    );
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("does not hold initdb, pg_ctl and postgres"),
        "{stderr}"
    );
    assert!(!home.path().join("data/pg").exists(), "nothing was created");
}

#[test]
fn a_data_dir_the_postgres_user_cannot_reach_is_refused_when_root() {
    if !carve::os::running_as_root() {
        // As an ordinary user the cluster runs as that user: nothing to refuse.
        return;
    }
    let home = support::reachable_tempdir();
    let private = home.path().join("private");
    std::fs::create_dir(&private).unwrap();
    std::fs::set_permissions(
        &private,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let (code, _, stderr) = support::run(
        support::carve(home.path())
            .env("CARVE_DATA_DIR", private.join("carve"))
            .args(["db", "local", "start"]),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot reach"), "{stderr}");
    assert!(stderr.contains("mode 700"), "{stderr}");
    assert!(!private.join("carve/pg/PG_VERSION").exists());
}

#[test]
fn passwords_come_from_url_passfile_or_command_and_never_show() {
    let home = support::reachable_tempdir();
    let home = home.path();
    let _stop = StopOnDrop(home);
    let (code, doc, stderr) = carve_json(home, &["db", "local", "start"]);
    assert_eq!(code, 0, "{stderr}");
    let socket_dir = doc["socket_dir"].as_str().unwrap().to_owned();
    let pgdata = doc["data_dir"].as_str().unwrap().to_owned();
    // A role that must log in with a password (the cluster trusts everyone else).
    psql(
        home,
        &socket_dir,
        "CREATE ROLE noc LOGIN PASSWORD 'right-horse' SUPERUSER",
    );
    let hba = Path::new(&pgdata).join("pg_hba.conf");
    let rules = std::fs::read_to_string(&hba).unwrap();
    std::fs::write(&hba, format!("local all noc scram-sha-256\n{rules}")).unwrap();
    psql(home, &socket_dir, "SELECT pg_reload_conf()");

    let url =
        |password: &str| format!("postgres://noc{password}@localhost/carve?host={socket_dir}");
    let migrate = |url: &str, config: Option<&str>| {
        let mut command = support::carve(home);
        if let Some(text) = config {
            let file = home.join("pw.toml");
            std::fs::write(&file, text).unwrap();
            command.arg("--config").arg(file);
        }
        support::run(
            command
                .env("CARVE_DATABASE_URL", url)
                .args(["db", "migrate"]),
        )
    };

    let (code, stdout, stderr) = migrate(&url(":wrong-horse"), None);
    assert_eq!(code, 2, "{stdout}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: cannot connect to PostgreSQL at noc@[{socket_dir}]/carve: password authentication failed"
        )
    );
    assert!(!stderr.contains("wrong-horse"));

    let (code, _, stderr) = migrate(&url(":right-horse"), None);
    assert_eq!(code, 0, "{stderr}");

    let command = "[database]\npassword_command = \"echo right-horse\"\n";
    let (code, stdout, stderr) = migrate(&url(""), Some(command));
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains("right-horse") && !stderr.contains("right-horse"));

    let passfile = home.join("pgpass");
    std::fs::write(&passfile, "*:*:*:noc:right-horse\n").unwrap();
    std::fs::set_permissions(
        &passfile,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let (code, _, stderr) = support::run(support::carve(home).env("PGPASSFILE", &passfile).args([
        "--database-url",
        &url(""),
        "db",
        "migrate",
    ]));
    assert_eq!(code, 0, "{stderr}");

    let log = std::fs::read_to_string(home.join("data/carve.log")).unwrap_or_default();
    assert!(!log.contains("horse"), "a password reached the log: {log}");
}

#[test]
fn demo_builds_its_own_database_and_leaves_the_users_alone() {
    let home = support::reachable_tempdir();
    let home = home.path();
    let _stop = StopOnDrop(home);
    let (code, doc, stderr) = carve_json(home, &["db", "local", "start"]);
    assert_eq!(code, 0, "{stderr}");
    let socket_dir = doc["socket_dir"].as_str().unwrap().to_owned();
    psql(
        home,
        &socket_dir,
        "INSERT INTO locations (name) VALUES ('mine')",
    );
    for _ in 0..2 {
        // Twice: it is recreated, not appended to.
        let (code, stdout, stderr) = support::run(support::carve(home).arg("demo"));
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stdout.contains("203.0.113.96/29") && stdout.contains("under abuse review"),
            "{stdout}"
        );
    }
    let out = std::process::Command::new("psql")
        .args([
            "-X",
            "-A",
            "-t",
            "-h",
            &socket_dir,
            "-U",
            "carve",
            "-d",
            "carve_demo",
            "-c",
        ])
        .arg("SELECT (SELECT count(*) FROM ip_addresses) || '/' || (SELECT count(*) FROM services)")
        .output()
        .unwrap();
    // Three hand-made addresses, two from the provisioned service, and that one service.
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "5/1");
    assert_eq!(
        psql(
            home,
            &socket_dir,
            "SELECT string_agg(name, ',') FROM locations"
        ),
        "mine"
    );
    assert_eq!(psql(home, &socket_dir, "SELECT count(*) FROM subnets"), "0");
}

/// Modes of the data dir and of everything directly in it that others may use.
fn open_to_others(dir: &Path) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut entries = vec![dir.to_path_buf()];
    entries.extend(std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()));
    entries
        .into_iter()
        .filter_map(|path| {
            let mode = std::fs::symlink_metadata(&path).ok()?.permissions().mode() & 0o777;
            (mode & 0o007 != 0).then(|| format!("{} {mode:o}", path.display()))
        })
        .collect()
}

#[tokio::test]
async fn the_data_dir_is_closed_to_others_and_moves_to_a_tenant_database() {
    use std::os::unix::fs::PermissionsExt;
    let home = support::reachable_tempdir();
    let home = home.path();
    let _stop = StopOnDrop(home);
    // A data dir an older carve (or a umask of 022) left open is closed on start.
    let data = home.join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (code, _, stderr) = carve_json(home, &["db", "local", "start"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = carve_json(home, &["subnet", "add", "10.0.0.0/16"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(open_to_others(&data), Vec::<String>::new());

    // From "trying it" to production: back up the embedded database, restore it into
    // the tenant's.
    let file = home.join("carve.dump");
    let (code, _, stderr) = carve_json(home, &["db", "backup", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let tenant = support::empty_db().await;
    let (code, doc, stderr) = carve_json(
        home,
        &[
            "--database-url",
            &tenant.url,
            "db",
            "restore",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["restored"]["subnets"], 1, "{doc}");
    let (_, local, _) = carve_json(home, &["export", "--format", "json"]);
    let (_, moved, _) = carve_json(
        home,
        &["--database-url", &tenant.url, "export", "--format", "json"],
    );
    assert_eq!(local, moved);
}
