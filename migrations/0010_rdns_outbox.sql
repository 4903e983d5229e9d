-- Reverse DNS: every change of an address's PTR name waits in an outbox until a sync has
-- pushed it to the provider that serves the address. A trigger queues it, so the queue is
-- written in the same transaction as the change, whoever makes it (carve, an undo, an
-- import, or psql), and a provider that is down can never block or roll back IPAM work.

-- One entry per address: the newest wish wins (set twice before a sync: one push).
CREATE TABLE rdns_outbox (
    address         inet PRIMARY KEY,
    -- The PTR target carve wants; NULL: the PTR is to be deleted.
    ptr             text,
    queued_at       timestamptz NOT NULL DEFAULT now(),
    -- Changes on every requeue, so a sync removes only the entry it pushed, never a
    -- newer wish queued while it talked to the provider.
    generation      bigint NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text
);
CREATE SEQUENCE rdns_outbox_generation;

CREATE FUNCTION carve_queue_rdns() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    target inet;
    wanted text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        target := OLD.address;
        wanted := NULL;
    ELSE
        target := NEW.address;
        wanted := NEW.rdns;
    END IF;
    INSERT INTO rdns_outbox (address, ptr, generation)
    VALUES (target, wanted, nextval('rdns_outbox_generation'))
    ON CONFLICT (address) DO UPDATE
        SET ptr = EXCLUDED.ptr, generation = EXCLUDED.generation, queued_at = now(),
            attempts = 0, next_attempt_at = now(), last_error = NULL;
    RETURN NULL;
END
$$;

CREATE TRIGGER ip_addresses_rdns_insert AFTER INSERT ON ip_addresses
    FOR EACH ROW WHEN (NEW.rdns IS NOT NULL) EXECUTE FUNCTION carve_queue_rdns();
CREATE TRIGGER ip_addresses_rdns_update AFTER UPDATE OF rdns ON ip_addresses
    FOR EACH ROW WHEN (OLD.rdns IS DISTINCT FROM NEW.rdns) EXECUTE FUNCTION carve_queue_rdns();
CREATE TRIGGER ip_addresses_rdns_delete AFTER DELETE ON ip_addresses
    FOR EACH ROW WHEN (OLD.rdns IS NOT NULL) EXECUTE FUNCTION carve_queue_rdns();

-- Names carve held before this migration have never been pushed by carve: queue them,
-- so that the first sync pushes them and nothing reads "in sync" before it has been.
INSERT INTO rdns_outbox (address, ptr, generation)
SELECT address, rdns, nextval('rdns_outbox_generation') FROM ip_addresses WHERE rdns IS NOT NULL;

-- The last sync of each configured provider, for `carve rdns status`.
CREATE TABLE rdns_providers (
    name          text PRIMARY KEY,
    last_sync_at  timestamptz,
    last_ok_at    timestamptz,
    last_error    text,
    last_error_at timestamptz
);

-- What the last sync of a provider found in DNS and left different from carve: PTRs
-- carve does not know (not pruned), and names it could not push. The TUI shows them.
CREATE TABLE rdns_drift (
    address  inet PRIMARY KEY,
    provider text NOT NULL,
    -- The PTR target found in DNS; NULL: DNS has none where carve has one.
    found    text,
    seen_at  timestamptz NOT NULL DEFAULT now()
);

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'carve_readonly') THEN
        GRANT SELECT ON rdns_outbox, rdns_providers, rdns_drift TO carve_readonly;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'carve_operator') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON rdns_outbox, rdns_providers, rdns_drift
            TO carve_operator;
        GRANT USAGE, SELECT ON rdns_outbox_generation TO carve_operator;
    END IF;
END
$$;
