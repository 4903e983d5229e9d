//! Reverse DNS when things go wrong: a provider that is down or refuses never changes
//! IPAM data, keeps what it could not push queued with the error, and the next sync
//! finishes; bad names and bad provider configs are refused with the rule.

mod support;

use support::powerdns::PowerDns;
use support::rdns::{Home, outbox, pushed};

fn config(pdns: &PowerDns, home: &Home, create_zones: bool) -> String {
    home.powerdns(
        pdns,
        &format!(
            "prefixes = [\"203.0.113.0/24\", \"198.51.100.0/24\"]\ncreate_zones = {create_zones}"
        ),
    )
}

#[tokio::test]
async fn a_provider_that_is_down_keeps_the_work_queued_until_it_is_back() {
    let t = support::test_db().await;
    let mut pdns = PowerDns::start();
    let home = Home::new(&t, "");
    home.configure(&config(&pdns, &home, true));
    home.ok(&["subnet", "add", "203.0.113.0/24", "--pool"]);
    for name in ["a.example.net", "b.example.net", "c.example.net"] {
        home.named("203.0.113.0/24", name);
    }
    pdns.stop();
    let before = t.snapshot().await;

    let (code, doc, stderr) = home.json(&["rdns", "sync"]);
    assert_eq!(code, 1, "{doc} {stderr}");
    assert!(
        doc["zones"][0]["error"]
            .as_str()
            .unwrap()
            .contains("cannot reach"),
        "{doc}"
    );
    assert!(
        stderr.contains("cannot reach http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(stderr.contains("stay queued"), "{stderr}");
    assert_eq!(t.snapshot().await, before, "IPAM data untouched");
    let queued = outbox(&t).await;
    assert_eq!(queued.len(), 3);
    assert!(
        queued.iter().all(|q| q.ends_with(" 1")),
        "one failed attempt each: {queued:?}"
    );
    // IPAM work goes on while the provider is down.
    home.named("203.0.113.0/24", "d.example.net");

    let status = home.ok(&["rdns", "status"]);
    let provider = &status["providers"][0];
    assert_eq!(provider["pending"].as_array().unwrap().len(), 4);
    assert!(
        provider["last_error"]
            .as_str()
            .unwrap()
            .contains("cannot reach")
    );
    assert!(
        provider["pending"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("cannot reach")
    );
    let (code, text, _) = support::run(support::carve(home.path()).args([
        "--database-url",
        &t.url,
        "rdns",
        "status",
    ]));
    assert_eq!(code, 0);
    assert!(
        text.contains("pdns") && text.contains("cannot reach"),
        "{text}"
    );
    // The key never shows, whatever failed.
    assert!(!stderr.contains(&pdns.api_key) && !text.contains(&pdns.api_key));

    pdns.restart();
    let report = home.sync(&[]);
    assert_eq!(pushed(&report), 4);
    assert_eq!(pdns.ptrs("113.0.203.in-addr.arpa").len(), 4);
    assert!(outbox(&t).await.is_empty());
    let status = home.ok(&["rdns", "status"]);
    assert!(status["providers"][0]["last_ok_at"].is_string());
}

#[tokio::test]
async fn a_zone_that_fails_mid_sync_keeps_its_part_and_the_next_sync_finishes() {
    let t = support::test_db().await;
    let pdns = PowerDns::start();
    pdns.create_zone("113.0.203.in-addr.arpa");
    let home = Home::new(&t, "");
    home.configure(&config(&pdns, &home, false));
    home.ok(&["subnet", "add", "203.0.113.0/24", "--pool"]);
    home.ok(&["subnet", "add", "198.51.100.0/24", "--pool"]);
    home.named("203.0.113.0/24", "first.example.net");
    let second = home.named("198.51.100.0/24", "second.example.net");
    let before = t.snapshot().await;

    let (code, doc, stderr) = home.json(&["rdns", "sync"]);
    assert_eq!(code, 1, "{doc}");
    assert!(
        stderr.contains("zone 100.51.198.in-addr.arpa does not exist")
            && stderr.contains("create_zones"),
        "{stderr}"
    );
    assert_eq!(t.snapshot().await, before);
    assert_eq!(
        pdns.ptrs("113.0.203.in-addr.arpa").len(),
        1,
        "the zone before it was pushed"
    );
    assert_eq!(outbox(&t).await, [format!("{second} second.example.net 1")]);

    pdns.create_zone("100.51.198.in-addr.arpa");
    let report = home.sync(&[]);
    assert_eq!(pushed(&report), 1);
    assert_eq!(pdns.ptrs("100.51.198.in-addr.arpa").len(), 1);
    assert!(outbox(&t).await.is_empty());
}

#[tokio::test]
async fn a_wrong_key_is_refused_by_the_provider_and_never_shown() {
    let t = support::test_db().await;
    let pdns = PowerDns::start();
    let home = Home::new(&t, "");
    home.configure(&config(&pdns, &home, true).replace(
        &format!("cat {}", home.secret_file(&pdns.api_key).display()),
        "echo not-the-key-s3cret",
    ));
    home.ok(&["subnet", "add", "203.0.113.0/24", "--pool"]);
    home.named("203.0.113.0/24", "a.example.net");
    // Even a trace log keeps the key out (the HTTP client logs whole requests).
    let (code, _, stderr) =
        support::run(support::carve(home.path()).env("CARVE_LOG", "trace").args([
            "--database-url",
            &t.url,
            "rdns",
            "sync",
        ]));
    assert_eq!(code, 1);
    assert!(stderr.contains("API key was refused (401)"), "{stderr}");
    assert!(!stderr.contains("not-the-key-s3cret"));
    let log = std::fs::read_to_string(home.path().join("data/carve.log")).unwrap();
    assert!(log.contains("TRACE"), "the log is at trace level");
    // The client dumps requests in hex and text pieces: not even the header's name may show.
    let lower = log.to_lowercase();
    assert!(
        !lower.contains("api-key") && !lower.contains("s3cret"),
        "the request with its key is in the log"
    );
    assert_eq!(outbox(&t).await.len(), 1);
}

#[tokio::test]
async fn bad_names_are_refused_and_change_nothing() {
    let t = support::test_db().await;
    let home = Home::new(&t, "");
    home.ok(&["subnet", "add", "203.0.113.0/24", "--pool"]);
    let ip = home.named("203.0.113.0/24", "good.example.net");
    let before = (t.snapshot().await, outbox(&t).await);
    let long = format!("{}.example.net", ["a"; 150].join("."));
    for (name, rule) in [
        ("-bad-.example", "invalid label \"-bad-\""),
        (long.as_str(), "longer than 253"),
        ("evil\u{1b}[2J.example", "invalid label"),
        ("a..example", "invalid label \"\""),
        ("bücher.example", "punycode"),
        ("under_score.example", "invalid label"),
    ] {
        let (code, doc, stderr) = home.json(&["ip", "set", &ip, "--rdns", name]);
        assert_eq!(code, 1, "{name:?}: {doc}");
        assert_eq!(doc["error"]["kind"], "validation");
        assert!(stderr.contains(rule), "{name:?}: {stderr}");
        assert!(
            !stderr.contains('\u{1b}'),
            "control characters never reach the terminal"
        );
        let (code, _, _) = home.json(&[
            "ip",
            "allocate",
            "--subnet",
            "203.0.113.0/24",
            "--rdns",
            name,
        ]);
        assert_eq!(code, 1);
    }
    assert_eq!((t.snapshot().await, outbox(&t).await), before);
}

#[tokio::test]
async fn bad_provider_configs_name_the_key_and_the_rule() {
    let t = support::test_db().await;
    let home = Home::new(&t, "");
    let provider = |body: &str| format!("[[rdns.providers]]\nname = \"p\"\n{body}\n");
    for (config, rule) in [
        (
            provider("kind = \"bind9\"\nprefixes = [\"10.0.0.0/24\"]"),
            "kind \"bind9\" is not one of",
        ),
        (
            provider("kind = \"internal\"\nprefixes = [\"10.0.0.1/24\"]"),
            "host bits set (did you mean 10.0.0.0/24?)",
        ),
        (
            provider("kind = \"internal\"\nprefixes = [\"10.0.0/24\"]"),
            "is not a CIDR",
        ),
        (
            provider("kind = \"internal\""),
            "give the prefixes or zones",
        ),
        (
            provider("kind = \"internal\"\nzones = [\"example.com\"]"),
            "in-addr.arpa or ip6.arpa",
        ),
        (
            provider("kind = \"powerdns\"\nprefixes = [\"10.0.0.0/24\"]"),
            "give url",
        ),
        (
            provider("kind = \"cloudflare\"\nprefixes = [\"10.0.0.0/24\"]\nkey_env = \"K\""),
            "key_env does not apply to a cloudflare provider (only to powerdns)",
        ),
        (
            provider("kind = \"internal\"\nprefixes = [\"10.0.0.0/16\"]")
                + &provider("kind = \"internal\"\nprefixes = [\"10.0.1.0/24\"]")
                    .replace("\"p\"", "\"q\""),
            "overlaps zone 1.0.10.in-addr.arpa",
        ),
        (
            provider("kind = \"internal\"\nprefixes = [\"10.0.0.0/24\"]\napi_key = \"x\""),
            "api_key",
        ),
    ] {
        home.configure(&config);
        let (code, doc, stderr) = home.json(&["rdns", "status"]);
        assert_eq!(code, 2, "{config}: {doc}");
        assert_eq!(doc["error"]["kind"], "config");
        assert!(stderr.contains(rule), "{config}: {stderr}");
    }
    home.configure("");
    let (code, _, stderr) = home.json(&["rdns", "sync"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no reverse DNS providers are configured"),
        "{stderr}"
    );
}

#[tokio::test]
async fn cancelling_a_service_queues_the_deletion_of_its_ptrs() {
    let t = support::test_db().await;
    let db = support::site::site(&t).await;
    let service = support::site::provisioned(&db).await;
    let address: std::net::IpAddr = sqlx::query_scalar::<_, ipnet::IpNet>(
        "SELECT address FROM ip_addresses WHERE service_id = $1",
    )
    .bind(service.id)
    .fetch_one(&t.pool)
    .await
    .unwrap()
    .addr();
    let name = carve::service::addresses::Holder {
        rdns: Some("srv-1.example.net".into()),
        ..Default::default()
    };
    carve::service::addresses::set(&db, address, &name)
        .await
        .unwrap();
    assert_eq!(outbox(&t).await, [format!("{address} srv-1.example.net 0")]);
    carve::service::provision::cancel(&db, service.id, false)
        .await
        .unwrap();
    assert_eq!(outbox(&t).await, [format!("{address} DELETE 0")]);
}
