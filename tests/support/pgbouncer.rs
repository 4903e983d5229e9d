//! A real pgbouncer (Debian's package) in front of the test server, in the pooling mode a
//! test asks for. It listens on a unix socket in its own temp dir (no port to race for)
//! and reaches PostgreSQL where the test databases live. Trust authentication: what the
//! embedded test cluster uses.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{TestDb, reachable_tempdir};

/// The port in the socket's name (`.s.PGSQL.<port>`): nothing listens on it over TCP.
const PORT: u16 = 6432;

pub struct Bouncer {
    dir: tempfile::TempDir,
    child: Child,
}

impl Bouncer {
    /// Starts pgbouncer with `pool_mode = mode` in front of `t`'s server and waits until
    /// it listens.
    pub fn start(t: &TestDb, mode: &str) -> Bouncer {
        let dir = reachable_tempdir();
        // pgbouncer refuses to run as root and then runs as `postgres`: it writes its
        // socket and log here.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let server = match t.options.get_socket() {
            Some(socket) => socket.display().to_string(),
            None => t.options.get_host().to_owned(),
        };
        let user = t.options.get_username();
        let config = format!(
            "[databases]\n\
             * = host={server} port={}\n\
             [pgbouncer]\n\
             listen_addr =\n\
             listen_port = {PORT}\n\
             unix_socket_dir = {}\n\
             auth_type = trust\n\
             auth_file = {}\n\
             pool_mode = {mode}\n\
             default_pool_size = 60\n\
             logfile = {}\n",
            t.options.get_port(),
            dir.path().display(),
            dir.path().join("users.txt").display(),
            dir.path().join("pgbouncer.log").display(),
        );
        std::fs::write(dir.path().join("users.txt"), format!("\"{user}\" \"\"\n")).unwrap();
        let ini = dir.path().join("pgbouncer.ini");
        std::fs::write(&ini, config).unwrap();
        let mut command = Command::new(program());
        if carve::os::running_as_root() {
            command.args(["-u", "postgres"]);
        }
        let child = command
            .arg(&ini)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start pgbouncer (Debian's package `pgbouncer`; scripts/test installs it)");
        let bouncer = Bouncer { dir, child };
        bouncer.wait_until_listening();
        bouncer
    }

    /// A `--database-url` reaching `t`'s database through this pgbouncer.
    pub fn url(&self, t: &TestDb) -> String {
        format!(
            "postgres://{}@localhost/{}?host={}&port={PORT}",
            t.options.get_username(),
            t.name,
            self.dir.path().display()
        )
    }

    fn wait_until_listening(&self) {
        let socket = self.dir.path().join(format!(".s.PGSQL.{PORT}"));
        let deadline = Instant::now() + Duration::from_secs(30);
        while !socket.exists() {
            let log = std::fs::read_to_string(self.dir.path().join("pgbouncer.log"));
            assert!(
                Instant::now() < deadline,
                "pgbouncer did not listen: {}",
                log.unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// Debian installs it in /usr/sbin, which a non-root PATH may lack.
fn program() -> PathBuf {
    let sbin = PathBuf::from("/usr/sbin/pgbouncer");
    match sbin.exists() {
        true => sbin,
        false => PathBuf::from("pgbouncer"),
    }
}
