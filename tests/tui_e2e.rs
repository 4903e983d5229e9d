//! The real binary in tmux on the demo data: keys in, screen out, as a NOC engineer
//! would use it over SSH at 80x24.

mod support;

use std::time::Duration;

use support::tmux::Tmux;

const WAIT: Duration = Duration::from_secs(15);

/// The demo data in a fresh database, and carve's UI on it.
async fn open() -> (support::TestDb, tempfile::TempDir, Tmux) {
    let t = support::test_db().await;
    carve::service::demo::fill(&t.db()).await.unwrap();
    let home = support::reachable_tempdir();
    let mut command = support::carve(home.path());
    command.args(["--database-url", &t.url]);
    let ui = Tmux::start(&command, 80, 24);
    ui.wait_for("203.0.113.0/24", WAIT);
    (t, home, ui)
}

fn cli_json(home: &std::path::Path, url: &str, args: &[&str]) -> serde_json::Value {
    let (code, stdout, stderr) = support::run(
        support::carve(home)
            .args(["--json", "--database-url", url])
            .args(args),
    );
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

#[tokio::test]
async fn searching_an_address_shows_who_holds_it() {
    let (_t, _home, ui) = open().await;
    ui.keys("/").text("203.0.113.70").keys("Enter");
    // The detail pane names the holder and the VLAN once the hit is revealed.
    ui.wait_until(WAIT, |s| {
        s.contains("203.0.113.64/27  alloc")
            && s.contains("customer  cust-7422")
            && s.contains("vlan      102")
            && s.contains("1 match")
    });
}

#[tokio::test]
async fn a_29_allocated_through_the_dialog_is_in_the_tree_and_the_cli() {
    let (t, home, ui) = open().await;
    // The root is selected: allocate inside it.
    ui.keys("a");
    ui.wait_for("Allocate a subnet", WAIT);
    ui.keys("BSpace BSpace")
        .text("29")
        .keys("Down Down Down")
        .text("cust-7421");
    ui.keys("Enter");
    let plan = ui.wait_for("Enter do it", WAIT);
    assert!(plan.contains("allocate 203.0.113.104/29"), "{plan}");
    ui.keys("Enter");
    // The result in the status bar, and the new block in the (reloaded) tree.
    ui.wait_until(WAIT, |s| {
        s.contains("allocated 203.0.113.104/29") && s.contains("203.0.113.104/29 alloc")
    });
    let list = cli_json(
        home.path(),
        &t.url,
        &["subnet", "list", "--customer", "cust-7421"],
    );
    let cidrs: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["cidr"].as_str().unwrap())
        .collect();
    assert!(cidrs.contains(&"203.0.113.104/29"), "{cidrs:?}");

    // u takes it back: the plan first (what would be put back), then Enter.
    ui.keys("u");
    let plan = ui.wait_for("Enter do it", WAIT);
    assert!(
        plan.contains("undo #") && plan.contains("203.0.113.104/29"),
        "{plan}"
    );
    ui.keys("Enter");
    ui.wait_until(WAIT, |s| {
        s.contains("undid #") && !s.contains("203.0.113.104/29 alloc")
    });
    let list = cli_json(
        home.path(),
        &t.url,
        &["subnet", "list", "--customer", "cust-7421"],
    );
    let held = |s: &serde_json::Value| s["cidr"] == "203.0.113.104/29";
    assert!(!list.as_array().unwrap().iter().any(held), "{list}");
}

#[tokio::test]
async fn park_and_unpark_from_the_keyboard() {
    let (t, home, ui) = open().await;
    ui.keys("l");
    ui.wait_for("203.0.113.104/29", WAIT);
    ui.keys("/").text("203.0.113.104/29").keys("Enter");
    ui.wait_for("1 match", WAIT);
    ui.keys("p");
    ui.wait_for("Park 203.0.113.104/29", WAIT);
    ui.text("maintenance").keys("Enter");
    // The plan first (nothing is held underneath), then Enter parks it.
    let plan = ui.wait_for("Enter do it", WAIT);
    assert!(plan.contains("park 203.0.113.104/29"), "{plan}");
    ui.keys("Enter");
    ui.wait_until(WAIT, |s| {
        s.contains("parked 203.0.113.104/29") && s.contains("203.0.113.104/29 parked")
    });
    let shown = cli_json(home.path(), &t.url, &["subnet", "show", "203.0.113.104/29"]);
    assert_eq!(shown["parked_reason"], "maintenance");
    ui.keys("p");
    ui.wait_for("unpark 203.0.113.104/29", WAIT);
    ui.keys("Enter");
    ui.wait_until(WAIT, |s| {
        s.contains("unparked 203.0.113.104/29") && s.contains("203.0.113.104/29 free")
    });
}

#[tokio::test]
async fn a_change_made_elsewhere_shows_up_without_a_refresh() {
    let (t, home, ui) = open().await;
    ui.keys("l");
    ui.wait_for("203.0.113.112/29 free", WAIT);
    cli_json(
        home.path(),
        &t.url,
        &[
            "subnet",
            "allocate",
            "--cidr",
            "203.0.113.112/29",
            "--customer",
            "cust-7421",
        ],
    );
    ui.wait_until(WAIT, |s| {
        s.contains("203.0.113.112/29 alloc") && s.contains("cust-7421")
    });
}

