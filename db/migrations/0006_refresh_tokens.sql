-- Refresh tokens (RFC 6749 s.6, RFC 9700 s.4.14.2): opaque, stored only as SHA-256, rotated on every use.
-- All tokens descending from one authorization form a family; replaying a rotated token revokes the family.
CREATE TABLE refresh_token_families (
    id          uuid PRIMARY KEY,
    client_id   text NOT NULL REFERENCES applications (client_id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The authorization code the family came from: a replayed code revokes it (RFC 6749 s.4.1.2).
    code_id     uuid REFERENCES authorization_codes (id) ON DELETE SET NULL,
    scopes      text[] NOT NULL,
    auth_time   timestamptz NOT NULL,
    created_at  timestamptz NOT NULL,
    -- Absolute lifetime: no token of the family is honoured after this, however often it was rotated.
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);

CREATE INDEX refresh_token_families_code_id ON refresh_token_families (code_id);
CREATE INDEX refresh_token_families_user_id ON refresh_token_families (user_id);

CREATE TABLE refresh_tokens (
    id               uuid PRIMARY KEY,
    token_hash       bytea NOT NULL UNIQUE,
    family_id        uuid NOT NULL REFERENCES refresh_token_families (id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL,
    -- Idle lifetime: a token not used by then is dead (capped at the family's absolute expiry).
    expires_at       timestamptz NOT NULL,
    consumed_at      timestamptz
);

CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);
