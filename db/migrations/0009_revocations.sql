-- Revocations of stateless JWT access tokens, published to resource servers as an incremental feed
-- (GET /oauth2/revocations?since=<cursor>). The cursor is the bigserial id; writers take an advisory transaction lock
-- before inserting, so rows commit in cursor order and a reader that advanced past a cursor never misses a row.
--   kind 'jti':    the access token with this jti is dead.
--   kind 'client': every token of this client issued before not_before is dead from effective_at on
--                  (application deleted: at once; secret rotated: when the grace period of the old secret ends).
-- A row is kept until every token it covers has expired (expires_at), then pruned.
CREATE TABLE revocations (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL,
    value        text NOT NULL,
    client_id    text NOT NULL,
    not_before   timestamptz,
    effective_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT revocations_kind CHECK (kind IN ('jti', 'client')),
    CONSTRAINT revocations_client_has_not_before CHECK ((kind = 'client') = (not_before IS NOT NULL))
);

-- Revoking the same access token twice records it once.
CREATE UNIQUE INDEX revocations_jti_unique ON revocations (value) WHERE kind = 'jti';
CREATE INDEX revocations_expires_at ON revocations (expires_at);
