-- Undo (issue 10). Every change to a subnet, address or service row is kept as a
-- before and after image, written by the database in the transaction that made it, so
-- `carve undo` can put back exactly what one change did and can tell, row by row,
-- whether anything changed those rows since. Written by triggers, not by carve, so that
-- changes made outside carve (psql) are seen too.
--
-- A change is one transaction, named by its id and its start time: transaction ids alone
-- repeat after a dump is restored into another cluster, the pair does not. Journal rows
-- carry the name of their change; rows written before this migration have none.
CREATE FUNCTION carve_change_key() RETURNS text LANGUAGE sql VOLATILE
    AS $$ SELECT pg_current_xact_id()::text || '@'
                 || (extract(epoch FROM now()) * 1000000)::bigint::text $$;

ALTER TABLE provisioning_logs ADD COLUMN change text;
ALTER TABLE provisioning_logs ALTER COLUMN change SET DEFAULT carve_change_key();

CREATE INDEX provisioning_logs_change ON provisioning_logs (change);
-- "Was this change undone?": undo events name the change they undid.
CREATE INDEX provisioning_logs_undone ON provisioning_logs ((detail->>'undone_change'))
    WHERE event = 'undo';

CREATE TABLE row_changes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    change     text NOT NULL DEFAULT carve_change_key(),
    table_name text NOT NULL CHECK (table_name IN ('subnets', 'ip_addresses', 'services')),
    row_id     bigint NOT NULL,
    -- NULL before: the row was inserted; NULL after: deleted.
    before     jsonb,
    after      jsonb,
    CHECK (before IS NOT NULL OR after IS NOT NULL)
);

CREATE INDEX row_changes_change ON row_changes (change);
-- "What changed this row after that?"
CREATE INDEX row_changes_row ON row_changes (table_name, row_id, id);

-- SECURITY DEFINER: an operator role writes the history without any grant on it, so it
-- can neither forge nor erase it. The search path holds nothing a session can create
-- (its temporary schema last, and every name written in full), so no session can put a
-- table or function of its own in the way of the definer's rights.
CREATE FUNCTION carve_record_row_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO public.row_changes (table_name, row_id, before, after)
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
