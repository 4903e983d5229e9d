-- Undo (issue 10). Every change to a subnet, address or service row is kept as a
-- before and after image, written by the database in the transaction that made it, so
-- `carve undo` can put back exactly what one change did and can tell, row by row,
-- whether anything changed those rows since. Journal rows record their transaction, which
-- ties an event to the row images of its change. Written by triggers, not by carve, so
-- that changes made outside carve (psql) are seen too.
ALTER TABLE provisioning_logs ADD COLUMN xact xid8 DEFAULT pg_current_xact_id();

CREATE INDEX provisioning_logs_xact ON provisioning_logs (xact);
-- "Was this change undone already?": undo events name the transaction they undid.
CREATE INDEX provisioning_logs_undone ON provisioning_logs ((detail->>'undone_xact'))
    WHERE event = 'undo';

CREATE TABLE row_changes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xact       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    table_name text NOT NULL CHECK (table_name IN ('subnets', 'ip_addresses', 'services')),
    row_id     bigint NOT NULL,
    -- NULL before: the row was inserted; NULL after: deleted.
    before     jsonb,
    after      jsonb,
    CHECK (before IS NOT NULL OR after IS NOT NULL)
);

CREATE INDEX row_changes_xact ON row_changes (xact);
-- "What changed this row after that?"
CREATE INDEX row_changes_row ON row_changes (table_name, row_id, id);

-- SECURITY DEFINER: an operator role writes the history without any grant on it, so it
-- can neither forge nor erase it.
CREATE FUNCTION carve_record_row_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO row_changes (table_name, row_id, before, after)
    VALUES (TG_TABLE_NAME,
            CASE TG_OP WHEN 'DELETE' THEN OLD.id ELSE NEW.id END,
            CASE TG_OP WHEN 'INSERT' THEN NULL ELSE to_jsonb(OLD) END,
            CASE TG_OP WHEN 'DELETE' THEN NULL ELSE to_jsonb(NEW) END);
    RETURN NULL;
END
$$;

CREATE TRIGGER subnets_history AFTER INSERT OR DELETE ON subnets
    FOR EACH ROW EXECUTE FUNCTION carve_record_row_change();
CREATE TRIGGER subnets_history_update AFTER UPDATE ON subnets
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION carve_record_row_change();
CREATE TRIGGER ip_addresses_history AFTER INSERT OR DELETE ON ip_addresses
    FOR EACH ROW EXECUTE FUNCTION carve_record_row_change();
CREATE TRIGGER ip_addresses_history_update AFTER UPDATE ON ip_addresses
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION carve_record_row_change();
CREATE TRIGGER services_history AFTER INSERT OR DELETE ON services
    FOR EACH ROW EXECUTE FUNCTION carve_record_row_change();
CREATE TRIGGER services_history_update AFTER UPDATE ON services
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION carve_record_row_change();

-- Roles made by `carve db roles --apply` before this table existed may read it at once.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'carve_readonly') THEN
        GRANT SELECT ON row_changes TO carve_readonly;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'carve_operator') THEN
        GRANT SELECT ON row_changes TO carve_operator;
    END IF;
END
$$;
