-- carve foundation schema: the prefix tree, addresses, VLANs, locations, customers,
-- devices and the provisioning journal. The invariants of DESIGN.md section 1 live here,
-- so that no bug in the application can store an overlap or an orphan.

-- The last address of a prefix, as a host prefix. In inet order every prefix inside c
-- sorts between c and cidr_last(c), so a subtree is one btree range scan.
CREATE FUNCTION cidr_last(c cidr) RETURNS cidr
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT set_masklen(broadcast(c), CASE family(c) WHEN 4 THEN 32 ELSE 128 END)::cidr $$;

CREATE TABLE locations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (btrim(name) <> '' AND name = btrim(name)),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (btrim(name) <> '' AND name = btrim(name)),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE devices (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (btrim(name) <> '' AND name = btrim(name)),
    location_id bigint REFERENCES locations (id),
    kind        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE vlans (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    location_id bigint NOT NULL REFERENCES locations (id),
    vid         integer NOT NULL CHECK (vid BETWEEN 1 AND 4094),
    name        text,
    enabled     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (location_id, vid)
);

CREATE TABLE subnets (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cidr                  cidr NOT NULL UNIQUE,
    family                smallint NOT NULL GENERATED ALWAYS AS (family(cidr)) STORED,
    parent_id             bigint,
    -- Copies of the parent's CIDR and hidden flag, kept true by the composite foreign key
    -- below (ON UPDATE CASCADE), so plain CHECKs and generated columns can use them.
    parent_cidr           cidr,
    parent_hidden         boolean,
    allocation_status     text NOT NULL DEFAULT 'unallocated'
                          CHECK (allocation_status IN ('unallocated', 'allocated', 'subdivided', 'reserved')),
    -- Parked: kept out of every allocation without being deleted.
    is_unavailable        boolean NOT NULL DEFAULT false,
    unavailable_reason    text,
    -- Parked itself or under a parked ancestor. The database computes it and cascades it
    -- down the tree, so no code path can allocate inside a parked subtree.
    hidden                boolean NOT NULL
                          GENERATED ALWAYS AS (is_unavailable OR coalesce(parent_hidden, false)) STORED,
    location_id           bigint REFERENCES locations (id),
    -- Own location, else the nearest ancestor's; kept in step by the service layer in the
    -- same transaction as the change, so allocation filters are one indexed predicate.
    effective_location_id bigint REFERENCES locations (id),
    vlan_id               bigint REFERENCES vlans (id),
    -- Own VLAN, else the nearest ancestor's, kept like the effective location: an
    -- allocation on VLAN 102 draws only from space that is untagged or on VLAN 102.
    effective_vlan_id     bigint REFERENCES vlans (id),
    customer_id           bigint REFERENCES customers (id),
    device_id             bigint REFERENCES devices (id),
    description           text,
    purpose               text,
    -- Groups the rows and journal events of one allocation.
    allocation_id         uuid,
    -- A pool hands out single addresses; it can keep its first N back (a gateway, say).
    is_pool               boolean NOT NULL DEFAULT false,
    pool_reserved_first   integer NOT NULL DEFAULT 0 CHECK (pool_reserved_first >= 0),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),

    -- Lets children and addresses reference (id, cidr, hidden) of their subnet.
    CONSTRAINT subnets_id_cidr_hidden_key UNIQUE (id, cidr, hidden),
    CONSTRAINT subnets_parent_fkey FOREIGN KEY (parent_id, parent_cidr, parent_hidden)
        REFERENCES subnets (id, cidr, hidden) ON UPDATE CASCADE,
    CONSTRAINT subnets_parent_fields CHECK (
        (parent_id IS NULL) = (parent_cidr IS NULL) AND (parent_id IS NULL) = (parent_hidden IS NULL)),
    -- A child is exactly one half of its parent: inside it and one bit longer.
    CONSTRAINT subnets_child_inside_parent CHECK (
        parent_cidr IS NULL
        OR (parent_cidr >> cidr AND masklen(cidr) = masklen(parent_cidr) + 1)),
    CONSTRAINT subnets_prefix_length CHECK (
        CASE family(cidr) WHEN 4 THEN masklen(cidr) BETWEEN 8 AND 32
                          ELSE masklen(cidr) BETWEEN 32 AND 128 END),
    -- Roots never overlap. Below the roots no overlap can arise: every child is a buddy
    -- half of its parent (the CHECK above), so two siblings are either the two distinct
    -- halves or the same CIDR, which the UNIQUE constraint refuses. Keeping the exclusion
    -- index to the roots spares every allocation a GiST insertion and search.
    CONSTRAINT subnets_no_overlapping_roots
        EXCLUDE USING gist (cidr inet_ops WITH &&) WHERE (parent_id IS NULL)
);

