-- Trust (issue "what carve shows is true").
--
-- The journal's os_user is the name of the real uid; when root runs carve through sudo,
-- the user behind it is recorded beside it.
ALTER TABLE provisioning_logs ADD COLUMN sudo_user text;
CREATE INDEX provisioning_logs_sudo_user ON provisioning_logs (sudo_user, created_at DESC)
    WHERE sudo_user IS NOT NULL;

-- Which billing cycles are closed. A row without a service closes the cycle for every
-- service, including one with no invoice in it; a row with a service closes the cycle
-- for that service (closed) or, under a cycle closed for all, reopens it for that one
-- service (NOT closed).
CREATE TABLE billing_cycle_closures (
    cycle      date NOT NULL CHECK (extract(day FROM cycle) = 1),
    service_id bigint REFERENCES services (id),
    closed     boolean NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT billing_cycle_closures_whole_cycle_closed CHECK (service_id IS NOT NULL OR closed)
);
CREATE UNIQUE INDEX billing_cycle_closures_all ON billing_cycle_closures (cycle)
    WHERE service_id IS NULL;
CREATE UNIQUE INDEX billing_cycle_closures_service ON billing_cycle_closures (cycle, service_id)
    WHERE service_id IS NOT NULL;

-- Whether a service's cycle is closed: its own row says, else a row for every service.
CREATE FUNCTION billing_cycle_closed(service bigint, cycle date) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT k.closed FROM billing_cycle_closures k
         WHERE k.cycle = $2 AND k.service_id = $1),
        EXISTS (SELECT 1 FROM billing_cycle_closures k
                WHERE k.cycle = $2 AND k.service_id IS NULL))
$$;

-- Cycles closed before this table existed: closed for the services they invoiced.
INSERT INTO billing_cycle_closures (cycle, service_id, closed)
SELECT DISTINCT cycle, service_id, true FROM invoices WHERE status = 'issued';

-- Samples of a closed cycle are frozen, whether or not the service has an invoice in it.
-- Still once per statement, and only the rows in a cycle that something is closed or
-- invoiced in are looked at (a hash join on a handful of cycles: none, no scan), reduced
-- to their (service, cycle) pairs first (materialised, so the planner cannot push the
-- check down to every row).
CREATE OR REPLACE FUNCTION usage_samples_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    hit record;
BEGIN
    WITH cycles AS (
        SELECT cycle FROM billing_cycle_closures
        UNION SELECT cycle FROM invoices WHERE status = 'issued'),
    touched AS MATERIALIZED (
        SELECT DISTINCT c.service_id, k.cycle
        FROM changed_rows c
        JOIN cycles k ON k.cycle = date_trunc('month', c.period_start AT TIME ZONE 'UTC')::date)
    SELECT t.service_id, t.cycle INTO hit
    FROM touched t
    WHERE billing_cycle_closed(t.service_id, t.cycle)
       OR EXISTS (SELECT 1 FROM invoices i
                  WHERE i.service_id = t.service_id AND i.cycle = t.cycle AND i.status = 'issued')
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'cycle % of service % is closed: reopen it before changing its samples',
            to_char(hit.cycle, 'YYYY-MM'), hit.service_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;

-- Roles made by `carve db roles --apply` before this table existed may use it at once.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'carve_readonly') THEN
        GRANT SELECT ON billing_cycle_closures TO carve_readonly;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'carve_operator') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON billing_cycle_closures TO carve_operator;
    END IF;
END
$$;
