//! The plan you confirm is the change you get: the UI (real controller, real database)
//! shows a plan, another writer changes the tree, Enter is pressed. The service refuses
//! the stale plan inside its transaction and the UI shows the new plan instead of doing
//! something else; a second Enter does what that plan says.

mod support;

use crossterm::event::KeyCode;
use ipnet::IpNet;

use carve::service::allocate::{SubnetRequest, allocate_subnet};
use carve::service::subnets;
use carve::tui::dialog::Dialog;
use support::screen::Screen;

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

/// The open plan's title and lines, one string each.
fn plan(s: &Screen) -> (String, Vec<String>) {
    match &s.app.dialog {
        Some(Dialog::Plan { title, lines, .. }) => (
            title.clone(),
            lines.iter().map(|(a, b)| format!("{a} {b}")).collect(),
        ),
        other => panic!("no plan open: {other:?} (status: {})", s.app.status.text),
    }
}

async fn holder(s: &Screen, cidr: &str) -> (String, Option<String>, bool) {
    sqlx::query_as(
        "SELECT s.allocation_status, c.name, s.is_unavailable FROM subnets s
         LEFT JOIN customers c ON c.id = s.customer_id WHERE s.cidr = $1::cidr",
    )
    .bind(cidr)
    .fetch_one(&s.db.pool)
    .await
    .unwrap()
}

/// Another writer: `cidr` taken for `customer`.
async fn take(s: &Screen, cidr: &str, customer: &str) {
    let request = SubnetRequest {
        customer: Some(customer.into()),
        ..SubnetRequest::cidr(net(cidr))
    };
    allocate_subnet(&s.db.db(), &request).await.unwrap();
}

async fn select(s: &mut Screen, cidr: &str) {
    s.keys(&[KeyCode::Char('/')]).await;
    s.text(cidr).await;
    s.keys(&[KeyCode::Enter]).await;
    assert_eq!(
        s.app.tree.selected_key(),
        Some(carve::tui::tree::Key::Subnet(net(cidr)))
    );
}

#[tokio::test]
async fn an_allocation_whose_block_was_taken_meanwhile_is_planned_again_not_moved() {
    let mut s = Screen::open(80, 24, "dark", false).await;
    s.keys(&[KeyCode::Char('a'), KeyCode::Backspace, KeyCode::Backspace])
        .await;
    s.text("29").await;
    s.keys(&[KeyCode::Enter]).await;
    let (title, _) = plan(&s);
    assert_eq!(title, "allocate 203.0.113.104/29 (strategy exact)");

    take(&s, "203.0.113.104/29", "cust-7422").await;
    s.keys(&[KeyCode::Enter]).await;
    // Nothing else was allocated: the new plan is shown, saying why.
    let (title, lines) = plan(&s);
    assert_eq!(title, "allocate 203.0.113.112/29 (strategy exact)");
    assert!(
        lines[0].starts_with("changed the tree changed since the plan"),
        "{lines:?}"
    );
    assert_eq!(holder(&s, "203.0.113.112/29").await.0, "unallocated");
    assert_eq!(
        holder(&s, "203.0.113.104/29").await.1.as_deref(),
        Some("cust-7422")
    );

    s.keys(&[KeyCode::Enter]).await;
    assert_eq!(
        s.app.status.text,
        "allocated 203.0.113.112/29 (strategy exact)"
    );
    assert_eq!(holder(&s, "203.0.113.112/29").await.0, "allocated");
}

#[tokio::test]
async fn a_release_of_a_block_reallocated_meanwhile_shows_the_new_holder_and_asks_again() {
    let mut s = Screen::open(80, 24, "dark", false).await;
    s.keys(&[KeyCode::Char('l')]).await;
    select(&mut s, "203.0.113.64/27").await;
    s.keys(&[KeyCode::Char('r')]).await;
    let (title, lines) = plan(&s);
    assert_eq!(title, "release 203.0.113.64/27");
    assert!(
        lines.contains(&"holds 203.0.113.64/27 allocated, customer cust-7422, VLAN 102".to_owned()),
        "{lines:?}"
    );

    // Released and handed to another customer between the plan and Enter.
    subnets::release(&s.db.db(), &net("203.0.113.64/27"), false)
        .await
        .unwrap();
    take(&s, "203.0.113.64/27", "cust-7421").await;
    s.keys(&[KeyCode::Enter]).await;
    let (_, lines) = plan(&s);
    assert!(
        lines[0].starts_with("changed 203.0.113.64/27 changed since the plan"),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"holds 203.0.113.64/27 allocated, customer cust-7421".to_owned()),
        "{lines:?}"
    );
    let (status, customer, _) = holder(&s, "203.0.113.64/27").await;
    assert_eq!(
        (status.as_str(), customer.as_deref()),
        ("allocated", Some("cust-7421"))
    );
}

#[tokio::test]
async fn a_park_names_the_blocks_underneath_and_a_block_allocated_meanwhile_is_asked_about() {
    let mut s = Screen::open(80, 24, "dark", false).await;
    s.keys(&[KeyCode::Char('p')]).await;
    s.text("maintenance").await;
    s.keys(&[KeyCode::Enter]).await;
    let (title, lines) = plan(&s);
    assert_eq!(title, "park 203.0.113.0/24");
    for held in [
        "holds 203.0.113.0/26 allocated, customer cust-7421, VLAN 102",
        "holds 203.0.113.64/27 allocated, customer cust-7422, VLAN 102",
    ] {
        assert!(
            lines.contains(&held.to_owned()),
            "{held} missing: {lines:?}"
        );
    }
    assert!(
        !lines.iter().any(|l| l.contains("203.0.113.104/29")),
        "{lines:?}"
    );

    take(&s, "203.0.113.104/29", "cust-7422").await;
    s.keys(&[KeyCode::Enter]).await;
    let (_, lines) = plan(&s);
    assert!(
        lines[0].starts_with("changed 203.0.113.0/24 changed since the plan"),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"holds 203.0.113.104/29 allocated, customer cust-7422".to_owned()),
        "{lines:?}"
    );
    assert!(
        !holder(&s, "203.0.113.0/24").await.2,
        "parked without being asked"
    );

    s.keys(&[KeyCode::Enter]).await;
    assert_eq!(s.app.status.text, "parked 203.0.113.0/24");
    assert!(holder(&s, "203.0.113.0/24").await.2);
}

#[tokio::test]
async fn an_address_taken_meanwhile_is_planned_again_not_replaced_by_the_next() {
    use carve::service::addresses::{self, Holder, Source};
    let mut s = Screen::open(80, 24, "dark", false).await;
    s.keys(&[KeyCode::Char('l')]).await;
    select(&mut s, "203.0.113.128/28").await;
    s.keys(&[KeyCode::Char('A'), KeyCode::Enter]).await;
    let (title, _) = plan(&s);
    assert_eq!(title, "allocate 203.0.113.131 in 203.0.113.128/28");

    let pool = Source::Subnet(net("203.0.113.128/28"));
    addresses::allocate(&s.db.db(), &pool, &Holder::default())
        .await
        .unwrap();
    s.keys(&[KeyCode::Enter]).await;
    let (title, lines) = plan(&s);
    assert_eq!(title, "allocate 203.0.113.132 in 203.0.113.128/28");
    assert!(
        lines[0].starts_with("changed the tree changed since the plan"),
        "{lines:?}"
    );
    let taken: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ip_addresses WHERE address = '203.0.113.132'")
            .fetch_one(&s.db.pool)
            .await
            .unwrap();
    assert_eq!(taken, 0, "taken without being asked");
}
