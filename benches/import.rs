//! Import benchmark: `cargo bench --bench import` (run by hand, not in CI).
//!
//! Writes a spreadsheet of 100,000 rows as a NOC's would look: one IPv4 /8 and one
//! IPv6 /32 block at FRA1, 59,000 customer /29s spread through the /8, 1,000 /26 pools
//! with 40 addresses each (customers, rDNS names), and the rest IPv6 /64s. Imports it
//! into a fresh database with `carve import`'s code path, then imports it again (every
//! row already in place: a no-op). Prints the time of each step; the last line is one
//! JSON object with every figure. The target is an import under 30 s.
//!
//! Settings (environment): BENCH_ROWS=100000, DATABASE_URL (else a private cluster under
//! a temp dir, fsync on).

mod common;

use std::io::{BufWriter, Write};
use std::time::Instant;

use carve::service::import::{ImportRequest, Quiet, import};
use serde_json::json;

fn write_sheet(path: &std::path::Path, rows: usize) -> usize {
    let file = std::fs::File::create(path).expect("create the sheet");
    let mut out = BufWriter::new(file);
    writeln!(
        out,
        "Subnet,IP,Status,Customer,Location,VLAN,Description,rDNS"
    )
    .unwrap();
    writeln!(out, "10.0.0.0/8,,,,FRA1,,core block,").unwrap();
    writeln!(out, "2001:db8::/32,,,,FRA1,,v6 block,").unwrap();
    let mut written = 2;
    // 1,000 pools of 40 addresses: a /26 at the start of each /24 from 10.0.0.0 up.
    let pools = 1000.min(rows / 100);
    for p in 0..pools {
        let (b, c) = (p / 256, p % 256);
        writeln!(
            out,
            "10.{b}.{c}.0/26,,allocated,cust-{},,,pool {p},",
            p % 997
        )
        .unwrap();
        written += 1;
        for h in 1..=40 {
            writeln!(
                out,
                ",10.{b}.{c}.{h},used,cust-{},,,,h{h}.p{p}.example.net",
                (p + h) % 997
            )
            .unwrap();
            written += 1;
        }
    }
    // Customer /29s, from 10.250.0.0 downwards in steps that leave gaps (buddy halves).
    let v4 = (rows - written) * 59 / 60;
    for i in 0..v4 {
        let n = 0xfa00_0000u32 - 16 * (i as u32) - 16;
        let [_, b, c, d] = n.to_be_bytes();
        writeln!(out, "10.{b}.{c}.{d}/29,,allocated,cust-{},,,,", i % 997).unwrap();
        written += 1;
    }
    while written < rows {
        let i = written;
        writeln!(
            out,
            "2001:db8:{:x}:{:x}::/64,,allocated,cust-{},,,,",
            i / 65536,
            i % 65536,
            i % 997
        )
        .unwrap();
        written += 1;
    }
    out.flush().unwrap();
    written
}

#[tokio::main]
async fn main() {
    let rows: usize = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let (_guard, admin) = common::server().await;
    let (pg, db) = common::fresh_db(&admin, "carve_bench_import", 4).await;
    sqlx::raw_sql("INSERT INTO locations (name) VALUES ('FRA1')")
        .execute(&pg)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ipam.csv");
    let written = write_sheet(&path, rows);
    let size = std::fs::metadata(&path).unwrap().len();
    println!("sheet: {written} rows, {:.1} MB", size as f64 / 1e6);
    let request = ImportRequest {
        path,
        sheet: None,
        location: None,
        fill_down: Vec::new(),
        dry_run: false,
    };
    let start = Instant::now();
    let first = import(&db, &request, &Quiet).await.expect("import");
    let import_secs = start.elapsed().as_secs_f64();
    assert!(
        first.problems.is_empty(),
        "{:?}",
        &first.problems[..first.problems.len().min(5)]
    );
    println!(
        "import: {import_secs:.1} s ({} subnets, {} from rows, {} addresses)",
        first.subnets, first.subnets_from_rows, first.ips
    );
    let start = Instant::now();
    let again = import(&db, &request, &Quiet).await.expect("import again");
    let again_secs = start.elapsed().as_secs_f64();
    println!(
        "import again (no-op): {again_secs:.1} s ({} unchanged)",
        again.unchanged
    );
    let start = Instant::now();
    let exported = carve::service::export::rows(&db, &Quiet)
        .await
        .expect("export");
    let export_secs = start.elapsed().as_secs_f64();
    println!("export: {export_secs:.1} s ({} rows)", exported.len() - 1);
    println!(
        "{}",
        json!({"benchmark": "import", "rows": written, "bytes": size,
               "import_secs": import_secs, "subnets": first.subnets, "ips": first.ips,
               "reimport_secs": again_secs, "export_secs": export_secs})
    );
}
