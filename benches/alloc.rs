//! Allocation benchmark: `cargo bench --bench alloc`.
//!
//! Builds trees of growing size (default 1k, 100k and 1M subnets) in a fresh database,
//! then measures carve's allocator against a bare-SQL baseline on the same database in
//! the same run, at 1, 4 and 16 concurrent clients, in one pool and across 16 pools.
//! Each client loops "allocate a /28, then release it", so pools never run dry and the
//! tree keeps its size while rows flip status all the time (the churn DESIGN.md warns
//! about). Only the allocation is timed for latency; throughput counts allocations per
//! second of wall time, including one bare-SQL release after each, the same for carve and
//! the baseline.
//!
//! Settings (environment): BENCH_SIZES=1000,100000,1000000  BENCH_SECS=3
//! BENCH_CLIENTS=1,4,16  DATABASE_URL (else a private cluster under a temp dir, fsync on).
//! The last line printed is one JSON object with every figure.
//!
//! The fixture builder and the baseline are plain SQL on purpose: the baseline is the
//! bare-SQL model of an allocation that carve is measured against.

mod common;

use std::time::{Duration, Instant};

use carve::engine::parse_cidr;
use carve::service::allocate::{SubnetRequest, allocate_subnet};
use carve::service::{browse, lookup, subnets};
use carve::store::Db;
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, PgPool};

const POOLS: usize = 16;

fn env_list(key: &str, default: &str) -> Vec<usize> {
    std::env::var(key)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// Pool i: 10.0.i.0/24, split down to sixteen free /28 leaves.
fn pool(i: usize) -> String {
    format!("10.0.{i}.0/24")
}

#[tokio::main]
async fn main() {
    let sizes = env_list("BENCH_SIZES", "1000,100000,1000000");
    let clients = env_list("BENCH_CLIENTS", "1,4,16");
    let secs = env_list("BENCH_SECS", "3").first().copied().unwrap_or(3) as u64;
    let (_dir, admin) = common::server().await;
    let (pg, db) = common::fresh_db(&admin, "carve_bench", 40).await;
    for i in 0..POOLS {
        let net = parse_cidr(&pool(i)).unwrap();
        subnets::add_root(&db, &net, None, None, None, false)
            .await
            .unwrap();
        subnets::split(&db, &net, Some(28), false).await.unwrap();
    }
    let mut report = Vec::new();
    for &size in &sizes {
        let built = Instant::now();
        let total = grow_tree(&pg, size).await;
        let build_secs = built.elapsed().as_secs_f64();
        sqlx::query("VACUUM ANALYZE")
            .execute(&pg)
            .await
            .expect("vacuum");
        println!("tree: {total} subnets (built in {build_secs:.1} s)");
        let mut runs = Vec::new();
        for &n in &clients {
            for pools in [1, POOLS] {
                let carve = run(&db, n, pools, secs, Impl::Carve).await;
                let base = run(&db, n, pools, secs, Impl::Baseline).await;
                let ratio = carve.rate / base.rate;
                println!(
                    "  {n:>2} clients, {pools:>2} pool(s): carve {:>7.0}/s p50 {:>6.2} ms p99 {:>6.2} ms | baseline {:>7.0}/s p50 {:>6.2} ms p99 {:>6.2} ms | ratio {ratio:.2}",
                    carve.rate, carve.p50, carve.p99, base.rate, base.p50, base.p99
                );
                runs.push(json!({"clients": n, "pools": pools, "carve": carve.json(), "baseline": base.json(), "ratio": ratio}));
            }
        }
        let lookup = time_lookup(&db).await;
        println!(
            "  lookup 10.0.3.37: p50 {:.2} ms p99 {:.2} ms (client wall time, an upper bound of database time)",
            lookup.p50, lookup.p99
        );
        let (roots, level) = (
            time_open(&db, None).await,
            time_open(&db, Some("11.0.0.0/16")).await,
        );
        println!(
            "  UI open: roots p50 {:.2} ms, one /16 unfolded p50 {:.2} ms",
            roots.p50, level.p50
        );
        report.push(json!({"subnets": total, "build_secs": build_secs, "runs": runs, "lookup_ms": {"p50": lookup.p50, "p99": lookup.p99},
                           "ui_open_ms": {"roots_p50": roots.p50, "unfold_p50": level.p50}}));
    }
    println!(
        "{}",
        json!({"benchmark": "alloc", "seconds_per_run": secs, "sizes": report})
    );
}

/// Adds filler roots (a /16 split down to /24s: 511 subnets each) in 11.0.0.0 onwards
/// until the tree holds at least `target` subnets; returns the count.
async fn grow_tree(pg: &PgPool, target: usize) -> i64 {
    let count = |pg: &PgPool| {
        let pg = pg.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM subnets")
                .fetch_one(&pg)
                .await
                .unwrap()
        }
    };
    let have = count(pg).await;
    let missing = (target as i64 - have).max(0);
    let roots = (missing + 510) / 511;
    let first: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM subnets WHERE parent_id IS NULL AND NOT (cidr << '10.0.0.0/8')",
    )
    .fetch_one(pg)
    .await
    .unwrap();
    if roots > 0 {
        let sql = format!(
            "INSERT INTO subnets (cidr, allocation_status)
             SELECT set_masklen('11.0.0.0'::inet + (i << 16), 16)::cidr, 'subdivided'
             FROM generate_series({first}::bigint, {}::bigint) AS i",
            first + roots - 1
        );
        sqlx::query(AssertSqlSafe(sql))
            .execute(pg)
            .await
            .expect("filler roots");
        for len in 17..=24 {
            let status = if len == 24 {
                "unallocated"
            } else {
                "subdivided"
            };
            let sql = format!(
                "INSERT INTO subnets (cidr, parent_id, parent_cidr, parent_hidden, allocation_status)
                 SELECT set_masklen(p.cidr::inet + h * (1::bigint << (32 - {len})), {len})::cidr,
                        p.id, p.cidr, p.hidden, '{status}'
                 FROM subnets p, (VALUES (0), (1)) AS v(h)
                 WHERE masklen(p.cidr) = {len} - 1 AND NOT (p.cidr << '10.0.0.0/8')
                   AND NOT EXISTS (SELECT 1 FROM subnets c WHERE c.parent_id = p.id)"
            );
            sqlx::query(AssertSqlSafe(sql))
                .execute(pg)
                .await
                .expect("filler level");
        }
    }
    count(pg).await
}

