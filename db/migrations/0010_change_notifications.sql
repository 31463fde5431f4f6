-- Every instance keeps applications and signing keys in memory for the hot path. A change made anywhere
-- (another instance, the CLI, a manual UPDATE) is announced on one channel so each instance drops its copy at
-- once; instances that were disconnected clear everything when they reconnect.
CREATE OR REPLACE FUNCTION notify_tokenservice_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'applications' THEN
        PERFORM pg_notify('tokenservice_changes', 'application:' || COALESCE(OLD.client_id, NEW.client_id));
    ELSE
        PERFORM pg_notify('tokenservice_changes', TG_TABLE_NAME);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER applications_changed
    AFTER UPDATE OR DELETE ON applications
    FOR EACH ROW EXECUTE FUNCTION notify_tokenservice_change();

CREATE TRIGGER signing_keys_changed
    AFTER INSERT OR UPDATE OR DELETE ON signing_keys
    FOR EACH STATEMENT EXECUTE FUNCTION notify_tokenservice_change();
