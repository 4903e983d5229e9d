-- Release cooldown (issue 10): space released while a cooldown is configured stays
-- parked until cooldown_until, then carve frees it. Only parked space can be cooling, and
-- a cooling subnet is a free leaf waiting, never held.
ALTER TABLE subnets ADD COLUMN cooldown_until timestamptz,
    ADD CONSTRAINT subnets_cooldown_parks CHECK (
        cooldown_until IS NULL OR (is_unavailable AND allocation_status = 'unallocated'));
ALTER TABLE ip_addresses ADD COLUMN cooldown_until timestamptz,
    ADD CONSTRAINT ip_addresses_cooldown_parks CHECK (
        cooldown_until IS NULL OR (is_unavailable AND customer_id IS NULL AND service_id IS NULL));

-- Every allocation looks for cooldowns that have ended: kept to the cooling rows only.
CREATE INDEX subnets_cooldown ON subnets (cooldown_until) WHERE cooldown_until IS NOT NULL;
CREATE INDEX ip_addresses_cooldown ON ip_addresses (cooldown_until) WHERE cooldown_until IS NOT NULL;
