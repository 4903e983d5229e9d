//! The audit trail: every journal row says who (OS user, machine, database role) and
//! which command wrote it, and `carve log` filters by both.

mod support;

use serde_json::Value;

/// A user of this machine (passwd): name and uid.
type User = (String, u32);

/// Users in /etc/passwd other than root, to stand behind `sudo`.
fn users() -> Vec<User> {
    std::fs::read_to_string("/etc/passwd")
        .unwrap()
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            let uid = f.get(2)?.parse().ok()?;
            (uid != 0 && !f[0].starts_with(['+', '-'])).then(|| (f[0].to_owned(), uid))
        })
        .collect()
}

/// `id` with these options: the system's own account of whom the tests run as.
fn id(options: &str) -> String {
    let out = std::process::Command::new("id")
        .arg(options)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The real user's name.
fn me() -> String {
    id("-run")
}

fn as_root() -> bool {
    id("-ru") == "0"
}

/// carve run the way `sudo` runs it for `user` (SUDO_USER, SUDO_UID), with USER and
/// LOGNAME saying someone else entirely.
fn carve_as(user: Option<&User>, home: &std::path::Path, url: &str, args: &[&str]) -> (i32, Value) {
    let mut command = support::carve(home);
    command
        .env("USER", "zed")
        .env("LOGNAME", "zed")
        .env_remove("SUDO_USER")
        .env_remove("SUDO_UID");
    if let Some((name, uid)) = user {
        command
            .env("SUDO_USER", name)
            .env("SUDO_UID", uid.to_string());
    }
    let (code, stdout, stderr) =
        support::run(command.args(["--json", "--database-url", url]).args(args));
    let doc = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout} {stderr}"));
    (code, doc)
}

/// The OS user is the real uid's name, never USER or LOGNAME; root through sudo names
/// the user behind it too, but SUDO_USER counts only for root and only when passwd gives
/// SUDO_UID that name.
#[tokio::test]
async fn the_journal_names_the_real_user_and_the_one_behind_sudo() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let users = users();
    let (alice, bob) = (&users[0], &users[1]);
    let me = me();
    let add = |user: Option<&User>, cidr: &str| {
        let (code, _) = carve_as(user, home.path(), &t.url, &["subnet", "add", cidr]);
        assert_eq!(code, 0, "{cidr}");
        let (_, log) = carve_as(None, home.path(), &t.url, &["log", "--limit", "1"]);
        let row = log[0].clone();
        assert_eq!(row["cidr"], cidr, "{row}");
        (row["os_user"].clone(), row["sudo_user"].clone())
    };
    assert_eq!(add(None, "192.0.2.0/24"), (me.clone().into(), Value::Null));
    // Cron and systemd start carve without USER or LOGNAME.
    let (code, _) = {
        let mut command = support::carve(home.path());
        command
            .env_remove("USER")
            .env_remove("LOGNAME")
            .env_remove("SUDO_USER")
            .env_remove("SUDO_UID")
            .args([
                "--json",
                "--database-url",
                &t.url,
                "subnet",
                "add",
                "198.18.0.0/24",
            ]);
        let (code, out, _) = support::run(&mut command);
        (code, out)
    };
    assert_eq!(code, 0);
    let (_, log) = carve_as(None, home.path(), &t.url, &["log", "--limit", "1"]);
    assert_eq!(log[0]["os_user"], me.as_str(), "{}", log[0]);

    let behind = add(Some(alice), "198.51.100.0/24");
    if as_root() {
        assert_eq!(behind, (me.clone().into(), alice.0.as_str().into()));
        let (_, found) = carve_as(None, home.path(), &t.url, &["log", "--actor", &alice.0]);
        let cidrs: Vec<&Value> = found
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["cidr"])
            .collect();
        assert_eq!(cidrs, [&Value::from("198.51.100.0/24")]);
    } else {
        assert_eq!(
            behind,
            (me.clone().into(), Value::Null),
            "not root: no sudo"
        );
    }
    // A name passwd does not give that uid is not believed.
    let forged = (alice.0.clone(), bob.1);
    assert_eq!(
        add(Some(&forged), "203.0.113.0/24"),
        (me.clone().into(), Value::Null)
    );
}

#[tokio::test]
async fn every_row_names_its_actor_and_command_and_the_log_filters_by_them() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    if !as_root() {
        // Only root can be anyone else (through sudo); the test above covers the rest.
        return;
    }
    let users = users();
    let [alice, bob, carol] = [&users[0], &users[1], &users[2]].map(Some);
    let run = |user: Option<&User>, args: &[&str]| carve_as(user, home.path(), &t.url, args);
    assert_eq!(run(alice, &["subnet", "add", "203.0.113.0/24"]).0, 0);
    assert_eq!(
        run(
            bob,
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
            bob,
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

    let (_, bobs) = run(carol, &["log", "--actor", &bob.unwrap().0]);
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
        assert_eq!(row["sudo_user"], bob.unwrap().0.as_str());
        assert_eq!(row["os_user"], "root");
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
    let (_, one) = run(carol, &["log", "--command", ids[1]]);
    assert_eq!(one.as_array().unwrap().len(), 3);
    let (_, alices) = run(carol, &["log", "--actor", &alice.unwrap().0]);
    assert_eq!(alices.as_array().unwrap().len(), 1);
    let (code, refused) = run(carol, &["log", "--command", "yesterday"]);
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
