//! Reverse DNS against Cloudflare's API v4, played by a local server that speaks its
//! protocol (envelopes, pagination, 429 with Retry-After): set, change, delete, drift and
//! prune, many records over many pages, a rate limit waited out, a failure part way.

mod support;

use std::time::Instant;

use support::cloudflare::FakeCloudflare;
use support::rdns::{Home, differences, outbox, pushed};

const ZONE: &str = "113.0.203.in-addr.arpa";
const V6_ZONE: &str = "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";

fn config(cf: &FakeCloudflare, home: &Home) -> String {
    format!(
        r#"
[[rdns.providers]]
name = "cf"
kind = "cloudflare"
url = "{}"
token_command = "cat {}"
prefixes = ["203.0.113.0/24", "2001:db8::/64"]
"#,
        cf.url,
        home.secret_file(&cf.token).display()
    )
}

fn setup(t: &support::TestDb) -> (FakeCloudflare, Home) {
    let cf = FakeCloudflare::start();
    cf.add_zone(ZONE);
    cf.add_zone(V6_ZONE);
    let home = Home::new(t, "");
    home.configure(&config(&cf, &home));
    home.ok(&["subnet", "add", "203.0.113.0/24", "--pool"]);
    home.ok(&["subnet", "add", "2001:db8::/64", "--pool"]);
    (cf, home)
}

fn record(address: &str) -> String {
    let last = address.rsplit('.').next().unwrap();
    format!("{last}.{ZONE}")
}

#[tokio::test]
async fn names_are_set_changed_removed_and_drift_pruned() {
    let t = support::test_db().await;
    let (cf, home) = setup(&t);
    let a = home.named("203.0.113.0/24", "a.example.net");
    let b = home.named("203.0.113.0/24", "b.example.net");
    let v6 = home.named("2001:db8::/64", "v6.example.net");
    let report = home.sync(&[]);
    assert_eq!(pushed(&report), 3, "{report}");
    assert_eq!(cf.records(ZONE)[&record(&a)], "a.example.net");
    assert_eq!(
        cf.records(V6_ZONE).values().collect::<Vec<_>>(),
        ["v6.example.net"]
    );
    let writes = cf.write_count();
    assert_eq!(pushed(&home.sync(&[])), 0, "idempotent");
    assert_eq!(cf.write_count(), writes, "a second sync writes nothing");

    home.ok(&["ip", "set", &a, "--rdns", "a2.example.net"]);
    home.ok(&["ip", "release", &v6]);
    home.sync(&[]);
    assert_eq!(cf.records(ZONE)[&record(&a)], "a2.example.net");
    assert!(cf.records(V6_ZONE).is_empty());

    // Drift made in the dashboard: a changed record and one carve never had.
    cf.put_record(ZONE, &record(&b), "evil.example.org");
    cf.put_record(ZONE, "200.113.0.203.in-addr.arpa", "hand-made.example.org");
    let report = home.sync(&[]);
    assert_eq!(
        differences(&report),
        [format!("{b} different"), "203.0.113.200 extra".to_owned()]
    );
    assert_eq!(
        cf.records(ZONE).len(),
        3,
        "the extra is kept without --prune"
    );
    assert_eq!(cf.records(ZONE)[&record(&b)], "b.example.net");
    home.sync(&["--prune"]);
    assert_eq!(cf.records(ZONE).len(), 2);
    assert!(!cf.records(ZONE).contains_key("200.113.0.203.in-addr.arpa"));
}

#[tokio::test]
async fn a_thousand_records_over_many_pages_and_a_rate_limit_waited_out() {
    let t = support::test_db().await;
    let (cf, home) = setup(&t);
    cf.set_page_size_cap(20);
    let mut csv = String::from("address,rdns\n");
    for i in 1..=120 {
        csv += &format!("203.0.113.{i},host-{i}.example.net\n");
    }
    for i in 1..=880 {
        csv += &format!("2001:db8::{i:x},v6-{i}.example.net\n");
    }
    let file = home.path().join("names.csv");
    std::fs::write(&file, csv).unwrap();
    home.ok(&["import", file.to_str().unwrap()]);
    let started = Instant::now();
    home.sync(&[]);
    println!(
        "1000 PTRs created in Cloudflare (fake, loopback, one request each): {:.2?}",
        started.elapsed()
    );
    assert_eq!(cf.records(ZONE).len(), 120);
    assert_eq!(cf.records(V6_ZONE).len(), 880);

    // 1,000 records over pages of 20: all read, none pushed twice.
    cf.rate_limit_next(2, 1);
    let writes = cf.write_count();
    let started = Instant::now();
    let report = home.sync(&[]);
    assert!(differences(&report).is_empty(), "{report}");
    assert_eq!(cf.write_count(), writes);
    assert!(
        started.elapsed().as_secs_f64() >= 2.0,
        "Retry-After was honoured"
    );
}

