-- Products, services and the links from allocations to the service that holds them
-- (issue 5). A product's ipam_config is validated in full by carve when it is saved; the
-- CHECK below keeps even a hand-written row to the shape carve can read.

CREATE TABLE products (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (btrim(name) <> '' AND name = btrim(name)),
    ipam_config jsonb NOT NULL CONSTRAINT products_ipam_config_shape CHECK (
        jsonb_typeof(ipam_config) = 'object'
        AND ipam_config->>'mode' IN ('full', 'disabled')
        AND jsonb_typeof(coalesce(ipam_config->'rules', '[]'::jsonb)) = 'array'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE services (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id    bigint NOT NULL REFERENCES customers (id),
    product_id     bigint NOT NULL REFERENCES products (id),
    device_id      bigint NOT NULL REFERENCES devices (id),
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    provisioned_at timestamptz NOT NULL DEFAULT now(),
    cancelled_at   timestamptz,
    CONSTRAINT services_cancelled_at CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);

CREATE INDEX services_device ON services (device_id);
CREATE INDEX services_customer ON services (customer_id);

-- The allocation links: a subnet or address held for a service (and its device). Only
-- held space can belong to a service, so releasing it must drop the link too.
ALTER TABLE subnets ADD COLUMN service_id bigint REFERENCES services (id),
    ADD CONSTRAINT subnets_service_holds CHECK (
        service_id IS NULL OR allocation_status IN ('allocated', 'reserved'));
ALTER TABLE ip_addresses ADD COLUMN service_id bigint REFERENCES services (id);

CREATE INDEX subnets_service ON subnets (service_id) WHERE service_id IS NOT NULL;
CREATE INDEX subnets_device ON subnets (device_id) WHERE device_id IS NOT NULL;
CREATE INDEX ip_addresses_service ON ip_addresses (service_id) WHERE service_id IS NOT NULL;
CREATE INDEX ip_addresses_device ON ip_addresses (device_id) WHERE device_id IS NOT NULL;

-- Address allocation looks for pools by range, location and VLAN; pools are few among
-- many subnets, so a partial index keeps that search from walking the whole tree.
CREATE INDEX subnets_pools ON subnets (cidr) WHERE is_pool AND NOT hidden;
