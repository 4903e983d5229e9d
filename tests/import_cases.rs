//! Import in the cases that trip a naive one: carving from space carve holds already
//! (free with a location: yes; allocated, or a pool: no), a second import with
//! --location, headers about something else, sections of a sheet, an unclosed quote, a
//! far-out cell in a workbook, ownership inside existing blocks, /32 pools and parked
//! allocations through export and back, and two imports of one file at once.

mod support;

use carve::error::ErrorKind;
use carve::service::import::{ImportReport, ImportRequest, Quiet, import};
use carve::store::Db;
use support::TestDb;
use support::site::count;

/// Imports `text` (a CSV) into `db`; `location` is --location.
async fn import_text(
    db: &Db,
    text: &str,
    location: Option<&str>,
) -> carve::error::Result<ImportReport> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sheet.csv");
    std::fs::write(&path, text).unwrap();
    let request = ImportRequest {
        path,
        sheet: None,
        location: location.map(str::to_owned),
        fill_down: Vec::new(),
        dry_run: false,
    };
    import(db, &request, &Quiet).await
}

/// The problems of an import that must be refused, one string each.
async fn refused(db: &Db, text: &str) -> Vec<String> {
    let report = import_text(db, text, None).await.unwrap();
    assert!(!report.problems.is_empty(), "imported: {report:?}");
    report
        .problems
        .iter()
        .map(|p| format!("{}: {}", p.at, p.message))
        .collect()
}

async fn fra1(t: &TestDb) -> Db {
    t.exec(
        "INSERT INTO locations (name) VALUES ('FRA1'), ('AMS1');
         INSERT INTO vlans (location_id, vid) SELECT id, 102 FROM locations WHERE name = 'FRA1';",
    )
    .await;
    t.db()
}

#[tokio::test]
async fn space_is_carved_from_free_blocks_only() {
    let t = support::test_db().await;
    let db = fra1(&t).await;
    // A root added with a location is free space to carve (the common first import).
    support::add_root_at(&db, "10.0.0.0/16", Some("FRA1"), false).await;
    import_text(&db, "subnet,customer\n10.0.1.0/24,Acme\n", None)
        .await
        .unwrap();
    t.assert_tree_is_sound().await;
    let inherited =
        "SELECT count(*) FROM subnets s JOIN locations l ON l.id = s.effective_location_id
                     WHERE s.cidr = '10.0.1.0/24' AND l.name = 'FRA1'";
    assert_eq!(count(&t, inherited).await, 1);
    // Not inside a block held for a customer, named in the file or not, nor in a pool.
    let problems = refused(
        &db,
        "subnet,customer\n10.0.1.0/24,Acme\n10.0.1.128/25,Acme\n",
    )
    .await;
    assert!(
        problems[0]
            .contains("row 3: 10.0.1.128/25 is inside 10.0.1.0/24, which carve holds as allocated"),
        "{problems:?}"
    );
    import_text(&db, "subnet,pool\n10.0.2.0/24,yes\n", None)
        .await
        .unwrap();
    let problems = refused(&db, "subnet\n10.0.2.0/25\n").await;
    assert!(
        problems[0].contains("which carve holds as a pool"),
        "{problems:?}"
    );
    t.assert_tree_is_sound().await;
}

#[tokio::test]
async fn a_second_import_with_a_default_location_changes_nothing() {
    let t = support::test_db().await;
    let db = fra1(&t).await;
    let sheet = "subnet,customer\n10.0.0.0/16,\n10.0.1.0/24,Acme\n";
    import_text(&db, sheet, Some("FRA1")).await.unwrap();
    let again = import_text(&db, sheet, Some("FRA1")).await.unwrap();
    assert!(again.problems.is_empty(), "{:?}", again.problems);
    assert_eq!((again.subnets, again.unchanged), (0, 2));
    // Only the root took the default; the /24 inherits it.
    let own = "SELECT count(*) FROM subnets WHERE location_id IS NOT NULL";
    assert_eq!(count(&t, own).await, 1);
}

