-- Open terminal UIs learn of changes made elsewhere (another carve, the CLI, a script):
-- every change journals, so one NOTIFY per journaling statement reaches every listener
-- when its transaction commits (and never for a rolled-back one).

CREATE FUNCTION carve_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('carve_changes', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER provisioning_logs_notify AFTER INSERT ON provisioning_logs
    FOR EACH STATEMENT EXECUTE FUNCTION carve_notify_change();
