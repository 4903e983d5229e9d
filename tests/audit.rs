//! The audit trail: every journal row says who (OS user, machine, database role) and
//! which command wrote it, and `carve log` filters by both.

mod support;

use serde_json::Value;

fn carve_as(user: &str, home: &std::path::Path, url: &str, args: &[&str]) -> (i32, Value) {
    let (code, stdout, stderr) = support::run(
        support::carve(home)
            .env("USER", user)
            .env_remove("SUDO_USER")
            .args(["--json", "--database-url", url])
            .args(args),
    );
    let doc = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout} {stderr}"));
    (code, doc)
}

#[tokio::test]
async fn every_row_names_its_actor_and_command_and_the_log_filters_by_them() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let run = |user: &str, args: &[&str]| carve_as(user, home.path(), &t.url, args);
    assert_eq!(run("alice", &["subnet", "add", "203.0.113.0/24"]).0, 0);
    assert_eq!(
        run(
            "bob",
            &[
                "subnet",
                "allocate",
                "--len",
                "26",
                "--pool",
                "203.0.113.0/24"
            ]
        )
        .0,
        0
    );
    // A refused change is journaled with its actor too.
    assert_eq!(
        run(
            "bob",
            &[
                "subnet",
                "allocate",
                "--len",
                "20",
                "--pool",
                "203.0.113.0/24"
            ]
        )
        .0,
        1
    );

    let (_, bobs) = run("carol", &["log", "--actor", "bob"]);
    let bobs = bobs.as_array().unwrap();
    let events: Vec<(&str, &str)> = bobs
        .iter()
        .map(|e| (e["event"].as_str().unwrap(), e["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        events,
        [
            ("ipam_allocate_subnet", "failed"),
            ("ipam_allocate_subnet", "ok"),
            ("ipam_subnet_split", "ok"),
            ("ipam_subnet_split", "ok"),
        ]
    );
    let role: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    for row in bobs {
        assert_eq!(row["os_user"], "bob");
        assert_eq!(row["db_role"], role.as_str());
        assert!(
            row["client_host"].as_str().is_some_and(|h| !h.is_empty()),
            "{row}"
        );
    }
    // The allocation's splits and the allocation itself share one command id; the
    // refused attempt was another command.
    let ids: Vec<&str> = bobs
        .iter()
        .map(|e| e["command_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids[1], ids[2]);
    assert_eq!(ids[2], ids[3]);
    assert_ne!(ids[0], ids[1]);
    let (_, one) = run("carol", &["log", "--command", ids[1]]);
    assert_eq!(one.as_array().unwrap().len(), 3);
    let (_, alices) = run("carol", &["log", "--actor", "alice"]);
    assert_eq!(alices.as_array().unwrap().len(), 1);
    let (code, refused) = run("carol", &["log", "--command", "yesterday"]);
    assert_eq!(code, 1);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is not a command id")
    );
}

/// The UI's detail pane names the last change to exactly the selection: an address's own
/// event even in a busy pool, a pool's own event rather than one of its addresses'.
#[tokio::test]
async fn the_detail_names_the_last_change_to_exactly_the_selection() {
    let t = support::test_db().await;
    let db = t.db();
    let pool = support::site::net("198.51.100.0/28");
    carve::service::subnets::add_root(&db, &pool, None, None, None, true)
        .await
        .unwrap();
    let source = carve::service::addresses::Source::Subnet(pool);
    let first = carve::service::addresses::allocate(&db, &source, &Default::default())
        .await
        .unwrap()
        .ip
        .address;
    for _ in 0..8 {
        carve::service::addresses::allocate(&db, &source, &Default::default())
            .await
            .unwrap();
    }
    let detail = carve::service::browse::detail(&db, &pool, Some(first))
        .await
        .unwrap();
    let last = detail
        .last_change
        .expect("the first address's own allocation");
    assert_eq!(last.address.map(|a| a.addr()), Some(first));
    let of_pool = carve::service::browse::detail(&db, &pool, None)
        .await
        .unwrap();
    let pool_change = of_pool.last_change.map(|e| e.event);
    assert_eq!(
        pool_change.as_deref(),
        Some("ipam_subnet_add"),
        "not an address's change"
    );
}
