-- Credential lifecycle for applications (issue 5).
-- A rotation may keep the previous secret working for a grace period, so callers can roll without downtime: its
-- Argon2id hash is kept until previous_secret_expires_at, then ignored (and cleared by the next rotation).
-- allowed_tenants: the tenants a client_credentials token may be requested for; NULL means any tenant.
ALTER TABLE applications
    ADD COLUMN previous_secret_hash       text,
    ADD COLUMN previous_secret_expires_at timestamptz,
    ADD COLUMN allowed_tenants            text[];

ALTER TABLE applications
    ADD CONSTRAINT applications_previous_secret_complete
        CHECK ((previous_secret_hash IS NULL) = (previous_secret_expires_at IS NULL));
