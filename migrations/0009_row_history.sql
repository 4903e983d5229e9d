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
-- Inserts and deletes are recorded per statement, through transition tables: an import
-- of 100,000 rows writes its history in one statement per prefix length, not one call
-- per row. Updates are recorded per row (only those that change something): allocations
-- update a row or two per statement, where a statement-level trigger costs more.
CREATE FUNCTION carve_record_row_changes() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO public.row_changes (table_name, row_id, before, after)
        SELECT TG_TABLE_NAME, n.id, NULL, to_jsonb(n) FROM new_rows n;
    ELSE
        INSERT INTO public.row_changes (table_name, row_id, before, after)
        SELECT TG_TABLE_NAME, o.id, to_jsonb(o), NULL FROM old_rows o;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION carve_record_row_update() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO public.row_changes (table_name, row_id, before, after)
    VALUES (TG_TABLE_NAME, NEW.id, to_jsonb(OLD), to_jsonb(NEW));
    RETURN NULL;
END
$$;

CREATE TRIGGER subnets_history_insert AFTER INSERT ON subnets
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carve_record_row_changes();
CREATE TRIGGER subnets_history_delete AFTER DELETE ON subnets
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carve_record_row_changes();
CREATE TRIGGER subnets_history_update AFTER UPDATE ON subnets
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION carve_record_row_update();
CREATE TRIGGER ip_addresses_history_insert AFTER INSERT ON ip_addresses
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carve_record_row_changes();
CREATE TRIGGER ip_addresses_history_delete AFTER DELETE ON ip_addresses
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carve_record_row_changes();
CREATE TRIGGER ip_addresses_history_update AFTER UPDATE ON ip_addresses
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION carve_record_row_update();
CREATE TRIGGER services_history_insert AFTER INSERT ON services
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carve_record_row_changes();
CREATE TRIGGER services_history_delete AFTER DELETE ON services
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION carve_record_row_changes();
CREATE TRIGGER services_history_update AFTER UPDATE ON services
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION carve_record_row_update();

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
