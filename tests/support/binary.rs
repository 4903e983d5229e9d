//! The real `carve` binary, run the way a user runs it but kept away from the
//! developer's own config, data and database.

use std::path::Path;
use std::process::{Command, Output};

/// The real carve binary, isolated from the developer's own config and database.
pub fn carve(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_carve"));
    for key in [
        "DATABASE_URL",
        "CARVE_DATABASE_URL",
        "CARVE_CONFIG",
        "CARVE_DATA_DIR",
        "CARVE_LOG",
    ] {
        command.env_remove(key);
    }
    command
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("CARVE_DATA_DIR", home.join("data"))
        .stdin(std::process::Stdio::null());
    command
}

/// Runs a command and returns (exit code, stdout, stderr).
pub fn run(command: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("run carve");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// Runs a command with `input` on its stdin and returns (exit code, stdout, stderr).
pub fn run_with_input(command: &mut Command, input: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the command");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin.write_all(input.as_bytes()).expect("write stdin");
    drop(stdin);
    let out = child.wait_with_output().expect("wait for the command");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Starts `n` copies of a command at once and returns each one's (exit code, stdout
/// parsed as JSON, stderr).
pub fn run_concurrently(
    n: usize,
    make: impl Fn() -> Command,
) -> Vec<(i32, serde_json::Value, String)> {
    let children: Vec<_> = (0..n)
        .map(|_| {
            make()
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("start carve")
        })
        .collect();
    children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().expect("wait for carve");
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            let doc = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
            (out.status.code().unwrap_or(-1), doc, stderr)
        })
        .collect()
}

/// A temporary directory the `postgres` system user can reach (a cluster may live in it
/// when the tests run as root).
pub fn reachable_tempdir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("carve-t")
        .tempdir_in("/tmp")
        .expect("create a temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod the temp dir");
    dir
}
