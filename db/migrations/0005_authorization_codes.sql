-- Authorization codes (RFC 6749 s.4.1.2): stored only as the SHA-256 of the code, single use (consumed_at is set
-- atomically on redemption), bound to the client, redirect_uri, PKCE challenge, scopes, nonce and user.
-- Consumed rows are kept until they expire well past their use, so a replay can still be recognised and the
-- tokens issued from the code revoked.
CREATE TABLE authorization_codes (
    id               uuid PRIMARY KEY,
    code_hash        bytea NOT NULL UNIQUE,
    client_id        text NOT NULL REFERENCES applications (client_id) ON DELETE CASCADE,
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri     text NOT NULL,
    code_challenge   text,
    scopes           text[] NOT NULL,
    nonce            text,
    auth_time        timestamptz NOT NULL,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    consumed_at      timestamptz,
    -- Set when a used code is presented again; families created from the code afterwards start revoked.
    replayed_at      timestamptz,
    -- The access token issued from this code, so a revocation feature can revoke it after a replay.
    access_token_jti text
);

CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);
