-- The journal (provisioning_logs) is the record of who changed what: rows are added,
-- never rewritten or removed, by every role but the table's owner (who could drop the
-- trigger anyway). Privileges say so for carve_operator; the trigger says so for any
-- role that was granted more by hand, as row_changes and invoices are kept.
CREATE FUNCTION provisioning_logs_append_only() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT pg_has_role(session_user,
                       (SELECT relowner FROM pg_catalog.pg_class WHERE oid = TG_RELID),
                       'MEMBER') THEN
        RAISE EXCEPTION 'the journal is append-only: % of provisioning_logs is refused for role %',
                        TG_OP, session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        RETURN NULL;
    ELSIF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER provisioning_logs_append_only BEFORE UPDATE OR DELETE ON provisioning_logs
    FOR EACH ROW EXECUTE FUNCTION provisioning_logs_append_only();
CREATE TRIGGER provisioning_logs_no_truncate BEFORE TRUNCATE ON provisioning_logs
    FOR EACH STATEMENT EXECUTE FUNCTION provisioning_logs_append_only();

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'carve_operator') THEN
        REVOKE UPDATE, DELETE, TRUNCATE ON provisioning_logs FROM carve_operator;
    END IF;
END
$$;

-- What provisioning, billing cycles and imports serialise on, one row per name, locked
-- by an upsert until the transaction ends. Advisory keys served before, but any role can
-- take one (a read-only role held carve still); a row lock needs the right to write here.
CREATE TABLE carve_locks (
    name text PRIMARY KEY
);

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'carve_operator') THEN
        GRANT SELECT, INSERT, UPDATE ON carve_locks TO carve_operator;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'carve_readonly') THEN
        GRANT SELECT ON carve_locks TO carve_readonly;
    END IF;
END
$$;