#[tokio::test]
async fn a_failure_part_way_keeps_the_rest_queued_and_the_next_sync_finishes() {
    let t = support::test_db().await;
    let (mut cf, home) = setup(&t);
    let names: Vec<String> = (1..=5)
        .map(|i| home.named("203.0.113.0/24", &format!("n{i}.example.net")))
        .collect();
    let before = t.snapshot().await;
    cf.fail_after(2, 500);
    let (code, doc, stderr) = home.json(&["rdns", "sync"]);
    assert_eq!(code, 1, "{doc}");
    assert!(stderr.contains("HTTP 500"), "{stderr}");
    assert_eq!(t.snapshot().await, before);
    assert_eq!(cf.records(ZONE).len(), 2, "two went through");
    let queued = outbox(&t).await;
    assert_eq!(queued.len(), 3, "the remainder stays queued: {queued:?}");
    assert!(queued.iter().all(|q| q.ends_with(" 1")));

    cf.heal();
    let report = home.sync(&[]);
    assert_eq!(pushed(&report), 3);
    assert_eq!(cf.records(ZONE).len(), 5);
    assert!(
        names
            .iter()
            .all(|n| cf.records(ZONE).contains_key(&record(n)))
    );
    assert!(outbox(&t).await.is_empty());

    // Down altogether: refused connection, nothing lost.
    home.ok(&["ip", "set", &names[0], "--rdns", "moved.example.net"]);
    cf.stop();
    let (code, _, stderr) = home.json(&["rdns", "sync"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot reach"), "{stderr}");
    assert_eq!(
        outbox(&t).await,
        [format!("{} moved.example.net 1", names[0])]
    );
}

#[tokio::test]
async fn a_server_that_echoes_the_token_in_an_error_gets_it_nowhere() {
    let t = support::test_db().await;
    let (cf, home) = setup(&t);
    home.named("203.0.113.0/24", "a.example.net");
    cf.echo_credentials();
    cf.fail_after(0, 500);
    let (code, _, stderr) = home.json(&["rdns", "sync"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("request had Authorization: [redacted]"),
        "the server's words are kept, the token is not: {stderr}"
    );
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT last_error FROM rdns_providers WHERE last_error IS NOT NULL
         UNION ALL SELECT last_error FROM rdns_outbox WHERE last_error IS NOT NULL",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    assert!(!stored.is_empty(), "the failure is recorded");
    let log = std::fs::read_to_string(home.path().join("data/carve.log")).unwrap_or_default();
    for (place, text) in [("stderr", stderr.as_str()), ("carve.log", log.as_str())]
        .into_iter()
        .chain(stored.iter().map(|s| ("last_error", s.as_str())))
    {
        assert!(
            !text.contains(&cf.token),
            "the token leaked into {place}: {text}"
        );
    }
}

#[tokio::test]
async fn the_token_comes_from_the_environment_and_a_wrong_one_is_refused() {
    let t = support::test_db().await;
    let (cf, home) = setup(&t);
    home.named("203.0.113.0/24", "a.example.net");
    let env_config = config(&cf, &home).replace(
        &format!(
            "token_command = \"cat {}\"",
            home.secret_file(&cf.token).display()
        ),
        "token_env = \"CF_TEST_TOKEN\"",
    );
    home.configure(&env_config);
    let sync = |token: Option<&str>| {
        let mut command = support::carve(home.path());
        command.args(["--database-url", &t.url, "rdns", "sync"]);
        if let Some(token) = token {
            command.env("CF_TEST_TOKEN", token);
        }
        support::run(&mut command)
    };
    let (code, _, stderr) = sync(None);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("set the environment variable CF_TEST_TOKEN"),
        "{stderr}"
    );
    let (code, _, stderr) = sync(Some("wrong-token-s3cret"));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("HTTP 403") && stderr.contains("Authentication error"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-token-s3cret"));
    assert!(cf.records(ZONE).is_empty());
    let (code, out, stderr) = sync(Some(&cf.token));
    assert_eq!(code, 0, "{out} {stderr}");
    assert_eq!(cf.records(ZONE).len(), 1);
}