#[tokio::test]
async fn headers_about_something_else_sections_and_quotes() {
    let t = support::test_db().await;
    let db = fra1(&t).await;
    let report = import_text(
        &db,
        "Subnet,Gateway IP,Customer,Location\n10.5.0.0/24,10.5.0.1,Acme,FRA1\n",
        None,
    )
    .await
    .unwrap();
    assert_eq!(report.ignored_columns, ["Gateway IP"]);
    assert_eq!((report.subnets_from_rows, report.ips), (1, 0));
    // Rows under a first, narrower header are kept when a wider section follows.
    let report = import_text(
        &db,
        "Subnet,Customer\n10.1.0.0/24,Acme\n10.1.1.0/24,Acme\n\n\
         Subnet,Customer,Location,Description\n10.2.0.0/24,Globex,FRA1,x\n",
        None,
    )
    .await
    .unwrap();
    assert_eq!(report.subnets_from_rows, 3, "{report:?}");
    // A quote that never closes would swallow the rest: refused, naming its row.
    let e = import_text(
        &db,
        "subnet,customer,notes\n10.9.0.0/24,Acme,\"main office\n10.9.1.0/24,Acme,\n",
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    assert!(
        e.message.contains("row 2: a quoted field opens here"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn a_far_out_cell_does_not_build_a_grid() {
    let t = support::test_db().await;
    let db = fra1(&t).await;
    let request = ImportRequest {
        path: format!(
            "{}/tests/fixtures/import/far_cell.xlsx",
            env!("CARGO_MANIFEST_DIR")
        )
        .into(),
        sheet: None,
        location: None,
        fill_down: Vec::new(),
        dry_run: true,
    };
    let report = import(&db, &request, &Quiet).await.unwrap();
    assert_eq!(
        (report.subnets_from_rows, report.problems.len()),
        (1, 1),
        "{report:?}"
    );
    assert_eq!(report.problems[0].at.row, 400_000, "{:?}", report.problems);
}

#[tokio::test]
async fn ownership_is_checked_against_blocks_carve_holds() {
    let t = support::test_db().await;
    let db = fra1(&t).await;
    import_text(
        &db,
        "subnet,customer\n10.0.0.0/16,Globex\n10.0.0.0/24,Globex\n",
        None,
    )
    .await
    .unwrap();
    // 10.0.1.0/24 is a free half carve has, inside Globex's block.
    let problems = refused(
        &db,
        "subnet,customer\n10.0.1.0/24,Acme\n10.0.16.0/24,Acme\n",
    )
    .await;
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .all(|p| p.contains("held for \"Globex\" (in carve)")),
        "{problems:?}"
    );
}

#[tokio::test]
async fn a_file_may_make_free_space_a_pool_for_its_addresses() {
    let t = support::test_db().await;
    let db = fra1(&t).await;
    import_text(&db, "subnet\n10.0.0.0/16\n10.0.2.0/23\n", Some("FRA1"))
        .await
        .unwrap();
    let report = import_text(
        &db,
        "subnet,ip,customer,pool\n10.0.2.0/23,,Acme,yes\n,10.0.2.5,Acme,\n",
        None,
    )
    .await
    .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!((report.assigned, report.ips), (1, 1));
}

#[tokio::test]
async fn host_pools_and_parked_allocations_survive_export_and_import() {
    let source = support::test_db().await;
    let db = fra1(&source).await;
    import_text(
        &db,
        "subnet,ip,status,customer\n10.0.9.0/24,,,\n10.0.9.4/32,,allocated,Acme\n,10.0.9.4,used,Acme\n\
         10.0.9.128/25,,\"allocated, parked\",Globex\n2001:db8::/48,,,\n2001:db8::5/128,,reserved,\n\
         ,2001:db8::5,used,\n",
        Some("FRA1"),
    )
    .await
    .unwrap();
    let parked = "SELECT count(*) FROM subnets WHERE cidr = '10.0.9.128/25'
                  AND allocation_status = 'allocated' AND is_unavailable";
    assert_eq!(count(&source, parked).await, 1);
    let csv = carve::import::export::csv(&carve::service::export::rows(&db, &Quiet).await.unwrap());
    let target = support::test_db().await;
    let copy = fra1(&target).await;
    let report = import_text(&copy, &csv, None).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let again =
        carve::import::export::csv(&carve::service::export::rows(&copy, &Quiet).await.unwrap());
    assert_eq!(again, csv);
    assert_eq!(count(&target, parked).await, 1);
}

#[tokio::test]
async fn two_imports_of_one_file_at_once_import_it_once() {
    let t = support::test_db().await;
    let db = fra1(&t).await;
    let sheet = "subnet,customer\n10.0.0.0/16,\n10.0.1.0/24,Acme\n";
    let (a, b) = tokio::join!(
        import_text(&db, sheet, Some("FRA1")),
        import_text(&db, sheet, Some("FRA1"))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.problems.is_empty() && b.problems.is_empty());
    assert_eq!(
        a.unchanged + b.unchanged,
        2,
        "one created, one found it all in place"
    );
    t.assert_tree_is_sound().await;
}