-- Lookups go through btree indexes: "which subnets hold 203.0.113.70?" probes the unique
-- CIDR index once per possible supernet, and a subtree is the range [cidr, cidr_last(cidr)].
-- A GiST index on cidr was measured slower at 1M subnets (1.3-3 ms for an equality or
-- range lookup that the btree answers in 0.05 ms, and the planner preferred it), and
-- every allocation paid for keeping it.
CREATE INDEX subnets_parent_id ON subnets (parent_id);
CREATE INDEX subnets_effective_location ON subnets (effective_location_id);
CREATE INDEX subnets_customer ON subnets (customer_id) WHERE customer_id IS NOT NULL;
-- The allocator's searches: free leaves by length then address (exact and split), and
-- subdivided nodes by length (merge). Partial, so they stay small as the tree churns.
CREATE INDEX subnets_free_leaves ON subnets (family, masklen(cidr), cidr)
    WHERE allocation_status = 'unallocated' AND NOT hidden;
CREATE INDEX subnets_subdivided ON subnets (family, masklen(cidr), cidr)
    WHERE allocation_status = 'subdivided' AND NOT hidden;

CREATE TABLE ip_addresses (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    address            inet NOT NULL UNIQUE,
    family             smallint NOT NULL GENERATED ALWAYS AS (family(address)) STORED,
    subnet_id          bigint NOT NULL,
    subnet_cidr        cidr NOT NULL,
    subnet_hidden      boolean NOT NULL,
    customer_id        bigint REFERENCES customers (id),
    device_id          bigint REFERENCES devices (id),
    vlan_id            bigint REFERENCES vlans (id),
    purpose            text,
    rdns               text,
    rdns_updated_at    timestamptz,
    is_unavailable     boolean NOT NULL DEFAULT false,
    unavailable_reason text,
    description        text,
    allocation_id      uuid,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),

    CONSTRAINT ip_addresses_subnet_fkey FOREIGN KEY (subnet_id, subnet_cidr, subnet_hidden)
        REFERENCES subnets (id, cidr, hidden) ON UPDATE CASCADE,
    -- One row per host address: 203.0.113.5/24 and 203.0.113.5/32 are not two addresses.
    CONSTRAINT ip_addresses_host_form CHECK (
        masklen(address) = CASE family(address) WHEN 4 THEN 32 ELSE 128 END),
    CONSTRAINT ip_addresses_inside_subnet CHECK (subnet_cidr >>= address)
);

CREATE INDEX ip_addresses_subnet ON ip_addresses (subnet_id);
CREATE INDEX ip_addresses_customer ON ip_addresses (customer_id) WHERE customer_id IS NOT NULL;

-- The journal: every allocate / split / merge / release / wipe / park writes one row in
-- the same transaction as its change. Rows outlive the subnets they name, so they keep
-- the CIDR or address as text-like values instead of foreign keys.
CREATE TABLE provisioning_logs (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    event      text NOT NULL CHECK (event ~ '^[a-z][a-z0-9_]*$'),
    outcome    text NOT NULL DEFAULT 'ok' CHECK (outcome IN ('ok', 'failed')),
    cidr       cidr,
    address    inet,
    detail     jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX provisioning_logs_created_at ON provisioning_logs (created_at DESC, id DESC);
CREATE INDEX provisioning_logs_event ON provisioning_logs (event, created_at DESC);
CREATE INDEX provisioning_logs_cidr_gist ON provisioning_logs USING gist (cidr inet_ops)
    WHERE cidr IS NOT NULL;

-- Allocation flips rows between free and used all day; vacuum early so dead index
-- entries do not pile up in front of the free-space searches (DESIGN.md section 2).
ALTER TABLE subnets SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 500,
                         autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE ip_addresses SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 500,
                              autovacuum_analyze_scale_factor = 0.02);
