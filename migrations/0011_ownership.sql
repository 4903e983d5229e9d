-- Ownership (DESIGN.md section 1): a block held by a customer, service or device owns
-- everything beneath it. Each subnet carries its *owner*, the holder of the nearest held
-- block at or above it (0 where nobody holds it), computed by the database: a generated
-- column from the row's own holder and a copy of its parent's owner, which the composite
-- foreign key keeps true (ON UPDATE CASCADE), the way `hidden` already is. So no code
-- path can put customer B's block inside customer A's, nor an address record of B's in
-- A's pool, nor an address record anywhere but in a pool.

-- A reserve reason is its own field, not the description (a release clears both).
ALTER TABLE subnets ADD COLUMN reserve_reason text;

-- Copies of the parent (0 / false for a root).
ALTER TABLE subnets
    ADD COLUMN parent_pool boolean NOT NULL DEFAULT false,
    ADD COLUMN parent_owner_customer bigint NOT NULL DEFAULT 0,
    ADD COLUMN parent_owner_service bigint NOT NULL DEFAULT 0,
    ADD COLUMN parent_owner_device bigint NOT NULL DEFAULT 0;

-- Held itself: its own holder; else the parent's owner.
ALTER TABLE subnets
    ADD COLUMN owner_customer_id bigint NOT NULL GENERATED ALWAYS AS (
        CASE WHEN customer_id IS NOT NULL OR service_id IS NOT NULL OR device_id IS NOT NULL
             THEN coalesce(customer_id, 0) ELSE parent_owner_customer END) STORED,
    ADD COLUMN owner_service_id bigint NOT NULL GENERATED ALWAYS AS (
        CASE WHEN customer_id IS NOT NULL OR service_id IS NOT NULL OR device_id IS NOT NULL
             THEN coalesce(service_id, 0) ELSE parent_owner_service END) STORED,
    ADD COLUMN owner_device_id bigint NOT NULL GENERATED ALWAYS AS (
        CASE WHEN customer_id IS NOT NULL OR service_id IS NOT NULL OR device_id IS NOT NULL
             THEN coalesce(device_id, 0) ELSE parent_owner_device END) STORED;

-- Fill the copies top-down. Only rows under a held block (or, from an older carve, under
-- a split pool) change.
WITH RECURSIVE walk (id, pool, c, s, d) AS (
    SELECT id, is_pool,
           CASE WHEN customer_id IS NOT NULL OR service_id IS NOT NULL OR device_id IS NOT NULL
                THEN coalesce(customer_id, 0) ELSE 0 END,
           CASE WHEN customer_id IS NOT NULL OR service_id IS NOT NULL OR device_id IS NOT NULL
                THEN coalesce(service_id, 0) ELSE 0 END,
           CASE WHEN customer_id IS NOT NULL OR service_id IS NOT NULL OR device_id IS NOT NULL
                THEN coalesce(device_id, 0) ELSE 0 END
    FROM subnets WHERE parent_id IS NULL
    UNION ALL
    SELECT ch.id, ch.is_pool,
           CASE WHEN ch.customer_id IS NOT NULL OR ch.service_id IS NOT NULL OR ch.device_id IS NOT NULL
                THEN coalesce(ch.customer_id, 0) ELSE w.c END,
           CASE WHEN ch.customer_id IS NOT NULL OR ch.service_id IS NOT NULL OR ch.device_id IS NOT NULL
                THEN coalesce(ch.service_id, 0) ELSE w.s END,
           CASE WHEN ch.customer_id IS NOT NULL OR ch.service_id IS NOT NULL OR ch.device_id IS NOT NULL
                THEN coalesce(ch.device_id, 0) ELSE w.d END
    FROM subnets ch JOIN walk w ON ch.parent_id = w.id
)
UPDATE subnets ch SET parent_pool = w.pool, parent_owner_customer = w.c,
                      parent_owner_service = w.s, parent_owner_device = w.d
FROM walk w
WHERE ch.parent_id = w.id
  AND (w.pool OR w.c <> 0 OR w.s <> 0 OR w.d <> 0);

