//! The SELECT lists and joins that build the domain's rows ([`crate::model`]) from the
//! tables, names already joined in.

/// The SELECT list and joins that build a [`crate::model::Subnet`] from `subnets s`.
pub const SUBNET_SELECT: &str = "SELECT s.id, s.cidr, s.parent_id, s.allocation_status,
        s.is_unavailable, s.unavailable_reason, s.hidden,
        s.location_id, l.name AS location, s.effective_location_id, el.name AS effective_location,
        s.vlan_id, v.vid AS vlan, s.customer_id, c.name AS customer,
        s.device_id, dev.name AS device, s.service_id, s.description, s.purpose, s.reserve_reason,
        s.allocation_id::text AS allocation_id,
        s.is_pool, s.pool_reserved_first,
        ceil(extract(epoch FROM s.cooldown_until - now()))::bigint AS cooldown_secs,
        s.owner_customer_id, s.owner_service_id, s.owner_device_id
    FROM subnets s
    LEFT JOIN locations l ON l.id = s.location_id
    LEFT JOIN locations el ON el.id = s.effective_location_id
    LEFT JOIN vlans v ON v.id = s.vlan_id
    LEFT JOIN customers c ON c.id = s.customer_id
    LEFT JOIN devices dev ON dev.id = s.device_id";

/// The SELECT list and joins that build a [`crate::model::IpRecord`] from `ip_addresses a`.
pub const IP_SELECT: &str = "SELECT a.id, a.address, a.subnet_id, a.subnet_cidr AS subnet,
        a.subnet_hidden, c.name AS customer, dev.name AS device, a.service_id, v.vid AS vlan, a.purpose, a.rdns,
        to_char(a.rdns_updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS rdns_updated_at,
        a.is_unavailable, a.unavailable_reason, a.is_reserved, a.reserve_reason, a.description,
        a.allocation_id::text AS allocation_id,
        ceil(extract(epoch FROM a.cooldown_until - now()))::bigint AS cooldown_secs
    FROM ip_addresses a
    LEFT JOIN customers c ON c.id = a.customer_id
    LEFT JOIN vlans v ON v.id = a.vlan_id
    LEFT JOIN devices dev ON dev.id = a.device_id";
