-- An address can be reserved (issue 20), as a block can: kept out of allocation with its
-- reason (NetBox's Reserved and DHCP, phpIPAM's Reserved, DHCP and gateway addresses),
-- and counted as reserved, never as used. A reason belongs to a reserved address only; a
-- cooling address is a released one waiting, so it is never reserved.
ALTER TABLE ip_addresses
    ADD COLUMN is_reserved boolean NOT NULL DEFAULT false,
    ADD COLUMN reserve_reason text,
    ADD CONSTRAINT ip_addresses_reserve_reason_only_reserved
        CHECK (reserve_reason IS NULL OR is_reserved),
    ADD CONSTRAINT ip_addresses_reserve_reason_length CHECK (char_length(reserve_reason) <= 4096),
    ADD CONSTRAINT ip_addresses_cooling_not_reserved
        CHECK (cooldown_until IS NULL OR NOT is_reserved);
