-- The last change to one subnet or one address (the UI's detail pane asks on every
-- selection): an indexed lookup instead of a walk of the journal.
CREATE INDEX provisioning_logs_address ON provisioning_logs (address, id DESC)
    WHERE address IS NOT NULL AND outcome = 'ok';
CREATE INDEX provisioning_logs_subnet ON provisioning_logs (cidr, id DESC)
    WHERE address IS NULL AND outcome = 'ok';
