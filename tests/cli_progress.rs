//! Progress of long commands: on a terminal (the real binary in tmux, its stdout sent to
//! a file so the pane's recording is stderr alone) a bar or spinner appears; with stderr
//! a pipe, or with `--quiet`, nothing of it does; and stdout, text or `--json`, is the
//! same byte for byte either way.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::billing::usage;
use support::cli::Cli;
use support::tmux::Tmux;

const RUN: Duration = Duration::from_secs(120);

/// A pool and a few thousand addresses in it.
fn sheet(home: &Path) -> PathBuf {
    let mut text = String::from("subnet,ip,status,pool\n10.20.0.0/20,,,yes\n");
    for i in 1..3500_u32 {
        text.push_str(&format!(
            "10.20.0.0/20,10.20.{}.{},used,\n",
            i / 256,
            i % 256
        ));
    }
    let file = home.join("addresses.csv");
    std::fs::write(&file, text).unwrap();
    file
}

/// `carve ARGS` with stderr on a terminal and stdout into `stdout`; returns what reached
/// the terminal (stderr) and the exit code.
fn on_terminal(home: &Path, args: &[&str], stdout: &Path) -> (String, i32) {
    let carve = support::carve(home);
    let mut command = Command::new("sh");
    command
        .args(["-c", r#"exec "$0" "$@" >"$STDOUT_FILE""#])
        .arg(carve.get_program())
        .args(args)
        .env("STDOUT_FILE", stdout);
    for (key, value) in carve.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    let terminal = Tmux::start(&command, 120, 20);
    let code = terminal.wait_exit(RUN);
    let shown = String::from_utf8_lossy(&terminal.output()).into_owned();
    (shown, code)
}

/// `carve ARGS` with stdout and stderr pipes: (exit code, stdout, stderr).
fn piped(home: &Path, args: &[&str]) -> (i32, String, String) {
    support::run(support::carve(home).args(args))
}

fn with_url<'a>(url: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["--database-url", url];
    all.extend_from_slice(args);
    all
}

/// What carve draws of a stage on the terminal: its name.
fn assert_progress(shown: &str, stage: &str, what: &str) {
    assert!(
        shown.contains(stage),
        "{what}: no progress ({stage:?}) on the terminal:\n{shown:?}"
    );
}

#[tokio::test]
async fn long_commands_show_progress_on_a_terminal_and_stdout_stays_the_same() {
    let (on_tty, on_pipe) = (support::test_db().await, support::test_db().await);
    let home = support::reachable_tempdir();
    let file = sheet(home.path());
    let file = file.to_str().unwrap();
    let out = home.path().join("stdout");

    let (shown, code) = on_terminal(home.path(), &with_url(&on_tty.url, &["import", file]), &out);
    assert_eq!(code, 0, "{shown}");
    assert_progress(&shown, "writing addresses", "import");
    assert!(
        shown.contains("/3499"),
        "the bar counts the addresses: {shown:?}"
    );
    let (code, stdout, stderr) = piped(home.path(), &with_url(&on_pipe.url, &["import", file]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, "", "stderr is a pipe: no progress");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), stdout);
    assert!(stdout.contains("3499 addresses"), "{stdout}");

    for args in [&["--json", "export"][..], &["export"][..]] {
        std::fs::remove_file(&out).unwrap();
        let (shown, code) = on_terminal(home.path(), &with_url(&on_tty.url, args), &out);
        assert_eq!(code, 0, "{shown}");
        assert_progress(&shown, "reading the tree", "export");
        let (code, stdout, stderr) = piped(home.path(), &with_url(&on_pipe.url, args));
        assert_eq!((code, stderr.as_str()), (0, ""), "{args:?}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), stdout, "{args:?}");
    }

    let dump = home.path().join("carve.dump");
    let args = ["--json", "db", "backup", dump.to_str().unwrap()];
    let (shown, code) = on_terminal(home.path(), &with_url(&on_tty.url, &args), &out);
    assert_eq!(code, 0, "{shown}");
    assert_progress(&shown, "backing up", "db backup");
    let on_terminal_doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        on_terminal_doc["schema_version"].as_i64().map(|v| v > 0),
        Some(true)
    );
}

#[tokio::test]
async fn quiet_and_pipes_get_nothing_of_the_progress() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let file = sheet(home.path());
    let file = file.to_str().unwrap();
    let out = home.path().join("stdout");

    let (shown, code) = on_terminal(
        home.path(),
        &with_url(&t.url, &["--quiet", "import", file]),
        &out,
    );
    assert_eq!(code, 0, "{shown}");
    assert_eq!(shown, "", "--quiet: nothing on the terminal's stderr");
    let stdout = std::fs::read_to_string(&out).unwrap();
    assert!(stdout.contains("3499 addresses"), "{stdout}");

    let dump = home.path().join("carve.dump");
    let dump = dump.to_str().unwrap();
    for args in [
        &["--quiet", "export"][..],
        &["--quiet", "--json", "db", "backup", dump][..],
    ] {
        let (shown, code) = on_terminal(home.path(), &with_url(&t.url, args), &out);
        assert_eq!((code, shown.as_str()), (0, ""), "{args:?}");
    }
    let again = home.path().join("again.dump");
    let (code, stdout, stderr) = piped(
        home.path(),
        &with_url(&t.url, &["db", "backup", again.to_str().unwrap()]),
    );
    assert_eq!((code, stderr.as_str()), (0, ""), "{stdout}");

    let (code, help, _) = piped(home.path(), &["--help"]);
    assert_eq!(code, 0);
    assert!(
        help.contains("--quiet"),
        "--help documents --quiet:\n{help}"
    );
}

#[tokio::test]
async fn billing_ingest_and_close_show_progress_on_a_terminal() {
    let (on_tty, on_pipe) = (support::test_db().await, support::test_db().await);
    let home = support::reachable_tempdir();
    let mut services = Vec::new();
    for t in [&on_tty, &on_pipe] {
        let db = support::site::site(t).await;
        services.push(Cli::of(home.path(), &t.url).billed_transit(&db).await);
    }
    assert_eq!(
        services[0], services[1],
        "one usage file for both databases"
    );
    let id: i64 = services[0].parse().unwrap();
    let file = home.path().join("usage.csv");
    std::fs::write(&file, usage((0..5000).map(|i| (id, i, 10, 20)))).unwrap();
    let file = file.to_str().unwrap();
    let out = home.path().join("stdout");

    let ingest = ["billing", "ingest", file];
    let (shown, code) = on_terminal(home.path(), &with_url(&on_tty.url, &ingest), &out);
    assert_eq!(code, 0, "{shown}");
    assert_progress(&shown, "reading samples", "billing ingest");
    let (code, stdout, stderr) = piped(home.path(), &with_url(&on_pipe.url, &ingest));
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), stdout);
    assert!(stdout.contains("5000"), "{stdout}");

    let close = ["--json", "billing", "close", "--cycle", "2026-10"];
    let (shown, code) = on_terminal(home.path(), &with_url(&on_tty.url, &close), &out);
    assert_eq!(code, 0, "{shown}");
    assert_progress(&shown, "reading services", "billing close");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["issued"], 1, "{doc}");
    let (code, _, stderr) = piped(home.path(), &with_url(&on_pipe.url, &close));
    assert_eq!((code, stderr.as_str()), (0, ""));
}
