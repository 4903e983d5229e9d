-- Trust (issue "what carve shows is true").
--
-- The journal's os_user is the name of the real uid; when root runs carve through sudo,
-- the user behind it is recorded beside it.
ALTER TABLE provisioning_logs ADD COLUMN sudo_user text;
CREATE INDEX provisioning_logs_sudo_user ON provisioning_logs (sudo_user, created_at DESC)
    WHERE sudo_user IS NOT NULL;