#[tokio::test]
async fn the_palette_runs_a_cli_command_and_shows_its_output() {
    let (_t, _home, ui) = open().await;
    ui.keys(":")
        .text("subnet show 203.0.113.64/27")
        .keys("Enter");
    ui.wait_until(WAIT, |s| {
        s.contains("carve finished") && s.contains("customer: cust-7422")
    });
    ui.keys("Escape");
    ui.wait_until(WAIT, |s| !s.contains("customer: cust-7422"));
}

#[tokio::test]
async fn quitting_leaves_the_terminal_sane() {
    let (_t, _home, ui) = open().await;
    ui.keys("?");
    ui.wait_for("Keys", WAIT);
    ui.keys("Escape");
    ui.wait_until(WAIT, |screen| !screen.contains("Keys"));
    ui.keys("q");
    assert_eq!(ui.wait_exit(WAIT), 0);
    assert!(ui.alternate_screen_off(), "still on the alternate screen");
    assert!(
        ui.modes_left_on().is_empty(),
        "left on: {:?}",
        ui.modes_left_on()
    );
}

#[tokio::test]
async fn a_terminal_smaller_than_80x24_gets_a_notice() {
    let (_t, _home, ui) = open().await;
    ui.resize(60, 20);
    ui.wait_for("carve needs 80x24", WAIT);
    ui.resize(80, 24);
    ui.wait_for("203.0.113.0/24", WAIT);
}

#[tokio::test]
async fn a_ptr_name_set_with_d_shows_pending_then_in_sync_after_a_sync() {
    let t = support::test_db().await;
    carve::service::demo::fill(&t.db()).await.unwrap();
    let zones = support::reachable_tempdir();
    let home = support::rdns::Home::new(
        &t,
        &format!(
            "[[rdns.providers]]\nname = \"zones\"\nkind = \"internal\"\n\
             prefixes = [\"203.0.113.0/24\"]\ndirectory = \"{}\"\n",
            zones.path().display()
        ),
    );
    home.sync(&[]);
    let mut command = support::carve(home.path());
    command.args(["--database-url", &t.url]);
    let ui = Tmux::start(&command, 80, 24);
    ui.wait_for("203.0.113.0/24", WAIT);
    ui.keys("/").text("203.0.113.2").keys("Enter");
    ui.wait_for("1 match", WAIT);
    ui.keys("Tab Tab");
    ui.wait_until(WAIT, |s| s.contains("in sync"));

    // A bad name is refused with the rule and changes nothing.
    ui.keys("d");
    ui.wait_for("rDNS of 203.0.113.2", WAIT);
    ui.keys(&["BSpace"; 40].join(" "))
        .text("-bad-.example")
        .keys("Enter");
    ui.wait_for("invalid label", WAIT);
    assert!(support::rdns::outbox(&t).await.is_empty());

    ui.keys("Escape d");
    ui.wait_for("rDNS of 203.0.113.2", WAIT);
    ui.keys(&["BSpace"; 40].join(" "))
        .text("www.example.net")
        .keys("Enter");
    ui.wait_until(WAIT, |s| s.contains("pending") && s.contains("www.example"));
    assert_eq!(
        support::rdns::outbox(&t).await,
        ["203.0.113.2 www.example.net 0"]
    );

    // A sync elsewhere: the pane follows without a key pressed.
    home.sync(&[]);
    ui.wait_until(WAIT, |s| s.contains("in sync") && !s.contains("pending"));
    let file = std::fs::read_to_string(zones.path().join("113.0.203.in-addr.arpa.zone")).unwrap();
    assert!(file.contains("2 IN PTR www.example.net."), "{file}");
}

#[tokio::test]
async fn a_palette_change_shows_its_plan_and_a_stale_plan_is_shown_again_not_run() {
    let (t, home, ui) = open().await;
    ui.keys(":")
        .text("subnet release 203.0.113.64/27")
        .keys("Enter");
    // The dry run's own words, then the question.
    ui.wait_until(WAIT, |s| {
        s.contains("Enter runs it") && s.contains("would have released 203.0.113.64/27")
    });
    let held = |who: &str| {
        let shown = cli_json(home.path(), &t.url, &["subnet", "show", "203.0.113.64/27"]);
        assert_eq!(shown["customer"], who, "{shown}");
    };
    held("cust-7422");
    // Released and given to another customer before Enter.
    cli_json(
        home.path(),
        &t.url,
        &["subnet", "release", "203.0.113.64/27"],
    );
    cli_json(
        home.path(),
        &t.url,
        &[
            "subnet",
            "allocate",
            "--cidr",
            "203.0.113.64/27",
            "--customer",
            "cust-7421",
        ],
    );
    ui.keys("Enter");
    ui.wait_until(WAIT, |s| {
        s.contains("changed since the plan") && s.contains("Enter runs it")
    });
    held("cust-7421");
    ui.keys("Enter");
    ui.wait_for("carve finished", WAIT);
    let shown = cli_json(home.path(), &t.url, &["subnet", "show", "203.0.113.64/27"]);
    assert_eq!(shown["status"], "unallocated", "{shown}");
}
