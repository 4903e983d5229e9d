-- Bounded lengths for every stored name and text (issue 18): one value of 100,000
-- characters made every listing of its table unusable. carve checks the same bounds
-- (src/engine/text.rs) and words a breach of these by the constraint's name
-- (<table>_<column>_length). NOT VALID: rows stored before stay readable, and the
-- migration cannot fail on them; every new or changed row is held to the bound.

ALTER TABLE locations
    ADD CONSTRAINT locations_name_length CHECK (char_length(name) <= 100) NOT VALID,
    ADD CONSTRAINT locations_description_length CHECK (char_length(description) <= 4096) NOT VALID;

ALTER TABLE customers
    ADD CONSTRAINT customers_name_length CHECK (char_length(name) <= 100) NOT VALID;

ALTER TABLE devices
    ADD CONSTRAINT devices_name_length CHECK (char_length(name) <= 100) NOT VALID,
    ADD CONSTRAINT devices_kind_length CHECK (char_length(kind) <= 100) NOT VALID;

ALTER TABLE vlans
    ADD CONSTRAINT vlans_name_length CHECK (char_length(name) <= 100) NOT VALID;

ALTER TABLE products
    ADD CONSTRAINT products_name_length CHECK (char_length(name) <= 100) NOT VALID;

ALTER TABLE billing_plans
    ADD CONSTRAINT billing_plans_name_length CHECK (char_length(name) <= 100) NOT VALID;

ALTER TABLE subnets
    ADD CONSTRAINT subnets_description_length CHECK (char_length(description) <= 4096) NOT VALID,
    ADD CONSTRAINT subnets_purpose_length CHECK (char_length(purpose) <= 4096) NOT VALID,
    ADD CONSTRAINT subnets_unavailable_reason_length CHECK (char_length(unavailable_reason) <= 4096) NOT VALID,
    ADD CONSTRAINT subnets_reserve_reason_length CHECK (char_length(reserve_reason) <= 4096) NOT VALID;

ALTER TABLE ip_addresses
    ADD CONSTRAINT ip_addresses_description_length CHECK (char_length(description) <= 4096) NOT VALID,
    ADD CONSTRAINT ip_addresses_purpose_length CHECK (char_length(purpose) <= 4096) NOT VALID,
    ADD CONSTRAINT ip_addresses_unavailable_reason_length CHECK (char_length(unavailable_reason) <= 4096) NOT VALID,
    ADD CONSTRAINT ip_addresses_rdns_length CHECK (char_length(rdns) <= 253) NOT VALID;
