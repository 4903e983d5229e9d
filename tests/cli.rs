//! The binary's contract for bad configuration and unreachable databases: one clear
//! `error:` line on stderr, the JSON error document with `--json`, exit code 2.

mod support;

use std::path::Path;

fn carve_with_config(home: &Path, config: &str, args: &[&str]) -> (i32, String, String) {
    let file = home.join("carve.toml");
    std::fs::write(&file, config).unwrap();
    support::run(support::carve(home).arg("--config").arg(&file).args(args))
}

#[test]
fn an_unreachable_server_is_one_line_and_exit_2() {
    let home = support::reachable_tempdir();
    let (code, stdout, stderr) = support::run(support::carve(home.path()).args([
        "--database-url",
        "postgres://nobody@127.0.0.1:1/x",
        "db",
        "migrate",
    ]));
    assert_eq!(code, 2);
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(
        stderr.trim_end(),
        "error: cannot connect to PostgreSQL at nobody@127.0.0.1:1/x: connection refused \
         (is PostgreSQL running and listening there?)"
    );
}

#[test]
fn json_errors_are_a_document_on_stdout_and_passwords_stay_hidden() {
    let home = support::reachable_tempdir();
    let (code, stdout, stderr) = support::run(
        support::carve(home.path())
            .env(
                "CARVE_DATABASE_URL",
                "postgres://nobody:hunter2@127.0.0.1:1/x",
            )
            .args(["--json", "db", "migrate"]),
    );
    assert_eq!(code, 2);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "connection");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1:1")
    );
    let log = std::fs::read_to_string(home.path().join("data/carve.log")).unwrap_or_default();
    for text in [&stdout, &stderr, &log] {
        assert!(!text.contains("hunter2"), "password leaked: {text}");
    }
}

#[tokio::test]
async fn an_unknown_database_is_named() {
    let db = support::test_db().await;
    let url = db.url.replace(&db.name, "no_such_db");
    let home = support::reachable_tempdir();
    let (code, _, stderr) =
        support::run(support::carve(home.path()).args(["--database-url", &url, "db", "migrate"]));
    assert_eq!(code, 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("/no_such_db: that database does not exist"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_environment_url_reaches_a_real_database() {
    let db = support::test_db().await;
    let home = support::reachable_tempdir();
    let (code, stdout, stderr) = support::run(
        support::carve(home.path())
            .env("DATABASE_URL", &db.url)
            .args(["--json", "db", "migrate"]),
    );
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(doc["database"].as_str().unwrap().ends_with(&db.name));
    assert_eq!(doc["schema_version"], carve::store::known_schema_version());
}

#[test]
fn a_bad_config_file_names_file_line_and_key() {
    let home = support::reachable_tempdir();
    let (code, stdout, stderr) = carve_with_config(
        home.path(),
        "[database]\nconnect_timeout_secs = 5\n\n[local]\ndata_dri = \"/srv/carve\"\n",
        &["db", "local", "status"],
    );
    assert_eq!(code, 2, "{stdout}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let file = home.path().join("carve.toml");
    let expected = format!(
        "error: {}:5:1: key `local.data_dri`: unknown field",
        file.display()
    );
    assert!(stderr.starts_with(&expected), "{stderr}");
}

#[test]
fn a_wrong_value_type_is_refused_not_defaulted() {
    let home = support::reachable_tempdir();
    let (code, _, stderr) = carve_with_config(
        home.path(),
        "[database]\nmax_connections = -3\n",
        &["db", "local", "status"],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains(":2:19: key `database.max_connections`"),
        "{stderr}"
    );
}

#[test]
fn a_missing_config_file_is_an_error_only_when_named() {
    let home = support::reachable_tempdir();
    let (code, _, stderr) = support::run(support::carve(home.path()).args([
        "--config",
        "/nonexistent/carve.toml",
        "db",
        "local",
        "status",
    ]));
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("error: cannot read config file /nonexistent/carve.toml"),
        "{stderr}"
    );
    // No file at the default location: defaults apply.
    let (code, stdout, stderr) =
        support::run(support::carve(home.path()).args(["db", "local", "status"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("not created yet"), "{stdout}");
}

#[test]
fn the_config_file_in_the_config_dir_is_read() {
    let home = support::reachable_tempdir();
    let dir = home.path().join("config/carve");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "[local]\ndata_dir = \"/srv/from-config\"\n",
    )
    .unwrap();
    let (code, stdout, stderr) = support::run(
        support::carve(home.path())
            .env_remove("CARVE_DATA_DIR")
            .args(["--json", "db", "local", "status"]),
    );
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["data_dir"], "/srv/from-config/pg");
}

#[test]
fn the_example_config_documents_a_valid_file() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let overrides = carve::config::Overrides {
        config_file: Some(example),
        ..Default::default()
    };
    let settings = carve::config::Settings::load_with_env(&overrides, |_| None).unwrap();
    assert_eq!(settings.connect_timeout.as_secs(), 10);
    assert!(matches!(
        settings.database,
        carve::config::DatabaseTarget::Url {
            source: "database.url",
            ..
        }
    ));
    assert_eq!(
        settings.password_command.as_deref(),
        Some("pass show carve/db")
    );
    assert_eq!(settings.log_level, "info");
    let providers: Vec<(&str, &str)> = settings
        .rdns
        .iter()
        .map(|p| (p.name.as_str(), p.kind_name()))
        .collect();
    assert_eq!(
        providers,
        [
            ("lab-zones", "internal"),
            ("pdns-fra", "powerdns"),
            ("cloudflare", "cloudflare")
        ]
    );
    assert_eq!(
        settings.rdns[0].zones[1].name,
        "64/26.100.51.198.in-addr.arpa"
    );
}

#[test]
fn usage_errors_exit_2() {
    let home = support::reachable_tempdir();
    let (code, _, stderr) = support::run(support::carve(home.path()).args(["db", "frobnicate"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("unrecognized subcommand 'frobnicate'"),
        "{stderr}"
    );
    let (code, stdout, _) =
        support::run(support::carve(home.path()).args(["--json", "db", "frobnicate"]));
    assert_eq!(code, 2);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "usage");
}