ALTER TABLE ip_addresses
    ADD COLUMN subnet_pool boolean NOT NULL DEFAULT true,
    ADD COLUMN subnet_owner_customer bigint NOT NULL DEFAULT 0,
    ADD COLUMN subnet_owner_service bigint NOT NULL DEFAULT 0,
    ADD COLUMN subnet_owner_device bigint NOT NULL DEFAULT 0;
UPDATE ip_addresses a SET subnet_pool = s.is_pool, subnet_owner_customer = s.owner_customer_id,
                          subnet_owner_service = s.owner_service_id,
                          subnet_owner_device = s.owner_device_id
FROM subnets s
WHERE s.id = a.subnet_id
  AND (NOT s.is_pool OR s.owner_customer_id <> 0 OR s.owner_service_id <> 0 OR s.owner_device_id <> 0);

-- One key carries everything a child or an address record copies of its subnet.
ALTER TABLE subnets DROP CONSTRAINT subnets_parent_fkey;
ALTER TABLE ip_addresses DROP CONSTRAINT ip_addresses_subnet_fkey;
ALTER TABLE subnets DROP CONSTRAINT subnets_id_cidr_hidden_key;
ALTER TABLE subnets ADD CONSTRAINT subnets_copied_key
    UNIQUE (id, cidr, hidden, is_pool, owner_customer_id, owner_service_id, owner_device_id);
ALTER TABLE subnets ADD CONSTRAINT subnets_parent_fkey
    FOREIGN KEY (parent_id, parent_cidr, parent_hidden, parent_pool, parent_owner_customer,
                 parent_owner_service, parent_owner_device)
    REFERENCES subnets (id, cidr, hidden, is_pool, owner_customer_id, owner_service_id, owner_device_id)
    ON UPDATE CASCADE;
ALTER TABLE ip_addresses ADD CONSTRAINT ip_addresses_subnet_fkey
    FOREIGN KEY (subnet_id, subnet_cidr, subnet_hidden, subnet_pool, subnet_owner_customer,
                 subnet_owner_service, subnet_owner_device)
    REFERENCES subnets (id, cidr, hidden, is_pool, owner_customer_id, owner_service_id, owner_device_id)
    ON UPDATE CASCADE;

-- A held block inside someone else's: refused. A block of its own holder must name every
-- part of the owner above it (a customer's block may be given to one of the customer's
-- services, never to another customer, nor to nobody in particular: a row without any
-- holder of its own simply belongs to the owner above). NOT VALID: enforced on every
-- change from now on, without failing the migration where an older carve already
-- handed out such a block (release it, or give it to the right holder, to clean up).
ALTER TABLE subnets ADD CONSTRAINT subnets_inside_owner CHECK (
    (customer_id IS NULL AND service_id IS NULL AND device_id IS NULL)
    OR ((parent_owner_customer = 0 OR coalesce(customer_id, 0) = parent_owner_customer)
        AND (parent_owner_service = 0 OR coalesce(service_id, 0) = parent_owner_service)
        AND (parent_owner_device = 0 OR coalesce(device_id, 0) = parent_owner_device))) NOT VALID;
-- A pool hands out addresses and has no children (subnets_pool_not_subdivided says it
-- from the pool's side).
ALTER TABLE subnets ADD CONSTRAINT subnets_parent_not_pool CHECK (NOT parent_pool) NOT VALID;

-- An address record lies in a pool, and in an owned pool it belongs to the owner.
ALTER TABLE ip_addresses ADD CONSTRAINT ip_addresses_in_pool CHECK (subnet_pool) NOT VALID;
ALTER TABLE ip_addresses ADD CONSTRAINT ip_addresses_inside_owner CHECK (
    (customer_id IS NULL AND service_id IS NULL AND device_id IS NULL)
    OR ((subnet_owner_customer = 0 OR coalesce(customer_id, 0) = subnet_owner_customer)
        AND (subnet_owner_service = 0 OR coalesce(service_id, 0) = subnet_owner_service)
        AND (subnet_owner_device = 0 OR coalesce(device_id, 0) = subnet_owner_device))) NOT VALID;
