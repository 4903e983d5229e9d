//! A hostile machine: carve refuses a config file, data dir, socket dir or log file that
//! another user owns or that others may write, and never follows a symlinked log,
//! naming the path and what to run. The ownership cases need root (to give a path to
//! `nobody`); the mode and symlink cases run as anyone.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn as_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .is_ok_and(|uid| uid == 0)
}

fn nobody() -> u32 {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    passwd
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f[0] == "nobody").then(|| f[2].parse().unwrap())
        })
        .expect("a nobody user")
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Runs `carve location list` against the embedded cluster under `home`'s data dir
/// and returns (exit code, stderr).
fn list(home: &Path) -> (i32, String) {
    let (code, _, stderr) = support::run(support::carve(home).args(["location", "list"]));
    (code, stderr)
}

fn assert_refused(home: &Path, path: &Path, remedy: &str) {
    let (code, stderr) = list(home);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    let named = format!("{} {}", remedy, path.display());
    assert!(
        stderr.contains("refusing the ") && stderr.contains(&named),
        "{named:?} in {stderr}"
    );
}

#[test]
fn a_config_file_others_may_write_or_own_is_refused_before_its_commands_run() {
    let home = support::reachable_tempdir();
    let dir = home.path().join("config/carve");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    let ran = home.path().join("ran");
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = \"postgres://carve@127.0.0.1:1/x\"\npassword_command = \"touch {}\"\n",
            ran.display()
        ),
    )
    .unwrap();
    chmod(&config, 0o666);
    assert_refused(home.path(), &config, "chmod go-w");
    assert!(!ran.exists(), "the planted password_command ran");
    if as_root() {
        chmod(&config, 0o644);
        std::os::unix::fs::chown(&config, Some(nobody()), None).unwrap();
        assert_refused(home.path(), &config, "chown root");
        assert!(!ran.exists(), "the planted password_command ran");
    }
}

#[test]
fn a_symlinked_log_is_never_followed() {
    let home = support::reachable_tempdir();
    let data = home.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let victim = home.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    std::os::unix::fs::symlink(&victim, data.join("carve.log")).unwrap();
    assert_refused(home.path(), &data.join("carve.log"), "rm");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}

#[test]
fn a_data_dir_or_socket_dir_another_user_could_replace_is_refused() {
    let home = support::reachable_tempdir();
    let data = home.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    chmod(&data, 0o777);
    assert_refused(home.path(), &data, "chmod go-w");
    assert!(!data.join("pg").exists(), "no cluster was made there");
    if as_root() {
        std::os::unix::fs::chown(&data, Some(nobody()), None).unwrap();
        chmod(&data, 0o755);
        assert_refused(home.path(), &data, "chown root");
        assert!(!data.join("pg").exists(), "no cluster was made there");

        // The data dir is fine, its socket dir is someone else's.
        std::os::unix::fs::chown(&data, Some(0), None).unwrap();
        let run = data.join("run");
        std::fs::create_dir(&run).unwrap();
        std::os::unix::fs::chown(&run, Some(nobody()), None).unwrap();
        chmod(&run, 0o777);
        let (code, stderr) = list(home.path());
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(&format!("refusing the socket dir {}", run.display())),
            "{stderr}"
        );
        // As root the cluster's directories are the postgres user's: the hint says so.
        assert!(
            stderr.contains(&format!("run `chown postgres {}`", run.display())),
            "{stderr}"
        );
    }
}
