-- A product can give each service a VLAN of its own (ipam_config "new_vlan"): the VLAN
-- names its service, so a cancel knows which one to release and a re-provision finds the
-- one it already has. One per service; a service removed by an undo leaves its VLAN.
ALTER TABLE vlans ADD COLUMN service_id bigint REFERENCES services (id) ON DELETE SET NULL;
CREATE UNIQUE INDEX vlans_service ON vlans (service_id) WHERE service_id IS NOT NULL;
