//! Test support: a fresh, migrated database per test, and the real `carve` binary.
//!
//! With `DATABASE_URL` set, per-test databases are created on that server from a migrated
//! template. Without it, one throwaway cluster serves the whole run: every test process
//! (cargo test binaries, nextest's process per test) holds a shared lock on
//! `users.lock` while it lives; the first one creates the cluster and a reaper process
//! that stops and deletes it once nobody has held the lock for a few seconds.
#![allow(dead_code)] // each test binary uses a different part of this module

pub mod billing;
mod binary;
pub mod cli;
pub mod cli_cases;
pub mod cloudflare;
mod cluster;
pub mod lock_wait;
pub mod messages;
mod net;
pub mod pgbouncer;
pub mod powerdns;
pub mod rdns;
pub mod reserve;
pub mod screen;
pub mod site;
pub mod standby;
pub mod tmux;
pub mod undo;

#[allow(unused_imports)] // as dead_code above: each test binary uses a part
pub use binary::{carve, reachable_tempdir, run, run_concurrently, run_with_input};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};
use tokio::sync::OnceCell;

/// Where test databases are created, shared by every test in this process.
#[derive(Debug, Clone)]
struct Server {
    /// Options reaching the server's maintenance database.
    admin: PgConnectOptions,
    /// The migrated template every test database is cloned from.
    template: String,
    /// Builds a URL for the carve binary from a database name.
    url_for: UrlScheme,
}

#[derive(Debug, Clone)]
enum UrlScheme {
    /// `postgres://carve@localhost/<db>?host=<socket dir>`
    Socket { dir: PathBuf, user: String },
    /// The `DATABASE_URL` with its database replaced.
    Replace { before: String, after: String },
}

static SERVER: OnceCell<Server> = OnceCell::const_new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh database with carve's schema, dropped when the value goes out of scope.
pub struct TestDb {
    pub pool: PgPool,
    pub name: String,
    /// A `--database-url` for the carve binary that reaches this database.
    pub url: String,
    pub options: PgConnectOptions,
    admin: PgConnectOptions,
}

pub async fn test_db() -> TestDb {
    new_db(true).await
}

/// A fresh database without carve's schema (what a tenant's DBA hands over), dropped
/// when the value goes out of scope.
pub async fn empty_db() -> TestDb {
    new_db(false).await
}

async fn new_db(migrated: bool) -> TestDb {
    let server = SERVER
        .get_or_init(|| async {
            match std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
                Some(url) => external_server(&url).await,
                None => cluster::embedded_server().await,
            }
        })
        .await;
    let name = format!(
        "carve_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = server
        .admin
        .connect()
        .await
        .expect("connect to the test server");
    sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .expect("drop a leftover test database");
    let template = match migrated {
        true => server.template.as_str(),
        false => "template0",
    };
    sqlx::query(AssertSqlSafe(format!(
        "CREATE DATABASE {name} TEMPLATE {template}"
    )))
    .execute(&mut admin)
    .await
    .expect("create the test database");
    admin.close().await.ok();
    let options = server.admin.clone().database(&name);
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(options.clone())
        .await
        .expect("connect to the test database");
    TestDb {
        pool,
        url: server.url_for.url(&name),
        name,
        options,
        admin: server.admin.clone(),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Async code cannot run in Drop; a short-lived runtime on its own thread can.
        let admin = self.admin.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = admin.connect().await.ok()?;
                sqlx::query(AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await
                    .ok()?;
                conn.close().await.ok()
            })
        })
        .join();
    }
}

impl UrlScheme {
    fn url(&self, database: &str) -> String {
        match self {
            UrlScheme::Socket { dir, user } => {
                format!(
                    "postgres://{user}@localhost/{database}?host={}",
                    dir.display()
                )
            }
            UrlScheme::Replace { before, after } => format!("{before}{database}{after}"),
        }
    }
}

async fn external_server(url: &str) -> Server {
    let admin: PgConnectOptions = url.parse().expect("DATABASE_URL is not a postgres URL");
    let (before, after) = split_database(url);
    let template = format!("carve_tmpl_{:016x}", migrations_hash());
    let mut conn = admin.connect().await.expect("connect to DATABASE_URL");
    // Several test processes may start at once: one creates the template, under a lock.
    sqlx::query("SELECT pg_advisory_lock(727274)")
        .execute(&mut conn)
        .await
        .expect("advisory lock");
    ensure_template(&mut conn, &admin, &template).await;
    sqlx::query("SELECT pg_advisory_unlock(727274)")
        .execute(&mut conn)
        .await
        .expect("advisory unlock");
    conn.close().await.ok();
    Server {
        admin,
        template,
        url_for: UrlScheme::Replace { before, after },
    }
}

/// Creates and migrates `template` unless it exists. Leaves no connection to it open,
/// since PostgreSQL cannot clone a database someone is connected to.
async fn ensure_template(conn: &mut sqlx::PgConnection, admin: &PgConnectOptions, template: &str) {
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(template)
            .fetch_one(&mut *conn)
            .await
            .expect("look up the template");
    if exists {
        return;
    }
    let building = format!("{template}_building");
    sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {building} WITH (FORCE)"
    )))
    .execute(&mut *conn)
    .await
    .expect("drop a half-built template");
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {building}")))
        .execute(&mut *conn)
        .await
        .expect("create the template");
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(admin.clone().database(&building))
        .await
        .expect("connect to the template");
    carve::store::migrate(&pool)
        .await
        .expect("migrate the template");
    pool.close().await;
    // Renamed only once complete, so a crash never leaves a half-migrated template.
    sqlx::query(AssertSqlSafe(format!(
        "ALTER DATABASE {building} RENAME TO {template}"
    )))
    .execute(&mut *conn)
    .await
    .expect("publish the template");
}

