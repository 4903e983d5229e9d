//! Finding things in the UI (real controller, real database): `/` by a piece of a name,
//! `L` by location, and the cursor following the space it was on through a split, a
//! merge, the full-tree toggle and a change made elsewhere.

mod support;

use crossterm::event::KeyCode;
use ipnet::IpNet;

use carve::model::Catalog;
use carve::service::catalog;
use carve::service::subnets::{self, Changes};
use carve::tui::ops::Msg;
use carve::tui::tree::Key;
use support::screen::{Screen, text_of};

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

fn subnet(s: &str) -> Option<Key> {
    Some(Key::Subnet(net(s)))
}

async fn find(s: &mut Screen, query: &str) {
    s.keys(&[KeyCode::Char('/')]).await;
    s.text(query).await;
    s.keys(&[KeyCode::Enter]).await;
}

#[tokio::test]
async fn a_search_finds_a_piece_of_a_customer_rdns_or_device_name() {
    let mut s = Screen::open(80, 24, "dark", false).await;
    find(&mut s, "web1").await;
    assert_eq!(s.app.status.text, "1 match");
    assert_eq!(
        s.app.tree.selected_key(),
        Some(Key::Address("203.0.113.2".parse().unwrap()))
    );
    // cust-7421's blocks and address records.
    find(&mut s, "7421").await;
    assert!(s.app.hits.len() >= 4, "{:?}", s.app.hits);
    assert!(
        s.app
            .hits
            .iter()
            .any(|h| h.path.last() == Some(&net("2001:db8:1:a::/64")))
    );
    // The provisioned server's space, by its device.
    find(&mut s, "srv-7422").await;
    assert!(!s.app.hits.is_empty(), "{}", s.app.status.text);
    find(&mut s, "no-such-thing").await;
    assert!(
        s.app.status.text.starts_with("nothing matches"),
        "{}",
        s.app.status.text
    );
}

#[tokio::test]
async fn the_location_filter_finds_a_block_located_of_its_own_under_a_root_elsewhere() {
    let mut s = Screen::open(80, 24, "dark", false).await;
    let db = s.db.db();
    catalog::add(&db, Catalog::Location, "EU-AMS")
        .await
        .unwrap();
    let changes = Changes {
        location: Some(Some("EU-AMS".into())),
        ..Changes::default()
    };
    subnets::set(&db, &net("203.0.113.112/29"), &changes)
        .await
        .unwrap();
    s.keys(&[KeyCode::F(5), KeyCode::Char('L')]).await;
    s.text("EU-AMS").await;
    s.keys(&[KeyCode::Enter]).await;
    let screen = text_of(&s.draw());
    assert!(!screen.contains("nothing at"), "{screen}");
    assert!(screen.contains("203.0.113.112/29 free"), "{screen}");
    assert!(
        !screen.contains("203.0.113.104/29"),
        "another location shown: {screen}"
    );
    assert_eq!(s.app.tree.selected_key(), subnet("203.0.113.112/29"));
}

#[tokio::test]
async fn the_cursor_stays_on_the_space_through_split_full_view_merge_and_changes_elsewhere() {
    let mut s = Screen::open(80, 24, "dark", false).await;
    s.keys(&[KeyCode::Char('l')]).await;
    find(&mut s, "203.0.113.104/29").await;
    s.keys(&[KeyCode::Char('s'), KeyCode::Enter, KeyCode::Enter])
        .await;
    assert_eq!(s.app.status.text, "split 203.0.113.104/29 into /30s");
    // The /29 is structural now (lifted): its first piece holds the cursor.
    assert_eq!(s.app.tree.selected_key(), subnet("203.0.113.104/30"));
    s.keys(&[KeyCode::Char('f')]).await;
    assert_eq!(s.app.tree.selected_key(), subnet("203.0.113.104/30"));
    find(&mut s, "203.0.113.104/29").await;
    s.keys(&[KeyCode::Char('m'), KeyCode::Enter]).await;
    assert_eq!(s.app.status.text, "merged 203.0.113.104/29");
    assert_eq!(s.app.tree.selected_key(), subnet("203.0.113.104/29"));
    s.keys(&[KeyCode::Char('f')]).await;
    assert_eq!(s.app.tree.selected_key(), subnet("203.0.113.104/29"));

    // Split again; then someone else merges it: the cursor goes to the merged block.
    s.keys(&[KeyCode::Char('s'), KeyCode::Enter, KeyCode::Enter])
        .await;
    assert_eq!(s.app.tree.selected_key(), subnet("203.0.113.104/30"));
    subnets::merge(&s.db.db(), &net("203.0.113.104/29"), false)
        .await
        .unwrap();
    let effects = s.app.update(Msg::External);
    s.settle(effects).await;
    assert_eq!(s.app.tree.selected_key(), subnet("203.0.113.104/29"));
}
