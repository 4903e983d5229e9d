-- A pool hands out single addresses; the subnet allocator must never carve it, so a
-- pool cannot be subdivided. NOT VALID: enforced for every change from now on without
-- failing the migration on a tenant where an older carve already split a pool.
ALTER TABLE subnets ADD CONSTRAINT subnets_pool_not_subdivided
    CHECK (NOT (is_pool AND allocation_status = 'subdivided')) NOT VALID;

-- Whether the subnet's own VLAN was set by the allocation that holds it (not by an
-- operator): releasing the allocation clears it again, so released space can merge.
ALTER TABLE subnets ADD COLUMN vlan_from_allocation boolean NOT NULL DEFAULT false;
