-- IP transit billing (issue 9): plans, which plan bills which service, 5-minute usage
-- samples, and invoices. An issued invoice never changes: it can only be voided (by
-- reopening its cycle), and while it stands no sample of its cycle may change.

CREATE TABLE billing_plans (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                 text NOT NULL UNIQUE CHECK (btrim(name) <> '' AND name = btrim(name)),
    model                text NOT NULL CHECK (model IN ('p95', 'commit_burst', 'transfer', 'flat')),
    currency             text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- Bounded so that no quantity x price can overflow carve's decimal arithmetic.
    price_per_mbps       numeric CHECK (price_per_mbps BETWEEN 0 AND 1e9),
    commit_mbps          numeric CHECK (commit_mbps BETWEEN 0 AND 1e9),
    commit_price         numeric CHECK (commit_price BETWEEN 0 AND 1e9),
    burst_price_per_mbps numeric CHECK (burst_price_per_mbps BETWEEN 0 AND 1e9),
    included_gb          numeric NOT NULL DEFAULT 0 CHECK (included_gb BETWEEN 0 AND 1e15),
    -- [{"up_to": "100" | null, "price": "0.05"}, ...], checked in full by carve.
    tiers                jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(tiers) = 'array'),
    flat_fee             numeric CHECK (flat_fee BETWEEN 0 AND 1e12),
    created_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT billing_plans_model_fields CHECK (CASE model
        WHEN 'p95' THEN price_per_mbps IS NOT NULL
        WHEN 'commit_burst' THEN commit_mbps IS NOT NULL AND commit_price IS NOT NULL
            AND (burst_price_per_mbps IS NOT NULL) <> (jsonb_array_length(tiers) > 0)
        WHEN 'transfer' THEN jsonb_array_length(tiers) > 0
        ELSE flat_fee IS NOT NULL END)
);

-- One row: the direction billed when a service has no override.
CREATE TABLE billing_settings (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    direction text NOT NULL DEFAULT 'max' CHECK (direction IN ('in', 'out', 'max', 'sum'))
);
INSERT INTO billing_settings DEFAULT VALUES;

CREATE TABLE service_billing (
    service_id  bigint PRIMARY KEY REFERENCES services (id),
    plan_id     bigint NOT NULL REFERENCES billing_plans (id),
    direction   text CHECK (direction IN ('in', 'out', 'max', 'sum')),
    assigned_at timestamptz NOT NULL DEFAULT now()
);

-- Bytes moved in the 5-minute period starting at period_start (UTC, aligned).
CREATE TABLE usage_samples (
    service_id   bigint NOT NULL REFERENCES services (id),
    period_start timestamptz NOT NULL
        CONSTRAINT usage_samples_aligned CHECK (extract(epoch FROM period_start) % 300 = 0),
    bytes_in     bigint NOT NULL CHECK (bytes_in >= 0),
    bytes_out    bigint NOT NULL CHECK (bytes_out >= 0),
    PRIMARY KEY (service_id, period_start)
);

CREATE TABLE invoices (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id bigint NOT NULL REFERENCES services (id),
    -- The first day of the calendar month billed.
    cycle      date NOT NULL CHECK (extract(day FROM cycle) = 1),
    plan       jsonb NOT NULL,
    direction  text NOT NULL CHECK (direction IN ('in', 'out', 'max', 'sum')),
    currency   text NOT NULL,
    total      numeric NOT NULL,
    lines      jsonb NOT NULL CHECK (jsonb_typeof(lines) = 'array'),
    working    jsonb NOT NULL,
    status     text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'void')),
    issued_at  timestamptz NOT NULL DEFAULT now(),
    voided_at  timestamptz,
    CONSTRAINT invoices_voided_at CHECK ((status = 'void') = (voided_at IS NOT NULL))
);
CREATE UNIQUE INDEX invoices_issued ON invoices (service_id, cycle) WHERE status = 'issued';
CREATE INDEX invoices_cycle ON invoices (cycle);

-- An invoice is never deleted, and the only change is voiding it.
CREATE FUNCTION invoices_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'invoice % is kept for good: void it by reopening its cycle', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.status <> 'issued' OR NEW.status <> 'void'
       OR (NEW.id, NEW.service_id, NEW.cycle, NEW.plan, NEW.direction, NEW.currency, NEW.total,
           NEW.lines, NEW.working, NEW.issued_at)
          IS DISTINCT FROM
          (OLD.id, OLD.service_id, OLD.cycle, OLD.plan, OLD.direction, OLD.currency, OLD.total,
           OLD.lines, OLD.working, OLD.issued_at) THEN
        RAISE EXCEPTION 'invoice % is immutable: the only change allowed is voiding it', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER invoices_immutable BEFORE UPDATE OR DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION invoices_immutable();

-- TRUNCATE fires no row trigger: refuse it outright on invoices, and on samples while
-- any cycle is closed.
CREATE FUNCTION billing_truncate_refused() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'invoices' OR EXISTS (SELECT 1 FROM invoices WHERE status = 'issued') THEN
        RAISE EXCEPTION 'TRUNCATE % would remove billing records that are kept for good', TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER invoices_no_truncate BEFORE TRUNCATE ON invoices
    FOR EACH STATEMENT EXECUTE FUNCTION billing_truncate_refused();
CREATE TRIGGER usage_samples_no_truncate BEFORE TRUNCATE ON usage_samples
    FOR EACH STATEMENT EXECUTE FUNCTION billing_truncate_refused();

-- Samples of a cycle with an issued invoice are frozen. Checked once per statement over
-- the rows it touched, so a bulk ingest of millions of rows pays one join, not a
-- trigger call per row.
CREATE FUNCTION usage_samples_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    hit record;
BEGIN
    SELECT c.service_id, i.cycle INTO hit
    FROM changed_rows c
    JOIN invoices i ON i.service_id = c.service_id AND i.status = 'issued'
        AND i.cycle = date_trunc('month', c.period_start AT TIME ZONE 'UTC')::date
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'cycle % of service % is closed: reopen it before changing its samples',
            to_char(hit.cycle, 'YYYY-MM'), hit.service_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER usage_samples_frozen_insert AFTER INSERT ON usage_samples
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_samples_frozen();
CREATE TRIGGER usage_samples_frozen_update_new AFTER UPDATE ON usage_samples
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_samples_frozen();
CREATE TRIGGER usage_samples_frozen_update_old AFTER UPDATE ON usage_samples
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_samples_frozen();
CREATE TRIGGER usage_samples_frozen_delete AFTER DELETE ON usage_samples
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_samples_frozen();

-- Few rows flip here, but ingests add millions: keep statistics fresh.
ALTER TABLE usage_samples SET (autovacuum_analyze_scale_factor = 0.02);
