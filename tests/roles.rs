//! Read-only and operator roles: `carve db roles` prints or applies them; connected as a
//! read-only role, carve refuses every change with exit 1, and so does the database;
//! `--read-only` refuses changes whatever the role.

mod support;

use serde_json::Value;

/// `url` with its user (and password) replaced.
fn as_user(url: &str, user: &str, password: &str) -> String {
    let start = url.find("://").expect("a URL") + 3;
    let at = start + url[start..].find('@').expect("a user in the URL");
    format!("{}{user}:{password}{}", &url[..start], &url[at..])
}

/// Rewriting who did what, erasing the journal.
const FORGERIES: [&str; 3] = [
    "UPDATE provisioning_logs SET db_role = 'someone_else'",
    "DELETE FROM provisioning_logs",
    "TRUNCATE provisioning_logs",
];

async fn refused_all(pool: &sqlx::PgPool, statements: &[&'static str], because: &str) {
    for &statement in statements {
        let refused = sqlx::query(statement).execute(pool).await.unwrap_err();
        assert!(
            refused.to_string().contains(because),
            "{statement}: {refused}"
        );
    }
}

#[tokio::test]
async fn a_read_only_role_is_refused_by_carve_and_by_the_database() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let run = |url: &str, args: &[&str]| {
        let (code, stdout, stderr) = support::run(
            support::carve(home.path())
                .args(["--json", "--database-url", url])
                .args(args),
        );
        let doc: Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout} {stderr}"));
        (code, doc, stderr)
    };
    let (code, printed, _) = run(&t.url, &["db", "roles"]);
    assert_eq!(code, 0);
    assert!(
        printed["sql"]
            .as_str()
            .unwrap()
            .contains("CREATE ROLE carve_readonly NOLOGIN")
    );
    let (code, _, stderr) = run(&t.url, &["db", "roles", "--apply"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(run(&t.url, &["subnet", "add", "203.0.113.0/24"]).0, 0);

    let (reader, operator) = (format!("ro_{}", t.name), format!("op_{}", t.name));
    t.exec(&format!(
        "CREATE ROLE {reader} LOGIN PASSWORD 'look' IN ROLE carve_readonly;
         CREATE ROLE {operator} LOGIN PASSWORD 'carve' IN ROLE carve_operator;"
    ))
    .await;
    let read_url = as_user(&t.url, &reader, "look");
    let before = t.snapshot().await;
    let (code, listed, stderr) = run(&read_url, &["subnet", "list"]);
    assert_eq!(code, 0, "reading works: {stderr}");
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let (code, refused, stderr) = run(
        &read_url,
        &[
            "subnet",
            "allocate",
            "--len",
            "26",
            "--pool",
            "203.0.113.0/24",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(refused["error"]["kind"], "read_only");
    assert!(
        stderr.contains(&format!("role {reader} may not change carve's data")),
        "{stderr}"
    );
    assert_eq!(t.snapshot().await, before);

    // Not only carve: the database itself refuses the role's writes.
    let mut as_reader = t.options.clone().username(&reader).password("look");
    as_reader = as_reader.database(&t.name);
    let pool = sqlx::PgPool::connect_with(as_reader).await.unwrap();
    let denied = sqlx::query("INSERT INTO locations (name) VALUES ('sneaky')")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(denied.to_string().contains("permission denied"), "{denied}");
    pool.close().await;

    // An operator carves; --read-only refuses whatever the role.
    let op_url = as_user(&t.url, &operator, "carve");
    let (code, _, stderr) = run(
        &op_url,
        &[
            "subnet",
            "allocate",
            "--len",
            "26",
            "--pool",
            "203.0.113.0/24",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    // The operator's changes are kept in row history, which it can read (undo) but
    // not write: nobody forges or erases what undo relies on.
    let operator_options = t
        .options
        .clone()
        .username(&operator)
        .password("carve")
        .database(&t.name);
    let pool = sqlx::PgPool::connect_with(operator_options.clone())
        .await
        .unwrap();
    let forged = sqlx::query("DELETE FROM row_changes").execute(&pool).await;
    assert!(
        forged
            .unwrap_err()
            .to_string()
            .contains("permission denied"),
        "the operator erased row history"
    );
    // The journal too: the operator's carve appended to it, but the operator cannot
    // rewrite who did what, nor erase it.
    let journal_before: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, db_role FROM provisioning_logs ORDER BY id")
            .fetch_all(&t.pool)
            .await
            .unwrap();
    assert!(
        journal_before.iter().any(|(_, role)| *role == operator),
        "carve journaled the operator's allocation: {journal_before:?}"
    );
    refused_all(&pool, &FORGERIES, "permission denied").await;
    pool.close().await;
    // A role granted more by hand is still refused by the database's trigger.
    let rogue = format!("rogue_{}", t.name);
    t.exec(&format!(
        "CREATE ROLE {rogue} LOGIN PASSWORD 'rogue' IN ROLE carve_operator;
         GRANT UPDATE, DELETE ON provisioning_logs TO {rogue};"
    ))
    .await;
    let rogue_pool = sqlx::PgPool::connect_with(
        t.options
            .clone()
            .username(&rogue)
            .password("rogue")
            .database(&t.name),
    )
    .await
    .unwrap();
    refused_all(&rogue_pool, &FORGERIES[..2], "the journal is append-only").await;
    rogue_pool.close().await;
    let journal_after: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, db_role FROM provisioning_logs ORDER BY id")
            .fetch_all(&t.pool)
            .await
            .unwrap();
    assert_eq!(journal_after, journal_before);
    let (code, plan, stderr) = run(&op_url, &["undo", "--last", "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        plan["undone"][0]["journal"][0]["db_role"],
        operator.as_str()
    );
    // Nor can a table of its own in its temporary schema take the history's place (the
    // trigger runs with the owner's rights).
    let pool = sqlx::PgPool::connect_with(operator_options.clone())
        .await
        .unwrap();
    let mut session = pool.acquire().await.unwrap();
    sqlx::raw_sql(
        "CREATE TEMP TABLE row_changes (id bigint, change text, table_name text, row_id bigint,
                                        before jsonb, after jsonb);
         UPDATE subnets SET description = 'decoy' WHERE cidr = '203.0.113.0/24';",
    )
    .execute(&mut *session)
    .await
    .unwrap();
    let decoyed: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_temp.row_changes")
        .fetch_one(&mut *session)
        .await
        .unwrap();
    assert_eq!(decoyed, 0, "history went to the session's own table");
    drop(session);
    pool.close().await;
    let kept: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM row_changes WHERE after->>'description' = 'decoy'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(kept, 1);
    let (code, refused, _) = run(&read_url, &["undo", "--last"]);
    assert_eq!(
        (code, refused["error"]["kind"].as_str()),
        (1, Some("read_only"))
    );
    let (code, refused, stderr) = run(
        &t.url,
        &["--read-only", "subnet", "release", "203.0.113.0/26"],
    );
    assert_eq!(
        (code, refused["error"]["kind"].as_str()),
        (1, Some("read_only"))
    );
    assert!(
        stderr.contains(
            "carve is read-only here (--read-only, database.read_only or the profile's read_only)"
        ),
        "{stderr}"
    );
    assert_eq!(
        run(&t.url, &["--read-only", "subnet", "show", "203.0.113.0/26"]).0,
        0
    );

    t.exec(&format!(
        "REVOKE ALL ON provisioning_logs FROM {rogue};
         DROP ROLE {reader}; DROP ROLE {operator}; DROP ROLE {rogue};"
    ))
    .await;
}
