//! The throwaway PostgreSQL cluster shared by every test process of one run.
//!
//! Locks live in the target's tmp dir (one set per checkout):
//! - `users.lock`: each test process holds it shared for its whole life (the lock is
//!   released by the kernel when the process exits, however it exits);
//! - `setup.lock`: held exclusively while a process creates or checks the cluster.
//!
//! The cluster itself is made by carve's own `LocalCluster` (so the tests exercise it),
//! in a short /tmp path the `postgres` user can reach. A reaper shell process stops it
//! and deletes its data once `users.lock` has been free for a few seconds in a row.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use carve::model::ClusterState;
use carve::store::local::{LocalCluster, SUPERUSER};
use sqlx::{ConnectOptions, Connection};

use super::{Server, UrlScheme, ensure_template, migrations_hash};

const REAPER_MARK: &str = "carve-test-reaper";
/// Seconds `users.lock` must stay free before the reaper tears the cluster down: longer
/// than the gap between two test binaries, short enough that nothing lingers.
const IDLE_SECONDS: u32 = 4;

static USERS_LOCK: OnceLock<File> = OnceLock::new();

pub async fn embedded_server() -> Server {
    tokio::task::spawn_blocking(start_shared_cluster)
        .await
        .expect("test cluster set-up panicked")
}

fn start_shared_cluster() -> Server {
    let lock_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("carve-test-cluster");
    std::fs::create_dir_all(&lock_dir).expect("create the test lock dir");
    // Taken before anything else and kept until the process exits: while any test
    // process lives, the reaper cannot tear the cluster down.
    let users = open_lock(&lock_dir.join("users.lock"));
    users.lock_shared().expect("lock users.lock");
    let _ = USERS_LOCK.set(users);

    let setup = open_lock(&lock_dir.join("setup.lock"));
    setup.lock().expect("lock setup.lock");
    let data_dir = PathBuf::from(format!(
        "/tmp/carve-test-{:08x}",
        carve::os::fnv1a(lock_dir.as_os_str().as_encoded_bytes()) as u32
    ));
    make_reachable_dir(&data_dir);
    let cluster = LocalCluster::new(&data_dir, None).expect("PostgreSQL server binaries");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let template = format!("carve_tmpl_{:016x}", migrations_hash());
    runtime.block_on(async {
        let fresh = cluster.state().await.expect("cluster state") == ClusterState::Uninitialised;
        cluster
            .ensure_running()
            .await
            .expect("start the test cluster");
        if fresh {
            tune_for_tests(&cluster).await;
        }
        let admin = cluster.connect_options("postgres");
        let mut conn = admin.connect().await.expect("connect to the test cluster");
        ensure_template(&mut conn, &admin, &template).await;
        conn.close().await.ok();
    });
    ensure_reaper(&lock_dir, &data_dir, &cluster.pgdata);
    drop(setup);
    Server {
        admin: cluster.connect_options("postgres"),
        template,
        url_for: UrlScheme::Socket {
            dir: cluster.socket_dir.clone(),
            user: SUPERUSER.to_owned(),
        },
    }
}

/// A throwaway cluster needs no durability; it needs connections for concurrency tests.
async fn tune_for_tests(cluster: &LocalCluster) {
    let mut conn = cluster
        .connect_options("postgres")
        .connect()
        .await
        .expect("connect to tune the test cluster");
    for setting in [
        "ALTER SYSTEM SET fsync = off",
        "ALTER SYSTEM SET synchronous_commit = off",
        "ALTER SYSTEM SET full_page_writes = off",
        "ALTER SYSTEM SET max_connections = 300",
    ] {
        sqlx::query(setting)
            .execute(&mut conn)
            .await
            .expect("tune the test cluster");
    }
    conn.close().await.ok();
    cluster.stop().await.expect("restart the test cluster");
    cluster
        .ensure_running()
        .await
        .expect("restart the test cluster");
}

/// Starts the reaper unless one is alive. It runs detached, in its own process group,
/// so it outlives this process and survives a Ctrl-C aimed at the test run.
fn ensure_reaper(lock_dir: &Path, data_dir: &Path, pgdata: &Path) {
    let pid_file = lock_dir.join("reaper.pid");
    if let Ok(pid) = std::fs::read_to_string(&pid_file) {
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", pid.trim())).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(REAPER_MARK) {
            return;
        }
    }
    let script = format!(
        r#"
        lock_dir=$1; data_dir=$2; pgdata=$3
        echo $$ > "$lock_dir/reaper.pid"
        exec 9<>"$lock_dir/users.lock"
        idle=0
        while sleep 1; do
            if flock -n -x 9; then
                idle=$((idle + 1))
                if [ "$idle" -ge {IDLE_SECONDS} ]; then
                    pid=$(head -n 1 "$pgdata/postmaster.pid" 2>/dev/null)
                    if [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null; then
                        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
                    fi
                    rm -rf "$data_dir"
                    rm -f "$lock_dir/reaper.pid"
                    exit 0
                fi
                flock -u 9
            else
                idle=0
            fi
        done
        "#
    );
    use std::os::unix::process::CommandExt;
    // The outer shell starts the reaper in the background and exits at once, so the
    // reaper is adopted by init instead of lingering as this process's child.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(r#"sh -c "$1" {REAPER_MARK} "$2" "$3" "$4" &"#))
        .arg("launcher")
        .arg(script)
        .arg(lock_dir)
        .arg(data_dir)
        .arg(pgdata)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .status()
        .expect("start the test cluster reaper");
    assert!(status.success(), "the reaper launcher failed: {status}");
    // Wait until it has written its pid, so a second process does not start another.
    for _ in 0..100 {
        if pid_file.exists() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

fn open_lock(path: &Path) -> File {
    File::options()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
}

fn make_reachable_dir(dir: &Path) {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)
        .unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
}