/// Splits a URL around its database name: `postgres://u@h:5/db?x` -> (`postgres://u@h:5/`, `?x`).
fn split_database(url: &str) -> (String, String) {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let path_start = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + i);
    let query_start = url[path_start..]
        .find('?')
        .map_or(url.len(), |i| path_start + i);
    let before = if path_start == url.len() {
        format!("{url}/")
    } else {
        url[..=path_start].to_owned()
    };
    (before, url[query_start..].to_owned())
}

/// Changes whenever a migration file changes, so a stale template is never reused.
fn migrations_hash() -> u64 {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read migrations/")
        .map(|e| e.expect("read migrations/").path())
        .collect();
    files.sort();
    let mut all = Vec::new();
    for file in files {
        all.extend_from_slice(file.file_name().unwrap_or_default().as_encoded_bytes());
        all.extend(std::fs::read(&file).expect("read a migration"));
    }
    carve::os::fnv1a(&all)
}

impl TestDb {
    /// The handle the service layer takes.
    pub fn db(&self) -> carve::store::Db {
        carve::store::Db::over(self.pool.clone(), self.name.clone())
    }

    /// Every subnet and address with its state, in order: equal snapshots mean
    /// nothing in the tree changed.
    pub async fn snapshot(&self) -> String {
        sqlx::query_scalar(
            "SELECT coalesce((SELECT string_agg(concat_ws(':', cidr, allocation_status, is_unavailable,
                        customer_id, vlan_id, location_id, effective_location_id, description, is_pool),
                        ' ' ORDER BY cidr) FROM subnets), '')
                 || ' | ' ||
                 coalesce((SELECT string_agg(concat_ws(':', address, customer_id, is_unavailable, rdns),
                        ' ' ORDER BY address) FROM ip_addresses), '')",
        )
        .fetch_one(&self.pool)
        .await
        .expect("snapshot")
    }

    /// Journal rows as `event/outcome`, oldest first.
    pub async fn journal(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT event || '/' || outcome FROM provisioning_logs ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .expect("journal")
    }

    /// Runs SQL statements (set-up), panicking on failure.
    pub async fn exec(&self, sql: &str) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The leaves of the tree as `cidr:status`, in address order.
    pub async fn leaves(&self) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT cidr::text || ':' || allocation_status FROM subnets
             WHERE allocation_status <> 'subdivided' ORDER BY cidr",
        )
        .fetch_all(&self.pool)
        .await
        .expect("leaves")
    }

    /// Asserts the database's own view of the tree: under every root, the leaves tile
    /// it exactly (no gap, no overlap), and every subdivided node has its two halves.
    pub async fn assert_tree_is_sound(&self) {
        assert_tree_is_sound(&self.pool).await;
    }
}

/// The leaves tile every root, no two leaves overlap, every subdivided node has two
/// children.
pub async fn assert_tree_is_sound(pool: &PgPool) {
    let bad_tiling: Vec<String> = sqlx::query_scalar(
        "SELECT r.cidr::text FROM subnets r
         WHERE r.parent_id IS NULL
           AND (SELECT sum(2::numeric ^ (CASE family(l.cidr) WHEN 4 THEN 32 ELSE 128 END - masklen(l.cidr)))
                FROM subnets l WHERE l.cidr <<= r.cidr AND l.allocation_status <> 'subdivided')
               <> 2::numeric ^ (CASE family(r.cidr) WHEN 4 THEN 32 ELSE 128 END - masklen(r.cidr))",
    )
    .fetch_all(pool)
    .await
    .expect("tiling check");
    assert!(bad_tiling.is_empty(), "leaves do not tile {bad_tiling:?}");
    let overlapping: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM subnets a JOIN subnets b ON a.id < b.id AND a.cidr && b.cidr
         WHERE a.allocation_status <> 'subdivided' AND b.allocation_status <> 'subdivided'",
    )
    .fetch_one(pool)
    .await
    .expect("overlap check");
    assert_eq!(overlapping, 0, "overlapping leaves");
    let lopsided: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM subnets p WHERE p.allocation_status = 'subdivided'
           AND (SELECT count(*) FROM subnets c WHERE c.parent_id = p.id) <> 2",
    )
    .fetch_one(pool)
    .await
    .expect("children check");
    assert_eq!(lopsided, 0, "subdivided nodes without exactly two children");
}

/// Adds a root block (optionally a pool) through the service layer.
pub async fn add_root(db: &carve::store::Db, cidr: &str, pool: bool) {
    add_root_at(db, cidr, None, pool).await;
}

/// Adds a root block at a location (optionally a pool) through the service layer.
pub async fn add_root_at(db: &carve::store::Db, cidr: &str, location: Option<&str>, pool: bool) {
    let net = carve::engine::parse_cidr(cidr).expect("a valid CIDR");
    carve::service::subnets::add_root(db, &net, location, None, None, pool)
        .await
        .expect("add a root block");
}