#[derive(Clone, Copy, PartialEq)]
enum Impl {
    Carve,
    Baseline,
}

struct Stats {
    rate: f64,
    p50: f64,
    p99: f64,
    count: usize,
}

impl Stats {
    fn json(&self) -> Value {
        json!({"per_sec": self.rate, "p50_ms": self.p50, "p99_ms": self.p99, "allocations": self.count})
    }

    fn of(mut latencies: Vec<Duration>, wall: Duration) -> Stats {
        latencies.sort();
        let at = |q: f64| {
            let i =
                ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len().max(1)) - 1;
            latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        Stats {
            rate: latencies.len() as f64 / wall.as_secs_f64(),
            p50: at(0.50),
            p99: at(0.99),
            count: latencies.len(),
        }
    }
}

async fn run(db: &Db, clients: usize, pools: usize, secs: u64, which: Impl) -> Stats {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = 0;
            while Instant::now() < deadline {
                let pool = pool((c + i) % pools);
                let t = Instant::now();
                let cidr = match which {
                    Impl::Carve => carve_allocate(&db, &pool).await,
                    Impl::Baseline => baseline_allocate(&db.pool, &pool).await,
                };
                latencies.push(t.elapsed());
                // The same bare release for both, so only the allocations differ.
                baseline_release(&db.pool, &cidr).await;
                i += 1;
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("client"));
    }
    Stats::of(all, started.elapsed())
}

async fn carve_allocate(db: &Db, pool: &str) -> String {
    let request = SubnetRequest::length(4, 28, Some(parse_cidr(pool).unwrap()));
    allocate_subnet(db, &request)
        .await
        .expect("carve allocation")
        .cidr
        .to_string()
}

/// The bare-SQL model: lock the pool row, mark its lowest free /28 allocated, journal it.
async fn baseline_allocate(pg: &PgPool, pool: &str) -> String {
    let mut tx = pg.begin().await.unwrap();
    sqlx::query("SELECT id FROM subnets WHERE cidr = $1::cidr FOR UPDATE")
        .bind(pool)
        .execute(&mut *tx)
        .await
        .unwrap();
    let cidr: String = sqlx::query_scalar(
        "UPDATE subnets SET allocation_status = 'allocated' WHERE id = (
             SELECT id FROM subnets WHERE allocation_status = 'unallocated' AND NOT hidden AND family = 4
               AND masklen(cidr) = 28 AND cidr >= $1::cidr AND cidr <= set_masklen(broadcast($1::cidr), 32)::cidr
             ORDER BY cidr LIMIT 1)
         RETURNING cidr::text",
    )
    .bind(pool)
    .fetch_one(&mut *tx)
    .await
    .expect("baseline found no free leaf");
    sqlx::query("INSERT INTO provisioning_logs (event, cidr) VALUES ('baseline', $1::cidr)")
        .bind(&cidr)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    cidr
}

async fn baseline_release(pg: &PgPool, cidr: &str) {
    sqlx::query("UPDATE subnets SET allocation_status = 'unallocated' WHERE cidr = $1::cidr")
        .bind(cidr)
        .execute(pg)
        .await
        .unwrap();
}

/// What the terminal UI waits for when it opens (the roots) and unfolds a block.
async fn time_open(db: &Db, parent: Option<&str>) -> Stats {
    let parent = parent.map(|p| parse_cidr(p).unwrap());
    let started = Instant::now();
    let mut latencies = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        browse::level(db, parent.as_ref(), false)
            .await
            .expect("a tree level");
        latencies.push(t.elapsed());
    }
    Stats::of(latencies, started.elapsed())
}

async fn time_lookup(db: &Db) -> Stats {
    let started = Instant::now();
    let mut latencies = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        lookup::lookup(db, "10.0.3.37").await.expect("lookup");
        latencies.push(t.elapsed());
    }
    Stats::of(latencies, started.elapsed())
}
