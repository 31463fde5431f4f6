-- The audit trail: one row per change made through the management API, the CLI or the Console. Append-only: no
-- row is ever updated, and rows are deleted only by the retention prune, which announces itself with the
-- transaction-local setting tokenservice.audit_prune (TokenService/Audit/AuditStore.cs). Never holds a secret:
-- details carry names, scopes and times, not credentials.
CREATE TABLE audit_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    actor_kind  text NOT NULL CHECK (actor_kind IN ('user', 'client', 'cli', 'system')),
    actor       text NOT NULL CHECK (length(actor) <= 200),
    address     text NOT NULL DEFAULT '' CHECK (length(address) <= 200),
    action      text NOT NULL CHECK (action ~ '^[a-z][a-z_.-]{0,63}$'),
    target_kind text NOT NULL CHECK (target_kind ~ '^[a-z][a-z_-]{0,31}$'),
    target      text NOT NULL CHECK (length(target) <= 200),
    details     jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX audit_events_occurred_at ON audit_events (occurred_at);
CREATE INDEX audit_events_target ON audit_events (target, occurred_at);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('tokenservice.audit_prune', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
