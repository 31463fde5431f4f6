-- Applications: OAuth 2.0 clients. The secret is stored only as an Argon2id PHC string.
CREATE TABLE applications (
    id             uuid PRIMARY KEY,
    client_id      text NOT NULL UNIQUE,
    name           text NOT NULL,
    description    text NOT NULL DEFAULT '',
    scopes         text[] NOT NULL DEFAULT '{}',
    secret_hash    text NOT NULL,
    -- Bumped on every rotation: caches key on (client_id, secret_version).
    secret_version integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT applications_name_not_blank CHECK (length(btrim(name)) > 0)
);

-- Names are unique regardless of case, so "Billing" and "billing" cannot both exist.
CREATE UNIQUE INDEX applications_name_unique ON applications (lower(name));
