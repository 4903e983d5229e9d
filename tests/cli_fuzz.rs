//! Generated hostile arguments against the real binary (issue 18, "Must hold"): whatever
//! is typed, carve does not panic, exits 1 or 2 with one line on stderr, and leaves the
//! database as it was, apart from at most one journaled failure.

mod support;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Pieces that make any value unacceptable where it goes: not UTF-8, far too long,
/// control or bidi characters (not whitespace, which carve trims), special IPv6 forms.
fn hostile() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"caf\xe9".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just("A".repeat(100_000).into_bytes()),
        Just("\u{1b}]52;c;aGk=\u{7}".as_bytes().to_vec()),
        Just("\u{1b}[2J".as_bytes().to_vec()),
        Just("\u{202E}\u{2066}".as_bytes().to_vec()),
        Just("::ffff:10.0.0.0/104".as_bytes().to_vec()),
        Just("::/32".as_bytes().to_vec()),
        Just("fe80::/64".as_bytes().to_vec()),
        Just("64:ff9b::/96".as_bytes().to_vec()),
        Just("ff02::1".as_bytes().to_vec()),
    ]
}

/// A value: something plausible with a hostile piece inside it.
fn value() -> impl Strategy<Value = Vec<u8>> {
    let base = prop_oneof![
        Just(String::new()),
        Just("203.0.113.0/24".to_owned()),
        Just("FRA1".to_owned()),
        Just("2026-11".to_owned()),
        // Not starting with '-': `-h...` would be a request for help.
        "([a-z0-9][a-z0-9./:-]{0,11})?",
    ];
    (base, hostile(), any::<bool>()).prop_map(|(base, bad, before)| {
        let mut v = base.into_bytes();
        if before {
            let mut b = bad;
            b.extend(v);
            b
        } else {
            v.extend(bad);
            v
        }
    })
}

/// Commands with one slot for the generated value: `@` as it is, `#` followed by more
/// than a name may hold (a name with a bidi character is a valid name, shown escaped).
const TEMPLATES: &[&[&str]] = &[
    &["subnet", "add", "@"],
    &["subnet", "add", "@", "--location", "FRA1"],
    &["subnet", "show", "@"],
    &["subnet", "park", "@", "--reason", "x"],
    &["subnet", "split", "@"],
    &["subnet", "list", "--family", "@"],
    &["subnet", "set", "203.0.113.0/24", "--vlan", "@"],
    &["subnet", "allocate", "--cidr", "@", "--customer", "cust-1"],
    &["subnet", "allocate", "--len", "26", "--customer", "@"],
    &["ip", "show", "@"],
    &["location", "add", "#"],
    &["customer", "add", "#"],
    &["device", "add", "#", "--location", "FRA1"],
    &["billing", "close", "--cycle", "@", "--dry-run"],
    &["billing", "ingest", "@"],
    &["product", "show", "@"],
    &["@"],
];

async fn state(t: &support::TestDb) -> (String, i64, i64, i64) {
    let count = |sql: &'static str| {
        let pool = t.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    (
        t.snapshot().await,
        count(
            "SELECT (SELECT count(*) FROM locations) + (SELECT count(*) FROM customers)
                    + (SELECT count(*) FROM devices) + (SELECT count(*) FROM products)",
        )
        .await,
        count("SELECT count(*) FROM provisioning_logs WHERE outcome = 'ok'").await,
        count("SELECT count(*) FROM provisioning_logs WHERE outcome = 'failed'").await,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_arguments_are_refused_cleanly() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    for args in [
        &["location", "add", "FRA1"][..],
        &["customer", "add", "cust-1"],
        &["subnet", "add", "203.0.113.0/24", "--location", "FRA1"],
    ] {
        let (code, _, stderr) = support::run(
            support::carve(home.path())
                .arg("--database-url")
                .arg(&t.url)
                .args(args),
        );
        assert_eq!(code, 0, "{args:?}: {stderr}");
    }
    let strategy = (0..TEMPLATES.len(), value());
    let mut runner = TestRunner::new(Config {
        cases: 200,
        failure_persistence: None,
        ..Config::default()
    });
    let handle = tokio::runtime::Handle::current();
    runner
        .run(&strategy, |(template, value)| {
            let args: Vec<OsString> = TEMPLATES[template]
                .iter()
                .map(|a| match *a {
                    "@" => OsString::from_vec(value.clone()),
                    "#" => OsString::from_vec([&value[..], &[b'A'; 101]].concat()),
                    a => OsString::from(a),
                })
                .collect();
            let before = tokio::task::block_in_place(|| handle.block_on(state(&t)));
            let output = support::carve(home.path())
                .arg("--database-url")
                .arg(&t.url)
                .args(&args)
                .output()
                .unwrap();
            let after = tokio::task::block_in_place(|| handle.block_on(state(&t)));
            let stderr = String::from_utf8_lossy(&output.stderr);
            let code = output.status.code();
            prop_assert!(
                matches!(code, Some(1 | 2)),
                "{args:?}: exit {code:?}: {stderr}"
            );
            prop_assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
            prop_assert_eq!(stderr.lines().count(), 1, "{:?}: {}", args, stderr);
            prop_assert_eq!(&after.0, &before.0, "{:?} changed the tree", args);
            prop_assert_eq!(after.1, before.1, "{:?} changed the catalog", args);
            prop_assert_eq!(after.2, before.2, "{:?} journaled a change", args);
            prop_assert!(
                after.3 - before.3 <= 1,
                "{:?}: {} failures",
                args,
                after.3 - before.3
            );
            Ok(())
        })
        .unwrap();
}
