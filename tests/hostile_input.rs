//! Input an adversary would type or store (issue 18, "Bad input" and "Terminal output"):
//! arguments that are not UTF-8, values far too long, endless files, and text that would
//! steer a terminal. Each is refused with one clear line, or shown harmlessly.

mod support;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

/// Runs carve against `t` with `args`; (exit code, stdout, stderr).
fn carve(t: &support::TestDb, args: &[OsString]) -> (i32, String, String) {
    let home = support::reachable_tempdir();
    support::run(
        support::carve(home.path())
            .arg("--database-url")
            .arg(&t.url)
            .args(args),
    )
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

fn ok(t: &support::TestDb, args: &[&str]) -> String {
    let (code, stdout, stderr) = carve(t, &os(args));
    assert_eq!(code, 0, "{args:?}: {stderr}");
    stdout
}

/// 203.0.113.0/26 allocated to `customer`.
fn allocate_to(t: &support::TestDb, customer: &str) {
    let allocate = "subnet allocate --cidr 203.0.113.0/26 --customer";
    ok(t, &[allocate.split(' ').collect(), vec![customer]].concat());
}

/// Exit `code` and one short `error:` line containing `message`.
fn refused(t: &support::TestDb, args: &[OsString], code: i32, message: &str) {
    let (got, stdout, stderr) = carve(t, args);
    assert_eq!(got, code, "{stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains(message),
        "{stderr}"
    );
    assert!(
        stderr.len() < 1000,
        "the error quotes too much: {} bytes",
        stderr.len()
    );
}

#[tokio::test]
async fn an_argument_that_is_not_utf8_is_a_usage_error_naming_it() {
    let t = support::test_db().await;
    let mut args = os(&["location", "add"]);
    args.push(OsString::from_vec(b"caf\xe9".to_vec()));
    refused(&t, &args, 2, "argument 5 'caf\\xE9' is not valid UTF-8");
    let mut args = os(&["subnet", "add", "203.0.113.0/24", "--location"]);
    args.push(OsString::from_vec(b"FRA\xff1".to_vec()));
    refused(&t, &args, 2, "(the value of --location) is not valid UTF-8");
    assert_eq!(t.snapshot().await, " | ");
}

#[tokio::test]
async fn names_and_texts_have_a_bound_carve_and_the_database_keep() {
    let t = support::test_db().await;
    ok(&t, &["location", "add", "FRA1"]);
    let long = "A".repeat(100_000);
    for (args, message) in [
        (
            vec!["device", "add", &long, "--location", "FRA1"],
            "a device name is limited to 100 characters",
        ),
        (
            vec!["customer", "add", &long],
            "a customer name is limited to 100 characters",
        ),
        (
            vec!["subnet", "add", "203.0.113.0/24", "--description", &long],
            "a subnet description is limited to 4096 characters",
        ),
    ] {
        refused(&t, &os(&args), 1, message);
    }
    ok(
        &t,
        &["device", "add", &"B".repeat(100), "--location", "FRA1"],
    );
    let devices: i64 = sqlx::query_scalar("SELECT count(*) FROM devices")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(devices, 1);
}

/// Rows stored before the bounds existed (the migration keeps them) still list.
#[tokio::test]
async fn listings_show_any_stored_value() {
    let t = support::test_db().await;
    ok(&t, &["location", "add", "FRA1"]);
    let long = "A".repeat(100_000);
    t.exec(&format!(
        "ALTER TABLE devices DROP CONSTRAINT IF EXISTS devices_name_length;
         ALTER TABLE products DROP CONSTRAINT IF EXISTS products_name_length;
         INSERT INTO devices (name, location_id) SELECT '{long}', id FROM locations;
         INSERT INTO products (name, ipam_config) VALUES ('{long}', '{{\"mode\": \"disabled\"}}');"
    ))
    .await;
    let devices = ok(&t, &["device", "list"]);
    assert!(devices.contains(&long), "{}", devices.len());
    ok(&t, &["product", "list"]);
}

#[tokio::test]
async fn endless_inputs_stop_at_their_limit() {
    let t = support::test_db().await;
    refused(
        &t,
        &os(&["product", "add", "x", "--ipam-config", "/dev/zero"]),
        1,
        "/dev/zero is larger than 4 MiB",
    );
    refused(
        &t,
        &os(&["billing", "ingest", "/dev/zero"]),
        1,
        "/dev/zero: line 1 is longer than 4 KiB",
    );
    // A spreadsheet is opened by a library no limit reaches: its file is checked first.
    let dir = support::reachable_tempdir();
    let fifo = dir.path().join("endless.xlsx");
    std::os::unix::fs::symlink("/dev/zero", &fifo).unwrap();
    let fifo = fifo.to_str().unwrap();
    refused(
        &t,
        &os(&["import", fifo]),
        1,
        &format!("{fifo} is not a regular file"),
    );
    let big = dir.path().join("big.xlsx");
    std::fs::File::create(&big)
        .unwrap()
        .set_len((64 << 20) + 1)
        .unwrap();
    let big = big.to_str().unwrap();
    refused(
        &t,
        &os(&["import", big]),
        1,
        &format!("{big} is larger than 64 MiB"),
    );
    assert_eq!(t.snapshot().await, " | ");
}

#[tokio::test]
async fn stored_text_cannot_steer_the_terminal() {
    let t = support::test_db().await;
    let evil = "cust-\u{202E}1234\u{2066}";
    ok(&t, &["location", "add", "FRA\u{202E}1"]);
    ok(&t, &["customer", "add", evil]);
    ok(
        &t,
        &[
            "subnet",
            "add",
            "203.0.113.0/24",
            "--location",
            "FRA\u{202E}1",
            "--description",
            "x\u{1b}]52;c;aGk=\u{7}y",
        ],
    );
    allocate_to(&t, evil);
    for args in [
        vec!["location", "list"],
        vec!["customer", "list"],
        vec!["subnet", "list"],
        vec!["subnet", "show", "203.0.113.0/24"],
        vec!["lookup", "203.0.113.5"],
        vec!["log"],
    ] {
        let stdout = ok(&t, &args);
        assert!(
            !stdout.chars().any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{1b}' | '\u{7}')),
            "{args:?}: {stdout:?}"
        );
    }
    assert!(ok(&t, &["customer", "list"]).contains("cust-<U+202E>1234<U+2066>"));
}

/// A CSV export read on a terminal is cleaned; to a pipe it stays byte for byte.
#[tokio::test]
async fn an_export_to_a_terminal_writes_no_escape_sequences() {
    let t = support::test_db().await;
    let osc52 = "x\u{1b}]52;c;aGk=\u{7}y";
    ok(
        &t,
        &["subnet", "add", "203.0.113.0/24", "--description", osc52],
    );
    assert!(ok(&t, &["export", "--format", "csv"]).contains(osc52));
    let home = support::reachable_tempdir();
    // --quiet: the progress line is carve's own drawing; what is checked is the data.
    let command = format!(
        "{} --quiet --database-url '{}' export --format csv",
        env!("CARGO_BIN_EXE_carve"),
        t.url
    );
    // script(1) runs carve on a pseudo-terminal and copies what it wrote.
    let (code, shown, stderr) = support::run(
        std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("HOME", home.path())
            .env_remove("DATABASE_URL"),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        shown.contains("203.0.113.0/24") && shown.contains("x]52;c;aGk=y"),
        "{shown:?}"
    );
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
        "{shown:?}"
    );
}

#[tokio::test]
async fn a_stored_newline_does_not_split_an_error() {
    let t = support::test_db().await;
    ok(&t, &["customer", "add", "cust\nevil"]);
    ok(&t, &["subnet", "add", "203.0.113.0/24"]);
    allocate_to(&t, "cust\nevil");
    refused(
        &t,
        &os(&["subnet", "split", "203.0.113.0/26"]),
        1,
        "cust; evil",
    );
}
