-- Who did what (issue 10): every journal row records the person (OS user), the machine,
-- the database role, and one id per command shared by all the rows a command writes.
-- Rows written before this migration have no actor.
ALTER TABLE provisioning_logs
    ADD COLUMN os_user text,
    ADD COLUMN client_host text,
    ADD COLUMN db_role text NOT NULL DEFAULT current_user,
    ADD COLUMN command_id uuid;

CREATE INDEX provisioning_logs_command ON provisioning_logs (command_id) WHERE command_id IS NOT NULL;
CREATE INDEX provisioning_logs_os_user ON provisioning_logs (os_user, created_at DESC);
