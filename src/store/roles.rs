//! Database roles for people who look and people who carve: `carve_readonly` may read
//! everything and change nothing (the database refuses), `carve_operator` may change
//! rows but not the schema. Login roles are made members: `GRANT carve_readonly TO alice`.

use sqlx::PgConnection;

use super::errors::db_error;
use crate::error::Result;

pub const READ_ONLY_ROLE: &str = "carve_readonly";
pub const OPERATOR_ROLE: &str = "carve_operator";

/// The statements that create (if missing) and grant both roles in this database. Safe to
/// run again; tables added by a later migration need another run.
pub fn roles_sql() -> String {
    format!(
        "DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{READ_ONLY_ROLE}') THEN
        CREATE ROLE {READ_ONLY_ROLE} NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OPERATOR_ROLE}') THEN
        CREATE ROLE {OPERATOR_ROLE} NOLOGIN;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO {READ_ONLY_ROLE}, {OPERATOR_ROLE};
GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READ_ONLY_ROLE};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {OPERATOR_ROLE};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {OPERATOR_ROLE};
-- Row history (what undo reads) is written by the database alone: nobody forges it.
-- The journal is appended to, never rewritten or erased.
DO $$
BEGIN
    IF to_regclass('row_changes') IS NOT NULL THEN
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON row_changes FROM {OPERATOR_ROLE};
    END IF;
    IF to_regclass('provisioning_logs') IS NOT NULL THEN
        REVOKE UPDATE, DELETE, TRUNCATE ON provisioning_logs FROM {OPERATOR_ROLE};
    END IF;
END
$$;
-- Then, per person: GRANT {READ_ONLY_ROLE} TO alice; or GRANT {OPERATOR_ROLE} TO bob;
"
    )
}

pub async fn apply_roles(conn: &mut PgConnection) -> Result<()> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(roles_sql()))
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Whether the connected role may change the tree and write the journal (true on a
/// database not migrated yet: there is nothing to check, and migrating will tell).
pub async fn can_write(conn: &mut PgConnection) -> Result<bool> {
    sqlx::query_scalar(
        "SELECT CASE WHEN to_regclass('subnets') IS NULL OR to_regclass('provisioning_logs') IS NULL
                     THEN true
                     ELSE has_table_privilege('subnets', 'UPDATE')
                          AND has_table_privilege('provisioning_logs', 'INSERT') END",
    )
    .fetch_one(conn)
    .await
    .map_err(db_error)
}

pub async fn current_role(conn: &mut PgConnection) -> Result<String> {
    sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(conn)
        .await
        .map_err(db_error)
}
