//! `carve undo` through the real binary: `carve log` shows the ids to give it, a dry run
//! shows what would be put back, the undo says what it did, and bad targets are refused
//! with exit 1 and no change.

mod support;

use support::cli::Cli;

#[tokio::test]
async fn a_change_is_undone_from_the_command_line() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli {
        home: home.path(),
        url: &t.url,
    };
    let text = |args: &[&str]| {
        support::run(
            support::carve(home.path())
                .args(["--database-url", &t.url])
                .args(args),
        )
    };
    cli.ok(&["subnet", "add", "10.0.0.0/24"]);
    cli.ok(&["subnet", "allocate", "--len", "26", "--pool", "10.0.0.0/24"]);
    let allocated = t.snapshot().await;
    let id: i64 =
        sqlx::query_scalar("SELECT id FROM provisioning_logs WHERE event = 'ipam_allocate_subnet'")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    let (code, log, _) = text(&["log"]);
    assert_eq!(code, 0);
    assert!(
        log.lines()
            .any(|l| l.starts_with(&format!("#{id} ")) && l.contains("ipam_allocate_subnet")),
        "{log}"
    );

    let (code, plan, stderr) = text(&["undo", "--last", "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        plan.contains(&format!(
            "would undo #{id} ipam_allocate_subnet 10.0.0.0/26"
        )) && plan.contains("10.0.0.0/26")
            && plan.contains("allocated")
            && plan.contains("removed"),
        "{plan}"
    );
    assert_eq!(t.snapshot().await, allocated, "a dry run changed something");

    for (target, kind, words) in [
        ("abc", "validation", "neither a journal id"),
        ("999999", "not_found", "no journal row #999999"),
    ] {
        let (code, doc, _) = cli.json(&["undo", target], None);
        assert_eq!((code, doc["error"]["kind"].as_str()), (1, Some(kind)));
        let message = doc["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{message}");
    }
    let (code, _, stderr) = text(&["undo"]);
    assert_eq!(code, 2, "no target is a usage error: {stderr}");
    assert_eq!(t.snapshot().await, allocated);

    let (code, done, stderr) = text(&["undo", &id.to_string()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(done.starts_with(&format!("undid #{id} ")), "{done}");
    assert_eq!(t.leaves().await, ["10.0.0.0/24:unallocated"]);
    // Again: refused, naming the undo that did it.
    let (code, doc, _) = cli.json(&["undo", &id.to_string()], None);
    assert_eq!(code, 1);
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(message.contains("was undone already, by #"), "{message}");
}
