-- Users who sign in at /oauth2/authorize. The password is stored only as an Argon2id PHC string (the same
-- module and parameters as client secrets).
CREATE TABLE users (
    id              uuid PRIMARY KEY,
    username        text NOT NULL,
    email           text NOT NULL DEFAULT '',
    email_verified  boolean NOT NULL DEFAULT false,
    name            text NOT NULL DEFAULT '',
    password_hash   text NOT NULL,
    -- Bumped by set-password: login sessions carry it, so changing a password ends every existing session.
    session_version integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_username_not_blank CHECK (length(btrim(username)) > 0)
);

-- Usernames are unique regardless of case; sign-in looks them up the same way.
CREATE UNIQUE INDEX users_username_unique ON users (lower(username));
