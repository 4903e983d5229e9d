//! The internal provider: BIND zone files for in-addr.arpa (RFC 2317 classless zones with
//! the records their parent needs) and ip6.arpa, printed or written, checked by loading
//! them into a real PowerDNS with pdnsutil.

mod support;

use support::powerdns::PowerDns;
use support::rdns::{Home, outbox, pushed};

fn config(directory: Option<&std::path::Path>) -> String {
    let directory = directory
        .map(|d| format!("directory = \"{}\"", d.display()))
        .unwrap_or_default();
    format!(
        r#"
[[rdns.providers]]
name = "zones"
kind = "internal"
prefixes = ["203.0.113.0/24", "198.51.100.64/26", "2001:db8::/64"]
nameservers = ["ns1.example.net", "ns2.example.net."]
hostmaster = "hostmaster@example.net"
ttl = 600
{directory}
"#
    )
}

#[tokio::test]
async fn zone_files_hold_every_name_and_load_into_a_real_server() {
    let t = support::test_db().await;
    let home = Home::new(&t, &config(None));
    for pool in ["203.0.113.0/24", "198.51.100.64/26", "2001:db8::/64"] {
        home.ok(&["subnet", "add", pool, "--pool"]);
    }
    let web = home.named("203.0.113.0/24", "web.example.net");
    let small = home.named("198.51.100.64/26", "small.example.net");
    home.named("2001:db8::/64", "v6.example.net");

    // Printed: one zone asked for.
    let (code, text, stderr) = support::run(support::carve(home.path()).args([
        "--database-url",
        &t.url,
        "rdns",
        "export",
        "--zone",
        "113.0.203.in-addr.arpa.",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let last = web.rsplit('.').next().unwrap();
    assert!(
        text.contains("$ORIGIN 113.0.203.in-addr.arpa.\n$TTL 600\n"),
        "{text}"
    );
    assert!(
        text.contains("@ IN SOA ns1.example.net. hostmaster.example.net. ("),
        "{text}"
    );
    assert!(text.contains("@ IN NS ns2.example.net.\n"), "{text}");
    assert!(
        text.contains(&format!("\n{last} IN PTR web.example.net.\n")),
        "{text}"
    );
    assert_eq!(outbox(&t).await.len(), 3, "printing settles nothing");

    // Written: every zone, the classless one with its parent's records.
    let out = home.path().join("zones");
    let written = home.ok(&["rdns", "export", "--output", out.to_str().unwrap()]);
    assert_eq!(written.as_array().unwrap().len(), 3, "{written}");
    assert_eq!(
        outbox(&t).await.len(),
        3,
        "a copy outside the provider's directory settles nothing"
    );
    let classless =
        std::fs::read_to_string(out.join("64-26.100.51.198.in-addr.arpa.zone")).unwrap();
    let host = small.rsplit('.').next().unwrap();
    assert!(
        classless.contains("$ORIGIN 64/26.100.51.198.in-addr.arpa.\n"),
        "{classless}"
    );
    assert!(
        classless.contains(&format!("\n{host} IN PTR small.example.net.\n")),
        "{classless}"
    );
    let parent =
        std::fs::read_to_string(out.join("64-26.100.51.198.in-addr.arpa.delegation")).unwrap();
    assert!(
        parent.contains("64/26 IN NS ns1.example.net.\n"),
        "{parent}"
    );
    assert!(parent.contains(&format!(
        "\n{host} IN CNAME {host}.64/26.100.51.198.in-addr.arpa.\n"
    )));
    assert_eq!(
        parent.matches(" IN CNAME ").count(),
        64,
        "one per address of the block"
    );
    let v6 =
        std::fs::read_to_string(out.join("0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.zone")).unwrap();
    assert!(v6.lines().any(|l| l.ends_with(" IN PTR v6.example.net.")
        && l.split(' ').next().unwrap().split('.').count() == 16));

    // A real name server reads every file back to the same names.
    let pdns = PowerDns::start();
    for (zone, file) in [
        ("113.0.203.in-addr.arpa", "113.0.203.in-addr.arpa.zone"),
        (
            "64/26.100.51.198.in-addr.arpa",
            "64-26.100.51.198.in-addr.arpa.zone",
        ),
        (
            "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
            "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.zone",
        ),
    ] {
        pdns.load_zone_file(zone, &out.join(file));
        assert_eq!(pdns.ptrs(zone).len(), 1, "{zone}");
    }
    assert_eq!(
        pdns.ptrs("113.0.203.in-addr.arpa")[&format!("{last}.113.0.203.in-addr.arpa.")],
        "web.example.net."
    );
}

#[tokio::test]
async fn a_sync_writes_the_files_into_the_providers_directory() {
    let t = support::test_db().await;
    let zones = support::reachable_tempdir();
    let home = Home::new(&t, &config(Some(zones.path())));
    home.ok(&["subnet", "add", "203.0.113.0/24", "--pool"]);
    let web = home.named("203.0.113.0/24", "web.example.net");
    let report = home.sync(&[]);
    assert_eq!(pushed(&report), 1, "{report}");
    assert!(outbox(&t).await.is_empty());
    let path = zones.path().join("113.0.203.in-addr.arpa.zone");
    let file = std::fs::read_to_string(&path).unwrap();
    // Nothing changed: the file (and its serial) stays, nothing is journaled.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let journal = t.journal().await.len();
    assert_eq!(pushed(&home.sync(&[])), 0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), file);
    assert_eq!(t.journal().await.len(), journal);
    assert!(file.contains(&format!(
        "{} IN PTR web.example.net.",
        web.rsplit('.').next().unwrap()
    )));
    home.ok(&["ip", "release", &web]);
    home.sync(&[]);
    let file = std::fs::read_to_string(zones.path().join("113.0.203.in-addr.arpa.zone")).unwrap();
    assert!(!file.contains(" IN PTR "), "{file}");
    let (code, _, stderr) = home.json(&["rdns", "export", "--zone", "1.0.10.in-addr.arpa"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("no internal rDNS provider serves zone 1.0.10.in-addr.arpa"),
        "{stderr}"
    );
}

#[tokio::test]
async fn one_sync_per_provider_on_a_lock_only_a_writer_can_hold() {
    let t = support::test_db().await;
    let zones = support::reachable_tempdir();
    let home = Home::new(&t, &config(Some(zones.path())));
    home.ok(&["subnet", "add", "203.0.113.0/24", "--pool"]);
    home.named("203.0.113.0/24", "web.example.net");
    // The advisory key a sync took before: any role can take it, and it holds nothing off.
    let mut squatter = t.pool.acquire().await.unwrap();
    sqlx::query("SELECT pg_advisory_lock(hashtext('carve rdns zones'))")
        .execute(&mut *squatter)
        .await
        .unwrap();
    // Another sync of the provider in progress holds its row of carve_locks.
    t.exec("INSERT INTO carve_locks (name) VALUES ('rdns zones') ON CONFLICT DO NOTHING")
        .await;
    let mut other = t.pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM carve_locks WHERE name = 'rdns zones' FOR UPDATE")
        .execute(&mut *other)
        .await
        .unwrap();
    let (code, report, _) = home.json(&["rdns", "sync"]);
    assert_eq!(code, 1, "{report}");
    assert!(
        report
            .to_string()
            .contains("another carve is syncing this provider"),
        "{report}"
    );
    assert_eq!(outbox(&t).await.len(), 1, "nothing was settled");
    other.rollback().await.unwrap();
    let report = home.sync(&[]);
    assert_eq!(pushed(&report), 1, "{report}");
    assert!(outbox(&t).await.is_empty());
}
